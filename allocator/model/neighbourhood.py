"""A neighbourhood of a plan: what is left to decide when only some specialists may change.

Large-neighbourhood search (:mod:`allocator.lns`) frees a set of specialists and keeps every
other specialist's work as it is in the incumbent plan. :func:`residual` turns that into a
small model's data, over the same specialist indices:

- a workplace filled by a kept specialist is settled and left out; any other workplace stays
  with the freed specialists as its only candidates;
- a task keeps the effort and the assignee places the kept specialists leave
  (``demand_q`` and ``max_assignees`` shrink), with the freed specialists as candidates;
- every hour of a freed specialist is free, so their daily capacity, exclusivity and project
  limits are whole; hours settled on each project count in its share rule
  (``ModelData.settled_q``);
- a task that ends with a day shorter than its min daily hours (the rule's relief) keeps
  every specialist on it: the small model has no relief, and moving any of its hours could
  leave that short day before other work on the task.

Each goal of the small model then differs from the whole plan's by a constant, so a better
small plan merged back (:meth:`Residual.merge`) is a better whole plan. Specialists named by
fixed assignments are never freed, so the small model has no fixed assignments.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace

from allocator.model.data import ModelData, TargetData
from allocator.model.solution import Solution


@dataclass
class Residual:
    """The data of a neighbourhood, and the map from its targets to the whole instance's."""

    data: ModelData
    freed: set[int]
    origin: list[int]  # residual target index -> target index in the whole instance

    def restrict(self, solution: Solution) -> Solution:
        """The freed specialists' part of a whole ``solution``, in residual indices."""
        local = {k: i for i, k in enumerate(self.origin)}
        fills = {local[w]: s for w, s in solution.fills.items() if s in self.freed and w in local}
        hours = {
            (s, local[k], d): q
            for (s, k, d), q in solution.hours.items()
            if s in self.freed and k in local
        }
        return Solution(fills, hours)

    def merge(self, solution: Solution, part: Solution) -> Solution:
        """``solution`` with the freed specialists' work replaced by ``part`` (residual)."""
        fills = {w: s for w, s in solution.fills.items() if s not in self.freed}
        fills.update({self.origin[w]: s for w, s in part.fills.items()})
        hours = {key: q for key, q in solution.hours.items() if key[0] not in self.freed}
        hours.update({(s, self.origin[k], d): q for (s, k, d), q in part.hours.items()})
        return Solution(fills, hours)


def residual(
    data: ModelData,
    solution: Solution,
    freed: set[int],
    projects: set[int] | None = None,
    rows: list[tuple[int, int, int, int]] | None = None,
) -> Residual:
    """The data left to decide when only ``freed`` specialists may change ``solution``.

    ``projects`` (default: all) narrows where the freed specialists may work to these
    projects and the ones they already work on, which keeps the small model small on large
    instances. ``rows`` are ``solution.rows(data)`` when the caller has them. ``solution``
    must satisfy every hard rule; it then restricts to a solution of the residual data
    (:meth:`Residual.restrict`), so the small model is feasible.
    """
    rows = solution.rows(data) if rows is None else rows
    ends_short = {k for _, k, _, q in rows if 0 < q < data.targets[k].min_daily_q}
    if ends_short:  # rare (only CP-SAT's whole model has the relief): keep their people
        freed = freed - {s for s, k, _, _ in rows if k in ends_short}
    done: dict[int, int] = defaultdict(int)
    people: dict[int, set[int]] = defaultdict(set)
    inside: dict[int, int] = defaultdict(int)
    total: dict[int, int] = defaultdict(int)
    allowed = None if projects is None else set(projects)
    for s, k, _, q in rows:
        if s in freed:
            if allowed is not None:
                allowed.add(data.targets[k].project)
            continue
        p = data.targets[k].project
        total[p] += q
        inside[p] += q if data.in_house[s] else 0
        if not data.targets[k].is_workplace:
            done[k] += q
            people[k].add(s)
    targets: list[TargetData] = []
    origin: list[int] = []
    for t in data.targets:
        if allowed is not None and t.project not in allowed:
            continue
        eligible = {s: days for s, days in t.eligible.items() if s in freed}
        if not eligible:
            continue
        if t.is_workplace:
            filler = solution.fills.get(t.index)
            if filler is not None and filler not in freed:
                continue
            part = replace(t, index=len(targets), eligible=eligible, set_aside=0)
        else:
            demand = t.demand_q - done[t.index]
            places = t.max_assignees - len(people[t.index])
            if demand < max(1, t.min_daily_q) or places <= 0:
                continue
            part = replace(
                t,
                index=len(targets),
                eligible=eligible,
                demand_q=demand,
                max_assignees=places,
                set_aside=0,
            )
        targets.append(part)
        origin.append(t.index)
    instance = data.instance.model_copy(update={"fixed": [], "previous_plan": None})
    settled = {p: (inside[p], total[p]) for p in total}
    small = replace(data, instance=instance, targets=targets, settled_q=settled)
    return Residual(small, set(freed), origin)
