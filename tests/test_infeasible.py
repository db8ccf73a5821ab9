"""Infeasible instances: the plan says so, plans nothing, passes the checker, and explains why.

The spec: "If the hard constraints cannot all hold, the instance is infeasible: the plan says
so and explains why, naming the smallest set of the instance's own items (fixed assignments,
required items, share rules, capacity on named dates) that cannot hold together."

Every instance here carries satisfiable *decoys* (a required workplace, a required task and a
fixed assignment, all ``decoy-*``) that an explanation must not name.
"""

from __future__ import annotations

import re
import threading
import time
from typing import Any

import pytest
from conftest import instance_dict, person, solve_checked

from allocator import Plan
from allocator.explain import explain_infeasibility
from allocator.validate import load_instance

WEEK = ["2027-01-04", "2027-01-05", "2027-01-06", "2027-01-07", "2027-01-08"]


def workplace(id: str, **fields: Any) -> dict[str, Any]:
    return {"id": id, "project": "p", "role": "developer", "hours_per_day": 8, **fields}


def task(id: str, **fields: Any) -> dict[str, Any]:
    return {"id": id, "project": "p", "effort_hours": 8, **fields}


DECOY_PEOPLE = [person("decoy-ann", cost_per_hour=90), person("decoy-bob", cost_per_hour=90)]
DECOY_WORKPLACES = [workplace("decoy-seat", required=True, candidates=["decoy-ann"])]
DECOY_TASKS = [task("decoy-job", required=True, effort_hours=16, candidates=["decoy-bob"])]
DECOY_FIXED = [
    {"specialist": "decoy-bob", "task": "decoy-job"},
    {"specialist": "decoy-ann", "workplace": "decoy-seat", "date": WEEK[2]},
]


def with_decoys(
    specialists: list[dict[str, Any]],
    workplaces: list[dict[str, Any]] | None = None,
    tasks: list[dict[str, Any]] | None = None,
    fixed: list[dict[str, Any]] | None = None,
    **sections: Any,
) -> dict[str, Any]:
    return instance_dict(
        specialists=specialists + DECOY_PEOPLE,
        workplaces=(workplaces or []) + DECOY_WORKPLACES,
        tasks=(tasks or []) + DECOY_TASKS,
        fixed=(fixed or []) + DECOY_FIXED,
        **sections,
    )


def infeasible(data: dict[str, Any]) -> tuple[Plan, set[str]]:
    """Solve (checked), assert an empty infeasible plan, return it and its explanation's words."""
    plan = solve_checked(data, time_limit=10, workers=2)
    assert plan.status == "infeasible"
    assert plan.assignments == [] and plan.workplaces == [] and plan.unmet == []
    assert plan.explanation
    text = "\n".join(plan.explanation)
    assert "decoy" not in text, plan.explanation
    return plan, set(re.findall(r"[\w-]+", text))


def test_the_decoys_alone_are_feasible() -> None:
    plan = solve_checked(with_decoys([]), time_limit=10, workers=2)
    assert plan.status == "optimal"
    assert plan.objective["coverage"] == 0


@pytest.mark.parametrize(
    ("who", "seat", "because"),
    [
        ({"roles": ["tester"]}, {}, "xena does not have the role developer"),
        (
            {"skills": {"python": 2}},
            {"skills": {"python": 4}},
            "xena has python at level 2, needs 4",
        ),
        ({}, {"candidates": ["decoy-ann"]}, "xena is not an approved candidate"),
        (
            {"sourcing": "outsourced"},
            {"sourcing": "in_house"},
            "xena is outsourced; workplace seat is in-house only",
        ),
        ({"certifications": []}, {"certifications": ["hipaa"]}, "xena lacks certification hipaa"),
    ],
    ids=["role", "skill", "candidates", "sourcing", "certification"],
)
def test_fixed_ineligible_specialist(
    who: dict[str, Any], seat: dict[str, Any], because: str
) -> None:
    data = with_decoys(
        [person("xena", **who)],
        workplaces=[workplace("seat", **seat)],
        fixed=[{"specialist": "xena", "workplace": "seat"}],
    )
    plan, words = infeasible(data)
    assert {"xena", "seat"} <= words
    assert plan.explanation == [
        f"this item can never hold: fixed assignment: xena on workplace seat ({because})"
    ]


