"""Exclusivity (spec rule 4): the filler of an exclusive workplace works on nothing else on any
date of its period.

One constraint per (specialist, exclusive workplace): when ``fill`` holds, every other
activity indicator of that specialist on the period's dates is zero.
"""

from __future__ import annotations

from allocator.model.context import Context
from allocator.schema import Rule


def add(ctx: Context) -> None:
    for t in ctx.data.workplaces:
        if not t.target.item.exclusive:  # type: ignore[union-attr]
            continue
        for s in t.eligible:
            fill = ctx.vars.fill.get((s, t.index))
            if fill is None:
                continue
            others = {
                var.index: var
                for d in t.days
                for _, var in ctx.vars.day_activity.get((s, d), [])
                if var.index != fill.index
            }
            if others:
                name = f"{Rule.EXCLUSIVITY}[{ctx.specialist(s)},{t.target.id}]"
                ctx.impose(ctx.model.add(sum(others.values()) == 0), name, fill)
