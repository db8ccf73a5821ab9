"""In-house share (spec rule 7): per project, in-house hours >= share x all planned hours.

With the share as a fraction ``num/den``: ``den x in_house >= num x all``, in quarter-hours.
Hours settled outside the model (``ModelData.settled_q``, a neighbourhood's fixed part) count
as constants.
"""

from __future__ import annotations

from allocator.model.context import Context
from allocator.model.data import in_house_share
from allocator.schema import Rule


def add(ctx: Context) -> None:
    for p, project in enumerate(ctx.data.instance.projects):
        share = in_house_share(project)
        terms = ctx.vars.project_hours.get(p, [])
        num, den = share.numerator, share.denominator
        inside_q, all_q = ctx.data.settled_q.get(p, (0, 0))
        settled = den * inside_q - num * all_q
        if share == 0 or not terms or (settled >= 0 and all(inside for _, inside, _ in terms)):
            continue
        # den*in_house - num*(in_house + outsourced) >= 0
        expr = settled + sum(
            (den - num) * coef * var if inside else -num * coef * var for coef, inside, var in terms
        )
        guard = ctx.guards.guard(
            f"project {project.id} keeps at least {float(share):.0%} of its hours in-house"
        )
        ctx.impose(ctx.model.add(expr >= 0), f"{Rule.IN_HOUSE_SHARE}[{project.id}]", guard)
