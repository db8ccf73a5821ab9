"""Benchmarks of the allocation engine: ``python -m benchmarks SUITE`` (see ``__main__``)."""
