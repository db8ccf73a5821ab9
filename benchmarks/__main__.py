"""``python -m benchmarks SUITE [options]``: run a benchmark suite and write its results."""

from __future__ import annotations

import importlib
import sys

SUITES = {
    "engine": "benchmarks.engine",
    "scaling": "benchmarks.scaling",
    "programs": "benchmarks.programs",
    "peers": "benchmarks.peers.suite",
    "batch": "benchmarks.batch",
    "api": "benchmarks.api",
}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in SUITES:
        print(f"usage: python -m benchmarks {{{','.join(SUITES)}}} [options]")
        raise SystemExit(2)
    importlib.import_module(SUITES[sys.argv[1]]).main(sys.argv[2:])


if __name__ == "__main__":
    main()
