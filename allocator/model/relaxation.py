"""The LP relaxation of a CP-SAT model, solved with HiGHS, for a proven lower bound.

On two cores CP-SAT's own LP worker converges slowly on large staffing models, so its
objective bound lags far behind. The relaxation here reads the model's proto as it is:
integer domains become their hull; linear constraints, at-most-one, exactly-one and clauses
are kept; a constraint enforced by one literal ``e`` is linearised (an implication
``e -> l`` as ``l >= e``, a clause as ``sum(l) >= e``, a linear constraint with a big-M from
its variables' bounds); anything else is dropped. Dropping or weakening constraints only
weakens the relaxation, so its optimum is a valid lower bound of the model's objective.
"""

from __future__ import annotations

import math
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

import highspy
import numpy as np
from ortools.sat.python import cp_model

INF = highspy.kHighsInf


@dataclass(frozen=True)
class LpBound:
    """The relaxation's optimum (in the model's objective units) and its solve status."""

    value: float | None
    status: str
    seconds: float
    values: np.ndarray | None = None  # the relaxation's optimal value of each model variable

    def integer_bound(self) -> int | None:
        """The bound rounded up safely (the objective is integral): :func:`rounded_up`."""
        return None if self.value is None else rounded_up(self.value)


def rounded_up(value: float) -> int:
    """An LP's optimum ``value`` of an integral objective, as the integer bound it proves.

    It is first lowered by the solver's tolerances: 1e-6 of it, and at least 0.05 (an LP
    near 0 whose terms are large, such as coverage as demand minus hours done, can be off by
    more than 1e-6 of its value)."""
    return math.ceil(value - max(0.05, 1e-6 * abs(value)))


class Rows:
    def __init__(self) -> None:
        self.start = [0]
        self.index: list[int] = []
        self.value: list[float] = []
        self.lower: list[float] = []
        self.upper: list[float] = []

    def add(
        self, literals: list[int], lower: float, upper: float, weights: list[float] | None = None
    ) -> None:
        """A row over Boolean literals (negative ``-i-1`` means ``1 - x_i``)."""
        shift = 0.0
        terms: dict[int, float] = {}
        for lit, weight in zip(literals, weights or [1.0] * len(literals), strict=True):
            if lit >= 0:
                terms[lit] = terms.get(lit, 0.0) + weight
            else:
                terms[-lit - 1] = terms.get(-lit - 1, 0.0) - weight
                shift += weight
        self.linear(list(terms), list(terms.values()), lower - shift, upper - shift)

    def linear(self, vars_: list[int], coeffs: list[float], lower: float, upper: float) -> None:
        self.index.extend(vars_)
        self.value.extend(coeffs)
        self.start.append(len(self.index))
        self.lower.append(lower)
        self.upper.append(upper)


def quiet_highs() -> highspy.Highs:
    """A HiGHS instance; the first one prints a banner on the C++ stdout, kept off ours."""
    global _BANNER_SHOWN
    if _BANNER_SHOWN:
        return highspy.Highs()  # type: ignore[no-untyped-call]
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            solver = highspy.Highs()  # type: ignore[no-untyped-call]
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    _BANNER_SHOWN = True
    return solver


_BANNER_SHOWN = False

# IPM's relative primal-dual gap at "optimal" is at most its tolerance (1e-8 by default); a
# bound taken from its primal objective is lowered by this much to stay a valid bound.
LP_BOUND_MARGIN = 1e-6


LpMethod = Literal["simplex", "ipm"]
Cut = tuple[list[int], list[float], float]  # a row sum(coefficient x variable) <= upper


def lp_solver(time_limit: float, method: LpMethod = "simplex") -> highspy.Highs:
    """A quiet HiGHS for the relaxations: dual simplex, or interior point without crossover.

    Measured on generated instances: the coverage relaxation of tight ones is many times faster
    with interior point (100 specialists, 20 days: 3.9 s against 11 s; 200 specialists: 14 s
    against no answer in 120 s), loose ones and the cost relaxation (coverage pinned) with
    simplex (0.35 s against 1.1 s; 1 s against 5 s). Interior point serves only for a bound, so
    it runs without the vertex crossover; its value is then :func:`lowered` to stay a bound.

    Run it with :func:`run`, which a stop event can end.
    """
    solver = quiet_highs()
    solver.setOptionValue("output_flag", False)
    solver.setOptionValue("time_limit", float(time_limit))
    if method == "ipm":
        solver.setOptionValue("solver", "ipm")
        solver.setOptionValue("run_crossover", "off")
    return solver


