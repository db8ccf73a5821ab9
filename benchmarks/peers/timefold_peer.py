"""The Timefold peer: the same rules in Timefold Solver, the planning engine users would pick.

Timefold Solver's Python package (``timefold``, on the machine's JDK 17) models the instance the
way its quickstarts do: planning entities with planning variables, and the rules as constraint
streams scored ``HardMediumSoftScore``:

- **hard**: every rule of the spec's "What a plan must satisfy" (eligibility through each
  entity's own value range; daily capacity, exclusivity, max assignees, projects per
  specialist, in-house share, fixed and required as constraint streams);
- **medium**: coverage, the priority-weighted unmet quarter-hours (spec, objective 1);
- **soft**: cost, hours × cost per hour plus onboarding, in the engine's money units
  (spec, objective 2). Stability is not modelled (the benchmarks compare coverage then cost).

Entities: a ``Seat`` per workplace (variable: the specialist who fills it, or nobody) and a
``Chunk`` per slice of a task's effort (variables: the specialist and the working date; an
unassigned chunk is unmet effort). Slices are at least the task's minimum daily hours, so the
minimum-daily-hours rule holds by construction; a task's effort is cut into
``effort // max(min_daily, 2 h)`` near-equal slices. Solving is Timefold's default: a
construction heuristic, then late-acceptance local search, for the time limit on Timefold's
own clock (the Python-to-Java conversion of problem and answer comes on top). When the
construction heuristic does not finish in time (the large family), the best partly built
solution is the plan: its unassigned entities are unmet hours.

What limits it, seen in the benchmarks: its moves change one slice at a time, so moving a
task with one assignee to another person breaks "max assignees" until every slice has moved
(the local search rarely gets there), and its score calculation runs at about 15 000 moves per
second with these Python-defined constraint streams. A task-assignment entity with the slices
as shadow variables would move better; that is a bigger model than a user would write first.
"""

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Annotated, Any

from allocator.eligibility import compute_eligibility
from allocator.model.data import QUARTER, ModelData, build_model_data
from allocator.model.solution import Solution
from allocator.plan import build_plan, empty_plan
from allocator.schema import Instance, Plan

CHUNK_Q = 2 * QUARTER  # least slice of a task's effort, in quarter-hours
NO_LIMIT = 1_000_000


def available() -> str | None:
    """Why the Timefold peer cannot run here (``None`` when it can)."""
    import shutil

    try:
        import timefold.solver  # noqa: F401
    except ImportError:
        return "the timefold package is not installed (pip install -e '.[dev]')"
    if shutil.which("java") is None:
        return "no java on PATH (Timefold Solver needs JDK 17+)"
    return None


def solve_timefold(
    instance: Instance,
    time_limit: float,
    *,
    on_best: Callable[[float, float, float], None] | None = None,
    chunk_q: int = CHUNK_Q,
) -> Plan:
    """Solve ``instance`` with Timefold for ``time_limit`` seconds of solver time.

    The limit is Timefold's own clock (``spent_limit``), which starts once the problem is in
    the JVM: the Python-to-Java conversion of the problem and of the answer comes on top, and
    the plan's ``wall_seconds`` includes it. ``on_best(seconds, coverage, cost)`` is called
    on every new best solution that breaks no hard constraint, with Timefold's clock, the
    priority-weighted unmet hours and the cost in currency. Raises ``NotImplementedError`` for
    fixed task assignments with hours (not modelled).
    """
    started = time.perf_counter()
    data = build_model_data(instance, compute_eligibility(instance))
    domain = _domain()
    problem = _problem(domain, data, chunk_q)
    solver = _solver(domain, time_limit)
    if on_best is not None:
        _listen(solver, data.money_scale, on_best)
    best = solver.solve(problem)
    wall = time.perf_counter() - started
    if best.score is None or best.score.hard_score < 0:
        return empty_plan(instance, "unknown", wall, {"solver": "timefold"})
    return build_plan(
        data,
        _read(data, best),
        stages=[],
        complete=False,
        wall_seconds=wall,
        statistics={
            "solver": "timefold",
            "seats": len(best.seats),
            "chunks": len(best.chunks),
            "score": str(best.score),
        },
    )


