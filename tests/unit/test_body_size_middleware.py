"""The body-size middleware, driven through the ASGI interface with a FastAPI app behind it."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request

from appconnect.api.body_limit import BodySizeLimitMiddleware

LIMIT = 100


def _app() -> tuple[FastAPI, list[str]]:
    app = FastAPI()
    seen: list[str] = []

    @app.post("/echo")
    async def echo(body: dict[str, Any]) -> dict[str, Any]:
        seen.append("echo")
        return body

    @app.post("/refuse")
    async def refuse(request: Request) -> dict[str, str]:
        seen.append("refuse")
        return {"error": "not reading that"}

    return app, seen


async def _call(
    app: Any, path: str, chunks: list[bytes], headers: list[tuple[bytes, bytes]]
) -> tuple[list[dict[str, Any]], int]:
    """Run one request; return the messages sent and how many body chunks the app pulled."""
    pending = list(chunks)
    pulled = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        if not pending:
            return {"type": "http.disconnect"}
        pulled += 1
        chunk = pending.pop(0)
        return {"type": "http.request", "body": chunk, "more_body": bool(pending)}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/json"), *headers],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    call: Callable[..., Awaitable[None]] = BodySizeLimitMiddleware(app, max_body_bytes=LIMIT)
    await call(scope, receive, send)
    return sent, pulled


def _status_headers_body(sent: list[dict[str, Any]]) -> tuple[int, dict[bytes, bytes], bytes]:
    start = sent[0]
    body = b"".join(message.get("body", b"") for message in sent[1:])
    return start["status"], dict(start["headers"]), body


async def test_a_declared_length_over_the_limit_is_refused_before_the_app_runs() -> None:
    app, seen = _app()
    sent, pulled = await _call(app, "/echo", [b"{}"], [(b"content-length", b"101")])
    status, headers, body = _status_headers_body(sent)
    assert (status, pulled, seen) == (413, 0, [])
    assert headers[b"connection"] == b"close"
    assert json.loads(body) == {"error": "Request body too large: the limit is 100 bytes"}


async def test_a_streamed_body_is_cut_at_the_limit_and_the_apps_answer_replaced() -> None:
    app, seen = _app()
    chunks = [b'{"a": "' + b"x" * 60, b"x" * 60, b"x" * 60, b'"}']
    sent, pulled = await _call(app, "/echo", chunks, [(b"transfer-encoding", b"chunked")])
    status, headers, _ = _status_headers_body(sent)
    assert (status, headers[b"connection"], seen) == (413, b"close", [])
    assert pulled == 2  # the third chunk was never asked for
    assert len([message for message in sent if message["type"] == "http.response.start"]) == 1


async def test_a_body_within_the_limit_passes_and_keeps_the_connection() -> None:
    app, seen = _app()
    body = b'{"a": "' + b"x" * 80 + b'"}'
    assert len(body) < LIMIT
    sent, _ = await _call(
        app, "/echo", [body[:40], body[40:]], [(b"content-length", str(len(body)).encode())]
    )
    status, headers, answer = _status_headers_body(sent)
    assert (status, seen, json.loads(answer)) == (200, ["echo"], json.loads(body))
    assert b"connection" not in headers


async def test_an_answer_given_before_the_body_was_read_closes_the_connection() -> None:
    app, seen = _app()
    sent, pulled = await _call(app, "/refuse", [b"{}" * 20], [(b"content-length", b"40")])
    status, headers, _ = _status_headers_body(sent)
    assert (status, pulled, seen) == (200, 0, ["refuse"])
    assert headers[b"connection"] == b"close"
