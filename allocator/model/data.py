"""The instance in the model's terms: integer indices and quarter-hour units.

Hours are integers of quarter-hours (``QUARTER = 4`` per hour) inside the model. Money is in
units of ``1 / money_scale`` of the currency, with ``money_scale = 4 × 10^k`` where ``k`` is the
largest number of decimals among the costs per hour (at most 4), so costs are exact. A cost
with more decimals is rounded to the nearest unit (``ModelData.rate_error``); the plan then
reports its cost from the exact rates and lowers the cost bound by the most the rounding can
move it (:mod:`allocator.plan`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property

import numpy as np
import numpy.typing as npt

from allocator.calendar import unavailable_dates, working_dates
from allocator.eligibility import Eligibility, Target
from allocator.schema import Instance, Project, Workplace

QUARTER = 4
MAX_COST_DECIMALS = 4


def quarters(hours: float) -> int:
    """Hours -> whole quarter-hours."""
    return round(hours * QUARTER)


def in_house_share(project: Project) -> Fraction:
    """A project's ``min_in_house_share`` as an exact fraction (denominator at most 10 000),
    so the share rule (spec rule 7) is checked in integers."""
    return Fraction(project.min_in_house_share).limit_denominator(10_000)


def cost_decimals(costs: list[float]) -> int:
    """The fewest decimals (at most :data:`MAX_COST_DECIMALS`) that write every cost exactly."""
    for k in range(MAX_COST_DECIMALS + 1):
        if all(abs(c * 10**k - round(c * 10**k)) < 1e-6 for c in costs):
            return k
    return MAX_COST_DECIMALS


@dataclass
class TargetData:
    """One workplace or task over model indices.

    ``days`` are indices into :attr:`ModelData.dates`; ``eligible`` maps an eligible
    specialist index to the day indices of the target on which that specialist is available.
    """

    index: int
    target: Target
    project: int
    priority: int
    days: list[int]
    demand_q: int
    eligible: dict[int, list[int]]
    daily_q: int = 0  # workplace: quarter-hours a day
    min_daily_q: int = 0  # task: least quarter-hours on a date worked
    max_assignees: int = 1
    set_aside: int = 0  # eligible specialists left out of the model by candidate restriction

    @property
    def is_workplace(self) -> bool:
        return self.target.kind == "workplace"

    @property
    def exclusive(self) -> bool:
        """An exclusive workplace: its filler works on nothing else in its period."""
        return isinstance(self.target.item, Workplace) and self.target.item.exclusive


@dataclass
class ModelData:
    """Indexed instance shared by the model builder, the greedy hint and the plan writer."""

    instance: Instance
    eligibility: Eligibility
    dates: list[dt.date]
    available: list[set[int]]  # per specialist: available day indices
    capacity_q: list[int]  # per specialist: quarter-hours a day
    rate: list[int]  # per specialist: money units per quarter-hour
    in_house: list[bool]
    targets: list[TargetData]
    project_ids: list[str]
    specialist_index: dict[str, int] = field(default_factory=dict)
    money_scale: int = QUARTER  # money units per currency unit
    rate_error: float = 0.0  # largest |cost_per_hour - rate / money units per hour|
    # per project: (in-house, all) quarter-hours planned outside the model (a neighbourhood's
    # fixed part, see :mod:`allocator.model.neighbourhood`); the share rule counts them
    settled_q: dict[int, tuple[int, int]] = field(default_factory=dict)
    # a neighbourhood of some dates only (see :mod:`allocator.model.neighbourhood`): per
    # (specialist, day) the quarter-hours planned outside the model (its capacity is the
    # rest); the (specialist, project) pairs and (specialist, task) pairs that work planned
    # outside the model already joins, so the specialist pays no onboarding for the project
    # and takes no place of the task's assignees again
    busy_q: dict[tuple[int, int], int] = field(default_factory=dict)
    settled_joins: set[tuple[int, int]] = field(default_factory=set)
    settled_assignees: set[tuple[int, int]] = field(default_factory=set)

    def goal_scale(self, goal: str) -> int:
        """Model units per reported unit of ``goal``: quarter-hours for coverage, money units
        for cost, 1 for stability."""
        return {"coverage": QUARTER, "cost": self.money_scale}.get(goal, 1)

    def onboarding(self, s: int, p: int) -> int:
        """Money units of onboarding paid when specialist ``s`` joins project ``p``: its
        ``onboarding_hours`` at their rate, none when ``p`` is among their
        ``familiar_projects`` (spec, the cost goal) or ``s`` already works on ``p`` outside
        the model (:attr:`settled_joins`)."""
        project = self.instance.projects[p]
        if (s, p) in self.settled_joins:  # paid by work planned outside the model
            return 0
        if project.id in self.instance.specialists[s].familiar_projects:
            return 0
        return quarters(project.onboarding_hours) * self.rate[s]

    @cached_property
    def available_matrix(self) -> npt.NDArray[np.bool_]:
        """Specialists x dates (indices into :attr:`dates`): whether each specialist is
        available (not on leave) on each working date. Computed once; read only."""
        out = np.zeros((len(self.available), len(self.dates)), bool)
        for s, days in enumerate(self.available):
            out[s, list(days)] = True
        return out

    @cached_property
    def onboarding_matrix(self) -> npt.NDArray[np.int64]:
        """Specialists x projects: the money units of :meth:`onboarding`, for all pairs at
        once (of a whole instance: :attr:`settled_joins` are not read). Computed once; read
        only."""
        hours = np.array([quarters(p.onboarding_hours) for p in self.instance.projects], np.int64)
        familiar = np.zeros((len(self.rate), len(hours)), bool)
        project_of = {p.id: i for i, p in enumerate(self.instance.projects)}
        for s, specialist in enumerate(self.instance.specialists):
            for p in specialist.familiar_projects:
                if p in project_of:
                    familiar[s, project_of[p]] = True
        out: npt.NDArray[np.int64] = np.outer(np.array(self.rate, np.int64), hours) * ~familiar
        return out

    @property
    def workplaces(self) -> list[TargetData]:
        return [t for t in self.targets if t.is_workplace]

    @property
    def tasks(self) -> list[TargetData]:
        return [t for t in self.targets if not t.is_workplace]


def candidate_array(t: TargetData) -> npt.NDArray[np.int64]:
    """``t``'s candidates (the keys of ``t.eligible``) as an array, in their order."""
    return np.fromiter(t.eligible, np.int64, len(t.eligible))


