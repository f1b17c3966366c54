"""Request-scoped dependencies: the server context, the caller's session, the logging headers.

`CurrentSession` (and its variants) is how a route says it needs the App Connect JWT: the
dependency answers the contract's 400 itself, and `SessionRoute` checks it before the request body
is read, so an unauthenticated request is refused whatever its body holds (and however large).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

import structlog
from fastapi import Depends, Header, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.responses import Response

from appconnect.api.responses import (
    INVALID_JWT,
    INVALID_REQUEST,
    PLEASE_AUTHORIZE,
    UNKNOWN_PLATFORM,
    USER_NOT_FOUND_TEXT,
    error_json,
    plain,
)
from appconnect.api.session import ANONYMOUS, RequestSession
from appconnect.logging import remember_request_secret
from appconnect.services.context import ServerContext
from appconnect.services.proxy_connectors import ensure_proxy_for_user

log = structlog.get_logger(__name__)


# The dependencies are `async def` on purpose: FastAPI runs a plain `def` dependency in a worker
# thread, a thread hop on every request for what is a dictionary lookup.
async def get_context(request: Request) -> ServerContext:
    context: ServerContext = request.app.state.context
    return context


def session_of(request: Request) -> RequestSession:
    """What `SessionMiddleware` proved about the caller (anonymous when it did not run)."""
    session = request.scope.get("state", {}).get("session")
    return session if isinstance(session, RequestSession) else ANONYMOUS


async def get_session(request: Request) -> RequestSession:
    return session_of(request)


ContextDep = Annotated[ServerContext, Depends(get_context)]
SessionDep = Annotated[RequestSession, Depends(get_session)]


@dataclass(frozen=True)
class SignedIn:
    """A verified App Connect session: whose it is and the CRM platform it is for (may be "")."""

    user_id: str
    platform: str


class SessionRefused(Exception):
    """The request has no usable session; `text` is the contract's 400 answer for the route
    (sent as `{"error": text}` when `as_error`, else as plain text)."""

    def __init__(self, text: str, *, as_error: bool = False) -> None:
        super().__init__(text)
        self.text = text
        self.as_error = as_error

    def response(self) -> Response:
        return error_json(self.text, 400) if self.as_error else plain(self.text, 400)


class RequireSession:
    """The dependency behind `CurrentSession`: the verified session, or the route's 400 answer.

    Routes word the refusal of an invalid legacy `jwtToken` query parameter differently (spec
    platform §10.2); `invalid_query_token` is that route's text. No token at all is always
    `Please go to Settings and authorize CRM platform`.
    """

    def __init__(
        self,
        *,
        invalid_query_token: str = PLEASE_AUTHORIZE,
        missing_token: str = PLEASE_AUTHORIZE,
        invalid_as_error: bool = False,
    ) -> None:
        self.invalid_query_token = invalid_query_token
        self.missing_token = missing_token
        # The call-down routes answer an invalid query token as `{"error": "Unauthorized"}`.
        self.invalid_as_error = invalid_as_error

    def refusal(self, session: RequestSession) -> str | None:
        """The 400 text for `session`, or None when it is signed in."""
        if session.claims is not None:
            return None
        return self.invalid_query_token if session.invalid_query_token else self.missing_token

    def refused(self, session: RequestSession) -> SessionRefused | None:
        """The refusal for `session` (text and family), or None when it is signed in."""
        text = self.refusal(session)
        if text is None:
            return None
        return SessionRefused(text, as_error=self.invalid_as_error and session.invalid_query_token)

    async def __call__(self, request: Request) -> SignedIn:
        session = session_of(request)
        refused = self.refused(session)
        if refused is not None or session.claims is None:
            raise refused or SessionRefused(self.missing_token)
        signed_in = SignedIn(user_id=session.claims.user_id, platform=session.claims.platform or "")
        # A Developer Portal proxy platform this process has not seen yet: resolve it from the user.
        context = getattr(request.app.state, "context", None)
        if context is not None and context.proxy_portal is not None:
            try:
                await ensure_proxy_for_user(context, signed_in.user_id, signed_in.platform)
            except Exception as error:  # the route then answers as for an unknown platform
                log.warning(
                    "proxy platform not resolved",
                    platform=signed_in.platform,
                    error_type=type(error).__name__,
                )
        return signed_in


class RequireToken:
    """Refuses only a request with no token at all, and yields what the request proved.

    For the one route that looks at its body between "a token was sent" and "the token is valid"
    (`POST /admin/serverLoggingSettings`, spec platform §5.4): the route refuses an invalid query
    token itself, with `RequireSession`, after its body check.
    """

    missing_token = PLEASE_AUTHORIZE

    def refused(self, session: RequestSession) -> SessionRefused | None:
        if session.claims is not None or session.invalid_query_token:
            return None
        return SessionRefused(self.missing_token)

    async def __call__(self, request: Request) -> RequestSession:
        session = session_of(request)
        refused = self.refused(session)
        if refused is not None:
            raise refused
        return session


CurrentSession = Annotated[SignedIn, Depends(RequireSession())]
"""The caller's session; invalid query token -> `Please go to Settings and authorize CRM platform`."""
CurrentSessionInvalidJwt = Annotated[SignedIn, Depends(RequireSession(invalid_query_token=INVALID_JWT))]
"""The caller's session; invalid query token -> `Invalid JWT token`."""
CurrentSessionUserNotFound = Annotated[
    SignedIn, Depends(RequireSession(invalid_query_token=USER_NOT_FOUND_TEXT))
]
"""The caller's session; invalid query token -> `User not found`."""
CurrentSessionUnknownPlatform = Annotated[
    SignedIn, Depends(RequireSession(invalid_query_token=UNKNOWN_PLATFORM))
]
"""The caller's session; invalid query token -> `Unknown platform` (`POST /user/settings`)."""
CurrentSessionCallDown = Annotated[
    SignedIn, Depends(RequireSession(invalid_query_token="Unauthorized", invalid_as_error=True))
]
"""The caller's session on `/calldown…`; invalid query token -> `{"error": "Unauthorized"}`."""
TokenPresented = Annotated[RequestSession, Depends(RequireToken())]
"""What the request proved, once it is known to carry a token (see `RequireToken`)."""
CurrentSessionInvalidRequest = Annotated[
    SignedIn,
    Depends(RequireSession(invalid_query_token=USER_NOT_FOUND_TEXT, missing_token=INVALID_REQUEST)),
]
"""The caller's session on the RingCentral report / debug routes: no token -> `Invalid request`,
invalid query token -> `User not found` (spec platform §10.2)."""


