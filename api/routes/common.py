"""Pieces shared by the routes: documented error responses and instance checks."""

from __future__ import annotations

from typing import Any

from allocator import Instance, validate
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


def instance_problems(data: Any, prefix: str = "$") -> list[Detail]:
    """Every input error of ``data`` as details, paths under ``prefix``."""
    return [
        Detail(path=prefix + problem.path.removeprefix("$"), message=problem.message)
        for problem in validate(data)
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
