"""What to do about each CRM error, and what to tell the user: one table, looked up by error class.

The nearest ancestor in :data:`OUTCOMES` wins. The service layer uses :func:`outcome_for` to decide
whether to retry and which of the contract's messages to show; no route re-derives either from
status codes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from appconnect.crm_http.errors import (
    CrmAuthExpired,
    CrmBadRequest,
    CrmError,
    CrmForbidden,
    CrmNotFound,
    CrmRateLimited,
    CrmRedirected,
    CrmRequestRefused,
    CrmUnavailable,
    CrmUncertain,
)

__all__ = ["OUTCOMES", "CrmAction", "CrmNotice", "CrmOutcome", "action_for", "outcome_for"]


class CrmAction(StrEnum):
    RETRY = "retry"
    """Transient: the CRM certainly did not apply it (or errored); retrying later is safe."""
    REFRESH_THEN_RETRY = "refresh_then_retry"
    """Refresh the OAuth token, then retry once; if it fails again, ask the user to reconnect."""
    FAIL = "fail"
    """Permanent for this request; tell the user, do not retry."""
    RATE_LIMITED = "rate_limited"
    """Wait until ``retry_after`` / ``reset_at`` before calling this CRM again."""
    DO_NOT_RETRY_UNCERTAIN = "do_not_retry_uncertain"
    """The CRM may have applied it: never re-send blindly; check (e.g. search for the record) first."""


class CrmNotice(StrEnum):
    """Which of the contract's three user messages a failure gets (the wording lives in services)."""

    RATE_LIMITED = "rate_limited"
    """"Rate limit exceeded": try again in the next minute."""
    REAUTHORIZE = "reauthorize"
    """"Authorization error": log out and connect the CRM again (the contract's 400-409 rule)."""
    OPERATION_FAILED = "operation_failed"
    """The operation's own failure text ("Error creating call log", ...)."""


@dataclass(frozen=True, slots=True)
class CrmOutcome:
    """One row of the table: what the server does about an error, and what the user is told."""

    action: CrmAction
    notice: CrmNotice


_ROW = CrmOutcome
OUTCOMES: Mapping[type[CrmError], CrmOutcome] = MappingProxyType(
    {
        CrmError: _ROW(CrmAction.FAIL, CrmNotice.OPERATION_FAILED),
        CrmRequestRefused: _ROW(CrmAction.FAIL, CrmNotice.OPERATION_FAILED),
        CrmRateLimited: _ROW(CrmAction.RATE_LIMITED, CrmNotice.RATE_LIMITED),
        CrmAuthExpired: _ROW(CrmAction.REFRESH_THEN_RETRY, CrmNotice.REAUTHORIZE),
        CrmForbidden: _ROW(CrmAction.FAIL, CrmNotice.REAUTHORIZE),
        CrmNotFound: _ROW(CrmAction.FAIL, CrmNotice.REAUTHORIZE),
        CrmBadRequest: _ROW(CrmAction.FAIL, CrmNotice.REAUTHORIZE),  # 410-499: see outcome_for
        # Outside 400-409 and not 429, so the contract gives the operation's own message.
        CrmRedirected: _ROW(CrmAction.FAIL, CrmNotice.OPERATION_FAILED),
        CrmUnavailable: _ROW(CrmAction.RETRY, CrmNotice.OPERATION_FAILED),
        CrmUncertain: _ROW(CrmAction.DO_NOT_RETRY_UNCERTAIN, CrmNotice.OPERATION_FAILED),
    }
)
_LAST_REAUTHORIZE_STATUS = 409


def outcome_for(error: BaseException | type[BaseException]) -> CrmOutcome:
    """The row for an error (instance or class), via its nearest ancestor in :data:`OUTCOMES`.

    Anything that is not a CRM error (a bug, a library exception) fails with the operation's
    message. A 4xx above 409 also gets the operation's message, as the contract says.
    """
    cls = error if isinstance(error, type) else type(error)
    row = next(
        (OUTCOMES[klass] for klass in cls.__mro__ if isinstance(klass, type) and klass in OUTCOMES),
        None,
    )
    if row is None or not issubclass(cls, CrmError):
        return OUTCOMES[CrmError]
    status = getattr(error, "status", None) if not isinstance(error, type) else None
    if row.notice is CrmNotice.REAUTHORIZE and status is not None and status > _LAST_REAUTHORIZE_STATUS:
        return _ROW(row.action, CrmNotice.OPERATION_FAILED)
    return row


def action_for(error: CrmError | type[CrmError]) -> CrmAction:
    """The action for an error (instance or class)."""
    return outcome_for(error).action