# Seconds a simplex run again from a basis (a round of cuts) goes between two reads of its
# stop event (see run). Not HiGHS's interrupt callback: it is called at every simplex
# iteration and takes the GIL each time, and beside busy Python threads (the neighbourhood
# search) each wait lasts up to the interpreter's switch interval (5 ms). Measured on the
# medium instance's cost relaxation per day at the coverage bound (a first solve and five
# rounds of cuts), beside a thread looping in Python: more than 60 s with the callback, 43 s
# with it on the first solve only, 8.2 s without (5.4 s alone). A first simplex solve runs
# whole: it is presolved, and a slice would start it over (large, over the horizon: 13.4 s
# presolved, no answer in 100 s in slices without presolve). Each slice starts with a fresh
# factorisation of the basis, so slices must be long beside it: a 0.4 s re-solve of a
# 40-specialist coverage LP takes 0.8 s in slices of 0.05 s, and never ends in ones of 5 ms.
SIMPLEX_SLICE = 2.0


def run(solver: highspy.Highs, stop: threading.Event | None) -> None:
    """``solver.run()`` for an :func:`lp_solver`, up to its time limit (in HiGHS's run time,
    which adds up over runs), but not started once ``stop`` is set. With ``stop``, interior
    point ends soon after it is set, at HiGHS's interrupt checks (a callback at each of its
    few iterations), and a simplex from a basis in slices of :data:`SIMPLEX_SLICE` seconds,
    each going on from where the last one stopped; a first simplex solve runs to its end or
    its time limit. A run that ends so is not optimal."""
    if stop is None:
        solver.run()
        return
    if stop.is_set():
        return
    if solver.getOptionValue("solver")[1] == "ipm":
        event = stop

        def interrupt(e: Any) -> None:
            if event.is_set():
                e.interrupt()

        solver.cbIpmInterrupt += interrupt
        try:
            solver.run()
        finally:
            solver.cbIpmInterrupt -= interrupt
        return
    if not solver.getBasis().valid:
        solver.run()
        return
    limit = float(solver.getOptionValue("time_limit")[1])
    try:
        while not stop.is_set():
            solver.setOptionValue("time_limit", min(limit, solver.getRunTime() + SIMPLEX_SLICE))
            solver.run()
            if (
                solver.getModelStatus() != highspy.HighsModelStatus.kTimeLimit
                or solver.getRunTime() >= limit
            ):
                return
    finally:
        solver.setOptionValue("time_limit", limit)


def lowered(value: float) -> float:
    """An IPM objective ``value`` lowered by :data:`LP_BOUND_MARGIN` (relative, at least 1e-6)."""
    return value - LP_BOUND_MARGIN * max(1.0, abs(value))


def _bound(value: int) -> float:
    if value <= -(2**62):
        return -INF
    if value >= 2**62:
        return INF
    return float(value)


def _enforced(rows: Rows, ct: Any, e: int, lower: np.ndarray, upper: np.ndarray) -> None:
    if ct.has_bool_and():
        for lit in ct.bool_and.literals:  # e -> lit:  lit - e >= 0
            rows.add([lit, e], 0, INF, [1.0, -1.0])
    elif ct.has_bool_or():  # e -> or(lits):  sum(lits) - e >= 0
        literals = list(ct.bool_or.literals)
        rows.add([*literals, e], 0, INF, [1.0] * len(literals) + [-1.0])
    elif ct.has_linear() and e >= 0:
        vars_, coeffs = list(ct.linear.vars), [float(c) for c in ct.linear.coeffs]
        domain = list(ct.linear.domain)
        lo, hi = _bound(domain[0]), _bound(domain[-1])
        most = sum(
            c * (upper[v] if c > 0 else lower[v]) for v, c in zip(vars_, coeffs, strict=True)
        )
        least = sum(
            c * (lower[v] if c > 0 else upper[v]) for v, c in zip(vars_, coeffs, strict=True)
        )
        if hi < most:  # expr <= hi + (most - hi)(1 - e)
            rows.linear([*vars_, e], [*coeffs, most - hi], -INF, most)
        if lo > least:  # expr >= lo - (lo - least)(1 - e)
            rows.linear([*vars_, e], [*coeffs, least - lo], least, INF)


