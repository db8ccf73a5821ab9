"""A plan as a CSV table of assignments or an Excel workbook of assignments and KPI sheets."""

from __future__ import annotations

import io
import re
from typing import Any
from urllib.parse import quote

import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from allocator import Instance, Plan
from allocator.kpis import PLAN_TABLES, assignments_frame, csv_safe, plan_tables

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEETS = PLAN_TABLES


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def attachment(filename: str) -> dict[str, str]:
    """The ``Content-Disposition`` header of a download named ``filename``: an ASCII
    fallback (other characters as ``_``) and the exact name in RFC 5987's ``filename*``
    (percent-encoded UTF-8), so quotes, line breaks and any script are safe."""
    fallback = _UNSAFE.sub("_", filename).strip("_.") or "plan"
    exact = quote(filename, safe="")
    return {"Content-Disposition": f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{exact}"}


def _cell_text(value: Any) -> Any:
    """A cell Excel can hold: control characters (which openpyxl refuses) become U+FFFD."""
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value) if isinstance(value, str) else value


def assignments_csv(plan: Plan) -> bytes:
    """The assignments table: one row per specialist, target and date (text that a
    spreadsheet would run as a formula is prefixed with ``'``, see
    :func:`allocator.kpis.csv_safe`)."""
    return csv_safe(assignments_frame(plan)).to_csv(index=False).encode("utf-8")


def plan_workbook(instance: Instance, plan: Plan) -> bytes:
    """An .xlsx workbook with the sheets of :data:`SHEETS`; every text cell is text, even
    one that starts like a formula (``=1+2``), and control characters become U+FFFD."""
    frames = plan_tables(instance, plan)
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name in SHEETS:
            frame = frames[name].map(_cell_text)
            frame.columns = [_cell_text(column) for column in frame.columns]
            frame.to_excel(writer, sheet_name=name, index=False)
            for row in writer.sheets[name].iter_rows():
                for cell in row:
                    if cell.data_type == "f":  # text such as "=1+2" stays text, never a formula
                        cell.data_type = "s"
    return buffer.getvalue()