def candidacies(data: ModelData, people: list[npt.NDArray[np.int64]]) -> npt.NDArray[np.int64]:
    """Per specialist, how many targets they are a candidate of (``people``: each target's
    :func:`candidate_array`)."""
    return np.bincount(
        np.concatenate([*people, np.zeros(0, np.int64)]), minlength=len(data.available)
    )


def task_triples(data: ModelData) -> int:
    """Number of (specialist, task, day) triples the model would create hours for."""
    return sum(sum(map(len, t.eligible.values())) for t in data.tasks)


def restrict_candidates(data: ModelData, keep: set[tuple[int, int]], budget: int) -> int:
    """Keep at most ``limit`` candidates per task so the triples fit ``budget``.

    The pairs in ``keep`` (e.g. the hint's) always stay; the others are ranked by cost per
    hour, then by how few targets the specialist could do instead (ties in the order of
    ``eligible``). This is a heuristic restriction: the model's bound is then no longer a
    bound of the instance. Returns the per-task limit used (0 when nothing was cut).
    """
    triples = task_triples(data)
    if triples <= budget:
        return 0
    pairs = sum(len(t.eligible) for t in data.tasks)
    limit = max(2, int(budget / (triples / pairs) / len(data.tasks)))
    people = [candidate_array(t) for t in data.targets]
    flexibility = candidacies(data, people)
    rate = np.array(data.rate, float)
    kept: dict[int, list[int]] = defaultdict(list)
    for s, k in keep:
        kept[k].append(s)
    for t in data.tasks:
        most = max(limit, t.max_assignees)
        if len(t.eligible) <= most:
            continue
        pool = people[t.index]
        stays = np.isin(pool, kept[t.index])
        ranked = pool[np.lexsort((flexibility[pool], rate[pool], ~stays))]
        chosen = ranked[:most].tolist()
        chosen += ranked[most:][np.isin(ranked[most:], kept[t.index])].tolist()
        t.set_aside = len(t.eligible) - len(chosen)
        t.eligible = {s: t.eligible[s] for s in chosen}
    return limit


