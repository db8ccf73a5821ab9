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

A neighbourhood may also free a *window* of dates only: the freed specialists' task hours on
those days are decided again, and the rest of their work stays. Their kept hours on the
window's days take their share of each day (``ModelData.busy_q``; the whole day under an
exclusive fill), the projects and tasks that kept work joins cost no onboarding and take no
second assignee place (``settled_joins``, ``settled_assignees``), their fills stay, and a
workplace enters the small model only when no one fills it and its whole period lies in the
window. Such a model is a fraction of the size of one over the whole horizon (large instance:
60 working dates), so a round can free more specialists.

Each goal of the small model then differs from the whole plan's by a constant, so a better
small plan landed back (:meth:`Incumbent.change`, :meth:`Incumbent.apply`) is a better
whole plan.

The search keeps its incumbent as an :class:`Incumbent`: the plan's rows per specialist and
the hours each target and project holds, updated as changes land. A neighbourhood then costs
its freed specialists' rows, not a pass over the plan (large instance, one core: 108 rounds
in 30 s spent 11.8 s in Python before, 158 rounds 4.5 s with it). Specialists named by
fixed assignments are never freed, so the small model has no fixed assignments.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace

from allocator.model.data import ModelData, TargetData, in_house_share
from allocator.model.solution import Solution


@dataclass
class Residual:
    """The data of a neighbourhood, and the map from its targets to the whole instance's."""

    data: ModelData
    freed: set[int]
    origin: list[int]  # residual target index -> target index in the whole instance
    window: frozenset[int] | None = None  # the days freed (None: all)


Row = tuple[int, int, int, int]  # (specialist, target, day, quarter-hours)


@dataclass
class Change:
    """A neighbourhood's plan in the whole instance's indices: the freed specialists' new
    fills, hours and rows (every other specialist's work stays)."""

    freed: set[int]
    fills: dict[int, int]
    hours: dict[tuple[int, int, int], int]
    rows: list[Row]
    window: frozenset[int] | None = None  # the days freed (None: all)


