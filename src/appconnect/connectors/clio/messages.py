"""Clio's plain-text bodies for SMS, voicemail and fax logs, and the SMS time entry.

Why a module of its own: a message log is one Clio communication per conversation day whose body
is a small text document (`Conversation(N messages)`, `BEGIN`/`END` around the messages); a later
message is inserted before `END` and the count raised, so the text agents added in Clio stays. The
texts are the reference connector's, so logs written by either server read the same.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from appconnect.compose import format_date_time

__all__ = [
    "END_MARKER",
    "FOOTER",
    "add_message",
    "document_name",
    "fax_failed_body",
    "fax_subject",
    "fax_uploaded_body",
    "message_line",
    "sms_body",
    "sms_subject",
    "sms_time_entry",
    "voicemail_body",
    "voicemail_subject",
]

FOOTER = "--- Created via RingCentral App Connect"
END_MARKER = "------------\nEND"
_COUNT = re.compile(r"Conversation.(\d+) messages.")


def _when(value: object, offset: object, fmt: str) -> str:
    return format_date_time(value, timezone_offset=offset, date_format=fmt)


def sms_subject(contact_name: str, created: object, offset: object) -> str:
    return f"SMS conversation with {contact_name} - {_when(created, offset, 'MM/DD/YYYY hh:mm A')}"


def voicemail_subject(contact_name: str, created: object, offset: object) -> str:
    return f"Voicemail left by {contact_name} - {_when(created, offset, 'MM/DD/YYYY hh:mm A')}"


def fax_subject(contact_name: str, created: object) -> str:
    return f"Fax document sent from {contact_name} - {_when(created, None, 'YY/MM/DD')}"


def document_name(message: Mapping[str, Any], kind: str, contact_name: str, extension: str) -> str:
    """The name of a message's file stored in Clio, as the reference names it
    (`Inbound Fax - Ann Example - 07/14/2026.pdf`, `Inbound Image Message - ....png`)."""
    created = format_date_time(message.get("creationTime"), date_format="MM/DD/YYYY")
    return f"{message.get('direction')} {kind} - {contact_name} - {created}.{extension}"


def message_text(subject: str | None, link: str | None, *, failed_upload: bool = False) -> str:
    """The message's text; with an image or video, the text and the attachment's (token-free) link
    (`[Link - failed to upload]` when the image could not be uploaded into Clio)."""
    label = "Link - failed to upload" if failed_upload else "Link"
    if link or failed_upload:
        return f"[Message]: {subject if subject is not None else 'N/A'}\n[{label}]: {link or ''}"
    return str(subject if subject is not None else "")


def message_line(
    message: Mapping[str, Any],
    *,
    contact_name: str,
    contact_number: str | None,
    user_name: str,
    offset: object,
) -> str:
    """Who wrote it and when (`Ann (+1415...) 10:00 AM` or the agent's name)."""
    author = f"{contact_name} ({contact_number})" if message.get("direction") == "Inbound" else user_name
    return f"{author} {_when(message.get('creationTime'), offset, 'hh:mm A')}"


def sms_body(
    message: Mapping[str, Any],
    *,
    text: str,
    contact_name: str,
    contact_number: str | None,
    user_name: str,
    offset: object,
    other_participants: Sequence[str],
) -> str:
    others = "\n".join(f"    {name}" for name in other_participants)
    return (
        "\nConversation summary\n"
        f"{_when(message.get('creationTime'), offset, 'dddd, MMMM DD, YYYY')}\n"
        "Participants\n"
        f"    {user_name}\n"
        f"    {contact_name}\n"
        f"{others}"
        "\nConversation(1 messages)\n"
        "BEGIN\n"
        "------------\n"
        f"{message_line(message, contact_name=contact_name, contact_number=contact_number, user_name=user_name, offset=offset)}\n"  # noqa: E501
        f"{text}\n"
        f"{END_MARKER}\n\n"
        f"{FOOTER}"
    )


def add_message(body: str, entry: str) -> str:
    """`body` with `entry` inserted before `END` and the message count raised by one.

    >>> add_message("Conversation(1 messages)\\nBEGIN\\n------------\\nA\\n------------\\nEND", "B\\n\\n")
    'Conversation(2 messages)\\nBEGIN\\n------------\\nA\\nB\\n\\n------------\\nEND'
    """
    updated = (
        body.replace(END_MARKER, f"{entry}{END_MARKER}", 1) if END_MARKER in body else f"{body}\n{entry}"
    )
    match = _COUNT.search(updated)
    if match is not None:
        updated = updated.replace(match.group(0), f"Conversation({int(match.group(1)) + 1} messages)", 1)
    return updated


def voicemail_body(recording_link: str) -> str:
    return f"Voicemail recording link: {recording_link} \n\n{FOOTER}"


def fax_uploaded_body(*, message: Mapping[str, Any], document_url: str) -> str:
    recipients = message.get("to")
    first_recipient = recipients[0] if isinstance(recipients, list) and recipients else {}
    sender = message.get("from")
    party = sender if message.get("direction") == "Inbound" else first_recipient
    location = party.get("location") if isinstance(party, Mapping) else None
    return (
        "Fax uploaded to Clio successfully.\n"
        f"Fax Status: {message.get('messageStatus')}\n"
        f"Page count: {message.get('faxPageCount')}\n"
        f"Fax document link: {document_url}\n"
        f"Location: {location} \n\n{FOOTER}"
    )


def fax_failed_body(fax_doc_link: str | None) -> str:
    return f"Fax failed to be uploaded to Clio.\nFax document link: {fax_doc_link} \n\n{FOOTER}"


def sms_time_entry(
    message: Mapping[str, Any], settings: Mapping[str, Any], *, contact_name: str, offset: object
) -> dict[str, Any]:
    """The `TimeEntry` for an outbound SMS: the typing time or the user's minimum (default 30 s),
    billable unless the user chose non-billable."""
    typing_ms = message.get("typingDurationMs")
    typed = (
        typing_ms if isinstance(typing_ms, int | float) and not isinstance(typing_ms, bool) else 0
    ) / 1000
    try:
        minimum = int(str(settings.get("smsTimeTrackingMinimumDuration") or "30")) or 30
    except ValueError:
        minimum = 30
    quantity = max(typed, minimum)
    created = message.get("creationTime")
    return {
        "type": "TimeEntry",
        "date": _when(created, None, "YYYY-MM-DD"),
        "quantity": int(quantity) if math.isclose(quantity, int(quantity)) else quantity,
        "note": f"SMS message with {contact_name} sent on {_when(created, offset, 'MM/DD/YYYY')} at "
        f"{_when(created, offset, 'HH:mm:ss')}",
        "non_billable": settings.get("smsTimeTrackingDefaultBillable") == "non-billable",
    }
