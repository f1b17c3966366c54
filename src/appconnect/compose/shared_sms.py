"""Shared-SMS conversation bodies: one complete summary, rewritten whole on every update.

Why this exists: a shared SMS inbox (a call queue or a shared number) is worked by several agents,
who answer, assign the thread and leave internal notes. The CRM keeps one log per conversation and
the server rewrites it completely each time it is logged, so the composer builds the full body from
the thread's timeline (`logInfo.entities`) in the CRM's format (spec logging §4.6).

Text follows the reference byte for byte, with two recommended fixes (spec §6):
* R-10: "Ended" is the latest *parsed* `lastModifiedTime` of the messages (ISO or epoch ms), or the
  conversation's `creationTime` when there is none; the reference always printed the Unix epoch.
* R-11: an outbound message without `author.name` and `from.name` is sent by `Unknown`, as
  assignments and notes already were, instead of `undefined`.
Caller data inserted into HTML is escaped (`&`, `<`, `>`, `"`, `'`); plain text and Markdown are
written as given.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from ._content import MessageLogContent, escape_html
from ._js import is_truthy, to_js_string
from .dates import OffsetMode, format_date_time, parse_start_time
from .formats import LogFormat

__all__ = [
    "compose_shared_sms_log",
    "count_shared_sms_entities",
    "gather_shared_sms_participants",
]

DATE_FORMAT: Final = "dddd, MMMM DD, YYYY"
TIME_FORMAT: Final = "hh:mm A"
ENTRY_TIME_FORMAT: Final = "YYYY-MM-DD hh:mm A"


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _name(entity: Mapping[str, Any], role: str) -> Any:
    return _mapping(entity.get(role)).get("name")


def _text(value: object) -> str:
    return to_js_string(value) if is_truthy(value) else ""


def _entities(value: object) -> list[Mapping[str, Any]]:
    if not isinstance(value, Sequence) or isinstance(value, str | bytes):
        return []
    return [entity for entity in value if isinstance(entity, Mapping)]


def gather_shared_sms_participants(entities: object) -> list[str]:
    """Distinct people named in the timeline, in first-seen order.

    Each entity is checked for `author.name`, `from.name`, `initiator.name` and `assignee.name`,
    in that order; empty names are skipped.

    Example:
        >>> gather_shared_sms_participants([{"author": {"name": "Ann"}}, {"from": {"name": "Ann"}}])
        ['Ann']
    """
    names: list[str] = []
    for entity in _entities(entities):
        for role in ("author", "from", "initiator", "assignee"):
            name = _name(entity, role)
            if is_truthy(name) and to_js_string(name) not in names:
                names.append(to_js_string(name))
    return names


def count_shared_sms_entities(entities: object) -> tuple[int, int]:
    """`(messages, notes)`: `AliveMessage` entities are messages, `AliveNote` entities notes."""
    kinds = [entity.get("recordType") for entity in _entities(entities)]
    return kinds.count("AliveMessage"), kinds.count("AliveNote")


def _counts_text(messages: int, notes: int) -> str:
    parts = []
    if messages:
        parts.append(f"{messages} message" if messages == 1 else f"{messages} messages")
    if notes:
        parts.append(f"{notes} note" if notes == 1 else f"{notes} notes")
    return ", ".join(parts) or "0 messages"


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _ordered(entities: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Newest first when every `creationTime` is a number; otherwise (ISO strings) as given."""
    if entities and all(_is_number(entity.get("creationTime")) for entity in entities):
        return sorted(entities, key=lambda entity: -float(entity["creationTime"]))
    return entities


def _latest_modified(messages: object) -> datetime | None:
    latest: datetime | None = None
    for message in _entities(messages):
        moment = parse_start_time(message.get("lastModifiedTime"))
        if moment is not None and (latest is None or moment > latest):
            latest = moment
    return latest


def _duration_text(started: datetime | None, ended: datetime | None) -> str:
    """`<days> d <total hours> h`, each a whole-unit difference truncated toward zero."""
    if started is None or ended is None:
        return "0 d 0 h"
    elapsed = (ended - started) / timedelta(hours=1)
    return f"{math.trunc(elapsed / 24)} d {math.trunc(elapsed)} h"


@dataclass(frozen=True)
class _Style:
    """How one body format writes each piece of the summary."""

    log_format: LogFormat

    def esc(self, text: str) -> str:
        return escape_html(text) if self.log_format is LogFormat.HTML else text

    def message(self, sender: str, stamp: str, text: str) -> str:
        if self.log_format is LogFormat.HTML:
            return f"<p><b>{self.esc(sender)}</b> said on {stamp}:<br>{self.esc(text)}</p>"
        if self.log_format is LogFormat.MARKDOWN:
            return f"**{sender}** said on {stamp}:\n{text}\n\n"
        return f"{sender} said on {stamp}:\n{text}\n\n"

    def assignment(self, name: str) -> str:
        if self.log_format is LogFormat.HTML:
            return f"<p><i>Conversation assigned to <b>{self.esc(name)}</b></i></p>"
        if self.log_format is LogFormat.MARKDOWN:
            return f"*Conversation assigned to **{name}***\n\n"
        return f"Conversation assigned to {name}\n\n"

    def note(self, author: str, stamp: str, text: str) -> str:
        if self.log_format is LogFormat.HTML:
            return f"<p><b>{self.esc(author)}</b> left a note on {stamp}:<br>{self.esc(text)}</p>"
        if self.log_format is LogFormat.MARKDOWN:
            return f"**{author}** left a note on {stamp}:\n{text}\n\n"
        return f"{author} left a note on {stamp}:\n{text}\n\n"


