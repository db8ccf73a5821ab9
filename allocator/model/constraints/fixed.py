"""Fixed assignments (spec rule 8): every assignment a manager locked holds.

``{specialist, workplace}``: the specialist fills the workplace (and, with ``date``, works on
it that date; with ``hours``, exactly those hours). ``{specialist, task}``: the specialist
works on the task (on ``date`` if given; exactly ``hours`` that date, or over the task when no
date is given). A lock that can never hold (ineligible specialist, date outside the period or
on leave) makes the instance infeasible, and the explanation names it.
"""

from __future__ import annotations

from allocator.eligibility import TargetKind
from allocator.model.context import Context
from allocator.model.data import QUARTER, quarters
from allocator.schema import Fixed, Rule


def describe(item: Fixed, exclusive: bool = False) -> str:
    """Plain words for a fixed assignment (``exclusive``: of an exclusive workplace, which
    the words then say, as it is often why the assignment conflicts)."""
    target = f"workplace {item.workplace}" if item.workplace else f"task {item.task}"
    if exclusive:
        target += " (exclusive: nothing else in its period)"
    when = f" on {item.date}" if item.date else ""
    hours = f" for {item.hours:g} h" if item.hours is not None else ""
    return f"fixed assignment: {item.specialist} on {target}{when}{hours}"


def add(ctx: Context) -> None:
    exclusive = {w.id for w in ctx.data.instance.workplaces if w.exclusive}
    for item in ctx.data.instance.fixed:
        label = describe(item, item.workplace in exclusive)
        if item.workplace is not None:
            _workplace(ctx, item, label)
        else:
            _task(ctx, item, label)


def _target_and_day(ctx: Context, item: Fixed) -> tuple[int, int, int | None]:
    data = ctx.data
    kind: TargetKind = "workplace" if item.workplace is not None else "task"
    k = data.eligibility.target_index[kind, item.workplace or item.task or ""]
    s = data.specialist_index[item.specialist]
    day = (
        None
        if item.date is None
        else data.dates.index(item.date)
        if item.date in data.dates
        else -1
    )
    return s, k, day


def why_never(ctx: Context, item: Fixed, s: int, k: int, day: int | None) -> str:
    """Why a fixed assignment can never hold, in plain words: the specialist is not eligible
    (which rule), the date is no working date, outside the item's dates or on leave."""
    data = ctx.data
    t = data.targets[k]
    if s not in t.eligible:
        exclusions = data.eligibility.why_not(data.instance.specialists[s], t.target)
        if exclusions:
            return "; ".join(e.reason for e in exclusions)
    if item.date is not None:
        if day == -1:
            if item.date in data.instance.horizon.holidays:
                return f"{item.date} is a holiday"
            return f"{item.date} is a {item.date:%A}, not a working day"
        if day not in t.days:
            return f"{item.date} is outside the {t.target.kind}'s dates"
        if day not in data.available[s]:
            return f"{item.specialist} is unavailable on {item.date}"
    if item.hours is not None and t.is_workplace and quarters(item.hours) != t.daily_q:
        return f"the workplace takes {t.daily_q / QUARTER:g} h a day, not {item.hours:g}"
    period = "period" if t.is_workplace else "window"
    if not t.days:
        return f"the {t.target.kind}'s {period} has no working dates"
    if not set(t.days) & set(data.available[s]):
        return f"{item.specialist} is unavailable on every working date of its {period}"
    return "the specialist was left out of this large model's candidates"


def _workplace(ctx: Context, item: Fixed, label: str) -> None:
    s, w, day = _target_and_day(ctx, item)
    fill = ctx.vars.fill.get((s, w))
    t = ctx.data.targets[w]
    if (
        fill is None
        or (day is not None and day not in t.eligible.get(s, []))
        or (item.hours is not None and quarters(item.hours) != t.daily_q)
    ):
        ctx.guards.impossible(f"{label} ({why_never(ctx, item, s, w, day)})")
        return
    name = f"{Rule.FIXED}[{item.specialist},{item.workplace}]"
    ctx.impose(ctx.model.add(fill == 1), name, ctx.guards.guard(label))


def _task(ctx: Context, item: Fixed, label: str) -> None:
    s, k, day = _target_and_day(ctx, item)
    v = ctx.vars
    assignee = v.assignee.get((s, k))
    name = f"{Rule.FIXED}[{item.specialist},{item.task}]"
    if assignee is None or (day is not None and (s, k, day) not in v.hours):
        ctx.guards.impossible(f"{label} ({why_never(ctx, item, s, k, day)})")
        return
    guard = ctx.guards.guard(label)
    if day is None:
        ctx.impose(ctx.model.add(assignee == 1), name, guard)
        if item.hours is not None:
            total = sum(h for (s2, k2, _), h in v.hours.items() if (s2, k2) == (s, k))
            ctx.impose(ctx.model.add(total == quarters(item.hours)), name, guard)
        return
    ctx.impose(ctx.model.add(v.hours[s, k, day] >= 1), name, guard)
    if item.hours is not None:
        ctx.impose(ctx.model.add(v.hours[s, k, day] == quarters(item.hours)), name, guard)
