"""``/v1/instances``: validate an instance without solving it."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import PayloadDep, TenantDep
from api.examples import instance_body
from api.routes.common import errors, instance_problems
from api.schemas import ValidationReport

router = APIRouter(prefix="/v1/instances", tags=["instances"])


@router.post(
    "/validate",
    response_model=ValidationReport,
    summary="Validate an instance",
    description="Every input error of the instance at once, each with its JSON path "
    "(unknown fields and references, duplicate ids, dates outside the horizon, values out "
    "of range). The body is the instance as JSON, or a multipart upload in the field `file`.",
    responses=errors(400, 401, 413, 422),
    openapi_extra=instance_body(),
)
def validate_instance(data: PayloadDep, _tenant: TenantDep) -> ValidationReport:
    problems = instance_problems(data)
    return ValidationReport(valid=not problems, problems=problems)