def _entries(
    entities: list[Mapping[str, Any]], style: _Style, contact_name: str, timezone_offset: object
) -> str:
    written: list[str] = []
    for entity in _ordered(entities):
        kind = entity.get("recordType")
        stamp = format_date_time(
            entity.get("creationTime"),
            timezone_offset=timezone_offset,
            date_format=ENTRY_TIME_FORMAT,
            mode=OffsetMode.SHARED_SMS,
        )
        if kind == "AliveMessage":
            if entity.get("direction") == "Inbound":
                sender = contact_name
            else:
                sender = _text(_name(entity, "author")) or _text(_name(entity, "from")) or "Unknown"
            text = _text(entity.get("text")) or _text(entity.get("subject"))
            written.append(style.message(sender, stamp, text))
        elif kind == "ThreadAssignedHint":
            written.append(style.assignment(_text(_name(entity, "assignee")) or "Unknown"))
        elif kind == "AliveNote":
            author = _text(_name(entity, "author")) or _text(_name(entity, "initiator")) or "Unknown"
            text = _text(entity.get("text")) or _text(entity.get("body"))
            written.append(style.note(author, stamp, text))
    return "".join(written)


def compose_shared_sms_log(
    *,
    log_format: LogFormat | str = LogFormat.PLAIN,
    conversation: Mapping[str, Any],
    contact_name: str,
    timezone_offset: object = None,
) -> MessageLogContent:
    """The complete subject and body of a shared-SMS conversation log.

    Args:
        log_format: `text/plain` (the default), `text/html` or `text/markdown`; anything else
            is written as plain text.
        conversation: the request's `logInfo`: `creationTime`, `messages[].lastModifiedTime`,
            `entities[]` (the timeline) and `owner {name, extensionType}`.
        contact_name: the customer's name, used for inbound messages and the participant list.
        timezone_offset: the user's stored offset; only `±HH:MM`, `±HHMM` or a number count
            (spec §6 P-9).

    Example:
        >>> compose_shared_sms_log(log_format="text/plain", conversation={}, contact_name="Ann").subject
        'SMS conversation with Ann'
    """
    try:
        fmt = LogFormat(log_format)
    except ValueError:
        fmt = LogFormat.PLAIN
    style = _Style(fmt)
    entities = _entities(conversation.get("entities"))
    started = parse_start_time(conversation.get("creationTime"))
    ended = _latest_modified(conversation.get("messages")) or started

    def when(moment: datetime | None, date_format: str) -> str:
        return format_date_time(
            moment if moment is not None else None,
            timezone_offset=timezone_offset,
            date_format=date_format,
            mode=OffsetMode.SHARED_SMS,
        )

    started_text = f"{when(started, DATE_FORMAT)} at {when(started, TIME_FORMAT)}"
    ended_text = f"{when(ended, DATE_FORMAT)} at {when(ended, TIME_FORMAT)}"
    duration = _duration_text(started, ended)
    participants = [f"{contact_name} (customer)", *gather_shared_sms_participants(entities)]
    counts = _counts_text(*count_shared_sms_entities(entities))
    owner = _mapping(conversation.get("owner")) if is_truthy(conversation.get("owner")) else None
    owner_name = _text(owner.get("name")) if owner is not None else ""
    is_queue = owner is not None and (
        owner.get("extensionType") == "Department" or "queue" in owner_name.lower()
    )
    entries = _entries(entities, style, contact_name, timezone_offset)
    subject = f"SMS conversation with {contact_name}"

    if fmt is LogFormat.HTML:
        owner_line = ""
        if owner is not None:
            label = "Receiving call queue" if is_queue else "Owner"
            owner_line = f"<div>{label}: <b>{escape_html(owner_name)}</b></div><br>"
        items = "".join(f"<li>{escape_html(name)}</li>" for name in participants)
        body = (
            f"<div><b>Conversation summary</b><br>Started: {started_text}<br>Ended: {ended_text}"
            f"<br>Duration: {duration}<br></div><br>"
            f"<div><b>Participants</b><ul>{items}</ul></div>"
            f"{owner_line}"
            f"<div><b>Conversation ({counts})</b></div><div>BEGIN</div><hr>"
            f"{entries}<hr><div>END</div>"
        )
        return MessageLogContent(subject=subject, body=body)

    markdown = fmt is LogFormat.MARKDOWN
    owner_line = ""
    if owner is not None:
        shown = f"**{owner_name}**" if markdown else owner_name
        owner_line = f"{'Receiving call queue' if is_queue else 'Owner'}: {shown}\n\n"
    rule = "---" if markdown else "------------"
    body = (
        f"{'## ' if markdown else ''}Conversation summary\n"
        f"Started: {started_text}\n"
        f"Ended: {ended_text}\n"
        f"Duration: {duration} \n\n"
        f"{'### ' if markdown else ''}Participants\n"
        + "".join(f"* {name}\n" for name in participants)
        + "\n"
        + owner_line
        + f"{'### ' if markdown else ''}Conversation ({counts})\n"
        f"BEGIN\n{rule}\n{entries}{rule}\nEND"
    )
    return MessageLogContent(subject=f"**{subject}**" if markdown else subject, body=body)