def _listen(solver: Any, money_scale: int, on_best: Callable[[float, float, float], None]) -> None:
    """Report new best scores straight from Java (the Python wrapper's listener converts the
    whole solution to Python on every event, which would slow Timefold down)."""
    from ai.timefold.solver.core.api.solver.event import SolverEventListener
    from jpype import JImplements, JOverride

    @JImplements(SolverEventListener)
    class Listener:
        @JOverride  # type: ignore[untyped-decorator]
        def bestSolutionChanged(self, event: Any) -> None:
            score = event.getNewBestScore()
            # a partly constructed solution is a plan too: its unassigned entities are unmet
            if int(score.hardScore()) == 0:
                on_best(
                    int(event.getTimeMillisSpent()) / 1000,
                    -int(score.mediumScore()) / QUARTER,
                    -int(score.softScore()) / money_scale,
                )

    solver._delegate.addEventListener(Listener())


def _read(data: ModelData, best: Any) -> Solution:
    solution = Solution()
    for seat in best.seats:
        if seat.specialist is not None:
            solution.fills[seat.target] = seat.specialist.index
    for chunk in best.chunks:
        if chunk.specialist is not None and chunk.day is not None:
            key = (chunk.specialist.index, chunk.target, chunk.day.index)
            solution.hours[key] = solution.hours.get(key, 0) + chunk.q
    return solution


@dataclass
class _Domain:
    """The Timefold classes (defined on first use: importing timefold starts a JVM)."""

    Person: Any
    Day: Any
    SeatDay: Any
    Seat: Any
    Chunk: Any
    FixedWork: Any
    ShareRule: Any
    Schedule: Any
    constraints: Any


_DOMAIN: _Domain | None = None


