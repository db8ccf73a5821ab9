"""Task window, effort, min daily hours and max assignees (spec rule 5).

- task_window: structural; ``hours`` exist only on the task's working dates.
- task_effort: the hours done never exceed ``effort_hours``.
- min_daily_hours: a specialist working on a task on a date works at least
  ``min(min_daily_hours, effort_hours)``, carried by the domain of ``hours`` (see
  :mod:`allocator.model.variables`), or, with the rule's relief, the whole remaining effort
  if less. A day shorter than the minimum then ends the task: ``finish[t, d]`` allows it on
  ``d`` only, for one specialist, with nothing done on the task after ``d`` and its whole
  effort done (what the checker asks, as the remaining effort before ``d`` is then exactly
  that day's hours). Without relief (the neighbourhoods' small models, and whole models above
  ``solve.RELIEF_MAX_VARIABLES``) every day worked reaches the minimum: plans stay valid,
  and CP-SAT's optimum and bound are then not claimed for the instance.
- max_assignees: at most ``max_assignees`` distinct specialists work on the task (a specialist
  who works on it outside the model, ``ModelData.settled_assignees``, takes no second place).
"""

from __future__ import annotations

from collections import defaultdict

from ortools.sat.python import cp_model

from allocator.model.context import Context
from allocator.schema import Rule


def add(ctx: Context) -> None:
    m, v = ctx.model, ctx.vars
    if v.finish:
        _relief(ctx)
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
    settled = ctx.data.settled_assignees  # already counted in max_assignees
    for (s, k), assignee in v.assignee.items():
        if (s, k) not in settled:
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


def _relief(ctx: Context) -> None:
    """The min-daily-hours rule with its relief, on the tasks with ``finish`` variables."""
    m, v, data = ctx.model, ctx.vars, ctx.data
    per_day: dict[tuple[int, int], list[tuple[cp_model.IntVar, cp_model.IntVar, int]]] = (
        defaultdict(list)
    )
    for (s, k, d), works in v.works.items():
        hours = v.hours[s, k, d]
        per_day[k, d].append((hours, works, v.upper[hours.index]))
    finishes: dict[int, list[tuple[int, cp_model.IntVar]]] = defaultdict(list)
    for (k, d), finish in v.finish.items():
        finishes[k].append((d, finish))
    for k, days in finishes.items():
        t = data.targets[k]
        least = t.min_daily_q
        name = f"{Rule.MIN_DAILY_HOURS}[{t.target.id}]"
        days.sort()
        ended: list[cp_model.IntVar] = []
        closed: cp_model.LinearExprT = 0  # 1 when the task finished on an earlier day
        for d, finish in days:
            cells = per_day[k, d]
            for hours, works, top in cells:
                # works <=> hours > 0; a day worked reaches the minimum unless it finishes
                m.add(hours <= top * works)
                m.add(hours >= least * works - (least - 1) * finish)
            if len(cells) > 1:  # a finishing day has a single specialist
                m.add(sum(w for _, w, _ in cells) <= 1 + (len(cells) - 1) * (1 - finish))
            if ended:  # nothing after a finishing day
                most = sum(top for _, _, top in cells)
                ctx.impose(m.add(sum(h for h, _, _ in cells) <= most * (1 - closed)), name)
                # the running sum as one Boolean per day keeps each constraint short (and
                # allows one finishing day at most)
                after = m.new_bool_var(f"finished[{k},{d}]")
                m.add(after == closed + finish)
                v.indicators.append((after, [*ended, finish], 1))  # for hints
                closed = after
            else:
                closed = finish
            ended.append(finish)
        done = v.covered[k]
        total = cp_model.LinearExpr.weighted_sum([x for _, x in done], [c for c, _ in done])
        ctx.impose(m.add(total >= t.demand_q * closed), name)  # a finish does the whole effort
