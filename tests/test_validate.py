"""Input validation: every kind of bad input gives the right message at the right JSON path.

The spec ("Field rules"): unknown fields, unknown references, duplicate ids, dates outside the
horizon, ``end`` before ``start`` and values out of range are input errors, all reported at
once, each with its JSON path; nothing is solved.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import INSTANCES, instance_dict, person, solve_checked

from allocator import (
    InvalidDocument,
    InvalidInstance,
    Problem,
    SolveOptions,
    check_plan,
    load_instance,
    solve,
)
from allocator.documents import DUPLICATE_KEY, LONE_SURROGATE, MAX_DEPTH, NOT_FINITE, TOO_DEEP
from allocator.validate import load_instance_file, read_json, validate

Data = dict[str, Any]

VALID: Data = instance_dict(
    specialists=[
        person(
            "a",
            skills={"python": 3},
            unavailable=[{"date": "2027-01-05"}],
            familiar_projects=["p"],
        ),
        person("b", sourcing="outsourced", vendor="v"),
    ],
    workplaces=[
        {
            "id": "w",
            "project": "p",
            "role": "developer",
            "hours_per_day": 4,
            "skills": {"python": 2},
            "start": "2027-01-04",
            "end": "2027-01-06",
            "candidates": ["a", "b"],
        }
    ],
    tasks=[
        {
            "id": "t",
            "project": "p",
            "effort_hours": 8,
            "start": "2027-01-05",
            "due": "2027-01-08",
            "candidates": ["b"],
        }
    ],
    fixed=[
        {"specialist": "a", "workplace": "w"},
        {"specialist": "b", "task": "t", "date": "2027-01-06", "hours": 2},
    ],
)


def mutated(change: Callable[[Data], object]) -> Data:
    data = copy.deepcopy(VALID)
    change(data)
    return data


def found(data: Any) -> list[tuple[str, str]]:
    return [(p.path, p.message) for p in validate(data)]


def test_the_base_instance_and_the_demo_are_valid() -> None:
    assert validate(VALID) == []
    demo = json.loads((INSTANCES / "demo.json").read_text())
    assert validate(demo) == []
    assert load_instance_file(INSTANCES / "demo.json").name == "demo"


def _set(path: tuple[Any, ...], value: Any) -> Callable[[Data], None]:
    def change(data: Data) -> None:
        node: Any = data
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value

    return change


def _del(path: tuple[Any, ...]) -> Callable[[Data], None]:
    def change(data: Data) -> None:
        node: Any = data
        for part in path[:-1]:
            node = node[part]
        del node[path[-1]]

    return change


S0, S1 = ("specialists", 0), ("specialists", 1)
P0, W0, T0 = ("projects", 0), ("workplaces", 0), ("tasks", 0)
F0, F1 = ("fixed", 0), ("fixed", 1)

# (test id, change to VALID, the only path reported, a fragment of its message)
CASES: list[tuple[str, Callable[[Data], object], str, str]] = [
    # unknown fields, at every level
    ("unknown-top", _set(("colour",), "red"), "$.colour", "unknown field"),
    ("unknown-horizon", _set(("horizon", "tz"), "UTC"), "$.horizon.tz", "unknown field"),
    ("unknown-specialist", _set((*S1, "wage"), 3), "$.specialists[1].wage", "unknown field"),
    ("unknown-project", _set((*P0, "budget"), 3), "$.projects[0].budget", "unknown field"),
    ("unknown-workplace", _set((*W0, "seat"), 1), "$.workplaces[0].seat", "unknown field"),
    ("unknown-task", _set((*T0, "effort"), 8), "$.tasks[0].effort", "unknown field"),
    ("unknown-fixed", _set((*F1, "note"), "x"), "$.fixed[1].note", "unknown field"),
    (
        "unknown-unavailable",
        _set((*S0, "unavailable"), [{"start": "2027-01-05", "end": "2027-01-05", "why": "x"}]),
        "$.specialists[0].unavailable[0].why",
        "unknown field",
    ),
    ("unknown-solver", _set(("solver", "threads"), 2), "$.solver.threads", "unknown field"),
    # missing required fields
    ("missing-roles", _del((*S0, "roles")), "$.specialists[0].roles", "required field is missing"),
    ("missing-sourcing", _del((*S1, "sourcing")), "$.specialists[1].sourcing", "missing"),
    ("missing-program", _del((*P0, "program")), "$.projects[0].program", "missing"),
    ("missing-wp-hours", _del((*W0, "hours_per_day")), "$.workplaces[0].hours_per_day", "missing"),
    ("missing-effort", _del((*T0, "effort_hours")), "$.tasks[0].effort_hours", "missing"),
    ("missing-fixed-who", _del((*F0, "specialist")), "$.fixed[0].specialist", "missing"),
    ("missing-horizon-end", _del(("horizon", "end")), "$.horizon.end", "missing"),
    ("missing-horizon", _del(("horizon",)), "$.horizon", "missing"),
    # wrong types
    (
        "type-hours",
        _set((*S0, "hours_per_day"), "eight"),
        "$.specialists[0].hours_per_day",
        "number",
    ),
    (
        "type-roles",
        _set((*S0, "roles"), "developer"),
        "$.specialists[0].roles",
        "expected a JSON array, not a string",
    ),
    (
        "type-skills",
        _set((*S0, "skills"), ["python"]),
        "$.specialists[0].skills",
        "expected a JSON object, not an array",
    ),
    ("type-exclusive", _set((*W0, "exclusive"), "maybe"), "$.workplaces[0].exclusive", "boolean"),
    ("type-date", _set((*T0, "due"), "next friday"), "$.tasks[0].due", "date"),
    ("type-sourcing", _set((*S1, "sourcing"), "vendor"), "$.specialists[1].sourcing", "in_house"),
    ("type-program", _set((*P0, "program"), "agile"), "$.projects[0].program", "time_based"),
    ("type-workday", _set(("horizon", "workdays"), ["monday"]), "$.horizon.workdays[0]", "mon"),
    (
        "type-item",
        lambda d: d["tasks"].insert(0, 7),
        "$.tasks[0]",
        "expected a JSON object, not a number",
    ),
    ("type-collection", _set(("fixed",), {"a": "w"}), "$.fixed", "expected a JSON array"),
    ("type-format", _set(("format",), "allocator/2"), "$.format", "allocator/1"),
    # unknown references
    (
        "ref-wp-project",
        _set((*W0, "project"), "nope"),
        "$.workplaces[0].project",
        "unknown project 'nope'",
    ),
    (
        "ref-task-project",
        _set((*T0, "project"), "nope"),
        "$.tasks[0].project",
        "unknown project 'nope'",
    ),
    (
        "ref-wp-candidate",
        _set((*W0, "candidates"), ["a", "ghost"]),
        "$.workplaces[0].candidates[1]",
        "unknown specialist 'ghost'",
    ),
    (
        "ref-task-candidate",
        _set((*T0, "candidates"), ["ghost"]),
        "$.tasks[0].candidates[0]",
        "unknown specialist 'ghost'",
    ),
    (
        "ref-fixed-specialist",
        _set((*F0, "specialist"), "ghost"),
        "$.fixed[0].specialist",
        "unknown specialist 'ghost'",
    ),
    (
        "ref-fixed-workplace",
        _set((*F0, "workplace"), "seat"),
        "$.fixed[0].workplace",
        "unknown workplace 'seat'",
    ),
    ("ref-fixed-task", _set((*F1, "task"), "job"), "$.fixed[1].task", "unknown task 'job'"),
    (
        "ref-familiar",
        _set((*S0, "familiar_projects"), ["p", "q"]),
        "$.specialists[0].familiar_projects[1]",
        "unknown project 'q'",
    ),
    # a workplace id is not a task id (and the other way round)
    (
        "ref-fixed-task-is-a-workplace",
        _set((*F1, "task"), "w"),
        "$.fixed[1].task",
        "unknown task 'w'",
    ),
    # duplicates
    (
        "dup-specialist",
        lambda d: d["specialists"].append(person("a")),
        "$.specialists[2].id",
        "duplicate id 'a'",
    ),
    (
        "dup-project",
        lambda d: d["projects"].append({"id": "p", "program": "time_based"}),
        "$.projects[1].id",
        "duplicate id 'p'",
    ),
    (
        "dup-workplace",
        lambda d: d["workplaces"].append({**d["workplaces"][0], "candidates": None}),
        "$.workplaces[1].id",
        "duplicate id 'w'",
    ),
    (
        "dup-task",
        lambda d: d["tasks"].append({"id": "t", "project": "p", "effort_hours": 1}),
        "$.tasks[1].id",
        "duplicate id 't'",
    ),
    (
        "dup-role",
        _set((*S0, "roles"), ["developer", "developer"]),
        "$.specialists[0].roles[1]",
        "duplicate role",
    ),
    ("dup-fixed", lambda d: d["fixed"].append(dict(d["fixed"][0])), "$.fixed[2]", "listed twice"),
    # dates outside the horizon (2027-01-04 .. 2027-01-08)
    (
        "date-wp-start",
        _set((*W0, "start"), "2027-01-01"),
        "$.workplaces[0].start",
        "outside the horizon",
    ),
    ("date-wp-end", _set((*W0, "end"), "2027-01-11"), "$.workplaces[0].end", "outside the horizon"),
    (
        "date-task-start",
        _set((*T0, "start"), "2026-12-31"),
        "$.tasks[0].start",
        "outside the horizon",
    ),
    (
        "date-task-due",
        _set((*T0, "due"), "2027-02-01"),
        "$.tasks[0].due",
        "2027-02-01 is outside the horizon",
    ),
    (
        "date-holiday",
        _set(("horizon", "holidays"), ["2027-01-20"]),
        "$.horizon.holidays[0]",
        "outside the horizon",
    ),
    (
        "date-unavailable-start",
        _set((*S0, "unavailable"), [{"start": "2027-01-01", "end": "2027-01-05"}]),
        "$.specialists[0].unavailable[0].start",
        "outside the horizon",
    ),
    (
        "date-unavailable-end",
        _set((*S0, "unavailable"), [{"start": "2027-01-07", "end": "2027-01-12"}]),
        "$.specialists[0].unavailable[0].end",
        "outside the horizon",
    ),
    (  # one date, named as written: once, at its own key
        "date-unavailable-date",
        _set((*S0, "unavailable"), [{"date": "2027-03-01"}]),
        "$.specialists[0].unavailable[0].date",
        "outside the horizon",
    ),
    (
        "date-unavailable-string",
        _set((*S0, "unavailable"), ["2027-03-01"]),
        "$.specialists[0].unavailable[0]",
        "outside the horizon",
    ),
    ("date-fixed", _set((*F1, "date"), "2027-03-01"), "$.fixed[1].date", "outside the horizon"),
    # end before start
    ("order-horizon", _set(("horizon", "end"), "2027-01-01"), "$.horizon.end", "before start"),
    (
        "leave-extra",
        _set((*S0, "unavailable"), [{"date": "2027-01-05", "why": "flu"}]),
        "$.specialists[0].unavailable[0].why",
        "unknown field",
    ),
    ("tiny-effort", _set((*T0, "effort_hours"), 1e-10), "$.tasks[0].effort_hours", "0.25"),
    ("timestamp", _set(("horizon", "start"), 1798761600), "$.horizon.start", "YYYY-MM-DD"),
    ("date-time", _set((*T0, "due"), "2027-01-08T00:00:00"), "$.tasks[0].due", "YYYY-MM-DD"),
    (
        "priority-bool",
        _set((*P0, "priority"), True),
        "$.projects[0].priority",
        "an integer, not a boolean",
    ),
    ("assignees-text", _set((*T0, "max_assignees"), "2"), "$.tasks[0].max_assignees", "integer"),
    ("exclusive-yes", _set((*W0, "exclusive"), "yes"), "$.workplaces[0].exclusive", "boolean"),
    ("level-text", _set((*S0, "skills", "python"), "4"), "$.specialists[0].skills.python", "int"),
    ("cost-text", _set((*S0, "cost_per_hour"), "50"), "$.specialists[0].cost_per_hour", "number"),
    ("last-date", _set(("horizon", "end"), "9999-12-31"), "$.horizon.end", "out of range"),
    ("first-date", _set(("horizon", "start"), "0001-01-01"), "$.horizon.start", "out of range"),
    (
        "eleven-years",
        _set(("horizon", "end"), "2037-12-31"),
        "$.horizon.end",
        "spans 4,015 days; at most 3,660",
    ),
    ("order-wp", _set((*W0, "start"), "2027-01-07"), "$.workplaces[0].end", "is before start"),
    (
        "order-wp-2",
        lambda d: d["workplaces"][0].update(start="2027-01-06", end="2027-01-05"),
        "$.workplaces[0].end",
        "end 2027-01-05 is before start 2027-01-06",
    ),
    (
        "order-task",
        _set((*T0, "due"), "2027-01-04"),
        "$.tasks[0].due",
        "due 2027-01-04 is before start 2027-01-05",
    ),
    (
        "order-unavailable",
        _set((*S0, "unavailable"), [{"start": "2027-01-07", "end": "2027-01-06"}]),
        "$.specialists[0].unavailable[0].end",
        "before start",
    ),
    # vendor iff outsourced
    ("vendor-missing", _del((*S1, "vendor")), "$.specialists[1].vendor", "needs a vendor"),
    (
        "vendor-in-house",
        _set((*S0, "vendor"), "v"),
        "$.specialists[0].vendor",
        "in-house specialist has no vendor",
    ),
    # quarter hours
    (
        "quarter-day",
        _set((*S0, "hours_per_day"), 7.3),
        "$.specialists[0].hours_per_day",
        "multiple of 0.25",
    ),
    (
        "quarter-wp",
        _set((*W0, "hours_per_day"), 4.1),
        "$.workplaces[0].hours_per_day",
        "multiple of 0.25",
    ),
    (
        "quarter-effort",
        _set((*T0, "effort_hours"), 8.1),
        "$.tasks[0].effort_hours",
        "multiple of 0.25",
    ),
    (
        "quarter-min-daily",
        _set((*T0, "min_daily_hours"), 0.3),
        "$.tasks[0].min_daily_hours",
        "multiple of 0.25",
    ),
    ("quarter-fixed", _set((*F1, "hours"), 1.1), "$.fixed[1].hours", "multiple of 0.25"),
    (
        "quarter-onboarding",
        _set((*P0, "onboarding_hours"), 2.2),
        "$.projects[0].onboarding_hours",
        "multiple of 0.25",
    ),
    (
        "previous-fill-twice",
        _set(
            ("previous_plan",),
            {
                "instance": "t",
                "status": "optimal",
                "workplaces": [
                    {"workplace": "w", "specialist": "a"},
                    {"workplace": "w", "specialist": "b"},
                ],
            },
        ),
        "$.previous_plan.workplaces[1].workplace",
        "listed more than once",
    ),
    (
        "previous-both-targets",
        _set(
            ("previous_plan",),
            {
                "instance": "t",
                "status": "optimal",
                "assignments": [
                    {
                        "specialist": "a",
                        "project": "p",
                        "workplace": "w",
                        "task": "t",
                        "date": "2027-01-04",
                        "hours": 2,
                    }
                ],
            },
        ),
        "$.previous_plan.assignments[0]",
        "exactly one of 'workplace' or 'task'",
    ),
    # ranges
    (
        "day-zero",
        _set((*S0, "hours_per_day"), 0),
        "$.specialists[0].hours_per_day",
        "greater than 0",
    ),
    (
        "day-25",
        _set((*S0, "hours_per_day"), 25),
        "$.specialists[0].hours_per_day",
        "less than or equal to 24",
    ),
    (
        "wp-day-25",
        _set((*W0, "hours_per_day"), 25),
        "$.workplaces[0].hours_per_day",
        "less than or equal to 24",
    ),
    (
        "skill-0",
        _set((*S0, "skills"), {"python": 0}),
        "$.specialists[0].skills.python",
        "greater than or equal to 1",
    ),
    (
        "skill-6",
        _set((*S0, "skills"), {"python": 6}),
        "$.specialists[0].skills.python",
        "less than or equal to 5",
    ),
    (
        "wp-skill-6",
        _set((*W0, "skills"), {"python": 6}),
        "$.workplaces[0].skills.python",
        "less than or equal to 5",
    ),
    (
        "share-1.5",
        _set((*P0, "min_in_house_share"), 1.5),
        "$.projects[0].min_in_house_share",
        "less than or equal to 1",
    ),
    (
        "share-negative",
        _set((*P0, "min_in_house_share"), -0.1),
        "$.projects[0].min_in_house_share",
        "greater than or equal to 0",
    ),
    (
        "priority-0",
        _set((*P0, "priority"), 0),
        "$.projects[0].priority",
        "greater than or equal to 1",
    ),
    ("priority-6", _set((*P0, "priority"), 6), "$.projects[0].priority", "less than or equal to 5"),
    (
        "cost-negative",
        _set((*S0, "cost_per_hour"), -1),
        "$.specialists[0].cost_per_hour",
        "greater than or equal to 0",
    ),
    ("effort-zero", _set((*T0, "effort_hours"), 0), "$.tasks[0].effort_hours", "greater than 0"),
    (
        "max-projects-0",
        _set((*S0, "max_projects"), 0),
        "$.specialists[0].max_projects",
        "greater than or equal to 1",
    ),
    (
        "max-assignees-0",
        _set((*T0, "max_assignees"), 0),
        "$.tasks[0].max_assignees",
        "greater than or equal to 1",
    ),
    ("fixed-hours-0", _set((*F1, "hours"), 0), "$.fixed[1].hours", "greater than 0"),
    (
        "time-limit-0",
        _set(("solver", "time_limit_seconds"), 0),
        "$.solver.time_limit_seconds",
        "greater than 0",
    ),
    # time zones and work hours
    (
        "tz-specialist",
        _set((*S0, "timezone"), "Mars/Olympus"),
        "$.specialists[0].timezone",
        "unknown time zone 'Mars/Olympus'",
    ),
    (
        "tz-project",
        _set((*P0, "timezone"), "Europe/Atlantis"),
        "$.projects[0].timezone",
        "unknown time zone",
    ),
    ("tz-folder", _set((*P0, "timezone"), "Europe"), "$.projects[0].timezone", "unknown time"),
    ("tz-long", _set((*S1, "timezone"), "x" * 300), "$.specialists[1].timezone", "unknown time"),
    (
        "hours-spaced",
        _set((*S1, "work_hours"), " 09:00 - 17:00"),
        "$.specialists[1].work_hours",
        "look",
    ),
    (
        "hours-shape",
        _set((*S0, "work_hours"), "9-5"),
        "$.specialists[0].work_hours",
        "must look like '09:00-17:00'",
    ),
    (
        "hours-empty",
        _set((*S1, "work_hours"), "09:00-09:00"),
        "$.specialists[1].work_hours",
        "must not start and end at the same time",
    ),
    (
        "hours-project",
        _set((*P0, "work_hours"), "25:00-26:00"),
        "$.projects[0].work_hours",
        "must look like",
    ),
    (
        "hours-offset",
        _set((*S0, "work_hours"), "09:00+05:00-17:00"),
        "$.specialists[0].work_hours",
        "must look like '09:00-17:00'",
    ),
    (
        "hours-seconds",
        _set((*P0, "work_hours"), "09:00:30-17:00"),
        "$.projects[0].work_hours",
        "must look like '09:00-17:00'",
    ),
    # fixed assignments
    ("fixed-both", _set((*F0, "task"), "t"), "$.fixed[0]", "exactly one of 'workplace' or 'task'"),
    (
        "fixed-neither",
        _del((*F0, "workplace")),
        "$.fixed[0]",
        "exactly one of 'workplace' or 'task'",
    ),
    (
        "fixed-wp-hours",
        _set((*F0, "hours"), 4),
        "$.fixed[0].hours",
        "hours on a fixed workplace need a date",
    ),
    # roles and the objective
    ("roles-empty", _set((*S0, "roles"), []), "$.specialists[0].roles", "at least 1 item"),
    (
        "order-duplicate",
        _set(("objective",), {"order": ["cost", "coverage", "cost"]}),
        "$.objective.order",
        "lists a goal twice",
    ),
    (
        "order-unknown",
        _set(("objective",), {"order": ["speed"]}),
        "$.objective.order[0]",
        "coverage",
    ),
    # the horizon itself
    (
        "no-working-dates",
        _set(("horizon", "workdays"), ["sat", "sun"]),
        "$.horizon",
        "no working dates",
    ),
    # NaN and Infinity (Python's json accepts them; they are not numbers of the contract)
    (
        "nan-cost",
        _set((*S0, "cost_per_hour"), float("nan")),
        "$.specialists[0].cost_per_hour",
        "finite",
    ),
    (
        "inf-cost",
        _set((*S0, "cost_per_hour"), float("inf")),
        "$.specialists[0].cost_per_hour",
        "finite",
    ),
    (
        "inf-onboarding",
        _set((*P0, "onboarding_hours"), float("inf")),
        "$.projects[0].onboarding_hours",
        "finite",
    ),
    ("nan-fixed-hours", _set((*F1, "hours"), float("nan")), "$.fixed[1].hours", "finite"),
    # magnitudes the engine cannot represent (64-bit CP-SAT model)
    (
        "too-large-cost",
        _set((*S0, "cost_per_hour"), 1e17),
        "$.specialists[0].cost_per_hour",
        "too large (at most 1,000,000)",
    ),
    (
        "too-large-effort",
        _set((*T0, "effort_hours"), 1e18),
        "$.tasks[0].effort_hours",
        "too large",
    ),
    (
        "too-large-onboarding",
        _set((*P0, "onboarding_hours"), 1e15),
        "$.projects[0].onboarding_hours",
        "too large",
    ),
    ("too-large-fixed-hours", _set((*F1, "hours"), 1e18), "$.fixed[1].hours", "too large"),
    ("too-large-seed", _set(("solver", "seed"), 2**31), "$.solver.seed", "too large"),
    (
        "too-large-max-projects",
        _set((*S0, "max_projects"), 2**63),
        "$.specialists[0].max_projects",
        "9,223,372,036,854,775,808 is too large (at most 10,000)",
    ),
    (
        "too-large-max-assignees",
        _set((*T0, "max_assignees"), 2**64),
        "$.tasks[0].max_assignees",
        "is too large (at most 10,000)",
    ),
    (
        "too-large-onboarding-in-words",
        _set((*P0, "onboarding_hours"), 999_999.75),
        "$.projects[0].onboarding_hours",
        "999,999.75 is too large (at most 10,000)",
    ),
    # an integer literal beyond a float's range is not "a number, not a number"
    (
        "huge-integer-cost",
        _set((*S0, "cost_per_hour"), 10**400),
        "$.specialists[0].cost_per_hour",
        "finite",
    ),
    # keys that are not plain names are quoted in the path
    (
        "quoted-key",
        _set((*S0, "skills"), {"node.js": 9}),
        "$.specialists[0].skills['node.js']",
        "less than or equal to 5",
    ),
]


@pytest.mark.parametrize(
    ("change", "path", "fragment"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_each_bad_input_is_reported_at_its_path(
    change: Callable[[Data], object], path: str, fragment: str
) -> None:
    problems = found(mutated(change))
    assert [p for p, _ in problems] == [path], problems
    assert fragment in problems[0][1], problems


def test_every_problem_is_reported_at_once() -> None:
    def break_everything(data: Data) -> None:
        data["specialists"][0]["hours_per_day"] = 0  # field error
        data["specialists"][1]["vendor"] = None  # cross-field: outsourced needs a vendor
        data["workplaces"][0]["seat"] = 1  # unknown field
        data["tasks"][0]["project"] = "nope"  # unknown reference in a valid item
        data["tasks"][0]["due"] = "2027-02-01"  # outside the horizon
        data["projects"].append({"id": "p", "program": "mixed", "priority": 9})  # dup + range
        data["fixed"][1]["task"] = "ghost"  # unknown reference in fixed
        data["horizon"]["holidays"] = ["2026-12-25"]  # outside the horizon

    problems = found(mutated(break_everything))
    assert sorted(p for p, _ in problems) == sorted(
        [
            "$.specialists[0].hours_per_day",
            "$.specialists[1].vendor",
            "$.workplaces[0].seat",
            "$.tasks[0].project",
            "$.tasks[0].due",
            "$.projects[1].id",
            "$.projects[1].priority",
            "$.fixed[1].task",
            "$.horizon.holidays[0]",
        ]
    ), problems


def test_a_field_error_and_a_reference_error_in_different_items_come_together() -> None:
    data = mutated(_set((*S0, "hours_per_day"), 0.1))
    data["workplaces"][0]["project"] = "nope"
    assert found(data) == [
        ("$.specialists[0].hours_per_day", "hours must be a multiple of 0.25"),
        ("$.workplaces[0].project", "unknown project 'nope'"),
    ]


def test_a_field_error_does_not_hide_the_reference_errors_of_the_same_item() -> None:
    data = mutated(_set((*S0, "hours_per_day"), 7.1))
    data["specialists"][0]["unavailable"] = [{"start": "2027-01-07", "end": "2027-01-05"}]
    data["specialists"][0]["sourcing"] = "outsourced"  # and no vendor
    data["tasks"][0].update(min_daily_hours=0, due="2030-01-01")
    data["specialists"][1]["roles"] = []
    data["specialists"][1]["sourcing"] = "in_house"  # with b's vendor still given
    assert sorted(p for p, _ in found(data)) == [
        "$.specialists[0].hours_per_day",
        "$.specialists[0].unavailable[0].end",
        "$.specialists[0].vendor",
        "$.specialists[1].roles",
        "$.specialists[1].vendor",
        "$.tasks[0].due",
        "$.tasks[0].min_daily_hours",
    ]


def test_a_malformed_fixed_assignment_is_not_read_without_its_bad_field() -> None:
    # without its date it would be another assignment: "hours need a date", or a duplicate
    # of the other one; only the date is reported
    data = copy.deepcopy(VALID)
    data["fixed"] = [
        {"specialist": "b", "task": "t", "date": "2027-13-06", "hours": 2},
        {"specialist": "b", "task": "t", "hours": 2},
    ]
    assert [p for p, _ in found(data)] == ["$.fixed[0].date"]


def test_a_malformed_fixed_assignment_still_has_its_references_checked() -> None:
    data = copy.deepcopy(VALID)
    data["fixed"] = [
        {"specialist": "ghost", "task": "t", "date": "2027-01-06", "hours": 2.1},
        {"specialist": "a", "workplace": "nowhere", "date": "soon"},
    ]
    assert sorted(p for p, _ in found(data)) == [
        "$.fixed[0].hours",
        "$.fixed[0].specialist",
        "$.fixed[1].date",
        "$.fixed[1].workplace",
    ]


def test_a_fixed_assignment_naming_both_targets_still_has_its_references_checked() -> None:
    data = mutated(_set(("fixed",), [{"specialist": "ghost", "workplace": "w", "task": "t"}]))
    assert found(data) == [
        ("$.fixed[0]", "a fixed assignment names exactly one of 'workplace' or 'task'"),
        ("$.fixed[0].specialist", "unknown specialist 'ghost'"),
    ]


def test_a_bad_holiday_does_not_hide_the_other_date_checks() -> None:
    data = mutated(_set(("horizon", "holidays"), ["2027-13-01"]))
    data["workplaces"][0]["end"] = "2027-03-01"
    assert [p for p, _ in found(data)] == ["$.horizon.holidays[0]", "$.workplaces[0].end"]


def test_other_errors_do_not_hide_the_previous_plans() -> None:
    row = {"specialist": "a", "project": "p", "date": "2027-01-04", "hours": 4}
    previous = {"instance": "t", "status": "optimal", "assignments": [row]}
    data = mutated(_set(("previous_plan",), previous))
    data["tasks"][0]["effort_hours"] = -1
    assert [p for p, _ in found(data)] == [
        "$.tasks[0].effort_hours",
        "$.previous_plan.assignments[0]",
    ]


def test_a_bad_element_does_not_hide_the_checks_of_its_list() -> None:
    data = copy.deepcopy(VALID)
    a = data["specialists"][0]
    a["unavailable"] = [{"start": "2027-01-05"}, {"date": "2030-01-01"}]
    a["familiar_projects"] = ["ghost", 7, "p"]
    data["workplaces"][0]["candidates"] = [5, "a", "nobody"]
    data["horizon"]["holidays"] = ["2027-13-01", "2030-01-01"]
    data["horizon"]["workdays"] = ["monday", "tue"]  # (a whole-list field: left out whole)
    assert [p for p, _ in found(data)] == [
        "$.horizon.workdays[0]",
        "$.horizon.holidays[0]",
        "$.specialists[0].unavailable[0].end",
        "$.specialists[0].familiar_projects[1]",
        "$.workplaces[0].candidates[0]",
        # the other elements are still checked, at their own indexes
        "$.horizon.holidays[1]",
        "$.specialists[0].unavailable[1].date",  # (one date: one problem, at its key)
        "$.specialists[0].familiar_projects[0]",
        "$.workplaces[0].candidates[2]",
    ]


def test_an_unknown_goal_does_not_hide_a_goal_listed_twice() -> None:
    data = mutated(_set(("objective",), {"order": ["cost", "speed", "cost"]}))
    assert sorted(p for p, _ in found(data)) == ["$.objective.order", "$.objective.order[1]"]


def test_a_collection_that_is_not_a_list_does_not_make_its_references_unknown() -> None:
    data = mutated(_set(("specialists",), {"a": VALID["specialists"][0]}))
    assert found(data) == [("$.specialists", "expected a JSON array, not an object")]


def test_a_malformed_item_is_not_blamed_as_unknown_by_the_items_that_refer_to_it() -> None:
    data = mutated(_set((*S1, "hours_per_day"), 0))  # b is malformed, but exists
    assert [p for p, _ in found(data)] == ["$.specialists[1].hours_per_day"]


def test_a_malformed_duplicate_is_still_a_duplicate() -> None:
    data = mutated(lambda d: d["specialists"].append(person("a", hours_per_day=0)))
    assert sorted(found(data)) == [
        ("$.specialists[2].hours_per_day", "Input should be greater than 0"),
        ("$.specialists[2].id", "duplicate id 'a'"),
    ]


def test_a_malformed_horizon_does_not_hide_the_reference_errors() -> None:
    data = mutated(_del(("horizon", "end")))
    data["workplaces"][0]["project"] = "nope"
    data["fixed"][0]["specialist"] = "ghost"
    assert sorted(p for p, _ in found(data)) == [
        "$.fixed[0].specialist",
        "$.horizon.end",
        "$.workplaces[0].project",
    ]


def test_an_inverted_horizon_is_reported_once_not_for_every_date() -> None:
    data = mutated(_set(("horizon", "end"), "2027-01-01"))
    data["workplaces"][0]["end"] = "2027-01-05"  # still after its start: no problem of its own
    assert [p for p, _ in found(data)] == ["$.horizon.end"]


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        ([], "an array"),
        ([VALID], "an array"),
        ("instance", "a string"),
        (None, "null"),
        (3, "a number"),
    ],
    ids=["empty-list", "list", "string", "null", "number"],
)
def test_a_non_object_instance_is_a_clean_problem(data: Any, kind: str) -> None:
    assert validate(data) == [Problem(path="$", message=f"expected a JSON object, not {kind}")]
    with pytest.raises(InvalidInstance) as raised:
        load_instance(data)
    assert [p.path for p in raised.value.problems] == ["$"]


def test_load_instance_raises_with_every_problem() -> None:
    data = mutated(_del((*S1, "vendor")))
    data["tasks"][0]["project"] = "nope"
    with pytest.raises(InvalidInstance) as raised:
        load_instance(data)
    error = raised.value
    assert [p.path for p in error.problems] == ["$.specialists[1].vendor", "$.tasks[0].project"]
    assert all(isinstance(p, Problem) for p in error.problems)
    assert "2 input error(s)" in str(error) and "$.tasks[0].project" in str(error)


def test_load_instance_returns_the_instance_when_valid() -> None:
    instance = load_instance(VALID)
    assert [s.id for s in instance.specialists] == ["a", "b"]


def test_malformed_json_gives_the_root_path_and_the_position(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "name": "x",\n  "horizon": {"start": "2027-01-04",,}\n}\n')
    with pytest.raises(InvalidDocument) as raised:
        read_json(path)
    (problem,) = raised.value.problems
    assert problem.path == "$"
    assert problem.message.startswith("broken.json: malformed JSON")
    assert "line 3" in problem.message and "column 37" in problem.message


def test_a_missing_file_is_a_clean_problem(tmp_path: Path) -> None:
    with pytest.raises(InvalidDocument) as raised:
        load_instance_file(tmp_path / "nowhere.json")
    (problem,) = raised.value.problems
    assert problem.path == "$" and "cannot read" in problem.message


@pytest.mark.parametrize("text", ["[1, 2]", '"an instance"', "null"])
def test_non_object_json_file_is_a_clean_problem(tmp_path: Path, text: str) -> None:
    path = tmp_path / "odd.json"
    path.write_text(text)
    with pytest.raises(InvalidInstance) as raised:
        load_instance_file(path)
    (problem,) = raised.value.problems
    assert problem.path == "$" and "expected a JSON object" in problem.message


def test_nan_in_a_json_file_is_reported_with_its_path(tmp_path: Path) -> None:
    data = json.dumps(VALID).replace('"cost_per_hour": 50', '"cost_per_hour": NaN', 1)
    path = tmp_path / "nan.json"
    path.write_text(data)
    with pytest.raises(InvalidInstance) as raised:
        load_instance_file(path)
    assert [(p.path, p.message) for p in raised.value.problems] == [
        ("$.specialists[0].cost_per_hour", NOT_FINITE)
    ]


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    ("raw", "path", "message"),
    [
        (b'{"name": ' + _nested(600).encode() + b"}", "$.name" + "[0]" * 31, "nested too deeply"),
        (b'{"name": ' + _nested(5_000).encode() + b"}", "$", "nested too deeply"),
        (b'{"name": "caf\xe9"}', "$", "not UTF-8 text (byte 13)"),
        (b'{"solver": {"seed": ' + b"9" * 5000 + b"}}", "$", "more than 4,300 digits"),
        (b'{"name": "x\\ud800y"}', "$.name", LONE_SURROGATE),
        (b'{"tasks": [{"\\udfff": 1}]}', "$.tasks[0]", LONE_SURROGATE),
    ],
    ids=["deep", "deeper-than-the-parser", "latin-1", "long-integer", "surrogate", "key"],
)
def test_a_file_that_is_not_sound_json_is_one_clean_problem(
    tmp_path: Path, raw: bytes, path: str, message: str
) -> None:
    file = tmp_path / "odd.json"
    file.write_bytes(raw)
    with pytest.raises(InvalidDocument) as raised:
        load_instance_file(file)
    (problem,) = raised.value.problems
    assert problem.path == path and message in problem.message


def test_a_key_given_twice_is_reported_where_it_is(tmp_path: Path) -> None:
    text = json.dumps(VALID).replace('"specialists": [', '"specialists": [], "specialists": [', 1)
    text = text.replace('"effort_hours": 8', '"effort_hours": 8, "effort_hours": 9', 1)
    file = tmp_path / "twice.json"
    file.write_text(text)
    with pytest.raises(InvalidDocument) as raised:
        load_instance_file(file)
    assert [(p.path, p.message) for p in raised.value.problems] == [
        ("$.specialists", DUPLICATE_KEY),
        ("$.tasks[0].effort_hours", DUPLICATE_KEY),
    ]


def test_json_messages_read_whole_and_huge_numbers_say_why(tmp_path: Path) -> None:
    file = tmp_path / "odd.json"
    file.write_text('{"name": "a\tb"}')  # a raw tab inside a string
    with pytest.raises(InvalidDocument) as raised:
        read_json(file)
    assert raised.value.problems[0].message.endswith("): invalid control character")
    file.write_text(json.dumps(VALID).replace('"cost_per_hour": 50', '"cost_per_hour": 1e400', 1))
    with pytest.raises(InvalidInstance) as invalid:
        load_instance_file(file)
    (problem,) = invalid.value.problems
    assert problem.path == "$.specialists[0].cost_per_hour" and "1e400" in problem.message


def test_an_id_written_with_other_code_points_is_pointed_out() -> None:
    composed, decomposed = "jos\u00e9", "jose\u0301"  # both read "josé"
    data = mutated(lambda d: d["specialists"].append(person(composed)))
    data["tasks"][0]["candidates"] = [decomposed]
    ((path, message),) = found(data)
    assert path == "$.tasks[0].candidates[0]"
    assert message == (
        f"unknown specialist {decomposed!r} "
        f"(the specialist {composed!r} looks the same but is written differently)"
    )


def test_a_number_for_an_id_is_not_a_duplicate_of_its_text() -> None:
    data = mutated(lambda d: d["specialists"].extend([person(5), person("5")]))  # type: ignore[arg-type]
    assert found(data) == [("$.specialists[2].id", "expected a string, not a number")]


def test_many_bad_numbers_are_reported_in_document_order_quickly() -> None:
    data = mutated(lambda d: d["specialists"].extend(person(f"x{i}") for i in range(12)))
    for s in data["specialists"]:
        s["cost_per_hour"] = float("nan")
    paths = [p.path for p in validate(data)]
    assert paths == [f"$.specialists[{i}].cost_per_hour" for i in range(14)]


def test_nesting_in_python_data_is_reported_with_its_path_not_a_recursion_error() -> None:
    deep: Any = "x"
    for _ in range(3 * MAX_DEPTH):
        deep = [deep]
    data = mutated(_set(("name",), deep))
    assert validate(data) == [Problem(path="$.name" + "[0]" * (MAX_DEPTH - 1), message=TOO_DEEP)]
    deepest: Any = []
    for _ in range(5_000):  # beyond Python's recursion limit
        deepest = [deepest]
    assert [p.message for p in validate({"name": deepest})] == [TOO_DEEP]


def test_lone_surrogates_are_reported_with_the_other_problems() -> None:
    data = mutated(_set((*S0, "id"), "a\udc80"))
    _set((*S0, "cost_per_hour"), -1)(data)
    problems = {(p.path, p.message) for p in validate(data)}
    assert ("$.specialists[0].id", LONE_SURROGATE) in problems
    assert any(path == "$.specialists[0].cost_per_hour" for path, _ in problems)


def test_validation_does_not_change_its_input() -> None:
    data = mutated(_set((*S0, "cost_per_hour"), float("inf")))
    before = repr(data)
    validate(data)
    assert repr(data) == before


# Inputs that validation accepts must solve into a plan the checker accepts.


def test_values_at_the_engine_limits_solve_cleanly() -> None:
    data = instance_dict(
        specialists=[
            person("a", cost_per_hour=1_000_000, max_projects=10_000),
            person("b", cost_per_hour=999_999),
        ],
        projects=[{"id": "p", "program": "mixed", "onboarding_hours": 10_000}],
        tasks=[{"id": "t", "project": "p", "effort_hours": 1_000_000, "max_assignees": 10_000}],
        solver={"seed": 2**31 - 1, "time_limit_seconds": 10, "workers": 2},
    )
    assert validate(data) == []
    plan = solve_checked(data)
    assert plan.status in ("optimal", "feasible")


@pytest.mark.parametrize("cost", [33.333, 0.001, 12.345678, 0.00006, 52.37142857, 1e-9])
def test_a_cost_in_fractions_of_a_cent_is_rejected_or_solved_consistently(cost: float) -> None:
    # beyond 4 decimals the model rounds rates: the plan still reports the exact cost, and
    # a cost bound that the rounding cannot have pushed above the exact optimum
    data = instance_dict(
        projects=[{"id": "p", "program": "mixed", "onboarding_hours": 3}],
        specialists=[person("a", cost_per_hour=cost), person("b", cost_per_hour=cost * 3)],
        tasks=[{"id": "t", "project": "p", "effort_hours": 40}],
    )
    if validate(data):
        return  # rejected with a path: consistent
    plan = solve_checked(data)
    exact = 43 * cost  # a works the 40 hours, after 3 hours of onboarding
    assert plan.objective["cost"] == pytest.approx(exact, abs=1e-6)  # reported to 6 decimals
    assert plan.bound["cost"] <= exact + 1e-6
    stages = plan.statistics["stages"]
    assert isinstance(stages, list)
    assert all(st["bound"] <= exact + 1e-6 for st in stages if st["goal"] == "cost")


def _row(**fields: Any) -> Data:
    return {
        "specialist": "b",
        "project": "p",
        "task": "t",
        "date": "2027-01-04",
        "hours": 2,
        **fields,
    }


@pytest.mark.parametrize(
    "previous",
    [
        {"workplaces": [{"workplace": "gone", "specialist": "a"}]},
        {"workplaces": [{"workplace": "w", "specialist": "left-the-company"}]},
        {"assignments": [_row(task="gone")]},
        {"assignments": [_row(specialist="left-the-company")]},
        {"assignments": [_row(date="2026-12-14"), _row(project="old")]},
    ],
    ids=["workplace", "filler", "task", "assignee", "last-quarter"],
)
def test_a_previous_plan_of_an_older_instance_is_accepted_and_solved(previous: Data) -> None:
    # re-planning after changes: the previous plan may name items, people and dates the
    # instance no longer has (README); they only count where they meet the instance
    data = mutated(_set(("previous_plan",), {"instance": "t", "status": "optimal", **previous}))
    assert validate(data) == []
    instance = load_instance(data)
    plan = solve(instance, SolveOptions(time_limit=5, workers=2))
    assert plan.status in ("optimal", "feasible")
    report = check_plan(instance, plan)
    assert report.ok, report.violations
    assert plan.objective["stability"] == report.objective["stability"]


def test_an_item_reads_its_certifications_under_the_projects_name_too() -> None:
    # the spec names no field for an item's own certifications; the project's is
    # required_certifications, so an item takes either name
    data = copy.deepcopy(VALID)
    data["tasks"][0]["required_certifications"] = ["iso"]
    assert validate(data) == []
    assert load_instance(data).tasks[0].certifications == ["iso"]
    data["tasks"][0]["certifications"] = ["iso"]  # both at once: one is one too many
    assert found(data) == [("$.tasks[0].required_certifications", "unknown field")]
