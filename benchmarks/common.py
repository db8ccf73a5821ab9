"""What every benchmark suite shares: where results go, the machine header, child processes."""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"


def add_out_option(parser: argparse.ArgumentParser, files: str) -> None:
    """``--out FOLDER`` for a suite's result ``files`` (default :data:`RESULTS`, where the
    published figures live: a trial run elsewhere leaves them as they are)."""
    parser.add_argument(
        "--out",
        type=Path,
        default=RESULTS,
        help=f"folder for {files} (default: benchmarks/results, the published figures)",
    )


def header(title: str, suite: str, argv: list[str]) -> str:
    """The markdown header of a result file: title, machine and the command that made it."""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"# {title}\n\nMachine: {platform.machine()}, {os.cpu_count() or 1} cores, "
        f"{platform.system()}, Python {platform.python_version()}; load average at the end "
        f"{load}.\nCommand: `python -m benchmarks {suite} {' '.join(argv)}`.\n\n"
    )


def peak_rss_mb() -> int:
    """Peak resident memory of this process so far, in MiB (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def run_child(suite: str, args: list[str], timeout: float) -> dict[str, Any]:
    """Run ``python -m benchmarks SUITE ARGS`` in a fresh process (so its peak memory is its
    own) and return the JSON object it prints last; failures become ``{"error": ...}``."""
    cmd = [sys.executable, "-m", "benchmarks", suite, *args]
    try:
        done = subprocess.run(
            cmd, cwd=ROOT, capture_output=True, text=True, check=False, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {"error": f"no answer within {timeout:.0f} s"}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return {"error": (done.stderr.strip() or f"exit code {done.returncode}")[-300:]}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def pyplot() -> Any:
    """matplotlib's pyplot on the file-only Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig: Any, path: Path) -> None:
    """Write ``fig`` to ``path`` as a PNG and free it."""
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    pyplot().close(fig)