def to_highs(
    model: cp_model.CpModel,
    *,
    exact: bool = False,
    linearize_enforced: bool = True,
    deadline: float | None = None,
    stop: threading.Event | None = None,
    enforced_apart: Rows | None = None,
) -> highspy.HighsLp:
    """The model (with its current objective) as a HiGHS model.

    ``exact=False``: the LP relaxation described above. ``exact=True``: the same model as a
    MIP: every column integral, a binary per holed domain ``{0} ∪ [lo, hi]``
    (``lo·y <= x <= hi·y``), and every constraint enforced by one literal linearised exactly
    (the big-M comes from the variables' finite bounds). Columns ``0..n-1`` are the model's
    variables, by index. Raises ``TimeoutError`` when reading the model goes past ``deadline``
    (a ``time.perf_counter()`` value): on 430 000 variables it takes about 6 s; and, with
    ``stop``, once the event is set. With ``enforced_apart`` (and ``linearize_enforced``
    false), the linearised constraints enforced by one literal go there instead of into the
    model, to be added later (:func:`lp_bound` with ``strengthen``).
    """

    def check(i: int) -> None:
        if i % 4096 or (deadline is None and stop is None):
            return
        if deadline is not None and time.perf_counter() > deadline:
            raise TimeoutError("time limit reached while reading the model")
        if stop is not None and stop.is_set():
            raise TimeoutError("stopped while reading the model")

    proto = model.proto
    n = len(proto.variables)
    lower = np.empty(n)
    upper = np.empty(n)
    holes: list[tuple[int, float, float]] = []
    for i, var in enumerate(proto.variables):
        check(i)
        domain = list(var.domain)  # the proto's repeated field has no negative indexing
        lower[i], upper[i] = domain[0], domain[-1]
        if exact and len(domain) == 4 and domain[0] == domain[1] == 0:
            holes.append((i, float(domain[2]), float(domain[3])))
        elif exact and len(domain) > 2:
            raise ValueError(f"variable {i} has a domain the MIP export does not handle")
    rows = Rows()
    apart = None if exact or linearize_enforced else enforced_apart
    for i, ct in enumerate(proto.constraints):
        check(i)
        enforcement = list(ct.enforcement_literal)
        if len(enforcement) == 1 and apart is not None:
            _enforced(apart, ct, enforcement[0], lower, upper)
            continue
        if len(enforcement) == 1 and (linearize_enforced or exact):
            if exact and ct.has_linear() and enforcement[0] < 0:
                raise ValueError("the MIP export handles positive enforcement literals only")
            _enforced(rows, ct, enforcement[0], lower, upper)
            continue
        if enforcement:
            if exact:
                raise ValueError("the MIP export handles one enforcement literal per constraint")
            continue
        if ct.has_linear():
            domain = list(ct.linear.domain)
            rows.linear(
                list(ct.linear.vars),
                [float(c) for c in ct.linear.coeffs],
                _bound(domain[0]),
                _bound(domain[-1]),
            )
        elif ct.has_at_most_one():
            rows.add(list(ct.at_most_one.literals), -INF, 1)
        elif ct.has_exactly_one():
            rows.add(list(ct.exactly_one.literals), 1, 1)
        elif ct.has_bool_or():
            rows.add(list(ct.bool_or.literals), 1, INF)
        elif ct.has_bool_and() and exact:
            for lit in ct.bool_and.literals:
                rows.add([lit], 1, 1)
    for k, (x, lo, hi) in enumerate(holes):
        y = n + k
        rows.linear([x, y], [1.0, -lo], 0, INF)
        rows.linear([x, y], [1.0, -hi], -INF, 0)
    columns = n + len(holes)
    cost = np.zeros(columns)
    objective = proto.objective
    for var, coeff in zip(objective.vars, objective.coeffs, strict=True):
        cost[var] += coeff
    lp = highspy.HighsLp()
    lp.num_col_ = columns
    lp.num_row_ = len(rows.lower)
    lp.col_cost_ = cost
    lp.col_lower_ = np.concatenate([lower, np.zeros(len(holes))])
    lp.col_upper_ = np.concatenate([upper, np.ones(len(holes))])
    lp.row_lower_ = np.array(rows.lower)
    lp.row_upper_ = np.array(rows.upper)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.array(rows.start, dtype=np.int32)
    lp.a_matrix_.index_ = np.array(rows.index, dtype=np.int32)
    lp.a_matrix_.value_ = np.array(rows.value)
    lp.offset_ = objective.offset
    if exact:
        lp.integrality_ = [highspy.HighsVarType.kInteger] * columns
    return lp


