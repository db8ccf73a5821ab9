"""Required items (spec rule 9): a required workplace is filled with no unmet hours; a
required task is done in full.

A required workplace may only be filled by a specialist available on every working date of
its period.
"""

from __future__ import annotations

from allocator.model.context import Context
from allocator.schema import Rule


def add(ctx: Context) -> None:
    for t in ctx.data.targets:
        if not t.target.item.required:
            continue
        label = (
            f"required {t.target.label} must be {'filled' if t.is_workplace else 'done in full'}"
        )
        name = f"{Rule.REQUIRED}[{t.target.id}]"
        if t.is_workplace:
            full = [
                ctx.vars.fill[s, t.index]
                for s, days in t.eligible.items()
                if len(days) == len(t.days) and (s, t.index) in ctx.vars.fill
            ]
            if not full:
                ctx.guards.impossible(label)
                continue
            ctx.impose(ctx.model.add(sum(full) == 1), name, ctx.guards.guard(label))
        else:
            done = ctx.vars.covered[t.index]
            if ctx.vars.most(done) < t.demand_q:
                ctx.guards.impossible(label)
                continue
            guard = ctx.guards.guard(label)
            ctx.impose(ctx.model.add(sum(c * x for c, x in done) == t.demand_q), name, guard)
