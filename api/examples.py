"""Examples for the OpenAPI document: the demo instance (``instances/demo.json``)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from allocator import Instance, Plan

DEMO_PATH = Path(__file__).resolve().parent.parent / "instances" / "demo.json"


@cache
def demo_instance() -> dict[str, Any]:
    """The demo instance, or a minimal one when the service runs without the repository."""
    try:
        data: dict[str, Any] = json.loads(DEMO_PATH.read_text(encoding="utf-8"))
        return data
    except (OSError, ValueError):
        return {
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
                "application/json": {"schema": _ref("Instance"), "example": demo_instance()},
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
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def contract_schemas() -> dict[str, Any]:
    """JSON schemas of the engine's contract, ready for ``components.schemas``."""
    out: dict[str, Any] = {}
    for model in (Instance, Plan):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        out.update(schema.pop("$defs", {}))
        out[model.__name__] = schema
    return out
