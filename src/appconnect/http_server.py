"""uvicorn's HTTP protocol with deadlines, so slow clients cannot hold connections open forever.

uvicorn bounds only the idle time *between* requests (its keep-alive timeout). A client that sends
one header line, or one body byte, every few seconds keeps its connection, and the server's file
descriptor, for as long as it likes; 1,700 of them exhaust a default descriptor limit. This
protocol adds two deadlines to each connection:

* **Headers** (`APPCONNECT_HEADER_TIMEOUT`, default 10 s): from the moment the connection opens,
  or the first byte of a later request on a kept-alive connection arrives, until its headers are
  complete. Missed: `408` (when no response is under way on the connection) and the connection closes.
* **Body** (`APPCONNECT_BODY_TIMEOUT`, default 30 s): from the end of the headers until the whole
  body has arrived. Missed: `408` if the app has not started its response (the app's read then ends
  as a client disconnect), else the connection just closes. Time during which the server itself
  stopped reading (the app has not yet consumed what arrived) does not count against the client.

The extension's requests are a few KB sent at once, so neither deadline is ever near for it.
`appconnect serve` runs uvicorn with `DeadlineHttpToolsProtocol` (`http=PROTOCOL_PATH`); each worker
process reads the two settings from the environment. Tests that run the app in-process use
`protocol_with_timeouts(...)`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

PROTOCOL_PATH = "appconnect.http_server:DeadlineHttpToolsProtocol"
DEFAULT_HEADER_TIMEOUT = 10.0
DEFAULT_BODY_TIMEOUT = 30.0
_RECHECK_SECONDS = 1.0  # while the server, not the client, is the reason nothing is read

log = logging.getLogger("appconnect.http_server")
_from_settings: tuple[float, float] | None = None


def _configured_timeouts() -> tuple[float, float]:
    """The two settings, read once per process (a worker process reads its own environment)."""
    global _from_settings
    if _from_settings is None:
        from appconnect.config import Settings

        settings = Settings()
        _from_settings = (settings.header_timeout_seconds, settings.body_timeout_seconds)
    return _from_settings


def _timeout_response(what: str) -> bytes:
    body = json.dumps({"error": f"Request timeout: the request {what} did not arrive in time"}).encode()
    return b"".join(
        [
            b"HTTP/1.1 408 Request Timeout\r\n",
            b"content-type: application/json\r\n",
            b"content-length: " + str(len(body)).encode() + b"\r\n",
            b"connection: close\r\n",
            b"\r\n",
            body,
        ]
    )


class DeadlineHttpToolsProtocol(HttpToolsProtocol):
    """`HttpToolsProtocol` plus a header deadline and a body deadline per request."""

    #: Seconds; `None` reads `APPCONNECT_HEADER_TIMEOUT` / `APPCONNECT_BODY_TIMEOUT`.
    header_timeout: ClassVar[float | None] = None
    body_timeout: ClassVar[float | None] = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        header, body = self.header_timeout, self.body_timeout
        if header is None or body is None:
            configured = _configured_timeouts()
            header = configured[0] if header is None else header
            body = configured[1] if body is None else body
        self._header_seconds: float = header
        self._body_seconds: float = body
        self._header_deadline: asyncio.TimerHandle | None = None
        self._body_deadline: asyncio.TimerHandle | None = None

    # -- the moments that start and stop a deadline --------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_deadline()  # a connection that never sends a byte is a slow client too

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._header_deadline is None:  # the first byte of a later request
            self._arm_header_deadline()

    def on_headers_complete(self) -> None:
        self._cancel_header_deadline()
        super().on_headers_complete()
        self._body_deadline = self.loop.call_later(self._body_seconds, self._body_too_slow)

    def on_message_complete(self) -> None:
        self._cancel_body_deadline()
        super().on_message_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_deadline()
        self._cancel_body_deadline()
        super().connection_lost(exc)

    # -- deadlines -----------------------------------------------------------------------------
    def _arm_header_deadline(self) -> None:
        self._cancel_header_deadline()
        self._header_deadline = self.loop.call_later(self._header_seconds, self._headers_too_slow)

    def _cancel_header_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _cancel_body_deadline(self) -> None:
        if self._body_deadline is not None:
            self._body_deadline.cancel()
            self._body_deadline = None

    def _headers_too_slow(self) -> None:
        self._header_deadline = None
        if self.transport.is_closing():
            return
        log.debug("%s: request headers did not arrive in time; closing", self._who())
        if self.cycle is None or self.cycle.response_complete:
            self.transport.write(_timeout_response("headers"))
        self.transport.close()

    def _body_too_slow(self) -> None:
        self._body_deadline = None
        cycle = self.cycle
        if self.transport.is_closing() or cycle is None:
            return
        if self.flow.read_paused and not cycle.response_complete:
            # The server paused reading (the app has not consumed the body so far): not the client's
            # delay. Look again shortly; the client's time starts counting once reading resumes.
            self._body_deadline = self.loop.call_later(_RECHECK_SECONDS, self._body_too_slow)
            return
        log.debug("%s: request body did not arrive in time; closing", self._who())
        if not cycle.response_started:
            # From here the app's receive() reports a disconnect and whatever it sends is dropped.
            cycle.disconnected = True
            cycle.message_event.set()
            self.transport.write(_timeout_response("body"))
        self.transport.close()

    def _who(self) -> str:
        return f"{self.client[0]}:{self.client[1]}" if self.client else "client"


def protocol_with_timeouts(
    header_timeout: float = DEFAULT_HEADER_TIMEOUT, body_timeout: float = DEFAULT_BODY_TIMEOUT
) -> type[DeadlineHttpToolsProtocol]:
    """A `DeadlineHttpToolsProtocol` with fixed deadlines, for a server run in this process."""
    return type(
        "ConfiguredDeadlineHttpToolsProtocol",
        (DeadlineHttpToolsProtocol,),
        {"header_timeout": header_timeout, "body_timeout": body_timeout},
    )
