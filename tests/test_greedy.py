"""The greedy planners that give the search its first plan (:mod:`allocator.greedy`)."""

from __future__ import annotations

import pytest
from conftest import check_solution, instance_dict, person, task

from allocator import check_plan, load_instance
from allocator.eligibility import compute_eligibility
from allocator.greedy import best_greedy, greedy_solution
from allocator.model.data import QUARTER, ModelData, build_model_data
from allocator.model.solution import Solution, evaluate, holds_locks, unmet_quarters
from allocator.plan import build_plan

WEEK = {"start": "2027-01-04", "end": "2027-01-08"}


def _unmet_hours(data: ModelData, solution: Solution) -> float:
    return sum(unmet_quarters(data, solution)) / QUARTER


def _one_seat_task() -> dict[str, object]:
    """``c`` (20/h) fills a 6 h workplace all week, so has 2 h a day left; ``e`` (60/h) is
    free. A 40 h task allows one assignee: only ``e`` can do it all."""
    return instance_dict(
        specialists=[person("c", cost_per_hour=20), person("e", cost_per_hour=60)],
        workplaces=[
            {
                "id": "seat",
                "project": "p",
                "role": "developer",
                "hours_per_day": 6,
                "candidates": ["c"],
                **WEEK,
            }
        ],
        tasks=[task("t", 40, max_assignees=1)],
    )


@pytest.mark.parametrize("ordering", ["manager", "scarcity"])
def test_roomy_gives_a_task_with_one_seat_to_who_has_the_time(ordering: str) -> None:
    instance = load_instance(_one_seat_task())
    data = build_model_data(instance, compute_eligibility(instance))
    plain = greedy_solution(data, ordering=ordering)  # type: ignore[arg-type]
    roomy = greedy_solution(data, ordering=ordering, roomy=True)  # type: ignore[arg-type]
    for solution in (plain, roomy):
        check_solution(instance, data, solution)
    # the cheaper c takes the one seat with 10 h to give: 30 h unmet
    assert _unmet_hours(data, plain) == 30
    assert _unmet_hours(data, roomy) == 0
    assert {s for s, _, _ in roomy.hours} == {data.specialist_index["e"]}
    assert evaluate(data, best_greedy(data, ["coverage", "cost"]))["coverage"] == 0


def test_roomy_still_prefers_the_cheaper_of_those_who_can_do_it_all() -> None:
    data_dict = _one_seat_task()
    data_dict["specialists"].append(person("m", cost_per_hour=40))  # type: ignore[attr-defined]
    instance = load_instance(data_dict)
    data = build_model_data(instance, compute_eligibility(instance))
    roomy = greedy_solution(data, ordering="scarcity", roomy=True)
    assert _unmet_hours(data, roomy) == 0
    assert {s for s, _, _ in roomy.hours} == {data.specialist_index["m"]}
    check_solution(instance, data, roomy)


def test_the_onboarding_rule_weighs_a_join_with_the_hours() -> None:
    """``b`` is cheaper by the hour (45 against 50) but new to the project (8 h of
    onboarding, 360); ``a`` knows it. Two 16 h tasks: by rate ``b`` takes both (1,800); counting
    the join, ``a`` does (1,600)."""
    data_dict = instance_dict(
        specialists=[person("a", familiar_projects=["p"]), person("b", cost_per_hour=45)],
        tasks=[
            task("t1", 16, start="2027-01-04", due="2027-01-05"),
            task("t2", 16, start="2027-01-06", due="2027-01-07"),
        ],
    )
    data_dict["projects"][0]["onboarding_hours"] = 8
    instance = load_instance(data_dict)
    data = build_model_data(instance, compute_eligibility(instance))
    by_rate = greedy_solution(data, ordering="scarcity", roomy=True)
    by_money = greedy_solution(data, ordering="scarcity", roomy=True, onboarding=True)
    index = data.specialist_index
    assert {s for s, _, _ in by_rate.hours} == {index["b"]}
    assert {s for s, _, _ in by_money.hours} == {index["a"]}
    assert evaluate(data, by_rate)["cost"] == 1800 and evaluate(data, by_money)["cost"] == 1600
    assert evaluate(data, best_greedy(data, ["coverage", "cost"]))["cost"] == 1600
    for solution in (by_rate, by_money):
        report = check_solution(instance, data, solution)
        assert report.objective["cost"] == evaluate(data, solution)["cost"]


