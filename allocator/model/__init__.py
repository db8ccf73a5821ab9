"""The CP-SAT model: indexed data, variables, one module per constraint family, objectives."""
