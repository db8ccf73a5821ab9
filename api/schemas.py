"""Request and response shapes of the API (pydantic), apart from the store's SQLAlchemy models.

The instance and the plan themselves are the engine's contract (:class:`allocator.Instance`,
:class:`allocator.Plan`); the shapes here wrap them.
"""

from __future__ import annotations

import datetime as dt
import json

from pydantic import BaseModel, Field

from api.store import Job, as_utc


class Detail(BaseModel):
    """One problem, where (a JSON path such as ``$.tasks[2].due``, or ``query.time_limit``)."""

    path: str
    message: str


class ErrorInfo(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. `invalid_instance`.")
    message: str = Field(description="What went wrong, in plain words.")
    details: list[Detail] = Field(default_factory=list)


class ErrorBody(BaseModel):
    """Every error response of the API."""

    error: ErrorInfo


class ValidationReport(BaseModel):
    valid: bool
    problems: list[Detail]


class Links(BaseModel):
    self: str
    plan: str


class JobOut(BaseModel):
    """A job: its status, the solve's progress and, when finished, the plan's summary."""

    id: str
    status: str = Field(description="queued, solving, done, failed or cancelled.")
    name: str = Field(description="The instance's name.")
    time_limit: float = Field(description="Seconds the solve may take.")
    attempts: int = Field(description="Solves started for this job (a server restart re-runs).")
    cancel_requested: bool
    stage: str | None = Field(default=None, description="Goal being optimised now.")
    stage_number: int | None = None
    stages: int | None = None
    solutions: int | None = Field(default=None, description="Improving solutions this stage.")
    objective: float | None = Field(default=None, description="Best value of the stage's goal.")
    bound: float | None = Field(default=None, description="Proven bound of the stage's goal.")
    gap: float | None = Field(default=None, description="Relative gap (objective-bound)/obj.")
    elapsed: float | None = Field(default=None, description="Seconds since the solve started.")
    plan_status: str | None = Field(default=None, description="optimal, feasible, ... once done.")
    plan_objective: dict[str, float] | None = None
    error: str | None = Field(default=None, description="Why the job failed, in plain words.")
    created_at: dt.datetime
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    links: Links

    @classmethod
    def of(cls, job: Job) -> JobOut:
        elapsed = job.elapsed
        if job.status == "solving" and job.started_at is not None:
            elapsed = round((dt.datetime.now(dt.UTC) - as_utc(job.started_at)).total_seconds(), 3)
        return cls(
            **{name: getattr(job, name) for name in _COPIED},
            elapsed=elapsed,
            plan_objective=json.loads(job.plan_objective) if job.plan_objective else None,
            created_at=as_utc(job.created_at),
            started_at=as_utc(job.started_at) if job.started_at else None,
            finished_at=as_utc(job.finished_at) if job.finished_at else None,
            links=Links(self=f"/v1/jobs/{job.id}", plan=f"/v1/jobs/{job.id}/plan"),
        )


_COPIED = (
    "id",
    "status",
    "name",
    "time_limit",
    "attempts",
    "cancel_requested",
    "stage",
    "stage_number",
    "stages",
    "solutions",
    "objective",
    "bound",
    "gap",
    "plan_status",
    "error",
)
"""Fields of :class:`JobOut` copied from the job row as they are."""


class JobList(BaseModel):
    items: list[JobOut]
    total: int = Field(description="Jobs matching the filter, over all pages.")
    limit: int
    offset: int


class ViolationOut(BaseModel):
    rule: str = Field(description="The broken hard rule, or plan / unmet / objective.")
    message: str


class CheckResult(BaseModel):
    ok: bool
    violations: list[ViolationOut]
    objective: dict[str, float] = Field(description="The recomputed objective values.")


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    database: bool
    dispatcher: bool
