"""What every constraint family receives: the model, the indexed data, variables and guards."""

from __future__ import annotations

from dataclasses import dataclass

from ortools.sat.python import cp_model

from allocator.model.data import ModelData
from allocator.model.guards import Guards
from allocator.model.variables import Variables


@dataclass
class Context:
    model: cp_model.CpModel
    data: ModelData
    vars: Variables
    guards: Guards
    tighten: bool = True  # add redundant constraints that tighten the LP relaxation

    def impose(
        self,
        constraint: cp_model.Constraint,
        name: str,
        enforce: cp_model.LiteralT | list[cp_model.IntVar] | None = None,
    ) -> None:
        """Name ``constraint`` (rule name and items) and make it conditional on ``enforce``."""
        constraint.with_name(name)
        if enforce is not None and not (isinstance(enforce, list) and not enforce):
            constraint.only_enforce_if(enforce)

    def specialist(self, s: int) -> str:
        return self.data.instance.specialists[s].id

    def date(self, d: int) -> str:
        return self.data.dates[d].isoformat()
