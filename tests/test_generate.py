"""The seeded instance generator: deterministic, valid, realistic, same demand in every program."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from allocator.calendar import overlap_hours, specialist_capacity_hours, working_dates
from allocator.generate import (
    PROGRAMS,
    GeneratorConfig,
    _generate,
    demand_hours,
    generate_instance,
    write_instance,
)
from allocator.schema import Instance, Plan, Project, Specialist, Task, Workplace

SMALL = GeneratorConfig()
MEDIUM = GeneratorConfig(seed=3, specialists=100, projects=12, days=20)

SHAPES = [
    SMALL,
    MEDIUM,
    *(GeneratorConfig(seed=5, specialists=60, projects=8, program=p) for p in PROGRAMS),
    GeneratorConfig(seed=6, specialists=60, projects=8, tightness=0.5),
    GeneratorConfig(seed=7, specialists=60, projects=8, tightness=1.3),
    GeneratorConfig(seed=8, specialists=30, projects=5, days=3, vendors=0),
    GeneratorConfig(seed=9, specialists=40, projects=6, vendors=5, in_house_share=0.5),
    GeneratorConfig(seed=10, specialists=40, projects=6, required_fraction=0.3),
    GeneratorConfig(seed=11, specialists=3, projects=2, days=1),
]


def _ids(config: GeneratorConfig) -> str:
    return (
        f"s{config.seed}-{config.specialists}x{config.projects}x{config.days}"
        f"-{config.program}-t{config.tightness}"
    )


def _eligible(s: Specialist, item: Workplace | Task, project: Project, first_date: dt.date) -> bool:
    """The spec's eligibility, written independently of the generator (candidates aside)."""
    if item.role is not None and item.role not in s.roles:
        return False
    if any(s.skills.get(skill, 0) < level for skill, level in item.skills.items()):
        return False
    needed = {*project.required_certifications, *item.certifications}
    if not needed <= set(s.certifications):
        return False
    rule = item.sourcing or (
        project.sourcing_by_role.get(item.role, "any") if item.role is not None else "any"
    )
    if rule not in ("any", s.sourcing):
        return False
    shared = overlap_hours(
        s.timezone, s.work_hours, project.timezone, project.work_hours, first_date
    )
    if shared + 1e-9 < project.min_overlap_hours:
        return False
    daily = item.hours_per_day if isinstance(item, Workplace) else item.min_daily_hours
    return s.hours_per_day >= daily


def _targets(instance: Instance) -> list[Workplace | Task]:
    return [*instance.workplaces, *instance.tasks]


# -- determinism -----------------------------------------------------------------------------


def test_same_seed_gives_the_same_instance() -> None:
    config = GeneratorConfig(seed=42, specialists=50, projects=6)
    assert generate_instance(config) == generate_instance(config)
    assert json.dumps(generate_instance(config)) == json.dumps(generate_instance(config))


def test_different_seeds_give_different_instances() -> None:
    a = generate_instance(GeneratorConfig(seed=1, specialists=50, projects=6))
    b = generate_instance(GeneratorConfig(seed=2, specialists=50, projects=6))
    assert a["specialists"] != b["specialists"]
    assert a["workplaces"] + a["tasks"] != b["workplaces"] + b["tasks"]


# -- validity --------------------------------------------------------------------------------


