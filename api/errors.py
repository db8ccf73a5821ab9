"""Structured errors: every error response is ``{"error": {"code", "message", "details"}}``.

Handlers cover the API's own :class:`ApiError`, Starlette's HTTP errors (404 of an unknown
route, 405, malformed multipart), request validation (query, headers) and, as a last resort,
any exception (500, logged, never a traceback in the response).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.schemas import Detail, ErrorBody, ErrorInfo

log = logging.getLogger("allocator.api")

CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}


class ApiError(Exception):
    """An error answer: HTTP status, stable code, plain message, details with paths."""

    def __init__(
        self,
        status_code: int,
        message: str,
        *,
        code: str | None = None,
        details: Iterable[Detail | tuple[str, str]] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code or CODES.get(status_code, "error")
        self.message = message
        self.details = [
            d if isinstance(d, Detail) else Detail(path=d[0], message=d[1]) for d in details
        ]
        self.headers = dict(headers or {})


def error_response(
    status_code: int,
    code: str,
    message: str,
    details: Sequence[Detail] = (),
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = ErrorBody(error=ErrorInfo(code=code, message=message, details=list(details)))
    return JSONResponse(body.model_dump(), status_code=status_code, headers=dict(headers or {}))


def _location(loc: Sequence[Any]) -> str:
    return ".".join(str(part) for part in loc)


async def _api_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status_code, exc.code, exc.message, exc.details, exc.headers)


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(status).phrase
    if status == 404 and message == "Not Found":
        message = "no such resource"
    return error_response(status, CODES.get(status, "error"), message, (), exc.headers)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = [
        Detail(path=_location(item.get("loc", ())), message=str(item.get("msg", "invalid")))
        for item in exc.errors()
    ]
    return error_response(422, "invalid_request", "the request is invalid", details)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", "an unexpected error occurred; it was logged")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected_error)
