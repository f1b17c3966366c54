"""What a contact or logging workflow answers, and how a failed connector call becomes that answer.

`Outcome` is the body (and whether the CRM session was revoked); `crm_failed` maps any exception
raised during an operation to the contract's message through the one outcome table; `Answered`
carries an outcome out of a workflow that must stop early (`services.crm.CrmSession.run` raises it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import structlog

from appconnect.crm_http import CrmUncertain
from appconnect.services.auth import SessionRevoked
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
