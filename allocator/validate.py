"""Input validation: every problem of an instance, at once, each with its JSON path.

Field-level problems come from pydantic (:mod:`allocator.schema`); cross-reference problems
(unknown ids, duplicates, dates outside the horizon, end before start, vendor iff outsourced)
are found here (spec, "Field rules": "All of them are reported at once, each with its JSON
path; nothing is solved").
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from allocator.calendar import working_dates
from allocator.documents import (
    NOT_FINITE,
    InvalidDocument,
    Location,
    json_path,
    read_json,
    unsound_values,
)
from allocator.schema import (
    Fixed,
    Horizon,
    Instance,
    Plan,
    Problem,
    Project,
    SolverSettings,
    Specialist,
    Task,
    Workplace,
    readable,
)


class InvalidInstance(InvalidDocument):
    """Raised when an instance has input errors; ``problems`` lists them with JSON paths."""


_JSON_TYPES: dict[type, str] = {
    list: "an array",
    dict: "an object",
    str: "a string",
    bool: "a boolean",
    int: "a number",
    float: "a number",
    type(None): "null",
}

MODEL_FIELD_OF_ERROR: dict[str, str] = {
    "objective.order lists a goal twice": "order",
    "objective.order must name at least one goal": "order",
}
"""Errors raised by a model-level validator that belong to one of the model's fields."""


def json_type(value: Any) -> str:
    """The JSON name of a parsed value's type: ``an array``, ``a string``, ..."""
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _without(data: Any, locations: list[Location]) -> Any:
    """A copy of ``data`` with the values at ``locations`` replaced by ``None`` (one copy
    for them all; ``data`` itself is left as it is)."""
    if not locations:
        return data
    if not all(locations):
        return None  # the document itself is the bad value
    out = copy.deepcopy(data)
    for *parents, last in locations:
        node = out
        for part in parents:
            node = node[part]
        node[last] = None
    return out


def unsound_problems(data: Any) -> tuple[Any, list[Problem], bool]:
    """``data`` with its NaN, infinite numbers and lone surrogates replaced by ``None``, the
    problems they are, and whether a problem stops reading (too deep, see
    :func:`allocator.documents.unsound_values`)."""
    found = unsound_values(data)
    if found.fatal is not None:
        return data, [found.fatal], True
    return _without(data, [*found.non_finite, *found.surrogates]), found.problems(), False


_SCALAR_TYPES = {
    "string_type": "a string",
    "int_type": "an integer",
    "bool_type": "a boolean",
    "float_type": "a number",
}
"""pydantic's type errors of scalars, and what the field expects."""


def merged(problems: list[Problem], more: list[Problem]) -> list[Problem]:
    """``problems`` then those of ``more`` at a path not reported yet (one problem a path:
    the first found, usually the more basic one)."""
    seen = {p.path for p in problems}
    return problems + [p for p in more if p.path not in seen]


def _pydantic_problems(error: ValidationError) -> list[Problem]:
    problems = []
    for item in error.errors(include_url=False):
        loc = [part for part in item["loc"] if not str(part).startswith("function-")]
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown field"
        elif item["type"] == "missing":
            message = "required field is missing"
        elif item["type"] in ("model_type", "model_attributes_type", "dict_type"):
            message = f"expected a JSON object, not {json_type(item['input'])}"
        elif item["type"] == "list_type":
            message = f"expected a JSON array, not {json_type(item['input'])}"
        elif item["type"] == "float_type" and isinstance(item["input"], int):
            message = NOT_FINITE  # an integer literal beyond a float's range
        elif item["type"] in _SCALAR_TYPES:
            message = f"expected {_SCALAR_TYPES[item['type']]}, not {json_type(item['input'])}"
        if message in MODEL_FIELD_OF_ERROR:
            loc.append(MODEL_FIELD_OF_ERROR[message])
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


# stand-ins for a malformed required field, so the item's other fields are still checked
# (no cross-reference check reads these)
_STAND_INS: dict[str, Any] = {
    "hours_per_day": 8,
    "cost_per_hour": 0,
    "effort_hours": 1,
    "roles": ["-"],
    "program": "mixed",
}


_ELEMENT_WISE = frozenset({"holidays", "unavailable", "familiar_projects", "candidates", "roles"})
"""List fields whose elements stand alone: leaving a malformed one out changes no check of
the others (unlike ``workdays``, whose loss would make dates look like non-working ones)."""


