"""Input validation: every problem of an instance, at once, each with its JSON path.

Field-level problems come from pydantic (:mod:`allocator.schema`); cross-reference problems
(unknown ids, duplicates, dates outside the horizon, end before start, vendor iff outsourced)
are found here (spec, "Field rules": "All of them are reported at once, each with its JSON
path; nothing is solved").
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from allocator.calendar import working_dates
from allocator.schema import (
    Fixed,
    Horizon,
    Instance,
    Problem,
    Project,
    Specialist,
    Task,
    Workplace,
)


class InvalidInstance(ValueError):
    """Raised when an instance has input errors; ``problems`` lists them with JSON paths."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        lines = "; ".join(f"{p.path}: {p.message}" for p in self.problems[:5])
        more = f" (and {len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        super().__init__(f"{len(self.problems)} input error(s): {lines}{more}")


def json_path(loc: Iterable[int | str]) -> str:
    """``("tasks", 2, "due")`` -> ``"$.tasks[2].due"``."""
    out = "$"
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _pydantic_problems(error: ValidationError) -> list[Problem]:
    problems = []
    for item in error.errors(include_url=False):
        loc = [part for part in item["loc"] if not str(part).startswith("function-")]
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown field"
        elif item["type"] == "missing":
            message = "required field is missing"
        problems.append(Problem(path=json_path(loc), message=message))
    return problems


ITEM_TYPES: dict[str, type[BaseModel]] = {
    "specialists": Specialist,
    "projects": Project,
    "workplaces": Workplace,
    "tasks": Task,
    "fixed": Fixed,
}
COLLECTIONS = tuple(ITEM_TYPES)


def _partial(data: Any) -> tuple[Instance, dict[str, list[int]], dict[str, set[str]]] | None:
    """The items of a structurally invalid instance that do parse, with their positions.

    Returns the partial instance, the original index of each kept item per collection, and
    every id found in the raw collections (so valid items are not blamed for referring to an
    item that is merely malformed). ``None`` when not even the horizon parses.
    """
    if not isinstance(data, dict):
        return None
    kept: dict[str, list[Any]] = {}
    positions: dict[str, list[int]] = {}
    raw_ids: dict[str, set[str]] = {}
    for name in COLLECTIONS:
        raw = data.get(name, [])
        items = raw if isinstance(raw, list) else []
        adapter: TypeAdapter[Any] = TypeAdapter(ITEM_TYPES[name])
        kept[name], positions[name] = [], []
        raw_ids[name] = {str(x["id"]) for x in items if isinstance(x, dict) and "id" in x}
        for index, item in enumerate(items):
            try:
                kept[name].append(adapter.validate_python(item))
                positions[name].append(index)
            except ValidationError:
                continue
    try:
        horizon = Horizon.model_validate(data.get("horizon"))
    except ValidationError:
        return None
    partial = Instance.model_construct(horizon=horizon)
    for name, items in kept.items():
        object.__setattr__(partial, name, items)
    return partial, positions, raw_ids


def validate(data: Any) -> list[Problem]:
    """Every input error of ``data`` (a parsed JSON instance); ``[]`` when it is valid.

    Field errors and cross-reference errors are reported together: when some items are
    malformed, the cross-reference checks still run over the items that parse.
    """
    try:
        instance = Instance.model_validate(data)
    except ValidationError as error:
        problems = _pydantic_problems(error)
        partial = _partial(data)
        if partial is not None:
            seen = {p.path for p in problems}
            extra = cross_reference_problems(partial[0], partial[1], partial[2])
            problems += [p for p in extra if p.path not in seen]
        return problems
    return cross_reference_problems(instance)


def load_instance(data: Any) -> Instance:
    """Validate ``data`` fully and return the instance.

    Raises
    ------
    InvalidInstance
        With every problem found, each with its JSON path.
    """
    problems = validate(data)
    if problems:
        raise InvalidInstance(problems)
    return Instance.model_validate(data)