@pytest.mark.parametrize("config", SHAPES, ids=_ids)
def test_instances_are_valid(config: GeneratorConfig) -> None:
    data = generate_instance(config)
    assert data["format"] == "allocator/1"
    instance = Instance.model_validate(data)
    dates = working_dates(instance.horizon)
    assert len(dates) == config.days
    lo, hi = instance.horizon.start, instance.horizon.end
    ids = [x.id for x in (*instance.specialists, *instance.projects, *_targets(instance))]
    assert len(ids) == len(set(ids))
    projects = {p.id for p in instance.projects}
    specialists = {s.id for s in instance.specialists}
    for w in instance.workplaces:
        assert w.project in projects
        assert w.start is not None and w.end is not None and lo <= w.start <= w.end <= hi
        assert set(w.candidates or []) <= specialists
        assert w.hours_per_day in (4, 6, 8)
    for t in instance.tasks:
        assert t.project in projects
        assert t.start is not None and t.due is not None and lo <= t.start <= t.due <= hi
        window = [d for d in dates if t.start <= d <= t.due]
        assert min(3, config.days) <= len(window) <= 20
        assert 1 <= t.max_assignees <= 3 and 1 <= t.min_daily_hours <= 4
    for s in instance.specialists:
        assert (s.vendor is not None) == (s.sourcing == "outsourced")
        assert set(s.familiar_projects) <= projects
        for leave in s.unavailable:
            assert lo <= leave.start <= leave.end <= hi
    if config.program is not None:
        assert {p.program for p in instance.projects} == {config.program}


@pytest.mark.parametrize("config", SHAPES, ids=_ids)
def test_every_target_has_an_eligible_specialist(config: GeneratorConfig) -> None:
    instance = Instance.model_validate(generate_instance(config))
    projects = {p.id: p for p in instance.projects}
    first = instance.horizon.start
    for item in _targets(instance):
        project = projects[item.project]
        pool = [s for s in instance.specialists if _eligible(s, item, project, first)]
        assert pool, f"{item.id} has no eligible specialist"
        if item.candidates is not None:
            assert 2 <= len(item.candidates) <= 4
            eligible = {s.id for s in pool}
            assert set(item.candidates) <= eligible, item.id


# -- demand ----------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 7])
def test_the_three_programs_carry_the_same_demand(seed: int) -> None:
    base: dict[str, Any] = {"seed": seed, "specialists": 80, "projects": 10, "days": 20}
    rendered = {p: generate_instance(GeneratorConfig(**base, program=p)) for p in PROGRAMS}
    hours = {p: demand_hours(data) for p, data in rendered.items()}
    reference = hours["time_based"]
    assert reference > 0
    for program, value in hours.items():
        assert abs(value - reference) <= 0.05 * reference, (program, hours)
    assert not rendered["time_based"]["tasks"]
    assert not rendered["project_based"]["workplaces"]
    assert rendered["mixed"]["tasks"] and rendered["mixed"]["workplaces"]
    # the same people and customers: only the programs differ
    assert rendered["time_based"]["specialists"] == rendered["project_based"]["specialists"]
    unforced = generate_instance(GeneratorConfig(**base))
    assert demand_hours(unforced) == pytest.approx(reference)
    # mixed: support roles as workplaces, feature roles as tasks
    mixed = rendered["mixed"]
    support = {"project_leader", "admin", "analyst", "developer"}
    assert {w["role"] for w in mixed["workplaces"]} <= support
    assert {t["role"] for t in mixed["tasks"]} <= {"developer", "tester", "designer"}


@pytest.mark.parametrize("tightness", [0.5, 0.9, 1.3])
def test_demand_follows_tightness(tightness: float) -> None:
    config = GeneratorConfig(seed=4, specialists=100, projects=12, tightness=tightness)
    data = generate_instance(config)
    instance = Instance.model_validate(data)
    capacity = sum(specialist_capacity_hours(instance, s) for s in instance.specialists)
    assert demand_hours(data) / capacity == pytest.approx(tightness, rel=0.1)


def test_required_items_have_a_planted_staffing() -> None:
    from allocator.check import check_plan

    config = GeneratorConfig(seed=12, specialists=60, projects=8, required_fraction=0.3)
    data, renderer = _generate(config)
    instance = Instance.model_validate(data)
    required = [x for x in (*data["workplaces"], *data["tasks"]) if x.get("required")]
    total = len(data["workplaces"]) + len(data["tasks"])
    assert len(required) == round(0.3 * total)
    rows = [row for item in required for row in renderer.planted_rows(item)]
    fills = [
        {"workplace": item["id"], "specialist": planted[0]["specialist"]}
        for item in data["workplaces"]
        if item.get("required")
        for planted in [renderer.planted_rows(item)]
    ]
    plan = Plan.model_validate(
        {"instance": data["name"], "status": "feasible", "workplaces": fills, "assignments": rows}
    )
    report = check_plan(instance, plan)
    broken = [v for v in report.violations if v.rule not in ("unmet", "objective")]
    assert not broken, broken[:5]


