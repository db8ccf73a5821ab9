"""The contract: the instance and the plan, as ``../shared/spec/problem.md`` defines them.

Everything here is plain validated data (pydantic v2, ``extra="forbid"``). Field-level rules
(ranges, quarter-hour multiples, enum values) live here; rules that relate several fields or
items (unknown references, duplicates, dates outside the horizon) live in
:mod:`allocator.validate`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from enum import StrEnum
from typing import Annotated, Any, Final, Literal

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidatorFunctionWrapHandler,
    model_validator,
)

FORMAT: Final = "allocator/1"

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Sourcing = Literal["in_house", "outsourced"]
SourcingRule = Literal["in_house", "outsourced", "any"]
Program = Literal["time_based", "project_based", "mixed"]
Goal = Literal["coverage", "cost", "stability"]
GOALS: tuple[Goal, ...] = ("coverage", "cost", "stability")
Status = Literal["optimal", "feasible", "infeasible", "invalid", "unknown"]


class Rule(StrEnum):
    """Names of the hard rules (spec, "What a plan must satisfy").

    The same name is used by the model's constraints, the checker's violations and the
    plan's explanations.
    """

    ELIGIBILITY = "eligibility"
    WORKPLACE_FILL = "workplace_fill"
    DAILY_CAPACITY = "daily_capacity"
    EXCLUSIVITY = "exclusivity"
    TASK_WINDOW = "task_window"
    TASK_EFFORT = "task_effort"
    MIN_DAILY_HOURS = "min_daily_hours"
    MAX_ASSIGNEES = "max_assignees"
    MAX_PROJECTS = "max_projects"
    IN_HOUSE_SHARE = "in_house_share"
    FIXED = "fixed"
    REQUIRED = "required"


GAP_TOLERANCE = 1e-6
"""A goal whose relative gap, (value - bound) / value, is at most this, or whose value is at
most :data:`GAP_ABSOLUTE` above its bound, is proven: the plan's gap is the first goal's
that is not (its solver and its checker alike)."""
GAP_ABSOLUTE = 1e-6
"""Values reported to six decimals: a value this close to its bound is at its bound (costs
per hour of 1e-9 give plan costs below what six decimals show)."""


def relative_gap(value: float, bound: float) -> float:
    """``(value - bound) / value``; 0 when the goal is proven (see :data:`GAP_TOLERANCE`)."""
    if value - bound <= GAP_ABSOLUTE:
        return 0.0
    gap = (value - bound) / max(abs(value), 1e-9)
    return gap if gap > GAP_TOLERANCE else 0.0


def readable(value: float) -> str:
    """A number as a reader writes it: ``999,999.75``, ``12``, ``1e+300``, ``a number of 40
    digits``."""
    if isinstance(value, int):
        digits = len(str(abs(value)))
        return f"{value:,}" if digits <= 21 else f"a number of {digits} digits"
    if abs(value) >= 1e15 or 0 < abs(value) < 1e-4:
        return f"{value:g}"
    return f"{value:,.4f}".rstrip("0").rstrip(".")


MAX_HOURS = 1_000_000  # any hours field; larger numbers are typos (and overflow the model)


def _quarter_hours(value: float) -> float:
    """Hours must be finite multiples of 0.25 (spec, "Field rules"), below a sane maximum."""
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    if abs(value) > MAX_HOURS:
        raise ValueError(f"{readable(value)} is too large (at most {MAX_HOURS:,} hours)")
    quarters = round(value * 4)
    if abs(value * 4 - quarters) > 1e-9 or (quarters == 0 and value != 0):  # not 1e-10
        raise ValueError("hours must be a multiple of 0.25")
    return value


_HHMM_RANGE = re.compile(r"(\d\d:\d\d)-(\d\d:\d\d)")


def _hhmm_range(value: str) -> str:
    """``"HH:MM-HH:MM"``, local time (no seconds, no UTC offset: the zone is ``timezone``);
    an end before the start is a night shift that ends the next day (``"18:30-03:30"``, see
    :func:`allocator.calendar.overlap_hours`); never empty."""
    shape = _HHMM_RANGE.fullmatch(value)
    try:
        if shape is None:
            raise ValueError(value)
        t0, t1 = (dt.time.fromisoformat(part) for part in shape.groups())
    except ValueError as exc:
        raise ValueError("work_hours must look like '09:00-17:00'") from exc
    if t1 == t0:
        raise ValueError("work_hours must not start and end at the same time")
    return value


def _timezone(value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # "Europe" is a folder
        raise ValueError(f"unknown time zone {value!r} (expected an IANA name)") from exc
    return value


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(value: Any) -> Any:
    """A date is written ``YYYY-MM-DD`` (no time, no timestamp number)."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return value
    raise ValueError("must be a date written YYYY-MM-DD, such as 2027-01-04")


