"""Eligibility computed for all specialists at once equals the spec's rules applied pair by pair.

``compute_eligibility`` applies each rule as a vector operation over every specialist;
``exclusions`` applies the same rules to one pair in plain words (the explanations use it).
Generated instances, perturbed with a seeded random generator so that every rule excludes
someone (roles, skills, certifications, sourcing, candidates, time-zone overlap, short days
with and without leave), must give the same eligible specialists both ways.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pytest
from conftest import config_of

from allocator import load_instance
from allocator.eligibility import compute_eligibility, exclusions
from allocator.generate import generate_instance

ZONES = ["UTC", "Europe/Warsaw", "Asia/Kolkata", "America/New_York", "Pacific/Auckland"]
SHIFTS = ["09:00-17:00", "07:30-15:30", "18:30-03:30", "12:00-20:00"]


def _perturbed(shape: tuple[str, float, int, int, int, int]) -> dict[str, Any]:
    data = generate_instance(config_of(shape))
    rng = random.Random(shape[2])
    ids = [s["id"] for s in data["specialists"]]
    start = data["horizon"]["start"]
    for s in data["specialists"]:
        s["timezone"] = rng.choice(ZONES)
        s["work_hours"] = rng.choice(SHIFTS)
        s["certifications"] = rng.sample(["iso27001", "hipaa", "pci"], rng.randint(0, 2))
        if rng.random() < 0.3:
            s["hours_per_day"] = rng.choice([1.0, 2.0, 3.5, 6.0])
        if rng.random() < 0.15:  # on leave from the start: some short days never matter
            s["unavailable"] = [{"start": start, "end": data["horizon"]["end"]}]
    for p in data["projects"]:
        p["timezone"] = rng.choice(ZONES)
        p["min_overlap_hours"] = rng.choice([0, 0, 2, 4])
        p["required_certifications"] = rng.sample(["iso27001", "hipaa"], rng.randint(0, 1))
        p["sourcing_by_role"] = {"developer": rng.choice(["any", "in_house", "outsourced"])}
    for item in data["workplaces"] + data["tasks"]:
        if rng.random() < 0.2:
            item["candidates"] = rng.sample(ids, rng.randint(0, min(6, len(ids))))
        if rng.random() < 0.2:
            item["sourcing"] = rng.choice(["in_house", "outsourced"])
        if rng.random() < 0.2:
            item["certifications"] = ["pci"]
        if rng.random() < 0.2:
            item["skills"] = {**item.get("skills", {}), "rust": rng.randint(1, 3)}
    return data


SHAPES = [
    ("mixed", 0.9, 31, 60, 6, 10),
    ("time_based", 1.2, 32, 45, 5, 8),
    ("project_based", 0.7, 33, 50, 5, 12),
]


@pytest.mark.parametrize("shape", SHAPES, ids=[s[0] for s in SHAPES])
def test_vectorised_eligibility_equals_the_rules_pair_by_pair(
    shape: tuple[str, float, int, int, int, int],
) -> None:
    instance = load_instance(_perturbed(shape))
    eligibility = compute_eligibility(instance)
    excluded_by: Counter[str] = Counter()
    for target, eligible in zip(eligibility.targets, eligibility.eligible, strict=True):
        expected = []
        for i, specialist in enumerate(instance.specialists):
            reasons = exclusions(instance, specialist, target)
            excluded_by.update({r.category for r in reasons})
            if not reasons:
                expected.append(i)
        assert eligible == expected, target.label
    # every rule excluded someone, so each mask was compared against its rule (the daily
    # hours rule is a workplace's)
    hours = {"hours"} if instance.workplaces else set()
    assert set(excluded_by) == hours | {
        "role",
        "skill",
        "certification",
        "sourcing",
        "candidates",
        "timezone",
    }
    assert any(eligibility.eligible)
