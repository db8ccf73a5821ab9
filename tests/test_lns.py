"""Large-neighbourhood search: the residual model of a neighbourhood, the search, the solve.

- A neighbourhood's residual data restricts the incumbent to a valid plan of the small model,
  and merging any plan of the small model back gives a whole plan that the independent
  checker accepts, whose goals moved by exactly as much as the small model's.
- The search never worsens the incumbent lexicographically, never trades an earlier goal,
  never moves a specialist named by a fixed assignment, and its plans pass the checker.
- ``solve`` with neighbourhoods switched on (for every model size) keeps fixed and required
  items and every hard rule.
"""

from __future__ import annotations

import math
import random
import time

import pytest
from conftest import (
    check_solution,
    config_of,
    greedy_breaking_lock,
    instance_dict,
    person,
    solve_module,
    task,
)
from ortools.sat.python import cp_model
from rich.console import Console

from allocator import SolveOptions, check_plan, lns, load_instance, solve
from allocator.cli import _summary
from allocator.eligibility import compute_eligibility
from allocator.generate import generate_instance
from allocator.greedy import best_greedy, greedy_solution
from allocator.lns import _neighbourhood, _reach, improve, searchable
from allocator.model.aggregate import aggregate_bound
from allocator.model.build import BuiltModel, build_model
from allocator.model.data import ModelData, build_model_data
from allocator.model.neighbourhood import Change, Incumbent, Residual, residual
from allocator.model.solution import (
    Solution,
    evaluate,
    holds_locks,
    read_solution,
    unmet_quarters,
)
from allocator.model.variables import count_variables
from allocator.plan import build_plan
from allocator.schema import Instance, Plan

SHAPES = [
    # (program, tightness, seed, specialists, projects, days)
    ("mixed", 1.3, 31, 30, 4, 8),
    ("project_based", 1.2, 32, 26, 3, 6),
    ("time_based", 1.3, 33, 24, 4, 6),
]


def _instance(
    shape: tuple[str, float, int, int, int, int], required_fraction: float = 0.0
) -> Instance:
    return load_instance(generate_instance(config_of(shape, required_fraction)))


def _checked(instance: Instance, data: ModelData, solution: Solution) -> None:
    check_solution(instance, data, solution)


def _landed(data: ModelData, plan: Solution, res: Residual, part: Solution) -> Solution:
    """``plan`` with the freed specialists' work replaced by ``part`` (``res``'s indices)."""
    incumbent = Incumbent(data, plan)
    incumbent.apply(incumbent.change(res, part))
    return incumbent.solution


@pytest.mark.parametrize("windowed", [False, True], ids=["all-dates", "window"])
@pytest.mark.parametrize("shape", SHAPES, ids=[s[0] for s in SHAPES])
def test_a_neighbourhood_plan_merged_back_is_valid_and_moves_goals_as_the_small_model(
    shape: tuple[str, float, int, int, int, int], windowed: bool
) -> None:
    # with windows, required items too (a task at its assignee limit whose freed assignee
    # keeps other work on it), from a first plan of CP-SAT's that holds them
    instance = _instance(shape, required_fraction=0.3 if windowed else 0.0)
    data = build_model_data(instance, compute_eligibility(instance))
    incumbent = best_greedy(data, ["coverage", "cost"])
    if windowed:
        whole = build_model(instance, data=data, relief=False)
        whole.model.minimize(whole.goal("coverage"))
        whole.hint_from(incumbent)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 2
        solver.parameters.max_time_in_seconds = 5
        assert solver.solve(whole.model) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
        incumbent = read_solution(list(solver.response_proto.solution), whole.ctx.vars)
    _checked(instance, data, incumbent)
    rng = random.Random(shape[2])
    for round_ in range(3):
        freed = set(rng.sample(range(len(instance.specialists)), 8))
        window = None
        if windowed:  # a few consecutive dates: the freed keep their work on the others
            first = rng.randrange(len(data.dates) - 2)
            window = frozenset(range(first, first + 3))
        res = residual(data, incumbent, freed, window=window)
        part = Incumbent(data, incumbent).part(res)
        same = _landed(data, incumbent, res, part)
        assert (same.fills, same.hours) == (incumbent.fills, incumbent.hours)
        built = build_model(res.data.instance, data=res.data, relief=False)
        goal = "coverage" if round_ % 2 == 0 else "cost"
        built.model.minimize(built.goal(goal))
        built.hint_from(part)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 2
        solver.parameters.max_time_in_seconds = 5
        status = solver.solve(built.model)
        assert status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
        found = read_solution(list(solver.response_proto.solution), built.ctx.vars)
        merged = _landed(data, incumbent, res, found)
        _checked(instance, data, merged)
        small_before = evaluate(res.data, part, stable=False)
        small_after = evaluate(res.data, found, stable=False)
        assert small_after[goal] <= small_before[goal]
        whole_before = evaluate(data, incumbent, stable=False)
        whole_after = evaluate(data, merged, stable=False)
        for name in ("coverage", "cost"):  # each goal moves as the small model's
            assert whole_after[name] == pytest.approx(
                whole_before[name] + small_after[name] - small_before[name]
            ), name

        # only the freed specialists' work changed (with a window: their task hours on its
        # dates; their fills stay)
        days = set(range(len(data.dates))) if window is None else window
        kept = {k: q for k, q in incumbent.hours.items() if k[0] not in freed or k[2] not in days}
        assert {k: q for k, q in merged.hours.items() if k[0] not in freed or k[2] not in days} == (
            kept
        )
        if window is not None:
            assert incumbent.fills.items() <= merged.fills.items()
        incumbent = merged


def test_the_search_improves_coverage_then_cost_without_trading_coverage() -> None:
    instance = _instance(SHAPES[0])
    data = build_model_data(instance, compute_eligibility(instance))
    start = best_greedy(data, ["coverage", "cost"])
    before = evaluate(data, start)
    seen: list[list[float]] = []
    found, stats = improve(
        data,
        start,
        ["coverage"],
        time.perf_counter() + 4,
        workers=2,
        on_improve=lambda _, key: seen.append(key),
    )
    after = evaluate(data, found)
    assert stats.rounds > 0
    assert after["coverage"] <= before["coverage"]
    assert seen == sorted(seen, reverse=True)  # each report strictly better
    if seen:
        assert seen[-1] == [after["coverage"]]
    _checked(instance, data, found)
    cheaper, _ = improve(data, found, ["coverage", "cost"], time.perf_counter() + 3, workers=2)
    final = evaluate(data, cheaper)
    assert final["coverage"] <= after["coverage"]
    assert (final["coverage"], final["cost"]) <= (after["coverage"], after["cost"])
    _checked(instance, data, cheaper)


