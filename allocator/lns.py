"""Large-neighbourhood search around the incumbent plan, one small CP-SAT model at a time.

On two cores CP-SAT's own neighbourhoods of a 30 000-variable model run about one a second
(each presolves the whole model), so a 100-specialist plan improves slowly. Here each round
frees a few specialists chosen around one goal's weak spot, keeps everyone else's work, and
solves the residual model (:mod:`allocator.model.neighbourhood`), which has a few thousand
variables. The earlier goals of ``objective.order`` are pinned at the incumbent's values
inside the small model, so no round trades them away; a round's plan is kept when it is
lexicographically at least as good as the incumbent.

Neighbourhoods grow around a seed target (for coverage an unmet one, weighted by priority and
unmet hours; for cost a staffed one, weighted by what its hours cost above its cheapest
candidate's rate; for stability one worked on a split
day): its candidates are freed, then the candidates of what they currently work on, until the
round's size is reached. A seed's own people are always freed (a round without them cannot give
an unmet task at its assignee limit more hours, fill a workplace around its filler's leave, or
move a target's hours to someone cheaper), and its other candidates are drawn weighted by their
free time on its days. Measured on the large instance (60 s of coverage rounds from the greedy
plan, two at once): 8,985-11,914 weighted unmet hours over three seeds, against 19,994-21,482
over four with candidates drawn uniformly; people first but uniform otherwise, 12,276-16,237.
On the medium one (15 s of cost rounds from a plan at coverage 251, three seeds, three runs):
772,539, 775,810 and 777,832 on average, against 777,687 and 777,768 in two runs drawing
uniformly (within the runs' noise); split days (8 s) 209.0 against 210.3. Cost seeds weighted
by what their hours cost above the cheapest candidate's rate, rather than by what they cost
(medium, 20 s of cost rounds from a plan at coverage 248, seeds 1-6): 765,952 on average
against 767,336, lower for every seed; large (40 s from a plan at coverage 24, seeds 1-2):
9,117,202 and 9,128,560 against 9,127,409 and 9,119,595. Rounds of 0.1 s at
least reached 5,962-8,952 in that coverage measurement, but 5,580 and 5,810 in whole 120 s
solves, against 3,933-4,721 with 0.25 s. The freed specialists may work on the projects met on
the way only, which keeps each small model at a few thousand variables even on 400 specialists
and 60 days. The size adapts: up after a round proven optimal, down after one that ran out of
time. Rounds are short (:data:`ROUND_SECONDS`): measured on the medium instance (15 s of
coverage from the greedy plan, two rounds at once, six seeds), 0.25 s rounds reach 248-370
weighted unmet hours (mean 300), 0.5 s rounds 248-275 (mean 264), 1 s rounds 269-402; but on
the large one (a whole 120 s solve, two runs each) 0.25 s rounds reach 23,900-24,200 and 0.5 s
rounds 28,000-30,400, so rounds start at 0.25 s.

Rounds run in threads, one per core, each with a one-worker CP-SAT (which releases the GIL):
a round's small model gains nothing from a second worker, a second round at once doubles the
rounds searched. Neighbourhoods drawn at the same time never share a specialist; a change
drawn from an incumbent that has moved on since is applied on top of it when the rules that
span specialists (task effort and assignees, workplace fills, in-house share) still hold on
the projects both changes touched, and dropped otherwise (rare: ``LnsStats.conflicts``).
Measured on the medium instance (15 s of coverage from the greedy plan, three seeds): one
round at a time reaches 368-428 weighted unmet hours, two at once 256-337.

A round may break ties on a later goal (``tiebreak``): its small model then minimises
``goal x (span + 1) + tiebreak``, where ``span`` is the most the tie-break can vary in it, so
the goal comes first exactly, and a plan no better on the goal is kept only when no worse on
the tie-break. Coverage rounds that also minimise cost reach both the better: on the large
instance (60 s from the greedy plan, two seeds) coverage 0 and 9.75 weighted unmet hours at a
cost of 9.32M, against 39 and 30.75 at 9.41M without; on the medium one (15 s, three seeds)
248 each time at 774,000-777,000, against 248-272 at 816,000-817,000. The neighbourhoods
stay the goal's: the tie-break only orders the plans a round finds. A round whose combined
objective CP-SAT refuses as a possible overflow (costs per hour near the limit with four
decimals over a long horizon) minimises the goal alone.

On long horizons half the rounds seeded on a task free a window of :data:`WINDOW_DAYS`
working dates around one of its dates only (:meth:`Incumbent.residual` with ``window``): the
freed specialists' task hours on those dates are decided again, the rest of their work stays.
Such a round's model covers a sixth of the large instance's 60 dates, so it frees more
specialists in its time; its neighbourhood is drawn among the candidates available in the
window and grows through the work the window frees. Measured on the large instance (60 s of
coverage rounds from the greedy plan, two at once, seeds 1-6): 46 weighted unmet hours on
average at 60 s (0, 0, 56, 141, 54, 24) and 178 at 30 s, against 75 (159, 0, 0, 234, 3, 54)
and 316 without; the rounds' speed varies more from seed to seed than with windows. A share
of 0.3 reached 0 (seed 1), 0.8 stalled at 53 and 45 (a workplace's fill is for its whole
period: only rounds over every date move it), a share following each kind's recent rate of
better plans (between 0.2 and 0.8) 49 and 188 on average; windows of 5 dates reached 0, 66.5
and 66. Cost rounds gain nothing from them (large, 60 s from a plan at coverage 24: 9,105,624
with against 9,105,465 without), nor do 5-date windows on the medium instance's 20 dates
(coverage 248 and 254 against 248 twice; cost 762,103 against 761,306), so they are drawn
on horizons of :data:`WINDOW_HORIZON` windows or more only.

A seed whose round found nothing better is drawn less: its weight is multiplied by
:data:`SEED_DAMPING` per round grown from it in vain (down to :data:`SEED_FLOOR`), and back to
whole once a better plan moves work on it. The largest weights often sit on what cannot be
mended (a workplace's hours while its only possible filler is on leave), and rounds kept
going back to them. Measured on the medium instance (two rounds at once, seeds 1-8):
13 s of coverage rounds from the greedy plan reached 248 weighted unmet hours in 8 runs out
of 8, against 5 of 8 without damping (the others ended at 254, 257 and 266). 30 s of cost
rounds from a plan at coverage 248 (seeds 1-3) ended at 764,500-766,000 (mean 765,300),
against 766,200-768,300 (mean 767,300). On the large one (50 s of coverage rounds from the
greedy plan, seeds 1 and 2) they ended at 24 and 72, against 24 and 121 without.

A search that finds no better plan for :data:`STALL_SECONDS`, and for :data:`STALL_SHARE` of
the time it has searched, restarts: every seed's weight is whole again and the rounds start at
their first size and time (:func:`stalled`, :meth:`_Search.restart`). The damping is reset
only on the targets a better plan moves, so a long search leaves most seeds at the floor but
the ones recent plans moved, which take the draws, mended or not; a restart spreads them again.
Measured on the medium instance (13 s of coverage rounds from the greedy plan, seeds 1-16):
248 weighted unmet hours in 12 runs of 16, the others 249.75-256 (mean 248.9), against 9 of 16
without, the others 250-268 (mean 252.6); a restart after 2 s whatever the time searched, 11
of 16 (mean 249.5). Starting the search again from a plan stalled at 254 for 10 s reached 248
within 3 s in two runs of three. Large (60 s from the greedy plan, seeds 1-4): 18, 19, 24 and
32, against 11, 36, 56 and 66 without, and 0, 74, 78 and 134 after 2 s whatever the time
searched. Whole 30 s medium solves: coverage 248 in 4 of 6, against 2 of 5 the same day.
Cost rounds rarely stall (medium, 20 s from a plan at coverage 248, seeds 1-3: 767,244 on
average against 766,809 without, within noise).

A round that freed every specialist, over every date and project, and was proven optimal ends
the search: its plan is the best the rounds' models hold (a small model's search often gets
there; without the stop, the small instance's warm start and tiny test instances went on
searching to the end of their time: the rules' tests took 10.5 s instead of 3.3 s).

The incumbent is kept indexed (:class:`~allocator.model.neighbourhood.Incumbent`): drawing a
neighbourhood, building its residual and landing its change cost the freed specialists' rows
only, and a round's residual is built under the lock when it is drawn.
"""