@pytest.mark.parametrize(
    ("day", "holidays", "because"),
    [
        ("2027-01-09", [], "2027-01-09 is a Saturday, not a working day"),
        (WEEK[2], [WEEK[2]], f"{WEEK[2]} is a holiday"),
    ],
    ids=["saturday", "holiday"],
)
def test_a_fixed_date_that_is_no_working_day_says_so(
    day: str, holidays: list[str], because: str
) -> None:
    data = with_decoys(
        [person("xena")],
        tasks=[task("job")],
        fixed=[{"specialist": "xena", "task": "job", "date": day}],
        horizon={"start": WEEK[0], "end": "2027-01-10", "holidays": holidays},
    )
    plan, _ = infeasible(data)
    assert because in plan.explanation[0], plan.explanation


def test_fixed_task_on_a_date_the_specialist_is_on_leave() -> None:
    data = with_decoys(
        [person("xena", unavailable=[{"date": WEEK[3]}])],
        tasks=[task("job")],
        fixed=[{"specialist": "xena", "task": "job", "date": WEEK[3]}],
    )
    _, words = infeasible(data)
    assert {"xena", "job"} <= words


def test_two_fixed_workplaces_exceed_the_day() -> None:
    data = with_decoys(
        [person("xena")],
        workplaces=[
            workplace("front", hours_per_day=5),
            workplace("back", hours_per_day=4, start=WEEK[2], end=WEEK[3]),
        ],
        fixed=[
            {"specialist": "xena", "workplace": "front"},
            {"specialist": "xena", "workplace": "back"},
        ],
    )
    plan, words = infeasible(data)
    assert {"xena", "front", "back"} <= words
    # the capacity named, if any, is xena's on a date both seats share
    dates = {w for w in words if re.fullmatch(r"\d{4}-\d\d-\d\d", w)}
    assert dates <= {WEEK[2], WEEK[3]}, plan.explanation


def test_required_task_larger_than_all_eligible_capacity() -> None:
    data = with_decoys(
        [person("xena"), person("yuri"), person("tom", roles=["tester"])],
        tasks=[
            task(
                "big",
                role="developer",
                effort_hours=50,  # xena and yuri have 2 x 3 x 8 = 48 h in the window
                start=WEEK[0],
                due=WEEK[2],
                max_assignees=2,
                required=True,
            )
        ],
    )
    plan, words = infeasible(data)
    assert "big" in words
    assert "tom" not in words, plan.explanation
    # and why, in hours: two at once, 24 h each in the window
    assert (
        "at most 2 at once, can work at most 48 h of its 50 h in its window"
        in (plan.explanation[0])
    ), plan.explanation


def test_fixed_outsourced_specialist_on_an_all_in_house_project() -> None:
    data = with_decoys(
        [person("xena", sourcing="outsourced"), person("ivan")],
        workplaces=[workplace("ops", project="q")],
        fixed=[{"specialist": "xena", "workplace": "ops"}],
        projects=[
            {"id": "p", "program": "mixed"},
            {"id": "q", "program": "time_based", "min_in_house_share": 1.0},
        ],
    )
    plan, words = infeasible(data)
    assert {"xena", "ops", "q"} <= words
    assert "ivan" not in words, plan.explanation


def test_required_exclusive_workplace_and_a_fixed_task_in_its_period() -> None:
    data = with_decoys(
        [person("xena"), person("ivan", roles=["tester"])],
        workplaces=[
            workplace("lock", hours_per_day=4, exclusive=True, required=True, end=WEEK[2]),
        ],
        tasks=[task("fix", effort_hours=2, start=WEEK[1], due=WEEK[1])],
        fixed=[{"specialist": "xena", "task": "fix"}],
    )
    # xena is the only developer free for "lock" (decoy-ann is held on decoy-seat)
    data["workplaces"][0]["candidates"] = ["xena"]
    plan, words = infeasible(data)
    assert {"xena", "lock", "fix"} <= words
    assert "ivan" not in words, plan.explanation


def test_the_only_item_is_named_when_it_is_the_whole_model() -> None:
    data = instance_dict(
        specialists=[person("xena", roles=["tester"])],
        workplaces=[workplace("seat")],
        fixed=[{"specialist": "xena", "workplace": "seat"}],
    )
    plan = solve_checked(data, time_limit=10, workers=2)
    assert plan.status == "infeasible"
    assert {"xena", "seat"} <= set(re.findall(r"[\w-]+", "\n".join(plan.explanation)))


def test_a_required_workplace_without_working_dates_is_solved_consistently() -> None:
    data = instance_dict(
        horizon={"start": "2027-01-04", "end": "2027-01-15"},
        specialists=[person("xena")],
        workplaces=[workplace("weekend", required=True, start="2027-01-09", end="2027-01-10")],
    )
    plan = solve_checked(data, time_limit=10, workers=2)  # optimal or infeasible, but checked
    assert plan.status in ("optimal", "infeasible")


