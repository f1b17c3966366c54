"""The HTML notes of SMS, voicemail and fax activities, and adding a message to an existing one.

Why Pipedrive has its own layout instead of `appconnect.compose.compose_message_log`: activities
written by the Node.js server must keep growing when this server appends to them, so the layout is
the reference's, marker for marker: the messages sit in a `<ul>` closed by `</ul>------------<br>`,
under a `Conversation(N messages)` heading. Adding a message inserts one `<li>` before that marker
and counts one more; the rest of the note, including anything the agent typed in Pipedrive, stays.

Unlike the reference, every name and message text is HTML-escaped: a message containing markup (or
the closing marker itself) can neither break the note nor inject HTML into Pipedrive.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from appconnect.compose import escape_html, format_date_time

__all__ = [
    "CREATED_VIA",
    "MESSAGES_END",
    "add_message",
    "fax_note",
    "fax_subject",
    "message_entry",
    "sms_note",
    "sms_subject",
    "voicemail_note",
    "voicemail_subject",
]

CREATED_VIA: Final = "--- Created via RingCentral App Connect"
MESSAGES_END: Final = "</ul>------------<br>"
_COUNT: Final = re.compile(r"<br>Conversation\((\d+) messages\)")


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _local(moment: object, user_offset: object, fmt: str) -> str:
    return format_date_time(moment, timezone_offset=user_offset, date_format=fmt)


def sms_subject(contact_name: str, created: object, user_offset: object) -> str:
    """The subject of an SMS conversation-day activity, dated in the user's zone.

    >>> sms_subject("Maya Patel", "2026-07-14T03:00:00Z", "+00:00")
    'SMS conversation with Maya Patel - 26/07/14'
    """
    return f"SMS conversation with {contact_name} - {_local(created, user_offset, 'YY/MM/DD')}"


def voicemail_subject(contact_name: str, created: object, user_offset: object) -> str:
    return f"Voicemail left by {contact_name} - {_local(created, user_offset, 'YY/MM/DD')}"


def fax_subject(contact_name: str, created: object, user_offset: object) -> str:
    return f"Fax document sent from {contact_name} - {_local(created, user_offset, 'YY/MM/DD')}"


def message_entry(
    message: Mapping[str, Any],
    *,
    contact_name: str,
    contact_number: str | None,
    user_name: str,
    user_offset: object,
    links: Mapping[str, str | None] | None = None,
) -> str:
    """One message as a list item: who (the contact with their number, or the agent) and when, then
    the text and any links.

    >>> inbound = {"direction": "Inbound", "subject": "Hi <3", "creationTime": "2026-07-14T03:00:00Z"}
    >>> message_entry(inbound, contact_name="Maya", contact_number="+14155550142",
    ...               user_name="Jordan", user_offset=None)
    '<li>Maya (+14155550142) 03:00 AM<br><b>Hi &lt;3</b></li>'
    """
    if message.get("direction") == "Inbound":
        sender = f"{contact_name} ({_text(contact_number)})"
    else:
        sender = user_name
    when = _local(message.get("creationTime"), user_offset, "hh:mm A")
    parts = [f"<li>{escape_html(sender)} {when}<br><b>{escape_html(_text(message.get('subject')))}</b>"]
    for label, link in (links or {}).items():
        if link:
            parts.append(f"<br>{label}: {escape_html(link)}")
    return "".join(parts) + "</li>"


def sms_note(
    *,
    subject: str,
    message: Mapping[str, Any],
    contact_name: str,
    contact_number: str | None,
    user_name: str,
    user_offset: object,
    other_participants: list[str],
    links: Mapping[str, str | None] | None = None,
) -> str:
    """The note of a new SMS conversation-day activity holding its first message."""
    day = _local(message.get("creationTime"), user_offset, "dddd, MMMM DD, YYYY")
    others = "".join(f"<li><b>{escape_html(name)}</b></li>" for name in other_participants)
    entry = message_entry(
        message,
        contact_name=contact_name,
        contact_number=contact_number,
        user_name=user_name,
        user_offset=user_offset,
        links=links,
    )
    return (
        f"<br><b>{escape_html(subject)}</b><br>"
        "<b>Conversation summary</b><br>"
        f"{day}<br>"
        "Participants<br>"
        f"<ul><li><b>{escape_html(user_name)}</b><br></li>"
        f"<li><b>{escape_html(contact_name)}</b></li>{others}</ul><br>"
        "Conversation(1 messages)<br>"
        "BEGIN<br>"
        "------------<br>"
        f"<ul>{entry}{MESSAGES_END}"
        "END<br><br>"
        f"{CREATED_VIA}"
    )


def _link_note(subject: str, label: str, link: str) -> str:
    return f"<br><b>{escape_html(subject)}</b><br>{label}: {escape_html(link)} <br><br>{CREATED_VIA}"


def voicemail_note(subject: str, recording_link: str) -> str:
    """The note of a voicemail activity: its subject and the recording link."""
    return _link_note(subject, "Voicemail recording link", recording_link)


def fax_note(subject: str, fax_doc_link: str) -> str:
    """The note of a fax activity: its subject and the document link."""
    return _link_note(subject, "Fax document link", fax_doc_link)


def add_message(note: str, entry: str) -> str:
    """`note` with `entry` added as its last message and the message count raised by one.

    A note whose message list the agent removed in Pipedrive gets the entry at its end instead.

    >>> add_message("<br>Conversation(1 messages)<br><ul><li>a</li></ul>------------<br>END", "<li>b</li>")
    '<br>Conversation(2 messages)<br><ul><li>a</li><li>b</li></ul>------------<br>END'
    """
    if MESSAGES_END in note:
        updated = note.replace(MESSAGES_END, entry + MESSAGES_END, 1)
    else:
        updated = f"{note}<ul>{entry}</ul>"
    return _COUNT.sub(lambda found: f"<br>Conversation({int(found.group(1)) + 1} messages)", updated, count=1)
