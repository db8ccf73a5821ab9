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
from collections import defaultdict
from fractions import Fraction
from typing import Literal

import numpy as np
import numpy.typing as npt

from allocator.model.data import (
    ModelData,
    TargetData,
    candidacies,
    candidate_array,
    in_house_share,
    quarters,
)
from allocator.model.solution import Solution, evaluate
from allocator.schema import Fixed, Goal

Ints = npt.NDArray[np.int64]
Flags = npt.NDArray[np.bool_]


class _Arrays:
    """What every variant reads, as arrays over specialists (and dates), built once for the
    data's candidates as they are then: a target's candidates are ranked and checked with a
    few vector operations instead of a Python call per (specialist, target) pair (2,500
    specialists, 20 days: 0.6-0.9 s a variant, about 10 s before)."""

    def __init__(self, data: ModelData) -> None:
        self.available = data.available_matrix
        self.capacity: Ints = np.array(data.capacity_q, np.int64)
        onboarding = [quarters(p.onboarding_hours) for p in data.instance.projects]
        # money keys in integers (exact) unless an item's money could overflow them: costs
        # per hour near the limit, with four decimals, on efforts of hundreds of thousands of
        # hours (the ranking is then as close as floats can tell)
        most = max(data.rate, default=0) * (
            max((t.demand_q for t in data.targets), default=0) + max(onboarding, default=0)
        )
        money = np.int64 if most < 2**62 else np.float64
        self.rate = np.array(data.rate, money)
        self.in_house: Flags = np.array(data.in_house, bool)
        unlimited = len(data.project_ids) + 1
        self.limit: Ints = np.array(
            [s.max_projects or unlimited for s in data.instance.specialists], np.int64
        )
        index = data.specialist_index
        # per target (kind, id): the specialists fixed to it
        self.fixed: dict[tuple[str, str], Ints] = defaultdict(lambda: np.zeros(0, np.int64))
        for f in data.instance.fixed:
            if (target := _fixed_target(f)) is not None and f.specialist in index:
                self.fixed[target] = np.append(self.fixed[target], index[f.specialist])
        # money of joining each project (see ModelData.onboarding), per specialist
        self.onboarding = data.onboarding_matrix.astype(money)
        # per target: its candidates (as the data has them now) and its dates
        self.people: list[Ints] = [candidate_array(t) for t in data.targets]
        self.days: list[Ints] = [np.array(t.days, np.int64) for t in data.targets]


class _State:
    def __init__(self, data: ModelData, arrays: _Arrays) -> None:
        self.data, self.arrays = data, arrays
        self.free: Ints = arrays.available * arrays.capacity[:, None]  # quarter-hours left
        self.busy = np.zeros_like(arrays.available)  # dates with any work
        self.locked = np.zeros_like(arrays.available)  # dates on an exclusive workplace
        self.count: Ints = np.zeros(len(data.available), np.int64)  # projects joined
        self.joined: dict[int, Flags] = {}  # per project: who works on it
        self.solution = Solution()

    def on_project(self, p: int) -> Flags:
        if p not in self.joined:
            self.joined[p] = np.zeros(len(self.data.available), bool)
        return self.joined[p]

    def may_join(self, people: Ints, project: int) -> Flags:
        """Per specialist of ``people``: on ``project`` already, or below their limit."""
        return self.on_project(project)[people] | (self.count[people] < self.arrays.limit[people])

    def join(self, s: int, project: int) -> None:
        on = self.on_project(project)
        if not on[s]:
            on[s] = True
            self.count[s] += 1

    def fitting(self, people: Ints, t: TargetData) -> Flags:
        """Per specialist of ``people``: could fill workplace ``t`` now (a date to work, free
        for its hours on every date available, no date on an exclusive workplace; free of
        any work in its period for an exclusive one; may join its project)."""
        cells = np.ix_(people, self.arrays.days[t.index])
        available = self.arrays.available[cells]
        free = (self.free[cells] >= t.daily_q) & ~self.locked[cells]
        fits = available.any(axis=1) & (free | ~available).all(axis=1)
        if t.exclusive:
            fits &= ~self.busy[cells].any(axis=1)
        return fits & self.may_join(people, t.project)

    def fill(self, s: int, t: TargetData) -> None:
        self.solution.fills[t.index] = s
        days = t.eligible[s]
        self.free[s, days] -= t.daily_q
        self.busy[s, days] = True
        if t.exclusive:
            self.locked[s, t.days] = True
        self.join(s, t.project)

    def work(self, s: int, t: TargetData, d: int, q: int) -> None:
        self.solution.hours[s, t.index, d] = q
        self.free[s, d] -= q
        self.busy[s, d] = True
        self.join(s, t.project)

    def room(self, people: Ints, t: TargetData) -> Ints:
        """Per specialist of ``people``: the quarter-hours they could still work on task
        ``t`` (free dates of its window not on an exclusive workplace and with at least its
        minimum daily hours free), at most its effort; 0 when they may not join."""
        cells = np.ix_(people, self.arrays.days[t.index])
        free = self.free[cells]
        usable = self.arrays.available[cells] & ~self.locked[cells] & (free >= t.min_daily_q)
        room = np.minimum((free * usable).sum(axis=1), t.demand_q)
        return np.where(self.may_join(people, t.project), room, 0)


Ordering = Literal["manager", "scarcity"]


