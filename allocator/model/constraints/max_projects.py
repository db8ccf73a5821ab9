"""Projects per specialist (spec rule 6), and the ``joins[s, p]`` indicators it rests on.

``joins[s, p]`` is at least every fill or assignee indicator of ``s`` on project ``p``; it is
created where a limit applies or onboarding costs money, and also used by the cost objective.

The hours of ``s`` on ``p`` are also at most ``joins[s, p]`` times the most ``s`` can do on
``p`` (the targets' demands, at most ``s``'s capacity on the dates they span). The indicators
imply it, but the LP relaxation (:mod:`allocator.model.relaxation`) drops their enforced
implications and lets each target's indicator be small while the hours add up: on the medium
instance its cost bound rises from 691,932 to 730,368 with it (plans 760,000-800,000), and
CP-SAT proves the small instance's cost in 3 s instead of 8. Only a model built to
``tighten`` has it: in a neighbourhood round's small model it cost a tenth
of the coverage gain (large, 55 s of rounds from the greedy plan, two seeds: 24,554 and
24,939 weighted unmet hours with it, 21,593 and 21,564 without). The same per day
(:func:`day_cuts`) is left out of the model and handed to the LP relaxation as cuts.
"""

from __future__ import annotations

from collections import defaultdict

from ortools.sat.python import cp_model

from allocator.model.context import Context
from allocator.model.data import most_on_project
from allocator.model.relaxation import Cut
from allocator.schema import Rule


def add(ctx: Context) -> None:
    data, v = ctx.data, ctx.vars
    indicators: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
    for (s, w), fill in v.fill.items():
        # a fill on no available date adds no hours: the filler does not work on the project
        if data.targets[w].eligible[s]:
            indicators[s, data.targets[w].project].append(fill)
    for (s, k), assignee in v.assignee.items():
        indicators[s, data.targets[k].project].append(assignee)
    specialists = data.instance.specialists
    by_specialist: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    # projects joined by work planned outside the model (a neighbourhood of some dates) take
    # their share of the limit; the specialist gets no indicator on them
    joined: dict[int, int] = defaultdict(int)
    for s, _ in data.settled_joins:
        joined[s] += 1
    work = _work(ctx) if ctx.tighten else {}
    for (s, p), items in indicators.items():
        limit = specialists[s].max_projects
        if (s, p) in data.settled_joins or (limit is None and not data.onboarding(s, p)):
            continue  # (a settled join is paid and counted already)
        join = ctx.model.new_bool_var(f"joins[{s},{p}]")
        v.joins[s, p] = join
        for item in items:
            ctx.model.add_implication(item, join)
        ctx.model.add_bool_or(items).only_enforce_if(join)
        if ctx.tighten:
            terms, most = work[s, p]
            expr = cp_model.LinearExpr.weighted_sum([x for _, x in terms], [c for c, _ in terms])
            ctx.model.add(expr <= most * join)
        by_specialist[s].append(join)
    for s, joins in by_specialist.items():
        limit = specialists[s].max_projects
        if limit is not None and len(joins) > limit - joined[s]:
            guard = ctx.guards.guard(f"{specialists[s].id} works on at most {limit} project(s)")
            name = f"{Rule.MAX_PROJECTS}[{specialists[s].id}]"
            ctx.impose(ctx.model.add(sum(joins) <= limit - joined[s]), name, guard)


def _work(ctx: Context) -> dict[tuple[int, int], tuple[list[tuple[int, cp_model.IntVar]], int]]:
    """Per (specialist, project): the terms of the quarter-hours worked on the project, and
    the most they can add up to (:func:`allocator.model.data.most_on_project`)."""
    data, v = ctx.data, ctx.vars
    terms: dict[tuple[int, int], list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
    for (s, w), fill in v.fill.items():
        t = data.targets[w]
        terms[s, t.project].append((t.daily_q * len(t.eligible[s]), fill))
    for (s, k, _), hours in v.hours.items():
        terms[s, data.targets[k].project].append((1, hours))
    most = most_on_project(data)
    return {pair: (items, most[pair]) for pair, items in terms.items()}


def day_cuts(ctx: Context) -> list[Cut]:
    """Rows ``sum(coefficient x variable) <= upper`` that every plan holds but the model
    leaves out, for its LP relaxation only (:func:`allocator.model.relaxation.lp_bound`
    adds those its optimum breaks): "the hours of ``s`` on project ``p`` on day ``d`` are at
    most ``s``'s capacity that day times ``joins[s, p]``", where two targets or more of
    ``p`` share the day. The LP otherwise spreads a specialist over a project's tasks on a
    day, each asking only a part of the join. Measured on the medium instance's cost
    relaxation (coverage at most 248, simplex then rounds of cuts, idle core): 738,668 in
    29.9 s without them, 743,125 in 34.0 s with them. Built on demand (a pass over the
    model's task variables); none in a model built without ``tighten`` or to explain."""
    if not ctx.tighten or ctx.guards.explain:
        return []
    data, v = ctx.data, ctx.vars
    terms: dict[tuple[int, int, int], list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
    for (s, w), fill in v.fill.items():
        t = data.targets[w]
        for d in t.eligible[s]:
            terms[s, t.project, d].append((t.daily_q, fill))
    for (s, k, d), hours in v.hours.items():
        terms[s, data.targets[k].project, d].append((1, hours))
    cuts: list[Cut] = []
    for (s, p, d), day in terms.items():
        join = v.joins.get((s, p))
        if join is None or len(day) < 2:
            continue
        cap = min(data.capacity_q[s] - data.busy_q.get((s, d), 0), v.most(day))
        cuts.append(
            (
                [x.index for _, x in day] + [join.index],
                [float(c) for c, _ in day] + [-float(cap)],
                0.0,
            )
        )
    return cuts
