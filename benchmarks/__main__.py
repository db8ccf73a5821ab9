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


def _usage() -> str:
    """The usage line, and each suite with the first line of its module's docstring."""
    lines = [f"usage: python -m benchmarks {{{','.join(SUITES)}}} [options]", ""]
    for name, module in SUITES.items():
        doc = (importlib.import_module(module).__doc__ or "").strip()
        lines.append(f"  {name:<9} {doc.splitlines()[0] if doc else ''}")
    lines += ["", "python -m benchmarks SUITE --help: the suite's options"]
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in SUITES:
        asked = len(sys.argv) > 1 and sys.argv[1] in ("-h", "--help")
        print(_usage())
        raise SystemExit(0 if asked else 2)
    importlib.import_module(SUITES[sys.argv[1]]).main(sys.argv[2:])


if __name__ == "__main__":
    main()
