"""Multi-line call-log sections: AI note, transcripts, RingSense (ACE) summaries, call journey.

A section has a heading and free-form content that may span many lines. Plain text closes it with
an end marker (`--- END`, `--- JOURNEY END`), Markdown with the next `### ` heading, HTML with its
`</div>`. An update replaces the content of the first section with that heading.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ._js import is_truthy, to_js_string
from .formats import LogFormat
from .formatting import format_call_journey
from .patterns import appending, block_to, div_block, md_section, no_lt_value, upsert_first

__all__ = [
    "upsert_ai_note",
    "upsert_legs",
    "upsert_ring_sense_bulleted_summary",
    "upsert_ring_sense_summary",
    "upsert_ring_sense_transcript",
    "upsert_transcript",
]


@dataclass(frozen=True, slots=True)
class _Section:
    label: str
    strip_trailing_lfs: bool = False  # in every format
    strip_trailing_lfs_in_html: bool = False
    html_trailing_br: bool = False  # a fresh HTML section is followed by <br>
    plain_leading_lf: bool = True
    plain_end: str = "--- END"


_AI_NOTE = _Section("AI Note", strip_trailing_lfs=True, html_trailing_br=True)
_TRANSCRIPT = _Section("Transcript", html_trailing_br=True)
_ACE_TRANSCRIPT = _Section("ACE transcript", strip_trailing_lfs=True)
_ACE_SUMMARY = _Section("ACE summary", strip_trailing_lfs_in_html=True)
_ACE_BULLETS = _Section("ACE bulleted summary", strip_trailing_lfs_in_html=True)
_JOURNEY = _Section("Call journey", plain_leading_lf=False, plain_end="--- JOURNEY END")


def _line_breaks_to_br(text: str) -> str:
    return text.replace("\r\n", "<br>").replace("\r", "<br>").replace("\n", "<br>")


def _upsert_section(body: str, fmt: LogFormat, section: _Section, content: str) -> str:
    if section.strip_trailing_lfs or (fmt is LogFormat.HTML and section.strip_trailing_lfs_in_html):
        content = content.rstrip("\n")
    label = section.label
    if fmt is LogFormat.HTML:
        text = f"<div><b>{label}</b><br>{_line_breaks_to_br(content)}</div>"
        added = text + ("<br>" if section.html_trailing_br else "")
        return upsert_first(body, div_block(label), text, appending(added))
    if fmt is LogFormat.MARKDOWN:
        text = f"### {label}\n{content}\n"
        return upsert_first(body, md_section(label), text, appending(text))
    text = f"- {label}:\n{content}\n{section.plain_end}"
    added = ("\n" if section.plain_leading_lf else "") + text + "\n"
    if section is _ACE_BULLETS:
        # Quirk R-8, kept for byte compatibility: the old list is matched by its first line only,
        # so the rest of it and its `--- END` stay behind. To be fixed with a migration note.
        return upsert_first(body, no_lt_value("- ACE bulleted summary:"), text, appending(added))
    return upsert_first(body, block_to(f"- {label}:", section.plain_end), text, appending(added))


def _upsert_text(body: str, value: object, log_format: str, section: _Section) -> str:
    fmt = LogFormat(log_format)
    if not is_truthy(value):
        return body
    return _upsert_section(body, fmt, section, to_js_string(value))


def upsert_ai_note(body: str, ai_note: object, *, log_format: str) -> str:
    """Write the AI-generated note; trailing LFs are dropped.

    Example:
        >>> upsert_ai_note("", "Summary\\n\\n", log_format="text/plain")
        '\\n- AI Note:\\nSummary\\n--- END\\n'
    """
    return _upsert_text(body, ai_note, log_format, _AI_NOTE)


def upsert_transcript(body: str, transcript: object, *, log_format: str) -> str:
    """Write the call transcript, kept as given (HTML turns line breaks into `<br>`).

    Example:
        >>> upsert_transcript("", "A: Hi\\nB: Hello", log_format="text/html")
        '<div><b>Transcript</b><br>A: Hi<br>B: Hello</div><br>'
    """
    return _upsert_text(body, transcript, log_format, _TRANSCRIPT)


def upsert_ring_sense_transcript(body: str, transcript: object, *, log_format: str) -> str:
    """Write the RingSense (ACE) transcript; trailing LFs are dropped.

    Example:
        >>> upsert_ring_sense_transcript("", "RS\\n", log_format="text/markdown")
        '### ACE transcript\\nRS\\n'
    """
    return _upsert_text(body, transcript, log_format, _ACE_TRANSCRIPT)


def upsert_ring_sense_summary(body: str, summary: object, *, log_format: str) -> str:
    """Write the RingSense (ACE) summary; only HTML drops trailing LFs.

    Example:
        >>> body = "<div><b>ACE summary</b><br>Old</div>"
        >>> upsert_ring_sense_summary(body, "New\\n", log_format="text/html")
        '<div><b>ACE summary</b><br>New</div>'
    """
    return _upsert_text(body, summary, log_format, _ACE_SUMMARY)


def upsert_ring_sense_bulleted_summary(body: str, summary: object, *, log_format: str) -> str:
    """Write the RingSense (ACE) bulleted summary; only HTML drops trailing LFs.

    In plain text an update replaces only the first line of the old list (Quirk R-8).

    Example:
        >>> upsert_ring_sense_bulleted_summary("", "- A\\n- B", log_format="text/plain")
        '\\n- ACE bulleted summary:\\n- A\\n- B\\n--- END\\n'
    """
    return _upsert_text(body, summary, log_format, _ACE_BULLETS)


def upsert_legs(body: str, legs: Sequence[object] | None, *, log_format: str) -> str:
    """Write the call journey, one line per call leg (see `format_call_journey`).

    An empty or missing list of legs leaves the body unchanged.

    Example:
        >>> legs = [{"direction": "Outbound", "from": {"phoneNumber": "+1555"}}]
        >>> upsert_legs("", legs, log_format="text/plain")
        '- Call journey:\\nMade call from +1555\\n--- JOURNEY END\\n'
    """
    fmt = LogFormat(log_format)
    if not isinstance(legs, list | tuple) or not legs:
        return body
    return _upsert_section(body, fmt, _JOURNEY, format_call_journey(legs))
