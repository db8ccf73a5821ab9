"""Hand-overs: a specialist's share of a workplace or task handed to a cheaper candidate.

The neighbourhoods of :mod:`allocator.lns` re-plan a few specialists at a time with CP-SAT,
a few rounds a second (on the large instance, cost rounds of four specialists time out and
gain almost nothing). Part of what the cost goal still loses is simple: an expensive
specialist does hours that a cheaper candidate with free time could do. Measured from a
large plan at coverage 404 (cost 9,208,817): same-date hand-overs reach 9,177,629 in 2.5 s,
with re-timed ones too 9,148,588 in 6.4 s; medium (from 785,098) 781,920 and 780,219 in
0.25 s. A two-step variant (making room for the cheaper one by handing one of their own
rows to a third) added 0.01 % on large at twice the time, and was left out.

A hand-over moves the hours specialist ``a`` does on task ``k`` on some dates to specialist
``b``, on the same dates and in the same amounts, or ``a``'s fill of workplace
``k`` to ``b`` (who then works it on every date of its period they are available, at least as
many as ``a``). It keeps every hard rule (spec, hard constraints) when:

- ``b`` is eligible for ``k``, available on those dates and has the free hours there (rules
  1 and 3);
- ``b`` fills no exclusive workplace whose period meets those dates; when ``k`` is
  exclusive, ``b`` has no other work in its period (rule 4);
- ``b`` stays within the task's assignees (already on it, or taking all of ``a``'s share, or a
  place left) and their project limit; the project keeps its in-house share (rules 5 to 7);
  each date's hours move whole, so daily minimums and effort hold;
- ``a`` is named by no fixed assignment (rule 8; ``b`` may be, and keeps that work); required
  items keep every hour (rule 9).

When no candidate has room on those dates, ``a``'s whole share of a task may go to a
cheaper candidate on other dates of its window where they are free, each date at least the
task's minimum (:func:`_retime`), unless the task has a day shorter than its minimum: such a
day is the task's last and must stay so (rule 5).

Coverage never gets worse (a workplace may gain the dates ``a`` was on leave), and a
hand-over is made only when it lowers cost, onboarding included: paid when ``b`` joins a
project new to them, saved when ``a`` leaves one (spec, the cost goal). :func:`hand_over`
scans every specialist's share, the most expensive first, and makes the best hand-over of
each, until a pass makes none or time is up; candidates are weighed together as arrays.
"""

from __future__ import annotations

import time
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from allocator.model.data import ModelData, candidate_array, in_house_share
from allocator.model.solution import Solution

Ints = npt.NDArray[np.int64]


class _Plan:
    """A plan indexed for hand-overs, in quarter-hours and money units: per specialist and
    date the hours worked and whether an exclusive fill holds them; per specialist and
    project the dates worked there; per project its in-house and total hours."""

    def __init__(self, data: ModelData, solution: Solution) -> None:
        self.data = data
        self.fills = dict(solution.fills)
        self.hours = {key: q for key, q in solution.hours.items() if q > 0}
        n_s, n_d, n_p = len(data.capacity_q), len(data.dates), len(data.instance.projects)
        self.used = np.zeros((n_s, n_d), np.int64)
        self.exclusive = np.zeros((n_s, n_d), bool)
        self.on_project = np.zeros((n_s, n_p), np.int64)  # (target, date) cells worked
        self.work: dict[tuple[int, int], dict[int, int]] = {}  # (s, k) -> date -> hours
        self.people: list[set[int]] = [set() for _ in data.targets]
        self.inside = np.zeros(n_p, np.int64)
        self.total = np.zeros(n_p, np.int64)
        for s, k, d, q in solution.rows(data):
            self.add(s, k, d, q)
        for w, s in self.fills.items():
            if data.targets[w].exclusive:
                self.exclusive[s, data.targets[w].days] = True

    def add(self, s: int, k: int, d: int, q: int) -> None:
        """``s`` works ``q`` more on target ``k`` on date ``d``."""
        p = self.data.targets[k].project
        cell = self.work.setdefault((s, k), {})
        self.people[k].add(s)
        if d not in cell:
            self.on_project[s, p] += 1
        cell[d] = cell.get(d, 0) + q
        self.used[s, d] += q
        self.total[p] += q
        self.inside[p] += q if self.data.in_house[s] else 0

    def take(self, s: int, k: int, d: int) -> None:
        """``s`` no longer works on target ``k`` on date ``d``."""
        p = self.data.targets[k].project
        cell = self.work[s, k]
        q = cell.pop(d)
        self.on_project[s, p] -= 1
        self.used[s, d] -= q
        self.total[p] -= q
        self.inside[p] -= q if self.data.in_house[s] else 0
        if not cell:
            del self.work[s, k]
            self.people[k].discard(s)

    def solution(self) -> Solution:
        return Solution(dict(self.fills), dict(self.hours))

    def on_target(self, k: int, people: Ints) -> npt.NDArray[np.bool_]:
        """Per specialist of ``people``: whether they work on target ``k``."""
        return np.fromiter((s in self.people[k] for s in people.tolist()), bool, len(people))

    def may_join(self, people: Ints, p: int, limit: Ints) -> npt.NDArray[np.bool_]:
        """Per specialist of ``people``: whether they are on project ``p`` or below their
        project ``limit`` (spec rule 6)."""
        joined: npt.NDArray[np.bool_] = self.on_project[people, p] > 0
        below: npt.NDArray[np.bool_] = (
            np.count_nonzero(self.on_project[people], axis=1) < limit[people]
        )
        return joined | below

    def share_holds(
        self, p: int, share: Fraction, inside: Ints | int, total: Ints | int
    ) -> npt.NDArray[np.bool_] | bool:
        """Whether project ``p`` keeps its in-house ``share`` with ``inside`` of ``total``
        quarter-hours planned in the plan (plus those settled outside it, spec rule 7)."""
        settled_in, settled_all = self.data.settled_q.get(p, (0, 0))
        return (inside + settled_in) * share.denominator >= share.numerator * (total + settled_all)


