"""Benchmark peers produce valid plans of the same rules (checked by the checker)."""

from __future__ import annotations

import pytest
from conftest import INSTANCES

from allocator import SolveOptions, check_plan, load_instance_file, solve
from benchmarks.peers.highs_mip import solve_mip


def test_highs_mip_finds_the_engines_optimum_on_the_demo() -> None:
    instance = load_instance_file(INSTANCES / "demo.json")
    mip = solve_mip(instance, time_limit=20)
    report = check_plan(instance, mip)
    assert report.ok, report.violations
    ours = solve(instance, SolveOptions(time_limit=20, workers=2))
    assert ours.status == "optimal"
    assert mip.objective["coverage"] == pytest.approx(ours.objective["coverage"])
    assert mip.objective["cost"] == pytest.approx(ours.objective["cost"])
    for goal, bound in mip.bound.items():
        assert bound <= report.objective[goal] + 1e-6
