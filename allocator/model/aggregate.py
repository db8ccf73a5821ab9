"""An aggregated LP relaxation of the whole instance, for a bound fast (and when the model is
cut).

When a large model keeps only some candidates per task (see
:func:`allocator.model.data.restrict_candidates`), the CP-SAT bound is no longer a bound of the
instance. This relaxation keeps every eligible pair but aggregates a task's daily hours per
period, a day, an ISO week or the whole horizon: ``h[s, t, period]``, bounded by the
specialist's capacity on the task's available days in the period. Per-day capacity becomes
per-period capacity; min daily hours, max assignees, exclusivity and fixed task hours are
dropped. Each of these only enlarges the feasible set, so the optimum is a valid lower bound
of the coverage goal, and of the cost goal under a coverage cap.

Projects per specialist and onboarding (spec rule 6 and the cost goal) are kept as in the
model (:mod:`allocator.model.constraints.max_projects`): ``join[s, p]`` in [0, 1], the hours
of ``s`` on ``p`` at most ``join[s, p]`` times the most they can do there, at most
``max_projects`` joins per specialist, and onboarding paid per join; then, where the LP's
optimum breaks them, ``h <= (h's upper bound) x join[s, p]`` per column and, by day or week,
"the hours of ``s`` on ``p`` in the period are at most ``s``'s capacity on the days they
span there times ``join[s, p]``" (:meth:`_Joins.links`, :func:`_separate`), which pay
onboarding on whole joins the more: the second kind, where the LP spreads a specialist over
several of a project's targets on a day, raises medium's cost bound per day at coverage 248
from 736,454 (2.9 s) to 741,039 (6.6 s).

Measured (``python -m benchmarks engine`` instances, cost under the plans' coverage): weeks and
the horizon bound cost alike on large (7,235,343 in 53 s by week, 7,235,059 in 3.5 s over the
horizon, without joins); the joins raise it (medium: 689,883 to 726,726; large: 7,312,957 in
7.7 s). Cost is therefore bounded per day where that LP is small (medium: 736,184 in 4 s with
the implications, against the whole model's LP at 729,628 in 5 s and 737,676 in 9 s), else
over the horizon; coverage by week.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

import highspy
import numpy as np

from allocator.model.data import ModelData, in_house_share, most_on_project
from allocator.model.relaxation import INF, Rows, cut_rounds, lp_solver, run, separator


class _Lp:
    def __init__(self) -> None:
        self.cost: list[float] = []
        self.upper: list[float] = []
        self.rows: dict[object, dict[int, float]] = defaultdict(dict)
        self.row_bounds: dict[object, tuple[float, float]] = {}

    def column(self, upper: float, cost: float = 0.0) -> int:
        self.cost.append(cost)
        self.upper.append(upper)
        return len(self.cost) - 1

    def add(self, row: object, column: int, coefficient: float) -> None:
        entries = self.rows[row]
        entries[column] = entries.get(column, 0.0) + coefficient


Period = Literal["day", "week", "horizon"]

# Cost is bounded per day up to this many eligible (specialist, target, day) triples, else
# over the horizon. Measured (cost under the greedy plan's coverage, with the implications
# below): medium (33,900 triples) 736,119 per day in 3.4 s against 730,818 over the horizon
# in 0.2 s; a 200-specialist, 20-day instance (122,000) needs 20 s per day for its first
# solve alone.
DAY_MAX_TRIPLES = 40_000
# The implications "a column's hours => its pair's join" are added in rounds, only those the
# LP optimum breaks (all at once, the large instance's LP did not finish in 600 s), and the
# LP solved again from its basis; rounds end when one raises the bound by less than this
# share of it (medium per day: 729,739 in 1.1 s, then 736,119 after 17 rounds in 2.3 s more;
# over the horizon 726,635, then 730,818). Not above SEPARATION_MAX_COLUMNS columns, where a
# round costs as much as the first solve and gains little (large, horizon: 8,644,242 in
# 6.9 s, then +0.04 % in 6.7 s).
SEPARATION_MIN_GAIN = 5e-4
SEPARATION_MAX_COLUMNS = 60_000


@dataclass(frozen=True)
class CapBound:
    """A cost bound under a coverage cap that also bounds cost under any looser cap.

    ``value`` bounds cost (model units) when coverage is at most ``cap`` (model units);
    ``slope`` is the magnitude of the LP dual of the coverage row. The LP's optimum is convex
    and non-increasing in the cap, and its optimal dual solution stays feasible when only the
    cap moves, so its dual objective bounds cost under any cap (weak duality)."""

    value: float
    cap: float
    slope: float

    def at(self, cap: float) -> float:
        """The bound of cost when coverage is at most ``cap`` (model units): the value less
        the slope times the cap's excess, lowered by :data:`DUAL_MARGIN` of the value for
        the LP's tolerances."""
        return self.value - self.slope * max(0.0, cap - self.cap) - DUAL_MARGIN * abs(self.value)


