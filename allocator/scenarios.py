"""What-if scenarios: variants of a base instance, solved as one batch and compared.

A scenario spec is JSON::

    {"scenarios": [
      {"name": "share-0.4", "in_house_share": 0.4},
      {"name": "no-pixelworks", "remove_vendor": "pixelworks"},
      {"name": "tasks+10%", "demand_factor": 1.1},
      {"name": "ana-on-leave",
       "leave": {"specialist": "ana", "start": "2027-01-11", "end": "2027-01-15"}}
    ]}

Each scenario applies its changes to a copy of the base instance (one scenario may combine
several):

- ``in_house_share``: every project's ``min_in_house_share`` becomes this value;
- ``remove_vendor`` (a name or a list): the vendor's specialists leave, and with them the
  fixed assignments, candidate entries and previous-plan rows that name them;
- ``demand_factor``: every task's ``effort_hours`` is multiplied by it, rounded to 0.25 h (at
  least 0.25). Workplaces stay as they are: a seat funded for 8 h a day is still one 8 h
  seat (scaling its hours a day would make it unfillable by an 8 h specialist, not bigger);
- ``leave`` (one or a list): the specialist is unavailable on those dates too.

Spec errors are reported all at once, each with its JSON path in the spec
(``$.scenarios[2].demand_factor``), as :class:`InvalidScenarios`.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from allocator.batch import BatchItem
from allocator.documents import InvalidDocument, read_json
from allocator.schema import Day, Instance, Problem
from allocator.validate import _pydantic_problems, _salvaged, merged, unsound_problems

__all__ = [
    "BASE",
    "InvalidScenarios",
    "Leave",
    "Scenario",
    "ScenarioSpec",
    "apply_scenario",
    "comparison_frame",
    "describe",
    "load_spec",
    "read_spec",
    "scenario_items",
    "scenario_problems",
    "spec_problems",
]

BASE = "base"
"""Name of the base instance's row (reserved: no scenario may use it)."""
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+%=-]*")
"""Scenario names are file names too (``OUTDIR/<name>.plan.json``)."""
QUARTER = 0.25


class InvalidScenarios(InvalidDocument):
    """A scenario spec with errors; ``problems`` lists them with JSON paths in the spec."""

    noun = "scenario error(s)"


class _Strict(BaseModel):
    """No unknown fields and no coercion, as in the instance (:class:`allocator.schema.Strict`)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Leave(_Strict):
    """A specialist's extra leave, inclusive dates (``{"specialist", "date"}`` for one day)."""

    specialist: str = Field(min_length=1)
    start: Day
    end: Day

    @model_validator(mode="before")
    @classmethod
    def _single_date(cls, data: Any) -> Any:
        if isinstance(data, dict) and "date" in data and not {"start", "end"} & set(data):
            rest = {k: v for k, v in data.items() if k != "date"}
            return {**rest, "start": data["date"], "end": data["date"]}
        return data

    @model_validator(mode="after")
    def _ordered(self) -> Leave:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


LISTED = ("remove_vendor", "leave")
"""Fields that take one value or a list of them."""


class Scenario(_Strict):
    """One variant of the base instance (at least one change)."""

    name: str = Field(min_length=1, max_length=80)
    description: str | None = None
    in_house_share: Annotated[float, Field(ge=0, le=1)] | None = None
    remove_vendor: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)
    demand_factor: Annotated[float, Field(gt=0, le=100)] | None = None
    leave: list[Leave] = Field(default_factory=list)
    _alone: frozenset[str] = PrivateAttr(default=frozenset())

    @field_validator(*LISTED, mode="before")
    @classmethod
    def _listed(cls, value: Any) -> Any:
        return value if isinstance(value, list) else [value]

    @model_validator(mode="wrap")
    @classmethod
    def _remember_alone(cls, data: Any, handler: ModelWrapValidatorHandler[Scenario]) -> Scenario:
        scenario = handler(data)
        scenario._alone = frozenset(_alone(data))
        return scenario

    @property
    def changes(self) -> bool:
        """Whether the scenario changes anything."""
        return bool(
            self.in_house_share is not None
            or self.remove_vendor
            or self.demand_factor is not None
            or self.leave
        )

    def path(self, index: int, name: str, item: int) -> str:
        """The JSON path of item ``item`` of field ``name`` (without ``[0]`` if given alone)."""
        where = f"$.scenarios[{index}].{name}"
        return where if name in self._alone else f"{where}[{item}]"


def _alone(data: Any) -> set[str]:
    """The fields of a raw scenario given as one value rather than a list."""
    if not isinstance(data, dict):
        return set()
    return {name for name in LISTED if name in data and not isinstance(data[name], list)}


