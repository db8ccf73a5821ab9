"""Pieces shared by the routes: documented error responses and instance checks."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

from allocator import Instance, validate
from allocator.documents import json_path
from api.core.config import Settings
from api.errors import ApiError
from api.schemas import Detail, ErrorBody

DESCRIPTIONS = {
    400: "Malformed JSON (with the position of the error) or an empty body.",
    401: "Missing or unknown API key (when keys are configured).",
    404: "No such job (or not this tenant's).",
    409: "The job is in a state that does not allow this.",
    413: "The request body is too large.",
    422: "Invalid instance or parameters: every problem, with its JSON path.",
    429: "Too many jobs waiting; retry after `Retry-After` seconds.",
    503: "The database does not answer or the dispatcher is not running.",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """``responses`` entries for the error codes a route can answer."""
    return {code: {"model": ErrorBody, "description": DESCRIPTIONS[code]} for code in codes}


HUGE = sys.float_info.max / 16
"""Numbers beyond this overflow the engine's unit arithmetic (hours in quarter-hours)."""


def _huge_numbers(data: Any, loc: tuple[int | str, ...] = ()) -> Iterator[tuple[int | str, ...]]:
    """Locations of the numbers in ``data`` whose magnitude is above :data:`HUGE`."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _huge_numbers(value, (*loc, str(key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _huge_numbers(value, (*loc, index))
    elif isinstance(data, int | float) and not isinstance(data, bool) and abs(data) > HUGE:
        yield loc


def out_of_range(data: Any, prefix: str = "$") -> list[Detail]:
    """The problems of a document the engine cannot even read: numbers out of range.

    The engine's checks multiply hours by 4 and round them; a number near the largest float
    overflows there (``OverflowError``) instead of being reported. Such a document is
    answered with the paths of its huge numbers (``$`` when none is found).
    """
    paths = [prefix + json_path(loc).removeprefix("$") for loc in _huge_numbers(data)]
    message = "the number is out of range"
    return [Detail(path=path, message=message) for path in paths] or [
        Detail(path=prefix, message="a number is out of range")
    ]


def instance_problems(data: Any, prefix: str = "$") -> list[Detail]:
    """Every input error of ``data`` as details, paths under ``prefix``."""
    try:
        problems = validate(data)
    except OverflowError:
        return out_of_range(data, prefix)
    return [
        Detail(path=prefix + problem.path.removeprefix("$"), message=problem.message)
        for problem in problems
    ]


def load_valid_instance(data: Any, prefix: str = "$") -> Instance:
    """The validated instance; 422 ``invalid_instance`` listing every problem otherwise."""
    problems = instance_problems(data, prefix)
    if problems:
        raise ApiError(
            422,
            f"the instance has {len(problems)} input error(s)",
            code="invalid_instance",
            details=problems,
        )
    return Instance.model_validate(data)


def checked_time_limit(
    requested: float | None, cap: float, settings: Settings, hint: str = ""
) -> None:
    """422 when an explicit ``time_limit`` is above ``cap`` (or the service's maximum)."""
    limit = min(cap, settings.max_time_limit)
    if requested is not None and requested > limit:
        message = f"time_limit must be at most {limit:g} seconds{hint}"
        raise ApiError(422, message, details=[("query.time_limit", message)])


def effective_time_limit(data: Any, requested: float | None, default: float, cap: float) -> float:
    """The query's time limit, else the instance's ``solver.time_limit_seconds``, else
    ``default``; an instance's own limit is capped at ``cap``."""
    if requested is not None:
        return requested
    solver = data.get("solver") if isinstance(data, dict) else None
    own = solver.get("time_limit_seconds") if isinstance(solver, dict) else None
    return float(min(own if isinstance(own, int | float) else default, cap))
