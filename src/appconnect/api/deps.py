"""Request-scoped dependencies: the server context and the caller's session."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from appconnect.api.session import ANONYMOUS, RequestSession
from appconnect.services.context import ServerContext


def get_context(request: Request) -> ServerContext:
    context: ServerContext = request.app.state.context
    return context


def get_session(request: Request) -> RequestSession:
    session = request.scope.get("state", {}).get("session")
    return session if isinstance(session, RequestSession) else ANONYMOUS


ContextDep = Annotated[ServerContext, Depends(get_context)]
SessionDep = Annotated[RequestSession, Depends(get_session)]