def _domain() -> _Domain:
    global _DOMAIN
    if _DOMAIN is not None:
        return _DOMAIN
    from timefold.solver.domain import (
        PlanningEntityCollectionProperty,
        PlanningId,
        PlanningPin,
        PlanningScore,
        PlanningVariable,
        ProblemFactCollectionProperty,
        ValueRangeProvider,
        planning_entity,
        planning_solution,
    )
    from timefold.solver.score import (
        ConstraintCollectors,
        ConstraintFactory,
        HardMediumSoftScore,
        Joiners,
        constraint_provider,
    )

    @dataclass
    class Person:
        id: Annotated[int, PlanningId]
        index: int
        capacity: int  # quarter-hours a day
        rate: int  # money units per quarter-hour
        in_house: int  # 1 in-house, 0 outsourced
        max_projects: int
        off: set[int]  # day indices unavailable
        familiar: set[int]  # project indices

        def __hash__(self) -> int:
            return self.id

    @dataclass
    class Day:
        id: Annotated[int, PlanningId]
        index: int

        def __hash__(self) -> int:
            return self.id

    @dataclass
    class SeatDay:  # a working date of a workplace's period
        id: Annotated[int, PlanningId]
        seat: int
        day: int

    @planning_entity
    @dataclass
    class Seat:
        id: Annotated[int, PlanningId]
        target: int
        project: int
        priority: int
        daily: int  # quarter-hours a day
        first: int
        last: int
        days: set[int]
        exclusive: int
        required: int
        onboarding: int  # quarter-hours of onboarding on the project
        candidates: Annotated[list[Person], ValueRangeProvider(id="seat_candidates")]
        pinned: Annotated[bool, PlanningPin] = field(default=False)
        specialist: Annotated[
            Person | None,
            PlanningVariable(value_range_provider_refs=["seat_candidates"], allows_unassigned=True),
        ] = field(default=None)

    @planning_entity
    @dataclass
    class Chunk:
        id: Annotated[int, PlanningId]
        target: int
        project: int
        priority: int
        q: int
        required: int
        max_assignees: int
        onboarding: int
        candidates: Annotated[list[Person], ValueRangeProvider(id="chunk_candidates")]
        window: Annotated[list[Day], ValueRangeProvider(id="chunk_days")]
        specialist: Annotated[
            Person | None,
            PlanningVariable(
                value_range_provider_refs=["chunk_candidates"], allows_unassigned=True
            ),
        ] = field(default=None)
        day: Annotated[Day | None, PlanningVariable(value_range_provider_refs=["chunk_days"])] = (
            field(default=None)
        )

    @dataclass
    class FixedWork:  # a fixed {specialist, task[, date]}
        id: Annotated[int, PlanningId]
        target: int
        person: int
        day: int  # -1: any date

    @dataclass
    class ShareRule:
        id: Annotated[int, PlanningId]
        project: int
        numerator: int
        denominator: int

    @planning_solution
    @dataclass
    class Schedule:
        people: Annotated[list[Person], ProblemFactCollectionProperty]
        days: Annotated[list[Day], ProblemFactCollectionProperty]
        seat_days: Annotated[list[SeatDay], ProblemFactCollectionProperty]
        fixed_work: Annotated[list[FixedWork], ProblemFactCollectionProperty]
        shares: Annotated[list[ShareRule], ProblemFactCollectionProperty]
        seats: Annotated[list[Seat], PlanningEntityCollectionProperty]
        chunks: Annotated[list[Chunk], PlanningEntityCollectionProperty]
        score: Annotated[HardMediumSoftScore | None, PlanningScore] = field(default=None)

    hard, medium, soft = (
        HardMediumSoftScore.ONE_HARD,
        HardMediumSoftScore.ONE_MEDIUM,
        HardMediumSoftScore.ONE_SOFT,
    )

    def worked_seat_days(cf: ConstraintFactory) -> Any:
        """(seat, seat day) for every date of a filled seat's period."""
        return cf.for_each(Seat).join(
            SeatDay, Joiners.equal(lambda seat: seat.id, lambda sd: sd.seat)
        )

    def work(cf: ConstraintFactory) -> Any:
        """(specialist, day, quarter-hours, project) of every planned slice of work."""
        seats = (
            worked_seat_days(cf)
            .filter(lambda seat, sd: sd.day not in seat.specialist.off)
            .map(
                lambda seat, sd: seat.specialist,
                lambda seat, sd: sd.day,
                lambda seat, sd: seat.daily,
                lambda seat, sd: seat.project,
            )
        )
        chunks = cf.for_each(Chunk).map(
            lambda c: c.specialist,
            lambda c: c.day.index,
            lambda c: c.q,
            lambda c: c.project,
        )
        return seats.concat(chunks)

    def daily_capacity(cf: ConstraintFactory) -> Any:
        return (
            work(cf)
            .group_by(
                lambda p, d, q, j: p,
                lambda p, d, q, j: d,
                ConstraintCollectors.sum(lambda p, d, q, j: q),
            )
            .filter(lambda p, d, q: q > p.capacity)
            .penalize(hard, lambda p, d, q: q - p.capacity)
            .as_constraint("daily capacity")
        )

    def leave(cf: ConstraintFactory) -> Any:
        return (
            cf.for_each(Chunk)
            .filter(lambda c: c.day.index in c.specialist.off)
            .penalize(hard, lambda c: c.q)
            .as_constraint("no work on leave")
        )

    def exclusive_seat_and_task(cf: ConstraintFactory) -> Any:
        return (
            cf.for_each(Chunk)
            .join(
                Seat,
                Joiners.equal(lambda c: c.specialist, lambda seat: seat.specialist),
                Joiners.filtering(lambda c, seat: seat.exclusive == 1),
            )
            .filter(lambda c, seat: c.day.index in seat.days)
            .penalize(hard)
            .as_constraint("exclusivity (task)")
        )

    def exclusive_seat_and_seat(cf: ConstraintFactory) -> Any:
        return (
            cf.for_each_unique_pair(
                Seat,
                Joiners.equal(lambda s: s.specialist),
                Joiners.overlapping(lambda s: s.first, lambda s: s.last + 1),
            )
            .filter(lambda a, b: a.exclusive + b.exclusive > 0)
            .penalize(hard)
            .as_constraint("exclusivity (workplace)")
        )

    def joins(cf: ConstraintFactory) -> Any:
        """(specialist, project, onboarding quarter-hours) for every project a person works on."""
        seats = cf.for_each(Seat).map(
            lambda s: s.specialist, lambda s: s.project, lambda s: s.onboarding
        )
        chunks = cf.for_each(Chunk).map(
            lambda c: c.specialist, lambda c: c.project, lambda c: c.onboarding
        )
        return seats.concat(chunks).distinct()

    def max_projects(cf: ConstraintFactory) -> Any:
        return (
            joins(cf)
            .group_by(
                lambda p, j, o: p,
                ConstraintCollectors.count_distinct(lambda p, j, o: j),
            )
            .filter(lambda p, n: n > p.max_projects)
            .penalize(hard, lambda p, n: n - p.max_projects)
            .as_constraint("projects per specialist")
        )

    def in_house_share(cf: ConstraintFactory) -> Any:
        return (
            work(cf)
            .group_by(
                lambda p, d, q, j: j,
                ConstraintCollectors.sum(lambda p, d, q, j: q * p.in_house),
                ConstraintCollectors.sum(lambda p, d, q, j: q),
            )
            .join(ShareRule, Joiners.equal(lambda j, inside, total: j, lambda r: r.project))
            .filter(lambda j, inside, total, r: inside * r.denominator < total * r.numerator)
            .penalize(
                hard,
                lambda j, inside, total, r: total * r.numerator - inside * r.denominator,
            )
            .as_constraint("in-house share")
        )

    def max_assignees(cf: ConstraintFactory) -> Any:
        return (
            cf.for_each(Chunk)
            .group_by(
                lambda c: c.target,
                lambda c: c.max_assignees,
                ConstraintCollectors.count_distinct(lambda c: c.specialist),
            )
            .filter(lambda t, m, n: n > m)
            .penalize(hard, lambda t, m, n: n - m)
            .as_constraint("max assignees")
        )

    def fixed_task(cf: ConstraintFactory) -> Any:
        return (
            cf.for_each(FixedWork)
            .if_not_exists(
                Chunk,
                Joiners.equal(lambda f: f.target, lambda c: c.target),
                Joiners.filtering(
                    lambda f, c: (
                        c.specialist.index == f.person and (f.day < 0 or c.day.index == f.day)
                    )
                ),
            )
            .penalize(hard)
            .as_constraint("fixed task assignment")
        )

    def required_seat(cf: ConstraintFactory) -> Any:
        return (
            cf.for_each_including_unassigned(Seat)
            .filter(lambda s: s.required == 1 and s.specialist is None)
            .penalize(hard)
            .as_constraint("required workplace filled")
        )

    def required_seat_days(cf: ConstraintFactory) -> Any:
        return (
            worked_seat_days(cf)
            .filter(lambda s, sd: s.required == 1 and sd.day in s.specialist.off)
            .penalize(hard)
            .as_constraint("required workplace worked every date")
        )

    def undone_chunks(cf: ConstraintFactory) -> Any:
        """Slices nobody does: unmet effort."""
        return cf.for_each_including_unassigned(Chunk).filter(lambda c: c.specialist is None)

    def required_task(cf: ConstraintFactory) -> Any:
        return (
            undone_chunks(cf)
            .filter(lambda c: c.required == 1)
            .penalize(hard)
            .as_constraint("required task done")
        )

    def unmet_seat(cf: ConstraintFactory) -> Any:
        return (
            cf.for_each_including_unassigned(Seat)
            .filter(lambda s: s.specialist is None)
            .penalize(medium, lambda s: s.priority * s.daily * len(s.days))
            .as_constraint("coverage: unfilled workplace")
        )

    def unmet_seat_days(cf: ConstraintFactory) -> Any:
        return (
            worked_seat_days(cf)
            .filter(lambda s, sd: sd.day in s.specialist.off)
            .penalize(medium, lambda s, sd: s.priority * s.daily)
            .as_constraint("coverage: workplace date on leave")
        )

    def unmet_task(cf: ConstraintFactory) -> Any:
        return (
            undone_chunks(cf)
            .penalize(medium, lambda c: c.priority * c.q)
            .as_constraint("coverage: undone task effort")
        )

    def hours_cost(cf: ConstraintFactory) -> Any:
        return work(cf).penalize(soft, lambda p, d, q, j: q * p.rate).as_constraint("cost: hours")

    def onboarding_cost(cf: ConstraintFactory) -> Any:
        return (
            joins(cf)
            .filter(lambda p, j, o: o > 0 and j not in p.familiar)
            .penalize(soft, lambda p, j, o: o * p.rate)
            .as_constraint("cost: onboarding")
        )

    @constraint_provider
    def constraints(cf: ConstraintFactory) -> list[Any]:
        return [
            daily_capacity(cf),
            leave(cf),
            exclusive_seat_and_task(cf),
            exclusive_seat_and_seat(cf),
            max_assignees(cf),
            max_projects(cf),
            in_house_share(cf),
            fixed_task(cf),
            required_seat(cf),
            required_seat_days(cf),
            required_task(cf),
            unmet_seat(cf),
            unmet_seat_days(cf),
            unmet_task(cf),
            hours_cost(cf),
            onboarding_cost(cf),
        ]

    _DOMAIN = _Domain(
        Person, Day, SeatDay, Seat, Chunk, FixedWork, ShareRule, Schedule, constraints
    )
    return _DOMAIN