from __future__ import annotations

import numbers
import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from ortools.sat.python import cp_model, cp_model_helper

from allocator.model.build import BuiltModel, build_model
from allocator.model.data import ModelData, TargetData
from allocator.model.neighbourhood import Incumbent, Residual
from allocator.model.solution import Solution, evaluate, read_solution
from allocator.schema import Goal

ROUND_SECONDS = 0.25  # time limit of one round's small model, at first and at least
MAX_ROUND_SECONDS = 2.0
# a round's CP-SAT: presolve once, no probing or symmetry (a small model is solved, not proved
# at length), the LP with cuts (measured on 30 medium and 24 large neighbourhoods at 0.25 s:
# every round then finds a plan, against 6 of 30 with none by default, and 4 % less weighted
# unmet hours on large)
ROUND_PARAMETERS: dict[str, int] = {
    "max_presolve_iterations": 1,
    "cp_model_probing_level": 0,
    "symmetry_level": 0,
    "linearization_level": 2,
}
MIN_FREED, START_FREED, MAX_FREED = 4, 8, 60  # specialists one round frees: range, start
MAX_THREADS = 8  # rounds searched at once, at most
SEED_DAMPING, SEED_FLOOR = 0.5, 0.05  # a seed's weight after a round in vain (see above)
# rounds of a window of dates (see the module's docstring): its length in working dates, the
# least horizon they are drawn on (in windows), and the share of rounds they take
WINDOW_DAYS = 10
WINDOW_HORIZON = 3
WINDOW_SHARE = 0.5
# a search with no better plan for this long restarts its seeds' weights and the rounds' sizes
# (see the module's docstring): seconds at least, and this share of the time searched so far
STALL_SECONDS, STALL_SHARE = 2.0, 0.25