def _salvaged(
    adapter: TypeAdapter[Any],
    item: Any,
    error: ValidationError,
    kept: dict[str, list[int]] | None = None,
) -> Any | None:
    """``item`` without its malformed fields (a required one stood in for, see
    :data:`_STAND_INS`), when that parses: its other fields then still get the
    cross-reference checks (all problems at once). ``None`` when the id is malformed, a rule
    of the whole item failed, or the item still does not parse.

    With ``kept``, a list field of :data:`_ELEMENT_WISE` whose errors are all in some of its
    elements keeps its other elements (so they are checked too), and ``kept[field]``
    records their original indexes; when that does not parse (an emptied list may be too
    short), the fields go whole.
    """
    if not isinstance(item, dict):
        return None
    errors = error.errors()
    bad = {e["loc"][0] for e in errors if e["loc"] and isinstance(e["loc"][0], str)}
    if not bad or "id" in bad or any(not e["loc"] for e in errors):
        return None
    for element_wise in (True, False) if kept is not None else (False,):
        trimmed = {key: value for key, value in item.items() if key not in bad}
        trimmed.update({key: _STAND_INS[key] for key in bad & _STAND_INS.keys()})
        indexes: dict[str, list[int]] = {}
        for name in bad & _ELEMENT_WISE if element_wise else ():
            value = item.get(name)
            where = [e["loc"] for e in errors if e["loc"][0] == name]
            if isinstance(value, list) and all(len(w) > 1 and isinstance(w[1], int) for w in where):
                wrong = {w[1] for w in where}
                indexes[name] = [i for i in range(len(value)) if i not in wrong]
                trimmed[name] = [value[i] for i in indexes[name]]
        try:
            parsed = adapter.validate_python(trimmed)
        except ValidationError:
            continue
        if kept is not None:
            kept.update(indexes)
        return parsed
    return None


@dataclass
class _Partial:
    """The items of a structurally invalid instance that do parse (see :func:`_partial`)."""

    instance: Instance
    """The items that parse; its horizon is ``None`` when the horizon does not parse."""
    positions: dict[str, list[int]]
    """The original index of each kept item, per collection."""
    raw_ids: dict[str, list[tuple[int, str]] | None]
    """The ``(index, id)`` of every raw item with an id, per collection (so valid items are
    not blamed for referring to an item that is merely malformed, and a malformed duplicate
    is still reported); ``None`` for a collection that is not even a list (nothing is then
    known of its ids)."""
    salvaged: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    """Per path of an item kept without its malformed fields (``$.horizon`` too), the
    original indexes of the elements kept of each list field that lost some (see
    :func:`_salvaged`)."""


def _is_id(value: Any) -> bool:
    return isinstance(value, str) and value != ""


def _partial(data: Any) -> _Partial | None:
    """The items of a structurally invalid instance that do parse, with their positions;
    ``None`` when ``data`` is not an object."""
    if not isinstance(data, dict):
        return None
    kept: dict[str, list[Any]] = {}
    positions: dict[str, list[int]] = {}
    raw_ids: dict[str, list[tuple[int, str]] | None] = {}
    salvaged: dict[str, dict[str, list[int]]] = {}
    for name in COLLECTIONS:
        raw = data.get(name, [])
        items = raw if isinstance(raw, list) else []
        adapter: TypeAdapter[Any] = TypeAdapter(ITEM_TYPES[name])
        kept[name], positions[name] = [], []
        raw_ids[name] = (
            [
                (i, x["id"])
                for i, x in enumerate(items)
                if isinstance(x, dict) and _is_id(x.get("id"))
            ]
            if isinstance(raw, list)
            else None
        )
        for index, item in enumerate(items):
            try:
                kept[name].append(adapter.validate_python(item))
            except ValidationError as error:
                elements: dict[str, list[int]] = {}
                parsed = _salvaged(adapter, item, error, elements)
                if parsed is None:
                    continue
                kept[name].append(parsed)
                salvaged[f"$.{name}[{index}]"] = elements
            positions[name].append(index)
    try:
        horizon: Horizon | None = Horizon.model_validate(data.get("horizon"))
    except ValidationError as error:  # (a bad holiday does not hide the other date checks)
        salvaged["$.horizon"] = {}
        horizon = _salvaged(TypeAdapter(Horizon), data.get("horizon"), error, salvaged["$.horizon"])
    values: dict[str, Any] = {"horizon": horizon}  # may be None: see cross_reference_problems
    with contextlib.suppress(ValidationError):  # a malformed solver is reported already
        values["solver"] = SolverSettings.model_validate(data.get("solver", {}))
    if data.get("previous_plan") is not None:
        with contextlib.suppress(ValidationError):  # (reported already)
            values["previous_plan"] = Plan.model_validate(data["previous_plan"])
    instance = Instance.model_construct(**values)
    for name, items in kept.items():
        object.__setattr__(instance, name, items)
    return _Partial(instance, positions, raw_ids, salvaged)