def _slices(demand_q: int, least_q: int) -> list[int]:
    """Cut ``demand_q`` into near-equal slices of at least ``least_q`` (one if it is less)."""
    n = max(1, demand_q // max(1, least_q))
    return [demand_q // n + (1 if i < demand_q % n else 0) for i in range(n)]


def _problem(domain: _Domain, data: ModelData, chunk_q: int) -> Any:
    instance = data.instance
    project_of = {p: i for i, p in enumerate(data.project_ids)}
    people = [
        domain.Person(
            id=i,
            index=i,
            capacity=data.capacity_q[i],
            rate=data.rate[i],
            in_house=int(data.in_house[i]),
            max_projects=s.max_projects or NO_LIMIT,
            off=set(range(len(data.dates))) - data.available[i],
            familiar={project_of[p] for p in s.familiar_projects if p in project_of},
        )
        for i, s in enumerate(instance.specialists)
    ]
    days = [domain.Day(id=i, index=i) for i in range(len(data.dates))]
    day_of = {d: i for i, d in enumerate(data.dates)}
    onboarding = [round(p.onboarding_hours * QUARTER) for p in instance.projects]
    fixed: dict[str, list[tuple[int, int]]] = defaultdict(list)  # target id -> (person, day)
    for f in instance.fixed:
        if f.task is not None and f.hours is not None:
            raise NotImplementedError("fixed task assignments with hours")
        day = day_of[f.date] if f.date is not None else -1
        fixed[f.workplace or f.task or ""].append((data.specialist_index[f.specialist], day))
    seats: list[Any] = []
    seat_days: list[Any] = []
    chunks: list[Any] = []
    fixed_work: list[Any] = []
    for t in data.targets:
        item = t.target.item
        locked = fixed.get(item.id, [])
        candidates = [people[s] for s in t.eligible]
        if t.is_workplace:
            seat = domain.Seat(
                id=len(seats),
                target=t.index,
                project=t.project,
                priority=t.priority,
                daily=t.daily_q,
                first=min(t.days, default=0),
                last=max(t.days, default=-1),
                days=set(t.days),
                exclusive=int(t.exclusive),
                required=int(item.required),
                onboarding=onboarding[t.project],
                candidates=candidates,
                pinned=bool(locked),
                specialist=people[locked[0][0]] if locked else None,
            )
            seats.append(seat)
            seat_days += [
                domain.SeatDay(id=len(seat_days) + i, seat=seat.id, day=d)
                for i, d in enumerate(t.days)
            ]
            continue
        for q in _slices(t.demand_q, max(t.min_daily_q, chunk_q)):
            chunks.append(
                domain.Chunk(
                    id=len(chunks),
                    target=t.index,
                    project=t.project,
                    priority=t.priority,
                    q=q,
                    required=int(item.required),
                    max_assignees=t.max_assignees,
                    onboarding=onboarding[t.project],
                    candidates=candidates,
                    window=[days[d] for d in t.days],
                )
            )
        fixed_work += [
            domain.FixedWork(len(fixed_work) + n, t.index, person, day)
            for n, (person, day) in enumerate(locked)
        ]
    shares = []
    for j, project in enumerate(instance.projects):
        share = Fraction(project.min_in_house_share).limit_denominator(10_000)
        if share > 0:
            shares.append(domain.ShareRule(j, j, share.numerator, share.denominator))
    return domain.Schedule(people, days, seat_days, fixed_work, shares, seats, chunks)


def _solver(domain: _Domain, seconds: float) -> Any:
    from timefold.solver import SolverFactory
    from timefold.solver.config import (
        Duration,
        ScoreDirectorFactoryConfig,
        SolverConfig,
        TerminationConfig,
    )

    config = SolverConfig(
        solution_class=domain.Schedule,
        entity_class_list=[domain.Seat, domain.Chunk],
        score_director_factory_config=ScoreDirectorFactoryConfig(
            constraint_provider_function=domain.constraints
        ),
        termination_config=TerminationConfig(
            spent_limit=Duration(milliseconds=int(seconds * 1000))
        ),
    )
    return SolverFactory.create(config).build_solver()
