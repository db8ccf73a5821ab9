"""The front door: solve an instance into a plan, one goal at a time.

The goals of ``objective.order`` are solved in stages on one CP-SAT model (spec, "What a plan
optimises": a goal earlier in the order is never traded for a later one). Each stage

1. bounds the goal by the aggregated relaxation of the instance (:mod:`allocator.model.
   aggregate`; fast, and valid when candidates are cut), then by the LP relaxation of the
   model with HiGHS (:mod:`allocator.model.relaxation`; CP-SAT's own LP worker converges
   slowly on two cores); a dense cut of it in the model would cost more in presolve than it
   brings, so it is only reported. A stage searched by neighbourhoods only computes both in a
   thread while it searches (the search needs no bound to start; HiGHS releases the GIL);
   before CP-SAT they come first, as the LP's solution guides the first hint;
2. searches from a hint: for the first stage the better of the greedy plan and the
   LP-guided greedy plan, afterwards the previous stage's solution. Below 5 000 variables
   CP-SAT searches the whole model for the whole stage; up to 20 000 it does so for 30 % of the
   stage, and large-neighbourhood search (:mod:`allocator.lns`) improves its plan in the rest
   (or, when CP-SAT found none in its share, the plan at hand: the previous stage's, or the
   greedy one when it is valid);
   above 20 000 the stage is all neighbourhoods (after CP-SAT's first valid plan when fixed or
   required items may be broken by the greedy plan);
3. pins its goal to the best value found, so later goals never trade it away.

The whole model is built only when something needs it: CP-SAT (below 20 000 variables, with
fixed or required items, or for stability against a previous plan) or the LP bound (up to
400 000 variables, candidates uncut). Otherwise the neighbourhoods build their own small
models, and the plan's statistics give the model's variables (``count_variables``) with
``constraints: None`` and ``model: "neighbourhoods"``; a cut of the candidates then serves
only cost's and stability's rounds (:func:`_search_candidates`).

The time limit is shared among the stages; time a stage does not use passes on. A stage
searched by neighbourhoods that is still improving when its share ends goes on, up to 70 % of
the time left, while it keeps finding better plans (:data:`STAGE_OVERTIME`): on the large
instance (120 s) coverage reached 19,226 weighted unmet hours against 23,096 without.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial

from ortools.sat.python import cp_model

from allocator.eligibility import compute_eligibility
from allocator.explain import explain_infeasibility
from allocator.greedy import best_greedy
from allocator.lns import improve, searchable
from allocator.model.aggregate import CapBound, Period, aggregate_bound, cost_bound_under_cap
from allocator.model.build import BuiltModel, build_model
from allocator.model.constraints.max_projects import day_cuts
from allocator.model.data import (
    QUARTER,
    ModelData,
    build_model_data,
    restrict_candidates,
)
from allocator.model.flow import coverage_flow_bound
from allocator.model.relaxation import LpBound, lp_bound, rounded_up
from allocator.model.solution import (
    Solution,
    cost_slack,
    evaluate,
    holds_locks,
    read_solution,
)
from allocator.model.variables import count_variables
from allocator.moves import finish_short, hand_over
from allocator.plan import build_plan, empty_plan
from allocator.schema import Goal, Instance, Plan
from allocator.stopping import Watchdog

STAGE_WEIGHT: dict[str, float] = {"coverage": 0.5, "cost": 0.3, "stability": 0.2}
# A stage searched by neighbourhoods that still finds better plans at the end of its share
# goes on (a goal earlier in the order matters more than any later one) while it found one
# in the last STAGE_PATIENCE of its share, up to STAGE_OVERTIME of the time left when it
# started; the later stages share what is left.
STAGE_OVERTIME = 0.7
STAGE_PATIENCE = 0.1
# At most this share of the cost stage goes to hand-overs before its neighbourhoods; measured
# (from a plan of the large instance at coverage 404: 20 s of cost, two seeds) 9,177,000 with
# same-date ones (2.5 s) against 9,207,400 by neighbourhoods alone (see allocator.moves)
HAND_OVER_TIME_SHARE = 0.25
GREEDY_TIME_SHARE = 0.2  # the greedy variants start within this share of the time limit
LP_MAX_VARIABLES = 400_000  # larger models skip the LP relaxation (its solve would not pay)
LP_TIME_SHARE = 0.25  # at most this share of a stage's time goes to the LP relaxation
# ... or this share when the relaxations run while the neighbourhoods search: they take a
# third of two cores, not the whole stage (large, cost: the aggregated relaxation needs 7 s
# alone, more than 9 s beside the search, and ran out of its 25 %)
LP_TIME_SHARE_MEANWHILE = 0.6
# A cost stage whose bound the coverage stage computed (the aggregated relaxation, see
# _early_cost_bound) solves the whole model's LP only with at least this many seconds per
# variable: its cost LP with cuts takes 12 s of an idle core on the medium instance (39 210
# variables), about 16 s beside the search. In 30 s solves it got 7.6-8.7 s and ended below
# the bound at hand (729,000-738,000 against 740,954) in all but one of 13 runs (741,843),
# taking a core from the cost search: seven runs without it ended at 769,600-774,600 (mean
# 771,100), seven with it at 770,600-779,800 (mean 774,200).
LP_SECONDS_PER_VARIABLE = 4e-4
# Above this many variables: skip probing and symmetry in presolve, and on few cores give every
# worker to large-neighbourhood search (the full-search LP worker neither proves nor improves
# there in useful time; the HiGHS relaxation supplies the bound instead).
LIGHT_PRESOLVE_VARIABLES = 20_000
TRIPLE_BUDGET = 300_000  # above this many task triples, restrict each task's candidates
# Above this many variables a stage searches by neighbourhoods only (:mod:`allocator.lns`):
# on two cores CP-SAT's own search on the whole model improves a 100-specialist plan far more
# slowly (medium, 15 s: 1,443 against about 430 weighted unmet).
LNS_MIN_VARIABLES = 20_000
# Between PROOF_VARIABLES and it, CP-SAT searches the whole model first for a share of the
# stage, and the neighbourhoods improve its plan in the rest (medium-loose, 30 s: coverage 0
# against 650-700 by CP-SAT alone). Below PROOF_VARIABLES CP-SAT has the rest of the stage
# after a warm start (WARM_START_SHARE): it often proves small models optimal (small-tight: in
# 3.3 s of a 5 s stage) and its bound is the better for the time.
PROOF_VARIABLES = 5_000
# A stage CP-SAT may prove starts with neighbourhoods for at most this share of it (ending at
# the stage's LP bound), whose plan is CP-SAT's hint; CP-SAT's search ends as soon as a plan
# meets that bound. Measured on the small instance (2 971 variables, 10 s): coverage 142 was
# proven after 3.1-4.8 s by CP-SAT alone, and with a Python busy loop beside it not at all in
# 7 runs (148-160); with the warm start after 1.3 s in every run, busy or not (the rounds
# reach 142 in 0.1-0.3 s from the greedy plan's 232), and cost is proven optimal at 74,756
# (3.7-3.9 s; 3 of 3 quiet runs, 1 of 3 beside the busy loop), where it ended at
# 74,756-77,540 unproven (gap 1.2-3.0 %).
WARM_START_SHARE = 0.2
# Up to this many variables the whole model has the min-daily-hours relief (a shorter day that
# does a task's whole remaining effort), which makes it exact at a Boolean per task triple.
# Above it the search is the better without: on the 25-specialist peers families (about
# 2 200 variables, 10 s) coverage reached 102 and 1,591 with it against 96 (proven) and
# 1,508-1,527 without. Below, the proof pays: the small instance (1 471 variables, 10 s)
# proves coverage with it, and without it only reaches the LP's bound (142 against 127.6).
RELIEF_MAX_VARIABLES = 2_000
WHOLE_SEARCH_SHARE = 0.3
# Above it, with fixed or required items (which the greedy plan may break), CP-SAT first finds
# a valid plan with at most this share of the stage.
LOCKED_SEARCH_SHARE = 0.4


@dataclass(frozen=True)
class Progress:
    """What the search reports while it runs (objective and bound in the goal's units)."""

    stage: str
    stage_number: int
    stages: int
    objective: float | None
    bound: float | None
    elapsed: float
    solutions: int


ProgressCallback = Callable[[Progress], None]


@dataclass
class StageResult:
    goal: str
    status: str
    value: float | None
    bound: float | None
    seconds: float
    neighbourhoods: int = 0  # rounds of neighbourhood search (:mod:`allocator.lns`)


@dataclass
class SolveOptions:
    """Overrides of the instance's ``solver`` settings (``None`` keeps the instance's)."""

    time_limit: float | None = None
    workers: int | None = None
    progress: ProgressCallback | None = None
    stop: threading.Event | None = None
    log: bool = False
    extra: dict[str, object] = field(default_factory=dict)


class _Reporter(cp_model.CpSolverSolutionCallback):  # type: ignore[misc]
    def __init__(
        self,
        goal: str,
        scale: float,
        number: int,
        stages: int,
        started: float,
        options: SolveOptions,
    ):
        super().__init__()
        self.scale = scale
        self.goal, self.number, self.stages, self.started = goal, number, stages, started
        self.options = options
        self.count = 0
        self.floor: float | None = 0.0  # a proven bound known before the search (model units)
        self.exact = True  # the model is the instance's (else only the floor bounds it)

    def on_solution_callback(self) -> None:
        self.count += 1
        if self.floor is not None and self.objective_value <= self.floor + 1e-6:
            self.stop_search()  # the proven bound is reached: nothing better exists
        if self.options.progress is not None:
            scale = self.scale
            bound = None
            if self.floor is not None:  # None: the model's bound is not the instance's
                found = max(self.best_objective_bound, self.floor) if self.exact else self.floor
                bound = found / scale
            self.options.progress(
                Progress(
                    stage=self.goal,
                    stage_number=self.number,
                    stages=self.stages,
                    objective=self.objective_value / scale,
                    bound=bound,
                    elapsed=time.perf_counter() - self.started,
                    solutions=self.count,
                )
            )


def _workers(instance: Instance, options: SolveOptions) -> int:
    workers = options.workers if options.workers is not None else instance.solver.workers
    return workers or os.cpu_count() or 1


def _lp_preference(built: BuiltModel, lp: LpBound) -> dict[tuple[int, int], float]:
    """Each target's share given to each specialist in the LP relaxation's solution."""
    assert lp.values is not None
    v, targets, preference = built.ctx.vars, built.data.targets, {}
    for (s, w), var in v.fill.items():
        preference[s, w] = float(lp.values[var.index])
    for (s, k, _), var in v.hours.items():
        share = float(lp.values[var.index]) / max(1, targets[k].demand_q)
        preference[s, k] = preference.get((s, k), 0.0) + share
    return preference


def _configure_solver(
    instance: Instance, options: SolveOptions, variables: int
) -> cp_model.CpSolver:
    """CP-SAT with the instance's settings, the options' overrides and our size rules."""
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.num_workers = _workers(instance, options)
    params.random_seed = instance.solver.seed
    params.relative_gap_limit = instance.solver.relative_gap
    params.log_search_progress = options.log
    # Ctrl+C is the caller's (the CLI's stops the search and keeps the plan): CP-SAT's own
    # SIGINT handler, set and reset by every solve, raced between round threads and aborted
    params.catch_sigint_signal = False
    if variables > LIGHT_PRESOLVE_VARIABLES:
        params.cp_model_probing_level = 0
        params.symmetry_level = 0
        params.presolve_inclusion_work_limit = 0
        if params.num_workers <= 4:
            params.ignore_subsolvers.append("default_lp")
    for key, value in options.extra.items():
        setattr(params, key, value)
    return solver


def _improve(
    data: ModelData,
    solution: Solution,
    goals: list[Goal],
    deadline: float,
    options: SolveOptions,
    bound: float | Callable[[], float | None] | None,
    report: tuple[int, int, float],
    overtime: tuple[float, float] | None = None,
    tiebreak: Goal | None = None,
    meanwhile: tuple[float, Callable[[], bool]] | None = None,
) -> tuple[Solution, int]:
    """Neighbourhood search on ``goals[-1]`` until ``deadline`` (or on in ``overtime``, or
    while a bound is computed, up to ``meanwhile``'s time, see :func:`allocator.lns.improve`)
    or the proven ``bound`` (reported units, ``None`` when there is none; a function while it
    is being computed), reporting each better plan; the rounds break ties on ``tiebreak``
    (the next goal of the order).

    ``report``: the stage's number, the number of stages and the solve's start time. Returns
    the best plan and the number of rounds searched.
    """
    number, stages, started = report
    found = [0]

    def on_improve(_: Solution, key: list[float]) -> None:
        found[0] += 1
        if options.progress is not None:
            elapsed = time.perf_counter() - started
            floor = bound() if callable(bound) else bound
            options.progress(Progress(goals[-1], number, stages, key[-1], floor, elapsed, found[0]))

    best, lns_stats = improve(
        data,
        solution,
        goals,
        deadline,
        workers=_workers(data.instance, options),
        seed=data.instance.solver.seed,
        stop=options.stop,
        bound=bound,
        on_improve=on_improve,
        overtime=overtime,
        tiebreak=tiebreak,
        meanwhile=meanwhile,
    )
    return best, lns_stats.rounds


def _warm_start(
    data: ModelData,
    start: Solution,
    order: list[Goal],
    number: int,
    options: SolveOptions,
    floor: float | None,
    scale: float,
    times: tuple[float, float],
) -> tuple[Solution, int]:
    """``start`` improved by neighbourhoods on stage ``number``'s goal until ``times[0]`` or
    the stage's ``floor`` (a proven bound, model units), as CP-SAT's hint; and the rounds
    searched. ``times[1]`` is the solve's start (for the progress reports)."""
    goal = order[number - 1]
    if not searchable(data, start, goal):
        return start, 0
    return _improve(
        data,
        start,
        order[:number],
        times[0],
        options,
        None if floor is None else floor / scale,
        (number, len(order), times[1]),
        tiebreak=_tiebreak(order, number),
    )


def _hands_over(order: list[Goal], number: int) -> bool:
    """Whether stage ``number`` minimises cost after coverage alone: hand-overs
    (:mod:`allocator.moves`) then improve it without touching an earlier goal."""
    return order[number - 1] == "cost" and set(order[: number - 1]) <= {"coverage"}


def _handed_over(data: ModelData, solution: Solution, started: float, end: float) -> Solution:
    """``solution`` with the cost-lowering hand-overs made in at most
    :data:`HAND_OVER_TIME_SHARE` of the stage from ``started`` to ``end``."""
    now = time.perf_counter()
    handed, _ = hand_over(data, solution, now + HAND_OVER_TIME_SHARE * max(0.0, end - started))
    return handed


def _tiebreak(order: list[Goal], number: int) -> Goal | None:
    """The goal the neighbourhoods of stage ``number`` break ties on: the next one of the
    order, unless it is stability, whose indicators enlarge every round's model (medium,
    10 s of cost rounds from a plan at coverage 248, three seeds: cost 772,105 on average
    with it against 770,515 without)."""
    after = order[number] if number < len(order) else None
    return None if after == "stability" else after


def _replans(instance: Instance, order: list[Goal]) -> bool:
    """Stability against a previous plan is a goal: CP-SAT searches its stage (and the later
    ones) on the whole model, as a neighbourhood counts split days only."""
    return instance.previous_plan is not None and "stability" in order


def has_locked_items(instance: Instance) -> bool:
    """Fixed assignments or required items: the only rules the greedy plan may break."""
    return (
        bool(instance.fixed)
        or any(w.required for w in instance.workplaces)
        or any(t.required for t in instance.tasks)
    )


def _locked_pairs(data: ModelData) -> set[tuple[int, int]]:
    """The (specialist, task) pairs a fixed assignment names, and every candidate of a
    required task: a cut of the candidates keeps them (the greedy plan may break those
    items, and the specialist they need must stay)."""
    index = data.eligibility.target_index
    pairs = {
        (data.specialist_index[f.specialist], index["task", f.task])
        for f in data.instance.fixed
        if f.task is not None
    }
    for t in data.tasks:
        if t.target.item.required:
            pairs |= {(s, t.index) for s in t.eligible}
    return pairs


def _search_candidates(
    data: ModelData, unrestricted: list[dict[int, list[int]]], goal: Goal, plan: Solution
) -> None:
    """The candidates the neighbourhoods of a ``goal`` stage take when no whole model is
    built, set on ``data``: every one for coverage, for cost and stability the cheapest cut
    (:func:`allocator.model.data.restrict_candidates`) plus the people of ``plan``.

    Measured on the large instance: 60 s of coverage rounds from the greedy plan (two seeds)
    reach 17,194 and 18,749 weighted unmet hours with every candidate against 20,057 and
    20,064 with the cut (fewer rounds, better ones); but a cost stage searches 63 rounds in
    25 s with every candidate against about 180 with the cut, and ends about 3 % dearer.
    """
    for t, eligible in zip(data.targets, unrestricted, strict=True):
        t.eligible = eligible
    if goal != "coverage":
        keep = {(s, k) for s, k, _, _ in plan.rows(data)} | _locked_pairs(data)
        restrict_candidates(data, keep, TRIPLE_BUDGET)
    for t in data.targets:  # none set aside: the coverage stage looked at them all
        t.set_aside = 0


def _stopped(options: SolveOptions) -> bool:
    return options.stop is not None and options.stop.is_set()


def _stopped_early(
    instance: Instance,
    data: ModelData,
    hint: Solution,
    order: list[Goal],
    started: float,
    stats: dict[str, object],
) -> Plan:
    """Stopped before CP-SAT found a plan: keep the greedy plan when it is surely valid.

    The greedy planner keeps every hard rule but fixed assignments and required items, so
    its plan stands when it keeps those too (:func:`holds_locks`); otherwise there is no
    plan.
    """
    stats["stopped"] = "before the search found a plan"
    wall = time.perf_counter() - started
    if not holds_locks(data, hint):
        return empty_plan(instance, "unknown", wall, stats)
    stages: list[tuple[str, float | None, float | None]] = [(g, None, None) for g in order]
    plan = build_plan(data, hint, stages=stages, complete=False, wall_seconds=0.0, statistics=stats)
    return _timed(plan, started)


def _instance_bound(
    data: ModelData,
    unrestricted: list[dict[int, list[int]]],
    goal: str,
    stages: list[StageResult],
    time_limit: float,
    *,
    cut: bool,
    stop: threading.Event | None = None,
) -> float | None:
    """A bound of the whole instance from the aggregated relaxation
    (:mod:`allocator.model.aggregate`), in reported units; when it is not built and solved
    within ``time_limit`` seconds, ``None`` (coverage: the flow bound then).

    Cost: under the coverage reached, over the horizon, then per day where that LP is small
    (:func:`allocator.model.aggregate.aggregate_bound`). Coverage: aggregated by week; on a
    model with candidates ``cut`` (large ones) over the horizon. Measured on the medium
    instance, the week relaxation bounds coverage as the LP of the whole model does (212) in
    0.1 s against 2.2 s, and it still answers where that LP runs out of time; where neither
    ends, coverage has the flow bound of :mod:`allocator.model.flow`, computed first. On
    large ones the week relaxation is slow and no stronger: the 400-specialist, 60-day peers
    instance at demand/capacity 1.2 (``large-tight``, seed 1) gives 51,590 weighted unmet
    hours over the horizon in 5.3 s and by week none in 300 s (simplex; interior point 51,590
    in 97 s); the committed large instance 0 in 2.8 s, and by week none in 60 s.
    """
    cap = next(
        (s.value * QUARTER for s in stages if s.goal == "coverage" and s.value is not None), None
    )
    period: Period | None = "horizon" if cut else None  # None: the goal's own
    value = None
    started = time.perf_counter()
    # coverage: first the flow bound (a second at most; it stands when the LP does not end)
    flow = coverage_flow_bound(data, unrestricted) if goal == "coverage" else None
    time_limit -= time.perf_counter() - started
    if time_limit >= 0.1:
        value = aggregate_bound(
            data,
            unrestricted,
            goal,
            coverage_cap=cap,
            period=period,
            time_limit=time_limit,
            stop=stop,
        )
    if flow is not None:
        value = flow if value is None else max(value, flow)
    if value is None:
        return None
    # every goal is an integer in model units (weighted quarter-hours, money units)
    return rounded_up(value) / data.goal_scale(goal)


class _Either(threading.Event):
    """An event set by :meth:`set` or by setting ``other``: one stage's stop."""

    def __init__(self, other: threading.Event | None) -> None:
        super().__init__()
        self.other = other

    def is_set(self) -> bool:
        return super().is_set() or (self.other is not None and self.other.is_set())


class _Relaxations:
    """A stage's bounds from the relaxations: the aggregated one of the instance, then the LP
    of the whole model (``built``; ``None``: no LP). They end early once ``stop`` or their own
    :attr:`stop` is set (the stage needs no more bound)."""

    def __init__(
        self,
        data: ModelData,
        built: BuiltModel | None,
        goal: Goal,
        unrestricted: list[dict[int, list[int]]],
        stages: list[StageResult],
        *,
        cut: bool,
        stop: threading.Event | None,
        early: Future[CapBound | None] | None = None,
    ) -> None:
        self.data, self.built, self.goal, self.cut = data, built, goal, cut
        self.early = early  # cost only: the bound computed in the coverage stage
        self.stop = _Either(stop)
        self.unrestricted, self.stages = unrestricted, list(stages)
        self.valid: float | None = None  # the aggregated relaxation's (reported units)
        self.lp = LpBound(None, "skipped", 0.0)
        self.floor: float | None = None  # the best of both (model units); None when cut

    def solve(self, time_limit: float) -> None:
        """Both relaxations: the aggregated one first, in at most half of ``time_limit``
        seconds when the LP follows (which has ``time_limit``); for cost on an uncut model
        the LP first, with the aggregated one in the time it leaves. Measured on the medium
        instance (30 s solves, the cost relaxations beside the search, four runs each): the
        aggregated one first took half the share for 728,700-730,900, the LP after it then
        never reached its cuts; the LP first reached 727,500-736,500 (its first optimum takes
        4.5-8.7 s there, 2.2 s on an idle core; its cuts add up to 8,000 in 3.5 s more)."""
        started = time.perf_counter()
        lp_first = self.goal == "cost" and self.built is not None and not self.cut
        if lp_first:
            self._lp(time_limit)
        self.valid = self._early()
        if self.valid is None and not self.stop.is_set():  # stability: 0 at once
            left = time_limit - (time.perf_counter() - started)
            share = left / 2 if self.built is not None and not lp_first else left
            self.valid = _instance_bound(
                self.data,
                self.unrestricted,
                self.goal,
                self.stages,
                share,
                cut=self.cut,
                stop=self.stop,
            )
        if not lp_first:
            self._lp(time_limit)
        if not self.cut:
            scale = self.data.goal_scale(self.goal)
            self.floor = max(0.0, self.lp.integer_bound() or 0.0, (self.valid or 0.0) * scale)

    def _early(self) -> float | None:
        """The cost bound computed in the coverage stage (:func:`_early_cost_bound`), under
        the coverage reached (reported units), if known by now."""
        if self.early is None or not self.early.done() or self.early.exception() is not None:
            return None
        early = self.early.result()
        cap = next((s.value for s in self.stages if s.goal == "coverage"), None)
        if early is None or cap is None:
            return None
        return rounded_up(early.at(cap * QUARTER)) / self.data.goal_scale(self.goal)

    def _lp(self, time_limit: float) -> None:
        """The LP relaxation of the whole model, in ``time_limit`` seconds; skipped when the
        bound computed in the coverage stage is known and that time is short of
        :data:`LP_SECONDS_PER_VARIABLE` per variable."""
        if self.built is None or self.goal == "stability" or self.stop.is_set():
            return
        if time_limit < 0.1:
            self.lp = LpBound(None, "no time left", 0.0)
            return
        variables = len(self.built.model.proto.variables)
        if self._early() is not None and time_limit < LP_SECONDS_PER_VARIABLE * variables:
            self.lp = LpBound(None, "skipped: too little time to better the bound at hand", 0.0)
            return
        self.lp = lp_bound(
            self.built.model,
            time_limit,
            linearize_enforced=False,
            # interior point pays on coverage only (see lp_solver); halving the simplex
            # time would lose the cost bound (medium: 5 s on an idle core, and 4 more
            # for the implications)
            interior_fallback=self.goal == "coverage",
            # the implications onto the joins raise the cost bound only (medium: coverage
            # 212 either way, in 11.7 s without and 42 s with them)
            strengthen=self.goal == "cost",
            cuts=day_cuts(self.built.ctx) if self.goal == "cost" else None,
            stop=self.stop,
        )

    def bound(self, until: float) -> float | None:
        """:meth:`solve` until ``until`` (a ``time.perf_counter()`` value: a job queued
        behind another stage's gets only what is left of its own share), and the stage's
        bound (reported units, on the exact costs per hour) when no CP-SAT search adds its
        own."""
        self.solve(max(0.0, until - time.perf_counter()))
        scale = self.data.goal_scale(self.goal)
        valid = self.valid if self.floor is None else self.floor / scale
        return _exact_bound(self.data, self.goal, valid)


def _early_cost_bound(
    data: ModelData,
    unrestricted: list[dict[int, list[int]]],
    coverage_bound: Future[float | None],
    deadline: float,
    stop: threading.Event,
) -> CapBound | None:
    """The cost relaxation under the coverage bound (once known), in the coverage stage: it
    bounds cost under any coverage reached (:class:`~allocator.model.aggregate.CapBound`),
    so the cost stage has a bound from its start instead of solving its relaxation beside
    its search. Measured on the large instance (120 s solves): the cost stage's own
    relaxation took 36.6 s beside the search (13.4 s on an idle core) and ran out of its
    20 s share in a run whose coverage stage took 80 s, leaving cost with no bound."""
    bound = coverage_bound.result() if coverage_bound.exception() is None else None
    if bound is None:
        return None
    # per day (where small) it is tighter than the coverage bound's relaxation and may find
    # no plan at that coverage: then over the horizon, which is looser
    for period in (None, "horizon"):
        left = deadline - time.perf_counter()
        if stop.is_set() or left < 0.1:
            return None
        early = cost_bound_under_cap(
            data, unrestricted, bound * QUARTER, period=period, time_limit=left, stop=stop
        )
        if early is not None:
            return early
    return None


def _known(pending: Future[float | None]) -> float | None:
    """A bound being computed meanwhile: ``None`` until it is known (a failure is raised by
    :func:`_wait`)."""
    if not pending.done() or pending.exception() is not None:
        return None
    return pending.result()


def _busy(pending: Future[float | None]) -> Callable[[], bool]:
    """Whether the bound computed meanwhile is still being computed."""
    return lambda: not pending.done()


def _wait(pending: Future[float | None], options: SolveOptions) -> float | None:
    """A bound being computed meanwhile, once known; ``None`` at once when the solve is
    stopped (the relaxations then end at HiGHS's next interrupt check)."""
    while not _stopped(options):
        try:
            return pending.result(timeout=0.05)
        except TimeoutError:
            pass
    return pending.result() if pending.done() else None


def _exact_bound(data: ModelData, goal: str, bound: float | None) -> float | None:
    """``bound`` (reported units) as a bound of the goal on the exact costs per hour: a cost
    bound lowered by :func:`allocator.model.solution.cost_slack`."""
    if bound is None or goal != "cost":
        return bound
    return max(0.0, bound - cost_slack(data))


def _report_hint(
    options: SolveOptions, order: list[Goal], data: ModelData, hint: Solution, started: float
) -> None:
    """Report the greedy plan as the first plan, before CP-SAT starts."""
    if options.progress is not None and order:
        value = evaluate(data, hint)[order[0]]
        elapsed = time.perf_counter() - started
        options.progress(Progress(order[0], 1, len(order), value, None, elapsed, 0))


def _better(data: ModelData, order: list[Goal], a: Solution, b: Solution) -> Solution:
    """The lexicographically better of two solutions by ``order``."""
    ka, kb = evaluate(data, a), evaluate(data, b)
    return a if [ka[g] for g in order] <= [kb[g] for g in order] else b


def solve(instance: Instance, options: SolveOptions | None = None) -> Plan:
    """Solve a validated instance.

    Parameters
    ----------
    instance
        A validated instance (:func:`allocator.validate.load_instance`).
    options
        Time limit (seconds, whole solve), CP-SAT workers (0 = all cores), a progress callback
        called on every improving solution, and a ``stop`` event that ends the search early
        and keeps the best plan found.

    Returns
    -------
    Plan
        ``optimal``/``feasible`` with assignments, ``infeasible`` with the conflicting items in
        ``explanation``, or ``unknown`` when no plan was found in time.
    """
    options = options or SolveOptions()
    started = time.perf_counter()
    seconds = options.time_limit
    deadline = started + (seconds if seconds is not None else instance.solver.time_limit_seconds)
    order: list[Goal] = list(instance.objective.order)
    data = build_model_data(instance, compute_eligibility(instance))
    # the greedy variants in at most a share of the time (the first one always runs)
    first_hint = best_greedy(
        data, order, deadline=started + GREEDY_TIME_SHARE * (deadline - started)
    )
    keep = {(s, k) for s, k, _, _ in first_hint.rows(data)} | _locked_pairs(data)
    unrestricted = [t.eligible for t in data.targets]
    # 0: every candidate kept
    candidates = restrict_candidates(data, keep, TRIPLE_BUDGET)
    variables = count_variables(data)
    lns = variables > LNS_MIN_VARIABLES
    provable = variables < PROOF_VARIABLES
    # fixed or required items the greedy plan breaks: CP-SAT must find a first valid plan
    locked = has_locked_items(instance) and not holds_locks(data, first_hint)
    built: BuiltModel | None = None
    # the whole model serves CP-SAT (small models; a first valid plan with locked items;
    # stability against a previous plan) and the LP bound; without them the neighbourhoods
    # build their own small models, and the time and memory of the whole one are saved
    wants_lp = variables <= LP_MAX_VARIABLES and not candidates
    # the min-daily-hours relief (see RELIEF_MAX_VARIABLES); a whole model without it keeps
    # every day worked at the minimum, and its CP-SAT optimum and bound are not the instance's
    relief = variables <= RELIEF_MAX_VARIABLES
    exact = relief and not candidates  # the whole model's optimum and bound are the instance's
    if not lns or provable or locked or wants_lp or _replans(instance, order):
        built = build_model(instance, data=data, relief=relief)
    elif candidates:  # no whole model to keep small: the cut is the neighbourhoods' own,
        # set per stage; every candidate until then (and for the explanations at the end)
        _search_candidates(data, unrestricted, "coverage", first_hint)
        variables = count_variables(data)
    size: dict[str, int | None] = {"variables": variables, "constraints": None}
    if built is not None:
        size.update(built.size())
    stats: dict[str, object] = {
        **size,
        "model": "whole" if built is not None else "neighbourhoods",
        "build_seconds": round(time.perf_counter() - started, 3),
        "candidates_per_task": (candidates or None) if built is not None else None,
    }
    use_lp = wants_lp and built is not None
    _report_hint(options, order, data, first_hint, started)

    solver = _configure_solver(instance, options, variables)
    stages: list[StageResult] = []
    solution: Solution | None = None
    watchdog = Watchdog(solver, options.stop)
    background = ThreadPoolExecutor(1, thread_name_prefix="bound")
    early: Future[CapBound | None] | None = None  # the cost bound computed meanwhile
    early_stop = _Either(options.stop)
    try:
        for number, goal in enumerate(order, start=1):
            if _stopped(options):
                if solution is not None:
                    break
                return _stopped_early(instance, data, first_hint, order, started, stats)
            expr = None if built is None else built.goal(goal)
            if built is not None:
                built.model.minimize(expr)
            remaining = max(0.05, deadline - time.perf_counter())
            weights = [STAGE_WEIGHT[g] for g in order[number - 1 :]]
            stage_time = (
                remaining if number == len(order) else remaining * weights[0] / sum(weights)
            )
            stage_started = time.perf_counter()
            stage_end = stage_started + stage_time
            rounds = 0
            if built is None and candidates:
                _search_candidates(data, unrestricted, goal, solution or first_hint)
            # stability (as this goal or an earlier, pinned one) by neighbourhoods only without
            # a previous plan: a neighbourhood's model counts split days, not the changes
            # against the previous plan
            searchable_goals = "stability" not in order[:number] or instance.previous_plan is None
            stage_lns = not provable and searchable_goals
            search = lns and stage_lns and (solution is not None or not locked)
            # a relaxation's time: a share of the stage's, or after the first stage of all the
            # time left (an earlier stage's overtime must not starve this goal's bound)
            lp_time = (stage_time if number == 1 else remaining) * (
                LP_TIME_SHARE_MEANWHILE if search else LP_TIME_SHARE
            )
            if early is not None and not early.done() and number > 1:
                # a stage's bound waits for it (one thread computes the bounds): it gets the
                # stage's share of time for bounds, then gives way
                timer = threading.Timer(lp_time, early_stop.set)
                timer.daemon = True
                timer.start()
            # the cost bound is computed in the coverage search (see _early_cost_bound),
            # instead of the coverage LP: with the search on both cores, that LP did not end
            # in the medium instance's coverage stage (30 s solves), and the week relaxation
            # bounded coverage as well as it does when it ends (212)
            early_cost = search and number == 1 and goal == "coverage" and "cost" in order
            relaxations = _Relaxations(
                data,
                built if use_lp and not early_cost else None,
                goal,
                unrestricted,
                stages,
                cut=bool(candidates),
                stop=options.stop,
                early=early if goal == "cost" else None,
            )
            scale = data.goal_scale(goal)
            valid: float | None = None  # the stage's bound (reported units)
            pending: Future[float | None] | None = None  # the bound, computed meanwhile
            if search:  # a valid plan to start from: the stage is all neighbourhoods
                solution = solution or first_hint
                status_name = "FEASIBLE"
                # they need no bound to start: it is computed meanwhile (medium, 30 s: the
                # coverage LP took the first 3.7 s of its stage before the search began)
                pending = background.submit(relaxations.bound, time.perf_counter() + lp_time)
                if early_cost:
                    # the cost bound, from the coverage bound, while the coverage search runs
                    early = background.submit(
                        _early_cost_bound, data, unrestricted, pending, deadline, early_stop
                    )
            else:
                relaxations.solve(lp_time)
                lp, floor = relaxations.lp, relaxations.floor
                if solution is None and lp.values is not None and built is not None:
                    guided = best_greedy(data, order, _lp_preference(built, lp))
                    first_hint = _better(data, order, first_hint, guided)
                assert built is not None and expr is not None  # built for CP-SAT's stages
                start = solution or first_hint
                if provable and searchable_goals and (solution is not None or not locked):
                    # a model CP-SAT may prove: the neighbourhoods first find it a good hint
                    start, warm_rounds = _warm_start(
                        data, start, order, number, options, floor, scale,
                        (stage_started + WARM_START_SHARE * stage_time, started),
                    )  # fmt: skip
                    rounds += warm_rounds
                    # kept should CP-SAT find no plan in what is left of the stage
                    if solution is None:
                        first_hint = start
                    else:
                        solution = start
                built.hint_from(start)
                # with neighbourhoods to follow, CP-SAT gets a share of the stage
                share = LOCKED_SEARCH_SHARE if lns else WHOLE_SEARCH_SHARE
                budget = stage_time * (share if stage_lns else 1.0)
                solver.parameters.max_time_in_seconds = max(
                    0.05, budget - (time.perf_counter() - stage_started)
                )
                reporter = _Reporter(goal, scale, number, len(order), started, options)
                reporter.floor = floor
                reporter.exact = exact
                status = solver.solve(built.model, reporter)
                left = deadline - time.perf_counter()
                # a valid plan the neighbourhoods can search from when CP-SAT finds none
                fallback: Solution | None = None
                if stage_lns and status == cp_model.UNKNOWN:
                    fallback = solution if solution is not None or locked else first_hint
                if fallback is not None and not searchable(data, fallback, goal):
                    fallback = None  # no round could start: CP-SAT keeps the stage
                if (
                    status == cp_model.UNKNOWN
                    and fallback is None
                    and left > 0.5
                    and not _stopped(options)
                ):
                    # the stage's share went to presolve: give it all the time that is left,
                    # as later goals cannot run before this one is pinned; with
                    # neighbourhoods to follow, only until its first plan (with required
                    # items, 30 specialists, 8 s: it otherwise kept the coverage stage to the
                    # end about one run in two, and cost and stability had no time)
                    first_only = stage_lns and solution is None
                    solver.parameters.max_time_in_seconds = left
                    solver.parameters.stop_after_first_solution = first_only
                    status = solver.solve(built.model, reporter)
                    solver.parameters.stop_after_first_solution = False
                if status == cp_model.INFEASIBLE and solution is None and not exact:
                    # no proof from a model without the relief (a task's last hours may
                    # need it) or with cut candidates: the exact model decides, in the time
                    # left (no goal is pinned yet)
                    exact = reporter.exact = True
                    for t, eligible in zip(data.targets, unrestricted, strict=True):
                        t.eligible, t.set_aside = eligible, 0
                    candidates = stats["candidates_per_task"] = 0
                    built = build_model(instance, data=data, relief=True)
                    expr = built.goal(goal)
                    built.model.minimize(expr)
                    built.hint_from(first_hint)
                    solver.parameters.max_time_in_seconds = max(
                        0.05, deadline - time.perf_counter()
                    )
                    status = solver.solve(built.model, reporter)
                seconds = time.perf_counter() - stage_started
                if status == cp_model.INFEASIBLE and solution is None:
                    watchdog.close()
                    return _infeasible(instance, started, stats, deadline, options.stop)
                if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                    solution = read_solution(list(solver.response_proto.solution), built.ctx.vars)
                    status_name = solver.status_name(status)
                    if not exact:  # an optimum of a model without the relief or cut
                        status_name = "FEASIBLE"
                    elif floor is not None:
                        floor = max(floor, solver.best_objective_bound)
                    search = stage_lns and status != cp_model.OPTIMAL
                elif fallback is not None and not _stopped(options):
                    # CP-SAT's share went to presolve (mid-sized models under short limits):
                    # the neighbourhoods search the rest of the stage from the plan at hand
                    solution, status_name, search = fallback, "FEASIBLE", True
                else:
                    if solution is None and _stopped(options):
                        return _stopped_early(instance, data, first_hint, order, started, stats)
                    if solution is None and not locked:
                        # no plan from CP-SAT in this stage's time: the greedy plan is valid,
                        # keep it, pin its value and let the next stages use the time left
                        solution = first_hint
                        hinted = evaluate(data, first_hint)[goal]
                        rounded = lp.integer_bound()
                        lp_floor = None if rounded is None else max(0, rounded) / scale
                        lp_floor = relaxations.valid if candidates else lp_floor
                        lp_floor = _exact_bound(data, goal, lp_floor)
                        stages.append(StageResult(goal, "GREEDY", hinted, lp_floor, seconds))
                        built.model.add(expr <= round(hinted * scale)).with_name(f"goal[{goal}]")
                        continue
                    # no plan from CP-SAT in this stage's time: the earlier stages' plan
                    # stands, and the stage reports its value (a slow machine got here)
                    held = None if solution is None else evaluate(data, solution)[goal]
                    stages.append(
                        StageResult(goal, solver.status_name(status), held, None, seconds)
                    )
                    if solution is None:
                        stats["stages"] = [s.__dict__ for s in stages]
                        return empty_plan(instance, "unknown", time.perf_counter() - started, stats)
                    break
                # uncut, the floor holds the aggregated relaxation's bound too
                valid = relaxations.valid if floor is None else floor / scale
                valid = _exact_bound(data, goal, valid)
            if search and _hands_over(order, number):
                # the cheap hand-overs first: the rounds then search what they leave
                solution = _handed_over(data, solution, stage_started, stage_end)
            if search:
                overtime = None
                if lns and number < len(order):  # later stages need no CP-SAT time
                    until = stage_started + remaining * STAGE_OVERTIME
                    overtime = (until, max(1.0, stage_time * STAGE_PATIENCE))
                solution, rounds = _improve(
                    data,
                    solution,
                    order[:number],
                    stage_end,
                    options,
                    valid if pending is None else partial(_known, pending),
                    (number, len(order), started),
                    overtime,
                    _tiebreak(order, number),
                    # the bound computed meanwhile is waited for below: search until then
                    meanwhile=None if pending is None else (deadline, _busy(pending)),
                )
            value = round(evaluate(data, solution)[goal] * scale)
            if pending is not None and value == 0 and not pending.done():
                relaxations.stop.set()  # no goal is below 0: no need to wait for its bound
                valid = 0.0
            elif pending is not None:
                valid = _wait(pending, options)
            if valid is not None and value <= valid * scale + 1e-9:
                status_name = "OPTIMAL"
            seconds = time.perf_counter() - stage_started
            stages.append(StageResult(goal, status_name, value / scale, valid, seconds, rounds))
            if built is not None and expr is not None and not _stopped(options):
                # (stopped: no later stage, and a bound computed meanwhile may still read it)
                built.model.add(expr <= value).with_name(f"goal[{goal}]")
    finally:
        watchdog.close()
        early_stop.set()
        background.shutdown(wait=False, cancel_futures=True)
    assert solution is not None
    if built is None and candidates:  # the explanations look at every candidate
        _search_candidates(data, unrestricted, "coverage", solution)
    if order[0] == "coverage":  # the models without rule 5's relief may leave a task's last
        # hours unmet: a last, shorter day does them (coverage first: worth the cost)
        solution, _ = finish_short(data, solution)
    _settle(data, solution, stages)
    stats["stages"] = [s.__dict__ for s in stages]
    if built is not None:
        stats.update(built.size())
    stats["lp_relaxation"] = use_lp
    plan = build_plan(
        data,
        solution,
        stages=[(s.goal, s.value, s.bound) for s in stages],
        complete=len(stages) == len(order),
        wall_seconds=0.0,
        statistics=stats,
    )
    return _timed(plan, started)


def _timed(plan: Plan, started: float) -> Plan:
    """``plan`` with its wall time up to now: the write-up (explanations, KPIs) counts too
    (3,200 specialists: about 2 s of it)."""
    return plan.model_copy(update={"wall_seconds": round(time.perf_counter() - started, 3)})


def _settle(data: ModelData, solution: Solution, stages: list[StageResult]) -> None:
    """Each stage's goal at its value in the final plan: a later stage's rounds may still
    improve an earlier goal (a round keeps every earlier goal no worse, not equal), and one
    brought down to its stage's bound is then proven optimal."""
    final = evaluate(data, solution, stable=any(s.goal == "stability" for s in stages))
    for stage in stages:
        if stage.value is None:
            continue
        value = final[stage.goal]
        if value < stage.value - 1e-9:
            stage.value = value
        if stage.bound is not None and value <= stage.bound + 1e-9:
            stage.status = "OPTIMAL"


def _infeasible(
    instance: Instance,
    started: float,
    stats: dict[str, object],
    deadline: float,
    stop: threading.Event | None,
) -> Plan:
    # the explanation gets what is left of the time limit, but at least a few seconds; a
    # stop (cancel, Ctrl+C) ends it at once with what it isolated so far
    budget = max(5.0, min(60.0, deadline - time.perf_counter()))
    explanation = explain_infeasibility(instance, time_limit=budget, stop=stop)
    plan = empty_plan(instance, "infeasible", time.perf_counter() - started, stats)
    return plan.model_copy(update={"explanation": explanation})
