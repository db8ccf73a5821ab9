"""Workplace fill (spec rule 2): at most one specialist fills a workplace, for its whole period.

The whole-period part is structural: one ``fill`` variable stands for every available working
date of the period (see :mod:`allocator.model.variables`).
"""

from __future__ import annotations

from collections import defaultdict

from allocator.model.context import Context
from allocator.schema import Rule


def add(ctx: Context) -> None:
    fills = defaultdict(list)
    for (_, w), var in ctx.vars.fill.items():
        fills[w].append(var)
    for w, vars_ in fills.items():
        if len(vars_) > 1:
            name = f"{Rule.WORKPLACE_FILL}[{ctx.data.targets[w].target.id}]"
            ctx.model.add_at_most_one(vars_).with_name(name)
