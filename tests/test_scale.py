"""Scale devices: LP bounds are valid, candidate restriction keeps plans valid and honest."""

from __future__ import annotations

import json
import math
import time
from concurrent.futures import Future
from typing import Any

import pytest
from conftest import (
    INSTANCES,
    check_solution,
    instance_dict,
    person,
    solve_checked,
    solve_module,
    task,
)

from allocator import SolveOptions, check_plan, load_instance, load_instance_file, solve
from allocator.eligibility import compute_eligibility
from allocator.generate import GeneratorConfig, generate_instance
from allocator.greedy import best_greedy
from allocator.lns import improve
from allocator.model import aggregate
from allocator.model.aggregate import CapBound, Period, aggregate_bound, cost_bound_under_cap
from allocator.model.build import BuiltModel, build_model
from allocator.model.constraints.max_projects import day_cuts
from allocator.model.data import QUARTER, ModelData, build_model_data
from allocator.model.relaxation import CUT_GAIN_ENOUGH, lp_bound, rounded_up
from allocator.model.solution import evaluate
from allocator.model.variables import count_variables


def _generated(seed: int, specialists: int = 25) -> dict[str, object]:
    config = GeneratorConfig(seed=seed, specialists=specialists, projects=4, days=10)
    return generate_instance(config)


@pytest.mark.parametrize("seed", [3, 4])
def test_bounds_never_exceed_the_plan(seed: int) -> None:
    instance = load_instance(_generated(seed))
    plan = solve(instance, SolveOptions(time_limit=6, workers=2))
    report = check_plan(instance, plan)
    assert report.ok, report.violations
    for goal, bound in plan.bound.items():
        assert bound <= report.objective[goal] + 1e-6, goal
    data = build_model_data(instance, compute_eligibility(instance))
    eligible = [t.eligible for t in data.targets]
    coverage = aggregate_bound(data, eligible, "coverage")
    assert coverage is not None
    assert coverage / QUARTER <= report.objective["coverage"] + 1e-6
    capped = aggregate_bound(
        data, eligible, "cost", coverage_cap=report.objective["coverage"] * QUARTER
    )
    assert capped is not None
    assert capped / data.money_scale <= report.objective["cost"] + 1e-6


