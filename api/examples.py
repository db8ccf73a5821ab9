"""Examples for the OpenAPI document: the demo instance (``instances/demo.json``)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from allocator import Instance, Plan

DEMO_PATH = Path(__file__).resolve().parent.parent / "instances" / "demo.json"


TINY: dict[str, Any] = {
    "format": "allocator/1",
    "name": "tiny",
    "horizon": {"start": "2027-01-04", "end": "2027-01-08"},
    "specialists": [
        {
            "id": "ana",
            "roles": ["developer"],
            "sourcing": "in_house",
            "hours_per_day": 8,
            "cost_per_hour": 50,
        }
    ],
    "projects": [{"id": "p", "program": "time_based"}],
    "workplaces": [{"id": "w", "project": "p", "role": "developer", "hours_per_day": 8}],
}
"""The smallest useful instance: one developer fills one workplace for a week."""

TINY_PLAN: dict[str, Any] = {
    "format": "allocator/1",
    "instance": "tiny",
    "status": "optimal",
    "objective": {"coverage": 0.0, "cost": 2000.0, "stability": 0.0},
    "bound": {"coverage": 0.0, "cost": 2000.0, "stability": 0.0},
    "gap": 0.0,
    "workplaces": [{"workplace": "w", "specialist": "ana"}],
    "assignments": [
        {"specialist": "ana", "project": "p", "workplace": "w", "date": day, "hours": 8.0}
        for day in ("2027-01-04", "2027-01-05", "2027-01-06", "2027-01-07", "2027-01-08")
    ],
    "unmet": [],
}
"""The optimal plan of :data:`TINY` (the checker accepts it)."""


@cache
def demo_instance() -> dict[str, Any]:
    """The demo instance, or :data:`TINY` when the service runs without the repository."""
    try:
        data: dict[str, Any] = json.loads(DEMO_PATH.read_text(encoding="utf-8"))
        return data
    except (OSError, ValueError):
        return TINY


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


_UPLOAD = {
    "schema": {
        "type": "object",
        "properties": {"file": {"type": "string", "format": "binary"}},
        "required": ["file"],
    }
}


def instance_body() -> dict[str, Any]:
    """``openapi_extra`` of a route whose body is an instance (JSON, or a file upload)."""
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": _ref("Instance"),
                    "examples": {
                        "demo": {
                            "summary": "instances/demo.json",
                            "value": demo_instance(),
                        },
                        "tiny": {"summary": "one developer, one workplace", "value": TINY},
                    },
                },
                "multipart/form-data": _UPLOAD,
            },
        }
    }


def check_body() -> dict[str, Any]:
    """``openapi_extra`` of POST /v1/plans/check: ``{instance, plan}``."""
    schema = {
        "type": "object",
        "properties": {"instance": _ref("Instance"), "plan": _ref("Plan")},
        "required": ["instance", "plan"],
    }
    example = {"instance": TINY, "plan": TINY_PLAN}
    content = {"application/json": {"schema": schema, "example": example}}
    return {"requestBody": {"required": True, "content": content}}


def _date_range(canonical: dict[str, Any]) -> dict[str, Any]:
    """``DateRange`` in every form the engine reads: ``{start, end}``, ``{date}`` or a date.

    The engine accepts the short forms in a before-validator, which pydantic's JSON schema
    does not show; without them the demo instance (``{"date": ...}``) would break its own
    documented schema.
    """
    date = {"type": "string", "format": "date"}
    single = {
        "type": "object",
        "properties": {"date": date},
        "required": ["date"],
        "additionalProperties": False,
    }
    return {
        "title": canonical.get("title", "DateRange"),
        "description": "An inclusive date range {start, end}, or one date as {date} or a "
        "plain date string.",
        "anyOf": [{k: v for k, v in canonical.items() if k != "description"}, single, date],
    }


def contract_schemas() -> dict[str, Any]:
    """JSON schemas of the engine's contract, ready for ``components.schemas``."""
    out: dict[str, Any] = {}
    for model in (Instance, Plan):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        out.update(schema.pop("$defs", {}))
        out[model.__name__] = schema
    if "DateRange" in out:
        out["DateRange"] = _date_range(out["DateRange"])
    return out
