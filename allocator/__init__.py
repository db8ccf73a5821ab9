"""allocator: staff workplaces and tasks with specialists, optimally, checked and explained.

The public surface is small (spec: ``../shared/spec/problem.md``)::

    from allocator import load_instance, solve, check_plan

    instance = load_instance(json.load(open("instances/demo.json")))
    plan = solve(instance)
    assert check_plan(instance, plan).ok
"""

from allocator.check import CheckReport, Violation, check_plan
from allocator.documents import InvalidDocument
from allocator.schema import Instance, Plan, Problem
from allocator.solve import Progress, SolveOptions, solve
from allocator.validate import InvalidInstance, load_instance, load_instance_file, validate

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
