"""Smoke tests of the benchmark suites on their smallest size, so they cannot rot."""

from __future__ import annotations

from pathlib import Path

from benchmarks import programs


def test_programs_suite_smallest_size(tmp_path: Path) -> None:
    argv = ["--specialists", "12", "--projects", "3", "--days", "5", "--seeds", "1"]
    programs.main([*argv, "--time-limit", "2", "--out", str(tmp_path)])
    table = (tmp_path / "programs.csv").read_text().splitlines()
    assert len(table) == 1 + len(programs.PROGRAMS)
    assert all(",ok" in line for line in table[1:])  # every plan passed the checker
    sweep = (tmp_path / "programs-share.csv").read_text().splitlines()
    assert len(sweep) == 1 + len(programs.SHARES)
    assert (tmp_path / "programs-share.png").stat().st_size > 1000
    assert "## In-house share sweep" in (tmp_path / "programs.md").read_text()