def _order_twice(data: dict[str, Any]) -> list[Problem]:
    """A goal listed twice in a raw ``objective.order`` (the model's own check does not run
    when another of its goals is unknown)."""
    objective = data.get("objective")
    order = objective.get("order") if isinstance(objective, dict) else None
    names = [str(goal) for goal in order] if isinstance(order, list) else []
    if len(set(names)) == len(names):
        return []
    return [Problem(path="$.objective.order", message="objective.order lists a goal twice")]


def validate(data: Any) -> list[Problem]:
    """Every input error of ``data`` (a parsed JSON instance); ``[]`` when it is valid.

    Field errors and cross-reference errors are reported together: when some items are
    malformed, the cross-reference checks still run over the items that parse (and the
    checks that need no horizon run even when the horizon is malformed). NaN and infinite
    numbers, which Python's ``json`` module accepts, are reported as such.
    """
    data, problems, fatal = unsound_problems(data)
    if fatal:
        return problems
    try:
        instance = Instance.model_validate(data)
    except ValidationError as error:
        problems = merged(problems, _pydantic_problems(error))
        partial = _partial(data)
        if partial is not None:
            extra = cross_reference_problems(partial.instance, partial) + _order_twice(data)
            problems = merged(problems, extra)
        return problems
    return merged(problems, cross_reference_problems(instance))


def load_instance(data: Any) -> Instance:
    """Validate ``data`` fully and return the instance.

    Raises
    ------
    InvalidInstance
        With every problem found, each with its JSON path.
    """
    problems = validate(data)
    if problems:
        raise InvalidInstance(problems, data)
    return Instance.model_validate(data)


class InvalidPlan(InvalidDocument):
    """Raised when a plan document is malformed; ``problems`` lists them with JSON paths."""

    noun = "plan error(s)"


def plan_problems(data: Any) -> list[Problem]:
    """Every field error of ``data`` (a parsed JSON plan) with its JSON path; ``[]`` when it
    is a well-formed plan (whether it keeps the rules is :func:`allocator.check.check_plan`'s
    question). NaN and infinite numbers are reported as such."""
    data, problems, fatal = unsound_problems(data)
    if fatal:
        return problems
    try:
        Plan.model_validate(data)
    except ValidationError as error:
        problems = merged(problems, _pydantic_problems(error))
    return problems


def load_plan(data: Any) -> Plan:
    """Validate ``data`` as a plan and return it.

    Raises
    ------
    InvalidPlan
        With every field error, each with its JSON path (see :func:`plan_problems`).
    """
    problems = plan_problems(data)
    if problems:
        raise InvalidPlan(problems, data)
    return Plan.model_validate(data)


def load_instance_file(path: str | Path) -> Instance:
    """Read, parse and validate an instance file (see :func:`load_instance`).

    Raises
    ------
    InvalidDocument
        When the file cannot be read or parsed (:func:`allocator.documents.read_json`).
    InvalidInstance
        With every input error of the instance.
    """
    return load_instance(read_json(path))


ENGINE_LIMITS: dict[tuple[str, str], float] = {
    ("specialists", "cost_per_hour"): 1_000_000,
    ("projects", "onboarding_hours"): 10_000,
    ("tasks", "effort_hours"): 1_000_000,
    ("fixed", "hours"): 1_000_000,
    ("specialists", "max_projects"): 10_000,
    ("tasks", "max_assignees"): 10_000,
}
"""Largest values the engine represents: the model works in 64-bit integers of quarter-hours
and 1/400 currency units, so absurd magnitudes would overflow CP-SAT (far above any real
rate, effort or onboarding)."""

EARLIEST_DATE, LATEST_DATE = dt.date(1900, 1, 1), dt.date(2999, 12, 31)
"""Range of a horizon's dates (a year such as 0207 or 9999 is a typing slip, and dates at
the ends of Python's calendar cannot be shifted across time zones)."""

MAX_HORIZON_DAYS = 3660
"""Longest horizon, in calendar days (ten years): a plan is made for at most that long
(longer ones belong in several instances), and the model grows with every date."""

MAX_SEED = 2**31 - 1
"""CP-SAT's ``random_seed`` is a 32-bit integer."""