class _Rules:
    """What the instance fixes for hand-overs, as arrays over specialists."""

    def __init__(self, data: ModelData) -> None:
        instance = data.instance
        self.rate = np.array(data.rate, np.int64)
        self.capacity = np.array(data.capacity_q, np.int64)
        self.in_house = np.array(data.in_house, bool)
        self.locked = np.zeros(len(data.rate), bool)
        for f in instance.fixed:
            self.locked[data.specialist_index[f.specialist]] = True
        n_p = len(instance.projects)
        self.limit = np.array(
            [n_p if s.max_projects is None else s.max_projects for s in instance.specialists],
            np.int64,
        )
        self.onboarding = data.onboarding_matrix
        self.share: list[Fraction] = [in_house_share(p) for p in instance.projects]
        self.candidates: list[Ints] = [candidate_array(t) for t in data.targets]
        # per workplace: how many dates of its period each candidate is available on
        self.dates_open = [
            np.array([len(days) for days in t.eligible.values()], np.int64)
            if t.is_workplace
            else np.zeros(0, np.int64)
            for t in data.targets
        ]


def hand_over(
    data: ModelData, solution: Solution, deadline: float | None = None
) -> tuple[Solution, int]:
    """``solution`` with the cost-lowering hand-overs made (see the module's docstring).

    ``solution`` must satisfy every hard rule; the plan returned does too, with coverage no
    worse and cost lower (or ``solution`` itself when no hand-over pays). Stability (split
    days, changes against a previous plan) is not looked at. ``deadline`` is a
    ``time.perf_counter()`` value. Returns the plan and the number of hand-overs made.
    """
    plan, rules = _Plan(data, solution), _Rules(data)
    moves, changed = 0, True
    while changed:
        changed = False
        shares = sorted(
            (key for key in plan.work if not rules.locked[key[0]]),
            key=lambda key: -data.rate[key[0]],
        )
        for a, k in shares:
            if deadline is not None and time.perf_counter() > deadline:
                return (plan.solution() if moves else solution), moves
            if (a, k) in plan.work and _hand_over_one(plan, rules, a, k):
                moves += 1
                changed = True
    return (plan.solution() if moves else solution), moves


