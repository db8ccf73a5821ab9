"""``/v1/plans``: check a plan against an instance with the engine's independent checker."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import ValidationError

from allocator import Plan, check_plan
from allocator.validate import json_path
from api.deps import PayloadDep, TenantDep
from api.errors import ApiError
from api.examples import check_body
from api.routes.common import errors, load_valid_instance, out_of_range
from api.schemas import CheckResult, Detail, ViolationOut

router = APIRouter(prefix="/v1/plans", tags=["plans"])


def _plan(data: Any) -> Plan:
    try:
        return Plan.model_validate(data)
    except ValidationError as error:
        details = [
            Detail(path=json_path(("plan", *item["loc"])), message=item["msg"])
            for item in error.errors(include_url=False)
        ]
        raise ApiError(422, "the plan is malformed", code="invalid_plan", details=details) from None
    except OverflowError:
        details = out_of_range(data, "$.plan")
        raise ApiError(422, "the plan is malformed", code="invalid_plan", details=details) from None


@router.post(
    "/check",
    response_model=CheckResult,
    summary="Check a plan",
    description="Recompute every hard rule, the unmet hours and the objective values of "
    "`plan` for `instance`, without the solver. `ok` is true when no rule is broken.",
    responses=errors(400, 401, 413, 422),
    openapi_extra=check_body(),
)
def check(data: PayloadDep, _tenant: TenantDep) -> CheckResult:
    if not isinstance(data, dict):
        raise ApiError(422, "the body must be an object {instance, plan}", details=[("$", "")])
    missing = [key for key in ("instance", "plan") if key not in data]
    if missing:
        details = [(f"$.{key}", "required field is missing") for key in missing]
        raise ApiError(422, "the body must be an object {instance, plan}", details=details)
    instance = load_valid_instance(data["instance"], prefix="$.instance")
    report = check_plan(instance, _plan(data["plan"]))
    return CheckResult(
        ok=report.ok,
        violations=[ViolationOut(rule=v.rule, message=v.message) for v in report.violations],
        objective=report.objective,
    )