# the dual values are feasible within HiGHS's tolerances (1e-7): the cap bound gives up this
# share of its value for them
DUAL_MARGIN = 1e-6


def cost_bound_under_cap(
    data: ModelData,
    eligible: list[dict[int, list[int]]],
    coverage_cap: float,
    *,
    period: Period | None = None,
    time_limit: float = 20.0,
    stop: threading.Event | None = None,
) -> CapBound | None:
    """The cost relaxation of :func:`aggregate_bound` at ``coverage_cap`` (model units, over
    ``period``: by default a day up to :data:`DAY_MAX_TRIPLES` eligible triples, else the
    horizon), as a :class:`CapBound` that bounds cost under any cap at least as loose, so it
    can be computed before the coverage goal's final value is known (from the coverage
    bound, say). ``None`` when it does not finish in ``time_limit`` seconds, once ``stop``
    is set, or when no plan meets the cap.

    Measured from the coverage bounds (idle core): medium (212) per day 740,022 in 4.6 s,
    which bounds cost at coverage 258 by 735,361 (the relaxation at 258 itself: 735,513);
    large (0) over the horizon 8,644,242 in 13.4 s, at coverage 57 8,638,036 (itself:
    8,639,265)."""
    if period is None:
        period = "day" if _triples(data, eligible) <= DAY_MAX_TRIPLES else "horizon"
    solved = _period_bound(
        data, eligible, "cost", coverage_cap, period, time_limit, stop, dual=True
    )
    if solved is None:
        return None
    value, slope = solved
    return CapBound(value, coverage_cap, slope)


def aggregate_bound(
    data: ModelData,
    eligible: list[dict[int, list[int]]],
    goal: str,
    *,
    coverage_cap: float | None = None,
    period: Period | None = None,
    time_limit: float = 20.0,
    stop: threading.Event | None = None,
) -> float | None:
    """Lower bound of ``goal`` ("coverage" or "cost") in model units, or ``None``.

    ``eligible[k]`` gives, per target index, the eligible specialists and their available
    day indices (the unrestricted lists). ``time_limit`` (seconds) covers building the LP
    and solving it; ``None`` when either does not finish in it. ``coverage_cap`` (model
    units) bounds the coverage goal when bounding cost, as the cost stage does. ``period``
    is what task hours are aggregated over: by default a week for coverage, and for cost the
    horizon, then (up to :data:`DAY_MAX_TRIPLES` eligible triples, in the time left) a day,
    the better of the two standing (medium at 10 s: the day's LP does not finish in the cost
    stage's share, the horizon's takes 0.2 s). ``None`` too once ``stop`` is set. The LP's
    optimum is then raised by the implications onto the joins that it breaks
    (:func:`_separate`); when time runs out meanwhile, the last optimum stands.
    """
    if goal not in ("coverage", "cost"):
        return 0.0  # stability counts changes and split days: never below zero
    if period is not None or goal != "cost":
        return _value(
            _period_bound(data, eligible, goal, coverage_cap, period or "week", time_limit, stop)
        )
    deadline = time.perf_counter() + time_limit
    horizon = _value(_period_bound(data, eligible, goal, coverage_cap, "horizon", time_limit, stop))
    left = deadline - time.perf_counter()
    if horizon is None or _triples(data, eligible) > DAY_MAX_TRIPLES or left < 0.1:
        return horizon
    day = _value(_period_bound(data, eligible, goal, coverage_cap, "day", left, stop))
    return horizon if day is None else max(horizon, day)


