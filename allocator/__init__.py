"""allocator: staff workplaces and tasks with specialists, optimally, checked and explained.

The public surface is small (spec: ``../shared/spec/problem.md``)::

    from allocator import load_instance, solve, check_plan

    instance = load_instance(json.load(open("instances/demo.json")))
    plan = solve(instance)
    assert check_plan(instance, plan).ok
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

from allocator.check import CheckReport, Violation, check_plan
from allocator.documents import InvalidDocument
from allocator.schema import Instance, Plan, Problem
from allocator.validate import InvalidInstance, load_instance, load_instance_file, validate

if TYPE_CHECKING:
    from allocator.solve import Progress, SolveOptions, solve

_SOLVER = frozenset({"Progress", "SolveOptions", "solve"})

__all__ = [
    "CheckReport",
    "Instance",
    "InvalidDocument",
    "InvalidInstance",
    "Plan",
    "Problem",
    "Progress",
    "SolveOptions",
    "Violation",
    "check_plan",
    "load_instance",
    "load_instance_file",
    "solve",
    "validate",
]


class _Package(types.ModuleType):
    """This package, with the solver's names imported on first use: reading, validating
    and checking documents need neither OR-Tools nor pandas (``allocator validate`` on the
    demo: 0.7 s instead of 2.0 s)."""

    def __getattr__(self, name: str) -> Any:
        if name in _SOLVER:
            return getattr(importlib.import_module("allocator.solve"), name)
        raise AttributeError(f"module 'allocator' has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        # importing the submodule binds it here as ``solve``: the package's ``solve`` stays
        # the function, as when it was imported eagerly
        if name == "solve" and isinstance(value, types.ModuleType):
            value = value.solve
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
