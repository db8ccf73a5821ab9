"""Required items (spec rule 9): a required workplace is filled with no unmet hours; a
required task is done in full.

A required workplace may only be filled by a specialist available on every working date of
its period. An item that can never hold is named with the reason in plain words (spec,
infeasibility): no eligible specialist, every one away on some date of the period, or fewer
hours than the effort within reach of the task's assignee limit in its window.
"""

from __future__ import annotations

from allocator.model.context import Context
from allocator.model.data import QUARTER, ModelData, TargetData
from allocator.schema import Rule

MAX_NAMED = 3  # specialists named in a reason, at most


def add(ctx: Context) -> None:
    for t in ctx.data.targets:
        if not t.target.item.required:
            continue
        label = (
            f"required {t.target.label} must be {'filled' if t.is_workplace else 'done in full'}"
        )
        name = f"{Rule.REQUIRED}[{t.target.id}]"
        if t.is_workplace:
            fillers = [
                s
                for s, days in t.eligible.items()
                if len(days) == len(t.days) and (s, t.index) in ctx.vars.fill
            ]
            if not fillers:
                ctx.guards.impossible(f"{label} ({_never_filled(ctx.data, t)})")
                continue
            full = [ctx.vars.fill[s, t.index] for s in fillers]
            guard = ctx.guards.guard(label + _only(ctx.data, fillers, "fill it"))
            ctx.impose(ctx.model.add(sum(full) == 1), name, guard)
        else:
            done = ctx.vars.covered[t.index]
            short = _never_done(ctx.data, t)
            if short is not None or ctx.vars.most(done) < t.demand_q:
                ctx.guards.impossible(f"{label} ({short or 'too few hours can go to it'})")
                continue
            guard = ctx.guards.guard(label + _only(ctx.data, [*t.eligible], "work on it"))
            ctx.impose(ctx.model.add(sum(c * x for c, x in done) == t.demand_q), name, guard)


def _only(data: ModelData, people: list[int], what: str) -> str:
    """`` (only ana and ben can fill it)`` when at most :data:`MAX_NAMED` specialists can:
    the words that show which required items compete for the same people."""
    if not people or len(people) > MAX_NAMED:
        return ""
    names = [data.instance.specialists[s].id for s in people]
    who = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f" (only {who} can {what})"


def _never_filled(data: ModelData, t: TargetData) -> str:
    """Why no eligible specialist can fill required workplace ``t`` on every date."""
    from allocator.explain import date_ranges  # deferred: explain builds models lazily

    if not t.eligible:
        return "no specialist is eligible for it"
    specialists = data.instance.specialists
    away = [
        f"{specialists[s].id} on {date_ranges([data.dates[d] for d in set(t.days) - set(days)])}"
        for s, days in list(t.eligible.items())[:MAX_NAMED]
    ]
    more = len(t.eligible) - len(away)
    return (
        "every eligible specialist is away on a date of its period: "
        + "; ".join(away)
        + (f"; and {more} more" if more > 0 else "")
    )


def _never_done(data: ModelData, t: TargetData) -> str | None:
    """Why required task ``t`` can never be done in full, when a count shows it: no working
    date in its window, no eligible specialist, or its effort beyond what its
    ``max_assignees`` most available candidates can work in the window; ``None`` otherwise."""
    if not t.days:
        return "its window has no working dates"
    if not t.eligible:
        return "no specialist is eligible for it"
    most = {s: min(t.demand_q, data.capacity_q[s] * len(days)) for s, days in t.eligible.items()}
    # who already works on it outside the model (a neighbourhood of some dates) takes no
    # place of ``max_assignees``
    staying = {s for s in most if (s, t.index) in data.settled_assignees}
    others = sorted((h for s, h in most.items() if s not in staying), reverse=True)
    reach = sum(most[s] for s in staying) + sum(others[: t.max_assignees])
    if reach >= t.demand_q:
        return None
    who = f"its {len(most)} eligible specialist(s)"
    if t.max_assignees < len(most):
        who += f", at most {t.max_assignees} at once,"
    return (
        f"{who} can work at most {reach / QUARTER:g} h of its {t.demand_q / QUARTER:g} h "
        "in its window"
    )
