"""Independent plan checker: every hard rule and every objective value, from scratch.

The checker reads only the instance and the plan (spec, "A plan can be checked without the
solver"). It shares no code with the model builder: it relies on :mod:`allocator.schema` for
the data and on :mod:`allocator.calendar` for working dates, leave and time-zone overlap,
and recomputes everything else itself, so that a bug in the model cannot hide behind the
same bug in its check.

Hours are compared with a tolerance of ``1e-6``. A target's *period* is ``[start, end]`` for
a workplace and ``[start, due]`` for a task, each side defaulting to the horizon's.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeAlias

from allocator.calendar import (
    overlap_hours,
    specialist_capacity_hours,
    unavailable_dates,
    working_dates,
)
from allocator.schema import (
    Instance,
    Plan,
    Project,
    Rule,
    Specialist,
    Task,
    Workplace,
    relative_gap,
)

__all__ = ["CheckReport", "Violation", "check_plan", "eligibility_reasons"]

TOLERANCE = 1e-6
"""Hours (and shares of hours) closer than this are equal."""

NO_PLAN_STATUSES = frozenset({"infeasible", "invalid", "unknown"})
"""Statuses of a plan that must not plan anything."""

PLAN = "plan"
UNMET = "unmet"
OBJECTIVE = "objective"
KPIS = "kpis"

KPI_TOLERANCE = 1e-3
"""KPI values are rounded to four decimals: closer than this (or 1e-6 of the value) is equal."""

Target: TypeAlias = Workplace | Task
Key: TypeAlias = tuple[str, str]
"""A target as ``("workplace" | "task", id)``."""
_Cell: TypeAlias = tuple[str, str, str, dt.date]
"""``(specialist, kind, target id, date)``."""


@dataclass(frozen=True)
class Violation:
    """One broken rule, in plain words.

    Attributes
    ----------
    rule : str
        A :class:`allocator.schema.Rule` value for a hard rule, or ``"plan"`` (the plan does
        not hang together: unknown names, duplicate rows, rows on non-working dates, ...),
        ``"unmet"`` (the plan's unmet list is wrong), ``"objective"`` (a reported
        objective value, bound or gap is wrong) or ``"kpis"`` (a reported KPI is wrong).
    message : str
        What is wrong, naming the specialist, target, date and numbers.
    """

    rule: str
    message: str


@dataclass
class CheckReport:
    """The outcome of :func:`check_plan`.

    Attributes
    ----------
    violations : list of Violation
        Every problem found, in a stable order.
    objective : dict of str to float
        The recomputed ``coverage``, ``cost`` and ``stability``; empty for plans whose
        status says there is no plan.
    unmet : dict of (str, str) to float
        Recomputed unmet hours by ``("workplace" | "task", id)``, only where positive.
    """

    violations: list[Violation]
    objective: dict[str, float]
    unmet: dict[tuple[str, str], float]

    @property
    def ok(self) -> bool:
        """Whether the plan breaks no rule.

        Returns
        -------
        bool
            ``True`` when :attr:`violations` is empty.
        """
        return not self.violations


@dataclass(frozen=True)
class _Row:
    """One known assignment row, tied to its target's project."""

    specialist: str
    kind: str
    target: str
    project: str
    date: dt.date
    hours: float


def _num(value: float) -> str:
    """Hours or money for people: ``8``, ``7.5``, ``0.25``, ``10120`` (``1e+308`` beyond a
    trillion, which no plan has)."""
    if not math.isfinite(value) or abs(value) >= 1e12:
        return f"{value:g}"
    if abs(value - round(value)) < 1e-9:
        return str(round(value))
    return f"{value:.4f}".rstrip("0").rstrip(".")


def _dates(dates: Iterable[dt.date]) -> str:
    """A readable list of dates, shortened when long."""
    ordered = sorted(set(dates))
    shown = ", ".join(d.isoformat() for d in ordered[:8])
    if len(ordered) > 8:
        shown += f" and {len(ordered) - 8} more"
    return shown


def _names(names: Iterable[str]) -> str:
    return ", ".join(sorted(set(names)))


def _kind(target: Target) -> str:
    return "workplace" if isinstance(target, Workplace) else "task"


def _period(instance: Instance, target: Target) -> tuple[dt.date, dt.date]:
    """The inclusive period of a workplace (start..end) or task (start..due)."""
    horizon = instance.horizon
    if isinstance(target, Workplace):
        return target.start or horizon.start, target.end or horizon.end
    return target.start or horizon.start, target.due or horizon.end


