"""Greedy planners: the way a resource manager staffs by hand, and smarter orderings.

The ``manager`` ordering is what users do today: highest priority first (required items and
locked assignments before the rest), the cheapest eligible free specialist first, in-house
first on projects with a share rule. It is the baseline of the benchmarks. The ``scarcity``
ordering staffs first the items whose priority-weighted hours are spread over the fewest
candidates, the ``flexible`` candidate rule keeps the specialists who could do many
other things for later, and the ``roomy`` rule gives a task first to the candidates with the
most free time in its window (a task allows few assignees: a cheap candidate with an hour to
spare uses up a place the task needs). The ``onboarding`` rule ranks candidates by what the
item would cost with them, onboarding included when they are new to its project, rather than
by rate: the cheapest rate spreads people over many projects, each join paid. In the roomy
greedy plan of the large instance it pays 764 joins and 376,000 of onboarding against 913 and
477,000, and leaves fewer hours unmet too: 2,369 weighted at 9.17 million against 3,281 at
9.30 million (the medium instance, with flexible people last: 812 against 1,066). Every
variant respects each hard rule it can see locally (capacity, exclusivity, min daily hours,
max assignees, max projects) and then trims outsourced hours until each share rule holds.
:func:`best_greedy` runs the variants and keeps the best: the first hint handed to CP-SAT.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from fractions import Fraction
from typing import Literal

from allocator.model.data import ModelData, TargetData, in_house_share
from allocator.model.solution import Solution, evaluate
from allocator.schema import Goal


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
        if not days or not self.may_join(s, t.project):  # no day to work: no use filling
            return False
        if t.exclusive and any(d in self.busy[s] for d in t.days):
            return False
        return all(self.free[s][d] >= t.daily_q and d not in self.locked[s] for d in days)

    def fill(self, s: int, t: TargetData) -> None:
        self.solution.fills[t.index] = s
        for d in t.eligible[s]:
            self.free[s][d] -= t.daily_q
            self.busy[s].add(d)
        if t.exclusive:
            self.locked[s].update(t.days)
        self.projects[s].add(t.project)

    def work(self, s: int, t: TargetData, d: int, q: int) -> None:
        self.solution.hours[s, t.index, d] = q
        self.free[s][d] -= q
        self.busy[s].add(d)
        self.projects[s].add(t.project)


Ordering = Literal["manager", "scarcity"]


def _order(data: ModelData, ordering: Ordering) -> list[TargetData]:
    fixed_targets = {f.workplace or f.task for f in data.instance.fixed}

    def key(t: TargetData) -> tuple[float, ...]:
        locked = (-int(t.target.id in fixed_targets), -int(t.target.item.required))
        if ordering == "scarcity":
            return (*locked, -t.priority * t.demand_q / max(1, len(t.eligible)))
        return (*locked, -t.priority, -int(t.is_workplace), t.days[0] if t.days else 0)

    return sorted(data.targets, key=key)


Preference = dict[tuple[int, int], float]  # (specialist, target) -> weight, higher first


def _candidates(
    data: ModelData,
    t: TargetData,
    shares: dict[int, Fraction],
    preference: Preference,
    flexibility: Counter[int] | None,
    joined: list[set[int]] | None,
) -> list[int]:
    """``t``'s eligible specialists in the order a greedy tries them (see
    :func:`greedy_solution`): fixed to it, then by ``preference``, in-house first where a share
    rule applies, by ``flexibility``, and by rate. With ``joined`` (the projects each
    specialist already works on) by what ``t`` would cost with them, onboarding included,
    and in-house first only among equals (the share rule is enforced at the end anyway; ahead
    of money it sends pricier people to such projects: the large instance's roomy plan leaves
    3,191 weighted unmet hours at 9.22 million with it first, 2,369 at 9.17 million after)."""
    fixed = {
        data.specialist_index[f.specialist]
        for f in data.instance.fixed
        if (f.workplace or f.task) == t.target.id
    }
    in_house_first = shares.get(t.project, Fraction(0)) > 0

    def key(s: int) -> tuple[float, ...]:
        outsourced = in_house_first and not data.in_house[s]
        ahead = (s not in fixed, -round(preference.get((s, t.index), 0.0), 3))
        rest = (
            flexibility[s] if flexibility is not None else 0,
            -len(t.eligible[s]) if t.is_workplace else 0,
        )
        if joined is None:
            return (*ahead, outsourced, *rest, data.rate[s])
        onboarding = 0 if t.project in joined[s] else data.onboarding(s, t.project)
        return (*ahead, *rest, data.rate[s] * t.demand_q + onboarding, outsourced)

    return sorted(t.eligible, key=key)


def _room(state: _State, s: int, t: TargetData) -> int:
    """The quarter-hours ``s`` could still work on task ``t`` (at most its effort)."""
    if not state.may_join(s, t.project):
        return 0
    free, locked = state.free[s], state.locked[s]
    room = sum(free[d] for d in t.eligible[s] if d not in locked and free[d] >= t.min_daily_q)
    return min(room, t.demand_q)


def _staff_task(state: _State, t: TargetData, candidates: list[int], *, roomy: bool) -> None:
    if roomy:  # the most free time first; the ranking orders those who can do it all
        room = {s: _room(state, s, t) for s in candidates}
        candidates = sorted(candidates, key=lambda s: -room[s])
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


def greedy_solution(
    data: ModelData,
    preference: Preference | None = None,
    *,
    ordering: Ordering = "manager",
    flexible_last: bool = False,
    roomy: bool = False,
    onboarding: bool = False,
) -> Solution:
    """Staff ``data`` greedily; the result satisfies every hard rule but fixed/required.

    ``preference`` (e.g. an LP relaxation's share of each target given to each specialist)
    is tried before cost when ranking the candidates of a target; ``ordering`` picks the
    order of the targets, ``flexible_last`` ranks specialists eligible for fewer targets
    first, and ``roomy`` gives each task first to the candidates with the most free time in
    its window (ranked as above among equals); with ``onboarding`` candidates are ranked by
    the item's money with them (hours at their rate, plus onboarding when they do not work on
    its project yet) instead of by rate.
    """
    shares = {
        p: in_house_share(project)
        for p, project in enumerate(data.instance.projects)
        if project.min_in_house_share > 0
    }
    flexibility = Counter(s for t in data.targets for s in t.eligible) if flexible_last else None
    state = _State(data)
    joined = state.projects if onboarding else None  # kept up to date as the greedy staffs
    for t in _order(data, ordering):
        candidates = _candidates(data, t, shares, preference or {}, flexibility, joined)
        if t.is_workplace:
            chosen = next((s for s in candidates if state.fits_workplace(s, t)), None)
            if chosen is not None and t.eligible[chosen]:
                state.fill(chosen, t)
        else:
            _staff_task(state, t, candidates, roomy=roomy)
    _enforce_shares(data, state.solution, shares)
    return state.solution


def best_greedy(
    data: ModelData,
    order: list[Goal],
    preference: Preference | None = None,
    deadline: float | None = None,
) -> Solution:
    """The lexicographically best (by ``order``) of the greedy variants: the scarcity
    ordering with ``roomy`` tasks, by ``onboarding`` and by rate, plain scarcity and the
    manager's ordering, each with and without ``flexible_last``.

    With a ``deadline`` (``time.perf_counter()`` seconds) no variant starts after it, but
    the first always runs: on very large instances one variant takes seconds (2,500
    specialists, 20 days: about 10 s each), and the solve's time limit comes first. The
    variants go in the order that most often wins (the roomy rule by onboarding gave the
    large instance's best plans).
    """
    rules: list[tuple[Ordering, bool, bool]] = [
        ("scarcity", True, True),
        ("scarcity", True, False),
        ("scarcity", False, False),
        ("manager", False, False),
    ]
    best: Solution | None = None
    best_key: list[float] = []
    for ordering, roomy, onboarding in rules:
        for flexible in (False, True):
            if best is not None and deadline is not None and time.perf_counter() >= deadline:
                return best
            solution = greedy_solution(
                data,
                preference,
                ordering=ordering,
                flexible_last=flexible,
                roomy=roomy,
                onboarding=onboarding,
            )
            key = [evaluate(data, solution)[g] for g in order]
            if best is None or key < best_key:
                best, best_key = solution, key
    assert best is not None
    return best
