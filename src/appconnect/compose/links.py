"""Links in a call log: the call recording, the voicemail and the RingSense (ACE) recording.

Recordings usually arrive after the call was logged, first as a placeholder and later as a real
URL, so these items are typically updated several times (spec §6 P-2). HTML shows `(pending...)`
until the value starts with `http`; plain text and Markdown write the raw value.
"""

from __future__ import annotations

from ._js import is_truthy, to_js_string
from .formats import LogFormat
from .patterns import appending, line_lfs, link_value, no_lt_value, upsert_first, upsert_plain_no_lt_item

__all__ = ["upsert_call_recording", "upsert_ring_sense_link", "upsert_voicemail_recording"]


def _html_anchor(label: str, link: str) -> str:
    return f'<li><b>{label}</b>: <a target="_blank" href="{link}">open</a></li>'


def _recording(body: str, fmt: LogFormat, label: str, link: str) -> str:
    if fmt is LogFormat.PLAIN:
        text = f"- {label}: {link}\n"

        def add_on_new_line(old: str) -> str:
            return f"{old}\n{text}" if old and not old.endswith("\n") else old + text

        return upsert_first(body, line_lfs(f"- {label}: "), text, add_on_new_line)
    if fmt is LogFormat.HTML:
        text = (
            _html_anchor(label, link) if link.startswith("http") else f"<li><b>{label}</b>: (pending...)</li>"
        )

        def add_inside_list(old: str) -> str:
            # A CRM may wrap the details in <ul>; the new item then goes inside the first list.
            head, end_tag, tail = old.partition("</ul>")
            return f"{head}{text}{end_tag}{tail}" if end_tag else old + text

        return upsert_first(body, link_value(label), text, add_inside_list)
    text = f"**{label}**: {link}\n"
    return upsert_first(body, line_lfs(f"**{label}**: "), text, appending(text))


def upsert_call_recording(body: str, recording_link: object, *, log_format: str) -> str:
    """Write the call recording link.

    Example:
        >>> body = "<ul><li><b>Duration</b>: 2 minutes</li></ul>"
        >>> upsert_call_recording(body, "pending", log_format="text/html")
        '<ul><li><b>Duration</b>: 2 minutes</li><li><b>Call recording link</b>: (pending...)</li></ul>'
    """
    fmt = LogFormat(log_format)
    if not is_truthy(recording_link):
        return body
    return _recording(body, fmt, "Call recording link", to_js_string(recording_link))


def upsert_voicemail_recording(body: str, voicemail_link: object, *, log_format: str) -> str:
    """Write the voicemail recording link (same rules as the call recording).

    Example:
        >>> upsert_voicemail_recording("Left a message", "https://vm/1", log_format="text/plain")
        'Left a message\\n- Voicemail recording link: https://vm/1\\n'
    """
    fmt = LogFormat(log_format)
    if not is_truthy(voicemail_link):
        return body
    return _recording(body, fmt, "Voicemail recording link", to_js_string(voicemail_link))


def upsert_ring_sense_link(body: str, link: object, *, log_format: str) -> str:
    """Write the RingSense (ACE) recording link; HTML always writes an anchor, appended at the end.

    In Markdown the LF after a replaced link stays, so each update leaves one more blank line.

    Example:
        >>> body = "- ACE recording link: https://old\\n"
        >>> upsert_ring_sense_link(body, "https://new", log_format="text/plain")
        '- ACE recording link: https://new\\n'
    """
    fmt = LogFormat(log_format)
    if not is_truthy(link):
        return body
    url = to_js_string(link)
    if fmt is LogFormat.PLAIN:
        return upsert_plain_no_lt_item(body, "ACE recording link", url)
    if fmt is LogFormat.HTML:
        text = _html_anchor("ACE recording link", url)
        return upsert_first(body, link_value("ACE recording link"), text, appending(text))
    text = f"**ACE recording link**: {url}\n"
    return upsert_first(body, no_lt_value("**ACE recording link**:"), text, appending(text))
