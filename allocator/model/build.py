"""Build the CP-SAT model of an instance: variables, every constraint family, the goals."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from allocator.eligibility import Eligibility, compute_eligibility
from allocator.model import objectives
from allocator.model.constraints import FAMILIES
from allocator.model.context import Context
from allocator.model.data import ModelData, build_model_data
from allocator.model.guards import Guards
from allocator.model.solution import Solution
from allocator.model.variables import create_variables
from allocator.schema import Goal, Instance


@dataclass
class BuiltModel:
    """A CP-SAT model with its context and goal expressions.

    ``goal(name)`` returns the expression of a goal; stability variables are created the first
    time it is asked for, so earlier stages solve a smaller model.
    """

    ctx: Context
    build_seconds: float
    goals: dict[str, cp_model.LinearExprT] = field(default_factory=dict)

    @property
    def model(self) -> cp_model.CpModel:
        return self.ctx.model

    @property
    def data(self) -> ModelData:
        return self.ctx.data

    def goal(self, name: Goal) -> cp_model.LinearExprT:
        if name not in self.goals:
            self.goals[name] = objectives.add_stability(self.ctx)
        return self.goals[name]

    def size(self) -> dict[str, int]:
        proto = self.model.proto
        return {"variables": len(proto.variables), "constraints": len(proto.constraints)}

    def hint_from(self, solution: Solution) -> None:
        """Hint every decision variable from ``solution`` (e.g. a greedy plan)."""
        v = self.ctx.vars
        model = self.model
        model.clear_hints()
        on_fill = {(s, w) for w, s in solution.fills.items()}
        for pair, fill in v.fill.items():
            model.add_hint(fill, pair in on_fill)
        assignees: set[tuple[int, int]] = set()
        for key, var in v.hours.items():
            q = solution.hours.get(key, 0)
            model.add_hint(var, q)
            if q > 0:
                assignees.add((key[0], key[1]))
        for pair, var in v.assignee.items():
            model.add_hint(var, pair in assignees)
        joined = {(s, self.data.targets[k].project) for s, k in assignees}
        joined |= {(s, self.data.targets[w].project) for w, s in solution.fills.items()}
        for pair, var in v.joins.items():
            model.add_hint(var, pair in joined)


def build_model(
    instance: Instance,
    eligibility: Eligibility | None = None,
    *,
    explain: bool = False,
    data: ModelData | None = None,
) -> BuiltModel:
    """Build the model over eligible (specialist, target, date) triples only.

    Parameters
    ----------
    instance
        A validated instance (:func:`allocator.validate.load_instance`).
    eligibility
        Precomputed eligibility; computed here when not given.
    explain
        Guard fixed/required/share/capacity items with assumption literals (see
        :mod:`allocator.model.guards`), to extract an infeasibility core.
    data
        Already indexed data (possibly with restricted candidates); built here when not given.
    """
    started = time.perf_counter()
    if data is None:
        data = build_model_data(instance, eligibility or compute_eligibility(instance))
    model = cp_model.CpModel()
    ctx = Context(model, data, create_variables(model, data), Guards(model, explain=explain))
    for family in FAMILIES:
        family.add(ctx)
    built = BuiltModel(ctx, 0.0)
    built.goals["coverage"] = objectives.coverage(ctx)
    built.goals["cost"] = objectives.cost(ctx)
    built.build_seconds = time.perf_counter() - started
    return built
