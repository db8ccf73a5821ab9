"""The web page for resource managers (``GET /``, files under ``/static``) and the demo instance
it offers (``GET /v1/examples/demo``).

The page is plain HTML and JavaScript in ``api/static/`` (no build step) and speaks only the
public ``/v1`` endpoints; the timeline library is vendored under ``api/static/vendor/``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from api.examples import demo_instance

STATIC = Path(__file__).resolve().parent / "static"

router = APIRouter()


@router.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
def page() -> FileResponse:
    """The page (``api/static/index.html``); ``HEAD`` too, for uptime checks."""
    return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})


@router.get(
    "/v1/examples/demo",
    tags=["examples"],
    response_model=None,
    summary="The demo instance",
    description="The instance `instances/demo.json` (the `allocator/1` contract): three "
    "projects, in-house and vendor specialists, workplaces and tasks. Submit it to "
    "POST /v1/jobs to try the service.",
    responses={
        200: {
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Instance"}}}
        }
    },
)
def demo() -> JSONResponse:
    return JSONResponse(demo_instance())


def install_page(app: FastAPI) -> None:
    """Serve the page at ``/`` and its files at ``/static``."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
