"""Decision variables, created over eligible (specialist, target, date) triples only.

- ``fill[s, w]``: specialist ``s`` fills workplace ``w`` for its whole period (bool).
- ``hours[s, t, d]``: quarter-hours ``s`` works on task ``t`` on day ``d``; its domain
  ``{0} ∪ [min daily, capacity]`` carries the min-daily-hours rule, so no per-day Boolean is
  needed. With the rule's relief (a day may be shorter when it does the whole remaining
  effort, see :mod:`allocator.model.constraints.task`), the domain is ``[0, capacity]`` and:
- ``works[s, t, d]``: ``s`` works on ``t`` on ``d`` (bool, iff ``hours > 0``);
- ``finish[t, d]``: ``t`` ends on ``d`` with a day shorter than its min daily hours (bool).
- ``assignee[s, t]``: ``s`` works on task ``t`` on some day (bool).
- ``joins[s, p]``: ``s`` works on project ``p`` (bool, created when a rule or cost needs it).

``day_load[s, d]`` and ``day_activity[s, d]`` collect, per specialist-day, the linear terms of
the hours worked and the (project, variable) pairs of what is worked on (a ``fill`` Boolean
or an ``hours`` integer: either is positive exactly when the specialist works on it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from allocator.model.data import ModelData, TargetData

Key2 = tuple[int, int]
Key3 = tuple[int, int, int]
Term = tuple[int, cp_model.IntVar]


@dataclass
class Variables:
    fill: dict[Key2, cp_model.IntVar] = field(default_factory=dict)
    hours: dict[Key3, cp_model.IntVar] = field(default_factory=dict)
    assignee: dict[Key2, cp_model.IntVar] = field(default_factory=dict)
    works: dict[Key3, cp_model.IntVar] = field(default_factory=dict)  # relieved tasks only
    finish: dict[Key2, cp_model.IntVar] = field(default_factory=dict)  # (task, day)
    joins: dict[Key2, cp_model.IntVar] = field(default_factory=dict)
    day_load: dict[Key2, list[Term]] = field(default_factory=lambda: defaultdict(list))
    day_activity: dict[Key2, list[tuple[int, cp_model.IntVar]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    covered: list[list[Term]] = field(default_factory=list)  # per target: quarter-hours done
    project_hours: dict[int, list[tuple[int, bool, cp_model.IntVar]]] = field(
        default_factory=lambda: defaultdict(list)
    )  # per project: (quarter-hours coefficient, in-house, var)
    spend: list[Term] = field(default_factory=list)  # money units: (rate x coefficient, var)
    upper: dict[int, int] = field(default_factory=dict)  # variable index -> upper bound
    # indicators made for a goal: (var, sources, k) with var = 1 iff >= k sources are positive
    indicators: list[tuple[cp_model.IntVar, list[cp_model.IntVar], int]] = field(
        default_factory=list
    )

    def complete(self, values: list[int]) -> list[int]:
        """Extend a solution (a value per variable index) to the indicators made after it."""
        out = list(values)
        for var, sources, k in self.indicators:
            if var.index >= len(out):
                out.extend([0] * (var.index + 1 - len(out)))
            out[var.index] = int(sum(out[x.index] > 0 for x in sources) >= k)
        return out

    def most(self, terms: list[Term]) -> int:
        """The largest value ``sum(coef * var)`` can take (non-negative terms)."""
        return sum(coef * self.upper.get(var.index, 1) for coef, var in terms)


def create_variables(
    model: cp_model.CpModel, data: ModelData, *, relief: bool = False
) -> Variables:
    """Create fill, hours and assignee variables and index them by specialist-day; with
    ``relief``, the ``works`` and ``finish`` variables of the tasks it concerns."""
    v = Variables()
    for t in data.targets:
        v.covered.append([])
        if t.is_workplace:
            _workplace_variables(model, data, v, t.index)
        else:
            _task_variables(model, data, v, t.index, relief and relieved(t))
    return v


def relieved(t: TargetData) -> bool:
    """Whether the relief of the min-daily-hours rule can matter for task ``t``: some day's
    work may be shorter than its min daily hours (at least 2 quarter-hours) and still not
    the whole effort."""
    return not t.is_workplace and t.demand_q > t.min_daily_q >= 2


def _workplace_variables(model: cp_model.CpModel, data: ModelData, v: Variables, w: int) -> None:
    t = data.targets[w]
    for s, days in t.eligible.items():
        fill = model.new_bool_var(f"fill[{s},{w}]")
        v.fill[s, w] = fill
        done = t.daily_q * len(days)
        v.covered[w].append((done, fill))
        v.project_hours[t.project].append((done, data.in_house[s], fill))
        v.spend.append((done * data.rate[s], fill))
        for d in days:
            v.day_load[s, d].append((t.daily_q, fill))
            v.day_activity[s, d].append((t.project, fill))


def task_candidates(
    data: ModelData, t: TargetData, *, relief: bool = False
) -> Iterator[tuple[int, list[int], int]]:
    """The specialists who get variables on task ``t``: ``(specialist, days, top)``, where
    ``top`` is the most quarter-hours they can work on it in a day (those with no day in its
    window get none)."""
    for s, days in t.eligible.items():
        if days:
            yield s, days, min(data.capacity_q[s], t.demand_q)


def count_variables(data: ModelData) -> int:
    """The fill, hours and assignee variables the model of ``data`` has (without building it;
    the ``joins`` indicators, at most one per specialist and project, are not counted)."""
    fills = sum(len(t.eligible) for t in data.workplaces)
    # (as task_candidates gives them: a day and an assignee each, none without a day)
    return fills + sum(len(days) + 1 for t in data.tasks for days in t.eligible.values() if days)


def _task_variables(
    model: cp_model.CpModel, data: ModelData, v: Variables, k: int, relief: bool
) -> None:
    t = data.targets[k]
    least = 1 if relief else max(1, t.min_daily_q)
    for s, days, top in task_candidates(data, t):
        v.assignee[s, k] = model.new_bool_var(f"assignee[{s},{k}]")
        # without the relief, a day shorter than the minimum leaves {0} to CP-SAT; the hull
        # [0, top] keeps such a specialist in the LP relaxation, which then still bounds
        # plans with the relief (they may do a task's last hours)
        most = max(least, top)  # the daily capacity constraint still bounds it by top
        domain = cp_model.Domain.from_intervals([[0, 0], [least, most]])
        for d in days:
            hours = model.new_int_var_from_domain(domain, f"hours[{s},{k},{d}]")
            if relief:
                works = model.new_bool_var(f"works[{s},{k},{d}]")
                v.works[s, k, d] = works
                v.indicators.append((works, [hours], 1))
                if (k, d) not in v.finish:
                    v.finish[k, d] = model.new_bool_var(f"finish[{k},{d}]")
            v.upper[hours.index] = most
            v.hours[s, k, d] = hours
            v.covered[k].append((1, hours))
            v.project_hours[t.project].append((1, data.in_house[s], hours))
            v.spend.append((data.rate[s], hours))
            v.day_load[s, d].append((1, hours))
            v.day_activity[s, d].append((t.project, hours))
