"""The caller's RingCentral access token is a secret of its request, wherever it came from.

Log lines are masked by field name and by the `name=value` shapes of URLs; a secret the request has
in hand is also masked by *value*, so an error text that quotes it bare is masked too. These tests
put the token where the extension sends it (query, header, body) and log it bare.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from appconnect.api.deps import rc_access_token
from appconnect.api.session import SessionMiddleware
from appconnect.logging import MASK, open_request_secrets, redact_secrets
from appconnect.security.jwt import SessionTokens

TOKEN = "rc-access-token-U7w2Lq9Xv4"


def _bare_line() -> str:
    event = redact_secrets(None, "info", {"event": f"RingCentral refused {TOKEN} for this account"})
    return str(event["event"])


async def _through_middleware(headers: list[tuple[bytes, bytes]], query: bytes) -> str:
    logged: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        logged.append(_bare_line())

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        return None

    scope = {
        "type": "http",
        "path": "/admin/serverLoggingSettings",
        "headers": headers,
        "query_string": query,
    }
    await SessionMiddleware(app, SessionTokens("s" * 32))(scope, receive, send)
    return logged[0]


async def test_a_token_in_the_query_is_masked_by_value() -> None:
    line = await _through_middleware([], f"rcAccessToken={TOKEN}&x=1".encode())
    assert TOKEN not in line and MASK in line


async def test_a_token_in_the_header_is_masked_by_value_with_or_without_bearer() -> None:
    for value in (TOKEN, f"Bearer {TOKEN}"):
        line = await _through_middleware([(b"x-rc-access-token", value.encode())], b"")
        assert TOKEN not in line and MASK in line


def test_a_token_read_from_the_body_is_masked_by_value() -> None:
    open_request_secrets()
    request = Request({"type": "http", "headers": [], "query_string": b""})
    assert rc_access_token(request, TOKEN) == TOKEN
    line = _bare_line()
    assert TOKEN not in line and MASK in line


def test_other_text_is_left_as_it_is() -> None:
    open_request_secrets()
    line = _bare_line()
    assert TOKEN in line  # nothing remembered in this request: nothing to mask
