"""Message-log bodies: SMS, MMS, voicemail and fax, one CRM record per conversation and day.

Why this exists: the server groups the messages of one conversation on one day into one CRM log
(spec logging §4.2). The first message creates the record, every later one is *added* to it. These
helpers give connectors one well-tested layout for that record in the CRM's format, so an add never
rewrites what is already there (or what the agent typed into the CRM):

* `compose_message_log` writes a new record: a subject, the participants, then one entry per message
  between `BEGIN` and `END` markers, under a `Conversation (N messages)` heading;
* `compose_message_log_entry` writes the entry of one message;
* `add_message_log_entry` inserts an entry before the closing marker of an existing body and bumps
  the message count, leaving everything else as it is;
* `message_media` derives the attachment links of one message exactly as the reference does (§4.3).

The reference leaves normal message bodies to each connector, so this layout is ours; it borrows the
shared-SMS composer's entry style (`<sender> said on <time>:`). Links that carry a RingCentral access
token (`fax_download_link`, `image_download_link`) are never written into a body. HTML bodies escape
every caller-supplied text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Final
from urllib.parse import quote

from ._content import MessageLogContent, escape_html
from ._js import is_truthy, to_js_string
from .dates import OffsetMode, format_date_time
from .formats import LogFormat

__all__ = [
    "MEDIA_READER_URL",
    "MessageMedia",
    "add_message_log_entry",
    "compose_message_log",
    "compose_message_log_entry",
    "message_log_subject",
    "message_media",
]

MEDIA_READER_URL: Final = "https://ringcentral.github.io/ringcentral-media-reader/?media="
ENTRY_TIME_FORMAT: Final = "YYYY-MM-DD hh:mm A"
DAY_FORMAT: Final = "YYYY-MM-DD"

_PLAIN_RULE: Final = "------------"
_CLOSING: Final = {
    LogFormat.PLAIN: f"{_PLAIN_RULE}\nEND",
    LogFormat.MARKDOWN: "---\nEND",
    LogFormat.HTML: "<hr><div>END</div>",
}
_COUNT: Final = re.compile(r"Conversation \((\d+) messages?\)")
_SUBJECT_KINDS: Final = {
    "SMS": "SMS conversation with",
    "MMS": "SMS conversation with",
    "Pager": "Messages with",
    "Text": "Messages with",
    "Fax": "Fax with",
    "VoiceMail": "Voicemail from",
}


@dataclass(frozen=True)
class MessageMedia:
    """The links derived from one message's attachments (spec §4.3); `None` when absent.

    `fax_download_link` and `image_download_link` embed the RingCentral access token: pass them
    to a CRM that downloads the file, never print them into a log body.
    """

    recording_link: str | None = None
    fax_doc_link: str | None = None
    fax_download_link: str | None = None
    image_link: str | None = None
    image_download_link: str | None = None
    image_content_type: str | None = None
    video_link: str | None = None

    def as_kwargs(self) -> dict[str, Any]:
        """The connector keyword arguments, e.g. `{"recording_link": ..., "fax_doc_link": ...}`."""
        return asdict(self)


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _attachments(message: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    value = message.get("attachments")
    if not isinstance(value, Sequence) or isinstance(value, str | bytes):
        return []
    return [attachment for attachment in value if isinstance(attachment, Mapping)]


def _text(value: object) -> str:
    return to_js_string(value) if is_truthy(value) else ""


def _media_reader(uri: object) -> str | None:
    """RingCentral's media-reader page for an attachment; none for an attachment without a URI
    (the reference's `getMediaReaderLinkByPlatformMediaLink` returns null then)."""
    if not is_truthy(uri):
        return None
    return MEDIA_READER_URL + quote(to_js_string(uri), safe="-_.!~*'()")


def message_media(message: Mapping[str, Any], *, rc_access_token: str | None = None) -> MessageMedia:
    """The attachment links of one RingCentral message, as `createMessageLog` receives them.

    * voicemail: `recording_link` is the `link` of the first `AudioRecording` attachment;
    * fax (only with an access token): `fax_doc_link` is the `RenderedDocument`'s `link` and
      `fax_download_link` its `uri` with `?access_token=`;
    * MMS: `image_link` / `video_link` open the first image / video in RingCentral's media reader;
      with an access token, `image_download_link` and `image_content_type` too. An attachment
      without a `contentType` is neither image nor video.

    Example:
        >>> message_media({"attachments": [{"type": "AudioRecording", "link": "https://x/1"}]})
        MessageMedia(recording_link='https://x/1', fax_doc_link=None, fax_download_link=None, \
image_link=None, image_download_link=None, image_content_type=None, video_link=None)
    """
    attachments = _attachments(message)

    def first(kind: str, content_prefix: str | None = None) -> Mapping[str, Any] | None:
        for attachment in attachments:
            if attachment.get("type") != kind:
                continue
            content_type = attachment.get("contentType")
            if content_prefix is None or (
                isinstance(content_type, str) and content_type.startswith(content_prefix)
            ):
                return attachment
        return None

    token = rc_access_token if is_truthy(rc_access_token) else None
    recording = first("AudioRecording")
    fax = first("RenderedDocument") if token else None
    image = first("MmsAttachment", "image/")
    video = first("MmsAttachment", "video/")
    return MessageMedia(
        recording_link=recording.get("link") if recording is not None else None,
        fax_doc_link=fax.get("link") if fax is not None else None,
        fax_download_link=f"{_text(fax.get('uri'))}?access_token={token}" if fax is not None else None,
        image_link=_media_reader(image.get("uri")) if image is not None else None,
        image_download_link=(
            f"{_text(image.get('uri'))}?access_token={token}" if image is not None and token else None
        ),
        image_content_type=image.get("contentType") if image is not None and token else None,
        video_link=_media_reader(video.get("uri")) if video is not None else None,
    )


def _format(log_format: LogFormat | str) -> LogFormat:
    try:
        return LogFormat(log_format)
    except ValueError:
        return LogFormat.PLAIN


def _party_number(party: Mapping[str, Any]) -> str:
    number = _text(party.get("phoneNumber"))
    if number:
        return number
    extension = _text(party.get("extensionNumber"))
    return f"ext {extension}" if extension else ""


def _party_name(party: Mapping[str, Any], contact_name: str, contact_number: str | None) -> str:
    name = _text(party.get("name"))
    if not name and contact_number and party.get("phoneNumber") == contact_number:
        return contact_name
    return name


def _participant(party: Mapping[str, Any], contact_name: str, contact_number: str | None) -> str:
    name = _party_name(party, contact_name, contact_number)
    number = _party_number(party)
    if name and number:
        return f"{name} ({number})"
    return name or number or "Unknown"


def _parties(message: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    recipients = message.get("to")
    if isinstance(recipients, Mapping):
        recipients = [recipients]
    if not isinstance(recipients, Sequence) or isinstance(recipients, str | bytes):
        recipients = []
    return [party for party in (message.get("from"), *recipients) if isinstance(party, Mapping)]


def message_log_subject(
    message: Mapping[str, Any], *, contact_name: str, timezone_offset: object = None
) -> str:
    """The subject of a conversation-day record, from its first message.

    Example:
        >>> message_log_subject(
        ...     {"type": "SMS", "creationTime": "2026-07-14T03:00:00Z"}, contact_name="Ann Example"
        ... )
        'SMS conversation with Ann Example on 2026-07-14'
    """
    kind = _SUBJECT_KINDS.get(_text(message.get("type")) or "SMS", "Messages with")
    who = contact_name or "unknown contact"
    created = message.get("creationTime")
    if not is_truthy(created):
        return f"{kind} {who}"
    day = format_date_time(created, timezone_offset=timezone_offset, date_format=DAY_FORMAT)
    return f"{kind} {who} on {day}"


def _verb(message: Mapping[str, Any]) -> str:
    kind = message.get("type")
    if kind == "VoiceMail":
        return "left a voicemail"
    if kind == "Fax":
        pages = message.get("faxPageCount")
        if is_truthy(pages):
            return f"sent a fax ({_text(pages)} page{'' if pages == 1 else 's'})"
        return "sent a fax"
    return "said"


def _links(media: MessageMedia | None) -> list[tuple[str, str]]:
    if media is None:
        return []
    candidates = (
        ("Voicemail recording", media.recording_link),
        ("Fax document", media.fax_doc_link),
        ("Image", media.image_link),
        ("Video", media.video_link),
    )
    return [(label, link) for label, link in candidates if isinstance(link, str) and link]


def compose_message_log_entry(
    message: Mapping[str, Any],
    *,
    log_format: LogFormat | str,
    contact_name: str = "",
    contact_number: str | None = None,
    timezone_offset: object = None,
    media: MessageMedia | None = None,
) -> str:
    """The entry of one message: sender, time, text, then its links.

    Args:
        message: the RingCentral message record (`from`, `type`, `subject`, `creationTime`, ...).
        log_format: the CRM's body format; anything but HTML or Markdown is plain text.
        contact_name: printed for an inbound sender whose name RingCentral does not know.
        contact_number: the contact's number, to recognise that sender.
        timezone_offset: the user's stored offset (read like the call-log composer reads it).
        media: the message's derived links (`message_media`); download links are never printed.

    Example:
        >>> compose_message_log_entry(
        ...     {"from": {"name": "Ann"}, "subject": "Hi", "creationTime": "2026-07-14T03:00:00Z"},
        ...     log_format="text/plain",
        ... )
        'Ann said on 2026-07-14 03:00 AM:\\nHi\\n\\n'
    """
    fmt = _format(log_format)
    sender_party = _mapping(message.get("from"))
    sender = (
        _party_name(sender_party, contact_name, contact_number) or _party_number(sender_party) or "Unknown"
    )
    if not sender_party and message.get("direction") == "Inbound" and contact_name:
        sender = contact_name
    stamp = format_date_time(
        message.get("creationTime"),
        timezone_offset=timezone_offset,
        date_format=ENTRY_TIME_FORMAT,
        mode=OffsetMode.CALL_LOG,
    )
    verb = _verb(message)
    text = _text(message.get("subject"))
    links = _links(media)
    if fmt is LogFormat.HTML:
        parts = [f"<p><b>{escape_html(sender)}</b> {verb} on {stamp}:"]
        if text:
            parts.append(f"<br>{escape_html(text)}")
        parts.extend(f'<br><a href="{escape_html(link)}">{label}</a>' for label, link in links)
        return "".join(parts) + "</p>"
    head = f"**{sender}**" if fmt is LogFormat.MARKDOWN else sender
    lines = [f"{head} {verb} on {stamp}:"]
    if text:
        lines.append(text)
    if fmt is LogFormat.MARKDOWN:
        lines.extend(f"[{label}]({link})" for label, link in links)
    else:
        lines.extend(f"{label}: {link}" for label, link in links)
    return "\n".join(lines) + "\n\n"


def _count_text(count: int) -> str:
    return f"Conversation ({count} message{'' if count == 1 else 's'})"


def compose_message_log(
    messages: Sequence[Mapping[str, Any]],
    *,
    log_format: LogFormat | str,
    contact_name: str = "",
    contact_number: str | None = None,
    timezone_offset: object = None,
    media: Mapping[str, MessageMedia] | None = None,
    subject: str | None = None,
) -> MessageLogContent:
    """A new message-log record holding `messages`, oldest first.

    Args:
        messages: the messages in the order they should appear.
        log_format: `text/plain`, `text/html` or `text/markdown` (anything else: plain text).
        contact_name: the CRM contact's name (subject, unnamed inbound senders).
        contact_number: the contact's number.
        timezone_offset: the user's stored offset.
        media: derived links by message id (`str(message["id"])`).
        subject: overrides the subject derived from the first message.

    Returns:
        The subject and the body; participants are every sender and recipient of the messages
        (all members of a group conversation), each once.

    Example:
        >>> content = compose_message_log(
        ...     [{"id": 1, "from": {"name": "Ann", "phoneNumber": "+1"}, "to": [{"phoneNumber": "+2"}],
        ...       "subject": "Hi", "creationTime": "2026-07-14T03:00:00Z"}],
        ...     log_format="text/plain", contact_name="Ann",
        ... )
        >>> print(content.body)
        Participants
        * Ann (+1)
        * +2
        <BLANKLINE>
        Conversation (1 message)
        BEGIN
        ------------
        Ann said on 2026-07-14 03:00 AM:
        Hi
        <BLANKLINE>
        ------------
        END
    """
    fmt = _format(log_format)
    participants: list[str] = []
    for message in messages:
        for party in _parties(message):
            label = _participant(party, contact_name, contact_number)
            if label not in participants:
                participants.append(label)
    entries = "".join(
        compose_message_log_entry(
            message,
            log_format=fmt,
            contact_name=contact_name,
            contact_number=contact_number,
            timezone_offset=timezone_offset,
            media=(media or {}).get(to_js_string(message.get("id"))),
        )
        for message in messages
    )
    heading = _count_text(len(messages))
    if subject is None:
        subject = (
            message_log_subject(messages[0], contact_name=contact_name, timezone_offset=timezone_offset)
            if messages
            else f"Messages with {contact_name or 'unknown contact'}"
        )
    if fmt is LogFormat.HTML:
        items = "".join(f"<li>{escape_html(name)}</li>" for name in participants)
        body = (
            f"<div><b>Participants</b><ul>{items}</ul></div>"
            f"<div><b>{heading}</b></div><div>BEGIN</div><hr>{entries}{_CLOSING[fmt]}"
        )
    elif fmt is LogFormat.MARKDOWN:
        items = "".join(f"* {name}\n" for name in participants)
        body = f"### Participants\n{items}\n### {heading}\n\n{entries}{_CLOSING[fmt]}"
    else:
        items = "".join(f"* {name}\n" for name in participants)
        body = f"Participants\n{items}\n{heading}\nBEGIN\n{_PLAIN_RULE}\n{entries}{_CLOSING[fmt]}"
    return MessageLogContent(subject=subject, body=body)


def add_message_log_entry(body: str, entry: str, *, log_format: LogFormat | str) -> str:
    """Add one entry to a body written by `compose_message_log`, keeping everything else.

    The entry goes right before the last closing marker (`END`), and the first
    `Conversation (N messages)` heading counts one more. A body without the marker (rewritten in
    the CRM) gets the entry at its end.

    Example:
        >>> body = compose_message_log([], log_format="text/plain").body
        >>> print(add_message_log_entry(body, "Ann said hi\\n\\n", log_format="text/plain"))
        Participants
        <BLANKLINE>
        Conversation (1 message)
        BEGIN
        ------------
        Ann said hi
        <BLANKLINE>
        ------------
        END
    """
    fmt = _format(log_format)
    closing = _CLOSING[fmt]
    at = body.rfind(closing)
    if at < 0:
        separator = "\n" if fmt is not LogFormat.HTML and body and not body.endswith("\n") else ""
        updated = f"{body}{separator}{entry}"
    else:
        updated = body[:at] + entry + body[at:]
    return _COUNT.sub(lambda match: _count_text(int(match.group(1)) + 1), updated, count=1)
