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
import time
from collections import Counter, defaultdict

from ortools.sat.python import cp_model

from allocator.model.data import QUARTER, ModelData, TargetData
from allocator.model.solution import Solution
from allocator.schema import Instance

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


def _names(ids: list[str]) -> str:
    shown = ", ".join(ids[:MAX_NAMES])
    return shown + (f" and {len(ids) - MAX_NAMES} more" if len(ids) > MAX_NAMES else "")


class _Usage:
    """Per specialist-day load, exclusive locks and projects of a solution."""

    def __init__(self, data: ModelData, solution: Solution) -> None:
        self.load: dict[tuple[int, int], int] = defaultdict(int)
        self.locked: dict[tuple[int, int], str] = {}
        self.projects: dict[int, set[int]] = defaultdict(set)
        self.assignees: dict[int, set[int]] = defaultdict(set)
        self.inside: Counter[int] = Counter()
        self.total: Counter[int] = Counter()
        for s, k, d, q in solution.rows(data):
            t = data.targets[k]
            self.load[s, d] += q
            self.projects[s].add(t.project)
            self.assignees[k].add(s)
            self.total[t.project] += q
            self.inside[t.project] += q if data.in_house[s] else 0
        for w, s in solution.fills.items():
            seat = data.targets[w]
            if seat.exclusive:
                for d in seat.days:
                    self.locked[s, d] = seat.target.id


def _no_one_eligible(data: ModelData, t: TargetData) -> list[str]:
    counts: Counter[str] = Counter()  # specialists excluded by each rule (one may fail several)
    examples: dict[str, str] = {}
    for s in data.instance.specialists:
        categories = set()
        for exclusion in data.eligibility.why_not(s, t.target):
            categories.add(exclusion.category)
            examples.setdefault(exclusion.category, exclusion.reason)
        counts.update(categories)
    if not data.instance.specialists:
        return ["no eligible specialist: the instance has no specialists"]
    total = len(data.instance.specialists)
    parts = [f"{n} of {total} by {cat} (e.g. {examples[cat]})" for cat, n in counts.most_common()]
    return ["no eligible specialist: excluded " + "; ".join(parts)]


def _blockers(data: ModelData, usage: _Usage, t: TargetData, days: list[int]) -> list[str]:
    """Why each eligible specialist did not (or could not) do more of ``t`` on ``days``."""
    need = t.daily_q if t.is_workplace else t.min_daily_q
    groups: dict[str, list[str]] = defaultdict(list)
    specialists = data.instance.specialists
    limit_people = not t.is_workplace and len(usage.assignees[t.index]) >= t.max_assignees
    share = data.instance.projects[t.project].min_in_house_share
    for s in t.eligible:
        name = specialists[s].id
        if t.is_workplace and usage.projects[s] and s in usage.assignees[t.index]:
            continue
        own = [d for d in days if d in data.available[s]]
        limit = specialists[s].max_projects
        if not own:
            groups["on leave on those dates"].append(name)
        elif limit_people and s not in usage.assignees[t.index]:
            groups[f"not taken: the task allows at most {t.max_assignees} assignee(s)"].append(name)
        elif (
            limit is not None
            and t.project not in usage.projects[s]
            and len(usage.projects[s]) >= limit
        ):
            groups[f"already on {limit} project(s), their limit"].append(name)
        elif all((s, d) in usage.locked for d in own):
            groups["on an exclusive workplace on those dates"].append(name)
        elif data.capacity_q[s] < need:
            groups[f"work less than the task's minimum of {need / QUARTER:g} h a day"].append(name)
        elif all(data.capacity_q[s] - usage.load[s, d] < need for d in own):
            groups["fully booked on those dates"].append(name)
        elif not data.in_house[s] and share > 0:
            groups[f"outsourced, and the project keeps {share:.0%} of its hours in-house"].append(
                name
            )
        else:
            groups["had free hours but adding them would break another rule"].append(name)
    return [f"{_names(names)}: {why}" for why, names in groups.items()]


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
    for t in data.targets:
        if unmet_q[t.index] <= 0:
            continue
        if not t.eligible:
            out[t.index] = _no_one_eligible(data, t)
            continue
        reasons: list[str] = []
        filler = solution.fills.get(t.index) if t.is_workplace else None
        if filler is not None:
            away = [data.dates[d] for d in t.days if d not in data.available[filler]]
            who = data.instance.specialists[filler].id
            reasons.append(f"{who} fills it but is unavailable on {date_ranges(away)}")
        else:
            if not t.is_workplace and not t.days:
                reasons.append("the task's window has no working dates")
            reasons += _blockers(data, usage, t, t.days)
        if t.set_aside:
            reasons.append(
                f"{t.set_aside} more eligible specialist(s) were left out of this large model "
                "(candidate restriction)"
            )
        if goal_note:
            reasons.append(goal_note)
        if not proven:
            reasons.append("the search stopped before proving this is the best plan")
        hours = unmet_q[t.index] / QUARTER
        out[t.index] = reasons or [f"{hours:g} h could not be staffed"]
    return out


def explain_infeasibility(instance: Instance, time_limit: float = 20.0) -> list[str]:
    """The smallest conflicting set of guarded items found, in plain words.

    Builds the model with one assumption literal per fixed assignment, required item, share
    rule, project limit and capacity of the fixed specialists on each date; asks CP-SAT for a
    sufficient set of assumptions, then drops members one by one while the rest stays
    infeasible.
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

    def infeasible(indices: list[int]) -> bool | None:
        built.model.clear_assumptions()
        built.model.add_assumptions([by_index[i] for i in indices])
        remaining = time_limit - (time.perf_counter() - started)
        solver.parameters.max_time_in_seconds = max(0.5, remaining / 2)
        status = solver.solve(built.model)
        if status == cp_model.INFEASIBLE:
            return True
        return False if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else None

    all_literals = [lit.index for lit in guards.literals]
    if not infeasible(all_literals):
        return ["the hard rules conflict, but no smaller set of items could be isolated in time"]
    core = list(solver.sufficient_assumptions_for_infeasibility()) or all_literals
    for literal in list(core):
        if time.perf_counter() - started > time_limit or len(core) == 1:
            break
        rest = [x for x in core if x != literal]
        if infeasible(rest):
            core = rest
    items = [guards.labels[x] for x in core if x in guards.labels]
    head = "this item can never hold" if len(items) == 1 else "these items cannot all hold together"
    details = [f"conflicting: {item}" for item in items] if len(items) > 1 else []
    return [f"{head}: " + "; ".join(items), *details]