def _guard_of(dependant: Dependant) -> RequireSession | RequireToken | None:
    for dependency in dependant.dependencies:
        if isinstance(dependency.call, RequireSession | RequireToken):
            return dependency.call
        nested = _guard_of(dependency)
        if nested is not None:
            return nested
    return None


class SessionRoute(APIRoute):
    """A route that refuses a missing or invalid session before FastAPI reads and validates the body.

    Without it, FastAPI parses the body first, so a request with no JWT and a malformed body would
    be answered with a validation error (and a 100 MB body would be read before anyone looked at
    the token).
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        guard = _guard_of(self.dependant)
        if guard is None:
            return handler

        async def guarded(request: Request) -> Response:
            refused = guard.refused(session_of(request))
            if refused is not None:
                return refused.response()
            return await handler(request)

        return guarded


SSCL_USER_AGENT = "SSCL"


@dataclass(frozen=True)
class LoggingCaller:
    """Headers the logging routes read: the hashed RingCentral account id, and whether the request
    comes from server-side call logging (`User-Agent: SSCL`)."""

    rc_account_id: str | None
    is_from_sscl: bool


async def get_logging_caller(
    rc_account_id: str | None = Header(default=None), user_agent: str | None = Header(default=None)
) -> LoggingCaller:
    return LoggingCaller(rc_account_id=rc_account_id, is_from_sscl=user_agent == SSCL_USER_AGENT)


LoggingCallerDep = Annotated[LoggingCaller, Depends(get_logging_caller)]


RC_TOKEN_HEADER = "X-RC-Access-Token"


def rc_access_token(request: Request, body_value: Any = None) -> str | None:
    """The caller's RingCentral access token: header `X-RC-Access-Token`, else the body's
    `rcAccessToken`, else the query's (spec platform §2.3). A leading `Bearer ` is dropped."""
    candidates: list[Any] = [request.headers.get(RC_TOKEN_HEADER), body_value]
    candidates.extend(request.query_params.getlist("rcAccessToken")[:1])
    for candidate in candidates:
        value = candidate[0] if isinstance(candidate, list) and candidate else candidate
        if not isinstance(value, str):
            continue
        token = value.strip()
        if token[:7].lower() == "bearer ":
            token = token[7:].strip()
        if token:
            remember_request_secret(token)  # from the body too: never in a log line
            return token
    return None
