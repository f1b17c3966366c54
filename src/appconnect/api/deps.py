"""Request-scoped dependencies: the server context and the caller's session."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request

from appconnect.api.session import ANONYMOUS, RequestSession
from appconnect.services.context import ServerContext


# The dependencies are `async def` on purpose: FastAPI runs a plain `def` dependency in a worker
# thread, a thread hop on every request for what is a dictionary lookup.
async def get_context(request: Request) -> ServerContext:
    context: ServerContext = request.app.state.context
    return context


async def get_session(request: Request) -> RequestSession:
    session = request.scope.get("state", {}).get("session")
    return session if isinstance(session, RequestSession) else ANONYMOUS


ContextDep = Annotated[ServerContext, Depends(get_context)]
SessionDep = Annotated[RequestSession, Depends(get_session)]

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
            return token
    return None