def _paths_as_given(problems: list[Problem], data: Any) -> list[Problem]:
    """``$.scenarios[1].leave[0].end`` -> ``$.scenarios[1].leave.end`` when the leave was
    given alone, not in a list."""
    raw = data.get("scenarios") if isinstance(data, dict) else None
    prefixes = {
        f"$.scenarios[{i}].{name}[0]": f"$.scenarios[{i}].{name}"
        for i, scenario in enumerate(raw if isinstance(raw, list) else [])
        for name in _alone(scenario)
    }
    out = []
    for problem in problems:
        path = problem.path
        for prefix, replacement in prefixes.items():
            if path == prefix or path.startswith((f"{prefix}.", f"{prefix}[")):
                path = replacement + path[len(prefix) :]
        out.append(Problem(path=path, message=problem.message))
    return out


class ScenarioSpec(_Strict):
    description: str | None = None
    scenarios: list[Scenario] = Field(min_length=1)


def load_spec(data: Any) -> ScenarioSpec:
    """Validate a parsed spec.

    Raises
    ------
    InvalidScenarios
        With every field error, each with its JSON path.
    """
    problems = spec_problems(data)
    if problems:
        raise InvalidScenarios(problems)
    return ScenarioSpec.model_validate(data)


def read_spec(path: Path) -> ScenarioSpec:
    """Read and validate a spec file (see :func:`load_spec`)."""
    return load_spec(_read(path))


def _read(path: Path) -> Any:
    try:
        return read_json(path)
    except InvalidDocument as error:
        raise InvalidScenarios(error.problems) from None


def spec_problems(data: Any, base: Instance | None = None) -> list[Problem]:
    """Every error of a parsed spec, with JSON paths in the spec: field errors and, against
    the ``base`` instance when given, the errors of every scenario that parses (see
    :func:`scenario_problems`), all at once."""
    data, problems, fatal = unsound_problems(data)
    if fatal:
        return problems
    try:
        spec = ScenarioSpec.model_validate(data)
    except ValidationError as error:
        problems = merged(problems, _paths_as_given(_pydantic_problems(error), data))
        raw = data.get("scenarios") if isinstance(data, dict) else None
        parsed = []
        adapter: TypeAdapter[Scenario] = TypeAdapter(Scenario)
        for i, item in enumerate(raw if isinstance(raw, list) else []):
            try:
                parsed.append((i, adapter.validate_python(item)))
            except ValidationError as bad:  # its other fields are still checked
                salvaged = _salvaged(adapter, item, bad)
                if salvaged is not None:
                    parsed.append((i, salvaged))
    else:
        parsed = list(enumerate(spec.scenarios))
    if base is not None:
        # (a scenario whose field is wrong is not also said to change nothing, say)
        seen = {p.path for p in problems}
        problems += [
            p
            for p in _reference_problems(parsed, base)
            if p.path not in seen and not any(path.startswith(p.path + ".") for path in seen)
        ]
    return problems


def scenario_problems(spec: ScenarioSpec, base: Instance) -> list[Problem]:
    """Errors of a well-formed spec against its base instance, with JSON paths in the spec.

    Names must be distinct, usable as file names and not ``"base"``; a scenario changes
    something; vendors and specialists exist in the base; leave lies in the horizon.
    """
    return _reference_problems(list(enumerate(spec.scenarios)), base)


def _reference_problems(scenarios: list[tuple[int, Scenario]], base: Instance) -> list[Problem]:
    """:func:`scenario_problems` of the scenarios, each with its index in the spec."""
    problems: list[Problem] = []

    def add(path: str, message: str) -> None:
        problems.append(Problem(path=path, message=message))

    vendors = {s.vendor for s in base.specialists if s.vendor}
    specialists = {s.id for s in base.specialists}
    horizon = base.horizon
    seen: set[str] = set()
    for i, scenario in scenarios:
        path = f"$.scenarios[{i}]"
        if not NAME.fullmatch(scenario.name):
            add(f"{path}.name", "use letters, digits and . _ + % = - (it names the plan file)")
        if scenario.name == BASE:
            add(f"{path}.name", f"{BASE!r} is the base instance's row")
        if scenario.name in seen:
            add(f"{path}.name", f"duplicate scenario name {scenario.name!r}")
        seen.add(scenario.name)
        if not scenario.changes:
            add(path, "the scenario changes nothing")
        for j, vendor in enumerate(scenario.remove_vendor):
            if vendor not in vendors:
                add(scenario.path(i, "remove_vendor", j), f"unknown vendor {vendor!r}")
        for j, leave in enumerate(scenario.leave):
            where = scenario.path(i, "leave", j)
            if leave.specialist not in specialists:
                add(f"{where}.specialist", f"unknown specialist {leave.specialist!r}")
            for name in ("start", "end"):
                day = getattr(leave, name)
                if not horizon.start <= day <= horizon.end:
                    add(
                        f"{where}.{name}",
                        f"{day} is outside the horizon {horizon.start}..{horizon.end}",
                    )
    return problems


