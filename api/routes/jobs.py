"""``/v1/jobs``: submit instances, follow their solves, fetch, cancel and delete them."""

from __future__ import annotations

import hashlib
import json
import math
import threading
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Response
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, undefer
from sqlalchemy.sql.base import ExecutableOption

from allocator import Instance, Plan
from api.deps import DispatcherDep, PayloadDep, SessionDep, SettingsDep, TenantDep
from api.errors import ApiError
from api.examples import instance_body
from api.exports import CSV_TYPE, XLSX_TYPE, assignments_csv, attachment, plan_workbook
from api.routes.common import checked_time_limit, effective_time_limit, errors, load_valid_instance
from api.schemas import JobList, JobOut
from api.store import Job, Status, active_jobs, as_utc, utcnow

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])

MAX_OFFSET = 1_000_000_000
"""Largest page offset of GET /v1/jobs (the database's integers are bounded)."""

_submit_lock = threading.Lock()
"""Serialises the queue-capacity check and the insert within a server process."""

TimeLimit = Annotated[
    float | None,
    Query(
        gt=0,
        description="Seconds for the whole solve (at most the service's maximum, 300 s by "
        "default). Without it: the instance's `solver.time_limit_seconds`, else 30 s.",
    ),
]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="A retried submit with the same key returns the first job (200) instead "
        "of solving again; the same key with a different request is refused (409).",
    ),
]


def _find(session: Session, tenant: str, job_id: str, *options: ExecutableOption) -> Job:
    query = select(Job).where(Job.id == job_id, Job.tenant == tenant).options(*options)
    job = session.scalar(query)
    if job is None:
        raise ApiError(404, f"no job {job_id!r}", code="job_not_found")
    return job