def build_model_data(instance: Instance, eligibility: Eligibility) -> ModelData:
    """Index the instance: dates, availability, per-target eligible specialists and days."""
    dates = working_dates(instance.horizon)
    day_of = {d: i for i, d in enumerate(dates)}
    specialists = instance.specialists
    available = []
    for s in specialists:
        off = unavailable_dates(s.unavailable)
        available.append({i for i, d in enumerate(dates) if d not in off})
    always = [len(days) == len(dates) for days in available]  # no leave in the horizon
    project_ids = [p.id for p in instance.projects]
    per_hour = 10 ** cost_decimals([s.cost_per_hour for s in specialists])
    project_of = {p: i for i, p in enumerate(project_ids)}
    targets = []
    for index, (target, eligible) in enumerate(
        zip(eligibility.targets, eligibility.eligible, strict=True)
    ):
        days = [day_of[d] for d in target.dates]
        item = target.item
        data = TargetData(
            index=index,
            target=target,
            project=project_of[target.project.id],
            priority=target.project.priority,
            days=days,
            demand_q=0,
            # (one shared list for everyone with no leave: none of these lists is changed)
            eligible={
                s: days if always[s] else [d for d in days if d in available[s]] for s in eligible
            },
        )
        if isinstance(item, Workplace):
            data.daily_q = quarters(item.hours_per_day)
            data.demand_q = data.daily_q * len(days)
        else:
            effort_q = quarters(item.effort_hours)
            data.demand_q = effort_q
            data.min_daily_q = min(quarters(item.min_daily_hours), effort_q)
            data.max_assignees = item.max_assignees
        targets.append(data)
    rate = [round(s.cost_per_hour * per_hour) for s in specialists]
    return ModelData(
        instance=instance,
        eligibility=eligibility,
        dates=dates,
        available=available,
        capacity_q=[quarters(s.hours_per_day) for s in specialists],
        rate=rate,
        in_house=[s.sourcing == "in_house" for s in specialists],
        targets=targets,
        project_ids=project_ids,
        specialist_index={s.id: i for i, s in enumerate(specialists)},
        money_scale=QUARTER * per_hour,
        rate_error=max(
            (abs(s.cost_per_hour - r / per_hour) for s, r in zip(specialists, rate, strict=True)),
            default=0.0,
        ),
    )


@dataclass(frozen=True)
class PreviousPlan:
    """The previous plan in model terms, for the stability goal (spec, objective 3).

    ``fills``: (workplace target index, specialist id); ``assignees``: per task target
    index, the specialist ids that worked on it. Workplaces and tasks the instance no longer
    has are left out: nothing the plan does changes them (README, "previous plan").
    """

    fills: list[tuple[int, str]]
    assignees: dict[int, set[str]]


def previous_plan(data: ModelData) -> PreviousPlan | None:
    """Index ``instance.previous_plan`` by target (``None`` when there is none)."""
    previous = data.instance.previous_plan
    if previous is None:
        return None
    index = data.eligibility.target_index
    fills = [
        (index[("workplace", f.workplace)], f.specialist)
        for f in previous.workplaces
        if ("workplace", f.workplace) in index
    ]
    assignees: dict[int, set[str]] = {}
    for row in previous.assignments:
        k = index.get(("task", row.task)) if row.task is not None else None
        if k is not None:
            assignees.setdefault(k, set()).add(row.specialist)
    return PreviousPlan(fills, assignees)


def most_on_project(
    data: ModelData, eligible: list[dict[int, list[int]]] | None = None
) -> dict[tuple[int, int], int]:
    """Per (specialist, project) the specialist may work on: the most quarter-hours they can
    work there, i.e. the demand of the targets they are eligible for, capped by their capacity
    on the dates those targets span. ``eligible`` gives per target index the eligible
    specialists and their days (default: each target's own ``eligible``)."""
    dates: dict[tuple[int, int], set[int]] = defaultdict(set)
    demand: dict[tuple[int, int], int] = defaultdict(int)
    for t in data.targets:
        for s, days in (t.eligible if eligible is None else eligible[t.index]).items():
            dates[s, t.project].update(days)
            demand[s, t.project] += t.daily_q * len(days) if t.is_workplace else t.demand_q
    return {
        pair: min(need, data.capacity_q[pair[0]] * len(dates[pair]))
        for pair, need in demand.items()
    }