def _sourcing_rule(project: Project, target: Target) -> str:
    """The target's own sourcing, else the project's rule for its role, else ``any``."""
    if target.sourcing is not None:
        return target.sourcing
    if target.role is not None:
        return project.sourcing_by_role.get(target.role, "any")
    return "any"


_SOURCING_WORDS = {"in_house": "in-house", "outsourced": "outsourced"}


def eligibility_reasons(
    instance: Instance, specialist: Specialist, project: Project, target: Target
) -> list[str]:
    """Why ``specialist`` may not fill or work on ``target`` (spec, "eligible").

    Parameters
    ----------
    instance : Instance
        The planning instance (its horizon's first date is the day time zones are compared).
    specialist : Specialist
        The person.
    project : Project
        The project ``target`` belongs to.
    target : Workplace or Task
        The workplace or task.

    Returns
    -------
    list of str
        One plain sentence per unmet condition; empty when the specialist is eligible.
    """
    who = specialist.id
    what = f"{_kind(target)} {target.id}"
    reasons: list[str] = []
    if target.role is not None and target.role not in specialist.roles:
        reasons.append(f"{who} does not have the role {target.role} that {what} needs")
    for skill, level in sorted(target.skills.items()):
        have = specialist.skills.get(skill)
        if have is None:
            reasons.append(f"{who} lacks the skill {skill} (level {level} needed by {what})")
        elif have < level:
            reasons.append(
                f"{who} has {skill} at level {have}, below the level {level} needed by {what}"
            )
    held = set(specialist.certifications)
    for cert in sorted(set(project.required_certifications) - held):
        reasons.append(
            f"{who} does not hold the certification {cert} required by project {project.id}"
        )
    for cert in sorted(set(target.certifications) - held - set(project.required_certifications)):
        reasons.append(f"{who} does not hold the certification {cert} required by {what}")
    rule = _sourcing_rule(project, target)
    if rule != "any" and rule != specialist.sourcing:
        reasons.append(
            f"{what} takes {_SOURCING_WORDS[rule]} specialists only and {who} is "
            f"{_SOURCING_WORDS[specialist.sourcing]}"
        )
    if target.candidates is not None and who not in target.candidates:
        reasons.append(f"{who} is not among the approved candidates of {what}")
    if project.min_overlap_hours > 0:
        shared = overlap_hours(
            specialist.timezone,
            specialist.work_hours,
            project.timezone,
            project.work_hours,
            instance.horizon.start,
        )
        if shared < project.min_overlap_hours - TOLERANCE:
            reasons.append(
                f"{who}'s working hours ({specialist.work_hours} {specialist.timezone}) overlap "
                f"the customer's ({project.work_hours} {project.timezone}) by "
                f"{_num(shared)} h, less than the {_num(project.min_overlap_hours)} h that "
                f"project {project.id} requires"
            )
    return reasons


