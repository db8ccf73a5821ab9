"""Large-neighbourhood search around the incumbent plan, one small CP-SAT model at a time.

On two cores CP-SAT's own neighbourhoods of a 30 000-variable model run about one a second
(each presolves the whole model), so a 100-specialist plan improves slowly. Here each round
frees a few specialists chosen around one goal's weak spot, keeps everyone else's work, and
solves the residual model (:mod:`allocator.model.neighbourhood`), which has a few thousand
variables. The earlier goals of ``objective.order`` are pinned at the incumbent's values
inside the small model, so no round trades them away; a round's plan is kept when it is
lexicographically at least as good as the incumbent.

Neighbourhoods grow around a seed target (for coverage an unmet one, weighted by priority and
unmet hours; for cost a staffed one, weighted by its money; for stability one worked on a
split day): its candidates are freed, then the candidates of what they currently work on,
until the round's size is reached. The freed specialists may work on the projects met on the
way only, which keeps each small model at a few thousand variables even on 400 specialists
and 60 days. The size adapts: up after a round proven optimal, down after one that ran out of
time. Rounds are short (:data:`ROUND_SECONDS`): measured on the medium instance (15 s of
coverage), 0.25 s rounds reach about 380 weighted unmet hours, 1 s rounds about 570 and 2 s
rounds about 1,000.
"""

from __future__ import annotations

import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from allocator.model.build import build_model
from allocator.model.data import QUARTER, ModelData
from allocator.model.neighbourhood import residual
from allocator.model.solution import Solution, evaluate, read_solution
from allocator.schema import Goal

ROUND_SECONDS = 0.25  # time limit of one round's small model
MIN_FREED, START_FREED, MAX_FREED = 4, 8, 60  # specialists one round frees: range, start


@dataclass
class LnsStats:
    rounds: int = 0
    improving: int = 0
    proven: int = 0  # rounds whose small model was solved to optimality
    freed: int = 0  # size of the last neighbourhood


def _units(data: ModelData, goal: Goal, value: float) -> int:
    """A goal value (reported units) in the model's integer units."""
    return round(value * {"coverage": QUARTER, "cost": data.money_scale}.get(goal, 1))


def _key(data: ModelData, solution: Solution, goals: list[Goal]) -> list[float]:
    values = evaluate(data, solution, stable="stability" in goals)
    return [values[g] for g in goals]


Row = tuple[int, int, int, int]  # (specialist, target, day, quarter-hours)


def _seed(
    data: ModelData, rows: list[Row], goal: Goal, freeable: list[bool], rng: random.Random
) -> int | None:
    """A target to grow the neighbourhood from (weighted by what ``goal`` loses on it),
    among those with a candidate the search may free (``freeable``)."""
    if goal == "coverage":
        unmet = [t.demand_q for t in data.targets]
        for _, k, _, q in rows:
            unmet[k] -= q
        weights = [t.priority * unmet[t.index] for t in data.targets]
    elif goal == "stability":  # targets worked on split days
        on_day: dict[tuple[int, int], set[int]] = defaultdict(set)
        for s, k, d, _ in rows:
            on_day[s, d].add(k)
        split = [0] * len(data.targets)
        for worked in on_day.values():
            if len({data.targets[k].project for k in worked}) > 1:
                for k in worked:
                    split[k] += 1
        weights = split
    else:
        money: dict[int, int] = defaultdict(int)
        for s, k, _, q in rows:
            money[k] += data.rate[s] * q
        weights = [money[t.index] for t in data.targets]
    weights = [w if ok else 0 for w, ok in zip(weights, freeable, strict=True)]
    if sum(weights) <= 0:
        return None
    return rng.choices(range(len(data.targets)), weights=weights)[0]