def _fixed_target(f: Fixed) -> tuple[str, str] | None:
    """The (kind, id) of the target a fixed assignment names (a workplace and a task may
    share an id)."""
    if f.workplace is not None:
        return ("workplace", f.workplace)
    return None if f.task is None else ("task", f.task)


def _order(data: ModelData, ordering: Ordering) -> list[TargetData]:
    fixed_targets = {_fixed_target(f) for f in data.instance.fixed}

    def key(t: TargetData) -> tuple[float, ...]:
        locked = (-int((t.target.kind, t.target.id) in fixed_targets), -int(t.target.item.required))
        if ordering == "scarcity":
            return (*locked, -t.priority * t.demand_q / max(1, len(t.eligible)))
        return (*locked, -t.priority, -int(t.is_workplace), t.days[0] if t.days else 0)

    return sorted(data.targets, key=key)


Preference = dict[tuple[int, int], float]  # (specialist, target) -> weight, higher first


def _candidates(
    state: _State,
    t: TargetData,
    shares: dict[int, Fraction],
    preference: Preference,
    flexibility: Ints | None,
    onboarding: bool,
) -> Ints:
    """``t``'s eligible specialists in the order a greedy tries them (see
    :func:`greedy_solution`): fixed to it, then by ``preference``, in-house first where a share
    rule applies, by ``flexibility``, and by rate. With ``onboarding`` by what ``t`` would
    cost with them, onboarding included when they do not work on its project yet, and in-house
    first only among equals (the share rule is enforced at the end anyway; ahead of money it
    sends pricier people to such projects: the large instance's roomy plan leaves 3,191
    weighted unmet hours at 9.22 million with it first, 2,369 at 9.17 million after).
    Ties keep the order of ``t.eligible`` (a stable sort)."""
    arrays = state.arrays
    people = arrays.people[t.index]
    outsourced = (~arrays.in_house[people]) if shares.get(t.project, 0) > 0 else None
    keys: list[npt.NDArray[np.generic]] = []  # most significant first
    keys.append(np.isin(people, arrays.fixed[t.target.kind, t.target.id], invert=True))
    if preference:
        k = t.index
        keys.append(np.array([-round(preference.get((s, k), 0.0), 3) for s in people.tolist()]))
    if outsourced is not None and not onboarding:
        keys.append(outsourced)
    if flexibility is not None:
        keys.append(flexibility[people])
    if t.is_workplace:  # the most dates available in its period first
        keys.append(-arrays.available[np.ix_(people, arrays.days[t.index])].sum(axis=1))
    if onboarding:
        new = ~state.on_project(t.project)[people]
        keys.append(arrays.rate[people] * t.demand_q + arrays.onboarding[people, t.project] * new)
        if outsourced is not None:
            keys.append(outsourced)
    else:
        keys.append(arrays.rate[people])
    return people[np.lexsort(tuple(keys[::-1]))]


def _staff_task(state: _State, t: TargetData, candidates: Ints, *, roomy: bool) -> None:
    room = state.room(candidates, t)
    if roomy:  # the most free time first; the ranking orders those who can do it all
        order = np.argsort(-room, kind="stable")
        candidates, room = candidates[order], room[order]
    remaining, people = t.demand_q, 0
    for s in candidates[room > 0].tolist():  # no room: no date it could work (nor join)
        if remaining <= 0 or people >= t.max_assignees:
            return
        worked = False
        free = state.free[s]
        locked = state.locked[s]
        for d in t.eligible[s]:
            if remaining < t.min_daily_q or locked[d]:
                continue
            q = min(int(free[d]), remaining)
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
    arrays: _Arrays | None = None,
) -> Solution:
    """Staff ``data`` greedily; the result satisfies every hard rule but fixed/required.

    ``preference`` (e.g. an LP relaxation's share of each target given to each specialist)
    is tried before cost when ranking the candidates of a target; ``ordering`` picks the
    order of the targets, ``flexible_last`` ranks specialists eligible for fewer targets
    first, and ``roomy`` gives each task first to the candidates with the most free time in
    its window (ranked as above among equals); with ``onboarding`` candidates are ranked by
    the item's money with them (hours at their rate, plus onboarding when they do not work on
    its project yet) instead of by rate. ``arrays`` are the instance's as arrays (built here
    when not given; :func:`best_greedy` builds them once for every variant).
    """
    shares = {
        p: in_house_share(project)
        for p, project in enumerate(data.instance.projects)
        if project.min_in_house_share > 0
    }
    arrays = arrays or _Arrays(data)
    flexibility: Ints | None = None
    if flexible_last:  # the number of targets each specialist is eligible for
        flexibility = candidacies(data, arrays.people)
    state = _State(data, arrays)
    for t in _order(data, ordering):
        candidates = _candidates(state, t, shares, preference or {}, flexibility, onboarding)
        if t.is_workplace:
            fits = np.flatnonzero(state.fitting(candidates, t))
            if len(fits):
                state.fill(int(candidates[fits[0]]), t)
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
    the first always runs: on very large instances one variant takes about a second (2,500
    specialists, 20 days: 0.6-0.9 s each), and the solve's time limit comes first. The
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
    arrays = _Arrays(data)
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
                arrays=arrays,
            )
            key = [evaluate(data, solution)[g] for g in order]
            if best is None or key < best_key:
                best, best_key = solution, key
    assert best is not None
    return best
