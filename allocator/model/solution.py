"""A solution in model terms, read from CP-SAT or made by the greedy planner, and its goals.

``fills`` maps a workplace's target index to its specialist; ``hours`` maps
(specialist, task target index, day) to quarter-hours. Goal values are computed here from the
solution alone (spec, "What a plan optimises"), in hours and currency.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from allocator.model.data import QUARTER, ModelData, previous_plan, quarters
from allocator.model.variables import Variables


@dataclass
class Solution:
    fills: dict[int, int] = field(default_factory=dict)
    hours: dict[tuple[int, int, int], int] = field(default_factory=dict)

    def rows(self, data: ModelData) -> list[tuple[int, int, int, int]]:
        """(specialist, target, day, quarter-hours) for every planned specialist-day."""
        out: list[tuple[int, int, int, int]] = []
        for w, s in self.fills.items():
            t = data.targets[w]
            out.extend((s, w, d, t.daily_q) for d in t.eligible.get(s, []))
        out.extend((s, k, d, q) for (s, k, d), q in self.hours.items() if q > 0)
        return out


def read_solution(values: Sequence[int], variables: Variables) -> Solution:
    """The solution held by a CP-SAT response's ``solution`` (a value per variable index)."""
    fills = {w: s for (s, w), var in variables.fill.items() if values[var.index]}
    hours = {key: values[var.index] for key, var in variables.hours.items() if values[var.index]}
    return Solution(fills, hours)


def unmet_quarters(data: ModelData, solution: Solution) -> list[int]:
    """Unmet quarter-hours per target."""
    done = [0] * len(data.targets)
    for _, k, _, q in solution.rows(data):
        done[k] += q
    return [t.demand_q - done[t.index] for t in data.targets]


def holds_locks(data: ModelData, solution: Solution) -> bool:
    """Whether ``solution`` keeps every fixed assignment (spec rule 8) and every required
    item (rule 9): the rules a plan made without CP-SAT (the greedy planner's) may break.

    A fixed ``{specialist, workplace}`` holds when they fill it (and, with ``date``, work it
    that date; with ``hours``, those are its hours a day); a fixed ``{specialist, task}``
    when they work on it (on ``date`` if given, exactly ``hours`` that date, or over the task
    without a date). A required workplace is filled with no unmet hours, a required task
    done in full."""
    unmet = unmet_quarters(data, solution)
    for t in data.targets:
        if t.target.item.required and (
            unmet[t.index] > 0 or (t.is_workplace and t.index not in solution.fills)
        ):
            return False
    index = data.eligibility.target_index
    days = {d: i for i, d in enumerate(data.dates)}
    worked: dict[tuple[int, int], dict[int, int]] = {  # a fixed task's pair: day -> hours
        (data.specialist_index[f.specialist], index["task", f.task]): {}
        for f in data.instance.fixed
        if f.task is not None
    }
    for (s, k, d), q in solution.hours.items():
        if q > 0 and (s, k) in worked:
            worked[s, k][d] = q
    for item in data.instance.fixed:
        s = data.specialist_index[item.specialist]
        day = None if item.date is None else days.get(item.date, -1)
        hours = None if item.hours is None else quarters(item.hours)
        if item.workplace is not None:
            t = data.targets[index["workplace", item.workplace]]
            if solution.fills.get(t.index) != s or (hours is not None and hours != t.daily_q):
                return False
            if day is not None and day not in t.eligible.get(s, []):
                return False
            continue
        mine = worked[s, index["task", item.task or ""]]
        if not mine:
            return False
        if day is not None and (day not in mine or hours not in (None, mine[day])):
            return False
        if day is None and hours is not None and sum(mine.values()) != hours:
            return False
    return True


def evaluate(data: ModelData, solution: Solution, *, stable: bool = True) -> dict[str, float]:
    """Coverage (priority x unmet hours), cost (currency) and stability of ``solution``.

    ``stable=False`` leaves stability out (it is the costliest to count).
    """
    rows = solution.rows(data)
    unmet = unmet_quarters(data, solution)
    coverage = sum(t.priority * unmet[t.index] for t in data.targets) / QUARTER
    money = sum(data.rate[s] * q for s, _, _, q in rows)
    money += sum(
        data.onboarding(s, p) for s, p in {(s, data.targets[k].project) for s, k, _, _ in rows}
    )
    values = {"coverage": coverage, "cost": round(money / data.money_scale, 6)}
    if stable:
        values["stability"] = float(stability(data, solution, rows))
    return values


def exact_cost(data: ModelData, solution: Solution) -> float:
    """The cost goal of ``solution`` (currency) from the instance's costs per hour as given,
    for costs with more decimals than the model's money units hold (spec, goal "cost")."""
    specialists, projects = data.instance.specialists, data.instance.projects
    rows = solution.rows(data)
    terms = [specialists[s].cost_per_hour * q / QUARTER for s, _, _, q in rows]
    for s, p in {(s, data.targets[k].project) for s, k, _, _ in rows}:
        if projects[p].id not in specialists[s].familiar_projects:
            terms.append(specialists[s].cost_per_hour * projects[p].onboarding_hours)
    return math.fsum(terms)


def cost_slack(data: ModelData) -> float:
    """The most the rounded rates can move any plan's cost (currency): the rounding error per
    hour times every hour that can be paid (all demand, and every onboarding)."""
    if data.rate_error == 0:
        return 0.0
    onboarding = sum(p.onboarding_hours for p in data.instance.projects)
    hours = sum(t.demand_q for t in data.targets) / QUARTER
    return data.rate_error * (hours + onboarding * len(data.capacity_q))


def stability(data: ModelData, solution: Solution, rows: list[tuple[int, int, int, int]]) -> int:
    """Changed fills and task assignees against the previous plan (as
    :mod:`allocator.model.objectives` counts them), plus split days."""
    day_projects: dict[tuple[int, int], set[int]] = defaultdict(set)
    for s, k, d, _ in rows:
        day_projects[s, d].add(data.targets[k].project)
    count = sum(1 for projects in day_projects.values() if len(projects) > 1)
    previous = previous_plan(data)
    if previous is None:
        return count
    names = [s.id for s in data.instance.specialists]
    for w, name in previous.fills:
        now = solution.fills.get(w)
        count += int(now is None or names[now] != name)
    filled_before = {w for w, _ in previous.fills}
    count += sum(1 for w in solution.fills if w not in filled_before)
    after: dict[int, set[str]] = defaultdict(set)
    for s, k, _, _ in rows:
        if not data.targets[k].is_workplace:
            after[k].add(names[s])
    before = previous.assignees
    tasks = before.keys() | after.keys()
    changed = sum(len(before.get(k, set()) ^ after.get(k, set())) for k in tasks)
    return count + changed
