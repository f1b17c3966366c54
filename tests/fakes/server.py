"""A fake CRM HTTP server on loopback: records every request and injects faults.

    with FakeCrmServer(create_generic_crm_app()) as crm:        # or tls=True
        crm.faults.add(status=429, headers={"x-ratelimit-reset": "2"}, times=1)
        ... call crm.url("/v1/contacts") ...
        assert crm.requests_to("GET", "/v1/contacts")

The ASGI app is served by uvicorn (h11, asyncio loop) in a background thread, on 127.0.0.1 and a
free port, so it works from sync tests, async tests and a separately running appconnect server.
Recording and fault injection are an ASGI middleware, so any fake app gets them for free.

Faults, checked in this order for every request (after it is recorded):

* ``faults.latency(seconds, ...)`` sleeps before answering (cut short if the client goes away);
* ``faults.drop_connection(...)`` closes the socket without any response (client: httpx
  ``RemoteProtocolError``; with ``reset=True`` a TCP RST, client: ``ReadError`` over plain HTTP,
  ``RemoteProtocolError`` over TLS);
* ``faults.add(status, headers=..., body=...)`` answers with that response instead of the app.

Every rule can be limited to a method and/or a path (exact, or an ``fnmatch`` pattern such as
``/v1/contacts/*``) and to a number of ``times`` (None: until ``faults.clear()``).
"""

from __future__ import annotations

import asyncio
import fnmatch
import json as jsonlib
import socket
import struct
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl

import trustme
import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["FakeCrmServer", "FaultInjector", "FaultMiddleware", "RecordedRequest"]

_TRANSPORT_KEY = "fake_crm.transport"


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake CRM received it.  Header names are lower-case."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    json: Any | None
    client: tuple[str, int] | None = None  # the caller's address and port: one per TCP connection

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


@dataclass
class _Rule:
    kind: str  # "respond" | "drop" | "latency"
    method: str | None
    path: str | None
    remaining: int | None
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    seconds: float = 0.0
    reset: bool = False

    def matches(self, method: str, path: str) -> bool:
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path is None or self.path == path or fnmatch.fnmatchcase(path, self.path)


def _encode_body(body: Any, status: int) -> tuple[bytes, str]:
    if body is None:
        body = {"success": False, "error": f"injected fault {status}"}
    if isinstance(body, bytes):
        return body, "application/octet-stream"
    if isinstance(body, str):
        return body.encode(), "text/plain; charset=utf-8"
    return jsonlib.dumps(body).encode(), "application/json"


class FaultInjector:
    """Thread-safe list of fault rules consulted by :class:`FaultMiddleware` for each request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[_Rule] = []

    def add(
        self,
        status: int = 500,
        *,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
        times: int | None = 1,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        """Answer matching requests with *status* (body: dict/list → JSON, str → text, bytes as is)."""
        encoded, content_type = _encode_body(body, status)
        merged = {"content-type": content_type, **{k.lower(): v for k, v in (headers or {}).items()}}
        self._append(_Rule("respond", method, path, times, status=status, headers=merged, body=encoded))

    def latency(
        self, seconds: float, *, times: int | None = None, method: str | None = None, path: str | None = None
    ) -> None:
        """Delay matching requests by *seconds* before they are answered (or faulted)."""
        self._append(_Rule("latency", method, path, times, seconds=seconds))

    def drop_connection(
        self,
        times: int | None = 1,
        *,
        method: str | None = None,
        path: str | None = None,
        reset: bool = False,
    ) -> None:
        """Close the connection without a response (``reset=True``: abort with a TCP RST)."""
        self._append(_Rule("drop", method, path, times, reset=reset))

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def _append(self, rule: _Rule) -> None:
        if rule.remaining is not None and rule.remaining < 1:
            raise ValueError("times must be >= 1 (or None for 'until cleared')")
        with self._lock:
            self._rules.append(rule)

    def take(self, method: str, path: str) -> tuple[float, _Rule | None]:
        """Consume the rules matching one request: (total latency, first response/drop rule)."""
        delay = 0.0
        chosen: _Rule | None = None
        with self._lock:
            for rule in self._rules:
                if not rule.matches(method, path):
                    continue
                if rule.kind == "latency":
                    delay += rule.seconds
                elif chosen is None:
                    chosen = rule
                else:
                    continue
                if rule.remaining is not None:
                    rule.remaining -= 1
            self._rules = [r for r in self._rules if r.remaining is None or r.remaining > 0]
        return delay, chosen


class _Recorder:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._requests: list[RecordedRequest] = []

    def append(self, request: RecordedRequest) -> None:
        with self._cond:
            self._requests.append(request)
            self._cond.notify_all()

    def snapshot(self) -> list[RecordedRequest]:
        with self._cond:
            return list(self._requests)

    def clear(self) -> None:
        with self._cond:
            self._requests.clear()

    def wait(self, predicate: Any, timeout: float) -> list[RecordedRequest]:
        with self._cond:
            self._cond.wait_for(lambda: predicate(self._requests), timeout=timeout)
            return list(self._requests)


def _decode_headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in raw:
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return headers


def _parse_json(body: bytes) -> Any | None:
    if not body:
        return None
    try:
        return jsonlib.loads(body)
    except ValueError:
        return None


async def _wait_for_disconnect(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return


async def _sleep_unless_disconnected(seconds: float, receive: Receive) -> bool:
    """Sleep; return True early if the client disconnected meanwhile."""
    sleeper = asyncio.ensure_future(asyncio.sleep(seconds))
    watcher = asyncio.ensure_future(_wait_for_disconnect(receive))
    done, pending = await asyncio.wait({sleeper, watcher}, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    return watcher in done


class FaultMiddleware:
    """ASGI middleware: records each HTTP request, then applies the injected faults."""

    def __init__(self, app: ASGIApp, *, recorder: _Recorder, faults: FaultInjector) -> None:
        self.app = app
        self.recorder = recorder
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        method: str = scope["method"]
        path: str = scope["path"]
        self.recorder.append(
            RecordedRequest(
                method=method,
                path=path,
                query=dict(
                    parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
                ),
                headers=_decode_headers(scope["headers"]),
                body=body,
                json=_parse_json(body),
                client=tuple(scope["client"]) if scope.get("client") else None,
            )
        )
        delay, rule = self.faults.take(method, path)
        if delay > 0 and await _sleep_unless_disconnected(delay, receive):
            return
        if rule is not None and rule.kind == "drop":
            await self._drop(scope, receive, reset=rule.reset)
            return
        if rule is not None:
            headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in rule.headers.items()]
            headers.append((b"content-length", str(len(rule.body)).encode()))
            await send({"type": "http.response.start", "status": rule.status, "headers": headers})
            await send({"type": "http.response.body", "body": rule.body})
            return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    @staticmethod
    async def _drop(scope: Scope, receive: Receive, *, reset: bool) -> None:
        transport: asyncio.Transport | None = scope.get("state", {}).get(_TRANSPORT_KEY)
        if transport is None:
            raise RuntimeError("drop_connection needs the app to be served by FakeCrmServer")
        if reset:
            raw = transport.get_extra_info("socket")
            if raw is not None:  # linger 0: close() sends a TCP RST instead of a FIN
                raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()
        else:
            transport.close()
        # Wait until the server noticed, so it does not try to answer (and log) on a dead socket.
        try:
            async with asyncio.timeout(5):
                await _wait_for_disconnect(receive)
        except TimeoutError:
            pass


class _TransportExposingH11(H11Protocol):
    """uvicorn's h11 protocol, publishing the connection's transport in ``scope["state"]``."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.app_state = {**self.app_state, _TRANSPORT_KEY: transport}


