"""A plan as a CSV table of assignments or an Excel workbook of assignments and KPI sheets."""

from __future__ import annotations

import io

import pandas as pd

from allocator import Instance, Plan
from allocator.kpis import PLAN_TABLES, assignments_frame, plan_tables

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEETS = PLAN_TABLES


def assignments_csv(plan: Plan) -> bytes:
    """The assignments table: one row per specialist, target and date."""
    return assignments_frame(plan).to_csv(index=False).encode("utf-8")


def plan_workbook(instance: Instance, plan: Plan) -> bytes:
    """An .xlsx workbook with the sheets of :data:`SHEETS`."""
    frames = plan_tables(instance, plan)
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name in SHEETS:
            frames[name].to_excel(writer, sheet_name=name, index=False)
    return buffer.getvalue()
