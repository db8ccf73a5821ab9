"""Shared test helpers: tiny instance builders and a solve that always runs the checker."""

from __future__ import annotations

import copy
import importlib
from pathlib import Path
from typing import Any

import pytest

from allocator import Plan, SolveOptions, check_plan, load_instance, solve
from allocator.check import CheckReport
from allocator.eligibility import compute_eligibility
from allocator.generate import GeneratorConfig
from allocator.greedy import best_greedy
from allocator.model.data import QUARTER, ModelData, build_model_data
from allocator.model.solution import Solution
from allocator.plan import build_plan
from allocator.schema import Instance

ROOT = Path(__file__).resolve().parent.parent
INSTANCES = ROOT / "instances"
solve_module = importlib.import_module("allocator.solve")  # the package exports solve()

BASE: dict[str, Any] = {
    "format": "allocator/1",
    "name": "t",
    # Mon 2027-01-04 .. Fri 2027-01-08: five working dates
    "horizon": {"start": "2027-01-04", "end": "2027-01-08"},
    "specialists": [],
    "projects": [{"id": "p", "program": "mixed"}],
    "workplaces": [],
    "tasks": [],
    "solver": {"time_limit_seconds": 10, "workers": 2},
}


def person(id: str, **fields: Any) -> dict[str, Any]:
    """An in-house developer, 8 h a day at 50/h, unless ``fields`` say otherwise."""
    out: dict[str, Any] = {
        "id": id,
        "roles": ["developer"],
        "sourcing": "in_house",
        "hours_per_day": 8,
        "cost_per_hour": 50,
    }
    out.update(fields)
    if out["sourcing"] == "outsourced":
        out.setdefault("vendor", "v")
    return out


def task(id: str, effort_hours: float, **fields: Any) -> dict[str, Any]:
    """A developer task of project ``p`` over the whole horizon, unless ``fields`` say
    otherwise."""
    return {"id": id, "project": "p", "role": "developer", "effort_hours": effort_hours, **fields}


def instance_dict(**sections: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    data.update(copy.deepcopy(sections))
    return data


def solve_checked(data: dict[str, Any], **options: Any) -> Plan:
    """Solve ``data`` and assert the independent checker accepts the plan."""
    instance = load_instance(data)
    plan = solve(instance, SolveOptions(**options))
    report = check_plan(instance, plan)
    assert report.ok, report.violations
    if plan.status in ("optimal", "feasible"):
        for goal, value in plan.objective.items():
            assert value == pytest.approx(report.objective[goal], abs=0.01), goal
    return plan


def hours_by(plan: Plan, **match: str | None) -> float:
    """Total planned hours of the rows whose fields equal ``match``."""
    return sum(
        a.hours
        for a in plan.assignments
        if all(getattr(a, key) == value for key, value in match.items())
    )


def filler(plan: Plan, workplace: str) -> str | None:
    return next((f.specialist for f in plan.workplaces if f.workplace == workplace), None)


def config_of(
    shape: tuple[str, float, int, int, int, int], required_fraction: float = 0.2
) -> GeneratorConfig:
    """A generator configuration from (program, tightness, seed, specialists, projects, days),
    every project keeping 40 % in-house."""
    program, tightness, seed, specialists, projects, days = shape
    return GeneratorConfig(
        seed=seed,
        specialists=specialists,
        projects=projects,
        days=days,
        tightness=tightness,
        program=program,
        in_house_share=0.4,
        required_fraction=required_fraction,
    )


@pytest.fixture
def neighbourhoods_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Solves search every stage by neighbourhoods (:mod:`allocator.lns`), as above 20 000
    variables, whatever the instance's size."""
    monkeypatch.setattr(solve_module, "LNS_MIN_VARIABLES", 0)
    monkeypatch.setattr(solve_module, "PROOF_VARIABLES", 0)


def check_solution(instance: Instance, data: ModelData, solution: Solution) -> CheckReport:
    """A model-level plan (greedy, neighbourhood, hand-made) made into a plan and passed
    through the independent checker: every rule holds and every goal is as the engine
    counts it. Returns the checker's report."""
    plan = build_plan(data, solution, stages=[], complete=False, wall_seconds=0, statistics={})
    report = check_plan(instance, plan)
    assert report.ok, report.violations
    for goal, value in report.objective.items():
        assert plan.objective[goal] == pytest.approx(value, abs=0.01), goal
    return report


def greedy_worked_task(data: dict[str, Any]) -> dict[str, Any]:
    """A task row the greedy plan of instance ``data`` works: a fixed assignment of it
    (specialist, task, date, hours) that the greedy plan keeps."""
    instance = load_instance(data)
    model_data = build_model_data(instance, compute_eligibility(instance))
    solution = best_greedy(model_data, list(instance.objective.order))
    (s, k, d), q = min(solution.hours.items())
    return {
        "specialist": instance.specialists[s].id,
        "task": model_data.targets[k].target.id,
        "date": model_data.dates[d].isoformat(),
        "hours": q / QUARTER,
    }


def greedy_breaking_lock(data: dict[str, Any]) -> dict[str, Any]:
    """A fixed assignment the greedy plan of instance ``data`` breaks: a quarter-hour less
    on one of its task rows (a solve must then find a first valid plan with CP-SAT)."""
    lock = greedy_worked_task(data)
    return {**lock, "hours": lock["hours"] - 0.25}
