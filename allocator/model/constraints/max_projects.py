"""Projects per specialist (spec rule 6), and the ``joins[s, p]`` indicators it rests on.

``joins[s, p]`` is at least every fill or assignee indicator of ``s`` on project ``p``; it is
created where a limit applies or onboarding costs money, and also used by the cost objective.
"""

from __future__ import annotations

from collections import defaultdict

from ortools.sat.python import cp_model

from allocator.model.context import Context
from allocator.schema import Rule


def add(ctx: Context) -> None:
    data, v = ctx.data, ctx.vars
    indicators: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
    for (s, w), fill in v.fill.items():
        indicators[s, data.targets[w].project].append(fill)
    for (s, k), assignee in v.assignee.items():
        indicators[s, data.targets[k].project].append(assignee)
    projects = data.instance.projects
    specialists = data.instance.specialists
    by_specialist: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    for (s, p), items in indicators.items():
        limit = specialists[s].max_projects
        onboarding = projects[p].onboarding_hours > 0 and (
            projects[p].id not in specialists[s].familiar_projects
        )
        if limit is None and not onboarding:
            continue
        join = ctx.model.new_bool_var(f"joins[{s},{p}]")
        v.joins[s, p] = join
        for item in items:
            ctx.model.add_implication(item, join)
        ctx.model.add_bool_or(items).only_enforce_if(join)
        by_specialist[s].append(join)
    for s, joins in by_specialist.items():
        limit = specialists[s].max_projects
        if limit is not None and len(joins) > limit:
            guard = ctx.guards.guard(f"{specialists[s].id} works on at most {limit} project(s)")
            name = f"{Rule.MAX_PROJECTS}[{specialists[s].id}]"
            ctx.impose(ctx.model.add(sum(joins) <= limit), name, guard)