def lp_bound(
    model: cp_model.CpModel,
    time_limit: float = 10.0,
    *,
    linearize_enforced: bool = True,
    interior_fallback: bool = False,
    strengthen: bool = False,
    cuts: list[Cut] | None = None,
    stop: threading.Event | None = None,
) -> LpBound:
    """Solve the LP relaxation of ``model`` (with its current objective).

    Dual simplex first; with ``interior_fallback``, simplex gets half of ``time_limit`` and,
    when it does not finish, interior point gets the rest, for the bound only (``values`` is
    then ``None``: an interior solution spreads each target over many specialists and, measured
    on generated instances, guides the greedy hint worse than a vertex does). Returns the
    optimum as a lower bound of the minimised objective (offset included), or ``value=None``
    when HiGHS did not reach optimality within ``time_limit`` seconds or before ``stop`` was
    set.

    With ``strengthen`` (and ``linearize_enforced`` false), a simplex optimum is then
    strengthened: the constraints enforced by one literal are linearised and added as cuts,
    those its optimum violates, round after round from the optimal basis in the time left
    (:func:`_strengthened`); the bound is the strongest reached. Measured on the medium
    instance's cost relaxation (coverage at most 258, one core): 729,628 in 5.0 s without
    them, 737,676 in 18.6 s with them from the start (the implications ``fill -> joins`` and
    ``assignee -> joins`` raise it: onboarding is paid on whole joins the more). ``cuts``
    (rows ``sum(coefficient x variable) <= upper`` over the model's variable indices that every
    plan holds, :func:`allocator.model.constraints.max_projects.day_cuts`) join those rounds.
    """
    started = time.perf_counter()
    apart = Rows() if strengthen and not linearize_enforced else None
    try:
        lp = to_highs(
            model,
            linearize_enforced=linearize_enforced,
            deadline=started + time_limit,
            stop=stop,
            enforced_apart=apart,
        )
    except TimeoutError as reason:
        return LpBound(None, str(reason), time.perf_counter() - started)
    if apart is not None:
        for variables, coefficients, upper in cuts or []:
            apart.linear(variables, coefficients, -INF, upper)
    scale = model.proto.objective.scaling_factor or 1.0
    seconds = time.perf_counter() - started  # reading the model counts in the time limit
    methods: list[tuple[LpMethod, float]] = (
        [("simplex", time_limit / 2), ("ipm", time_limit)]
        if interior_fallback
        else [("simplex", time_limit)]
    )
    status = "not run"
    for method, budget in methods:
        if stop is not None and stop.is_set():
            break
        solver = lp_solver(max(0.1, budget - seconds), method)
        solver.passModel(lp)
        run(solver, stop)
        status = solver.modelStatusToString(solver.getModelStatus())
        seconds += solver.getRunTime()
        if solver.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            continue
        value = solver.getInfo().objective_function_value
        if method == "ipm":
            return LpBound(lowered(value) * scale, status, seconds)
        found = LpBound(value * scale, status, seconds, np.array(solver.getSolution().col_value))
        if apart is not None and len(apart.lower) and time_limit - seconds > 0.1:
            return _strengthened(solver, apart, found, time_limit - seconds, scale, stop)
        return found
    return LpBound(None, status, seconds)


# a round's cuts: lower and upper bounds, row starts, column indices and coefficients
Cuts = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


CUT_GAIN_ENOUGH = 1e-5  # a round of cuts raising the bound by less ends the strengthening


