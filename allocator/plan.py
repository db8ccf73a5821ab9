"""Turn a solution into the plan of the spec (rows, workplace fills, unmet, goals, KPIs)."""

from __future__ import annotations

from allocator.explain import unmet_reasons
from allocator.kpis import compute_kpis
from allocator.model.data import QUARTER, ModelData
from allocator.model.solution import (
    Solution,
    cost_slack,
    evaluate,
    exact_cost,
    unmet_quarters,
)
from allocator.schema import (
    Assignment,
    Instance,
    Plan,
    Status,
    Unmet,
    WorkplaceFill,
    relative_gap,
)

Stage = tuple[str, float | None, float | None]  # goal, best value, best bound


def build_plan(
    data: ModelData,
    solution: Solution,
    *,
    stages: list[Stage],
    complete: bool,
    wall_seconds: float,
    statistics: dict[str, object],
    status: Status | None = None,
) -> Plan:
    """The plan of ``solution``.

    ``stages`` gives each solved goal's value and bound (in hours for coverage, currency for
    cost; a cost bound already lowered by :func:`allocator.model.solution.cost_slack`); the
    plan is ``optimal`` when every goal was solved (``complete``) and proven, else
    ``feasible``. Objective values are recomputed from the solution itself, cost from the
    exact costs per hour when the model's money units round them.
    """
    instance = data.instance
    specialists = instance.specialists
    objective = evaluate(data, solution)
    if cost_slack(data):  # costs with more decimals than the model's money units
        objective["cost"] = round(exact_cost(data, solution), 6)
    bound: dict[str, float] = {}
    gaps = []
    for goal, value, best in stages:
        if value is None:
            continue
        if best is None:  # no bound found in time: every goal is at least 0
            best = 0.0
        # every goal is a sum of non-negative terms: a bound below zero says nothing more
        bound[goal] = round(max(0.0, min(best, objective[goal])), 6)
        gaps.append(relative_gap(objective[goal], bound[goal]))
    proven = complete and all(g == 0.0 for g in gaps) and len(gaps) == len(stages)
    # the gap of the first goal (in objective order) not proven optimal; 0 when all are
    open_gaps = [g for g in gaps if g > 0.0]
    rows = sorted(solution.rows(data), key=lambda r: (r[0], r[2], r[1]))
    assignments = [
        Assignment(
            specialist=specialists[s].id,
            project=data.project_ids[data.targets[k].project],
            workplace=data.targets[k].target.id if data.targets[k].is_workplace else None,
            task=None if data.targets[k].is_workplace else data.targets[k].target.id,
            date=data.dates[d],
            hours=q / QUARTER,
        )
        for s, k, d, q in rows
    ]
    unmet_q = unmet_quarters(data, solution)
    reasons = unmet_reasons(data, solution, unmet_q, proven=proven)
    unmet = [
        Unmet(
            workplace=t.target.id if t.is_workplace else None,
            task=None if t.is_workplace else t.target.id,
            hours=unmet_q[t.index] / QUARTER,
            reasons=reasons.get(t.index, []),
        )
        for t in data.targets
        if unmet_q[t.index] > 0
    ]
    fills = [
        WorkplaceFill(workplace=data.targets[w].target.id, specialist=specialists[s].id)
        for w, s in sorted(solution.fills.items())
    ]
    plan = Plan(
        instance=instance.name,
        status=status or ("optimal" if proven else "feasible"),
        objective=objective,
        bound=bound,
        gap=round(open_gaps[0], 6) if open_gaps else (0.0 if gaps else None),
        wall_seconds=round(wall_seconds, 3),
        workplaces=fills,
        assignments=assignments,
        unmet=unmet,
        statistics=statistics,
    )
    return plan.model_copy(update={"kpis": compute_kpis(instance, plan)})


def empty_plan(
    instance: Instance, status: Status, wall_seconds: float, statistics: dict[str, object]
) -> Plan:
    """A plan without assignments (``infeasible``, ``unknown`` or ``invalid``)."""
    return Plan(
        instance=instance.name,
        status=status,
        wall_seconds=round(wall_seconds, 3),
        statistics=statistics,
    )
