"""JWT normalisation, run before every route (spec platform §2.2).

The session token is read from `Authorization: Bearer <jwt>` or the legacy `jwtToken` query
parameter (the header wins). A verified token whose expiry is seven days away or less is
re-issued for two more weeks and sent back in `x-refreshed-jwt-token`, and the request continues
as that user. A token that fails verification never raises here: routes decide how to answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from appconnect.logging import open_request_secrets, remember_request_secret
from appconnect.security.jwt import SessionClaims, SessionTokens

REFRESHED_TOKEN_HEADER = "x-refreshed-jwt-token"


@dataclass(frozen=True)
class RequestSession:
    """What the request proved about its caller.

    `claims` is set for a verified token with an `id`. `had_token` tells "no token at all" from
    "a token that failed" (routes word those two cases differently).
    """

    claims: SessionClaims | None
    had_token: bool
    invalid_query_token: bool

    @property
    def user_id(self) -> str | None:
        return self.claims.user_id if self.claims else None

    @property
    def platform(self) -> str | None:
        return self.claims.platform if self.claims else None


ANONYMOUS = RequestSession(claims=None, had_token=False, invalid_query_token=False)


def _bearer(headers: list[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name == b"authorization":
            parts = value.decode("latin-1").split(" ")
            if len(parts) >= 2 and parts[0].lower() == "bearer" and parts[1]:
                return parts[1]
            return None
    return None


def _query_token(scope: Scope) -> str | None:
    query = scope.get("query_string", b"")
    if not query:
        return None
    for key, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        if key == "jwtToken":
            return str(value)
    return None


def _remember_ringcentral_tokens(scope: Scope) -> None:
    """The caller's RingCentral access token (header `X-RC-Access-Token`, query `rcAccessToken`,
    a leading `Bearer ` or not) is a secret of this request too: no log line shows it, the access
    line with its query string included. (A body's `rcAccessToken` is remembered where it is read.)"""
    found: list[str] = []
    for name, value in scope.get("headers", []):
        if name == b"x-rc-access-token":
            found.append(value.decode("latin-1"))
    query = scope.get("query_string", b"")
    if query and b"rcAccessToken" in query:
        found.extend(
            value
            for key, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True)
            if key == "rcAccessToken"
        )
    for value in found:
        token = value.strip()
        remember_request_secret(token)
        if token[:7].lower() == "bearer ":
            remember_request_secret(token[7:].strip())


class SessionMiddleware:
    """Pure ASGI middleware (no per-request task overhead) that attaches a `RequestSession`."""

    def __init__(self, app: ASGIApp, tokens: SessionTokens) -> None:
        self.app = app
        self.tokens = tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path", "").startswith("/mcp"):
            await self.app(scope, receive, send)
            return
        header_token = _bearer(scope.get("headers", []))
        query_token = _query_token(scope)
        open_request_secrets()  # this request's log lines mask its tokens, whatever fails later
        remember_request_secret(header_token)
        remember_request_secret(query_token)
        _remember_ringcentral_tokens(scope)
        claims = self.tokens.verify(header_token) if header_token else None
        invalid_query = False
        if claims is None and header_token is None and query_token is not None:
            claims = self.tokens.verify(query_token)
            invalid_query = claims is None
        session = RequestSession(
            claims=claims,
            had_token=bool(header_token) or query_token is not None,
            invalid_query_token=invalid_query,
        )
        scope.setdefault("state", {})["session"] = session
        refreshed: str | None = None
        if claims is not None and claims.needs_refresh():
            refreshed = self.tokens.issue(claims.user_id, claims.platform)
            remember_request_secret(refreshed)
            scope["state"]["session"] = RequestSession(
                claims=self.tokens.verify(refreshed), had_token=True, invalid_query_token=False
            )
        if refreshed is None:
            await self.app(scope, receive, send)
            return

        async def send_with_refreshed_token(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[Any] = list(message.get("headers", []))
                headers.append((REFRESHED_TOKEN_HEADER.encode(), refreshed.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_refreshed_token)