class FakeCrmServer:
    """Serve an ASGI app on 127.0.0.1:<free port> in a thread, recording requests, injecting faults."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        tls: bool = False,
        tls_hostnames: tuple[str, ...] = ("localhost", "127.0.0.1", "::1"),
        host: str = "127.0.0.1",
        startup_timeout: float = 10.0,
    ) -> None:
        self.app = app
        self.tls = tls
        self.host = host
        self.faults = FaultInjector()
        self._recorder = _Recorder()
        self._tls_hostnames = tls_hostnames
        self._startup_timeout = startup_timeout
        self._tmpdir: tempfile.TemporaryDirectory[str] | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.port: int = 0
        self.ca_pem_path: str | None = None

    # lifecycle -----------------------------------------------------------------------------
    def start(self) -> Self:
        if self._thread is not None:
            raise RuntimeError("FakeCrmServer already started")
        ssl_kwargs: dict[str, Any] = {}
        if self.tls:
            self._tmpdir = tempfile.TemporaryDirectory(prefix="fake-crm-tls-")
            folder = Path(self._tmpdir.name)
            ca = trustme.CA()
            cert = ca.issue_cert(*self._tls_hostnames)
            ca_path, cert_path, key_path = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
            ca.cert_pem.write_to_path(str(ca_path))
            cert.private_key_pem.write_to_path(str(key_path))
            with cert_path.open("wb") as handle:
                for blob in cert.cert_chain_pems:
                    handle.write(blob.bytes())
            self.ca_pem_path = str(ca_path)
            ssl_kwargs = {"ssl_certfile": str(cert_path), "ssl_keyfile": str(key_path)}

        sock = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, 0))
        self.port = sock.getsockname()[1]
        self._socket = sock

        config = uvicorn.Config(
            FaultMiddleware(self.app, recorder=self._recorder, faults=self.faults),
            host=self.host,
            port=self.port,
            http=_TransportExposingH11,
            loop="asyncio",
            lifespan="auto",
            ws="none",
            log_config=None,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=1,
            **ssl_kwargs,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name=f"fake-crm-{self.port}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + self._startup_timeout
        while not self._server.started:
            if not self._thread.is_alive():
                self._cleanup()
                raise RuntimeError("fake CRM server failed to start (see the uvicorn log above)")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("fake CRM server did not start in time")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
            if self._thread.is_alive():
                self._server.force_exit = True
                self._thread.join(timeout=5)
        self._cleanup()

    def _cleanup(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None
        self._server = None
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # addresses -----------------------------------------------------------------------------
    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    def url(self, path: str = "/") -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    # recorded requests ---------------------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request received so far, oldest first."""
        return self._recorder.snapshot()

    def clear_requests(self) -> None:
        self._recorder.clear()

    def requests_to(self, method: str, path: str) -> list[RecordedRequest]:
        """Recorded requests with this method and path (exact, or an fnmatch pattern)."""
        return [
            r
            for r in self._recorder.snapshot()
            if r.method == method.upper() and (r.path == path or fnmatch.fnmatchcase(r.path, path))
        ]

    def wait_for_requests(
        self, count: int = 1, *, method: str | None = None, path: str | None = None, timeout: float = 5.0
    ) -> list[RecordedRequest]:
        """Block until *count* matching requests were recorded (or *timeout*); return the matches."""

        def matching(requests: list[RecordedRequest]) -> list[RecordedRequest]:
            return [
                r
                for r in requests
                if (method is None or r.method == method.upper())
                and (path is None or r.path == path or fnmatch.fnmatchcase(r.path, path))
            ]

        return matching(self._recorder.wait(lambda rs: len(matching(rs)) >= count, timeout))
