"""The three goals as linear expressions (spec, "What a plan optimises").

- coverage: sum of priority x unmet quarter-hours (reported in hours).
- cost: money units (1/400 currency) of hours worked, plus onboarding hours for each
  specialist brought onto a project not in their ``familiar_projects``.
- stability: changed workplace fills and task assignees against ``previous_plan`` (a
  workplace whose filler differs, or that is filled or left empty only now: 1; a task: the
  specialists who joined or left it, so a task no one worked on before counts its new
  assignees), plus specialist-days on more than one project. Its variables are created
  only when the stage that optimises it begins (:func:`add_stability`).
"""

from __future__ import annotations

from collections import defaultdict

from ortools.sat.python import cp_model

from allocator.model.context import Context
from allocator.model.data import previous_plan


def coverage(ctx: Context) -> cp_model.LinearExprT:
    """Priority-weighted unmet quarter-hours."""
    demand = sum(t.priority * t.demand_q for t in ctx.data.targets)
    done = [
        (t.priority * coef, var)
        for t in ctx.data.targets
        for coef, var in ctx.vars.covered[t.index]
    ]
    return demand - cp_model.LinearExpr.weighted_sum([v for _, v in done], [c for c, _ in done])


def cost(ctx: Context) -> cp_model.LinearExprT:
    """Money units of hours worked and of onboarding."""
    terms = list(ctx.vars.spend)
    for (s, p), join in ctx.vars.joins.items():
        if money := ctx.data.onboarding(s, p):
            terms.append((money, join))
    return cp_model.LinearExpr.weighted_sum([v for _, v in terms], [c for c, _ in terms])


def add_stability(ctx: Context) -> cp_model.LinearExprT:
    """Create the stability indicators and return their sum."""
    terms: list[cp_model.LinearExprT] = []
    constant = _previous_plan_terms(ctx, terms)
    terms.extend(_multi_project_days(ctx))
    return constant + sum(terms)


def _previous_plan_terms(ctx: Context, terms: list[cp_model.LinearExprT]) -> int:
    previous = previous_plan(ctx.data)
    if previous is None:
        return 0
    data, v = ctx.data, ctx.vars
    constant = 0
    for w, name in previous.fills:
        s = data.specialist_index.get(name)
        var = v.fill.get((s, w)) if s is not None else None
        if var is None:
            constant += 1  # the filler cannot fill it (or has left): a change
        else:
            terms.append(1 - var)
    filled_before = {w for w, _ in previous.fills}
    # a fill of a workplace no one filled before is a change too
    terms.extend(var for (_, w), var in v.fill.items() if w not in filled_before)
    by_task: dict[int, list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
    for (s, k), var in v.assignee.items():
        if k in previous.assignees:
            by_task[k].append((s, var))
        else:  # an assignee of a task no one worked on before
            terms.append(var)
    for k, names in previous.assignees.items():
        for name in names:
            s = data.specialist_index.get(name)
            var = v.assignee.get((s, k)) if s is not None else None
            if var is None:
                constant += 1
            else:
                terms.append(1 - var)
        people = {data.specialist_index.get(name) for name in names}
        terms.extend(var for s, var in by_task[k] if s not in people)
    return constant


def _multi_project_days(ctx: Context) -> list[cp_model.IntVar]:
    model, out = ctx.model, []
    for (s, d), activity in ctx.vars.day_activity.items():
        by_project: dict[int, list[cp_model.IntVar]] = defaultdict(list)
        for p, var in activity:
            by_project[p].append(var)
        if len(by_project) < 2:
            continue
        active = []
        for p, vars_ in by_project.items():
            if len(vars_) == 1 and vars_[0].index not in ctx.vars.upper:
                active.append(vars_[0])  # a lone fill Boolean is its own indicator
                continue
            on = model.new_bool_var(f"active[{s},{p},{d}]")
            # one row per project-day: its hours fit the day only when ``on`` holds
            weights = [
                ctx.data.capacity_q[s] if var.index not in ctx.vars.upper else 1 for var in vars_
            ]
            load = cp_model.LinearExpr.weighted_sum(vars_, weights)
            model.add(
                load
                <= sum(
                    w * ctx.vars.upper.get(v.index, 1) for w, v in zip(weights, vars_, strict=True)
                )
                * on
            )
            active.append(on)
            ctx.vars.indicators.append((on, vars_, 1))
        split = model.new_bool_var(f"split_day[{s},{d}]")
        model.add(sum(active) <= 1 + (len(active) - 1) * split)
        ctx.vars.indicators.append((split, active, 2))
        out.append(split)
    return out