# -- shape and size --------------------------------------------------------------------------


def test_sizes_and_horizon() -> None:
    data = generate_instance(GeneratorConfig(seed=1, specialists=120, projects=15, days=23))
    instance = Instance.model_validate(data)
    assert len(instance.specialists) == 120 and len(instance.projects) == 15
    dates = working_dates(instance.horizon)
    assert (
        len(dates) == 23 and dates[0] == dt.date(2027, 1, 4) and dates[-1] == instance.horizon.end
    )
    assert instance.horizon.holidays == [dt.date(2027, 1, 18)]
    short = Instance.model_validate(generate_instance(GeneratorConfig(days=10)))
    assert short.horizon.holidays == [] and len(working_dates(short.horizon)) == 10


def test_ids_and_realistic_mix() -> None:
    data = generate_instance(MEDIUM)
    assert all(re.fullmatch(r"s\d{3}", s["id"]) for s in data["specialists"])
    assert all(re.fullmatch(r"p\d{2}-[a-z0-9-]+", p["id"]) for p in data["projects"])
    assert all(re.fullmatch(r"p\d{2}-w\d{2,}", w["id"]) for w in data["workplaces"])
    assert all(re.fullmatch(r"p\d{2}-t\d{2,}", t["id"]) for t in data["tasks"])
    people = data["specialists"]
    developers = sum(s["roles"][0] == "developer" for s in people)
    assert 0.4 <= developers / len(people) <= 0.6
    in_house = [s for s in people if s["sourcing"] == "in_house"]
    outsourced = [s for s in people if s["sourcing"] == "outsourced"]
    assert 0.45 <= len(in_house) / len(people) <= 0.75
    assert all(45 <= s["cost_per_hour"] <= 90 for s in in_house)
    assert all(25 <= s["cost_per_hour"] <= 60 for s in outsourced)
    assert all(s["cost_per_hour"] * 2 == int(s["cost_per_hour"] * 2) for s in people)
    assert {s["vendor"] for s in outsourced} <= {"nearshore-dev", "pixelworks"}
    assert any("unavailable" in s for s in people)
    assert any("certifications" in s for s in people)
    assert len({p["program"] for p in data["projects"]}) >= 2


def test_in_house_share_knob() -> None:
    data = generate_instance(GeneratorConfig(seed=2, specialists=30, in_house_share=0.3))
    assert all(p["min_in_house_share"] == 0.3 for p in data["projects"])
    nobody_outside = generate_instance(GeneratorConfig(seed=2, specialists=30, vendors=0))
    assert all(s["sourcing"] == "in_house" for s in nobody_outside["specialists"])


def test_large_instance_is_fast() -> None:
    config = GeneratorConfig(seed=1, specialists=800, projects=80, days=60)
    started = time.perf_counter()
    data = generate_instance(config)
    assert time.perf_counter() - started < 2.0
    assert len(data["specialists"]) == 800 and len(data["projects"]) == 80


def test_write_instance(tmp_path: Path) -> None:
    config = GeneratorConfig(seed=3, name="demo")
    path = write_instance(config, tmp_path / "sub" / "demo.json")
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    assert loaded == generate_instance(config) and loaded["name"] == "demo"


@pytest.mark.parametrize(
    "bad",
    [
        {"specialists": 0},
        {"days": 0},
        {"tightness": 0},
        {"program": "agile"},
        {"in_house_share": 1.5},
        {"required_fraction": -0.1},
    ],
)
def test_bad_config_is_rejected(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        GeneratorConfig(**bad)