def test_a_required_workplace_whose_only_candidate_is_away_says_when() -> None:
    data = with_decoys(
        [person("xena", unavailable=[{"date": WEEK[2]}])],
        workplaces=[workplace("seat", required=True, candidates=["xena"])],
    )
    plan, _ = infeasible(data)
    assert plan.explanation == [
        "this item can never hold: required workplace seat must be filled (every eligible "
        f"specialist is away on a date of its period: xena on {WEEK[2]})"
    ]


def test_a_required_task_whose_window_has_no_working_date_says_so() -> None:
    data = with_decoys(
        [person("xena")],
        tasks=[task("job", required=True, start=WEEK[3], due=WEEK[3])],
        horizon={"start": WEEK[0], "end": WEEK[4], "holidays": [WEEK[3]]},
    )
    plan, _ = infeasible(data)
    assert plan.explanation == [
        "this item can never hold: required task job must be done in full (its window has no "
        "working dates)"
    ]


@pytest.mark.parametrize(
    ("leave", "because"),
    [
        ([], "the task's window has no working dates"),
        (
            [{"start": WEEK[0], "end": WEEK[1]}],
            "xena is unavailable on every working date of its window",
        ),
    ],
    ids=["window-without-working-dates", "on-leave-all-window"],
)
def test_a_fixed_task_that_can_never_be_worked_says_why(leave: list[object], because: str) -> None:
    # no date on the lock: its window is a holiday, or every working date of it leave
    holidays = [] if leave else [WEEK[3]]
    window = (WEEK[0], WEEK[1]) if leave else (WEEK[3], WEEK[3])
    data = with_decoys(
        [person("xena", unavailable=leave)],
        tasks=[task("job", start=window[0], due=window[1])],
        fixed=[{"specialist": "xena", "task": "job"}],
        horizon={"start": WEEK[0], "end": WEEK[4], "holidays": holidays},
    )
    plan, _ = infeasible(data)
    assert plan.explanation == [
        f"this item can never hold: fixed assignment: xena on task job ({because})"
    ]


def test_required_items_that_need_the_same_person_name_who_can_staff_them() -> None:
    # 5 h a day each, overlapping on one date: xena alone can fill either (8 h a day; yann
    # is no developer)
    only = {"candidates": ["xena", "yann"]}
    data = with_decoys(
        [person("xena"), person("yann", roles=["designer"])],
        workplaces=[
            workplace("wa", hours_per_day=5, required=True, start=WEEK[1], end=WEEK[2], **only),
            workplace("wb", hours_per_day=5, required=True, start=WEEK[2], end=WEEK[3], **only),
        ],
    )
    plan, _ = infeasible(data)
    assert plan.explanation[0] == (
        "these items cannot all hold together: required workplace wa must be filled (only "
        "xena can fill it); required workplace wb must be filled (only xena can fill it)"
    )


def test_fixed_fills_that_collide_on_an_exclusive_workplace_say_it_is_exclusive() -> None:
    data = with_decoys(
        [person("xena")],
        workplaces=[
            workplace("lock", hours_per_day=2, exclusive=True),
            workplace("side", hours_per_day=2),
        ],
        fixed=[
            {"specialist": "xena", "workplace": "lock"},
            {"specialist": "xena", "workplace": "side"},
        ],
    )
    plan, words = infeasible(data)
    assert {"xena", "lock", "side"} <= words
    assert "workplace lock (exclusive: nothing else in its period)" in plan.explanation[0]


def test_a_stopped_explanation_ends_at_once_and_says_it_was_stopped() -> None:
    data = with_decoys(
        [person("xena")],
        workplaces=[workplace("front", hours_per_day=5), workplace("back", hours_per_day=4)],
        fixed=[
            {"specialist": "xena", "workplace": "front"},
            {"specialist": "xena", "workplace": "back"},
        ],
    )
    instance = load_instance(data)
    assert "xena" in explain_infeasibility(instance, time_limit=10)[0]  # unstopped: the core
    stop = threading.Event()
    stop.set()  # a cancelled job, Ctrl+C
    started = time.perf_counter()
    explanation = explain_infeasibility(instance, time_limit=10, stop=stop)
    assert time.perf_counter() - started < 5
    assert explanation == [
        "the hard rules conflict, but no smaller set of items could be isolated before the "
        "search was stopped"
    ]
