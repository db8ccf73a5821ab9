"""The request body cap (413): checked on ``Content-Length`` and on the streamed bytes."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import ApiError, error_response


def too_large(limit: int) -> ApiError:
    return ApiError(413, f"the request body is larger than {limit:,} bytes")


class BodySizeLimit:
    """ASGI middleware refusing bodies larger than ``max_bytes``.

    A declared ``Content-Length`` above the cap is refused before anything is read; a body
    streamed without one (chunked) is cut off as soon as it passes the cap.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            error = too_large(self.max_bytes)
            await error_response(413, error.code, error.message)(scope, receive, send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise too_large(self.max_bytes)
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracked_send)
        except ApiError as error:  # raised while reading, outside any route's handlers
            if started:
                raise
            response = error_response(error.status_code, error.code, error.message)
            await response(scope, receive, send)
