"""What to do about each CRM error — one table, looked up by error class (nearest ancestor wins).

The service layer uses :func:`action_for` to decide whether to retry and which message to show;
no route should re-derive this from status codes.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from appconnect.crm_http.errors import (
    CrmAuthExpired,
    CrmBadRequest,
    CrmError,
    CrmForbidden,
    CrmNotFound,
    CrmRateLimited,
    CrmRequestRefused,
    CrmUnavailable,
    CrmUncertain,
)

__all__ = ["OUTCOMES", "CrmAction", "action_for"]


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


OUTCOMES: Mapping[type[CrmError], CrmAction] = MappingProxyType(
    {
        CrmError: CrmAction.FAIL,
        CrmRequestRefused: CrmAction.FAIL,
        CrmRateLimited: CrmAction.RATE_LIMITED,
        CrmAuthExpired: CrmAction.REFRESH_THEN_RETRY,
        CrmForbidden: CrmAction.FAIL,
        CrmNotFound: CrmAction.FAIL,
        CrmBadRequest: CrmAction.FAIL,
        CrmUnavailable: CrmAction.RETRY,
        CrmUncertain: CrmAction.DO_NOT_RETRY_UNCERTAIN,
    }
)


def action_for(error: CrmError | type[CrmError]) -> CrmAction:
    """The action for an error (instance or class), via its nearest ancestor in :data:`OUTCOMES`."""
    cls = error if isinstance(error, type) else type(error)
    for klass in cls.__mro__:
        if issubclass(klass, CrmError) and klass in OUTCOMES:
            return OUTCOMES[klass]
    return CrmAction.FAIL