class _Checker:
    """Holds the indexes of one check; each ``_rule_*`` method appends violations."""

    def __init__(self, instance: Instance, plan: Plan) -> None:
        self.instance = instance
        self.plan = plan
        self.violations: list[Violation] = []
        self.specialists = {s.id: s for s in instance.specialists}
        self.projects = {p.id: p for p in instance.projects}
        self.workplaces = {w.id: w for w in instance.workplaces}
        self.tasks = {t.id: t for t in instance.tasks}
        self.dates = working_dates(instance.horizon)
        self.date_set = frozenset(self.dates)
        self.off = {s.id: unavailable_dates(s.unavailable) for s in instance.specialists}
        self.rows: list[_Row] = []
        self.cells: dict[_Cell, float] = defaultdict(float)
        self.by_target: dict[Key, dict[tuple[str, dt.date], float]] = defaultdict(dict)
        self.by_specialist: dict[str, list[_Row]] = defaultdict(list)
        self.listed: dict[str, str] = {}
        self.unmet: dict[Key, float] = {}

    # -- helpers -------------------------------------------------------------------------------

    def add(self, rule: str, message: str) -> None:
        self.violations.append(Violation(rule, message))

    def target(self, kind: str, target_id: str) -> Target | None:
        if kind == "workplace":
            return self.workplaces.get(target_id)
        return self.tasks.get(target_id)

    def period_dates(self, target: Target) -> list[dt.date]:
        start, end = _period(self.instance, target)
        return [d for d in self.dates if start <= d <= end]

    def filler(self, workplace_id: str) -> str | None:
        """The known specialist the plan lists as filling the workplace, if any."""
        who = self.listed.get(workplace_id)
        return who if who in self.specialists else None

    # -- consistency ---------------------------------------------------------------------------

    def read_rows(self) -> None:
        seen: set[_Cell] = set()
        for row in self.plan.assignments:
            who, day = row.specialist, row.date.isoformat()
            if who not in self.specialists:
                self.add(PLAN, f"a row on {day} names {who!r}, who is not a specialist")
                continue
            if (row.workplace is None) == (row.task is None):
                self.add(PLAN, f"{who}'s row on {day} must name exactly one workplace or task")
                continue
            kind, target_id = (
                ("workplace", row.workplace) if row.workplace is not None else ("task", row.task)
            )
            assert target_id is not None
            target = self.target(kind, target_id)
            if target is None:
                self.add(PLAN, f"{who}'s row on {day} names {kind} {target_id!r}, which is unknown")
                continue
            what = f"{kind} {target_id}"
            if row.project != target.project:
                self.add(
                    PLAN,
                    f"{who}'s row on {what} on {day} says project {row.project}, but {what} "
                    f"belongs to project {target.project}",
                )
            if row.date not in self.date_set:
                self.add(PLAN, f"{who} has a row on {what} on {day}, which is not a working date")
            cell = (who, kind, target_id, row.date)
            if cell in seen:
                self.add(
                    PLAN,
                    f"{who} has more than one row on {what} on {day}; the plan must give one row "
                    "per specialist, target and date",
                )
            seen.add(cell)
            self.cells[cell] += row.hours
            self.rows.append(_Row(who, kind, target_id, target.project, row.date, row.hours))
        for (person, sort, name, on), hours in self.cells.items():
            self.by_target[(sort, name)][(person, on)] = hours
        for known in self.rows:
            self.by_specialist[known.specialist].append(known)

    def read_fills(self) -> None:
        for fill in self.plan.workplaces:
            wid, who = fill.workplace, fill.specialist
            if wid in self.listed:
                self.add(PLAN, f"workplace {wid} is listed more than once among the filled ones")
                continue
            self.listed[wid] = who
            if wid not in self.workplaces:
                self.add(PLAN, f"the plan fills {wid!r}, which is not a workplace")
            elif who not in self.specialists:
                self.add(PLAN, f"the plan fills workplace {wid} with {who!r}, who is unknown")
        strays: dict[tuple[str, str], list[dt.date]] = defaultdict(list)
        for row in self.rows:
            if row.kind == "workplace" and self.listed.get(row.target) != row.specialist:
                strays[(row.specialist, row.target)].append(row.date)
        for (who, wid), days in strays.items():
            holder = self.listed.get(wid)
            why = (
                f"the plan lists {holder} as its filler"
                if holder is not None
                else "the plan lists no filler for it"
            )
            self.add(PLAN, f"{who} works on workplace {wid} on {_dates(days)}, but {why}")

    # -- hard rules ----------------------------------------------------------------------------

    def rule_eligibility(self) -> None:
        pairs: dict[tuple[str, str, str], None] = {}
        for wid, who in self.listed.items():
            if wid in self.workplaces and who in self.specialists:
                pairs[(who, "workplace", wid)] = None
        for row in self.rows:
            pairs[(row.specialist, row.kind, row.target)] = None
        for who, kind, target_id in pairs:
            target = self.target(kind, target_id)
            assert target is not None
            project = self.projects.get(target.project)
            if project is None:
                continue
            reasons = eligibility_reasons(self.instance, self.specialists[who], project, target)
            if reasons:
                filling = kind == "workplace" and self.listed.get(target_id) == who
                verb = "fills" if filling else "works on"
                self.add(
                    Rule.ELIGIBILITY,
                    f"{who} {verb} {kind} {target_id} but is not eligible: " + "; ".join(reasons),
                )

    def rule_workplace_fill(self) -> None:
        for wid, workplace in self.workplaces.items():
            worked: dict[str, dict[dt.date, float]] = defaultdict(dict)
            for (person, day), hours in self.by_target.get(("workplace", wid), {}).items():
                worked[person][day] = hours
            who = self.filler(wid)
            if who is None:
                total = sum(sum(days.values()) for days in worked.values())
                if total > TOLERANCE:
                    self.add(
                        Rule.WORKPLACE_FILL,
                        f"workplace {wid} has no filler in the plan but {_num(total)} h are "
                        "planned on it",
                    )
                continue
            off = self.off[who]
            period = self.period_dates(workplace)
            expected = [d for d in period if d not in off]
            mine = worked.get(who, {})
            short: dict[float, list[dt.date]] = defaultdict(list)
            for day in expected:
                hours = mine.get(day, 0.0)
                if abs(hours - workplace.hours_per_day) > TOLERANCE:
                    short[hours].append(day)
            for hours, days in short.items():
                self.add(
                    Rule.WORKPLACE_FILL,
                    f"{who} fills workplace {wid} but works {_num(hours)} h on it on "
                    f"{_dates(days)} instead of {_num(workplace.hours_per_day)} h a day",
                )
            start, end = _period(self.instance, workplace)
            expected_set = set(expected)
            for day, hours in sorted(mine.items()):
                if day in expected_set:
                    continue
                if day in off:
                    why = f"a date {who} is unavailable"
                elif day not in self.date_set:
                    why = "not a working date"
                else:
                    why = f"outside the workplace's period {start} to {end}"
                self.add(
                    Rule.WORKPLACE_FILL,
                    f"{who} works {_num(hours)} h on workplace {wid} on {day}, {why}",
                )

    def rule_daily_capacity(self) -> None:
        per_day: dict[tuple[str, dt.date], float] = defaultdict(float)
        for row in self.rows:
            per_day[(row.specialist, row.date)] += row.hours
        for (who, day), hours in per_day.items():
            specialist = self.specialists[who]
            if day in self.off[who]:
                self.add(
                    Rule.DAILY_CAPACITY,
                    f"{who} is unavailable on {day} but has {_num(hours)} h planned that day",
                )
            elif hours > specialist.hours_per_day + TOLERANCE:
                self.add(
                    Rule.DAILY_CAPACITY,
                    f"{who} works {_num(hours)} h on {day} but has "
                    f"{_num(specialist.hours_per_day)} h a day",
                )

    def rule_exclusivity(self) -> None:
        for wid, workplace in self.workplaces.items():
            who = self.filler(wid)
            if who is None or not workplace.exclusive:
                continue
            start, end = _period(self.instance, workplace)
            others: dict[tuple[str, str], list[dt.date]] = defaultdict(list)
            for row in self.by_specialist.get(who, []):
                if row.kind == "workplace" and row.target == wid:
                    continue
                if start <= row.date <= end:
                    others[(row.kind, row.target)].append(row.date)
            for (kind, target_id), days in others.items():
                self.add(
                    Rule.EXCLUSIVITY,
                    f"{who} fills the exclusive workplace {wid} ({start} to {end}) but also works "
                    f"on {kind} {target_id} on {_dates(days)}",
                )

    def rule_tasks(self) -> None:
        """Task window, effort, minimum daily hours and number of assignees."""
        for tid, task in self.tasks.items():
            cells = self.by_target.get(("task", tid), {})
            start, due = _period(self.instance, task)
            for (who, day), _hours in sorted(cells.items(), key=lambda item: item[0][1]):
                if not start <= day <= due:
                    self.add(
                        Rule.TASK_WINDOW,
                        f"{who} works on task {tid} on {day}, outside its window {start} to {due}",
                    )
                elif day not in self.date_set:
                    self.add(
                        Rule.TASK_WINDOW,
                        f"{who} works on task {tid} on {day}, which is not a working date",
                    )
            total = sum(cells.values())
            if total > task.effort_hours + TOLERANCE:
                self.add(
                    Rule.TASK_EFFORT,
                    f"task {tid} gets {_num(total)} h but its effort is only "
                    f"{_num(task.effort_hours)} h",
                )
            per_date: dict[dt.date, float] = defaultdict(float)
            for (_who, day), hours in cells.items():
                per_date[day] += hours
            before: dict[dt.date, float] = {}
            done = 0.0
            for day in sorted(per_date):
                before[day] = done
                done += per_date[day]
            for (who, day), hours in sorted(cells.items(), key=lambda item: (item[0][1], item[0])):
                left = task.effort_hours - before[day]
                need = min(task.min_daily_hours, left)
                if hours < need - TOLERANCE:
                    floor = (
                        f"at least {_num(task.min_daily_hours)} h"
                        if task.min_daily_hours <= left
                        else f"the whole {_num(left)} h still left"
                    )
                    self.add(
                        Rule.MIN_DAILY_HOURS,
                        f"{who} works {_num(hours)} h on task {tid} on {day}; whoever works on it "
                        f"that day must do {floor}",
                    )
            people = {who for who, _day in cells}
            if len(people) > task.max_assignees:
                self.add(
                    Rule.MAX_ASSIGNEES,
                    f"task {tid} has {len(people)} people on it ({_names(people)}) but allows "
                    f"at most {task.max_assignees}",
                )

    def rule_max_projects(self) -> None:
        projects: dict[str, set[str]] = defaultdict(set)
        for row in self.rows:
            projects[row.specialist].add(row.project)
        for who, names in projects.items():
            cap = self.specialists[who].max_projects
            if cap is not None and len(names) > cap:
                self.add(
                    Rule.MAX_PROJECTS,
                    f"{who} works on {len(names)} projects ({_names(names)}) but may work on at "
                    f"most {cap}",
                )

    def rule_in_house_share(self) -> None:
        total: dict[str, float] = defaultdict(float)
        in_house: dict[str, float] = defaultdict(float)
        for row in self.rows:
            total[row.project] += row.hours
            if self.specialists[row.specialist].sourcing == "in_house":
                in_house[row.project] += row.hours
        for pid, project in self.projects.items():
            share = project.min_in_house_share
            planned = total.get(pid, 0.0)
            own = in_house.get(pid, 0.0)
            if share > 0 and own < share * planned - TOLERANCE:
                self.add(
                    Rule.IN_HOUSE_SHARE,
                    f"project {pid} has {_num(own)} of its {_num(planned)} planned hours in-house "
                    f"({own / planned:.0%}), below its required in-house share of {share:.0%}",
                )

    def rule_fixed(self) -> None:
        for fixed in self.instance.fixed:
            who = fixed.specialist
            if fixed.workplace is not None:
                kind, target_id = "workplace", fixed.workplace
                holder = self.listed.get(target_id)
                if holder != who:
                    now = f"fills it with {holder}" if holder else "leaves it unfilled"
                    self.add(
                        Rule.FIXED,
                        f"{who} is locked to fill workplace {target_id} but the plan {now}",
                    )
            else:
                assert fixed.task is not None
                kind, target_id = "task", fixed.task
                mine = [
                    h
                    for (person, _day), h in self.by_target.get((kind, target_id), {}).items()
                    if person == who
                ]
                if not mine:
                    self.add(
                        Rule.FIXED,
                        f"{who} is locked to work on task {target_id} but has no hours on it",
                    )
                elif (
                    fixed.date is None
                    and fixed.hours is not None
                    and abs(sum(mine) - fixed.hours) > TOLERANCE
                ):
                    self.add(
                        Rule.FIXED,
                        f"{who} is locked to work {_num(fixed.hours)} h on task {target_id} "
                        f"in all but works {_num(sum(mine))} h on it",
                    )
            if fixed.date is None:
                continue
            hours = self.cells.get((who, kind, target_id, fixed.date))
            if hours is None:
                self.add(
                    Rule.FIXED,
                    f"{who} is locked to work on {kind} {target_id} on {fixed.date} but has no "
                    "hours on it that date",
                )
            elif fixed.hours is not None and abs(hours - fixed.hours) > TOLERANCE:
                self.add(
                    Rule.FIXED,
                    f"{who} is locked to work {_num(fixed.hours)} h on {kind} {target_id} on "
                    f"{fixed.date} but works {_num(hours)} h",
                )

    def compute_unmet(self) -> None:
        planned: dict[Key, float] = defaultdict(float)
        for row in self.rows:
            planned[(row.kind, row.target)] += row.hours
        targets: list[tuple[Key, float]] = [
            (("workplace", w.id), w.hours_per_day * len(self.period_dates(w)))
            for w in self.instance.workplaces
        ]
        targets += [(("task", t.id), t.effort_hours) for t in self.instance.tasks]
        for key, demand in targets:
            missing = demand - planned.get(key, 0.0)
            if missing > TOLERANCE:
                self.unmet[key] = missing

    def rule_required(self) -> None:
        for workplace in self.instance.workplaces:
            if not workplace.required:
                continue
            if self.filler(workplace.id) is None:
                self.add(Rule.REQUIRED, f"the required workplace {workplace.id} is not filled")
            missing = self.unmet.get(("workplace", workplace.id), 0.0)
            if missing > 0:
                self.add(
                    Rule.REQUIRED,
                    f"the required workplace {workplace.id} has {_num(missing)} h unmet",
                )
        for task in self.instance.tasks:
            missing = self.unmet.get(("task", task.id), 0.0)
            if task.required and missing > 0:
                self.add(
                    Rule.REQUIRED,
                    f"the required task {task.id} is {_num(missing)} h short of its "
                    f"{_num(task.effort_hours)} h effort",
                )

    # -- the plan's own report -----------------------------------------------------------------

    def check_unmet_list(self) -> None:
        reported: dict[Key, float] = {}
        for entry in self.plan.unmet:
            if (entry.workplace is None) == (entry.task is None):
                self.add(
                    UNMET, "an entry of the unmet list must name exactly one workplace or task"
                )
                continue
            key = ("workplace", entry.workplace) if entry.workplace else ("task", entry.task or "")
            what = f"{key[0]} {key[1]}"
            if self.target(*key) is None:
                self.add(UNMET, f"the unmet list names {what}, which is unknown")
            elif key in reported:
                self.add(UNMET, f"the unmet list names {what} more than once")
            else:
                reported[key] = entry.hours
        for key, missing in self.unmet.items():
            what = f"{key[0]} {key[1]}"
            if key not in reported:
                self.add(UNMET, f"{what} has {_num(missing)} h unmet but the unmet list omits it")
            elif abs(reported[key] - missing) > TOLERANCE:
                self.add(
                    UNMET,
                    f"the unmet list gives {what} {_num(reported[key])} h unmet but the plan "
                    f"leaves {_num(missing)} h unmet",
                )
        for key, hours in reported.items():
            if key not in self.unmet:
                self.add(
                    UNMET,
                    f"the unmet list gives {key[0]} {key[1]} {_num(hours)} h unmet but it is "
                    "fully planned",
                )

    def objective(self) -> dict[str, float]:
        coverage = 0.0
        for (kind, target_id), missing in self.unmet.items():
            target = self.target(kind, target_id)
            assert target is not None
            project = self.projects.get(target.project)
            coverage += (project.priority if project else 0) * missing

        cost = sum(row.hours * self.specialists[row.specialist].cost_per_hour for row in self.rows)
        cost += sum(self.onboarding().values())

        stability = 0.0
        previous = self.instance.previous_plan
        if previous is not None:
            # only the instance's workplaces and tasks: those it no longer has cannot change
            workplaces = {w.id for w in self.instance.workplaces}
            tasks_now = {t.id for t in self.instance.tasks}
            before: dict[str, str] = {}
            for fill in previous.workplaces:
                if fill.workplace in workplaces:
                    before.setdefault(fill.workplace, fill.specialist)
            stability += sum(1 for wid, who in before.items() if self.listed.get(wid) != who)
            stability += sum(1 for wid in self.listed if wid not in before)
            old: dict[str, set[str]] = defaultdict(set)
            for earlier in previous.assignments:
                if earlier.task in tasks_now:
                    old[earlier.task].add(earlier.specialist)
            new: dict[str, set[str]] = defaultdict(set)
            for r in self.rows:
                if r.kind == "task":
                    new[r.target].add(r.specialist)
            tasks = old.keys() | new.keys()
            stability += sum(len(old.get(tid, set()) ^ new.get(tid, set())) for tid in tasks)
        day_projects: dict[tuple[str, dt.date], set[str]] = defaultdict(set)
        for row in self.rows:
            day_projects[(row.specialist, row.date)].add(row.project)
        stability += sum(1 for names in day_projects.values() if len(names) > 1)
        return {"coverage": coverage, "cost": cost, "stability": stability}

    def onboarding(self) -> dict[tuple[str, str], float]:
        """The onboarding cost of each (specialist, project) the rows bring the specialist
        onto, when the project is not among their ``familiar_projects`` (spec, goal cost)."""
        out: dict[tuple[str, str], float] = {}
        for row in self.rows:
            specialist = self.specialists[row.specialist]
            pair = (row.specialist, row.project)
            if row.project not in specialist.familiar_projects and pair not in out:
                project = self.projects.get(row.project)
                hours = project.onboarding_hours if project else 0.0
                out[pair] = hours * specialist.cost_per_hour
        return out

    def check_header(self) -> None:
        if self.plan.instance != self.instance.name:
            self.add(
                PLAN,
                f"the plan is for instance {self.plan.instance!r}, not {self.instance.name!r}",
            )

    def check_bounds(self, recomputed: dict[str, float]) -> None:
        """Each bound at most its goal's value; the gap that of the first goal (in objective
        order) whose relative gap exceeds :data:`~allocator.schema.GAP_TOLERANCE`, 0 when
        none does; ``optimal`` only with a bound on every goal and no gap (spec, "Plan
        (output)")."""
        bound, plan = self.plan.bound, self.plan
        for goal, best in bound.items():
            true = recomputed.get(goal)
            if true is None:
                self.add(OBJECTIVE, f"the plan reports a bound on {goal!r}, which is unknown")
            elif not (-TOLERANCE <= best <= true + 1e-6 * max(1.0, abs(true)) + 0.01):
                self.add(
                    OBJECTIVE,
                    f"the plan reports a bound of {_num(best)} on {goal}, which is not between "
                    f"0 and its value {_num(true)}",
                )
        order = self.instance.objective.order
        gaps = [
            relative_gap(value, bound[goal])
            for goal in order
            if goal in bound and math.isfinite(value := recomputed.get(goal, 0.0))
        ]
        open_gaps = [gap for gap in gaps if gap > 0.0]
        expected = open_gaps[0] if open_gaps else 0.0
        if plan.gap is not None and not bound:
            self.add(OBJECTIVE, f"the plan reports a gap of {plan.gap} but no bound")
        elif bound and (plan.gap is None or not abs(plan.gap - expected) <= 1e-4):
            self.add(
                OBJECTIVE,
                f"the plan reports a gap of {plan.gap}, but its bounds give {expected:.6f}",
            )
        if plan.status == "optimal":
            if open_gaps:
                self.add(OBJECTIVE, "the plan says optimal, but a goal's bound is below its value")
            missing = [goal for goal in order if goal not in bound]
            if missing:
                self.add(
                    OBJECTIVE,
                    f"the plan says optimal, but gives no bound on {', '.join(missing)}",
                )

    def check_kpis(self) -> None:
        """The plan's KPIs (when it reports them), recomputed from the rows: per project
        demand, planned, unmet and in-house hours, share and cost; per specialist capacity,
        planned hours, utilisation, projects and cost; per vendor hours and cost; the totals
        (spec, "Plan (output)": ``kpis``)."""
        kpis = self.plan.kpis
        if not kpis:
            return
        planned: dict[str, float] = defaultdict(float)
        in_house: dict[str, float] = defaultdict(float)
        cost: dict[str, float] = defaultdict(float)
        person_hours: dict[str, float] = defaultdict(float)
        person_cost: dict[str, float] = defaultdict(float)
        person_projects: dict[str, set[str]] = defaultdict(set)
        for row in self.rows:
            money = row.hours * self.specialists[row.specialist].cost_per_hour
            planned[row.project] += row.hours
            cost[row.project] += money
            person_hours[row.specialist] += row.hours
            person_cost[row.specialist] += money
            person_projects[row.specialist].add(row.project)
            if self.specialists[row.specialist].sourcing == "in_house":
                in_house[row.project] += row.hours
        for (who, pid), money in self.onboarding().items():
            cost[pid] += money
            person_cost[who] += money
        demand: dict[str, float] = defaultdict(float)
        for w in self.instance.workplaces:
            demand[w.project] += w.hours_per_day * len(self.period_dates(w))
        for t in self.instance.tasks:
            demand[t.project] += t.effort_hours

        def share(part: float, whole: float) -> float:
            return part / whole if whole > 0 else 0.0

        projects = {
            p.id: {
                "demand_hours": demand[p.id],
                "planned_hours": planned[p.id],
                "unmet_hours": demand[p.id] - planned[p.id],
                "in_house_hours": in_house[p.id],
                "in_house_share": share(in_house[p.id], planned[p.id]),
                "cost": cost[p.id],
            }
            for p in self.instance.projects
        }
        capacity = {
            s.id: specialist_capacity_hours(self.instance, s) for s in self.instance.specialists
        }
        people = {
            s.id: {
                "capacity_hours": capacity[s.id],
                "planned_hours": person_hours[s.id],
                "utilisation": share(person_hours[s.id], capacity[s.id]),
                "projects": float(len(person_projects[s.id])),
                "cost": person_cost[s.id],
            }
            for s in self.instance.specialists
        }
        vendors: dict[str, dict[str, float]] = {}
        for s in self.instance.specialists:
            if s.sourcing == "outsourced" and s.vendor is not None:
                entry = vendors.setdefault(s.vendor, {"hours": 0.0, "cost": 0.0})
                entry["hours"] += person_hours[s.id]
                entry["cost"] += person_cost[s.id]
        total_demand, total_planned = sum(demand.values()), sum(planned.values())
        totals = {
            "demand_hours": total_demand,
            "planned_hours": total_planned,
            "unmet_hours": total_demand - total_planned,
            "cost": sum(cost.values()),
            "in_house_share": share(sum(in_house.values()), total_planned),
            "utilisation": share(total_planned, sum(capacity.values())),
        }
        self._compare_table(kpis.get("projects"), "project", projects, "projects")
        self._compare_table(kpis.get("specialists"), "specialist", people, "specialists")
        self._compare_table(kpis.get("vendors"), "vendor", vendors, "vendors", every=False)
        reported = kpis.get("totals")
        if not isinstance(reported, dict):
            self.add(KPIS, "the plan's KPIs have no totals")
        else:
            self._compare_values(reported, totals, "the totals")

    def _compare_table(
        self,
        records: object,
        key: str,
        truth: dict[str, dict[str, float]],
        name: str,
        *,
        every: bool = True,
    ) -> None:
        """A KPI table (a list of records keyed by ``key``) against ``truth``; with ``every``,
        each of ``truth``'s keys must have its record."""
        if not isinstance(records, list):
            self.add(KPIS, f"the plan's KPIs have no {name} table")
            return
        seen: set[str] = set()
        for record in records:
            ident = record.get(key) if isinstance(record, dict) else None
            if not isinstance(ident, str) or ident not in truth:
                self.add(KPIS, f"the KPI table {name} has a row for {ident!r}, which is unknown")
                continue
            seen.add(ident)
            self._compare_values(record, truth[ident], f"{key} {ident}")
        for ident in sorted(set(truth) - seen):
            if every or any(abs(v) > KPI_TOLERANCE for v in truth[ident].values()):
                self.add(KPIS, f"the KPI table {name} has no row for {key} {ident}")

    def _compare_values(
        self, record: dict[str, object], truth: dict[str, float], what: str
    ) -> None:
        for field, true in truth.items():
            value = record.get(field)
            if value is None:
                continue  # a KPI the plan does not report
            close = isinstance(value, int | float) and (
                abs(value - true) <= KPI_TOLERANCE + 1e-6 * abs(true)  # False for NaN
            )
            if not close:
                self.add(
                    KPIS, f"the KPI {field} of {what} is {value}, but the rows give {_num(true)}"
                )

    def check_objective(self, recomputed: dict[str, float]) -> None:
        for goal, value in self.plan.objective.items():
            if goal not in recomputed:
                self.add(OBJECTIVE, f"the plan reports an objective {goal!r}, which is unknown")
                continue
            true = recomputed[goal]
            if not abs(value - true) <= 1e-6 * max(1.0, abs(true)) + 0.01:  # NaN too
                self.add(
                    OBJECTIVE,
                    f"the plan reports {goal} {_num(value)} but its rows give {_num(true)}",
                )


