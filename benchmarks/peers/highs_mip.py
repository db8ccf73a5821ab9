"""The HiGHS MIP peer: the same rules as a MIP, solved lexicographically like the engine.

The MIP is the engine's own CP-SAT model exported exactly (:func:`to_highs` with
``exact=True``), so both solvers face the same rules by construction. Goals are solved in
``objective.order``, each under the same share of the time limit as the engine gives it, each
pinned before the next, each started from the previous stage's solution (a MIP start).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import highspy
import numpy as np

from allocator.eligibility import compute_eligibility
from allocator.model.build import build_model
from allocator.model.data import QUARTER, build_model_data
from allocator.model.relaxation import quiet_highs, to_highs
from allocator.model.solution import read_solution
from allocator.plan import build_plan, empty_plan
from allocator.schema import Instance, Plan

STAGE_WEIGHT = {"coverage": 0.5, "cost": 0.3, "stability": 0.2}


def solve_mip(
    instance: Instance,
    time_limit: float,
    *,
    on_improve: Callable[[float, str, float], None] | None = None,
) -> Plan:
    """Solve ``instance`` with HiGHS within ``time_limit`` seconds (model build included).

    ``on_improve(seconds, goal, value)`` is called on every improving MIP solution, with the
    seconds since the call and the goal's value in its units (priority-weighted hours for
    coverage, currency for cost).
    """
    started = time.perf_counter()
    deadline = started + time_limit
    data = build_model_data(instance, compute_eligibility(instance))
    built = build_model(instance, data=data)
    order = list(instance.objective.order)
    values: np.ndarray | None = None
    stages: list[tuple[str, float | None, float | None]] = []
    for number, goal in enumerate(order):
        expr = built.goal(goal)
        built.model.minimize(expr)
        lp = to_highs(built.model, exact=True)
        solver = quiet_highs()
        solver.setOptionValue("output_flag", False)
        solver.setOptionValue("mip_rel_gap", instance.solver.relative_gap)
        weights = [STAGE_WEIGHT[g] for g in order[number:]]
        remaining = max(0.1, deadline - time.perf_counter())
        share = remaining if number == len(order) - 1 else remaining * weights[0] / sum(weights)
        solver.setOptionValue("time_limit", share)
        solver.passModel(lp)
        scale = {"coverage": QUARTER, "cost": data.money_scale}.get(goal, 1)
        if on_improve is not None:

            def improved(event: Any, goal: str = goal, scale: int = scale) -> None:
                value = event.data_out.objective_function_value / scale
                on_improve(time.perf_counter() - started, goal, value)

            solver.cbMipImprovingSolution.subscribe(improved)
        if values is not None:
            start = np.zeros(lp.num_col_)
            start[: len(values)] = values
            sol = highspy.HighsSolution()
            sol.col_value = list(start)
            sol.value_valid = True
            solver.setSolution(sol)
        solver.run()
        info = solver.getInfo()
        if info.primal_solution_status != 2:  # no feasible solution
            if values is None:
                return empty_plan(instance, "unknown", time.perf_counter() - started, {})
            break
        column = np.array(solver.getSolution().col_value)
        values = column[: len(built.model.proto.variables)]
        value = round(info.objective_function_value)
        stages.append((goal, value / scale, max(0.0, info.mip_dual_bound) / scale))
        built.model.add(expr <= value)
    assert values is not None
    solution = read_solution([round(x) for x in values], built.ctx.vars)
    return build_plan(
        data,
        solution,
        stages=stages,
        complete=len(stages) == len(order),
        wall_seconds=time.perf_counter() - started,
        statistics={"solver": "highs-mip", **built.size()},
    )
