"""``/healthz`` (the process answers) and ``/readyz`` (database and dispatcher work)."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import DispatcherDep
from api.errors import ApiError
from api.routes.common import errors
from api.schemas import Detail, Health, Readiness

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="Liveness")
def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="Readiness",
    description="200 when the database answers and the dispatcher runs, 503 otherwise.",
    responses=errors(503),
)
def readyz(dispatcher: DispatcherDep) -> Readiness:
    database = dispatcher.store.ping()
    alive = dispatcher.alive()
    if not (database and alive):
        details = [
            Detail(path=name, message="not working")
            for name, ok in (("database", database), ("dispatcher", alive))
            if not ok
        ]
        raise ApiError(503, "the service is not ready", details=details)
    return Readiness(status="ready", database=database, dispatcher=alive)
