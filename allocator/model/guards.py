"""Enforcement literals for the items an infeasibility explanation may name.

In ``enforce`` mode every guarded rule is simply imposed. In ``explain`` mode each guarded
item (a fixed assignment, a required item, a share rule, a specialist's capacity on a date)
gets its own literal, passed to CP-SAT as an assumption so that
``sufficient_assumptions_for_infeasibility`` can name the conflicting items.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ortools.sat.python import cp_model


@dataclass
class Guards:
    model: cp_model.CpModel
    explain: bool = False
    labels: dict[int, str] = field(default_factory=dict)  # literal index -> plain words
    literals: list[cp_model.IntVar] = field(default_factory=list)

    def guard(self, label: str) -> list[cp_model.IntVar]:
        """Literals to pass to ``only_enforce_if`` for the item described by ``label``."""
        if not self.explain:
            return []
        literal = self.model.new_bool_var(f"assume[{len(self.literals)}]")
        self.literals.append(literal)
        self.labels[literal.index] = label
        return [literal]

    def impossible(self, label: str) -> None:
        """The item described by ``label`` cannot hold at all (e.g. an ineligible fixed pair)."""
        self.model.add_bool_or([lit.negated() for lit in self.guard(label)])
