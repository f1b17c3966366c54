"""Every `returnMessage` the server itself produces, and the one table that maps a CRM failure to one.

The wording is the contract's (the extension shows it verbatim), so it lives here once. CRM
failures are classified by `appconnect.crm_http`'s error tree and its one outcome table;
`crm_failure_message` turns any exception raised during an operation into the message the spec
prescribes: 429 -> rate limit, 400-409 (401 and 403 included) -> re-authorize, anything else (5xx,
timeouts, other 4xx, bugs) -> the operation's own failure text.
"""

from __future__ import annotations

from typing import Any

from appconnect.crm_http import CrmNotice, CrmRateLimited, outcome_for

ReturnMessageWire = dict[str, Any]

# operation -> (message, detail text); `<platform>` is filled in.
OPERATION_FAILURES: dict[str, tuple[str, str]] = {
    "createCallLog": (
        "Error creating call log",
        "Please check if your account has permission to CREATE logs.",
    ),
    "updateCallLog": (
        "Error updating call log",
        "Please check if the log entity still exists on <platform> and your account has permission "
        "to EDIT logs.",
    ),
    "getCallLog": ("Error getting call log", "Please check if your account has permission to READ logs."),
    "createMessageLog": (
        "Error creating message log",
        "Please check if your account has permission to CREATE logs.",
    ),
    "findContact": ("Error finding contact", "Please check if your account has permission to GET contacts."),
    "createContact": (
        "Error creating contact",
        "Please check if your account has permission to CREATE contacts.",
    ),
    "findContactWithName": (
        "Error searching contacts",
        "Please check if your account has permission to GET contacts.",
    ),
    "createAppointment": (
        "Error creating appointment",
        "Please check if your account has permission to CREATE appointments. or All attendees have "
        "email address.",
    ),
    "updateAppointment": (
        "Error updating appointment",
        "Please check if the appointment entity still exists on <platform> and your account has "
        "permission to EDIT appointments. or All attendees have email address.",
    ),
}
GENERIC_DETAIL = "Please check if your account has the necessary permissions."


def warning(message: str, ttl: int = 5000) -> ReturnMessageWire:
    return {"message": message, "messageType": "warning", "ttl": ttl}


def _details(text: str, item_id: str | int) -> list[dict[str, Any]]:
    return [{"title": "Details", "items": [{"id": item_id, "type": "text", "text": text}]}]


def rate_limited(platform: str, error: CrmRateLimited | None = None) -> ReturnMessageWire:
    text = (
        f"You have exceeded the maximum number of requests allowed by {platform}. "
        "Please try again in the next minute. If the problem persists please contact support."
    )
    message: ReturnMessageWire = {
        "message": "Rate limit exceeded",
        "messageType": "warning",
        "details": _details(text, "1"),
        "ttl": 5000,
    }
    if error is not None and error.reset_at is not None:
        message["rateLimitResetAt"] = error.reset_at.isoformat()  # additive: when to try again
    return message


def authorization_error(platform: str) -> ReturnMessageWire:
    text = (
        f"It seems like there's something wrong with your authorization of {platform}. "
        f"Please Logout and then Connect your {platform} account within this extension."
    )
    return {
        "message": "Authorization error",
        "messageType": "warning",
        "details": _details(text, "1"),
        "ttl": 5000,
    }


def operation_failed(operation: str, platform: str) -> ReturnMessageWire:
    message, detail = OPERATION_FAILURES.get(operation, (f"Error performing {operation}", GENERIC_DETAIL))
    return {
        "message": message,
        "messageType": "warning",
        "details": _details(detail.replace("<platform>", platform), 1),
        "ttl": 5000,
    }


def crm_failure_message(error: BaseException, *, operation: str, platform: str) -> ReturnMessageWire:
    """The contract's message for a failed operation (the CRM status itself is never shown).

    Which message is decided by `appconnect.crm_http`'s outcome table, the same table that decides
    whether a failure may be retried.
    """
    notice = outcome_for(error).notice
    if notice is CrmNotice.RATE_LIMITED:
        return rate_limited(platform, error if isinstance(error, CrmRateLimited) else None)
    if notice is CrmNotice.REAUTHORIZE:
        return authorization_error(platform)
    return operation_failed(operation, platform)


def unsupported(operation: str, platform: str) -> ReturnMessageWire:
    """A platform whose connector does not implement `operation`: the operation's failure message."""
    return operation_failed(operation, platform)


DATABASE_FAILED = warning("Database operation failed")
SESSION_EXPIRED = warning("User session expired. Please connect again.")
USER_NOT_FOUND = warning("User not found")
CONTACT_NOT_FOUND = warning("Contact not found")
NO_MESSAGE_TO_LOG = warning("No message to log.", ttl=3000)
MESSAGE_LOG_PENDING = warning("The message log is still being created. Please try again.", ttl=3000)


def missing_auth_fields(consts: list[str]) -> ReturnMessageWire:
    """API-key login: required login fields that neither the user nor an admin supplied (§3.5)."""
    return {
        "messageType": "warning",
        "message": "Missing required authentication fields.",
        "ttl": 3000,
        "missingRequiredFieldConsts": consts,
    }


def oauth_setup_failed(message: str) -> ReturnMessageWire:
    """OAuth login: the connector could not build an OAuth client (`fail_message`)."""
    return {"messageType": "danger", "message": message}