class _Collector:
    def __init__(self, instance: Instance, partial: _Partial | None) -> None:
        self.instance = instance
        self.positions = partial.positions if partial else {}
        self.lists = partial.salvaged if partial else {}
        self.problems: list[Problem] = []
        self._normal: dict[int, dict[str, str]] = {}  # per id set: its ids in NFC form
        horizon: Horizon | None = instance.horizon
        # No in-horizon checks without a horizon (malformed) or with an inverted one (every
        # date would be "outside" it; the inversion itself is reported).
        sound = (
            horizon is not None
            and EARLIEST_DATE <= horizon.start <= horizon.end <= LATEST_DATE
            and (horizon.end - horizon.start).days < MAX_HORIZON_DAYS
        )
        self.start = horizon.start if sound and horizon else None
        self.end = horizon.end if sound and horizon else None

    def items(self, name: str) -> list[tuple[str, Any]]:
        """(JSON path, item) for each parsed item of a collection, by original position."""
        return [(f"$.{name}[{i}]", item) for i, item in self._indexed(name)]

    def elements(self, path: str, name: str, values: list[Any] | None) -> list[tuple[int, Any]]:
        """(original index, value) of the list field ``name`` of the item at ``path``: the
        kept elements keep their indexes when malformed ones were left out."""
        values = values or []
        where = self.lists.get(path, {}).get(name, range(len(values)))
        return list(zip(where, values, strict=True))

    def add(self, path: str, message: str) -> None:
        self.problems.append(Problem(path=path, message=message))

    def date_in_horizon(self, path: str, value: dt.date | None) -> None:
        if self.start is None or self.end is None or value is None:
            return
        if not self.start <= value <= self.end:
            self.add(path, f"{value} is outside the horizon {self.start}..{self.end}")

    def span(self, path: str, start: dt.date | None, end: dt.date | None, end_name: str) -> None:
        self.date_in_horizon(f"{path}.start", start)
        self.date_in_horizon(f"{path}.{end_name}", end)
        if start is not None and end is not None and end < start:
            self.add(f"{path}.{end_name}", f"{end_name} {end} is before start {start}")

    def unique(self, name: str, raw: list[tuple[int, str]] | None = None) -> set[str]:
        """The ids of a collection; reports each repeated id (raw items too, when given)."""
        pairs = raw if raw is not None else [(i, item.id) for i, item in self._indexed(name)]
        seen: set[str] = set()
        for i, item_id in pairs:
            if item_id in seen:
                self.add(f"$.{name}[{i}].id", f"duplicate id {item_id!r}")
            seen.add(item_id)
        return seen

    def _indexed(self, name: str) -> list[tuple[int, Any]]:
        items = getattr(self.instance, name)
        where = self.positions.get(name, list(range(len(items))))
        return list(zip(where, items, strict=True))

    def limits(self) -> None:
        for (name, attribute), limit in ENGINE_LIMITS.items():
            for path, item in self.items(name):
                value = getattr(item, attribute)
                if value is not None and value > limit:
                    message = f"{readable(value)} is too large (at most {limit:,.0f})"
                    self.add(f"{path}.{attribute}", message)

    def known(self, path: str, value: str | None, known: set[str] | None, what: str) -> None:
        """Reports ``value`` unless it is one of ``known`` (``None``: nothing is known), with
        the id it likely means when the two differ only in how Unicode writes them
        (``"josé"`` composed or as ``e`` and a combining accent)."""
        if value is None or known is None or value in known:
            return
        message = f"unknown {what} {value!r}"
        if id(known) not in self._normal:
            self._normal[id(known)] = {unicodedata.normalize("NFC", k): k for k in known}
        alike = self._normal[id(known)].get(unicodedata.normalize("NFC", value))
        if alike is not None:
            message += f" (the {what} {alike!r} looks the same but is written differently)"
        self.add(path, message)


def _horizon_problems(c: _Collector, h: Horizon) -> None:
    """Dates out of range, an inverted or too long horizon, no working dates, holidays
    outside the horizon."""
    for name, day in (("start", h.start), ("end", h.end)):
        if not EARLIEST_DATE <= day <= LATEST_DATE:
            c.add(f"$.horizon.{name}", f"{day} is out of range ({EARLIEST_DATE}..{LATEST_DATE})")
    if c.start is None:  # (the holidays are then not checked: see _Collector)
        if EARLIEST_DATE <= h.end < h.start <= LATEST_DATE:
            c.add("$.horizon.end", f"end {h.end} is before start {h.start}")
        elif EARLIEST_DATE <= h.start <= h.end <= LATEST_DATE:
            days = (h.end - h.start).days + 1
            c.add("$.horizon.end", f"the horizon spans {days:,} days; at most {MAX_HORIZON_DAYS:,}")
        return
    if not working_dates(h):
        c.add("$.horizon", "the horizon has no working dates")
    for i, day in c.elements("$.horizon", "holidays", h.holidays):
        c.date_in_horizon(f"$.horizon.holidays[{i}]", day)


