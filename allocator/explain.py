"""Plain-word explanations: why an item is unmet, and why an instance is infeasible.

Unmet reasons (spec, "Plan (output)": ``unmet``) look at who could have worked on the item and
what held each of them back in the plan: not eligible (by rule), on leave, fully booked on
those dates, on an exclusive workplace, at their project limit, the task's assignee limit,
or the project's in-house share rule.

Infeasibility (spec, "If the hard constraints cannot all hold") is explained by a core of
guarded items found by CP-SAT (``sufficient_assumptions_for_infeasibility``), then shrunk by
deletion to a minimal conflicting set within a small time budget.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter, defaultdict

import numpy as np
import numpy.typing as npt
from ortools.sat.python import cp_model

from allocator.eligibility import Target
from allocator.model.data import QUARTER, ModelData, TargetData, candidate_array
from allocator.model.solution import Solution
from allocator.schema import Instance
from allocator.stopping import Watchdog

MAX_NAMES = 4


def date_ranges(dates: list[dt.date]) -> str:
    """``[d1, d2, d3, d7]`` -> ``"2027-01-04..2027-01-06, 2027-01-07"`` (consecutive merge)."""
    if not dates:
        return ""
    spans: list[list[dt.date]] = []
    for day in sorted(dates):
        if spans and (day - spans[-1][1]).days <= 1:
            spans[-1][1] = day
        else:
            spans.append([day, day])
    parts = [f"{a}" if a == b else f"{a}..{b}" for a, b in spans]
    return ", ".join(parts[:6]) + (f" and {len(parts) - 6} more periods" if len(parts) > 6 else "")


def _names(ids: list[str], count: int | None = None) -> str:
    """The first :data:`MAX_NAMES` of ``ids``, and how many more of ``count`` (default: all
    of ``ids``) there are."""
    count = len(ids) if count is None else count
    shown = ", ".join(ids[:MAX_NAMES])
    return shown + (f" and {count - MAX_NAMES} more" if count > MAX_NAMES else "")


class _Usage:
    """Per specialist-day load and exclusive locks, and the projects of a solution, as arrays
    over specialists (and dates) where the reasons read them for many specialists at once."""

    def __init__(self, data: ModelData, solution: Solution) -> None:
        n, m = len(data.available), len(data.dates)
        self.load = np.zeros((n, m), np.int64)  # quarter-hours planned
        self.locked = np.zeros((n, m), bool)  # on an exclusive workplace
        self.available = data.available_matrix
        self.projects: dict[int, set[int]] = defaultdict(set)
        self.members: dict[int, set[int]] = defaultdict(set)  # per project: who works on it
        self.assignees: dict[int, set[int]] = defaultdict(set)
        self.inside: Counter[int] = Counter()
        self.total: Counter[int] = Counter()
        for s, k, d, q in solution.rows(data):
            t = data.targets[k]
            self.load[s, d] += q
            self.projects[s].add(t.project)
            self.members[t.project].add(s)
            self.assignees[k].add(s)
            self.total[t.project] += q
            self.inside[t.project] += q if data.in_house[s] else 0
        for w, s in solution.fills.items():
            seat = data.targets[w]
            if seat.exclusive:
                self.locked[s, seat.days] = True
        self.count = np.array([len(self.projects[s]) for s in range(n)], np.int64)
        self.capacity = np.array(data.capacity_q, np.int64)
        self.in_house = np.array(data.in_house, bool)
        self.limit = np.array(
            [s.max_projects or 0 for s in data.instance.specialists], np.int64
        )  # 0: no limit
        self.ids = [s.id for s in data.instance.specialists]

    def on(self, people: npt.NDArray[np.int64], group: set[int]) -> npt.NDArray[np.bool_]:
        """Per specialist of ``people``: whether they are in ``group``."""
        return np.isin(people, np.fromiter(group, np.int64, len(group)))


Requirements = tuple[object, ...]
PROJECT_LIMIT = 100  # unmet-reason keys from here on: at a project limit of (key - this)


def _requirements(target: Target) -> Requirements:
    """Everything :func:`allocator.eligibility.exclusions` reads of a target but its name:
    items with equal requirements exclude the same specialists for the same reasons."""
    item, project = target.item, target.project
    overlap = (project.timezone, project.work_hours, project.min_overlap_hours)
    return (
        target.role,
        tuple(item.skills.items()),
        (*project.required_certifications, *item.certifications),
        target.sourcing_rule,
        None if item.candidates is None else tuple(item.candidates),
        overlap if project.min_overlap_hours > 0 else None,
        (target.daily_minimum, target.dates) if target.daily_minimum > 0 else None,
    )


def _no_one_eligible(
    data: ModelData, t: TargetData, seen: dict[Requirements, tuple[Counter[str], dict[str, int]]]
) -> list[str]:
    """Why no specialist is eligible for ``t``: how many each rule excludes, with the first
    excluded specialist's reason as an example. ``seen`` keeps, per requirements, the counts
    and the example specialists (a typo in a role on many items of many specialists is
    counted once); the examples' words are the item's own."""
    specialists = data.instance.specialists
    if not specialists:
        return ["no eligible specialist: the instance has no specialists"]
    key = _requirements(t.target)
    if key not in seen:
        counts: Counter[str] = Counter()  # specialists excluded by each rule (one may fail several)
        first: dict[str, int] = {}
        for i, s in enumerate(specialists):
            categories = {e.category for e in data.eligibility.why_not(s, t.target)}
            counts.update(categories)
            for excluded_by in categories:
                first.setdefault(excluded_by, i)
        seen[key] = counts, first
    counts, first = seen[key]
    total = len(specialists)
    parts = []
    for category, n in counts.most_common():
        reasons = data.eligibility.why_not(specialists[first[category]], t.target)
        example = next(e.reason for e in reasons if e.category == category)
        parts.append(f"{n} of {total} by {category} (e.g. {example})")
    return ["no eligible specialist: excluded " + "; ".join(parts)]


def _blockers(
    data: ModelData, usage: _Usage, t: TargetData, unmet: int, goal_note: str = ""
) -> list[str]:
    """Why each eligible specialist did not (or could not) do more of ``t``, grouped by
    reason in the order the reasons first apply. The first rule that holds is the reason:
    on leave on every date of ``t``; the task's assignee limit; their project limit; an
    exclusive workplace on every date they are available; a day shorter than the task's
    minimum; no free time, or less than that minimum, on every such date; outsourced on a
    project with a share rule; else another rule (the one the solver weighed), or the
    objective (``goal_note``) when it ranks a goal before coverage. A task's minimum is its
    ``min_daily_hours``, or its ``unmet`` quarter-hours when fewer: a last, shorter day may
    finish it (spec rule 5). Computed for all candidates at once
    (4,058-4,794 unmet items of 3,200 specialists: about 1 s, against 3.6-7.6 s one candidate
    at a time)."""
    need = t.daily_q if t.is_workplace else min(t.min_daily_q, unmet)
    people = candidate_array(t)
    cells = np.ix_(people, np.array(t.days, np.int64))
    away = ~usage.available[cells]  # dates of t each is on leave
    taken = usage.on(people, usage.assignees[t.index])
    joined = usage.on(people, usage.members[t.project])
    limit = usage.limit[people]
    share = data.instance.projects[t.project].min_in_house_share
    free = usage.capacity[people, None] - usage.load[cells]
    full_team = not t.is_workplace and len(usage.assignees[t.index]) >= t.max_assignees
    reasons = np.select(
        [
            t.is_workplace & (usage.count[people] > 0) & taken,  # its filler: no reason
            away.all(axis=1),
            full_team & ~taken,
            (limit > 0) & ~joined & (usage.count[people] >= limit),
            (usage.locked[cells] | away).all(axis=1),
            usage.capacity[people] < need,
            ((free <= 0) | away).all(axis=1),
            ((free < need) | away).all(axis=1),
            ~usage.in_house[people] & (share > 0),
        ],
        range(9),
        default=9,
    )
    words = {
        1: "on leave on those dates",
        2: f"not taken: the task allows at most {t.max_assignees} assignee(s)",
        4: "on an exclusive workplace on those dates",
        5: f"work less than the {need / QUARTER:g} h a day it needs",
        6: "fully booked on those dates",
        7: f"fewer free hours on those dates than the {need / QUARTER:g} h a day it needs",
        8: f"outsourced, and the project keeps {share:.0%} of its hours in-house",
        9: (
            f"had free hours, left unused because {goal_note}"
            if goal_note
            else "had free hours but adding them would break another rule"
        ),
    }
    # one group per reason (per limit for the project limit), in the order they first apply
    keys = np.where(reasons == 3, PROJECT_LIMIT + limit, reasons)
    found, first = np.unique(keys, return_index=True)
    out = []
    for key in found[np.argsort(first)].tolist():
        if key:
            who = people[keys == key]
            names = [usage.ids[s] for s in who[:MAX_NAMES].tolist()]
            why = words.get(key) or f"already on {key - PROJECT_LIMIT} project(s), their limit"
            out.append(f"{_names(names, len(who))}: {why}")
    return out


def unmet_reasons(
    data: ModelData, solution: Solution, unmet_q: list[int], *, proven: bool
) -> dict[int, list[str]]:
    """Plain-word reasons for every target with unmet hours, by target index."""
    usage = _Usage(data, solution)
    order = list(data.instance.objective.order)
    goal_note = ""  # when unmet hours are the objective's choice, not only the rules'
    if "coverage" not in order:
        goal_note = "the objective does not ask for coverage"
    elif order[0] != "coverage":
        before = " and ".join(order[: order.index("coverage")])
        goal_note = f"the objective ranks {before} before coverage"
    out: dict[int, list[str]] = {}
    seen: dict[Requirements, tuple[Counter[str], dict[str, int]]] = {}
    for t in data.targets:
        if unmet_q[t.index] <= 0:
            continue
        if not t.eligible:
            out[t.index] = _no_one_eligible(data, t, seen)
            continue
        reasons: list[str] = []
        filler = solution.fills.get(t.index) if t.is_workplace else None
        if filler is not None:
            away = [data.dates[d] for d in t.days if d not in data.available[filler]]
            who = data.instance.specialists[filler].id
            reasons.append(f"{who} fills it but is unavailable on {date_ranges(away)}")
        else:
            if not t.is_workplace and not t.days:  # (so no one is away or busy there)
                reasons.append("the task's window has no working dates")
            else:
                reasons += _blockers(data, usage, t, unmet_q[t.index], goal_note)
        if t.set_aside:
            reasons.append(
                f"{t.set_aside} more eligible specialist(s) were left out of this large model "
                "(candidate restriction)"
            )
        if goal_note and not any(goal_note in reason for reason in reasons):
            reasons.append(goal_note)
        if not proven:
            reasons.append("the search stopped before proving this is the best plan")
        hours = unmet_q[t.index] / QUARTER
        out[t.index] = reasons or [f"{hours:g} h could not be staffed"]
    return out


def explain_infeasibility(
    instance: Instance, time_limit: float = 20.0, stop: threading.Event | None = None
) -> list[str]:
    """The smallest conflicting set of guarded items found, in plain words.

    Builds the model with one assumption literal per fixed assignment, required item, share
    rule, project limit and capacity of the fixed specialists on each date; asks CP-SAT for a
    sufficient set of assumptions, then drops members one by one while the rest stays
    infeasible, for at most ``time_limit`` seconds. Once ``stop`` is set (a cancelled job,
    Ctrl+C) it ends at once: with the set isolated so far, or with a sentence saying none was.
    """
    from allocator.model.build import build_model  # deferred: build imports nothing from here

    started = time.perf_counter()
    built = build_model(instance, explain=True)
    guards = built.ctx.guards
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = time_limit / 2
    solver.parameters.catch_sigint_signal = False  # Ctrl+C is the caller's (see solve)

    by_index = {lit.index: lit for lit in guards.literals}

    def stopped() -> bool:
        return stop is not None and stop.is_set()

    def infeasible(indices: list[int]) -> bool | None:
        if stopped():
            return None
        built.model.clear_assumptions()
        built.model.add_assumptions([by_index[i] for i in indices])
        remaining = time_limit - (time.perf_counter() - started)
        solver.parameters.max_time_in_seconds = max(0.5, remaining / 2)
        status = solver.solve(built.model)
        if status == cp_model.INFEASIBLE:
            return True
        return False if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else None

    watchdog = Watchdog(solver, stop)
    try:
        all_literals = [lit.index for lit in guards.literals]
        if not infeasible(all_literals):
            when = "before the search was stopped" if stopped() else "in time"
            return [
                f"the hard rules conflict, but no smaller set of items could be isolated {when}"
            ]
        core = list(solver.sufficient_assumptions_for_infeasibility()) or all_literals
        for literal in list(core):
            if time.perf_counter() - started > time_limit or len(core) == 1 or stopped():
                break
            rest = [x for x in core if x != literal]
            if infeasible(rest):
                core = rest
    finally:
        watchdog.close()
    items = [guards.labels[x] for x in core if x in guards.labels]
    head = "this item can never hold" if len(items) == 1 else "these items cannot all hold together"
    details = [f"conflicting: {item}" for item in items] if len(items) > 1 else []
    return [f"{head}: " + "; ".join(items), *details]
