"""A greedy planner, staffing the way a resource manager does by hand.

Highest priority first (required items and locked assignments before the rest), the
cheapest eligible free specialist first, in-house first on projects with a share rule. It
respects every hard rule it can see locally (capacity, exclusivity, min daily hours, max
assignees, max projects) and then trims outsourced hours until each share rule holds. Its
solution is the first hint handed to CP-SAT, and the baseline in the benchmarks.
"""

from __future__ import annotations

from collections import defaultdict
from fractions import Fraction

from allocator.model.data import ModelData, TargetData
from allocator.model.solution import Solution


class _State:
    def __init__(self, data: ModelData) -> None:
        self.data = data
        self.free = [
            dict.fromkeys(days, cap)
            for days, cap in zip(data.available, data.capacity_q, strict=True)
        ]
        self.busy: list[set[int]] = [set() for _ in data.available]  # days with any work
        self.locked: list[set[int]] = [set() for _ in data.available]  # exclusive days
        self.projects: list[set[int]] = [set() for _ in data.available]
        self.solution = Solution()

    def may_join(self, s: int, project: int) -> bool:
        limit = self.data.instance.specialists[s].max_projects
        known = self.projects[s]
        return limit is None or project in known or len(known) < limit

    def fits_workplace(self, s: int, t: TargetData) -> bool:
        days = t.eligible[s]
        if not self.may_join(s, t.project):
            return False
        if t.target.item.exclusive and any(d in self.busy[s] for d in t.days):  # type: ignore[union-attr]
            return False
        return all(self.free[s][d] >= t.daily_q and d not in self.locked[s] for d in days)

    def fill(self, s: int, t: TargetData) -> None:
        self.solution.fills[t.index] = s
        for d in t.eligible[s]:
            self.free[s][d] -= t.daily_q
            self.busy[s].add(d)
        if t.target.item.exclusive:  # type: ignore[union-attr]
            self.locked[s].update(t.days)
        self.projects[s].add(t.project)

    def work(self, s: int, t: TargetData, d: int, q: int) -> None:
        self.solution.hours[s, t.index, d] = q
        self.free[s][d] -= q
        self.busy[s].add(d)
        self.projects[s].add(t.project)


def _order(data: ModelData) -> list[TargetData]:
    fixed_targets = {f.workplace or f.task for f in data.instance.fixed}

    def key(t: TargetData) -> tuple[int, int, int, int, int]:
        item = t.target.item
        return (
            -int(t.target.id in fixed_targets),
            -int(item.required),
            -t.priority,
            -int(t.is_workplace),
            t.days[0] if t.days else 0,
        )

    return sorted(data.targets, key=key)


def _candidates(data: ModelData, t: TargetData, shares: dict[int, Fraction]) -> list[int]:
    fixed = {
        data.specialist_index[f.specialist]
        for f in data.instance.fixed
        if (f.workplace or f.task) == t.target.id
    }
    in_house_first = shares.get(t.project, Fraction(0)) > 0
    return sorted(
        t.eligible,
        key=lambda s: (
            s not in fixed,
            in_house_first and not data.in_house[s],
            -len(t.eligible[s]) if t.is_workplace else 0,
            data.rate[s],
        ),
    )


def _staff_task(state: _State, t: TargetData, candidates: list[int]) -> None:
    remaining, people = t.demand_q, 0
    for s in candidates:
        if remaining <= 0 or people >= t.max_assignees:
            return
        if not state.may_join(s, t.project):
            continue
        worked = False
        for d in t.eligible[s]:
            if remaining < t.min_daily_q or d in state.locked[s]:
                continue
            q = min(state.free[s][d], remaining)
            if 0 < remaining - q < t.min_daily_q:
                q = remaining - t.min_daily_q
            if q >= t.min_daily_q and q > 0:
                state.work(s, t, d, q)
                remaining -= q
                worked = True
        people += int(worked)


def _enforce_shares(data: ModelData, solution: Solution, shares: dict[int, Fraction]) -> None:
    inside: dict[int, int] = defaultdict(int)
    total: dict[int, int] = defaultdict(int)
    for s, k, _, q in solution.rows(data):
        p = data.targets[k].project
        total[p] += q
        inside[p] += q if data.in_house[s] else 0
    for (s, k, d), q in sorted(solution.hours.items(), key=lambda kv: -kv[0][2]):
        p = data.targets[k].project
        if p in shares and not data.in_house[s] and inside[p] < shares[p] * total[p]:
            del solution.hours[s, k, d]
            total[p] -= q
    for w, s in list(solution.fills.items()):
        t = data.targets[w]
        p = t.project
        if p in shares and not data.in_house[s] and inside[p] < shares[p] * total[p]:
            del solution.fills[w]
            total[p] -= t.daily_q * len(t.eligible[s])


def _drop_broken_minimums(data: ModelData, solution: Solution) -> None:
    """Removing hours may leave a task's assignee set valid; nothing else to mend here."""
    for key in [k for k, q in solution.hours.items() if q < data.targets[k[1]].min_daily_q]:
        del solution.hours[key]


def greedy_solution(data: ModelData) -> Solution:
    """Staff ``data`` greedily; the result satisfies every hard rule but fixed/required."""
    shares = {
        p: Fraction(project.min_in_house_share).limit_denominator(10_000)
        for p, project in enumerate(data.instance.projects)
        if project.min_in_house_share > 0
    }
    state = _State(data)
    for t in _order(data):
        candidates = _candidates(data, t, shares)
        if t.is_workplace:
            chosen = next((s for s in candidates if state.fits_workplace(s, t)), None)
            if chosen is not None and t.eligible[chosen]:
                state.fill(chosen, t)
        else:
            _staff_task(state, t, candidates)
    _enforce_shares(data, state.solution, shares)
    _drop_broken_minimums(data, state.solution)
    return state.solution