def _triples(data: ModelData, eligible: list[dict[int, list[int]]]) -> int:
    """The eligible (specialist, target, day) triples."""
    return sum(len(days) for t in data.targets for days in eligible[t.index].values())


def _value(solved: tuple[float, float] | None) -> float | None:
    return None if solved is None else solved[0]


def _period_bound(
    data: ModelData,
    eligible: list[dict[int, list[int]]],
    goal: str,
    coverage_cap: float | None,
    period: Period,
    time_limit: float,
    stop: threading.Event | None,
    *,
    dual: bool = False,
) -> tuple[float, float] | None:
    """:func:`aggregate_bound` over one ``period``: the optimum, and (with ``dual``, when
    bounding cost under a cap) the magnitude of the coverage cap row's dual, else 0."""
    period_of = [_period_key(period, i, d) for i, d in enumerate(data.dates)]
    lp = _Lp()
    covered: list[tuple[int, float]] = []
    demand = 0.0
    deadline = time.perf_counter() + time_limit  # building the LP counts in its time
    shares = [in_house_share(p) for p in data.instance.projects]
    # over the horizon, a pair's hours in the period are its "join" row already
    joins = _Joins(data, eligible, onboarding=goal == "cost", grouped=period != "horizon")
    for t in data.targets:
        if time.perf_counter() > deadline or (stop is not None and stop.is_set()):
            return None
        demand += t.priority * t.demand_q
        for s, days in eligible[t.index].items():
            in_period: dict[object, list[int]] = defaultdict(list)
            for d in days:
                in_period[period_of[d]].append(d)
            per_period = {b: len(ds) for b, ds in in_period.items()}
            if t.is_workplace:
                done = t.daily_q * len(days)
                col = lp.column(1.0, data.rate[s] * done)
                lp.add(("fill", t.index), col, 1.0)
                for b, n in per_period.items():
                    lp.add(("capacity", s, b), col, t.daily_q * n)
                _share(lp, data, shares[t.project], (t.project, s, col), done)
                joins.add(lp, (s, t.project), col, done)
                for b, n in per_period.items():
                    joins.group((s, t.project), b, col, t.daily_q * n, in_period[b])
                covered.append((col, t.priority * done))
                if t.target.item.required and len(days) == len(t.days):
                    lp.add(("required", t.index), col, 1.0)
                continue
            columns: dict[object, int] = {}
            for b, n in per_period.items():
                top = min(data.capacity_q[s] * n, t.demand_q)
                col = columns[b] = lp.column(top, data.rate[s])
                lp.add(("effort", t.index), col, 1.0)
                lp.add(("capacity", s, b), col, 1.0)
                _share(lp, data, shares[t.project], (t.project, s, col), 1.0)
                joins.add(lp, (s, t.project), col, 1.0)
                covered.append((col, float(t.priority)))
                if t.target.item.required:
                    lp.add(("required", t.index), col, 1.0)
            for b, col in columns.items():
                joins.group((s, t.project), b, col, 1.0, in_period[b])
    for t in data.targets:
        lp.row_bounds[("fill", t.index)] = (-INF, 1.0)
        lp.row_bounds[("effort", t.index)] = (-INF, float(t.demand_q))
        if t.target.item.required:
            need = 1.0 if t.is_workplace else float(t.demand_q)
            lp.row_bounds[("required", t.index)] = (need, need)
    for s, available in enumerate(data.available):
        available_in: dict[object, int] = defaultdict(int)
        for d in available:
            available_in[period_of[d]] += 1
        for b, n in available_in.items():
            lp.row_bounds[("capacity", s, b)] = (-INF, float(data.capacity_q[s] * n))
    for p in range(len(data.project_ids)):
        lp.row_bounds[("share", p)] = (0.0, INF)
    objective = np.array(lp.cost) if goal == "cost" else np.zeros(len(lp.cost))
    offset = 0.0
    if goal == "coverage":
        offset = demand
        for col, weight in covered:
            objective[col] -= weight
    elif coverage_cap is not None:
        for col, weight in covered:
            lp.add("coverage_cap", col, weight)
        lp.row_bounds["coverage_cap"] = (demand - coverage_cap, INF)
    left = deadline - time.perf_counter()
    if left <= 0.1:
        return None
    return _solve(
        lp, objective, offset, left, stop, joins.links(), "coverage_cap" if dual else None
    )


