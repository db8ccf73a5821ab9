"""Peers the engine is compared with: the greedy planner, a HiGHS MIP, Timefold Solver."""