def test_the_search_never_moves_a_fixed_specialist() -> None:
    instance = _instance(SHAPES[0])
    data = build_model_data(instance, compute_eligibility(instance))
    start = best_greedy(data, ["coverage", "cost"])
    fixed = sorted({s for s, _, _, _ in start.rows(data)})[:5]
    raw = instance.model_dump(mode="json", exclude_none=True)
    names = [instance.specialists[s].id for s in fixed]
    work = {(s, k) for s, k, _, _ in start.rows(data) if s in fixed}
    raw["fixed"] = [
        {"specialist": instance.specialists[s].id, "task": data.targets[k].target.id}
        if not data.targets[k].is_workplace
        else {"specialist": instance.specialists[s].id, "workplace": data.targets[k].target.id}
        for s, k in sorted(work)
    ]
    locked = load_instance(raw)
    data = build_model_data(locked, compute_eligibility(locked))
    found, stats = improve(data, start, ["coverage"], time.perf_counter() + 3, workers=2)
    assert stats.rounds > 0
    for s in fixed:
        before = sorted(r for r in start.rows(data) if r[0] == s)
        assert sorted(r for r in found.rows(data) if r[0] == s) == before, names
    _checked(locked, data, found)


@pytest.mark.parametrize("greedy_breaks", [False, True], ids=["greedy-keeps", "greedy-breaks"])
@pytest.mark.parametrize("whole_first", [False, True], ids=["neighbourhoods", "cp-sat-first"])
def test_solve_by_neighbourhoods_keeps_locked_and_required_items(
    whole_first: bool, greedy_breaks: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # neighbourhoods only (as above 20k variables), or CP-SAT on the whole model first (as
    # between 5k and 20k); they start from the greedy plan when it keeps the required items
    # and fixed assignments, else from CP-SAT's first valid plan
    monkeypatch.setattr(solve_module, "LNS_MIN_VARIABLES", 10**9 if whole_first else 0)
    monkeypatch.setattr(solve_module, "PROOF_VARIABLES", 0)
    raw = generate_instance(config_of(SHAPES[0], 0.2 if greedy_breaks else 0.0))
    if greedy_breaks:
        raw["fixed"] = [greedy_breaking_lock(raw)]
    else:  # required: a few tasks the greedy plan does in full
        free = load_instance(raw)
        free_data = build_model_data(free, compute_eligibility(free))
        unmet = unmet_quarters(free_data, best_greedy(free_data, ["coverage", "cost"]))
        done = {t.target.id for t in free_data.tasks if unmet[t.index] == 0}
        for item in [t for t in raw["tasks"] if t["id"] in done][:5]:
            item["required"] = True
    instance = load_instance(raw)
    assert any(t.required for t in instance.tasks) or any(w.required for w in instance.workplaces)
    data = build_model_data(instance, compute_eligibility(instance))
    greedy_plan = best_greedy(data, ["coverage", "cost", "stability"])
    assert holds_locks(data, greedy_plan) is not greedy_breaks
    plan = solve(instance, SolveOptions(time_limit=8, workers=2))
    assert plan.status in ("optimal", "feasible"), plan.explanation
    report = check_plan(instance, plan)
    assert report.ok, report.violations
    for goal, value in report.objective.items():
        assert plan.objective[goal] == pytest.approx(value, abs=0.01), goal
    if not greedy_breaks:  # (else the greedy plan is no valid plan to compare with)
        assert plan.objective["coverage"] <= evaluate(data, greedy_plan)["coverage"]
    stages = plan.statistics["stages"]
    assert [s["goal"] for s in stages] == ["coverage", "cost", "stability"]
    assert sum(s["neighbourhoods"] for s in stages) > 0, stages


def test_a_plan_is_searchable_on_a_goal_only_where_a_round_could_start() -> None:
    tight = _instance(SHAPES[0])
    data = build_model_data(tight, compute_eligibility(tight))
    start = best_greedy(data, ["coverage", "cost"])
    assert evaluate(data, start)["coverage"] > 0
    assert searchable(data, start, "coverage") and searchable(data, start, "cost")
    # the only specialist is named by a fixed assignment: no round may free anyone
    for fixed in ([], [{"specialist": "a", "task": "t"}]):
        one = load_instance(
            instance_dict(specialists=[person("a")], tasks=[task("t", 8)], fixed=fixed)
        )
        one_data = build_model_data(one, compute_eligibility(one))
        plan = best_greedy(one_data, ["coverage", "cost"])
        assert evaluate(one_data, plan)["cost"] > 0
        assert searchable(one_data, plan, "cost") == (not fixed)
    # nothing unmet: no coverage round
    loose = _instance(("mixed", 0.4, 35, 20, 3, 5))
    loose_data = build_model_data(loose, compute_eligibility(loose))
    covered = best_greedy(loose_data, ["coverage", "cost"])
    assert evaluate(loose_data, covered)["coverage"] == 0
    assert not searchable(loose_data, covered, "coverage")
    assert searchable(loose_data, covered, "cost")


def test_a_stage_is_settled_on_its_goals_value_in_the_final_plan() -> None:
    # a later stage's rounds improved the coverage the coverage stage ended at (a round keeps
    # earlier goals no worse, not equal) down to that stage's bound: proven after all
    loose = _instance(("mixed", 0.4, 35, 20, 3, 5))
    data = build_model_data(loose, compute_eligibility(loose))
    plan = best_greedy(data, ["coverage", "cost"])
    final = evaluate(data, plan)
    assert final["coverage"] == 0
    Stage = solve_module.StageResult
    stages = [
        Stage("coverage", "FEASIBLE", 12.0, 0.0, 1.0),  # ended above its bound
        Stage("cost", "FEASIBLE", final["cost"], final["cost"] - 100, 1.0),  # still open
        Stage("stability", "UNKNOWN", None, None, 1.0),  # no plan of its own: left as is
    ]
    solve_module._settle(data, plan, stages)
    assert (stages[0].status, stages[0].value) == ("OPTIMAL", 0)
    assert (stages[1].status, stages[1].value) == ("FEASIBLE", final["cost"])
    assert (stages[2].status, stages[2].value) == ("UNKNOWN", None)


def test_neighbourhoods_take_a_stage_over_when_cp_sat_finds_no_plan_in_its_share(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # CP-SAT on the whole model first (as between 5k and 20k variables), with no time of its
    # own: it finds no plan, and the neighbourhoods search each stage from the plan at hand,
    # so every goal gets its turn (giving CP-SAT all the time left starved the later goals)
    monkeypatch.setattr(solve_module, "LNS_MIN_VARIABLES", 10**9)
    monkeypatch.setattr(solve_module, "PROOF_VARIABLES", 0)
    monkeypatch.setattr(solve_module, "WHOLE_SEARCH_SHARE", 0.0)
    instance = _instance(SHAPES[0])
    plan = solve(instance, SolveOptions(time_limit=6, workers=2))
    report = check_plan(instance, plan)
    assert report.ok, report.violations
    stages = plan.statistics["stages"]
    assert [s["goal"] for s in stages] == ["coverage", "cost", "stability"]
    assert all(s["neighbourhoods"] > 0 for s in stages), stages
    data = build_model_data(instance, compute_eligibility(instance))
    greedy = evaluate(data, best_greedy(data, ["coverage", "cost", "stability"]))
    assert plan.objective["coverage"] < greedy["coverage"]


@pytest.mark.usefixtures("neighbourhoods_only")
def test_solve_by_neighbourhoods_reports_progress_and_beats_the_greedy() -> None:
    instance = _instance(SHAPES[1])
    seen: list[float] = []
    plan = solve(
        instance,
        SolveOptions(
            time_limit=6,
            workers=2,
            progress=lambda p: seen.append(p.objective) if p.stage == "coverage" else None,
        ),
    )
    report = check_plan(instance, plan)
    assert report.ok, report.violations
    assert plan.statistics["stages"][0]["neighbourhoods"] > 0
    # each stage's bound was computed while its neighbourhoods searched, and it holds
    for stage in plan.statistics["stages"]:
        assert stage["bound"] is not None, stage
        assert stage["bound"] <= report.objective[stage["goal"]] + 1e-6, stage
    assert seen and seen[0] is not None
    assert plan.objective["coverage"] <= seen[0]
    assert plan.objective["coverage"] == pytest.approx(min(s for s in seen if s is not None))


def test_a_bound_known_only_later_ends_the_search_once_it_is_reached() -> None:
    # as a stage's bound computed while the search runs: unknown (None) at first
    instance = _instance(SHAPES[1])
    data = build_model_data(instance, compute_eligibility(instance))
    start = best_greedy(data, ["coverage", "cost"])
    value = evaluate(data, start)["coverage"]
    asked = [0]

    def bound() -> float | None:
        asked[0] += 1
        return None if asked[0] <= 5 else value  # the start's value: reached at once

    began = time.perf_counter()
    found, stats = improve(data, start, ["coverage"], began + 20, bound=bound)
    assert asked[0] > 5
    assert stats.rounds > 0  # it searched while the bound was unknown
    assert time.perf_counter() - began < 10  # and stopped once it was known, not at 20 s
    assert evaluate(data, found)["coverage"] <= value
    _checked(instance, data, found)


def test_stability_as_an_earlier_goal_is_held_and_a_previous_plan_is_refused() -> None:
    instance = _instance(SHAPES[0])
    data = build_model_data(instance, compute_eligibility(instance))
    start = best_greedy(data, ["stability", "coverage"])
    before = evaluate(data, start)
    found, stats = improve(
        data, start, ["stability", "coverage"], time.perf_counter() + 3, workers=2
    )
    after = evaluate(data, found)
    assert stats.rounds > 0
    assert (after["stability"], after["coverage"]) <= (before["stability"], before["coverage"])
    _checked(instance, data, found)
    plan = build_plan(data, start, stages=[], complete=False, wall_seconds=0, statistics={})
    raw = instance.model_dump(mode="json", exclude_none=True)
    raw["previous_plan"] = plan.model_dump(mode="json")
    again = load_instance(raw)
    again_data = build_model_data(again, compute_eligibility(again))
    with pytest.raises(ValueError, match="previous plan"):
        improve(again_data, start, ["coverage", "stability"], time.perf_counter() + 1)


def test_the_search_stops_at_the_bound_and_keeps_to_its_deadline_with_locks() -> None:
    instance = _instance(SHAPES[1])
    data = build_model_data(instance, compute_eligibility(instance))
    start = best_greedy(data, ["coverage", "cost"])
    value = evaluate(data, start)["coverage"]
    began = time.perf_counter()
    found, stats = improve(data, start, ["coverage"], began + 5, bound=value)
    assert stats.rounds == 0 and found is start
    _checked(instance, data, found)
    raw = instance.model_dump(mode="json", exclude_none=True)
    work = sorted({(s, k) for s, k, _ in start.hours})[::2]
    assert work
    raw["fixed"] = [
        {"specialist": instance.specialists[s].id, "task": data.targets[k].target.id}
        for s, k in work
    ]
    locked = load_instance(raw)
    locked_data = build_model_data(locked, compute_eligibility(locked))
    began = time.perf_counter()
    found, stats = improve(locked_data, start, ["coverage"], began + 2, workers=2)
    assert time.perf_counter() - began < 3
    for s in {s for s, _ in work}:
        assert sorted(r for r in found.rows(locked_data) if r[0] == s) == sorted(
            r for r in start.rows(locked_data) if r[0] == s
        )
    _checked(locked, locked_data, found)


@pytest.fixture(scope="module")
def neighbourhoods_plan() -> tuple[Instance, Plan]:
    """A plan of ``SHAPES[0]`` solved by neighbourhoods (checked), for the tests that
    re-plan from it (solved once per module)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(solve_module, "LNS_MIN_VARIABLES", 0)
        patch.setattr(solve_module, "PROOF_VARIABLES", 0)
        instance = _instance(SHAPES[0])
        plan = solve(instance, SolveOptions(time_limit=4, workers=2))
    report = check_plan(instance, plan)
    assert report.ok, report.violations
    return instance, plan


@pytest.mark.parametrize(
    "order", [["coverage", "stability", "cost"], ["stability", "coverage", "cost"]]
)
@pytest.mark.usefixtures("neighbourhoods_only")
def test_solve_holds_stability_pinned_before_a_neighbourhood_stage(
    order: list[str], neighbourhoods_plan: tuple[Instance, Plan]
) -> None:
    instance, first = neighbourhoods_plan
    for previous in (None, first.model_dump(mode="json")):
        raw = instance.model_dump(mode="json", exclude_none=True)
        raw["objective"] = {"order": order}
        if previous is not None:
            raw["previous_plan"] = previous
        again = load_instance(raw)
        plan = solve(again, SolveOptions(time_limit=6, workers=2))
        report = check_plan(again, plan)
        assert report.ok, report.violations
        stages = {s["goal"]: s for s in plan.statistics["stages"]}
        assert plan.objective["stability"] <= stages["stability"]["value"] + 1e-6
        position = order.index("stability")
        for goal in order[position + 1 :]:
            if previous is not None:  # a previous plan: no neighbourhoods after stability
                # (under load a later stage may get no time at all: none searched there either)
                assert stages.get(goal, {"neighbourhoods": 0})["neighbourhoods"] == 0


def _change(data: ModelData, freed: set[int], after: Solution) -> Change:
    """``after``'s work of ``freed`` as a change of ``plan``."""
    fills = {w: s for w, s in after.fills.items() if s in freed}
    hours = {key: q for key, q in after.hours.items() if key[0] in freed}
    return Change(freed, fills, hours, Solution(fills, hours).rows(data))


def test_a_change_from_an_older_plan_is_applied_only_where_the_shared_rules_still_hold() -> None:
    # two rounds at once: the second's change, drawn before the first landed, must still keep
    # the task, workplace and share rules on the projects both touched
    instance = _instance(SHAPES[0])
    data = build_model_data(instance, compute_eligibility(instance))
    plan = best_greedy(data, ["coverage", "cost"])
    incumbent = Incumbent(data, plan)
    rows = plan.rows(data)
    everything = {t.project for t in data.targets}
    someone = rows[0][0]
    assert incumbent.holds(_change(data, {someone}, plan), everything)
    done: dict[int, int] = {}
    for _, k, _, q in rows:
        done[k] = done.get(k, 0) + q
    # a task at full effort: more hours from another specialist break its effort
    task = next(t for t in data.tasks if done.get(t.index) == t.demand_q and len(t.eligible) > 1)
    worker = next(s for s, k, _, _ in rows if k == task.index)
    extra = next(s for s in task.eligible if s != worker and task.eligible[s])
    more = Solution(plan.fills, {**plan.hours, (extra, task.index, task.eligible[extra][0]): 4})
    assert not incumbent.holds(_change(data, {extra}, more), {task.project})
    # a filled workplace taken by another specialist
    w, filler = next((w, s) for w, s in plan.fills.items() if len(data.targets[w].eligible) > 1)
    taker = next(s for s in data.targets[w].eligible if s != filler)
    taken = Solution({**plan.fills, w: taker}, plan.hours)
    assert not incumbent.holds(_change(data, {taker}, taken), set())
    # a project's in-house share broken by a vendor's hours
    p = next(i for i, p in enumerate(instance.projects) if p.min_in_house_share > 0)
    vendor = next(
        (s, t) for t in data.tasks if t.project == p for s in t.eligible if not data.in_house[s]
    )
    s, t = vendor
    flood = {(s, t.index, d): t.demand_q for d in t.eligible[s]}
    others = {key: q for key, q in plan.hours.items() if data.targets[key[1]].project != p}
    flooded = Solution(
        {w: x for w, x in plan.fills.items() if data.targets[w].project != p}, {**others, **flood}
    )
    assert not incumbent.holds(_change(data, {s}, flooded), {p})


def test_the_incumbent_index_follows_the_changes_it_lands() -> None:
    # after changes land, every total the neighbourhoods read equals a fresh index's
    instance = _instance(SHAPES[0])
    data = build_model_data(instance, compute_eligibility(instance))
    start = best_greedy(data, ["coverage", "cost"])
    found, stats = improve(data, start, ["coverage", "cost"], time.perf_counter() + 2)
    assert stats.improving > 0
    _checked(instance, data, found)
    incumbent = Incumbent(data, start)
    freed = set(range(len(data.capacity_q)))
    incumbent.apply(_change(data, freed, found))
    fresh = Incumbent(data, found)
    assert incumbent.solution.fills == fresh.solution.fills
    assert incumbent.solution.hours == fresh.solution.hours
    assert incumbent.done == fresh.done and incumbent.money == fresh.money
    assert incumbent.inside == fresh.inside and incumbent.total == fresh.total
    assert incumbent.people == fresh.people
    assert sorted(incumbent.all_rows()) == sorted(found.rows(data))


def test_rounds_at_once_keep_every_rule_and_never_worsen_the_plan() -> None:
    instance = _instance(SHAPES[0], required_fraction=0.2)
    data = build_model_data(instance, compute_eligibility(instance))
    start = best_greedy(data, ["coverage", "cost"])
    before = evaluate(data, start)
    found, stats = improve(data, start, ["coverage", "cost"], time.perf_counter() + 4, workers=2)
    after = evaluate(data, found)
    assert stats.rounds > 0
    assert (after["coverage"], after["cost"]) <= (before["coverage"], before["cost"])
    _checked(instance, data, found)


@pytest.mark.usefixtures("neighbourhoods_only")
def test_solve_by_neighbourhoods_alone_never_builds_the_whole_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # above the LP's size, with nothing locked and no previous plan, only the neighbourhoods'
    # small models are built: the plan reports the model's size without constraints
    monkeypatch.setattr(solve_module, "LP_MAX_VARIABLES", 0)
    built: list[BuiltModel] = []
    real_build = solve_module.build_model

    def counted_build(*args: object, **kwargs: object) -> BuiltModel:  # the real build, counted
        built.append(real_build(*args, **kwargs))
        return built[-1]

    monkeypatch.setattr(solve_module, "build_model", counted_build)
    instance = _instance(SHAPES[2])
    plan = solve(instance, SolveOptions(time_limit=4, workers=2))
    report = check_plan(instance, plan)
    assert report.ok, report.violations
    assert not built
    stats = plan.statistics
    assert stats["model"] == "neighbourhoods" and stats["constraints"] is None
    data = build_model_data(instance, compute_eligibility(instance))
    assert stats["variables"] == count_variables(data)
    assert sum(s["neighbourhoods"] for s in stats["stages"]) > 0
    # no LP of the model: coverage and cost are bounded by the aggregated relaxation
    assert 0 < plan.bound["cost"] <= report.objective["cost"] + 1e-6
    weekly = aggregate_bound(data, [t.eligible for t in data.targets], "coverage")
    assert weekly is not None and weekly > 0
    whole = math.ceil(weekly - 1e-6 * weekly) / 4  # weighted quarter-hours are integers
    assert plan.bound["coverage"] == pytest.approx(min(whole, report.objective["coverage"]))
    rendered = Console(width=200, record=True)
    rendered.print(_summary(plan))
    assert f"{stats['variables']:,} vars (neighbourhoods only)" in rendered.export_text()
    # with a previous plan to stay close to, the whole model is built for CP-SAT
    raw = instance.model_dump(mode="json", exclude_none=True)
    raw["previous_plan"] = plan.model_dump(mode="json")
    again = load_instance(raw)
    replanned = solve(again, SolveOptions(time_limit=4, workers=2))
    assert built and replanned.statistics["model"] == "whole"
    assert check_plan(again, replanned).ok


def test_many_rounds_at_once_on_few_specialists_report_exact_goals() -> None:
    # four rounds at once on 24 specialists: rounds wait for specialists instead of spinning,
    # and the goal values reported (costs with cents) are exactly the plan's
    instance = _instance(SHAPES[2])
    raw = instance.model_dump(mode="json", exclude_none=True)
    for i, specialist in enumerate(raw["specialists"]):
        specialist["cost_per_hour"] = round(specialist["cost_per_hour"] + 0.01 * (i % 7 + 1), 2)
    cents = load_instance(raw)
    data = build_model_data(cents, compute_eligibility(cents))
    start = best_greedy(data, ["coverage", "cost"])
    seen: list[list[float]] = []
    found, stats = improve(
        data,
        start,
        ["coverage", "cost"],
        time.perf_counter() + 3,
        workers=4,
        on_improve=lambda _, key: seen.append(key),
    )
    assert 0 < stats.rounds < 5_000 and stats.freed > 0
    after = evaluate(data, found)
    assert seen and seen[-1] == [after["coverage"], after["cost"]]
    assert seen == sorted(seen, reverse=True)
    _checked(cents, data, found)


def test_an_error_in_one_round_stops_every_round_at_once() -> None:
    instance = _instance(SHAPES[0])
    data = build_model_data(instance, compute_eligibility(instance))
    start = best_greedy(data, ["coverage"])

    calls: list[int] = []

    def failing(_: Solution, __: list[float]) -> None:  # fails once, then works again
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("progress sink is down")

    began = time.perf_counter()
    with pytest.raises(RuntimeError, match="progress sink is down"):
        improve(data, start, ["coverage"], began + 30, workers=2, on_improve=failing)
    assert time.perf_counter() - began < 10  # not at the deadline


def test_overtime_runs_on_while_improving_and_stops_at_the_deadline_otherwise() -> None:
    instance = _instance(SHAPES[0])
    data = build_model_data(instance, compute_eligibility(instance))
    start = best_greedy(data, ["coverage", "cost"])
    # the search improves the greedy plan, and its patience outlasts the search: it goes on
    # to the overtime's end
    began = time.perf_counter()
    found, stats = improve(
        data, start, ["coverage", "cost"], began + 1, workers=2, overtime=(began + 3, 60.0)
    )
    assert stats.improving > 0
    assert time.perf_counter() - began >= 2.7
    _checked(instance, data, found)
    # no patience: the search ends at its deadline, within a round's time limit
    began = time.perf_counter()
    found, _ = improve(
        data, start, ["coverage", "cost"], began + 1, workers=2, overtime=(began + 30, 0.0)
    )
    assert time.perf_counter() - began < 1 + 2.5
    _checked(instance, data, found)


def _four_hour_task(id: str, effort: float, **fields: object) -> dict[str, object]:
    """A task of project p with a 4 h minimum a day."""
    return {"id": id, "project": "p", "effort_hours": effort, "min_daily_hours": 4, **fields}


def _short_day_instance() -> Instance:
    """a can do t only as 8 h on Monday and 2 h on Tuesday (the day of a 6 h workplace): the
    2 h are its whole remaining effort (the relief of the min daily hours rule); b can do u."""
    mon, tue = "2027-01-04", "2027-01-05"
    return load_instance(
        instance_dict(
            specialists=[person("a"), person("b")],
            workplaces=[
                {
                    "id": "w",
                    "project": "p",
                    "role": "developer",
                    "hours_per_day": 6,
                    "start": tue,
                    "end": tue,
                }
            ],
            tasks=[
                _four_hour_task("t", 10, start=mon, due=tue, candidates=["a"]),
                _four_hour_task("u", 24, due="2027-01-06"),
            ],
        )
    )


def test_a_task_ending_with_a_short_day_keeps_its_people_in_every_neighbourhood() -> None:
    # the relief is in the whole model only: freeing a could move the 8 h after the 2 h
    instance = _short_day_instance()
    data = build_model_data(instance, compute_eligibility(instance))
    built = build_model(instance, data=data)
    built.model.minimize(built.goal("coverage"))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 2
    assert solver.solve(built.model) == cp_model.OPTIMAL
    whole = read_solution(list(solver.response_proto.solution), built.ctx.vars)
    _checked(instance, data, whole)
    a, b = (data.specialist_index[i] for i in ("a", "b"))
    assert sorted(q for (s, _, _), q in whole.hours.items() if s == a) == [8, 32]
    res = residual(data, whole, {a, b})
    assert res.freed == {b}
    found, _ = improve(data, whole, ["coverage", "cost"], time.perf_counter() + 1)
    _checked(instance, data, found)
    assert {k: q for k, q in found.hours.items() if k[0] == a} == {
        k: q for k, q in whole.hours.items() if k[0] == a
    }


def test_a_whole_model_without_the_relief_claims_no_optimum(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    instance = _short_day_instance()
    exact = solve(instance, SolveOptions(time_limit=5, workers=2))
    assert exact.status == "optimal" and exact.objective["coverage"] == 0
    # a whole model without the relief (as above RELIEF_MAX_VARIABLES) cannot do t's last
    # 2 h, so its optimum is no optimum of the instance
    monkeypatch.setattr(solve_module, "RELIEF_MAX_VARIABLES", 0)
    finish_short = solve_module.finish_short
    monkeypatch.setattr(solve_module, "finish_short", lambda data, solution: (solution, 0))
    plan = solve(instance, SolveOptions(time_limit=5, workers=2))
    report = check_plan(instance, plan)
    assert report.ok, report.violations
    assert plan.objective["coverage"] > 0
    assert plan.status == "feasible"
    assert plan.statistics["stages"][0]["status"] == "FEASIBLE"
    # the last shorter day added after the stages reaches the instance's optimum coverage
    monkeypatch.setattr(solve_module, "finish_short", finish_short)
    plan = solve(instance, SolveOptions(time_limit=5, workers=2))
    report = check_plan(instance, plan)
    assert report.ok, report.violations
    assert plan.objective["coverage"] == 0


def _part_timer_instance(required: bool) -> Instance:
    """a works 8 h a day and is away on Tuesday; b works 2 h a day, less than the task's
    4 h minimum, so b's only way to help is the last 2 h on Tuesday (the relief)."""
    mon, tue = "2027-01-04", "2027-01-05"
    return load_instance(
        instance_dict(
            specialists=[person("a", unavailable=[{"date": tue}]), person("b", hours_per_day=2)],
            tasks=[
                _four_hour_task("t", 10, start=mon, due=tue, max_assignees=2, required=required)
            ],
        )
    )


@pytest.mark.usefixtures("neighbourhoods_only")
@pytest.mark.parametrize("required", [False, True], ids=["optional", "required"])
def test_a_whole_model_without_the_relief_neither_bounds_nor_refutes_it(
    required: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # neighbourhoods switched on, so the whole model (its LP bound; CP-SAT's first plan with
    # a required item) has no relief: its LP must still bound the instance, and its
    # infeasibility (the task cannot be done in full without b's short day) proves nothing
    monkeypatch.setattr(solve_module, "RELIEF_MAX_VARIABLES", 0)
    instance = _part_timer_instance(required)
    plan = solve(instance, SolveOptions(time_limit=5, workers=2))
    report = check_plan(instance, plan)
    assert report.ok, report.violations
    if required:
        assert plan.status == "optimal", plan.explanation
        assert plan.objective["coverage"] == 0
    else:  # the neighbourhoods have no relief: b's short Tuesday is added after the stages
        assert plan.objective["coverage"] == 0
    for stage in plan.statistics["stages"]:
        if stage["goal"] == "coverage":
            assert stage["bound"] is None or stage["bound"] <= 0


def test_a_fill_on_no_available_date_is_part_of_the_freed_work() -> None:
    # a fills w on its only date, when a is away: the fill has no hours, and so no rows,
    # but it is a's work all the same: freeing a frees w, and a round may give w to b
    instance = load_instance(
        instance_dict(
            specialists=[person("a", unavailable=[{"date": "2027-01-05"}]), person("b")],
            workplaces=[
                {
                    "id": "w",
                    "project": "p",
                    "role": "developer",
                    "hours_per_day": 2,
                    "start": "2027-01-05",
                    "end": "2027-01-05",
                }
            ],
        )
    )
    data = build_model_data(instance, compute_eligibility(instance))
    a, b = data.specialist_index["a"], data.specialist_index["b"]
    (w,) = [t.index for t in data.workplaces]
    start = Solution({w: a}, {})
    _checked(instance, data, start)
    incumbent = Incumbent(data, start)
    res = incumbent.residual({a, b})
    assert incumbent.part(res).fills == {res.origin.index(w): a}
    incumbent.apply(incumbent.change(res, Solution()))
    assert incumbent.solution.fills == {}
    found, stats = improve(data, start, ["coverage"], time.perf_counter() + 1)
    assert found.fills == {w: b} and stats.improving == 1
    _checked(instance, data, found)


def test_a_round_frees_its_seeds_people_and_prefers_free_candidates() -> None:
    """The task allows one assignee, ``a``, who has time for half its effort only; ``b`` is
    free and six others are fully booked: only a round freeing ``a`` and ``b`` together can
    staff the task in full, and every round drawn around it frees ``a`` (``b`` nearly always)."""
    week = {"start": "2027-01-04", "end": "2027-01-08"}
    busy = [f"x{i}" for i in range(6)]
    instance = load_instance(
        instance_dict(
            specialists=[person(s) for s in ["a", "b", *busy]],
            workplaces=[
                {"id": f"w-{s}", "project": "p", "role": "developer", "hours_per_day": h, **week}
                for s, h in [("a", 4), *((s, 8) for s in busy)]
            ],
            tasks=[task("t", 40, max_assignees=1)],
        )
    )
    data = build_model_data(instance, compute_eligibility(instance))
    index = data.specialist_index
    k = next(t.index for t in data.tasks)
    fills = {w.index: index[w.target.id.removeprefix("w-")] for w in data.workplaces}
    plan = Solution(fills, {(index["a"], k, d): 16 for d in range(5)})  # 4 h a day
    _checked(instance, data, plan)
    incumbent = Incumbent(data, plan)
    assert incumbent.done[k] == 80  # quarter-hours: 20 of 40 h unmet
    draws = []
    for seed in range(40):
        freed, _ = _neighbourhood(data, incumbent, k, 4, set(), random.Random(seed))
        draws.append(freed)
    assert all(index["a"] in freed for freed in draws)
    assert sum(index["b"] in freed for freed in draws) >= 36
    better, _ = improve(data, plan, ["coverage"], time.perf_counter() + 5, seed=1)
    _checked(instance, data, better)
    assert evaluate(data, better)["coverage"] == 0


def test_rounds_at_once_do_not_split_a_small_team_between_them_for_good() -> None:
    """25 specialists and one round size that frees all of them: two rounds at once used to
    take 12 and 13 each, again and again, and never searched everyone together (coverage 510
    where 480 is optimal). A round of everyone now waits for the other round to end."""
    instance = load_instance(
        instance_dict(
            specialists=[
                person(f"s{i}", hours_per_day=1 + i % 3, cost_per_hour=30 + i) for i in range(25)
            ],
            tasks=[task(t, h, max_assignees=20) for t, h in [("t", 375), ("u", 30)]],
        )
    )
    optimum = solve(instance, SolveOptions(time_limit=20, workers=2))
    assert optimum.status == "optimal" and check_plan(instance, optimum).ok
    best = optimum.objective["coverage"]
    data = build_model_data(instance, compute_eligibility(instance))
    start = greedy_solution(data, ordering="manager")
    assert evaluate(data, start)["coverage"] > best
    for seed in range(2):
        found, _ = improve(
            data, start, ["coverage"], time.perf_counter() + 20, workers=2, seed=seed, bound=best
        )
        _checked(instance, data, found)
        assert evaluate(data, found)["coverage"] == best, seed


@pytest.mark.parametrize("workers", [1, 2])
def test_coverage_rounds_break_ties_on_cost(workers: int) -> None:
    """The dearest specialist does one task and the other is not staffed. A round that
    staffs it finds many plans of coverage 0; breaking ties on cost, it keeps the cheapest
    (each specialist can do one 40 h task in the week, at 8 h a day)."""
    rates = {"a": 90, "b": 80, "c": 30, "d": 20}
    instance = load_instance(
        instance_dict(
            specialists=[person(s, cost_per_hour=r) for s, r in rates.items()],
            tasks=[task(t, 40) for t in ("t", "u")],
        )
    )
    data = build_model_data(instance, compute_eligibility(instance))
    index = data.specialist_index
    t = data.tasks[0].index
    dear = Solution(hours={(index["a"], t, d): 32 for d in range(5)})
    _checked(instance, data, dear)
    found, stats = improve(
        data, dear, ["coverage"], time.perf_counter() + 10, workers=workers, tiebreak="cost"
    )
    _checked(instance, data, found)
    assert evaluate(data, found)["coverage"] == 0
    assert evaluate(data, found)["cost"] == 40 * (20 + 30)
    assert stats.improving >= 1


def test_a_tie_break_that_could_overflow_the_objective_is_dropped() -> None:
    """Costs per hour at the limit with four decimals, 24 h days, eight weeks: cost times
    coverage's span overflows CP-SAT's 64-bit objective (MODEL_INVALID, once every round).
    The round then minimises its goal alone."""
    instance = load_instance(
        instance_dict(
            horizon={
                "start": "2027-01-04",
                "end": "2027-02-28",
                "workdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            },
            projects=[{"id": "p", "program": "mixed", "priority": 5}],
            specialists=[
                person(s, hours_per_day=24, cost_per_hour=999999.9999) for s in ("a", "b")
            ],
            tasks=[task("t", 100, max_assignees=2)],
        )
    )
    data = build_model_data(instance, compute_eligibility(instance))
    start = greedy_solution(data)
    assert evaluate(data, start)["cost"] > 0
    found, stats = improve(
        data, start, ["cost"], time.perf_counter() + 5, tiebreak="coverage", bound=0
    )
    _checked(instance, data, found)
    assert evaluate(data, found)["cost"] == 0  # cost first: nothing staffed
    assert stats.improving == 1


def test_the_reach_of_an_expression_counts_every_term_over_its_domain() -> None:
    # span: how much the tie-break can vary; most: the overflow check's sum (offset included)
    model = cp_model.CpModel()
    hours = model.new_int_var_from_domain(cp_model.Domain.from_intervals([[0, 0], [8, 32]]), "h")
    shifted = model.new_int_var(-5, 3, "shifted")
    flag = model.new_bool_var("flag")
    expr = 100 - 3 * hours + 7 * flag + 2 * shifted + hours
    span, most = _reach(expr)
    assert span == 2 * 32 + 7 * 1 + 2 * 8  # a repeated variable's terms are merged first
    assert most == 100 + 2 * 32 + 7 + 2 * 5
    assert _reach(cp_model.LinearExpr.sum([])) == (0, 0)


def test_a_round_whose_tiebreak_has_no_term_is_searched() -> None:
    # one project: no specialist can split a day between projects, so a round's tie-break
    # (split days) is the constant 0, not an expression
    assert _reach(0) == (0, 0) and _reach(-7) == (0, 7)
    instance = load_instance(
        instance_dict(
            specialists=[person("ann", cost_per_hour=90), person("bob", cost_per_hour=40)],
            tasks=[task("t", 24, min_daily_hours=4), task("u", 16)],
        )
    )
    data = build_model_data(instance, compute_eligibility(instance))
    start = best_greedy(data, ["coverage", "cost"])
    found, stats = improve(
        data, start, ["coverage", "cost"], time.perf_counter() + 1, tiebreak="stability"
    )
    assert stats.rounds > 0
    assert evaluate(data, found)["cost"] <= evaluate(data, start)["cost"]
    _checked(instance, data, found)


def test_rounds_of_a_window_of_dates_keep_every_rule_on_a_long_horizon() -> None:
    # 32 working dates: half the rounds seeded on a task free ten of them only
    instance = _instance(("mixed", 1.3, 41, 24, 4, 32), required_fraction=0.2)
    data = build_model_data(instance, compute_eligibility(instance))
    assert len(data.dates) >= lns.WINDOW_HORIZON * lns.WINDOW_DAYS
    start = best_greedy(data, ["coverage", "cost"])
    before = evaluate(data, start)
    found, windows, improving = start, 0, 0
    for seed in range(3):  # a loaded machine searches fewer rounds in 4 s: go on from there
        found, stats = improve(
            data, found, ["coverage"], time.perf_counter() + 4, workers=2, seed=seed
        )
        windows, improving = windows + stats.windows, improving + stats.window_improving
        if improving:
            break
    assert windows > 0 and improving > 0, stats
    assert evaluate(data, found)["coverage"] < before["coverage"]
    _checked(instance, data, found)
    cheaper, stats = improve(data, found, ["coverage", "cost"], time.perf_counter() + 3, workers=2)
    assert stats.windows > 0, stats
    after, final = evaluate(data, found), evaluate(data, cheaper)
    assert (final["coverage"], final["cost"]) <= (after["coverage"], after["cost"])
    _checked(instance, data, cheaper)


def test_a_seed_searched_in_vain_is_drawn_less_until_its_work_changes() -> None:
    instance = _instance(SHAPES[0])
    data = build_model_data(instance, compute_eligibility(instance))
    start = best_greedy(data, ["coverage", "cost"])
    search = lns._Search(data, start, ["coverage", "cost"], None)
    round_ = search.draw(random.Random(3))
    assert round_ is not None and round_.seed is not None and round_.freed
    k = round_.seed
    for searched in range(1, 10):  # each round in vain halves its seed's weight, to a floor
        with search.lock:
            search.finish(round_, proven=True)
            search.in_flight.append(round_.freed)
        expected = max(lns.SEED_FLOOR, lns.SEED_DAMPING**searched)
        assert search.damping[k] == pytest.approx(expected)
    alone = [t.index == k for t in data.targets]  # damped, but still drawn
    assert lns._seed(data, search.plan, "cost", alone, random.Random(0), search.damping) == k
    # a better plan lands: every target whose work it moves is worth seeding again
    found, _ = improve(data, start, ["coverage", "cost"], time.perf_counter() + 2)
    _checked(instance, data, found)
    before, after = evaluate(data, start), evaluate(data, found)
    assert [after["coverage"], after["cost"]] < [before["coverage"], before["cost"]]
    everyone = set(range(len(data.capacity_q)))
    res = search.plan.residual(everyone)
    local = {w: i for i, w in enumerate(res.origin)}
    part = Solution(
        {local[w]: s for w, s in found.fills.items()},
        {(s, local[t], d): q for (s, t, d), q in found.hours.items()},
    )
    delta = [after[g] - before[g] for g in ("coverage", "cost")]
    search.damping = [lns.SEED_FLOOR] * len(data.targets)
    whole = lns._Round(0, everyone, {t.project for t in data.targets}, seed=k)
    assert search.commit(whole, lns._Change(res, part, delta)) is not None
    worked = {row[1] for row in start.rows(data)} | {row[1] for row in found.rows(data)}
    for t in data.targets:
        assert search.damping[t.index] == (1.0 if t.index in worked else lns.SEED_FLOOR)


def test_the_search_ends_once_a_round_of_every_specialist_is_proven() -> None:
    # two people, one project: a round frees both over every date and is proven at once
    instance = load_instance(
        instance_dict(
            specialists=[person("a"), person("b", cost_per_hour=60)], tasks=[task("t", 24)]
        )
    )
    data = build_model_data(instance, compute_eligibility(instance))
    start = best_greedy(data, ["coverage", "cost"])
    began = time.perf_counter()
    found, stats = improve(data, start, ["coverage", "cost"], began + 30, workers=2)
    assert time.perf_counter() - began < 10  # not the 30 s allowed
    assert stats.proven >= 1
    check_solution(instance, data, found)


def test_a_search_stalled_long_enough_for_its_age_restarts() -> None:
    began = 100.0
    # early on, after STALL_SECONDS without a better plan
    assert not lns.stalled(began + 1.9, began, began)
    assert lns.stalled(began + lns.STALL_SECONDS + 0.1, began, began)
    # later, only after STALL_SHARE of the time searched so far
    now = began + 40.0
    wait = lns.STALL_SHARE * 40.0
    assert wait > lns.STALL_SECONDS
    assert not lns.stalled(now, now - wait + 0.5, began)
    assert lns.stalled(now, now - wait - 0.5, began)


def test_a_restart_gives_every_seed_its_whole_weight_and_the_rounds_their_first_size() -> None:
    instance = _instance(SHAPES[0])
    data = build_model_data(instance, compute_eligibility(instance))
    start = best_greedy(data, ["coverage", "cost"])
    search = lns._Search(data, start, ["coverage", "cost"], None)
    first = search.whole.size
    search.damping = [lns.SEED_FLOOR] * len(data.targets)
    for pace in (search.whole, search.windowed):
        pace.size, pace.seconds = first + 5, lns.MAX_ROUND_SECONDS
    search.restart()
    assert search.damping == [1.0] * len(data.targets)
    for pace in (search.whole, search.windowed):
        assert (pace.size, pace.seconds) == (first, lns.ROUND_SECONDS)
    assert search.stats.restarts == 1
    assert search.plan.solution == start  # the incumbent is kept


def test_cost_rounds_grow_from_work_dearer_than_its_cheapest_candidate() -> None:
    # "dear" does t1 though "cheap" could; t2 needs a tester only "tester" can be
    instance = load_instance(
        instance_dict(
            specialists=[
                person("cheap", cost_per_hour=40),
                person("dear", cost_per_hour=90),
                person("tester", roles=["tester"], cost_per_hour=70),
            ],
            tasks=[task("t1", 16), task("t2", 16, role="tester")],
        )
    )
    data = build_model_data(instance, compute_eligibility(instance))
    index = data.eligibility.target_index
    t1, t2 = index["task", "t1"], index["task", "t2"]
    dear, tester = data.specialist_index["dear"], data.specialist_index["tester"]
    plan = Solution(
        {}, {(dear, t1, 0): 32, (dear, t1, 1): 32, (tester, t2, 0): 32, (tester, t2, 1): 32}
    )
    check_solution(instance, data, plan)
    incumbent = Incumbent(data, plan)
    freeable = [True] * len(data.targets)
    cheapest = lns.cheapest_rates(data)
    assert cheapest[t1] == data.rate[data.specialist_index["cheap"]]
    drawn = {
        lns._seed(data, incumbent, "cost", freeable, random.Random(i), None, cheapest)
        for i in range(50)
    }
    assert drawn == {t1}  # t2's tester is its only, so cheapest, candidate
    # by money alone, t2 (dearer in all) is drawn too
    by_money = {lns._seed(data, incumbent, "cost", freeable, random.Random(i)) for i in range(50)}
    assert by_money == {t1, t2}
    # when every target is done by its cheapest candidate, the seeds follow the money
    fair = Solution({}, {(tester, t2, 0): 32, (tester, t2, 1): 32})
    check_solution(instance, data, fair)
    fair_plan = Incumbent(data, fair)
    assert lns._seed(data, fair_plan, "cost", freeable, random.Random(0), None, cheapest) == t2
