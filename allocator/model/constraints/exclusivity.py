"""Exclusivity (spec rule 4): the filler of an exclusive workplace works on nothing else on any
date of its period.

One constraint per (specialist, exclusive workplace): when ``fill`` holds, every other
activity variable of that specialist on the period's dates is zero. Where the workplace takes
the specialist's whole day, daily capacity already implies this (every other activity has
positive hours) and no constraint is added.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from allocator.model.context import Context
from allocator.schema import Rule


def add(ctx: Context) -> None:
    data, v = ctx.data, ctx.vars
    for t in data.workplaces:
        if not t.exclusive:
            continue
        for s, days in t.eligible.items():
            fill = v.fill.get((s, t.index))
            if fill is None or data.capacity_q[s] <= t.daily_q:
                continue
            others = [
                var
                for d in days
                for _, var in v.day_activity.get((s, d), ())
                if var.index != fill.index
            ]
            if others:
                name = f"{Rule.EXCLUSIVITY}[{ctx.specialist(s)},{t.target.id}]"
                ctx.impose(ctx.model.add(cp_model.LinearExpr.sum(others) == 0), name, fill)
