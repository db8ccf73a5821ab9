"""The greedy peer: how a resource manager staffs by hand, the baseline users have today.

Highest priority first (required and locked items before the rest), the cheapest eligible
free specialist first, in-house first on projects with a share rule; every hard rule it can
see locally is kept, then outsourced hours are trimmed until each share rule holds. It is the
engine's own ``manager`` greedy ordering (:func:`allocator.greedy.greedy_solution`), alone.
:func:`cost_at_greedy_coverage` is the engine held to the greedy's coverage, to compare costs at
equal coverage.
"""

from __future__ import annotations

import os
import time

from ortools.sat.python import cp_model

from allocator.eligibility import compute_eligibility
from allocator.greedy import greedy_solution
from allocator.lns import improve
from allocator.model.build import BuiltModel, build_model
from allocator.model.data import QUARTER, build_model_data, restrict_candidates
from allocator.model.solution import Solution, evaluate, read_solution
from allocator.plan import Stage, build_plan
from allocator.schema import Instance, Plan
from allocator.solve import LNS_MIN_VARIABLES, TRIPLE_BUDGET, has_locked_items


def solve_greedy(instance: Instance) -> Plan:
    """Staff ``instance`` the manager's way; the plan's ``wall_seconds`` includes indexing."""
    started = time.perf_counter()
    data = build_model_data(instance, compute_eligibility(instance))
    solution = greedy_solution(data, ordering="manager")
    return build_plan(
        data,
        solution,
        stages=[],
        complete=False,
        wall_seconds=time.perf_counter() - started,
        statistics={"solver": "greedy-manager"},
    )


def cost_at_greedy_coverage(instance: Instance, time_limit: float) -> Plan:
    """Our engine's cheapest plan whose coverage is no worse than the manager greedy's.

    The comparison "at equal coverage, how much cheaper than the greedy": the engine's model
    with the extra rule coverage ≤ the greedy's (priority-weighted unmet hours), minimising
    cost from the greedy's plan as the hint, for ``time_limit`` seconds in all.
    Raises ``RuntimeError`` when CP-SAT finds no plan in time.
    """
    started = time.perf_counter()
    data = build_model_data(instance, compute_eligibility(instance))
    greedy = greedy_solution(data, ordering="manager")
    # large instances: the same candidate restriction as the engine (the bound is then omitted)
    keep = {(s, k) for s, k, _ in greedy.hours} | {(s, w) for w, s in greedy.fills.items()}
    restricted = restrict_candidates(data, keep, TRIPLE_BUDGET) > 0
    built = build_model(instance, data=data)
    deadline = started + time_limit
    workers = os.cpu_count() or 1
    name = "allocator at greedy coverage"
    stages: list[Stage] = []
    if built.size()["variables"] > LNS_MIN_VARIABLES and not has_locked_items(instance):
        # as the engine does on large models: by neighbourhoods, from the (valid) greedy plan
        solution, _ = improve(data, greedy, ["coverage", "cost"], deadline, workers=workers)
        name += " (neighbourhoods)"
    else:
        solution, stage = _cheapest_by_cp_sat(built, greedy, deadline, workers)
        stages = [] if restricted else [stage]
    return build_plan(
        data,
        solution,
        stages=stages,
        complete=False,
        wall_seconds=time.perf_counter() - started,
        statistics={"solver": name, **built.size()},
    )


def _cheapest_by_cp_sat(
    built: BuiltModel, greedy: Solution, deadline: float, workers: int
) -> tuple[Solution, Stage]:
    """CP-SAT on the whole model, coverage held at the greedy's: the plan and its cost stage."""
    data = built.data
    coverage = evaluate(data, greedy)["coverage"]
    built.model.add(built.goal("coverage") <= round(coverage * QUARTER))
    built.model.minimize(built.goal("cost"))
    built.hint_from(greedy)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    solver.parameters.max_time_in_seconds = max(0.1, deadline - time.perf_counter())
    status = solver.solve(built.model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise RuntimeError(f"no plan at coverage {coverage} ({solver.status_name(status)})")
    solution = read_solution(list(solver.response_proto.solution), built.ctx.vars)
    scale = data.money_scale
    return solution, ("cost", solver.objective_value / scale, solver.best_objective_bound / scale)