Day = Annotated[dt.date, Field(strict=False), BeforeValidator(_iso_date)]
"""A calendar date, ``"YYYY-MM-DD"`` in JSON."""
Hours = Annotated[float, Field(ge=0), AfterValidator(_quarter_hours)]
PositiveHours = Annotated[float, Field(gt=0), AfterValidator(_quarter_hours)]
DayHours = Annotated[float, Field(gt=0, le=24), AfterValidator(_quarter_hours)]
SkillLevel = Annotated[int, Field(ge=1, le=5)]
Id = Annotated[str, Field(min_length=1)]
TimeZone = Annotated[str, AfterValidator(_timezone)]
WorkHours = Annotated[str, AfterValidator(_hhmm_range)]


# An item's own certifications (spec, "eligible": every certification that ``p`` and ``w``
# require); also read under the project's name for them, ``required_certifications``.
ItemCertifications: Any = Field(
    default_factory=list,
    validation_alias=AliasChoices("certifications", "required_certifications"),
)


class Strict(BaseModel):
    """No unknown fields, no coercion (``"2"``, ``true`` or ``"yes"`` for a number or a
    boolean are input errors: they are typing slips more often than intent)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Horizon(Strict):
    start: Day
    end: Day
    workdays: list[Weekday] = Field(default_factory=lambda: list(WEEKDAYS[:5]))
    holidays: list[Day] = Field(default_factory=list)


class DateRange(Strict):
    """An inclusive date range; ``{"date": d}`` (or the date alone) is accepted for a single
    date. :attr:`written` says which form the input used, for error paths."""

    start: Day
    end: Day
    _written: Literal["range", "date", "string"] = PrivateAttr("range")

    @model_validator(mode="wrap")
    @classmethod
    def _single_date(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> DateRange:
        written: Literal["range", "date", "string"] = "range"
        if isinstance(data, str):
            written, data = "string", {"start": data, "end": data}
        elif isinstance(data, dict) and "date" in data and not {"start", "end"} & set(data):
            rest = {key: value for key, value in data.items() if key != "date"}
            written, data = "date", {**rest, "start": data["date"], "end": data["date"]}
        made: DateRange = handler(data)
        if made is not data:  # (a range given as one already made keeps its form)
            made._written = written
        return made

    @property
    def written(self) -> Literal["range", "date", "string"]:
        """``"range"`` (``start`` and ``end``), ``"date"`` (``{"date": d}``) or ``"string"``."""
        return self._written


class Specialist(Strict):
    id: Id
    name: str | None = None
    roles: list[Id] = Field(min_length=1)
    sourcing: Sourcing
    vendor: Id | None = None
    skills: dict[str, SkillLevel] = Field(default_factory=dict)
    hours_per_day: DayHours
    cost_per_hour: float = Field(ge=0)
    max_projects: int | None = Field(default=None, ge=1)
    timezone: TimeZone = "UTC"
    work_hours: WorkHours = "09:00-17:00"
    unavailable: list[DateRange] = Field(default_factory=list)
    certifications: list[str] = Field(default_factory=list)
    familiar_projects: list[Id] = Field(default_factory=list)


class Project(Strict):
    id: Id
    name: str | None = None
    customer: str | None = None
    program: Program
    priority: int = Field(default=3, ge=1, le=5)
    min_in_house_share: float = Field(default=0.0, ge=0, le=1)
    sourcing_by_role: dict[str, SourcingRule] = Field(default_factory=dict)
    required_certifications: list[str] = Field(default_factory=list)
    timezone: TimeZone = "UTC"
    work_hours: WorkHours = "09:00-17:00"
    min_overlap_hours: Hours = 0.0
    onboarding_hours: Hours = 0.0


class Workplace(Strict):
    id: Id
    project: Id
    role: Id
    skills: dict[str, SkillLevel] = Field(default_factory=dict)
    hours_per_day: DayHours
    exclusive: bool = False
    start: Day | None = None
    end: Day | None = None
    candidates: list[Id] | None = None
    sourcing: SourcingRule | None = None
    required: bool = False
    certifications: list[str] = ItemCertifications


class Task(Strict):
    id: Id
    project: Id
    role: Id | None = None
    skills: dict[str, SkillLevel] = Field(default_factory=dict)
    effort_hours: PositiveHours
    start: Day | None = None
    due: Day | None = None
    max_assignees: int = Field(default=1, ge=1)
    min_daily_hours: PositiveHours = 1.0
    candidates: list[Id] | None = None
    sourcing: SourcingRule | None = None
    required: bool = False
    certifications: list[str] = ItemCertifications


class Fixed(Strict):
    """A locked assignment: ``{specialist, workplace}`` or ``{specialist, task}`` (exactly
    one target: :func:`allocator.validate.cross_reference_problems` checks it, so that a
    fixed assignment naming both still has its references checked).

    With ``date`` the specialist works on the target that date; with ``hours`` (and a date)
    they work exactly that many hours that date; with ``hours`` and no date, a task gets
    exactly that many hours from the specialist over its window.
    """

    specialist: Id
    workplace: Id | None = None
    task: Id | None = None
    date: Day | None = None
    hours: PositiveHours | None = None


class Objective(Strict):
    order: list[Goal] = Field(default_factory=lambda: list(GOALS))

    @model_validator(mode="after")
    def _distinct(self) -> Objective:
        if not self.order:
            raise ValueError("objective.order must name at least one goal")
        if len(set(self.order)) != len(self.order):
            raise ValueError("objective.order lists a goal twice")
        return self


class SolverSettings(Strict):
    time_limit_seconds: float = Field(default=30.0, gt=0, le=86_400)
    workers: int = Field(default=0, ge=0, le=256)
    seed: int = Field(default=0, ge=0)
    relative_gap: float = Field(default=0.0, ge=0, le=1)


class WorkplaceFill(Strict):
    workplace: Id
    specialist: Id


class Assignment(Strict):
    specialist: Id
    project: Id
    workplace: Id | None = None
    task: Id | None = None
    date: Day
    hours: PositiveHours


class Unmet(Strict):
    workplace: Id | None = None
    task: Id | None = None
    hours: PositiveHours
    reasons: list[str] = Field(default_factory=list)


class Problem(Strict):
    """One input error: where (a JSON path such as ``$.tasks[2].due``) and what."""

    path: str
    message: str


class Plan(Strict):
    format: Literal["allocator/1"] = FORMAT
    instance: str
    status: Status
    objective: dict[str, float] = Field(default_factory=dict)
    bound: dict[str, float] = Field(default_factory=dict)
    gap: float | None = None
    wall_seconds: float = Field(default=0.0, ge=0)
    workplaces: list[WorkplaceFill] = Field(default_factory=list)
    assignments: list[Assignment] = Field(default_factory=list)
    unmet: list[Unmet] = Field(default_factory=list)
    kpis: dict[str, Any] = Field(default_factory=dict)
    explanation: list[str] = Field(default_factory=list)
    problems: list[Problem] = Field(default_factory=list)
    statistics: dict[str, Any] = Field(default_factory=dict)


class Instance(Strict):
    format: Literal["allocator/1"] = FORMAT
    name: str = "instance"
    description: str | None = None
    horizon: Horizon
    specialists: list[Specialist] = Field(default_factory=list)
    projects: list[Project] = Field(default_factory=list)
    workplaces: list[Workplace] = Field(default_factory=list)
    tasks: list[Task] = Field(default_factory=list)
    fixed: list[Fixed] = Field(default_factory=list)
    previous_plan: Plan | None = None
    objective: Objective = Field(default_factory=Objective)
    solver: SolverSettings = Field(default_factory=SolverSettings)
