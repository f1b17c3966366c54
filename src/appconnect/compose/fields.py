"""One-line call details: session id, RingCentral user, subject, contact, date, duration, result, score.

Each detail is one labelled line (plain `- Label: value`, Markdown `**Label**: value`) or one
HTML `<li>`. An update rewrites the first line that carries the label and leaves every other
line alone; a line that is missing is added at the end.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from ._js import JS_LINE_TERMINATORS, UNSET, is_truthy, js_trim, to_js_string
from .dates import DEFAULT_LOG_DATE_FORMAT, format_date_time
from .formats import LogFormat
from .formatting import format_duration
from .patterns import appending, dash_free, li_value, line_lfs, upsert_first, upsert_plain_no_lt_item

__all__ = [
    "upsert_call_date_time",
    "upsert_call_duration",
    "upsert_call_result",
    "upsert_call_session_id",
    "upsert_call_subject",
    "upsert_contact_phone_number",
    "upsert_rc_number_and_extension",
    "upsert_rc_user_name",
    "upsert_ring_sense_ai_score",
]

_PENDING: Final = "(pending...)"
# The one rule anchored to a line start; JavaScript's multiline `^` also starts lines after CR,
# U+2028 and U+2029, and its `.` stops there.
_PLAIN_DATE_TIME: Final = re.compile(
    rf"(?:\A|(?<=[{JS_LINE_TERMINATORS}]))- Date/Time:[^{JS_LINE_TERMINATORS}]*"
)


def _plain_line(body: str, label: str, value: str) -> str:
    """`- Label: value` LF, matched with the LFs after it."""
    text = f"- {label}: {value}\n"
    return upsert_first(body, line_lfs(f"- {label}: "), text, appending(text))


def _plain_dash_free(body: str, label: str, value: str, *, replaced_suffix: str = "") -> str:
    """`- Label: value`, matched only when the old value has no `-` (Quirk R-9); no LF added."""
    anchor = f"- {label}: "
    return upsert_first(
        body, dash_free(anchor), f"{anchor}{value}{replaced_suffix}", appending(f"{anchor}{value}\n")
    )


def _plain_contact_number(body: str, label: str, value: str) -> str:
    # Quirk R-7, kept: every replacement adds an LF, leaving one more blank line.
    return _plain_dash_free(body, label, value, replaced_suffix="\n")


def _plain_date_time(body: str, label: str, value: str) -> str:
    return upsert_first(body, _PLAIN_DATE_TIME, f"- {label}: {value}", appending(f"- {label}: {value}\n"))


def _html_li(body: str, label: str, value: str) -> str:
    text = f"<li><b>{label}</b>: {value}</li>"
    return upsert_first(body, li_value(label), text, appending(text))


def _md_line(body: str, label: str, value: str, *, ignore_case: bool = False) -> str:
    anchor = f"**{label}**: "
    text = f"{anchor}{value}\n"
    return upsert_first(body, line_lfs(anchor, ignore_case=ignore_case), text, appending(text))


def _detail(
    body: str,
    fmt: LogFormat,
    label: str,
    value: str,
    *,
    plain: Callable[[str, str, str], str] = _plain_line,
    html_label: str | None = None,
    md_ignore_case: bool = False,
) -> str:
    """Upsert one labelled detail in the rule each format uses for it."""
    if fmt is LogFormat.PLAIN:
        return plain(body, label, value)
    if fmt is LogFormat.HTML:
        return _html_li(body, html_label or label, value)
    return _md_line(body, label, value, ignore_case=md_ignore_case)


def upsert_call_session_id(body: str, session_id: object, *, log_format: str) -> str:
    """Write the RingCentral session id (`- Session Id: …`).

    Example:
        >>> upsert_call_session_id("", "42", log_format="text/html")
        '<li><b>Session Id</b>: 42</li>'
    """
    fmt = LogFormat(log_format)
    if not is_truthy(session_id):
        return body
    return _detail(body, fmt, "Session Id", to_js_string(session_id))


def upsert_call_subject(body: str, subject: object, *, log_format: str) -> str:
    """Write the call subject, labelled `Summary`.

    Example:
        >>> upsert_call_subject("- Summary: old\\n", "Call with Ann", log_format="text/plain")
        '- Summary: Call with Ann\\n'
    """
    fmt = LogFormat(log_format)
    if not is_truthy(subject):
        return body
    return _detail(body, fmt, "Summary", to_js_string(subject))


def upsert_rc_user_name(body: str, user_name: object, *, log_format: str) -> str:
    """Add the RingCentral user's name; an existing name is replaced only if it is `(pending...)`.

    Example:
        >>> upsert_rc_user_name("- RingCentral user name: Ann\\n", "Bob", log_format="text/plain")
        '- RingCentral user name: Ann\\n'
    """
    fmt = LogFormat(log_format)
    if not is_truthy(user_name):
        return body
    name = to_js_string(user_name)
    if fmt is LogFormat.PLAIN:
        pattern, text = line_lfs("- RingCentral user name: "), f"- RingCentral user name: {name}\n"
    elif fmt is LogFormat.HTML:
        pattern, text = li_value("RingCentral user name"), f"<li><b>RingCentral user name</b>: {name}</li>"
    else:
        pattern = line_lfs("**RingCentral user name**: ", ignore_case=True)
        text = f"**RingCentral user name**: {name}\n"
    match = pattern.search(body)
    if match is None:
        return body + text
    if js_trim(match["value"]) != _PENDING:
        return body
    return body[: match.start()] + text + body[match.end() :]


def upsert_rc_number_and_extension(
    body: str, number: object, *, extension: object = "", log_format: str
) -> str:
    """Write the RingCentral number and extension as `<number> <extension>`.

    The text keeps a trailing space when the extension is empty, as the reference writes it.

    Example:
        >>> upsert_rc_number_and_extension("", "+1555", extension="101", log_format="text/markdown")
        '**RingCentral number and extension**: +1555 101\\n'
    """
    fmt = LogFormat(log_format)
    if not is_truthy(number) and not is_truthy(extension):
        return body
    value = f"{to_js_string(number)} {to_js_string(extension)}"
    return _detail(body, fmt, "RingCentral number and extension", value, md_ignore_case=True)


def upsert_contact_phone_number(
    body: str, phone_number: object, *, log_format: str, direction: object = None
) -> str:
    """Write the contact's phone number.

    HTML labels it `Recipient phone number` for outbound calls and `Caller phone number` otherwise;
    plain text and Markdown say `Contact Number`. A plain replacement adds an LF each time, and a
    plain number containing `-` is not recognised, so a second line is added (Quirks R-7, R-9).

    Example:
        >>> upsert_contact_phone_number("", "+1555", log_format="text/html", direction="Outbound")
        '<li><b>Recipient phone number</b>: +1555</li>'
    """
    fmt = LogFormat(log_format)
    if not is_truthy(phone_number):
        return body
    html_label = f"{'Recipient' if direction == 'Outbound' else 'Caller'} phone number"
    return _detail(
        body,
        fmt,
        "Contact Number",
        to_js_string(phone_number),
        plain=_plain_contact_number,
        html_label=html_label,
    )


def upsert_call_date_time(
    body: str,
    start_time: object,
    *,
    log_format: str,
    timezone_offset: object = None,
    log_date_format: object = DEFAULT_LOG_DATE_FORMAT,
) -> str:
    """Write the call's start time in the user's zone (`Date/Time`; HTML says `Date/time`).

    Args:
        body: the current call-log body.
        start_time: ISO-8601 string, epoch milliseconds or `datetime`; falsy leaves the body as is.
        log_format: `text/plain`, `text/html` or `text/markdown`.
        timezone_offset: the user's stored `timezoneOffset` (see `parse_offset`).
        log_date_format: moment.js format; falsy means `YYYY-MM-DD hh:mm:ss A`.

    Example:
        >>> upsert_call_date_time(
        ...     "", "2023-01-01T12:00:00Z", log_format="text/html", timezone_offset="+05:30"
        ... )
        '<li><b>Date/time</b>: 2023-01-01 05:30:00 PM</li>'
    """
    fmt = LogFormat(log_format)
    if not is_truthy(start_time):
        return body
    when = format_date_time(start_time, timezone_offset=timezone_offset, date_format=log_date_format)
    return _detail(body, fmt, "Date/Time", when, plain=_plain_date_time, html_label="Date/time")


def upsert_call_duration(body: str, duration: object, *, log_format: str) -> str:
    """Write the call duration in words; `None` and `0` write `0 seconds`, only UNSET skips.

    Example:
        >>> upsert_call_duration("- Duration: 30 seconds\\n", 90, log_format="text/plain")
        '- Duration: 1 minute, 30 seconds\\n'
    """
    fmt = LogFormat(log_format)
    if duration is UNSET:
        return body
    return _detail(body, fmt, "Duration", format_duration(duration), plain=_plain_dash_free)


def upsert_call_result(body: str, result: object, *, log_format: str) -> str:
    """Write the call result, e.g. `Call connected`.

    A plain result containing `-` is not recognised on update, so a second line is added (R-9).

    Example:
        >>> upsert_call_result("<li><b>Result</b>: Missed</li>", "Answered", log_format="text/html")
        '<li><b>Result</b>: Answered</li>'
    """
    fmt = LogFormat(log_format)
    if not is_truthy(result):
        return body
    return _detail(body, fmt, "Result", to_js_string(result), plain=_plain_dash_free)


def upsert_ring_sense_ai_score(body: str, score: object, *, log_format: str) -> str:
    """Write the RingSense (ACE) call score.

    Example:
        >>> upsert_ring_sense_ai_score("- Call score: 60\\n", "88", log_format="text/plain")
        '- Call score: 88\\n'
    """
    fmt = LogFormat(log_format)
    if not is_truthy(score):
        return body
    return _detail(body, fmt, "Call score", to_js_string(score), plain=upsert_plain_no_lt_item)