def _hand_over_one(plan: _Plan, rules: _Rules, a: int, k: int) -> bool:
    """Make the hand-over of ``a``'s share of target ``k`` that saves the most money, if one
    does; whether one was made."""
    data = plan.data
    t = data.targets[k]
    p = t.project
    cell = plan.work[a, k]
    days = np.fromiter(cell, np.int64, len(cell))
    qs = np.fromiter(cell.values(), np.int64, len(cell))
    everyone = rules.candidates[k]
    keep = everyone != a  # a specialist named by a fixed assignment may take more work
    if not t.is_workplace:
        keep &= rules.rate[everyone] < rules.rate[a]  # a task's hours move as they are
    b = everyone[keep]
    if not len(b):
        return False
    joins = plan.on_project[b, p] == 0
    ok = plan.may_join(b, p, rules.limit)
    capacity = rules.capacity[b, None]
    if t.is_workplace:
        period = np.array(t.days, np.int64)
        open_ = rules.dates_open[k][keep]
        free = (plan.used[b][:, period] + t.daily_q <= capacity) & ~plan.exclusive[b][:, period]
        off = ~data.available_matrix[b][:, period]
        ok &= (open_ >= len(days)) & (free | off).all(axis=1)
        if t.exclusive:
            ok &= plan.used[b][:, period].sum(axis=1) == 0
        room = np.ones((len(b), len(days)), bool)
        moved = np.full(len(b), int(qs.sum()))
        gained = open_ * t.daily_q
    else:
        room = (
            data.available_matrix[b][:, days]
            & (plan.used[b][:, days] + qs <= capacity)
            & ~plan.exclusive[b][:, days]
        )
        whole = room.all(axis=1)
        places = len(plan.people[k]) < t.max_assignees
        ok &= room.any(axis=1) & (whole | plan.on_target(k, b) | places)
        moved = room @ qs
        gained = moved
    leaves = room.all(axis=1) & (plan.on_project[a, p] == len(cell))
    saved = rules.rate[a] * moved + leaves * rules.onboarding[a, p]
    cost = rules.rate[b] * gained + joins * rules.onboarding[b, p]
    better = gained > moved  # coverage: a workplace filled on more dates
    ok &= better | (cost < saved)
    if rules.share[p]:
        inside = plan.inside[p] - (moved if rules.in_house[a] else 0)
        inside = inside + np.where(rules.in_house[b], gained, 0)
        ok &= plan.share_holds(p, rules.share[p], inside, plan.total[p] - moved + gained)
    if not ok.any():
        if t.is_workplace:
            return False
        return _retime(plan, rules, a, k, b, qs)
    gain = np.where(ok, saved - cost, np.iinfo(np.int64).min)
    if (ok & better).any():
        gain = np.where(ok & better, gained, np.iinfo(np.int64).min)
    i = int(np.argmax(gain))
    _apply(plan, a, k, int(b[i]), days[room[i]])
    return True


def _retime(plan: _Plan, rules: _Rules, a: int, k: int, b: Ints, qs: Ints) -> bool:
    """Hand ``a``'s whole share of task ``k`` (``qs`` on its dates) to the candidate of ``b``
    it saves the most money on who has as many hours free on other dates of the task's
    window, in days of at least its minimum; whether it was made. Not on a task with a day
    shorter than its minimum (a last day that must stay the last)."""
    data = plan.data
    t = data.targets[k]
    p = t.project
    if any(q < t.min_daily_q for s in plan.people[k] for q in plan.work[s, k].values()):
        return False
    total = int(qs.sum())
    window = np.array(t.days, np.int64)
    free = np.where(
        data.available_matrix[b][:, window] & ~plan.exclusive[b][:, window],
        rules.capacity[b, None] - plan.used[b][:, window],
        0,
    )
    free = np.where(free >= max(1, t.min_daily_q), free, 0)
    joins = plan.on_project[b, p] == 0
    leaves = plan.on_project[a, p] == len(qs)
    margin = (
        rules.rate[a] * total
        + leaves * rules.onboarding[a, p]
        - rules.rate[b] * total
        - joins * rules.onboarding[b, p]
    )
    ok = (
        (free.sum(axis=1) >= total)
        & (margin > 0)
        & ~rules.locked[b]
        & plan.may_join(b, p, rules.limit)
    )
    if rules.share[p] and rules.in_house[a]:
        ok &= rules.in_house[b]
    for i in np.argsort(-np.where(ok, margin, 0)).tolist():
        if not ok[i]:
            return False
        plan_days = _days_for(free[i], total, t.min_daily_q)
        if plan_days is None:
            continue
        who = int(b[i])
        for d in list(plan.work[a, k]):
            plan.take(a, k, d)
            del plan.hours[a, k, d]
        for j, q in plan_days:
            d = int(window[j])
            plan.add(who, k, d, q)
            plan.hours[who, k, d] = plan.work[who, k][d]
        return True
    return False


