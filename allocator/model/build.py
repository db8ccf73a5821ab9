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

    def values_of(self, solution: Solution) -> list[int]:
        """A value for every variable of the model (indicators included) from ``solution``."""
        v, targets = self.ctx.vars, self.data.targets
        values = [0] * len(self.model.proto.variables)
        for w, s in solution.fills.items():
            if (s, w) in v.fill:
                values[v.fill[s, w].index] = 1
        assignees: set[tuple[int, int]] = set()
        for key, q in solution.hours.items():
            if q > 0 and key in v.hours:
                values[v.hours[key].index] = q
                assignees.add((key[0], key[1]))
        for pair in assignees:
            values[v.assignee[pair].index] = 1
        joined = {(s, targets[k].project) for s, k in assignees}
        joined |= {
            (s, targets[w].project) for w, s in solution.fills.items() if targets[w].eligible[s]
        }
        for pair, var in v.joins.items():
            values[var.index] = int(pair in joined)
        for (_, k, d), q in solution.hours.items():  # a day short of the minimum ends a task
            if (k, d) in v.finish and 0 < q < targets[k].min_daily_q:
                values[v.finish[k, d].index] = 1
        return v.complete(values)

    def hint_from(self, solution: Solution) -> None:
        """Hint every variable from ``solution`` (e.g. a greedy plan)."""
        model = self.model
        model.clear_hints()
        values = self.values_of(solution)
        hint = model.proto.solution_hint
        hint.vars.extend(range(len(values)))
        hint.values.extend(values)


def build_model(
    instance: Instance,
    eligibility: Eligibility | None = None,
    *,
    explain: bool = False,
    data: ModelData | None = None,
    tighten: bool = True,
    relief: bool = True,
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
    tighten
        Add the redundant constraints that tighten the LP relaxation (the hours of a
        specialist on a project bounded by its join indicator, see
        :mod:`allocator.model.constraints.max_projects`).
    relief
        Model the min-daily-hours rule with its relief (a shorter day that does a task's whole
        remaining effort, see :mod:`allocator.model.constraints.task`): exact, at the price
        of a Boolean per task triple. Without it every day worked reaches the minimum.
    """
    started = time.perf_counter()
    if data is None:
        data = build_model_data(instance, eligibility or compute_eligibility(instance))
    model = cp_model.CpModel()
    variables = create_variables(model, data, relief=relief)
    ctx = Context(model, data, variables, Guards(model, explain=explain), tighten)
    for family in FAMILIES:
        family.add(ctx)
    built = BuiltModel(ctx, 0.0)
    built.goals["coverage"] = objectives.coverage(ctx)
    built.goals["cost"] = objectives.cost(ctx)
    built.build_seconds = time.perf_counter() - started
    return built