@pytest.mark.parametrize("seed", [1, 3])
def test_the_implications_onto_the_joins_raise_the_cost_bound_and_keep_it_valid(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the proven optimum (seed 1: 14,268; seed 3: 11,192) against the aggregated cost bound
    # under its coverage, without the implications (13,673 and 11,163) and with them (13,961
    # and 11,192)
    config = GeneratorConfig(seed=seed, specialists=8, projects=3, days=5, tightness=0.8)
    instance = load_instance(generate_instance(config))
    plan = solve_checked(instance.model_dump(mode="json"), time_limit=10)
    assert plan.status == "optimal"
    data = build_model_data(instance, compute_eligibility(instance))
    eligible = [t.eligible for t in data.targets]
    cap = plan.objective["coverage"] * QUARTER
    bounds = []
    for columns in (0, aggregate.SEPARATION_MAX_COLUMNS):  # none separated, then as solved
        monkeypatch.setattr(aggregate, "SEPARATION_MAX_COLUMNS", columns)
        value = aggregate_bound(data, eligible, "cost", coverage_cap=cap)
        assert value is not None
        bounds.append(value / data.money_scale)
    plain, separated = bounds
    assert plain < separated <= plan.objective["cost"] + 1e-6


def test_a_short_solve_still_bounds_cost() -> None:
    # medium in 15 s: the cost stage's relaxation has about 3 s, too few for the per-day LP
    # (about 4 s), so the horizon's (0.2 s) stands; the day's alone had left the bound at 0.
    # (10 s once left it no time at all, in the fresh-clone CI on a slower, loaded machine)
    data = json.loads((INSTANCES / "medium.json").read_text(encoding="utf-8"))
    plan = solve_checked(data, time_limit=15)
    assert plan.bound["cost"] > 0.8 * plan.objective["cost"]


def test_an_lp_bound_is_rounded_up_past_the_solvers_tolerances_only() -> None:
    assert rounded_up(575.2) == 576
    assert rounded_up(576.00000001) == 576
    assert rounded_up(0.002) == 0  # noise of an LP whose optimum is 0
    assert rounded_up(-0.002) == 0
    assert rounded_up(2.6e6 + 1.0) == 2.6e6 - 1  # 1e-6 of it: a bound, if a weaker one


def _five_days() -> dict[str, object]:
    """20 specialists, 3 projects, 5 days, demand equal to capacity (seed 4)."""
    config = GeneratorConfig(seed=4, specialists=20, projects=3, days=5, tightness=1.0)
    return generate_instance(config)


def test_a_stage_bound_is_rounded_up_to_the_goals_units() -> None:
    # the model LP bounds this instance's coverage by 575.2 weighted quarter-hours, which are
    # integers: the stage's bound is 576 of them (the aggregated relaxation gives 572.8)
    instance = load_instance(_five_days())
    data = build_model_data(instance, compute_eligibility(instance))
    built = build_model(instance, data=data)
    built.model.minimize(built.goal("coverage"))
    lp = lp_bound(built.model, 10.0, linearize_enforced=False)
    assert lp.value == pytest.approx(575.2)
    unrestricted = [t.eligible for t in data.targets]
    relaxations = solve_module._Relaxations(
        data, built, "coverage", unrestricted, [], cut=False, stop=None
    )
    assert relaxations.bound(time.perf_counter() + 10.0) == 576 / QUARTER
    plan = solve(instance, SolveOptions(time_limit=4, workers=2))
    report = check_plan(instance, plan)
    assert report.ok, report.violations
    assert 576 / QUARTER <= plan.bound["coverage"] <= report.objective["coverage"]


def test_a_cost_stage_with_its_bound_at_hand_skips_the_lp_that_has_no_time_to_better_it() -> None:
    instance = load_instance(_five_days())
    data = build_model_data(instance, compute_eligibility(instance))
    built = build_model(instance, data=data)
    unrestricted = [t.eligible for t in data.targets]
    coverage = aggregate_bound(data, unrestricted, "coverage")
    assert coverage is not None
    cap = math.ceil(coverage) + 40  # a coverage reached (model units)
    built.model.add(built.goal("coverage") <= cap)
    built.model.minimize(built.goal("cost"))
    early: Future[CapBound | None] = Future()
    early.set_result(cost_bound_under_cap(data, unrestricted, cap))
    stages = [solve_module.StageResult("coverage", "FEASIBLE", cap / QUARTER, None, 1.0)]
    needed = solve_module.LP_SECONDS_PER_VARIABLE * len(built.model.proto.variables)

    def relaxations(time_limit: float, bound: Future[CapBound | None] | None) -> Any:
        found = solve_module._Relaxations(
            data, built, "cost", unrestricted, stages, cut=False, stop=None, early=bound
        )
        found.solve(time_limit)
        return found

    short = relaxations(needed / 2, early)
    assert short.lp.value is None and "skipped" in short.lp.status
    assert short.valid is not None and short.valid > 0  # the bound at hand stands
    assert short.floor == pytest.approx(short.valid * data.goal_scale("cost"))
    assert relaxations(needed + 5, early).lp.value is not None  # time enough: solved
    assert relaxations(needed / 2, None).lp.value is not None  # no bound at hand: solved


def test_candidate_restriction_keeps_plans_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(solve_module, "TRIPLE_BUDGET", 200)
    instance = load_instance(_generated(5, specialists=30))
    plan = solve(instance, SolveOptions(time_limit=6, workers=2))
    report = check_plan(instance, plan)
    assert report.ok, report.violations
    assert plan.statistics["candidates_per_task"]
    assert plan.status == "feasible"  # a cut model proves nothing about the instance
    # coverage: the aggregated relaxation over every eligible pair and the whole horizon
    data = build_model_data(instance, compute_eligibility(instance))
    eligible = [t.eligible for t in data.targets]
    horizon = aggregate_bound(data, eligible, "coverage", period="horizon")
    assert horizon is not None
    assert plan.bound["coverage"] == math.ceil(horizon - 1e-6) / QUARTER
    assert plan.bound["coverage"] <= report.objective["coverage"]
    # cost: the aggregated relaxation over every eligible pair, under the coverage reached
    assert 0 < plan.bound["cost"] <= report.objective["cost"] + 1e-6
    restricted = [u for u in plan.unmet if any("left out" in r for r in u.reasons)]
    assert all(u.task for u in restricted)


@pytest.mark.usefixtures("neighbourhoods_only")
def test_without_a_whole_model_coverage_rounds_take_every_candidate_and_cost_the_cut(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # as on the large instance: candidates cut, and the stages all neighbourhoods
    monkeypatch.setattr(solve_module, "TRIPLE_BUDGET", 200)
    instance = load_instance(_generated(5, specialists=30))
    assert not solve_module.has_locked_items(instance)
    plan = solve(instance, SolveOptions(time_limit=6, workers=2))
    report = check_plan(instance, plan)
    assert report.ok, report.violations
    assert plan.statistics["model"] == "neighbourhoods"
    assert plan.statistics["candidates_per_task"] is None  # no cut in force at the end
    data = build_model_data(instance, compute_eligibility(instance))
    assert plan.statistics["variables"] == count_variables(data)  # over every candidate
    assert not [u for u in plan.unmet if any("left out" in r for r in u.reasons)]
    # the candidates of each stage's rounds
    unrestricted = [t.eligible for t in data.targets]
    start = best_greedy(data, ["coverage", "cost"])
    check_solution(instance, data, start)
    solve_module._search_candidates(data, unrestricted, "cost", start)
    cut = [t.eligible for t in data.targets]
    assert sum(map(len, cut)) < sum(map(len, unrestricted))
    assert all(s in cut[k] for s, k, _, _ in start.rows(data))  # the plan's people stay
    assert all(t.set_aside == 0 for t in data.targets)  # coverage looked at them all
    solve_module._search_candidates(data, unrestricted, "coverage", start)
    assert [t.eligible for t in data.targets] == unrestricted


def _cost_model_at_full_coverage(data_: dict[str, Any]) -> tuple[ModelData, BuiltModel]:
    """The whole model of ``data_`` minimising cost with every hour covered."""
    instance = load_instance(data_)
    data = build_model_data(instance, compute_eligibility(instance))
    built = build_model(instance, data=data)
    built.model.add(built.goal("coverage") <= 0)
    built.model.minimize(built.goal("cost"))
    return data, built


def test_lp_bound_counts_onboarding_of_a_specialist_on_several_tasks() -> None:
    """One specialist (50/h, 4 h of onboarding) must do both 8-hour tasks of the project: the
    cost is 16 h + 4 h at 50 = 1,000. Each task alone needs only a part of the project's
    indicator in the LP relaxation; the hours on the project together need all of it."""
    data_ = instance_dict(
        projects=[{"id": "p", "program": "project_based", "onboarding_hours": 4}],
        specialists=[person("ana")],
        tasks=[
            {"id": f"t{i}", "project": "p", "effort_hours": 8, "min_daily_hours": 1} for i in (1, 2)
        ],
    )
    data, built = _cost_model_at_full_coverage(data_)
    bound = lp_bound(built.model, 10, linearize_enforced=False)
    assert bound.value == pytest.approx(1000 * data.money_scale)
    eligible = [t.eligible for t in data.targets]
    for period in ("week", "horizon"):
        aggregated = aggregate_bound(data, eligible, "cost", coverage_cap=0, period=period)
        assert aggregated == pytest.approx(1000 * data.money_scale)
    plan = solve_checked(data_)
    assert plan.objective["cost"] == 1000


def test_strengthened_lp_bound_pays_onboarding_on_a_whole_fill() -> None:
    """Ana (100/h, 10 h of onboarding on p) fills the designer seat of the first week, the
    cheapest way (bob, familiar with p, costs 300/h); carol (50/h, familiar) does the
    developer task of the second week, which ana could also do. Cost: 40 h x 100 + 10 h x 100
    + 40 h x 50 = 7,000. Without the implication ``fill -> joins`` the LP pays half the
    onboarding (ana's hours on p are half of the most she could do there): 6,500; with it
    added after the first optimum, the whole of it."""
    data_ = instance_dict(
        horizon={"start": "2027-01-04", "end": "2027-01-15"},
        projects=[{"id": "p", "program": "mixed", "onboarding_hours": 10}],
        specialists=[
            person("ana", roles=["designer", "developer"], cost_per_hour=100),
            person("bob", roles=["designer"], cost_per_hour=300, familiar_projects=["p"]),
            person("carol", familiar_projects=["p"]),
        ],
        workplaces=[
            {"id": "w", "project": "p", "role": "designer", "hours_per_day": 8,
             "start": "2027-01-04", "end": "2027-01-08"}
        ],
        tasks=[task("t", 40, start="2027-01-11", due="2027-01-15")],
    )  # fmt: skip
    data, built = _cost_model_at_full_coverage(data_)
    plain = lp_bound(built.model, 10, linearize_enforced=False)
    strong = lp_bound(built.model, 10, linearize_enforced=False, strengthen=True)
    assert plain.value == pytest.approx(6500 * data.money_scale)
    assert strong.value == pytest.approx(7000 * data.money_scale)
    assert strong.values is not None
    plan = solve_checked(data_)
    assert plan.objective["cost"] == 7000
    assert plan.status == "optimal"


def test_a_days_work_on_a_project_pays_its_whole_onboarding_in_the_bounds() -> None:
    """Ana (50/h, 8 h of onboarding on p) is free on Monday only: on Tuesday she alone can
    fill the designer seat of q (8 h: 400). Tasks t1 and t2 of p (8 h each, Monday or
    Tuesday) then take her Monday, 8 h + 8 h of onboarding at 50 (800), and bob (120/h,
    familiar with p) the other 8 h (960): 2,160. Her Monday split 4 h + 4 h over the two
    tasks needs only half of her join to p per task, and her 8 h are half of the most she
    could do on p; the cut of the project's hours on a day (at most her capacity times the
    join) asks for all of it."""
    data_ = instance_dict(
        horizon={"start": "2027-01-04", "end": "2027-01-05"},
        projects=[
            {"id": "p", "program": "project_based", "onboarding_hours": 8},
            {"id": "q", "program": "time_based"},
        ],
        specialists=[
            person("ana", roles=["designer", "developer"], familiar_projects=["q"]),
            person("bob", cost_per_hour=120, familiar_projects=["p"]),
        ],
        workplaces=[
            {"id": "w", "project": "q", "role": "designer", "hours_per_day": 8,
             "start": "2027-01-05", "end": "2027-01-05"}
        ],
        tasks=[task("t1", 8, min_daily_hours=1), task("t2", 8, min_daily_hours=1)],
    )  # fmt: skip
    data, built = _cost_model_at_full_coverage(data_)
    cuts = day_cuts(built.ctx)
    assert cuts
    without = lp_bound(built.model, 10, linearize_enforced=False, strengthen=True)
    with_cuts = lp_bound(built.model, 10, linearize_enforced=False, strengthen=True, cuts=cuts)
    assert without.value is not None and with_cuts.value is not None
    assert without.value < 2100 * data.money_scale
    assert with_cuts.value == pytest.approx(2160 * data.money_scale)
    eligible = [t.eligible for t in data.targets]
    by_day = aggregate_bound(data, eligible, "cost", coverage_cap=0, period="day")
    by_week = aggregate_bound(data, eligible, "cost", coverage_cap=0, period="week")
    assert by_day == pytest.approx(2160 * data.money_scale)
    assert by_week is not None and by_week < 2100 * data.money_scale
    plan = solve_checked(data_)
    assert plan.status == "optimal"
    assert plan.objective["cost"] == 2160


@pytest.mark.parametrize("seed", [1, 2, 5])
def test_every_plan_holds_the_cuts_the_lp_relaxation_adds(seed: int) -> None:
    """The cuts kept for the LP relaxation (a project's hours on a day at most the capacity
    times the join) hold in the greedy plan and in an improved plan of generated instances."""
    config = GeneratorConfig(seed=seed, specialists=15, projects=3, days=5, tightness=1.0)
    instance = load_instance(generate_instance(config))
    data = build_model_data(instance, compute_eligibility(instance))
    built = build_model(instance, data=data)
    cuts = day_cuts(built.ctx)
    assert cuts
    greedy = best_greedy(data, ["coverage", "cost"])
    check_solution(instance, data, greedy)
    improved, _ = improve(
        data, greedy, ["coverage", "cost"], time.perf_counter() + 3, workers=2, seed=seed
    )
    check_solution(instance, data, improved)
    for solution in (greedy, improved):
        values = built.values_of(solution)
        for variables, coefficients, upper in cuts:
            load = sum(c * values[v] for v, c in zip(variables, coefficients, strict=True))
            assert load <= upper + 1e-9


def test_strengthening_by_cuts_reaches_the_lp_with_every_implication() -> None:
    """The implications onto the joins, added round by round where the optimum violates them,
    raise the cost bound to (within the rounds' stopping gain) the optimum of the LP that has
    them all from the start, and never above it: the small instance, coverage pinned at the
    greedy plan's."""
    instance = load_instance(json.loads((INSTANCES / "small.json").read_text()))
    data = build_model_data(instance, compute_eligibility(instance))
    greedy = best_greedy(data, ["coverage", "cost"])
    check_solution(instance, data, greedy)
    built = build_model(instance, data=data, relief=False)
    planned = evaluate(data, greedy)
    built.model.add(built.goal("coverage") <= round(planned["coverage"] * QUARTER))
    built.model.minimize(built.goal("cost"))
    plain = lp_bound(built.model, 30, linearize_enforced=False)
    cuts = lp_bound(built.model, 30, linearize_enforced=False, strengthen=True)
    whole = lp_bound(built.model, 30, linearize_enforced=True)
    assert plain.value is not None and cuts.value is not None and whole.value is not None
    assert plain.value < cuts.value <= whole.value * (1 + 1e-9)
    assert cuts.value >= whole.value * (1 - 10 * CUT_GAIN_ENOUGH)
    # a bound of the greedy plan, which meets the pinned coverage
    assert cuts.value <= planned["cost"] * data.goal_scale("cost")


@pytest.mark.parametrize("period", ["day", "horizon"])
def test_a_cost_bound_under_a_tight_cap_bounds_cost_under_any_looser_one(period: Period) -> None:
    """Computed at the coverage bound, before the coverage reached is known, it bounds cost
    at every cap at least as loose: never above the relaxation solved at that cap itself,
    and exactly it at its own cap (less the margin for the LP's tolerances)."""
    instance = load_instance(json.loads((INSTANCES / "small.json").read_text()))
    data = build_model_data(instance, compute_eligibility(instance))
    eligible = [dict(t.eligible) for t in data.targets]
    # (just above the period's own coverage bound: at it exactly, rounding may leave no plan)
    lowest = aggregate_bound(data, eligible, "coverage", period=period)
    assert lowest is not None
    lowest += 1
    early = cost_bound_under_cap(data, eligible, lowest, period=period)
    assert early is not None and early.slope > 0  # less coverage costs more
    for extra in (0, 10, 100, 1000):
        cap = lowest + extra * QUARTER
        itself = aggregate_bound(data, eligible, "cost", coverage_cap=cap, period=period)
        assert itself is not None
        assert early.at(cap) <= itself
        if extra == 0:
            assert early.at(cap) == pytest.approx(itself, rel=1e-5)
    assert early.at(lowest - 5) == early.at(lowest)  # a tighter cap: still a bound


def test_aggregate_bound_keeps_the_project_limit() -> None:
    """Ana may work on one project only; each of two projects (priority 3) has an 8-hour
    task she alone can do: 8 hours stay unmet, 24 weighted, which the relaxation knows."""
    data_ = instance_dict(
        projects=[{"id": p, "program": "project_based"} for p in ("p", "q")],
        specialists=[person("ana", max_projects=1)],
        tasks=[{"id": f"t-{p}", "project": p, "effort_hours": 8} for p in ("p", "q")],
    )
    instance = load_instance(data_)
    data = build_model_data(instance, compute_eligibility(instance))
    eligible = [t.eligible for t in data.targets]
    bound = aggregate_bound(data, eligible, "coverage")
    assert bound == pytest.approx(24 * QUARTER)
    plan = solve_checked(data_)
    assert plan.objective["coverage"] == 24
    assert plan.status == "optimal"


def test_lp_bound_counts_reading_the_model_in_its_time_limit() -> None:
    instance = load_instance(_generated(3))
    built = build_model(instance)
    built.model.minimize(built.goal("coverage"))
    late = lp_bound(built.model, 0.0)
    assert late.value is None and "reading the model" in late.status
    assert lp_bound(built.model, 10.0).value is not None


@pytest.mark.parametrize("relaxed", [True, False], ids=["relaxation", "no-time-for-it"])
def test_a_cut_model_bounds_coverage_over_the_horizon(
    relaxed: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a and b have 20 hours each in the week, the tasks need 60: at least 20 go unmet, at
    # priority 3; the cut model proves nothing, the relaxation over every pair proves 60
    # (given no time for it, the flow bound of allocator.model.flow proves it too)
    monkeypatch.setattr(solve_module, "TRIPLE_BUDGET", 0)
    if not relaxed:
        monkeypatch.setattr(solve_module, "LP_TIME_SHARE", 0.0)
        monkeypatch.setattr(solve_module, "LP_TIME_SHARE_MEANWHILE", 0.0)
    data = instance_dict(
        specialists=[person("a", hours_per_day=4), person("b", hours_per_day=4)],
        tasks=[task("t1", 30, max_assignees=2), task("t2", 30, max_assignees=2)],
    )
    plan = solve_checked(data, time_limit=5, workers=2)
    assert plan.statistics["candidates_per_task"]
    coverage = plan.statistics["stages"][0]
    assert plan.objective["coverage"] == 60
    assert plan.bound["coverage"] == 60
    assert coverage["status"] == "OPTIMAL"


@pytest.mark.parametrize("locked", ["fixed", "required"])
def test_a_cut_keeps_the_specialists_of_locked_tasks(
    locked: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # t can only be done by the dearest specialist, a, which a cut to the cheapest candidate
    # would leave out: a fixed assignment names a, or t is required and only a's day fits it
    monkeypatch.setattr(solve_module, "TRIPLE_BUDGET", 0)
    fixed = [{"specialist": "a", "task": "t"}] if locked == "fixed" else []
    data = instance_dict(
        specialists=[
            person("a", cost_per_hour=90),
            person("b", hours_per_day=2, cost_per_hour=10),
            person("c", hours_per_day=2, cost_per_hour=20),
        ],
        tasks=[
            {
                "id": "t",
                "project": "p",
                "effort_hours": 4,
                "min_daily_hours": 4,
                "start": "2027-01-04",
                "due": "2027-01-04",
                "required": locked == "required",
            }
        ],
        fixed=fixed,
    )
    plan = solve_checked(data, time_limit=5, workers=2)
    assert plan.status in ("optimal", "feasible"), plan.explanation
    assert plan.statistics["candidates_per_task"]
    assert [(a.specialist, a.hours) for a in plan.assignments] == [("a", 4)]
    assert all(
        s["status"] != "OPTIMAL" or s["bound"] == s["value"] for s in plan.statistics["stages"]
    )


def test_an_infeasible_cut_model_proves_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    # o is locked onto t; the share rule then needs in-house hours, which only the dearest
    # specialist i can give: a cut to the two cheapest others leaves no valid plan, the
    # whole model has one
    monkeypatch.setattr(solve_module, "TRIPLE_BUDGET", 0)
    outsourced = {"sourcing": "outsourced", "vendor": "v"}
    data = instance_dict(
        projects=[{"id": "p", "program": "mixed", "min_in_house_share": 0.5}],
        specialists=[
            person("o", cost_per_hour=30, **outsourced),
            person("x", cost_per_hour=5, **outsourced),
            person("y", cost_per_hour=6, **outsourced),
            person("i", cost_per_hour=90),
        ],
        tasks=[{"id": "t", "project": "p", "effort_hours": 8, "max_assignees": 2}],
        fixed=[{"specialist": "o", "task": "t"}],
    )
    plan = solve_checked(data, time_limit=5, workers=2)
    assert plan.status == "optimal", plan.explanation
    assert plan.statistics["candidates_per_task"] == 0  # re-decided on the whole model
    assert {a.specialist for a in plan.assignments} == {"o", "i"}


@pytest.mark.parametrize("warm", [True, False], ids=["warm-start", "cp-sat-alone"])
def test_a_model_cp_sat_may_prove_is_warmed_by_neighbourhoods_up_to_its_bound(
    warm: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the small instance (about 3 000 variables): the rounds reach coverage's LP bound
    # from the greedy plan in well under a second; CP-SAT's search then ends on the hint
    if not warm:
        monkeypatch.setattr(solve_module, "WARM_START_SHARE", 0.0)
    instance = load_instance_file(INSTANCES / "small.json")
    data = build_model_data(instance, compute_eligibility(instance))
    assert count_variables(data) < solve_module.PROOF_VARIABLES
    plan = solve(instance, SolveOptions(time_limit=8, workers=2))
    report = check_plan(instance, plan)
    assert report.ok, report.violations
    coverage = plan.statistics["stages"][0]
    assert coverage["goal"] == "coverage"
    if warm:
        assert coverage["neighbourhoods"] > 0
        assert coverage["status"] == "OPTIMAL"
        assert coverage["value"] == coverage["bound"] == plan.bound["coverage"]
    else:
        assert coverage["neighbourhoods"] == 0
    assert plan.objective["coverage"] >= plan.bound["coverage"]