def _scaled(hours: float, factor: float) -> float:
    return max(QUARTER, round(hours * factor / QUARTER) * QUARTER)


def _without(items: list[Any], removed: set[str], key: str) -> list[Any]:
    return [x for x in items if not (isinstance(x, dict) and x.get(key) in removed)]


def _remove_people(data: dict[str, Any], removed: set[str]) -> None:
    data["specialists"] = _without(data.get("specialists", []), removed, "id")
    data["fixed"] = _without(data.get("fixed", []), removed, "specialist")
    for name in ("workplaces", "tasks"):
        for item in data.get(name, []):
            if item.get("candidates") is not None:
                item["candidates"] = [c for c in item["candidates"] if c not in removed]
    previous = data.get("previous_plan")
    if isinstance(previous, dict):
        for name in ("workplaces", "assignments"):
            previous[name] = _without(previous.get(name, []), removed, "specialist")


def apply_scenario(base: dict[str, Any], scenario: Scenario) -> dict[str, Any]:
    """The base instance (a JSON-ready dict) with the scenario's changes; ``base`` is kept.

    The variant is named ``<base name>/<scenario name>``.
    """
    data = copy.deepcopy(base)
    data["name"] = f"{base.get('name', 'instance')}/{scenario.name}"
    if scenario.in_house_share is not None:
        for project in data.get("projects", []):
            project["min_in_house_share"] = scenario.in_house_share
    if scenario.remove_vendor:
        vendors = set(scenario.remove_vendor)
        removed = {s["id"] for s in data.get("specialists", []) if s.get("vendor") in vendors}
        _remove_people(data, removed)
    if scenario.demand_factor is not None:
        factor = scenario.demand_factor
        for task in data.get("tasks", []):
            task["effort_hours"] = _scaled(task["effort_hours"], factor)
    for leave in scenario.leave:
        for specialist in data.get("specialists", []):
            if specialist["id"] == leave.specialist:
                span = {"start": leave.start.isoformat(), "end": leave.end.isoformat()}
                specialist["unavailable"] = [*specialist.get("unavailable", []), span]
    return data


def describe(scenario: Scenario) -> str:
    """The scenario's changes in a few words (its ``description`` when given)."""
    if scenario.description:
        return scenario.description
    parts = []
    if scenario.in_house_share is not None:
        parts.append(f"in-house share {scenario.in_house_share:.0%}")
    parts += [f"without vendor {v}" for v in scenario.remove_vendor]
    if scenario.demand_factor is not None:
        parts.append(f"demand ×{scenario.demand_factor:g}")
    parts += [f"{leave.specialist} on leave {leave.start}..{leave.end}" for leave in scenario.leave]
    return "; ".join(parts)


def scenario_items(spec_path: Path, base_path: Path) -> tuple[ScenarioSpec, list[BatchItem]]:
    """The batch of a scenario spec: the base instance's item, then one per scenario.

    Every item's sources are the spec and the base file (a plan older than either is out of
    date).

    Raises
    ------
    InvalidScenarios
        When the spec has errors (against the base instance too).
    allocator.validate.InvalidInstance
        When the base instance is not valid.
    """
    from allocator.validate import load_instance

    spec_data = _read(spec_path)
    data = read_json(base_path)
    base = load_instance(data)
    problems = spec_problems(spec_data, base)
    if problems:
        raise InvalidScenarios(problems)
    spec = ScenarioSpec.model_validate(spec_data)
    sources = (spec_path, base_path)
    items = [BatchItem(BASE, json.dumps(data), sources)]
    for scenario in spec.scenarios:
        text = json.dumps(apply_scenario(data, scenario))
        items.append(BatchItem(scenario.name, text, sources))
    return spec, items


def comparison_frame(frame: pd.DataFrame, spec: ScenarioSpec) -> pd.DataFrame:
    """The batch summary with each row's changes and its differences from the base row.

    Adds ``changes`` (after ``instance``), ``unmet_vs_base`` and ``cost_vs_base`` (before
    ``error``).
    """
    out = frame.copy()
    changes = {s.name: describe(s) for s in spec.scenarios}
    out.insert(1, "changes", [changes.get(name, "as given") for name in out["instance"]])
    base = out[out["instance"] == BASE]
    at = list(out.columns).index("error")
    for column, name in (("unmet_hours", "unmet_vs_base"), ("cost", "cost_vs_base")):
        reference = base[column].iloc[0] if len(base) else float("nan")
        out.insert(at, name, out[column] - reference)
        at += 1
    return out