def _request_hash(data: Any, time_limit: float | None) -> str:
    canonical = json.dumps([data, time_limit], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _retry_after(session: Session) -> int:
    """Seconds until the first running solve reaches its time limit (at least 1)."""
    now = utcnow()
    ends = [
        job.time_limit - (now - as_utc(job.started_at)).total_seconds()
        for job in session.scalars(select(Job).where(Job.status == Status.SOLVING))
        if job.started_at is not None
    ]
    return max(1, math.ceil(min(ends, default=1.0)))


def _existing(
    session: Session, tenant: str, key: str, request_hash: str, response: Response
) -> JobOut | None:
    job = session.scalar(select(Job).where(Job.tenant == tenant, Job.idempotency_key == key))
    if job is None:
        return None
    if job.request_hash != request_hash:
        message = "this Idempotency-Key was used for a different request"
        raise ApiError(409, message, code="idempotency_key_reused")
    response.status_code = 200
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    return JobOut.of(job)


@router.post(
    "",
    status_code=202,
    response_model=JobOut,
    summary="Submit an instance",
    description="Queue a solve of the instance (JSON body, or a multipart upload in the field "
    "`file`). Answers 202 with the job and its `Location`; a retried submit with the same "
    "`Idempotency-Key` answers 200 with the first job. Follow the job with GET "
    "/v1/jobs/{id}, fetch the plan from GET /v1/jobs/{id}/plan.",
    responses={
        200: {
            "model": JobOut,
            "description": "The job of an earlier submit with the same Idempotency-Key.",
        },
        **errors(400, 401, 409, 413, 422, 429),
    },
    openapi_extra=instance_body(),
)
def submit_job(
    data: PayloadDep,
    response: Response,
    tenant: TenantDep,
    session: SessionDep,
    settings: SettingsDep,
    dispatcher: DispatcherDep,
    time_limit: TimeLimit = None,
    idempotency_key: IdempotencyKey = None,
) -> JobOut:
    checked_time_limit(time_limit, settings.max_time_limit, settings)
    request_hash = _request_hash(data, time_limit)
    if idempotency_key is not None:
        found = _existing(session, tenant, idempotency_key, request_hash, response)
        if found is not None:
            return found
    instance: Instance = load_valid_instance(data)
    limit = effective_time_limit(
        data, time_limit, settings.default_time_limit, settings.max_time_limit
    )
    job = Job(
        id=str(uuid.uuid4()),
        tenant=tenant,
        status=Status.QUEUED,
        name=instance.name[:200],
        instance_json=json.dumps(data, separators=(",", ":")),
        time_limit=limit,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
        created_at=utcnow(),
    )
    with _submit_lock:
        capacity = settings.max_concurrent_solves + settings.max_queue
        if active_jobs(session) >= capacity:
            seconds = _retry_after(session)
            raise ApiError(
                429,
                f"the queue is full ({settings.max_queue} waiting, the most it holds, "
                f"beside {settings.max_concurrent_solves} solving); retry in {seconds} s",
                code="queue_full",
                headers={"Retry-After": str(seconds)},
            )
        session.add(job)
        try:
            session.commit()
        except IntegrityError:  # a concurrent submit with the same Idempotency-Key won
            session.rollback()
            found = _existing(session, tenant, idempotency_key or "", request_hash, response)
            if found is None:
                raise
            return found
    dispatcher.notify()
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    return JobOut.of(job)


@router.get(
    "",
    response_model=JobList,
    summary="List jobs",
    description="The caller's jobs, newest first, optionally only those with one status.",
    responses=errors(401, 422),
)
def list_jobs(
    tenant: TenantDep,
    session: SessionDep,
    status: Annotated[Status | None, Query(description="Only jobs with this status.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> JobList:
    where = [Job.tenant == tenant] + ([Job.status == status] if status is not None else [])
    total = session.scalar(select(func.count()).select_from(Job).where(*where)) or 0
    query = (
        select(Job)
        .where(*where)
        .order_by(Job.created_at.desc(), Job.id)
        .limit(limit)
        .offset(offset)
    )
    items = [JobOut.of(job) for job in session.scalars(query)]
    return JobList(items=items, total=total, limit=limit, offset=offset)


@router.get(
    "/{job_id}",
    response_model=JobOut,
    summary="Get a job",
    description="Status, the solve's stage, best objective so far, bound, gap, elapsed "
    "seconds and timestamps.",
    responses=errors(401, 404, 422),
)
def get_job(job_id: str, tenant: TenantDep, session: SessionDep) -> JobOut:
    return JobOut.of(_find(session, tenant, job_id))


@router.get(
    "/{job_id}/plan",
    response_model=Plan,
    summary="Get a job's plan",
    description="The plan as JSON (the engine's contract), `?format=csv` for the assignments "
    "table, `?format=xlsx` for a workbook with the sheets assignments, unmet, projects, "
    "specialists, vendors and totals. 409 while the job has no plan yet.",
    responses={
        200: {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
            }
        },
        **errors(401, 404, 409, 422),
    },
)
def get_plan(
    job_id: str,
    tenant: TenantDep,
    session: SessionDep,
    format: Annotated[Literal["json", "csv", "xlsx"], Query()] = "json",
) -> Response:
    job = _find(session, tenant, job_id, undefer(Job.plan_json))
    if job.plan_json is None:
        if job.status == Status.FAILED:
            message = f"job {job.id} failed and has no plan: {job.error}"
        elif job.status == Status.CANCELLED:
            message = f"job {job.id} was cancelled before a plan was found"
        else:
            message = f"job {job.id} is {job.status}; its plan is not ready yet"
        raise ApiError(409, message, code="plan_not_ready")
    if format == "json":
        return Response(job.plan_json, media_type="application/json")
    plan = Plan.model_validate_json(job.plan_json)
    name = f"{job.name or 'plan'}-{job.id[:8]}"
    if format == "csv":
        headers = attachment(f"{name}-assignments.csv")
        return Response(assignments_csv(plan), media_type=CSV_TYPE, headers=headers)
    instance = Instance.model_validate_json(job.instance_json)
    headers = attachment(f"{name}.xlsx")
    return Response(plan_workbook(instance, plan), media_type=XLSX_TYPE, headers=headers)


def _request_cancel(session: Session, job_id: str) -> None:
    """Cancel a queued job at once; ask a solving one to stop (it keeps its best plan)."""
    session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == Status.QUEUED)
        .values(status=Status.CANCELLED, cancel_requested=True, finished_at=utcnow())
    )
    session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == Status.SOLVING)
        .values(cancel_requested=True)
    )
    session.commit()


@router.post(
    "/{job_id}/cancel",
    response_model=JobOut,
    summary="Cancel a job",
    description="A queued job is cancelled at once. A solving job is asked to stop: its "
    "search ends within a moment and the job becomes `cancelled` with the best plan found "
    "so far (GET its plan). 409 for a job that is already done or failed.",
    responses={
        202: {"model": JobOut, "description": "Stop requested; the solve is ending."},
        **errors(401, 404, 409, 422),
    },
)
def cancel_job(job_id: str, response: Response, tenant: TenantDep, session: SessionDep) -> JobOut:
    job = _find(session, tenant, job_id)
    if job.status in (Status.DONE, Status.FAILED):
        raise ApiError(409, f"job {job.id} is already {job.status}", code="job_finished")
    _request_cancel(session, job.id)
    session.refresh(job)
    if job.status == Status.SOLVING:
        response.status_code = 202
    return JobOut.of(job)


@router.delete(
    "/{job_id}",
    status_code=204,
    summary="Delete a job",
    description="Delete the job, its instance and its plan; a running solve is stopped first.",
    responses=errors(401, 404, 422),
)
def delete_job(job_id: str, tenant: TenantDep, session: SessionDep) -> Response:
    job = _find(session, tenant, job_id)
    _request_cancel(session, job.id)
    session.execute(delete(Job).where(Job.id == job.id))
    session.commit()
    return Response(status_code=204)
