"""Authentication comes before validation, on every route that needs the App Connect JWT.

A request without a usable session is answered with the route's 400 text (spec platform §10.2)
whatever its body holds: malformed JSON, a body failing validation, or a body far larger than
anything the server would accept, which is refused before it is read.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import jwt as pyjwt
import pytest

from appconnect.app import create_app
from appconnect.config import Settings
from appconnect.docs import session_routes
from tests.conftest import TEST_SECRET

PLEASE = "Please go to Settings and authorize CRM platform"
UNAUTHORIZED = '{"error":"Unauthorized"}'  # the call-down routes answer an invalid query token in JSON

# (method, path, text for an invalid legacy `jwtToken` query parameter)
PROTECTED = [
    ("GET", "/contact", PLEASE),
    ("POST", "/contact", PLEASE),
    ("GET", "/custom/contact/search", "Invalid JWT token"),
    ("GET", "/accountData", PLEASE),
    ("GET", "/callLog", PLEASE),
    ("POST", "/callLog", PLEASE),
    ("PATCH", "/callLog", PLEASE),
    ("PUT", "/callDisposition", "Invalid JWT token"),
    ("POST", "/callLog/cacheNote", PLEASE),
    ("POST", "/messageLog", PLEASE),
    ("POST", "/messageLog/match", PLEASE),
    ("GET", "/user/settings", PLEASE),
    ("POST", "/user/settings", "Unknown platform"),
    ("POST", "/user/refreshInfo", "Invalid JWT token"),
    ("POST", "/unAuthorize", "User not found"),
    ("GET", "/authValidation", "Invalid JWT token"),
    ("GET", "/hostname", "User not found"),
    ("GET", "/admin/settings", "User not found"),
    ("GET", "/admin/managedAuth", "User not found"),
    ("POST", "/admin/managedAuth", "User not found"),
    ("POST", "/admin/userMapping", "User not found"),
    ("POST", "/admin/reinitializeUserMapping", "User not found"),
    ("GET", "/admin/serverLoggingSettings", PLEASE),
    # Checks its body before it verifies a query token (spec platform §5.4); this request has none.
    ("POST", "/admin/serverLoggingSettings", "Missing additionalFieldValues"),
    ("GET", "/admin/outbox", "User not found"),
    ("POST", "/admin/outbox/{jobId}/retry", "User not found"),
    ("DELETE", "/admin/outbox/{jobId}", "User not found"),
    ("GET", "/calldown", UNAUTHORIZED),
    ("POST", "/calldown", UNAUTHORIZED),
    ("PATCH", "/calldown/{id}", UNAUTHORIZED),
    ("DELETE", "/calldown/{id}", UNAUTHORIZED),
    ("GET", "/ringcentral/oauth/callback", "User not found"),
    ("GET", "/ringcentral/admin/report", "User not found"),
    ("GET", "/ringcentral/admin/userReport", "User not found"),
    ("GET", "/appointments", PLEASE),
    ("POST", "/appointments", PLEASE),
    ("PATCH", "/appointments/{appointmentId}", PLEASE),
    ("POST", "/appointments/{appointmentId}/status", PLEASE),
    ("GET", "/appointments/{appointmentId}/refresh", PLEASE),
    ("POST", "/appointments/{appointmentId}/confirm", PLEASE),
    ("POST", "/appointments/{appointmentId}/cancel", PLEASE),
    ("GET", "/debug/report/url", "User not found"),
]
# Routes whose answer to no token at all is not `Please go to Settings...` (spec platform §10.2).
NO_TOKEN_TEXT = {
    "/ringcentral/oauth/callback": "Invalid request",
    "/ringcentral/admin/report": "Invalid request",
    "/ringcentral/admin/userReport": "Invalid request",
    "/debug/report/url": "Invalid request",
}
WITH_BODY = [(method, path, text) for method, path, text in PROTECTED if method in ("POST", "PATCH", "PUT")]


def _forged() -> str:
    claims = {"id": "u-1", "platform": "sample", "exp": int(time.time()) + 86400 * 10}
    return pyjwt.encode(claims, "not-the-secret-0123456789abcdef0123456789")


def _expired() -> str:
    return pyjwt.encode({"id": "u-1", "platform": "sample", "exp": int(time.time()) - 5}, TEST_SECRET)


def test_the_list_above_is_every_route_that_requires_the_session(settings: Settings) -> None:
    required = {route for route, needs in session_routes(create_app(settings)).items() if needs}
    assert required == {(method, path) for method, path, _ in PROTECTED}


@pytest.mark.parametrize(("method", "path", "invalid_query_text"), PROTECTED)
async def test_a_missing_or_invalid_jwt_is_refused_whatever_the_body(
    live_server: Any, method: str, path: str, invalid_query_text: str
) -> None:
    server = live_server()
    async with httpx.AsyncClient(base_url=server.url) as client:
        bodies: list[dict[str, Any]] = [{}]
        if method != "GET":
            bodies = [
                {"content": b"{not json", "headers": {"content-type": "application/json"}},
                {"json": {"logInfo": {"sessionId": 12}, "sessionId": None, "phoneNumber": 3}},
                {"json": {}},
            ]
        for extra in bodies:
            for headers in (
                {},
                {"Authorization": f"Bearer {_forged()}"},
                {"Authorization": f"Bearer {_expired()}"},
            ):
                merged = {**headers, **extra.get("headers", {})}
                response = await client.request(
                    method, path, headers=merged, **{k: v for k, v in extra.items() if k != "headers"}
                )
                expected = NO_TOKEN_TEXT.get(path, PLEASE)
                assert (response.status_code, response.text) == (400, expected), (path, headers, extra)
        legacy = await client.request(method, path, params={"jwtToken": _forged()})
        assert (legacy.status_code, legacy.text) == (400, invalid_query_text)


@pytest.mark.parametrize(("method", "path", "invalid_query_text"), WITH_BODY)
async def test_an_unauthenticated_body_is_refused_before_it_is_read(
    live_server: Any, method: str, path: str, invalid_query_text: str
) -> None:
    """The client announces 5 MB (under the body limit) and sends one byte: the answer comes at once."""
    server = live_server()
    host, port = server.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(
            (
                f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {5 * 1024 * 1024}\r\n\r\n{{"
            ).encode()
        )
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=10)
        assert head.startswith(b"HTTP/1.1 400 "), head
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length")
        )
        answer = (await asyncio.wait_for(reader.readexactly(length), timeout=10)).decode()
        assert answer == NO_TOKEN_TEXT.get(path, PLEASE)
    finally:
        writer.close()
