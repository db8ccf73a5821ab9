"""Dependencies of the routes: settings, database session, tenant (API key), request bodies."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from allocator import documents
from api.core.config import Settings
from api.errors import ApiError
from api.runner import Dispatcher
from api.store import Store

PUBLIC_TENANT = "public"
"""The tenant of every job when no API keys are configured."""


# The dependencies are coroutines: a sync one would cost a hop to the thread pool each,
# which under load (solver processes busy on every core) adds milliseconds to every request.
# Only the routes, which query the database, run in the thread pool.


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


async def get_dispatcher(request: Request) -> Dispatcher:
    dispatcher: Dispatcher = request.app.state.dispatcher
    return dispatcher


async def get_session(store: Annotated[Store, Depends(get_store)]) -> AsyncIterator[Session]:
    """A session for the route; it connects on its first query (in the route's thread)."""
    with store.sessions() as session:
        yield session


_bearer = HTTPBearer(
    auto_error=False,
    description="An API key as `Authorization: Bearer KEY`, required when the service has "
    "keys configured (ALLOCATOR_API_KEYS). Each key is a tenant that sees only its own jobs.",
)


def tenant_of(key: str) -> str:
    """The tenant name of an API key (a digest: keys are never stored)."""
    return "key-" + hashlib.sha256(key.encode()).hexdigest()[:16]


async def get_tenant(
    settings: Annotated[Settings, Depends(get_settings)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """The caller's tenant; 401 when keys are configured and none of them is presented."""
    if not settings.api_keys:
        return PUBLIC_TENANT
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None:
        raise ApiError(401, "missing API key: send 'Authorization: Bearer KEY'", headers=challenge)
    given = credentials.credentials.encode()
    for key in settings.api_keys:
        if hmac.compare_digest(given, key.encode()):
            return tenant_of(key)
    raise ApiError(401, "unknown API key", headers=challenge)


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
TenantDep = Annotated[str, Depends(get_tenant)]
DispatcherDep = Annotated[Dispatcher, Depends(get_dispatcher)]


def parse_json(raw: bytes) -> Any:
    """Parse a JSON body; 400 ``malformed_json`` naming where it is not JSON (the position
    of a syntax error, or the paths of NaN, Infinity and lone surrogates, see
    :func:`allocator.documents.parse_json`)."""
    if not raw.strip():
        raise ApiError(400, "the request body is empty; send the JSON document", code="empty_body")
    try:
        return documents.parse_json(raw, finite_only=True)
    except documents.InvalidDocument as error:
        first = error.problems[0]
        message = first.message
        if first.path != "$":
            message = "the body is not sound JSON: " + "; ".join(
                f"{p.path}: {p.message}" for p in error.problems[:3]
            )
        details = [(p.path, p.message) for p in error.problems]
        raise ApiError(400, message, code="malformed_json", details=details) from None


async def read_body(request: Request) -> bytes:
    """The JSON document of a request: the body, or the multipart upload field ``file``."""
    content_type = request.headers.get("content-type", "").lower()  # (media types ignore case)
    if not content_type.startswith("multipart/form-data"):
        return await request.body()
    form = await request.form(max_files=1, max_fields=16)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        message = "a multipart upload needs the instance JSON file in the field 'file'"
        raise ApiError(422, message, code="invalid_request", details=[("file", "missing")])
    return await upload.read()


async def json_payload(request: Request) -> Any:
    """The parsed JSON document of a request (see :func:`read_body`)."""
    return await run_in_threadpool(parse_json, await read_body(request))


PayloadDep = Annotated[Any, Depends(json_payload)]
