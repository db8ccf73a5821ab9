"""The application factory: ``create_app(settings)``; ``app`` for ``uvicorn api.main:app``.

The lifespan creates the schema, re-queues the jobs a dead server left solving
(:func:`api.runner.recover`), then runs the dispatcher until shutdown.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.openapi.utils import get_openapi
from fastapi_offline import FastAPIOffline

from api.core.config import Settings
from api.errors import install_error_handlers
from api.examples import contract_schemas
from api.limits import BodySizeLimit
from api.page import install_page
from api.routes import health, instances, jobs, plans, solve
from api.runner import Dispatcher, recover
from api.store import Store

log = logging.getLogger("allocator.api")

DESCRIPTION = """\
Staff an IT services organisation's workplaces and tasks with specialists: submit a planning
instance (the `allocator/1` JSON contract), follow the solve, fetch the plan as JSON, CSV or
Excel. Errors are `{"error": {"code", "message", "details": [{"path", "message"}]}}`.
"""


def _start(app: FastAPI, settings: Settings) -> None:
    store = Store(settings.database_url)
    store.create_schema()
    recover(store)
    dispatcher = Dispatcher(store, settings)
    dispatcher.start()
    app.state.store, app.state.dispatcher = store, dispatcher


def _stop(app: FastAPI) -> None:
    app.state.dispatcher.stop()
    app.state.store.dispose()


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document plus the engine's ``Instance`` and ``Plan`` schemas."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for name, definition in contract_schemas().items():
            components.setdefault(name, definition)
        app.openapi_schema = schema
    return app.openapi_schema


def create_app(settings: Settings | None = None) -> FastAPI:
    """A configured application; the database and the dispatcher start with its lifespan."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(_start, app, settings)
        try:
            yield
        finally:
            await run_in_threadpool(_stop, app)

    # the docs pages' Swagger UI and ReDoc assets are served from the package, not a CDN
    app = FastAPIOffline(
        title="allocator",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.sync_slots = threading.BoundedSemaphore(settings.max_concurrent_solves)
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes)
    for module in (instances, jobs, solve, plans, health):
        app.include_router(module.router)
    install_page(app)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


app = create_app()
