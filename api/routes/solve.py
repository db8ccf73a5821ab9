"""``/v1/solve``: a synchronous solve for small instances, with a capped time limit."""

from __future__ import annotations

import math
import threading
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from allocator import Plan, SolveOptions, solve
from api.deps import PayloadDep, SettingsDep, TenantDep
from api.errors import ApiError
from api.examples import instance_body
from api.routes.common import checked_time_limit, effective_time_limit, errors, load_valid_instance

router = APIRouter(prefix="/v1", tags=["solve"])


@router.post(
    "/solve",
    response_model=Plan,
    summary="Solve now",
    description="Solve the instance within this request and answer the plan. The time limit "
    "is capped (10 s by default); submit a job for longer solves. Answers 429 while as many "
    "synchronous solves run as the service runs solves at once.",
    responses=errors(400, 401, 413, 422, 429),
    openapi_extra=instance_body(),
)
async def solve_now(
    request: Request,
    data: PayloadDep,
    _tenant: TenantDep,
    settings: SettingsDep,
    time_limit: Annotated[
        float | None, Query(gt=0, description="Seconds (at most the synchronous cap).")
    ] = None,
) -> Response:
    cap = settings.sync_time_limit_cap
    checked_time_limit(time_limit, cap, settings, "; submit a job (POST /v1/jobs) for more")
    instance = await run_in_threadpool(load_valid_instance, data)
    limit = effective_time_limit(data, time_limit, settings.default_time_limit, cap)
    slots: threading.BoundedSemaphore = request.app.state.sync_slots
    if not slots.acquire(blocking=False):
        seconds = str(math.ceil(cap))
        message = "the synchronous solvers are busy; retry shortly or submit a job"
        raise ApiError(429, message, code="solver_busy", headers={"Retry-After": seconds})
    try:
        options = SolveOptions(time_limit=limit, workers=settings.workers)
        plan = await run_in_threadpool(solve, instance, options)
    finally:
        slots.release()
    return Response(plan.model_dump_json(), media_type="application/json")