def cross_reference_problems(instance: Instance, partial: _Partial | None = None) -> list[Problem]:
    """Problems that relate several fields or items.

    ``partial`` comes from :func:`_partial` when only part of the instance parsed (then
    ``instance`` is ``partial.instance``): its horizon may be ``None`` (malformed), and the
    date checks are skipped while every other check still runs.
    """
    c = _Collector(instance, partial)
    salvaged = partial.salvaged if partial else {}
    h: Horizon | None = instance.horizon
    if h is not None:
        _horizon_problems(c, h)

    raw: dict[str, list[tuple[int, str]] | None] = partial.raw_ids if partial else {}
    ids = {
        name: None if name in raw and raw[name] is None else c.unique(name, raw.get(name))
        for name in ("specialists", "projects", "workplaces", "tasks")
    }
    specialists, projects = ids["specialists"], ids["projects"]

    for path, s in c.items("specialists"):
        if s.sourcing == "outsourced" and not s.vendor:
            c.add(f"{path}.vendor", "an outsourced specialist needs a vendor")
        if s.sourcing == "in_house" and s.vendor:
            c.add(f"{path}.vendor", "an in-house specialist has no vendor")
        for j, span in c.elements(path, "unavailable", s.unavailable):
            where = f"{path}.unavailable[{j}]"
            if span.written == "range":
                c.span(where, span.start, span.end, "end")
            else:  # one date, named as the input wrote it
                c.date_in_horizon(where + (".date" if span.written == "date" else ""), span.start)
        for j, project in c.elements(path, "familiar_projects", s.familiar_projects):
            c.known(f"{path}.familiar_projects[{j}]", project, projects, "project")
        roles: set[str] = set()
        for j, role in c.elements(path, "roles", s.roles):
            if role in roles:
                c.add(f"{path}.roles[{j}]", f"duplicate role {role!r}")
            roles.add(role)

    for name, end in (("workplaces", "end"), ("tasks", "due")):
        for path, item in c.items(name):
            c.known(f"{path}.project", item.project, projects, "project")
            c.span(path, item.start, getattr(item, end), end)
            for j, cand in c.elements(path, "candidates", item.candidates):
                c.known(f"{path}.candidates[{j}]", cand, specialists, "specialist")

    seen_fixed: set[tuple[Any, ...]] = set()
    for path, f in c.items("fixed"):
        one_target = (f.workplace is None) != (f.task is None)
        if not one_target:
            c.add(path, "a fixed assignment names exactly one of 'workplace' or 'task'")
        c.known(f"{path}.specialist", f.specialist, specialists, "specialist")
        c.known(f"{path}.workplace", f.workplace, ids["workplaces"], "workplace")
        c.known(f"{path}.task", f.task, ids["tasks"], "task")
        c.date_in_horizon(f"{path}.date", f.date)
        if path in salvaged or not one_target:  # (read without a bad field: not comparable)
            continue
        if f.hours is not None and f.date is None and f.workplace is not None:
            c.add(f"{path}.hours", "hours on a fixed workplace need a date")
        key = (f.specialist, f.workplace, f.task, f.date)
        if key in seen_fixed:
            c.add(path, "the same fixed assignment is listed twice")
        seen_fixed.add(key)

    previous = instance.previous_plan
    listed: set[str] = set()  # a plan fills a workplace once (its items may be gone since)
    for j, fill in enumerate(previous.workplaces if previous is not None else []):
        if fill.workplace in listed:
            c.add(
                f"$.previous_plan.workplaces[{j}].workplace",
                f"workplace {fill.workplace!r} is listed more than once",
            )
        listed.add(fill.workplace)
    for j, row in enumerate(previous.assignments if previous is not None else []):
        if (row.workplace is None) == (row.task is None):
            c.add(
                f"$.previous_plan.assignments[{j}]",
                "an assignment names exactly one of 'workplace' or 'task'",
            )

    c.limits()
    if instance.solver.seed > MAX_SEED:
        c.add("$.solver.seed", f"{instance.solver.seed} is too large (at most {MAX_SEED})")
    return c.problems