def check_plan(instance: Instance, plan: Plan) -> CheckReport:
    """Check a plan against its instance, recomputing rules, unmet hours and objectives.

    Parameters
    ----------
    instance : Instance
        The (validated) planning instance.
    plan : Plan
        A plan for it, from the solver or from anywhere else.

    Returns
    -------
    CheckReport
        Every violation found, the recomputed objective values and the recomputed unmet
        hours. A plan whose status is ``infeasible``, ``invalid`` or ``unknown`` is only
        checked to plan nothing; its objective and unmet hours are then empty.
    """
    checker = _Checker(instance, plan)
    checker.check_header()
    if plan.status == "invalid":  # the instance given here is valid (an Instance)
        checker.add(PLAN, "the plan's status is invalid but the instance has no input errors")
    if plan.status in NO_PLAN_STATUSES:
        if plan.assignments:
            checker.add(
                PLAN,
                f"the plan's status is {plan.status} but it has {len(plan.assignments)} "
                "assignment rows; it should have none",
            )
        if plan.workplaces:
            checker.add(
                PLAN,
                f"the plan's status is {plan.status} but it fills "
                f"{len(plan.workplaces)} workplaces; it should fill none",
            )
        return CheckReport(checker.violations, {}, {})
    checker.read_rows()
    checker.read_fills()
    checker.rule_eligibility()
    checker.rule_workplace_fill()
    checker.rule_daily_capacity()
    checker.rule_exclusivity()
    checker.rule_tasks()
    checker.rule_max_projects()
    checker.rule_in_house_share()
    checker.rule_fixed()
    checker.compute_unmet()
    checker.rule_required()
    checker.check_unmet_list()
    objective = checker.objective()
    checker.check_objective(objective)
    checker.check_bounds(objective)
    checker.check_kpis()
    return CheckReport(checker.violations, objective, dict(checker.unmet))