def separator(rows: Rows) -> Callable[[np.ndarray], Cuts | None]:
    """A function giving, for a point ``x`` (a value per column), the ``rows`` it breaks
    (by more than 1e-6) that it has not given before, as HiGHS rows; ``None`` when none."""
    start = np.array(rows.start)
    index = np.array(rows.index, dtype=np.int32)
    value = np.array(rows.value)
    lower, upper = np.array(rows.lower), np.array(rows.upper)
    row_of = np.repeat(np.arange(len(lower)), np.diff(start))
    added = np.zeros(len(lower), dtype=bool)

    def violated(x: np.ndarray) -> Cuts | None:
        activity = np.bincount(row_of, weights=value * x[index], minlength=len(lower))
        chosen = np.flatnonzero(~added & ((activity < lower - 1e-6) | (activity > upper + 1e-6)))
        if not len(chosen):
            return None
        added[chosen] = True
        pieces = [np.arange(start[r], start[r + 1]) for r in chosen]
        taken = np.concatenate(pieces)
        offsets = np.cumsum([0] + [len(piece) for piece in pieces[:-1]]).astype(np.int32)
        return lower[chosen], upper[chosen], offsets, index[taken], value[taken]

    return violated


def _strengthened(
    solver: highspy.Highs,
    rows: Rows,
    found: LpBound,
    time_limit: float,
    scale: float,
    stop: threading.Event | None,
) -> LpBound:
    """``found`` (the optimum ``solver`` holds) strengthened by ``rows`` as cuts: the rows
    its optimum violates are added and the LP solved again from the optimal basis, until
    none is violated or ``time_limit`` seconds have passed. Every optimum on the way is a
    bound (a row only cuts off part of the relaxation); the last one is returned.

    Measured on the medium instance's cost relaxation (coverage at most 258, idle core, the
    first optimum 729,628 in 3.3 s): rounds of 168, 106 and 48 rows reach 735,517, 737,325
    and 737,646 in 1.2, 2.5 and 3.5 s more, then stop at 737,670 (next rounds gain less than
    :data:`CUT_GAIN_ENOUGH`); all 3,876 rows added at once reach 737,676 in the same 3.5 s,
    and nothing before. Under a solve's load the first optimum may leave little time: each
    round's bound then counts."""
    started = time.perf_counter()
    violated = separator(rows)

    best, best_values = found.value, found.values
    if best is not None and best_values is not None:
        for raised in cut_rounds(solver, best / scale, violated, time_limit, stop, CUT_GAIN_ENOUGH):
            best, best_values = raised * scale, np.array(solver.getSolution().col_value)
    seconds = found.seconds + time.perf_counter() - started
    return LpBound(best, found.status, seconds, best_values)


def cut_rounds(
    solver: highspy.Highs,
    value: float,
    violated: Callable[[np.ndarray], Cuts | None],
    time_limit: float,
    stop: threading.Event | None,
    min_gain: float,
) -> Iterator[float]:
    """Rounds of cuts on the LP ``solver`` holds at its optimum ``value`` (HiGHS's units):
    ``violated(x)`` gives the rows the solution ``x`` breaks (``None``: none), which are
    added and the LP solved again from its optimal basis, for at most ``time_limit``
    seconds, until none is broken, ``stop`` is set, or a round raises the optimum by less
    than ``min_gain`` of it. Yields each raised optimum while ``solver`` holds it; every one
    is a bound when the rows hold in every plan."""
    deadline = time.perf_counter() + time_limit
    while stop is None or not stop.is_set():
        left = deadline - time.perf_counter()
        if left <= 0.05:
            return
        cuts = violated(np.asarray(solver.getSolution().col_value))
        if cuts is None:
            return
        lower, upper, starts, index, coefficients = cuts
        solver.addRows(len(lower), lower, upper, len(index), starts, index, coefficients)
        # HiGHS's time limit counts its run time since the first solve
        solver.setOptionValue("time_limit", solver.getRunTime() + left)
        run(solver, stop)
        if solver.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return
        raised = float(solver.getInfo().objective_function_value)
        gain = raised - value  # more rows never lower the optimum but for noise
        if gain > 0:
            value = raised
            yield raised
        if gain < min_gain * max(1.0, abs(value)):
            return