def _neighbourhood(
    data: ModelData,
    rows: list[Row],
    seed: int,
    size: int,
    locked: set[int],
    rng: random.Random,
) -> tuple[set[int], set[int]]:
    """About ``size`` specialists around target ``seed`` (never one in ``locked``), and the
    projects of the targets met on the way (where the freed specialists may then work)."""
    works_on: dict[int, set[int]] = defaultdict(set)
    for s, k, _, _ in rows:
        works_on[s].add(k)
    freed: set[int] = set()
    queue, seen = [seed], {seed}
    others: list[int] | None = None  # the other targets in random order, drawn when needed
    while queue and len(freed) < size:
        k = queue.pop(0)
        candidates = [s for s in data.targets[k].eligible if s not in locked and s not in freed]
        rng.shuffle(candidates)
        for s in candidates[: max(2, size // 4)]:
            freed.add(s)
            for other in works_on[s]:
                if other not in seen:
                    seen.add(other)
                    queue.append(other)
            if len(freed) >= size:
                break
        if not queue and len(freed) < size:
            if others is None:
                others = [k for k in range(len(data.targets)) if k not in seen]
                rng.shuffle(others)
            while others and others[-1] in seen:
                others.pop()
            if others:
                k = others.pop()
                seen.add(k)
                queue.append(k)
    return freed, {data.targets[k].project for k in seen}


def improve(
    data: ModelData,
    solution: Solution,
    goals: list[Goal],
    deadline: float,
    *,
    workers: int = 1,
    seed: int = 0,
    stop: threading.Event | None = None,
    bound: float | None = None,
    on_improve: Callable[[Solution, list[float]], None] | None = None,
) -> tuple[Solution, LnsStats]:
    """Improve ``solution`` on ``goals[-1]`` with ``goals[:-1]`` never worse, until ``deadline``.

    ``solution`` must satisfy every hard rule (each round's plan then does too). The search
    ends early once the goal reaches ``bound`` (a proven lower bound, reported units).
    ``on_improve(plan, values)`` is called with each strictly better plan and its goal values
    (reported units, ``goals`` order). Returns the best plan found and the search's
    statistics.

    Raises ``ValueError`` when ``goals`` holds stability and the instance has a previous plan:
    a neighbourhood's model counts split days only, not the changes against that plan.
    """
    goal = goals[-1]
    stable = "stability" in goals
    if stable and data.instance.previous_plan is not None:
        raise ValueError("stability against a previous plan is not searched by neighbourhoods")
    rng = random.Random(seed)
    locked = {data.specialist_index[f.specialist] for f in data.instance.fixed}
    freeable = [any(s not in locked for s in t.eligible) for t in data.targets]
    size = min(START_FREED, len(data.capacity_q) - len(locked))
    stats = LnsStats()
    best, best_key = solution, _key(data, solution, goals)
    rows = best.rows(data)
    while time.perf_counter() < deadline - 0.2 and not (stop is not None and stop.is_set()):
        if size <= 0 or (bound is not None and best_key[-1] <= bound + 1e-9):
            break
        target = _seed(data, rows, goal, freeable, rng)
        if target is None:
            break
        freed, projects = _neighbourhood(data, rows, target, size, locked, rng)
        stats.rounds += 1
        stats.freed = len(freed)
        if not freed:
            continue
        res = residual(data, best, freed, projects, rows)
        if not res.data.targets:
            continue
        built = build_model(res.data.instance, data=res.data)
        part = res.restrict(best)
        before = evaluate(res.data, part, stable=stable)
        for pinned in goals[:-1]:
            built.model.add(built.goal(pinned) <= _units(res.data, pinned, before[pinned]))
        built.model.minimize(built.goal(goal))
        built.hint_from(part)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = workers
        solver.parameters.random_seed = rng.randrange(1 << 30)
        solver.parameters.max_time_in_seconds = max(
            0.05, min(ROUND_SECONDS, deadline - time.perf_counter())
        )
        status = solver.solve(built.model)
        if status == cp_model.OPTIMAL:
            stats.proven += 1
            size = min(MAX_FREED, size + 1 + size // 10)
        else:
            size = max(MIN_FREED, size * 4 // 5)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            continue
        found = read_solution(list(solver.response_proto.solution), built.ctx.vars)
        after = evaluate(res.data, found, stable=stable)
        # each goal of the whole plan moves exactly as the small model's (see residual)
        key = [value + after[g] - before[g] for value, g in zip(best_key, goals, strict=True)]
        if key > best_key:
            continue
        best = res.merge(best, found)
        rows = best.rows(data)
        if key < best_key:
            stats.improving += 1
            if on_improve is not None:
                on_improve(best, key)
        best_key = key
    return best, stats