class Incumbent:
    """A plan indexed for neighbourhood search: its rows per specialist and what each
    target and project holds, kept up to date as changes land (:meth:`apply`), so that a
    neighbourhood costs the work of its freed specialists rather than a pass over the plan.

    The plan it holds (:attr:`solution`) is its own copy, changed in place.
    """

    def __init__(self, data: ModelData, solution: Solution) -> None:
        self.data = data
        self.solution = Solution(dict(solution.fills), dict(solution.hours))
        self.rows: dict[int, list[Row]] = defaultdict(list)  # per specialist
        n, projects = len(data.targets), len(data.instance.projects)
        self.done = [0] * n  # quarter-hours per target
        self.money = [0] * n  # money units per target
        self.people: list[dict[int, int]] = [{} for _ in range(n)]  # specialist -> rows
        self.inside = [0] * projects  # in-house quarter-hours per project
        self.total = [0] * projects
        self.short: dict[int, int] = defaultdict(int)  # task -> days shorter than its minimum
        self.targets_of: dict[int, list[int]] = defaultdict(list)  # specialist -> eligible
        for t in data.targets:
            for s in t.eligible:
                self.targets_of[s].append(t.index)
        for row in solution.rows(data):
            self.rows[row[0]].append(row)
        for rows in self.rows.values():
            self._count(rows, 1)

    def _count(self, rows: list[Row], sign: int) -> None:
        data = self.data
        for s, k, _, q in rows:
            t = data.targets[k]
            self.done[k] += sign * q
            self.money[k] += sign * data.rate[s] * q
            left = self.people[k].get(s, 0) + sign
            if left:
                self.people[k][s] = left
            else:
                del self.people[k][s]
            self.total[t.project] += sign * q
            self.inside[t.project] += sign * q if data.in_house[s] else 0
            if 0 < q < t.min_daily_q:
                self.short[k] += sign

    def frees(self, row: Row, window: frozenset[int] | None) -> bool:
        """Whether a neighbourhood frees ``row`` of one of its specialists: every row, or with
        a ``window`` of days, task hours on those days (fills stay)."""
        return window is None or (row[2] in window and not self.data.targets[row[1]].is_workplace)

    def free_rows(self, s: int, window: frozenset[int] | None) -> list[Row]:
        """The rows of specialist ``s`` a neighbourhood frees (:meth:`frees`); without a
        window, the stored list itself (not to be changed)."""
        rows = self.rows.get(s, [])
        return rows if window is None else [r for r in rows if self.frees(r, window)]

    def all_rows(self) -> list[Row]:
        """Every row of the plan (as :meth:`Solution.rows`, grouped by specialist)."""
        return [row for rows in self.rows.values() for row in rows]

    def residual(
        self,
        freed: set[int],
        projects: set[int] | None = None,
        window: frozenset[int] | None = None,
    ) -> Residual:
        """See :func:`residual`."""
        data = self.data
        ends_short = [k for k, days in self.short.items() if days]
        if ends_short:  # rare (only CP-SAT's whole model has the relief): keep their people
            freed = freed - {s for k in ends_short for s in self.people[k]}
        out_done: dict[int, int] = defaultdict(int)  # the freed specialists' part
        out_people: dict[int, int] = defaultdict(int)  # the freed who leave each target
        out_inside: dict[int, int] = defaultdict(int)
        out_total: dict[int, int] = defaultdict(int)
        busy: dict[tuple[int, int], int] = {}  # a window's kept hours on its days
        joins: set[tuple[int, int]] = set()
        assignees: set[tuple[int, int]] = set()
        allowed = None if projects is None else set(projects)
        for s in freed:
            free = self.free_rows(s, window)
            on: dict[int, int] = defaultdict(int)
            for _, k, _, q in free:
                p = data.targets[k].project
                if allowed is not None:
                    allowed.add(p)
                out_done[k] += q
                out_total[p] += q
                out_inside[p] += q if data.in_house[s] else 0
                on[k] += 1
            for k, count in on.items():
                if count == self.people[k][s]:
                    out_people[k] += 1
            if window is not None:
                self._kept(s, window, busy, joins, assignees)
        reachable = sorted({k for s in freed for k in self.targets_of.get(s, ())})
        targets: list[TargetData] = []
        origin: list[int] = []
        for k in reachable:
            t = data.targets[k]
            if allowed is not None and t.project not in allowed:
                continue
            eligible = {s: days for s, days in t.eligible.items() if s in freed}
            if window is not None:
                eligible = self._within(t, eligible, window, busy)
            if t.is_workplace:
                filler = self.solution.fills.get(k)
                if filler is not None and (filler not in freed or window is not None):
                    continue
                if window is not None and not set(t.days) <= window:
                    continue  # a fill is for the whole period
                part = replace(t, index=len(targets), eligible=eligible, set_aside=0)
            else:
                demand = t.demand_q - (self.done[k] - out_done[k])
                places = t.max_assignees - (len(self.people[k]) - out_people[k])
                # (a freed specialist who keeps other work on it takes no new place)
                staying = any((s, k) in assignees for s in eligible)
                if demand < max(1, t.min_daily_q) or (places <= 0 and not staying):
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
            origin.append(k)
        instance = data.instance.model_copy(update={"fixed": [], "previous_plan": None})
        settled = {
            p: (self.inside[p] - out_inside[p], self.total[p] - out_total[p])
            for p in range(len(self.total))
            if self.total[p] - out_total[p] > 0
        }
        small = replace(
            data,
            instance=instance,
            targets=targets,
            settled_q=settled,
            busy_q=busy,
            settled_joins=joins,
            settled_assignees={  # in the small model's task indices
                (s, i)
                for i, k in enumerate(origin)
                for s in targets[i].eligible
                if (s, k) in assignees
            },
        )
        return Residual(small, set(freed), origin, window)

    def _kept(
        self,
        s: int,
        window: frozenset[int],
        busy: dict[tuple[int, int], int],
        joins: set[tuple[int, int]],
        assignees: set[tuple[int, int]],
    ) -> None:
        """What a window's neighbourhood keeps of freed specialist ``s``'s work, into the
        residual's ``busy`` (their hours on the window's days: the whole day under an
        exclusive fill), ``joins`` and ``assignees``."""
        data = self.data
        for row in self.rows.get(s, ()):
            if self.frees(row, window):
                continue
            _, k, d, q = row
            t = data.targets[k]
            joins.add((s, t.project))
            if not t.is_workplace:
                assignees.add((s, k))
            elif d in window:
                busy[s, d] = data.capacity_q[s] if t.exclusive else busy.get((s, d), 0) + q

    def _within(
        self,
        t: TargetData,
        eligible: dict[int, list[int]],
        window: frozenset[int],
        busy: dict[tuple[int, int], int],
    ) -> dict[int, list[int]]:
        """``t``'s freed candidates and their days in a neighbourhood of ``window``: of a
        task, the window's days with room left; of a workplace (inside the window), all its
        days (a fill is for the whole period, the capacity constraint weighs what is kept),
        and if exclusive only for those with nothing kept on its days."""
        capacity = self.data.capacity_q
        if t.is_workplace:
            return {
                s: days
                for s, days in eligible.items()
                if not (t.exclusive and any((s, d) in busy for d in t.days))
            }
        out: dict[int, list[int]] = {}
        for s, days in eligible.items():
            inside = [d for d in days if d in window and busy.get((s, d), 0) < capacity[s]]
            if inside:
                out[s] = inside
        return out

    def part(self, res: Residual) -> Solution:
        """The freed specialists' part of the plan, in ``res``'s indices: a plan of its small
        model."""
        local = {k: i for i, k in enumerate(res.origin)}
        # fills from the plan itself: a fill on no available date has no rows
        fills = {
            local[w]: s for w, s in self.solution.fills.items() if s in res.freed and w in local
        }
        hours: dict[tuple[int, int, int], int] = {}
        for s in res.freed:
            for _, k, d, q in self.free_rows(s, res.window):
                if k in local and not self.data.targets[k].is_workplace:
                    hours[s, local[k], d] = q
        return Solution(fills, hours)

    def change(self, res: Residual, part: Solution) -> Change:
        """``part`` (a plan of ``res``'s model) as a change of the whole plan."""
        fills = {res.origin[w]: s for w, s in part.fills.items()}
        hours = {(s, res.origin[k], d): q for (s, k, d), q in part.hours.items() if q > 0}
        rows = Solution(fills, hours).rows(self.data)
        return Change(set(res.freed), fills, hours, rows, res.window)

    def holds(self, change: Change, projects: set[int]) -> bool:
        """Whether the rules that span specialists hold on ``projects`` once ``change``
        lands: no workplace taken from a specialist it does not free, task effort and
        assignees within their limits, required tasks done in full, and each project's
        in-house share (spec rules 2, 5, 7 and 9). The plan must hold them now."""
        fills = self.solution.fills
        for w in change.fills:
            if fills.get(w) is not None and fills[w] not in change.freed:
                return False
        if not projects:
            return True
        data = self.data
        done: dict[int, int] = defaultdict(int)
        people: dict[int, set[int]] = defaultdict(set)  # the freed specialists on each target
        inside: dict[int, int] = defaultdict(int)
        total: dict[int, int] = defaultdict(int)
        before = [row for s in change.freed for row in self.free_rows(s, change.window)]
        leaving: dict[tuple[int, int], int] = defaultdict(int)  # freed rows per (s, target)
        for rows, sign in ((before, -1), (change.rows, 1)):
            for s, k, _, q in rows:
                p = data.targets[k].project
                done[k] += sign * q
                total[p] += sign * q
                inside[p] += sign * q if data.in_house[s] else 0
                if sign > 0:
                    people[k].add(s)
                else:
                    leaving[s, k] += 1
        for k in done.keys() | people.keys():  # the targets the change touches
            t = data.targets[k]
            if t.is_workplace or t.project not in projects:
                continue
            stay = {s for s, n in self.people[k].items() if n > leaving.get((s, k), 0)}
            kept = len(stay - people[k])
            effort = self.done[k] + done[k]
            if (
                effort > t.demand_q
                or kept + len(people[k]) > t.max_assignees
                or (t.target.item.required and effort < t.demand_q)
            ):
                return False
        projects_ = data.instance.projects
        return all(
            self.inside[p] + inside[p] >= in_house_share(projects_[p]) * (self.total[p] + total[p])
            for p in projects
        )

    def apply(self, change: Change) -> None:
        """Land ``change``: the freed specialists' work becomes the change's."""
        fills, hours = self.solution.fills, self.solution.hours
        if change.window is None:
            for w in [w for w, s in fills.items() if s in change.freed]:
                del fills[w]  # with the fills on no available date, which have no rows
        for s in change.freed:
            rows = self.free_rows(s, change.window)
            if change.window is None:
                self.rows.pop(s, None)
            else:
                self.rows[s] = [r for r in self.rows[s] if not self.frees(r, change.window)]
            self._count(rows, -1)
            for _, k, d, _ in rows:
                if not self.data.targets[k].is_workplace:
                    hours.pop((s, k, d), None)
        for w, s in change.fills.items():
            fills[w] = s
        hours.update(change.hours)
        for row in change.rows:
            self.rows[row[0]].append(row)
        self._count(change.rows, 1)


def residual(
    data: ModelData,
    solution: Solution,
    freed: set[int],
    projects: set[int] | None = None,
    window: frozenset[int] | None = None,
) -> Residual:
    """The data left to decide when only ``freed`` specialists may change ``solution``
    (with a ``window`` of day indices, only their task hours on those days).

    ``projects`` (default: all) narrows where the freed specialists may work to these
    projects and the ones they already work on, which keeps the small model small on large
    instances. ``solution`` must satisfy every hard rule; it then restricts to a solution of
    the residual data (:meth:`Incumbent.part`), so the small model is feasible. A search
    drawing many neighbourhoods of one plan keeps an :class:`Incumbent` instead.
    """
    return Incumbent(data, solution).residual(freed, projects, window)