def _period_key(period: Period, index: int, day: dt.date) -> object:
    """The period a working date (``index`` among the instance's) falls in."""
    if period == "day":
        return index
    return day.isocalendar()[:2] if period == "week" else 0


class _Joins:
    """The ``join[s, p]`` columns, made on a pair's first hours where a project limit
    applies or (with ``onboarding``) onboarding costs money, and the cuts that link the hours
    to them (:meth:`links`; with ``grouped``, per period too)."""

    def __init__(
        self,
        data: ModelData,
        eligible: list[dict[int, list[int]]],
        *,
        onboarding: bool,
        grouped: bool = True,
    ) -> None:
        self.data = data
        self.onboarding = onboarding
        self.grouped = grouped
        self.columns: dict[tuple[int, int], int] = {}  # -1: the pair needs none
        self.most = most_on_project(data, eligible)
        # (column, its pair's join, the column's upper bound): "column <= upper x join"
        self.implied: list[tuple[int, int, float]] = []
        # per (specialist, project, period): the hours each column adds there, and the days
        self.periods: dict[tuple[int, int, object], tuple[dict[int, float], set[int]]] = {}

    def _onboarding_cost(self, s: int, p: int) -> float:
        return float(self.data.onboarding(s, p)) if self.onboarding else 0.0

    def add(self, lp: _Lp, pair: tuple[int, int], column: int, hours: float) -> None:
        """Count ``hours`` per unit of ``column`` as work of ``pair`` (specialist, project)."""
        join = self.columns.get(pair)
        if join is None:
            s, p = pair
            limit = self.data.instance.specialists[s].max_projects
            onboarding = self._onboarding_cost(s, p)
            join = self.columns[pair] = (
                -1 if limit is None and onboarding == 0 else lp.column(1.0, onboarding)
            )
            if join < 0:
                return
            lp.add(("join", pair), join, -float(self.most[pair]))
            lp.row_bounds[("join", pair)] = (-INF, 0.0)
            if limit is not None:
                lp.add(("projects", s), join, 1.0)
                lp.row_bounds[("projects", s)] = (-INF, float(limit))
        if join >= 0:
            lp.add(("join", pair), column, hours)
            self.implied.append((column, join, lp.upper[column]))

    def group(
        self, pair: tuple[int, int], period: object, column: int, hours: float, days: list[int]
    ) -> None:
        """Count ``hours`` per unit of ``column`` as work of ``pair`` in ``period``, on
        ``days`` (day indices); call :meth:`add` for the pair first."""
        if not self.grouped or self.columns[pair] < 0:
            return
        terms, dates = self.periods.setdefault((*pair, period), ({}, set()))
        terms[column] = terms.get(column, 0.0) + hours
        dates.update(days)

    def links(self) -> Rows:
        """The cuts ``sum(hours x column) <= upper x join`` that hold in every plan: per
        column (its upper bound), and per (specialist, project, period) with two columns or
        more, whose hours there are at most the specialist's capacity on the days the
        project's columns span in the period."""
        rows = Rows()
        for column, join, upper in self.implied:
            rows.linear([column, join], [1.0, -upper], -INF, 0.0)
        for (s, p, _), (terms, dates) in self.periods.items():
            if len(terms) > 1:
                upper = float(self.data.capacity_q[s] * len(dates))
                rows.linear([*terms, self.columns[s, p]], [*terms.values(), -upper], -INF, 0.0)
        return rows


