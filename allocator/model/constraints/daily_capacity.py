"""Daily capacity (spec rule 3): a specialist's hours on a date are at most ``hours_per_day``.

Dates a specialist is unavailable carry no variables at all; hours planned outside the model
(``ModelData.busy_q``, a neighbourhood of some dates) take their share of the day.
Specialist-days whose possible load can never exceed the capacity get no constraint. In
explain mode the capacity of the specialists named by fixed assignments is guarded, so a core
can name "capacity on a date".
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from allocator.model.context import Context
from allocator.schema import Rule


def add(ctx: Context) -> None:
    named = {f.specialist for f in ctx.data.instance.fixed} if ctx.guards.explain else set()
    for (s, d), terms in ctx.vars.day_load.items():
        cap = ctx.data.capacity_q[s] - ctx.data.busy_q.get((s, d), 0)
        if ctx.vars.most(terms) <= cap:
            continue
        guard: list[cp_model.IntVar] = []
        if ctx.specialist(s) in named:
            hours = ctx.data.instance.specialists[s].hours_per_day
            guard = ctx.guards.guard(
                f"{ctx.specialist(s)} works at most {hours:g} h on {ctx.date(d)}"
            )
        load = cp_model.LinearExpr.weighted_sum([x for _, x in terms], [c for c, _ in terms])
        name = f"{Rule.DAILY_CAPACITY}[{ctx.specialist(s)},{ctx.date(d)}]"
        ctx.impose(ctx.model.add(load <= cap), name, guard)