def test_ranking_by_money_is_exact_for_the_largest_costs_and_efforts() -> None:
    """Onboarding ranking compares an item's money in integers: ``a`` knows the project but
    costs 0.25 more an hour; ``b`` pays 0.25 h of onboarding. Over 999,999.25 h ``b`` is
    cheaper by one money unit, a difference floats (above 2**53) cannot see."""
    data_dict = instance_dict(
        horizon={"start": "2027-01-04", "end": "2027-01-04"},
        specialists=[
            person("a", cost_per_hour=999_999.4999, familiar_projects=["p"]),
            person("b", cost_per_hour=999_999.2499),
        ],
        projects=[{"id": "p", "program": "project_based", "onboarding_hours": 0.25}],
        tasks=[task("t", 999_999.25)],
    )
    instance = load_instance(data_dict)
    data = build_model_data(instance, compute_eligibility(instance))
    a_money = data.rate[0] * data.targets[0].demand_q
    b_money = data.rate[1] * data.targets[0].demand_q + data.onboarding(1, 0)
    assert b_money == a_money - 1 and float(b_money) == float(a_money)
    solution = greedy_solution(data, ordering="scarcity", onboarding=True)
    assert {s for s, _, _ in solution.hours} == {1}  # b
    plan = build_plan(data, solution, stages=[], complete=False, wall_seconds=0, statistics={})
    report = check_plan(instance, plan)
    assert report.ok, report.violations


@pytest.mark.parametrize(
    ("locks", "holds"),
    [
        ({}, True),
        ({"required": ["seat"]}, True),
        ({"required": ["seat", "t"]}, True),
        ({"fixed": [{"specialist": "c", "workplace": "seat"}]}, True),
        ({"fixed": [{"specialist": "c", "workplace": "seat", "date": "2027-01-05"}]}, True),
        (
            {"fixed": [{"specialist": "c", "workplace": "seat", "date": "2027-01-05", "hours": 6}]},
            True,
        ),
        (
            {"fixed": [{"specialist": "c", "workplace": "seat", "date": "2027-01-05", "hours": 5}]},
            False,
        ),
        ({"fixed": [{"specialist": "e", "task": "t"}]}, True),
        ({"fixed": [{"specialist": "e", "task": "t", "hours": 40}]}, True),
        ({"fixed": [{"specialist": "e", "task": "t", "hours": 39}]}, False),
        ({"fixed": [{"specialist": "e", "task": "t", "date": "2027-01-06", "hours": 8}]}, True),
        ({"fixed": [{"specialist": "e", "task": "t", "date": "2027-01-06", "hours": 7}]}, False),
        (
            {
                "fixed": [
                    {"specialist": "c", "workplace": "seat"},
                    {"specialist": "c", "task": "t", "hours": 40},  # 2 h a day left
                ]
            },
            False,
        ),
    ],
)
def test_holds_locks_tells_whether_a_plan_keeps_the_fixed_and_required_items(
    locks: dict[str, list[object]], holds: bool
) -> None:
    # the roomy plan: c fills the seat (6 h a day), e does all of t (8 h a day, 40 h)
    data_dict = _one_seat_task()
    for item in (*data_dict["workplaces"], *data_dict["tasks"]):  # type: ignore[misc]
        item["required"] = item["id"] in locks.get("required", [])
    data_dict["fixed"] = locks.get("fixed", [])
    instance = load_instance(data_dict)
    data = build_model_data(instance, compute_eligibility(instance))
    roomy = greedy_solution(data, roomy=True)
    assert holds_locks(data, roomy) is holds
    # the independent checker agrees: the plan keeps every rule, or breaks a lock only
    plan = build_plan(data, roomy, stages=[], complete=False, wall_seconds=0, statistics={})
    report = check_plan(instance, plan)
    assert report.ok is holds, report.violations
    assert {v.rule for v in report.violations} <= {"fixed", "required"}


def test_holds_locks_sees_a_required_item_short_of_its_hours() -> None:
    data_dict = _one_seat_task()
    data_dict["workplaces"][0]["required"] = True  # type: ignore[index]
    data_dict["tasks"][0]["required"] = True  # type: ignore[index]
    instance = load_instance(data_dict)
    data = build_model_data(instance, compute_eligibility(instance))
    solution = greedy_solution(data, roomy=True)
    check_solution(instance, data, solution)
    assert holds_locks(data, solution)
    day = next(iter(solution.hours))
    short_task = Solution(dict(solution.fills), dict(solution.hours))
    del short_task.hours[day]  # a day of t undone
    assert not holds_locks(data, short_task)
    assert not holds_locks(data, Solution({}, dict(solution.hours)))  # the seat unfilled
