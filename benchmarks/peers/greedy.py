"""The greedy peer: how a resource manager staffs by hand, the baseline users have today.

Highest priority first (required and locked items before the rest), the cheapest eligible
free specialist first, in-house first on projects with a share rule; every hard rule it can
see locally is kept, then outsourced hours are trimmed until each share rule holds. It is the
engine's own ``manager`` greedy ordering (:func:`allocator.greedy.greedy_solution`), alone.
"""

from __future__ import annotations

import time

from allocator.eligibility import compute_eligibility
from allocator.greedy import greedy_solution
from allocator.model.data import build_model_data
from allocator.plan import build_plan
from allocator.schema import Instance, Plan


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