def _share(
    lp: _Lp, data: ModelData, share: Fraction, where: tuple[int, int, int], hours: float
) -> None:
    """Add a column's hours to the share row of its project: ``where`` is (project,
    specialist, column)."""
    if share == 0:
        return
    p, s, col = where
    num, den = share.numerator, share.denominator
    lp.add(("share", p), col, hours * ((den - num) if data.in_house[s] else -num))


def _solve(
    lp: _Lp,
    objective: np.ndarray,
    offset: float,
    time_limit: float,
    stop: threading.Event | None,
    links: Rows,
    dual_of: object | None = None,
) -> tuple[float, float] | None:
    """The LP's optimum, raised by :func:`_separate`, and the magnitude of the dual of row
    ``dual_of`` at it (0 without one)."""
    rows = [r for r in lp.rows if r in lp.row_bounds]
    start: list[int] = [0]
    index: list[int] = []
    value: list[float] = []
    for r in rows:
        entries = lp.rows[r]
        index.extend(entries)
        value.extend(entries.values())
        start.append(len(index))
    model = highspy.HighsLp()
    model.num_col_ = len(lp.cost)
    model.num_row_ = len(rows)
    model.col_cost_ = objective
    model.col_lower_ = np.zeros(len(lp.cost))
    model.col_upper_ = np.array(lp.upper)
    model.row_lower_ = np.array([lp.row_bounds[r][0] for r in rows])
    model.row_upper_ = np.array([lp.row_bounds[r][1] for r in rows])
    model.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    model.a_matrix_.start_ = np.array(start, dtype=np.int32)
    model.a_matrix_.index_ = np.array(index, dtype=np.int32)
    model.a_matrix_.value_ = np.array(value)
    model.offset_ = offset
    started = time.perf_counter()
    solver = lp_solver(time_limit)  # dual simplex: faster than interior point here
    solver.passModel(model)
    run(solver, stop)
    if solver.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    row = rows.index(dual_of) if dual_of in lp.row_bounds else None
    optimum = (float(solver.getInfo().objective_function_value), _dual(solver, row))
    left = time_limit - (time.perf_counter() - started)
    if not links.lower or len(lp.cost) > SEPARATION_MAX_COLUMNS:
        return optimum
    return _separate(solver, optimum, links, left, stop, row)


def _dual(solver: highspy.Highs, row: int | None) -> float:
    """The magnitude of the dual value of ``row`` at the optimum ``solver`` holds."""
    return 0.0 if row is None else abs(float(solver.getSolution().row_dual[row]))


def _separate(
    solver: highspy.Highs,
    found: tuple[float, float],
    links: Rows,
    time_limit: float,
    stop: threading.Event | None,
    row: int | None = None,
) -> tuple[float, float]:
    """``found`` (the optimum ``solver`` holds, with the dual of ``row`` there: see
    :func:`_solve`) raised by the ``links`` its optimum breaks, in rounds of
    :func:`~allocator.model.relaxation.cut_rounds` for at most ``time_limit`` seconds (a
    round gaining less than :data:`SEPARATION_MIN_GAIN` ends them); the last optimum reached
    is returned, with the dual of ``row`` there."""
    for raised in cut_rounds(
        solver, found[0], separator(links), time_limit, stop, SEPARATION_MIN_GAIN
    ):
        found = (raised, _dual(solver, row))
    return found