@dataclass
class LnsStats:
    rounds: int = 0
    improving: int = 0
    proven: int = 0  # rounds whose small model was solved to optimality
    freed: int = 0  # size of the last neighbourhood
    conflicts: int = 0  # better changes dropped: a change committed meanwhile touched theirs
    windows: int = 0  # rounds that freed a window of dates only
    window_improving: int = 0  # of those, the rounds that found a better plan
    restarts: int = 0  # restarts after a stall (see stalled)


@dataclass
class _Pace:
    """The size and time limit of one kind of round, adapted as rounds end: bigger after a
    round proven optimal, smaller after one that ran out of time, longer once at the least
    size."""

    size: int
    seconds: float = ROUND_SECONDS

    def after(self, proven: bool) -> None:
        if proven:
            self.size = min(MAX_FREED, self.size + 1 + self.size // 10)
            self.seconds = max(ROUND_SECONDS, self.seconds * 0.8)
        elif self.size > MIN_FREED:
            self.size = max(MIN_FREED, self.size * 4 // 5)
        else:  # the smallest neighbourhoods time out: give the rounds longer
            self.seconds = min(MAX_ROUND_SECONDS, self.seconds * 1.25)


def _units(data: ModelData, goal: Goal, value: float) -> int:
    """A goal value (reported units) in the model's integer units."""
    return round(value * data.goal_scale(goal))


def _exact(data: ModelData, goal: Goal, value: float) -> float:
    """A goal value (reported units) rounded to the nearest value it can take."""
    return _units(data, goal, value) / data.goal_scale(goal)


def _key(data: ModelData, solution: Solution, goals: list[Goal]) -> list[float]:
    values = evaluate(data, solution, stable="stability" in goals)
    return [values[g] for g in goals]


def _seed(
    data: ModelData,
    plan: Incumbent,
    goal: Goal,
    freeable: list[bool],
    rng: random.Random,
    damping: list[float] | None = None,
    cheapest: list[int] | None = None,
) -> int | None:
    """A target to grow the neighbourhood from (weighted by what ``goal`` loses on it, times
    its ``damping`` if given), among those with a candidate the search may free
    (``freeable``). For cost, with ``cheapest`` (per target, the lowest rate among its
    candidates), what its hours cost above that rate; where none costs more, what they
    cost (:func:`_excess`)."""
    if goal == "coverage":
        weights = [t.priority * (t.demand_q - plan.done[t.index]) for t in data.targets]
    elif goal == "stability":  # targets worked on split days
        on_day: dict[tuple[int, int], set[int]] = defaultdict(set)
        for s, k, d, _ in plan.all_rows():
            on_day[s, d].add(k)
        split = [0] * len(data.targets)
        for worked in on_day.values():
            if len({data.targets[k].project for k in worked}) > 1:
                for k in worked:
                    split[k] += 1
        weights = split
    else:
        weights = list(plan.money) if cheapest is None else _excess(plan, freeable, cheapest)
    damped = [  # (a damping is never 0)
        float(w) * (1.0 if damping is None else damping[k]) if freeable[k] else 0.0
        for k, w in enumerate(weights)
    ]
    if sum(damped) <= 0:
        return None
    return rng.choices(range(len(data.targets)), weights=damped)[0]


def _excess(plan: Incumbent, freeable: list[bool], cheapest: list[int]) -> list[int]:
    """Per target, what its hours cost above its cheapest candidate's rate (money units);
    what they cost when no target a round may free (``freeable``) costs more."""
    excess = [max(0, plan.money[k] - plan.done[k] * rate) for k, rate in enumerate(cheapest)]
    if any(e > 0 and free for e, free in zip(excess, freeable, strict=True)):
        return excess
    return list(plan.money)


def cheapest_rates(data: ModelData) -> list[int]:
    """Per target, the lowest rate (money units per quarter-hour) among its candidates."""
    return [min((data.rate[s] for s in t.eligible), default=0) for t in data.targets]


def _window(data: ModelData, seed: int, rng: random.Random) -> frozenset[int]:
    """:data:`WINDOW_DAYS` consecutive working dates (day indices) around a date of target
    ``seed``, drawn at random."""
    days = data.targets[seed].days or range(len(data.dates))
    first = min(max(0, rng.choice(days) - WINDOW_DAYS // 2), len(data.dates) - WINDOW_DAYS)
    return frozenset(range(max(0, first), first + WINDOW_DAYS))


def _seed_candidates(
    data: ModelData,
    plan: Incumbent,
    t: TargetData,
    candidates: list[int],
    rng: random.Random,
    window: frozenset[int] | None,
) -> list[int]:
    """``candidates`` of a round's seed target ``t`` in the order the round frees them: the
    specialists working on ``t`` first, then the others drawn at random, weighted by their
    free quarter-hours on ``t``'s days (in the ``window``, if any) plus one."""
    days = set(t.days) if window is None else window.intersection(t.days)
    on, weighted = [], []
    for s in candidates:
        if s in plan.people[t.index]:
            on.append(s)
            continue
        used: dict[int, int] = defaultdict(int)
        for _, _, d, q in plan.rows.get(s, ()):
            if d in days:
                used[d] += q
        free = sum(max(0, data.capacity_q[s] - used[d]) for d in t.eligible[s] if d in days)
        # a weighted draw without replacement (Efraimidis and Spirakis): key u ** (1 / w)
        weighted.append((rng.random() ** (1.0 / (free + 1)), s))
    return on + [s for _, s in sorted(weighted, reverse=True)]


def _neighbourhood(
    data: ModelData,
    plan: Incumbent,
    seed: int,
    size: int,
    locked: set[int],
    rng: random.Random,
    window: frozenset[int] | None = None,
) -> tuple[set[int], set[int]]:
    """About ``size`` specialists around target ``seed`` (never one in ``locked``), and the
    projects of the targets met on the way (where the freed specialists may then work).

    The seed's own people are freed first (its share of ``size`` grows by their number, the
    round's total stays ``size``), and its other candidates are drawn by free time
    (:func:`_seed_candidates`). With a ``window`` of dates, the candidates are those
    available on one of its dates, and the way goes through the work the window frees."""
    freed: set[int] = set()
    queue, seen = [seed], {seed}
    others: list[int] | None = None  # the other targets in random order, drawn when needed
    while queue and len(freed) < size:
        k = queue.pop(0)
        candidates = [
            s
            for s, days in data.targets[k].eligible.items()
            if s not in locked
            and s not in freed
            and (window is None or not window.isdisjoint(days))
        ]
        rng.shuffle(candidates)
        quota = max(2, size // 4)
        if k == seed:
            candidates = _seed_candidates(data, plan, data.targets[k], candidates, rng, window)
            quota += len(plan.people[k])
        for s in candidates[:quota]:
            freed.add(s)
            for other in {k for _, k, _, _ in plan.free_rows(s, window)}:
                if other not in seen:
                    seen.add(other)
                    queue.append(other)
            if len(freed) >= size:
                break
        if not queue and len(freed) < size:
            if others is None:
                others = [k for k in range(len(data.targets)) if k not in seen]
                rng.shuffle(others)
            while others and others[-1] in seen:
                others.pop()
            if others:
                k = others.pop()
                seen.add(k)
                queue.append(k)
    return freed, {data.targets[k].project for k in seen}


def _locks(data: ModelData) -> tuple[set[int], list[bool]]:
    """The specialists named by fixed assignments (never freed), and per target whether it
    has a candidate a round may free."""
    locked = {data.specialist_index[f.specialist] for f in data.instance.fixed}
    return locked, [any(s not in locked for s in t.eligible) for t in data.targets]


def searchable(data: ModelData, solution: Solution, goal: Goal) -> bool:
    """Whether a round could start on ``goal`` from ``solution``: some target loses on it
    and has a candidate no fixed assignment names (else :func:`improve` ends at once)."""
    _, freeable = _locks(data)
    plan = Incumbent(data, solution)
    return _seed(data, plan, goal, freeable, random.Random(0)) is not None


@dataclass
class _Round:
    """One neighbourhood drawn from the incumbent of ``version``."""

    version: int
    freed: set[int]
    projects: set[int]
    residual: Residual | None = None  # None: no target left to decide
    part: Solution | None = None  # the incumbent's plan of the residual
    pace: _Pace | None = None  # of its kind of round
    seed: int | None = None  # the target it grew from


class _Search:
    """The state the rounds share: the incumbent, its version, the neighbourhood size and the
    changes committed so far. Every method runs under the one lock."""

    def __init__(
        self, data: ModelData, solution: Solution, goals: list[Goal], tiebreak: Goal | None
    ) -> None:
        self.data, self.goals = data, goals
        self.keys = [*goals, tiebreak] if tiebreak is not None else list(goals)
        self.lock = threading.Lock()
        self.released = threading.Condition(self.lock)  # notified when a round ends
        self.failed = False  # a round raised: every round stops
        self.plan, self.key = Incumbent(data, solution), _key(data, solution, self.keys)
        self.locked, self.freeable = _locks(data)
        self.cheapest = cheapest_rates(data)
        self.first_size = min(START_FREED, len(data.capacity_q) - len(self.locked))
        self.whole = _Pace(self.first_size)  # rounds over every date
        self.windowed = _Pace(self.first_size)  # rounds of a window of dates
        # windows when the horizon holds a few and every goal is a sum over days
        self.windows = (
            len(data.dates) >= WINDOW_HORIZON * WINDOW_DAYS and "stability" not in self.keys
        )
        self.stats = LnsStats()
        # per version after the first: the specialists and projects its change touched
        self.commits: list[tuple[set[int], set[int]]] = []
        self.in_flight: list[set[int]] = []  # the specialists of the rounds being solved
        # per target, SEED_DAMPING to the number of rounds grown from it in vain since its
        # work last changed (at least SEED_FLOOR)
        self.damping = [1.0] * len(data.targets)
        # a round that freed every specialist, over every date and project, was proven: its
        # plan is the best there is (as the rounds' models count), and the search can end
        self.exhausted = False

    def draw(self, rng: random.Random) -> _Round | None:
        """A neighbourhood around a seed of the incumbent, or ``None`` when there is none."""
        target = _seed(
            self.data, self.plan, self.goals[-1], self.freeable, rng, self.damping, self.cheapest
        )
        # (a fill is for a workplace's whole period: a window round leaves most out)
        windowed = (
            self.windows
            and target is not None
            and not self.data.targets[target].is_workplace
            and rng.random() < WINDOW_SHARE
        )
        pace = self.windowed if windowed else self.whole
        if self.in_flight and pace.size >= len(self.data.capacity_q) - len(self.locked):
            # a round of everyone: wait for the others (else rounds at once would split the
            # specialists between them for good, and no round would ever search them all)
            return _Round(len(self.commits), set(), set())
        if target is None or pace.size <= 0:
            return None
        window = _window(self.data, target, rng) if windowed else None
        busy = self.locked.union(*self.in_flight)  # other rounds' specialists
        freed, projects = _neighbourhood(self.data, self.plan, target, pace.size, busy, rng, window)
        round_ = _Round(len(self.commits), freed, projects, pace=pace, seed=target)
        if freed:  # else every candidate around the seed is in another round
            self.in_flight.append(freed)
            self.stats.rounds += 1
            self.stats.windows += window is not None
            self.stats.freed = len(freed)
            res = self.plan.residual(freed, projects, window)
            if res.data.targets:
                round_.residual, round_.part = res, self.plan.part(res)
        return round_

    def finish(self, round_: _Round, proven: bool) -> None:
        """Release the round's specialists; adapt its kind of round (:class:`_Pace`)."""
        self.in_flight.remove(round_.freed)
        everyone = len(round_.freed) >= len(self.data.capacity_q) - len(self.locked)
        if (
            proven
            and everyone
            and round_.pace is self.whole
            and round_.version == len(self.commits)
        ):
            self.exhausted = len(round_.projects) >= len(self.data.instance.projects)
        if round_.seed is not None:  # undone below when its change lands and is better
            k = round_.seed
            self.damping[k] = max(SEED_FLOOR, self.damping[k] * SEED_DAMPING)
        self.released.notify_all()
        self.stats.proven += proven
        if round_.pace is not None:
            round_.pace.after(proven)

    def restart(self) -> None:
        """Start the seeds' weights and the rounds' sizes afresh, the incumbent kept (after
        a stall: see :func:`stalled`)."""
        self.damping = [1.0] * len(self.damping)
        for pace in (self.whole, self.windowed):
            pace.size, pace.seconds = self.first_size, ROUND_SECONDS
        self.stats.restarts += 1

    def commit(self, round_: _Round, change: _Change) -> list[float] | None:
        """Make the incumbent with the round's change merged in the new incumbent when the
        change is at least as good and still applies; returns the new goal values, else
        ``None``.

        A change drawn from an older incumbent applies on top of the changes committed since
        when none of them touched its specialists, and the task, workplace and share rules
        still hold on the projects both touched: every other rule is per specialist, and
        every goal a sum over specialists and targets, so the goals' changes add up.
        """
        key = [  # in the goals' exact units: float sums drift
            _exact(self.data, goal, value + moved)
            for goal, value, moved in zip(self.keys, self.key, change.delta, strict=True)
        ]
        if key > self.key:
            return None
        later = self.commits[round_.version :]  # changes landed since the round was drawn
        if any(f & round_.freed for f, _ in later):
            self.stats.conflicts += 1
            return None
        landing = self.plan.change(change.residual, change.part)
        shared = set().union(*(p for _, p in later)) & round_.projects
        if later and not self.plan.holds(landing, shared):
            self.stats.conflicts += 1
            return None
        if key[: len(self.goals)] < self.key[: len(self.goals)]:
            # the targets whose work changes are worth seeding again
            for rows in (
                landing.rows,
                *(self.plan.free_rows(s, landing.window) for s in landing.freed),
            ):
                for _, k, _, _ in rows:
                    self.damping[k] = 1.0
        self.plan.apply(landing)
        self.key = key
        self.commits.append((round_.freed, round_.projects))
        return key


def stalled(now: float, since: float, began: float) -> bool:
    """Whether a search that began at ``began`` has stalled at ``now``: no better plan since
    ``since`` (its last one, or its last restart) for :data:`STALL_SECONDS`, and for
    :data:`STALL_SHARE` of the time it has searched (restarts grow rarer as it goes on)."""
    return now - since > max(STALL_SECONDS, STALL_SHARE * (now - began))


@dataclass
class _Change:
    """A round's plan of its small model, and how much it moves each goal."""

    residual: Residual
    part: Solution  # in the residual's indices
    delta: list[float]


# CP-SAT refuses an objective whose terms could overflow (MODEL_INVALID, with a margin of its
# own: 5.8e18 is refused); a round whose combined objective may reach this is validated first
OBJECTIVE_CHECKED = 2**53


def _reach(expr: cp_model.LinearExprT) -> tuple[int, int]:
    """How much ``expr`` can vary over its variables' domains, and the largest magnitude
    its terms and constant can add up to (the sum CP-SAT checks for overflow).

    Read off the expression flattened in C++, not off the model's objective: setting an
    objective twice a round to read it back, with the proto's domains read in Python, took
    9 % of the rounds' time (large instance, sampled); this takes a quarter of that (medium
    whole model, cost: 0.13 s against 0.53 s), and 80 s of coverage rounds on the large
    instance from the greedy plan ran 353 rounds instead of 307. The terms of a
    variable repeated in ``expr`` are merged first, as in CP-SAT's objective. A constant
    (a goal with no term in a neighbourhood, such as split days where the freed specialists
    can work on one project only) spans nothing."""
    if isinstance(expr, numbers.Integral):
        return 0, abs(int(expr))
    flat = cp_model_helper.FlatIntExpr(expr)
    span, most = 0, abs(int(flat.offset))
    for coefficient, var in zip(flat.coeffs, flat.vars, strict=True):
        domain = var.domain
        lowest, highest = domain.min(), domain.max()
        span += abs(coefficient) * (highest - lowest)
        most += abs(coefficient) * max(abs(lowest), abs(highest))
    return span, most


def _objective(built: BuiltModel, goal: Goal, tiebreak: Goal | None) -> cp_model.LinearExprT:
    """``goal``, or ``goal x (span + 1) + tiebreak`` with ``span`` the most the tie-break can
    vary (the goal first, exactly), unless CP-SAT refuses that objective as a possible
    overflow (large costs per hour with many decimals, long horizons): the goal alone then."""
    objective = built.goal(goal)
    if tiebreak is None:
        return objective
    tie = built.goal(tiebreak)
    span, tie_most = _reach(tie)
    _, goal_most = _reach(objective)
    combined = objective * (span + 1) + tie
    if goal_most * (span + 1) + tie_most >= OBJECTIVE_CHECKED:
        built.model.minimize(combined)
        if built.model.validate():
            return objective
    return combined


def _solve_round(
    data: ModelData, round_: _Round, goals: list[Goal], seconds: float, seed: int, ranked: int
) -> tuple[bool, _Change | None]:
    """Solve the round's small model on one core for at most ``seconds``: whether it was
    proven optimal, and its plan (``None`` without one). ``goals[:ranked]`` are the search's
    goals (the last one minimised, the others pinned); a goal after them is a tie-break."""
    stable = "stability" in goals
    res, part = round_.residual, round_.part
    if res is None or part is None:
        return False, None
    built = build_model(res.data.instance, data=res.data, tighten=False, relief=False)
    before = evaluate(res.data, part, stable=stable)
    for pinned in goals[: ranked - 1]:
        built.model.add(built.goal(pinned) <= _units(res.data, pinned, before[pinned]))
    tiebreak = goals[ranked] if len(goals) > ranked else None
    built.model.minimize(_objective(built, goals[ranked - 1], tiebreak))
    built.hint_from(part)
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.num_workers = 1
    params.random_seed = seed
    params.max_time_in_seconds = max(0.05, seconds)
    params.catch_sigint_signal = False  # Ctrl+C is the caller's (see allocator.solve)
    for name, value in ROUND_PARAMETERS.items():
        setattr(params, name, value)
    status = solver.solve(built.model)
    proven = status == cp_model.OPTIMAL
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return proven, None
    found = read_solution(list(solver.response_proto.solution), built.ctx.vars)
    after = evaluate(res.data, found, stable=stable)
    # each goal of the whole plan moves exactly as the small model's (see residual)
    delta = [after[g] - before[g] for g in goals]
    return proven, _Change(res, found, delta)


def improve(
    data: ModelData,
    solution: Solution,
    goals: list[Goal],
    deadline: float,
    *,
    workers: int = 1,
    seed: int = 0,
    stop: threading.Event | None = None,
    bound: float | Callable[[], float | None] | None = None,
    on_improve: Callable[[Solution, list[float]], None] | None = None,
    overtime: tuple[float, float] | None = None,
    tiebreak: Goal | None = None,
    meanwhile: tuple[float, Callable[[], bool]] | None = None,
) -> tuple[Solution, LnsStats]:
    """Improve ``solution`` on ``goals[-1]`` with ``goals[:-1]`` never worse, until ``deadline``.

    ``solution`` must satisfy every hard rule (each round's plan then does too). ``workers``
    rounds run at once, one CP-SAT worker each (a small model gains nothing from a second
    one; two rounds at once double the rounds searched on two cores). The search ends early
    once the goal reaches ``bound`` (a proven lower bound, reported units; or a function
    that gives it, ``None`` while it is not known: a bound computed meanwhile).
    ``on_improve(plan, values)`` is called with each plan better on ``goals`` and its goal
    values (reported units, ``goals`` order), one call at a time. ``overtime = (until,
    patience)`` lets the search go on past ``deadline``, up to ``until``, while it found a
    plan better on ``goals`` in the last ``patience`` seconds. With ``tiebreak`` (a later
    goal), each round minimises it among its plans best on ``goals[-1]``, and a plan equal on
    ``goals`` is kept only when no worse on it. With ``meanwhile = (until, busy)``, while
    ``busy()`` (a bound being computed that the caller then waits for) one round at a time
    goes on past ``deadline``, up to ``until``, rather than leave a core idle (medium, 30 s:
    the cost stage waited 1.4 s for its bound). Returns the best plan found and the search's
    statistics. With ``workers=1`` the search is repeatable for a given ``seed`` (up to the
    rounds' time limits).

    Raises ``ValueError`` when ``goals`` or ``tiebreak`` is stability and the instance has a
    previous plan: a neighbourhood's model counts split days only, not the changes against
    that plan.
    """
    if "stability" in [*goals, tiebreak] and data.instance.previous_plan is not None:
        raise ValueError("stability against a previous plan is not searched by neighbourhoods")
    search = _Search(data, solution, goals, tiebreak)
    ranked = len(goals)
    improved = [float("-inf")]  # when the last better plan was found
    began = time.perf_counter()
    restarted = [began]  # when the search started or last restarted
    # a round's latest end
    end = max(deadline, overtime[0] if overtime else deadline, meanwhile[0] if meanwhile else 0)

    def finished(first: bool) -> bool:
        floor = bound() if callable(bound) else bound
        reached = floor is not None and search.key[ranked - 1] <= floor + 1e-9
        halted = search.failed or search.exhausted or (stop is not None and stop.is_set())
        now = time.perf_counter()
        if reached or halted or now < deadline - 0.2:
            return reached or halted
        if overtime is not None:
            until, patience = overtime
            if now < until - 0.2 and now - improved[0] <= patience:
                return False
        if meanwhile is not None and now < meanwhile[0] - 0.2 and meanwhile[1]():
            # the bound is still being computed: one round at a time until it is known (the
            # bound's own thread keeps a core)
            return not first
        return True

    def next_round(rng: random.Random, first: bool) -> _Round | None:
        """The next neighbourhood to search (``None``: the search is over); waits while the
        other rounds hold every specialist it could free."""
        with search.lock:
            now = time.perf_counter()
            if stalled(now, max(improved[0], restarted[0]), began):
                restarted[0] = now
                search.restart()
            while not finished(first):
                round_ = search.draw(rng)
                if round_ is None or round_.freed:
                    return round_
                search.released.wait(0.05)
            return None

    def rounds(rng: random.Random, first: bool = True) -> None:
        try:
            while (round_ := next_round(rng, first)) is not None:
                assert round_.pace is not None
                seconds = min(round_.pace.seconds, end - time.perf_counter())
                proven, change = False, None
                try:
                    proven, change = _solve_round(
                        data, round_, search.keys, seconds, rng.randrange(1 << 30), ranked
                    )
                finally:
                    with search.lock:
                        search.finish(round_, proven)
                if change is None:
                    continue
                with search.lock:
                    before = search.key
                    key = search.commit(round_, change)
                    if key is not None and key < before:
                        search.stats.improving += 1
                        search.stats.window_improving += round_.pace is search.windowed
                    if key is not None and key[:ranked] < before[:ranked]:
                        improved[0] = time.perf_counter()
                        if on_improve is not None:
                            on_improve(search.plan.solution, key[:ranked])
        except BaseException:
            search.failed = True  # the other rounds stop too; the error is raised below
            raise

    threads = max(1, min(workers, MAX_THREADS))
    rngs = [random.Random(seed * MAX_THREADS + i) for i in range(threads)]
    if threads == 1:
        rounds(rngs[0])
    else:
        with ThreadPoolExecutor(threads, thread_name_prefix="lns") as pool:
            for future in [pool.submit(rounds, rng, i == 0) for i, rng in enumerate(rngs)]:
                future.result()  # re-raises a round's error
    return (search.plan.solution if search.commits else solution), search.stats