def _days_for(free: Ints, total: int, least: int) -> list[tuple[int, int]] | None:
    """``total`` quarter-hours over the dates with the most ``free``, each date at least
    ``least``: ``[(date position, quarter-hours)]``, or ``None`` when they cannot be."""
    out: list[tuple[int, int]] = []
    left = total
    for j in np.argsort(-free, kind="stable").tolist():
        if left <= 0 or free[j] <= 0:
            break
        q = int(min(free[j], left))
        if q >= least:
            out.append((j, q))
            left -= q
            continue
        # the last piece is shorter than a day's minimum: a fuller day takes it, if one can
        for n, (jj, qq) in enumerate(out):
            if free[jj] - qq >= q:
                out[n] = (jj, qq + q)
                left -= q
                break
        break
    return out if left <= 0 else None


def _apply(plan: _Plan, a: int, k: int, b: int, days: Ints) -> None:
    """Move ``a``'s hours on target ``k`` on ``days`` to ``b`` (a workplace: the fill)."""
    t = plan.data.targets[k]
    if t.is_workplace:
        for d in list(plan.work[a, k]):
            plan.take(a, k, d)
        plan.fills[k] = b
        for d in t.eligible[b]:
            plan.add(b, k, d, t.daily_q)
        if t.exclusive:
            plan.exclusive[a, t.days] = False
            plan.exclusive[b, t.days] = True
        return
    cell = plan.work[a, k]
    for d in days.tolist():
        q = cell[d]
        plan.take(a, k, d)
        del plan.hours[a, k, d]
        plan.add(b, k, d, q)
        plan.hours[b, k, d] = plan.work[b, k][d]


def finish_short(data: ModelData, solution: Solution) -> tuple[Solution, int]:
    """``solution`` with a last, shorter day added to each task whose unmet hours are fewer
    than its ``min_daily_hours`` where a candidate has them free.

    Spec rule 5 lets whoever works on a task on a date do less than its minimum when that is
    the whole effort still left; models above
    :data:`~allocator.solve.RELIEF_MAX_VARIABLES` and the neighbourhoods' models leave that
    relief out, so such a plan can keep the last hours of a task unmet. The day added is
    after every date the task is worked on (its hours are then the whole effort left), on a
    working date of its window, by the cheapest candidate (onboarding included) who is
    available with those hours free, fills no exclusive workplace whose period holds that
    date, and keeps the task's assignee limit, their project limit and the project's
    in-house share. Coverage only gets better. Returns the plan and the number of days added.
    """
    plan, rules = _Plan(data, solution), _Rules(data)
    done = [0] * len(data.targets)
    last = [-1] * len(data.targets)  # the last date each target is worked on
    for (_, k), cell in plan.work.items():
        done[k] += sum(cell.values())
        last[k] = max(last[k], max(cell))
    added = 0
    for t in data.tasks:
        k = t.index
        left = t.demand_q - done[k]
        if not 0 < left < t.min_daily_q or not t.eligible:
            continue
        days = np.array([d for d in t.days if d > last[k]], np.int64)
        b = rules.candidates[k]
        if not len(days) or not len(b):
            continue
        room = (
            data.available_matrix[b][:, days]
            & (plan.used[b][:, days] + left <= rules.capacity[b, None])
            & ~plan.exclusive[b][:, days]
        )
        places = len(plan.people[k]) < t.max_assignees
        ok = room.any(axis=1) & (plan.on_target(k, b) | places)
        p = t.project
        joins = plan.on_project[b, p] == 0
        ok &= plan.may_join(b, p, rules.limit)
        if rules.share[p]:
            inside = plan.inside[p] + np.where(rules.in_house[b], left, 0)
            ok &= plan.share_holds(p, rules.share[p], inside, plan.total[p] + left)
        if not ok.any():
            continue
        cost = rules.rate[b] * left + joins * rules.onboarding[b, p]
        i = int(np.argmin(np.where(ok, cost, np.iinfo(np.int64).max)))
        d = int(days[int(np.argmax(room[i]))])
        s = int(b[i])
        plan.add(s, k, d, left)
        plan.hours[s, k, d] = left
        added += 1
    return (plan.solution() if added else solution), added
