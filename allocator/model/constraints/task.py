"""Task window, effort, min daily hours and max assignees (spec rule 5).

- task_window: structural; ``hours`` exist only on the task's working dates.
- task_effort: the hours done never exceed ``effort_hours``.
- min_daily_hours: a specialist working on a task on a date works at least
  ``min(min_daily_hours, effort_hours)``; the model applies this on every date worked, which
  is the spec's rule without its "remaining effort" relief (a plan it gives is always valid).
- max_assignees: at most ``max_assignees`` distinct specialists work on the task.
"""

from __future__ import annotations

from collections import defaultdict

from ortools.sat.python import cp_model

from allocator.model.context import Context
from allocator.schema import Rule


def add(ctx: Context) -> None:
    m, v = ctx.model, ctx.vars
    per_specialist: dict[tuple[int, int], list[cp_model.IntVar]] = defaultdict(list)
    for (s, k, d), hours in v.hours.items():
        works = v.works[s, k, d]
        t = ctx.data.targets[k]
        name = f"{Rule.MIN_DAILY_HOURS}[{ctx.specialist(s)},{t.target.id},{ctx.date(d)}]"
        ctx.impose(m.add(hours >= t.min_daily_q), name, works)
        m.add(hours == 0).only_enforce_if(works.negated())
        m.add_implication(works, v.assignee[s, k])
        per_specialist[s, k].append(works)
    for (s, k), works_list in per_specialist.items():
        m.add_bool_or(works_list).only_enforce_if(v.assignee[s, k])
    by_task: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    for (_, k), assignee in v.assignee.items():
        by_task[k].append(assignee)
    for t in ctx.data.tasks:
        done = v.covered[t.index]
        if v.most(done) > t.demand_q:
            m.add(sum(c * x for c, x in done) <= t.demand_q).with_name(
                f"{Rule.TASK_EFFORT}[{t.target.id}]"
            )
        assignees = by_task.get(t.index, [])
        if len(assignees) > t.max_assignees:
            m.add(sum(assignees) <= t.max_assignees).with_name(
                f"{Rule.MAX_ASSIGNEES}[{t.target.id}]"
            )
