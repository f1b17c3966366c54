"""A request body larger than `APPCONNECT_MAX_BODY_BYTES` is refused with 413, never read whole.

Without a limit one unauthenticated 100 MB request is read and parsed in full (hundreds of MB of
memory) and an authenticated one is stored as a call note. The extension's bodies are a few KB.

* A `Content-Length` over the limit is answered before anything is read: the app is not called.
* A body without a length (chunked) is counted as it streams in; when it passes the limit the app's
  read fails, whatever the app would have answered is dropped, and the 413 is sent instead.

Either way the 413 says `Connection: close`, so the server stops reading the rest and nothing of
the request reaches a route. So does any answer given before the request's body was read to its
end (a route refusing a request without reading it): the server then closes the connection instead
of reading and discarding the rest of the body to reuse it. (Starlette's own limiter calls the app
for an oversized `Content-Length` and keeps the connection open, reading the rest.)
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024


class _BodyTooLarge(Exception):
    """Raised into the app's `receive` once the streamed body passes the limit."""


def _declared_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the HTTP parser refuses a malformed length before we get here
    return None


def _is_chunked(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(name == b"transfer-encoding" and b"chunked" in value.lower() for name, value in headers)


_CLOSE = (b"connection", b"close")


class BodySizeLimitMiddleware:
    """Pure ASGI middleware answering 413 for a body over `max_body_bytes`."""

    def __init__(self, app: ASGIApp, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        message = {"error": f"Request body too large: the limit is {max_body_bytes} bytes"}
        self._body = json.dumps(message).encode()

    async def _refuse(self, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(self._body)).encode()),
                    _CLOSE,
                ],
            }
        )
        await send({"type": "http.response.body", "body": self._body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = scope.get("headers", [])
        declared = _declared_length(headers)
        if declared is not None and declared > self.max_body_bytes:
            await self._refuse(send)
            return
        body_pending = bool(declared) or _is_chunked(headers)
        received = 0
        exceeded = False
        started = False

        async def counted_receive() -> Message:
            nonlocal received, exceeded, body_pending
            if exceeded:
                raise _BodyTooLarge
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    exceeded = True
                    raise _BodyTooLarge
                body_pending = bool(message.get("more_body", False))
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                return  # the app's answer to a body it could not read is replaced by the 413
            if message["type"] == "http.response.start":
                started = True
                if body_pending:  # answered without reading the body: do not read the rest either
                    message = {**message, "headers": [*message.get("headers", []), _CLOSE]}
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not exceeded:
                raise
            # The app failed because its read was cut short (FastAPI turns that into a 400).
        if exceeded and not started:
            await self._refuse(send)
