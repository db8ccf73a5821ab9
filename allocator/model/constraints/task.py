"""Task window, effort, min daily hours and max assignees (spec rule 5).

- task_window: structural; ``hours`` exist only on the task's working dates.
- task_effort: the hours done never exceed ``effort_hours``.
- min_daily_hours: a specialist working on a task on a date works at least
  ``min(min_daily_hours, effort_hours)``, carried by the domain of ``hours`` (see
  :mod:`allocator.model.variables`); the model applies this on every date worked, which is
  the spec's rule without its "remaining effort" relief (a plan it gives is always valid).
- max_assignees: at most ``max_assignees`` distinct specialists work on the task.
"""

from __future__ import annotations

from collections import defaultdict

from ortools.sat.python import cp_model

from allocator.model.context import Context
from allocator.schema import Rule


def add(ctx: Context) -> None:
    m, v = ctx.model, ctx.vars
    per_pair: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
    for (s, k, _), hours in v.hours.items():
        per_pair[s, k].append(hours)
    for (s, k), hours_list in per_pair.items():
        # assignee <=> some hours: sum <= most * assignee and sum >= assignee
        assignee = v.assignee[s, k]
        most = min(ctx.data.targets[k].demand_q, sum(v.upper[h.index] for h in hours_list))
        total = cp_model.LinearExpr.sum(hours_list)
        m.add(total <= most * assignee)
        m.add(total >= assignee)
    by_task: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    for (_, k), assignee in v.assignee.items():
        by_task[k].append(assignee)
    for t in ctx.data.tasks:
        done = v.covered[t.index]
        if v.most(done) > t.demand_q:
            total = cp_model.LinearExpr.weighted_sum([x for _, x in done], [c for c, _ in done])
            ctx.impose(m.add(total <= t.demand_q), f"{Rule.TASK_EFFORT}[{t.target.id}]")
        assignees = by_task.get(t.index, [])
        if len(assignees) > t.max_assignees:
            ctx.impose(
                m.add(sum(assignees) <= t.max_assignees), f"{Rule.MAX_ASSIGNEES}[{t.target.id}]"
            )
