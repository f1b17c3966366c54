"""What a contact or logging workflow answers, and the one way such a workflow calls a connector.

Every connector call in these workflows goes the same way: authenticate (which may refresh the
token, or find the session revoked), call with the user's credentials, on a CRM 401 refresh once
and retry (`call_with_auth`), and turn any failure into the contract's answer. `call_connector`
does all of it and raises `Answered` with the outcome when the workflow should stop there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import structlog

from appconnect.crm_http import CrmUncertain
from appconnect.domain import User
from appconnect.services.auth import Authenticated, SessionRevoked, authenticate, call_with_auth, maybe_await
from appconnect.services.context import ServerContext
from appconnect.services.messages import SESSION_EXPIRED, crm_failure_message

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Outcome:
    """A workflow's answer: the JSON body, and whether the CRM session was revoked (401)."""

    body: dict[str, Any] = field(default_factory=dict)
    revoked: bool = False


REVOKED = Outcome(body={"successful": False, "returnMessage": SESSION_EXPIRED}, revoked=True)


def fail(message: Mapping[str, Any] | None) -> Outcome:
    """`{"successful": false}` with the message, when there is one."""
    body: dict[str, Any] = {"successful": False}
    if message is not None:
        body["returnMessage"] = dict(message)
    return Outcome(body=body)


class Answered(Exception):
    """The workflow's answer is known (a revoked session, a failed CRM call): stop and send it."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__("answered")
        self.outcome = outcome


def crm_failed(error: BaseException, *, operation: str, platform: str, **log_fields: Any) -> Outcome:
    """The answer to a failed connector call: 401 when the session is revoked, else the contract's message."""
    if isinstance(error, SessionRevoked):
        return REVOKED
    if isinstance(error, CrmUncertain):
        log.warning(
            "CRM outcome uncertain; not retried", operation=operation, platform=platform, **log_fields
        )
    else:
        log.warning(
            "CRM operation failed",
            operation=operation,
            platform=platform,
            error_type=type(error).__name__,
            status=getattr(error, "status", None),
            **log_fields,
        )
    return fail(crm_failure_message(error, operation=operation, platform=platform))


async def authenticated(
    context: ServerContext, connector: Any, user: User, *, operation: str, platform: str
) -> Authenticated:
    """The authenticate preamble, raising `Answered` for a revoked session or a failed refresh."""
    try:
        auth = await authenticate(context, connector, user)
    except Exception as error:
        raise Answered(crm_failed(error, operation=operation, platform=platform)) from error
    if auth.revoked:
        raise Answered(REVOKED)
    return auth


async def call_connector(
    context: ServerContext,
    connector: Any,
    auth: Authenticated,
    method: str,
    *,
    operation: str,
    log_fields: Mapping[str, Any] | None = None,
    **arguments: Any,
) -> Any:
    """Call `connector.<method>(user=..., auth_header=..., **arguments)`, mapping every failure.

    A connector without the method fails like any CRM error, with the operation's message.
    """
    platform = auth.user.platform
    function = getattr(connector, method, None)
    try:
        if function is None:
            raise NotImplementedError(f"{platform} does not implement {operation}")
        return await call_with_auth(
            context,
            connector,
            auth,
            lambda current: maybe_await(
                function(user=current.user, auth_header=current.auth_header, proxy_config=None, **arguments)
            ),
        )
    except Exception as error:
        raise Answered(
            crm_failed(error, operation=operation, platform=platform, **dict(log_fields or {}))
        ) from error
