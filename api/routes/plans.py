"""``/v1/plans``: check a plan against an instance with the engine's independent checker."""

from __future__ import annotations

from fastapi import APIRouter

from allocator import Instance, Plan, check_plan
from allocator.documents import json_path
from allocator.validate import json_type, plan_problems
from api.deps import PayloadDep, TenantDep
from api.errors import ApiError
from api.examples import check_body
from api.routes.common import errors, instance_problems
from api.schemas import CheckResult, Detail, ViolationOut

router = APIRouter(prefix="/v1/plans", tags=["plans"])

BODY = ("instance", "plan")


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
    message = "the body must be an object {instance, plan}"
    if not isinstance(data, dict):
        raise ApiError(
            422, message, details=[("$", f"expected a JSON object, not {json_type(data)}")]
        )
    problems = [
        Detail(path=f"$.{key}", message="required field is missing")
        for key in BODY
        if key not in data
    ]
    problems += [
        Detail(path=json_path((key,)), message="unknown field") for key in data if key not in BODY
    ]
    if "instance" in data:  # every problem at once: the body's, the instance's, the plan's
        problems += instance_problems(data["instance"], prefix="$.instance")
    if "plan" in data:
        problems += [
            Detail(path="$.plan" + p.path.removeprefix("$"), message=p.message)
            for p in plan_problems(data["plan"])
        ]
    if problems:
        paths = [d.path for d in problems]
        code = "invalid_request"
        if any(path.startswith("$.instance") for path in paths):
            code = "invalid_instance"
        elif any(path.startswith("$.plan") for path in paths):
            code = "invalid_plan"
        raise ApiError(422, f"{len(problems)} input error(s)", code=code, details=problems)
    instance, plan = Instance.model_validate(data["instance"]), Plan.model_validate(data["plan"])
    report = check_plan(instance, plan)
    return CheckResult(
        ok=report.ok,
        violations=[ViolationOut(rule=v.rule, message=v.message) for v in report.violations],
        objective=report.objective,
    )
