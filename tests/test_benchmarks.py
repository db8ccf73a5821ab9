"""Smoke tests of the benchmark suites on their smallest size, so they cannot rot."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

import pandas as pd
import pytest

from benchmarks import engine, programs, scaling
from benchmarks.common import RESULTS
from benchmarks.peers import suite, timefold_peer

benchmarks_main = importlib.import_module("benchmarks.__main__")


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


def test_scaling_suite_smallest_size(tmp_path: Path) -> None:
    argv = ["--sizes", "25", "--days", "20", "--tightness", "0.7", "1.2", "--time-limit", "2"]
    scaling.main([*argv, "--out", str(tmp_path)])
    table = pd.read_csv(tmp_path / "scaling.csv")
    assert list(table["checker"]) == ["ok", "ok"]
    assert (table["variables"] > 0).all() and (table["first_plan_s"] <= table["wall_s"]).all()
    tight = table[table.tightness == 1.2].iloc[0]
    assert tight["coverage"] > 0 and tight["coverage_bound"] <= tight["coverage"]
    assert "coverage" in tight["timeline"]  # the per-stage objective over time is recorded
    assert (tmp_path / "scaling.png").stat().st_size > 1000


def test_peers_suite_smallest_size(tmp_path: Path) -> None:
    if timefold_peer.available() and os.environ.get("CI") != "true":
        pytest.skip(f"Timefold peer unavailable: {timefold_peer.available()}")
    suite.main(["--families", "tiny", "--time-limit", "3", "--out", str(tmp_path)])
    plans = pd.read_csv(tmp_path / "peers.csv")
    assert list(plans["solver"]) == list(suite.SOLVERS)
    assert list(plans["checker"]) == ["ok"] * len(suite.SOLVERS)  # every plan checked
    ours = plans[plans.solver == "allocator"].iloc[0]
    for _, peer in plans[plans.solver != "allocator"].iterrows():  # lexicographic order
        assert (ours["coverage"], ours["cost"]) <= (peer["coverage"], peer["cost"]), peer.solver
    text = (tmp_path / "peers.md").read_text()
    assert "## Ours against each peer" in text and "timefold" in text
    assert (tmp_path / "peers.png").stat().st_size > 1000


def test_engine_suite_on_the_demo_writes_where_told(tmp_path: Path) -> None:
    published = RESULTS / "engine.md"
    before = published.stat().st_mtime_ns if published.exists() else None
    engine.main(["--instances", "demo", "--time-limit", "3", "--out", str(tmp_path)])
    table = pd.read_csv(tmp_path / "engine.csv")
    row = table.iloc[0]
    assert row["instance"] == "demo" and row["checker"] == "ok"
    assert 0 <= row["cost_bound"] <= row["cost"]
    assert row["cost_gap"] == pytest.approx((row["cost"] - row["cost_bound"]) / row["cost"])
    assert "| demo" in (tmp_path / "engine.md").read_text()
    # the published figures are left as they were
    assert (published.stat().st_mtime_ns if published.exists() else None) == before


def test_the_suites_are_listed_with_what_they_do(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv, code in ((["--help"], 0), ([], 2), (["nope"], 2)):
        monkeypatch.setattr(sys, "argv", ["python -m benchmarks", *argv])
        with pytest.raises(SystemExit) as ended:
            benchmarks_main.main()
        assert ended.value.code == code
        text = capsys.readouterr().out
        for name in benchmarks_main.SUITES:
            assert f"  {name} " in text, name
