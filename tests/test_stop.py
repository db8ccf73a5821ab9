"""Stopping a solve keeps the best plan; the greedy plans it may fall back on are valid."""

from __future__ import annotations

import threading
import time

import highspy
import numpy as np
import pytest
from conftest import greedy_breaking_lock, greedy_worked_task, solve_module

from allocator import SolveOptions, check_plan, load_instance, solve
from allocator.eligibility import compute_eligibility
from allocator.generate import GeneratorConfig, generate_instance
from allocator.greedy import best_greedy, greedy_solution
from allocator.model import relaxation
from allocator.model.aggregate import aggregate_bound
from allocator.model.build import build_model
from allocator.model.data import build_model_data
from allocator.model.relaxation import lp_bound, lp_solver, run, to_highs
from allocator.plan import build_plan


def _instance(seed: int, specialists: int = 40, days: int = 15) -> dict[str, object]:
    return generate_instance(
        GeneratorConfig(seed=seed, specialists=specialists, projects=5, days=days)
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("ordering", ["manager", "scarcity"])
@pytest.mark.parametrize("roomy", [False, True])
def test_greedy_plans_pass_the_checker(seed: int, ordering: str, roomy: bool) -> None:
    instance = load_instance(_instance(seed, specialists=25, days=10))
    data = build_model_data(instance, compute_eligibility(instance))
    solution = greedy_solution(data, ordering=ordering, roomy=roomy)  # type: ignore[arg-type]
    plan = build_plan(data, solution, stages=[], complete=False, wall_seconds=0, statistics={})
    report = check_plan(instance, plan)
    assert report.ok, report.violations
    assert plan.assignments


def test_stop_before_the_search_keeps_the_greedy_plan() -> None:
    instance = load_instance(_instance(4))
    stop = threading.Event()
    stop.set()
    plan = solve(instance, SolveOptions(time_limit=30, workers=2, stop=stop))
    assert plan.status == "feasible"
    assert plan.statistics["stopped"]
    assert check_plan(instance, plan).ok


def test_stop_before_the_search_keeps_a_greedy_plan_that_keeps_the_locked_items() -> None:
    data = _instance(5)
    lock = greedy_worked_task(data)
    specialist, task = lock["specialist"], lock["task"]
    for item in data["tasks"]:  # type: ignore[attr-defined]
        item["required"] = item["id"] == task
    data["fixed"] = [{"specialist": specialist, "task": task}]
    instance = load_instance(data)
    stop = threading.Event()
    stop.set()
    plan = solve(instance, SolveOptions(time_limit=30, workers=2, stop=stop))
    assert plan.status == "feasible" and plan.statistics["stopped"]
    report = check_plan(instance, plan)
    assert report.ok, report.violations
    assert not [u for u in plan.unmet if u.task == task]


def test_stop_before_the_search_with_locked_items_the_greedy_plan_breaks_gives_no_plan() -> None:
    data = _instance(5)
    data["fixed"] = [greedy_breaking_lock(data)]
    instance = load_instance(data)
    stop = threading.Event()
    stop.set()
    plan = solve(instance, SolveOptions(time_limit=30, workers=2, stop=stop))
    assert plan.status == "unknown" and not plan.assignments
    assert check_plan(instance, plan).ok


def test_stop_during_a_long_solve_returns_the_best_plan_soon() -> None:
    instance = load_instance(_instance(6, specialists=60, days=20))
    stop = threading.Event()
    threading.Timer(2.0, stop.set).start()
    started = time.perf_counter()
    plan = solve(instance, SolveOptions(time_limit=120, workers=2, stop=stop))
    assert time.perf_counter() - started < 30  # far below the 120 s limit
    assert plan.status == "feasible"
    assert check_plan(instance, plan).ok


@pytest.mark.usefixtures("neighbourhoods_only")
def test_stop_before_a_cost_first_search_over_cut_candidates_explains_with_all_of_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # neighbourhoods only, candidates cut, cost first: the cost stage's rounds take the cut,
    # but a plan stopped before them explains its unmet items with every candidate
    monkeypatch.setattr(solve_module, "TRIPLE_BUDGET", 200)
    raw = _instance(5, specialists=30, days=10)
    raw["objective"] = {"order": ["cost", "coverage", "stability"]}
    instance = load_instance(raw)
    stop = threading.Event()
    stop.set()
    plan = solve(instance, SolveOptions(time_limit=30, workers=2, stop=stop))
    assert plan.statistics["stopped"] and plan.statistics["model"] == "neighbourhoods"
    assert check_plan(instance, plan).ok
    data = build_model_data(instance, compute_eligibility(instance))
    order = list(instance.objective.order)
    expected = build_plan(
        data,
        best_greedy(data, order),
        stages=[(g, None, None) for g in order],
        complete=False,
        wall_seconds=0,
        statistics={},
    )
    assert check_plan(instance, expected).ok
    assert plan.unmet  # the explanations below are compared on something
    assert [u.model_dump() for u in plan.unmet] == [u.model_dump() for u in expected.unmet]


def test_a_set_stop_ends_the_relaxations() -> None:
    instance = load_instance(_instance(7, specialists=25, days=10))
    data = build_model_data(instance, compute_eligibility(instance))
    built = build_model(instance, data=data)
    built.model.minimize(built.goal("coverage"))
    stop = threading.Event()
    assert lp_bound(built.model, 30, stop=stop).value is not None  # not set: solved
    stop.set()
    stopped = lp_bound(built.model, 30, stop=stop)
    assert stopped.value is None and "stopped" in stopped.status
    eligible = [t.eligible for t in data.targets]
    assert aggregate_bound(data, eligible, "coverage", stop=threading.Event()) is not None
    assert aggregate_bound(data, eligible, "coverage", stop=stop) is None
    # no run starts once it is set
    for method in ("simplex", "ipm"):
        solver = lp_solver(30, method)
        solver.passModel(to_highs(built.model))
        run(solver, stop)
        assert solver.getModelStatus() != highspy.HighsModelStatus.kOptimal


def _slow_lp() -> highspy.HighsLp:
    """The coverage LP of a 40-specialist instance (about 2 800 simplex iterations)."""
    instance = load_instance(_instance(7, specialists=40, days=15))
    built = build_model(instance)
    built.model.minimize(built.goal("coverage"))
    return to_highs(built.model)


def test_interior_point_ends_soon_after_the_stop_is_set() -> None:
    lp = _slow_lp()
    stop = threading.Event()
    solver = lp_solver(60, "ipm")
    solver.passModel(lp)
    timer = threading.Timer(0.01, stop.set)  # at HiGHS's interrupt checks
    timer.start()
    run(solver, stop)
    timer.join()
    assert solver.getModelStatus() == highspy.HighsModelStatus.kInterrupt


def test_a_simplex_from_a_basis_in_slices_ends_at_the_optimum_of_one_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a round of cuts is solved again from the last basis in slices, each going on from
    # where the last stopped: its optimum is a one-shot solve's; a stop set meanwhile ends it
    lp = _slow_lp()
    first = lp_solver(60)
    first.passModel(lp)
    first.run()
    assert first.getModelStatus() == highspy.HighsModelStatus.kOptimal
    x = np.array(first.getSolution().col_value)
    # rows its optimum breaks: every column above an hour at most half of it
    cols = np.flatnonzero(x > 1)
    assert len(cols) > 10

    def resolved(stop: threading.Event | None) -> tuple[highspy.Highs, list[float]]:
        solver = lp_solver(60)
        solver.passModel(lp)
        solver.run()  # the first solve, whole
        runs: list[float] = []
        original = solver.run

        def counted() -> highspy.HighsStatus:
            runs.append(solver.getRunTime())
            return original()

        solver.run = counted  # type: ignore[method-assign]
        n = len(cols)
        lower = np.full(n, -highspy.kHighsInf)
        solver.addRows(n, lower, x[cols] / 2, n, np.arange(n), cols, np.ones(n))
        run(solver, stop)
        return solver, runs

    whole, _ = resolved(None)
    assert whole.getModelStatus() == highspy.HighsModelStatus.kOptimal
    optimum = whole.getInfo().objective_function_value
    assert optimum > first.getInfo().objective_function_value  # the rows bind
    monkeypatch.setattr(relaxation, "SIMPLEX_SLICE", 0.05)  # its 0.4 s in slices
    sliced, runs = resolved(threading.Event())
    assert len(runs) > 1  # it was sliced
    assert sliced.getModelStatus() == highspy.HighsModelStatus.kOptimal
    assert sliced.getInfo().objective_function_value == pytest.approx(optimum, rel=1e-9)
    assert sliced.getOptionValue("time_limit")[1] == 60  # restored
    stop = threading.Event()
    timer = threading.Timer(0.0, stop.set)
    timer.start()
    stopped, _ = resolved(stop)
    timer.join()
    assert stopped.getModelStatus() != highspy.HighsModelStatus.kOptimal