def read_json(path: str | Path) -> Any:
    """Parse a JSON file; unreadable or malformed files raise :class:`InvalidInstance`."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise InvalidInstance([Problem(path="$", message=f"cannot read {path}: {error}")]) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        message = f"malformed JSON at line {error.lineno}, column {error.colno}: {error.msg}"
        raise InvalidInstance([Problem(path="$", message=message)]) from None


def load_instance_file(path: str | Path) -> Instance:
    """Read, parse and validate an instance file (see :func:`load_instance`)."""
    return load_instance(read_json(path))


class _Collector:
    def __init__(self, instance: Instance, positions: dict[str, list[int]] | None) -> None:
        self.instance = instance
        self.positions = positions or {}
        self.problems: list[Problem] = []
        self.start = instance.horizon.start
        self.end = instance.horizon.end

    def items(self, name: str) -> list[tuple[str, Any]]:
        """(JSON path, item) for each parsed item of a collection, by original position."""
        items = getattr(self.instance, name)
        where = self.positions.get(name, list(range(len(items))))
        return [(f"$.{name}[{i}]", item) for i, item in zip(where, items, strict=True)]

    def add(self, path: str, message: str) -> None:
        self.problems.append(Problem(path=path, message=message))

    def date_in_horizon(self, path: str, value: dt.date | None) -> None:
        if value is not None and not self.start <= value <= self.end:
            self.add(path, f"{value} is outside the horizon {self.start}..{self.end}")

    def span(self, path: str, start: dt.date | None, end: dt.date | None, end_name: str) -> None:
        self.date_in_horizon(f"{path}.start", start)
        self.date_in_horizon(f"{path}.{end_name}", end)
        if start is not None and end is not None and end < start:
            self.add(f"{path}.{end_name}", f"{end_name} {end} is before start {start}")

    def unique(self, name: str) -> set[str]:
        seen: set[str] = set()
        for path, item in self.items(name):
            if item.id in seen:
                self.add(f"{path}.id", f"duplicate id {item.id!r}")
            seen.add(item.id)
        return seen

    def known(self, path: str, value: str | None, known: set[str], what: str) -> None:
        if value is not None and value not in known:
            self.add(path, f"unknown {what} {value!r}")


def cross_reference_problems(
    instance: Instance,
    positions: dict[str, list[int]] | None = None,
    raw_ids: dict[str, set[str]] | None = None,
) -> list[Problem]:
    """Problems that relate several fields or items.

    ``positions`` and ``raw_ids`` come from :func:`_partial` when only part of the instance
    parsed: the original index of each item, and the ids present in the raw input.
    """
    c = _Collector(instance, positions)
    h = instance.horizon
    if h.end < h.start:
        c.add("$.horizon.end", f"end {h.end} is before start {h.start}")
    elif not working_dates(h):
        c.add("$.horizon", "the horizon has no working dates")
    for i, day in enumerate(h.holidays):
        c.date_in_horizon(f"$.horizon.holidays[{i}]", day)

    ids = {name: c.unique(name) for name in ("specialists", "projects", "workplaces", "tasks")}
    for name, found in (raw_ids or {}).items():
        ids.setdefault(name, set()).update(found)
    specialists, projects = ids["specialists"], ids["projects"]

    for path, s in c.items("specialists"):
        if s.sourcing == "outsourced" and not s.vendor:
            c.add(f"{path}.vendor", "an outsourced specialist needs a vendor")
        if s.sourcing == "in_house" and s.vendor:
            c.add(f"{path}.vendor", "an in-house specialist has no vendor")
        for j, span in enumerate(s.unavailable):
            c.span(f"{path}.unavailable[{j}]", span.start, span.end, "end")
        for j, project in enumerate(s.familiar_projects):
            c.known(f"{path}.familiar_projects[{j}]", project, projects, "project")
        for j, role in enumerate(s.roles):
            if s.roles.index(role) != j:
                c.add(f"{path}.roles[{j}]", f"duplicate role {role!r}")

    for name, end in (("workplaces", "end"), ("tasks", "due")):
        for path, item in c.items(name):
            c.known(f"{path}.project", item.project, projects, "project")
            c.span(path, item.start, getattr(item, end), end)
            for j, cand in enumerate(item.candidates or []):
                c.known(f"{path}.candidates[{j}]", cand, specialists, "specialist")

    seen_fixed: set[tuple[Any, ...]] = set()
    for path, f in c.items("fixed"):
        c.known(f"{path}.specialist", f.specialist, specialists, "specialist")
        c.known(f"{path}.workplace", f.workplace, ids["workplaces"], "workplace")
        c.known(f"{path}.task", f.task, ids["tasks"], "task")
        c.date_in_horizon(f"{path}.date", f.date)
        if f.hours is not None and f.date is None and f.workplace is not None:
            c.add(f"{path}.hours", "hours on a fixed workplace need a date")
        key = (f.specialist, f.workplace, f.task, f.date)
        if key in seen_fixed:
            c.add(path, "the same fixed assignment is listed twice")
        seen_fixed.add(key)
    return c.problems
