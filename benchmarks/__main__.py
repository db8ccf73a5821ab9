"""``python -m benchmarks SUITE [options]``: run a benchmark suite and write its results."""

from __future__ import annotations

import sys

SUITES = ("engine", "batch", "api", "programs")


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in SUITES:
        print(f"usage: python -m benchmarks {{{','.join(SUITES)}}} [options]")
        raise SystemExit(2)
    suite, argv = sys.argv[1], sys.argv[2:]
    if suite == "engine":
        from benchmarks import engine

        engine.main(argv)
    elif suite == "batch":
        from benchmarks import batch

        batch.main(argv)
    elif suite == "api":
        from benchmarks import api

        api.main(argv)
    elif suite == "programs":
        from benchmarks import programs

        programs.main(argv)


if __name__ == "__main__":
    main()
