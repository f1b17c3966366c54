"""Start times and user time-zone offsets, read the way the reference reads them.

The call log shows its start time in the user's zone. The zone arrives as the user's
`timezoneOffset` column, a string written by each connector in its own dialect (`+02:00`, `-5`,
`-300`), and the start time as an ISO string or epoch milliseconds. The reference hands both to
moment.js; this module reproduces what moment makes of them, including the two different offset
readings of the call-log and shared-SMS composers (spec §6 P-9), so both servers print the same
date for the same stored user.

A time without a zone, and "no offset", mean UTC here: the reference uses the server's local zone,
which is UTC on its hosts.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Final

from ._js import JS_WHITESPACE, is_truthy, to_js_string, to_number
from .moment_format import INVALID_DATE, MomentValue, format_moment

__all__ = [
    "DEFAULT_LOG_DATE_FORMAT",
    "OffsetMode",
    "format_date_time",
    "parse_offset",
    "parse_start_time",
]

DEFAULT_LOG_DATE_FORMAT: Final = "YYYY-MM-DD hh:mm:ss A"

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_JS_TIME_MS: Final = 8.64e15


class OffsetMode(StrEnum):
    """Which composer's reading of `user.timezoneOffset` to apply (spec §6 P-9)."""

    CALL_LOG = "call_log"
    """`"-4"` is hours, `"-300"` minutes, `"+05:30"` a fixed offset."""
    SHARED_SMS = "shared_sms"
    """Only `±HH:MM` / `±HHMM` strings and numbers count; `"-4"` and `"-300"` are ignored."""


# moment's matchShortOffset; with a `g` flag the reference takes the last match in the string.
_SHORT_OFFSET: Final = re.compile(r"Z|[+-]\d\d(?::?\d\d)?", re.IGNORECASE | re.ASCII)
_SHARED_SMS_OFFSET: Final = re.compile(r"([+-])(\d\d):?(\d\d)", re.ASCII)


def _offset_from_string(text: str) -> float | None:
    """moment's `offsetFromString`: minutes east of UTC from the last offset found in `text`."""
    matches = _SHORT_OFFSET.findall(text)
    if not matches:
        return None
    chunk = matches[-1]
    if chunk.upper() == "Z":
        return 0.0
    minutes = int(chunk[1:3]) * 60 + (int(chunk[-2:]) if len(chunk) > 3 else 0)
    return float(minutes if chunk[0] == "+" else -minutes)


def _hours_or_minutes(number: float) -> float | None:
    if math.isnan(number):
        return 0.0  # moment leaves the instant unshifted: UTC
    if math.isinf(number):
        return None  # the reference prints "Invalid date"; we keep UTC rather than fail
    return number * 60 if abs(number) < 16 else number


def parse_offset(value: object, mode: OffsetMode | str = OffsetMode.CALL_LOG) -> timedelta | None:
    """Read a user's `timezoneOffset` as the reference's composers do.

    Args:
        value: the stored offset, e.g. `"+05:30"`, `"-4"`, `"-300"`, `330` or `None`.
        mode: `OffsetMode.CALL_LOG` (numbers in strings count: `|n| < 16` is hours, else minutes)
            or `OffsetMode.SHARED_SMS` (strings count only as `±HH:MM` or `±HHMM`).

    Returns:
        The offset east of UTC, or `None` for "no offset" (print in UTC).

    Example:
        >>> parse_offset("-4"), parse_offset("-4", OffsetMode.SHARED_SMS)
        (datetime.timedelta(days=-1, seconds=72000), None)
    """
    if not is_truthy(value):
        return None
    minutes: float | None
    if OffsetMode(mode) is OffsetMode.SHARED_SMS and isinstance(value, str):
        # Decision: the spec accepts exactly `±HH:MM`/`±HHMM` here. moment would also find an
        # offset inside other text (`"-300"` as -30 h); shared-SMS bodies are rewritten whole, so
        # we take the spec's cleaner reading.
        match = _SHARED_SMS_OFFSET.fullmatch(value)
        if match is None:
            return None
        sign, hours, mins = match.groups()
        minutes = (int(hours) * 60 + int(mins)) * (-1 if sign == "-" else 1)
    elif isinstance(value, str) and ":" in value:
        minutes = _offset_from_string(value)
    else:
        minutes = _hours_or_minutes(to_number(value))
    return None if minutes is None else timedelta(minutes=minutes)


# moment's extended and basic ISO-8601 forms (configFromISO). Leading whitespace is allowed.
_WS: Final = f"[{JS_WHITESPACE}]"
_ISO_EXTENDED: Final = re.compile(
    rf"{_WS}*(?P<date>\d{{4}}-(?:\d\d-\d\d|W\d\d-\d|W\d\d|\d\d\d|\d\d))"
    rf"(?:[T ](?P<time>\d\d(?::\d\d(?::\d\d(?:[.,]\d+)?)?)?)(?P<tz>[+-]\d\d(?::?\d\d)?|{_WS}*Z)?)?",
    re.ASCII,
)
_ISO_BASIC: Final = re.compile(
    rf"{_WS}*(?P<date>\d{{4}}(?:\d\d\d\d|W\d\d\d|W\d\d|\d\d\d|\d\d|))"
    rf"(?:[T ](?P<time>\d\d(?:\d\d(?:\d\d(?:[.,]\d+)?)?)?)(?P<tz>[+-]\d\d(?::?\d\d)?|{_WS}*Z)?)?",
    re.ASCII,
)
_DATE_FORMS: Final = (
    (re.compile(r"(\d{4})-?(\d\d)-?(\d\d)", re.ASCII), "calendar", True),
    (re.compile(r"(\d{4})-?W(\d\d)-?(\d)", re.ASCII), "week", True),
    (re.compile(r"(\d{4})-?W(\d\d)", re.ASCII), "week", False),
    (re.compile(r"(\d{4})-?(\d{3})", re.ASCII), "ordinal", True),
    (re.compile(r"(\d{4})-?(\d\d)", re.ASCII), "month", False),
    (re.compile(r"(\d{4})", re.ASCII), "year", False),
)
_RFC_2822: Final = re.compile(
    rf"(?:(Mon|Tue|Wed|Thu|Fri|Sat|Sun),?{_WS})?(\d{{1,2}}){_WS}(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
    rf"{_WS}(\d{{2,4}}){_WS}(\d\d):(\d\d)(?::(\d\d))?{_WS}(?:(UT|GMT|[ECMP][SD]T)|([Zz])|([+-]\d{{4}}))",
    re.ASCII,
)
_RFC_2822_ZONES: Final = {
    "UT": 0,
    "GMT": 0,
    "EDT": -240,
    "EST": -300,
    "CDT": -300,
    "CST": -360,
    "MDT": -360,
    "MST": -420,
    "PDT": -420,
    "PST": -480,
}
_MONTH_ABBRS: Final = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DAY_ABBRS: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _iso_date(text: str, has_time: bool) -> date | None:
    for pattern, kind, allows_time in _DATE_FORMS:
        match = pattern.fullmatch(text)
        if match is None:
            continue
        if has_time and not allows_time:
            return None
        parts = [int(part) for part in match.groups()]
        try:
            if kind == "calendar":
                return date(parts[0], parts[1], parts[2])
            if kind == "week":
                return date.fromisocalendar(parts[0], parts[1], parts[2] if len(parts) > 2 else 1)
            if kind == "ordinal":
                if not 1 <= parts[1] <= (date(parts[0], 12, 31) - date(parts[0], 1, 1)).days + 1:
                    return None
                return date(parts[0], 1, 1) + timedelta(days=parts[1] - 1)
            return date(parts[0], parts[1] if kind == "month" else 1, 1)
        except ValueError:
            return None
    return None


def _iso_time(text: str) -> timedelta | None:
    digits, _, fraction = text.replace(",", ".").partition(".")
    digits = digits.replace(":", "")
    hour, minute, second = (int(digits[i : i + 2] or 0) for i in (0, 2, 4))
    millisecond = int(float(f"0.{fraction}") * 1000) if fraction else 0
    if hour == 24 and minute == second == millisecond == 0:
        return timedelta(days=1)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return timedelta(hours=hour, minutes=minute, seconds=second, milliseconds=millisecond)


def _parse_iso(text: str) -> datetime | None:
    match = _ISO_EXTENDED.fullmatch(text) or _ISO_BASIC.fullmatch(text)
    if match is None:
        return None
    day = _iso_date(match["date"], match["time"] is not None)
    clock = timedelta() if match["time"] is None else _iso_time(match["time"])
    if day is None or clock is None:
        return None
    offset = 0.0 if match["tz"] is None else _offset_from_string(match["tz"].strip(JS_WHITESPACE)) or 0.0
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + clock - timedelta(minutes=offset)


def _parse_rfc_2822(text: str) -> datetime | None:
    cleaned = re.sub(r"\([^()]*\)|[\n\t]", " ", text)
    cleaned = re.sub(f"{_WS}{_WS}+", " ", cleaned).strip(JS_WHITESPACE)
    match = _RFC_2822.fullmatch(cleaned)
    if match is None:
        return None
    weekday, day, month, year_text, hour, minute, second, named, military, numeric = match.groups()
    year = int(year_text)
    year = 2000 + year if year <= 49 else 1900 + year if year <= 999 else year
    # Like JavaScript's Date.UTC, out-of-range days and hours roll over instead of failing.
    day_start = datetime(year, _MONTH_ABBRS.index(month) + 1, 1, tzinfo=UTC) + timedelta(days=int(day) - 1)
    if weekday and _DAY_ABBRS[day_start.weekday()] != weekday:
        return None
    moment = day_start + timedelta(hours=int(hour), minutes=int(minute), seconds=int(second or 0))
    if named:
        zone = _RFC_2822_ZONES[named]
    elif military:
        zone = 0
    else:
        hhmm = int(numeric)
        zone = int(math.copysign(abs(hhmm) // 100 * 60 + abs(hhmm) % 100, hhmm))
    return moment - timedelta(minutes=zone)


def parse_start_time(value: object) -> datetime | None:
    """Read a call start time as `moment(value)` does, as an aware UTC datetime.

    Accepts an ISO-8601 string (a missing zone means UTC), an RFC 2822 string, epoch milliseconds
    or a `datetime` (naive means UTC). Returns `None` where moment would give "Invalid date";
    that includes other strings, which the reference passes on to JavaScript's lenient `Date`.

    Example:
        >>> parse_start_time("2024-01-15T10:30:00+05:00")
        datetime.datetime(2024, 1, 15, 5, 30, tzinfo=datetime.timezone.utc)
    """
    try:
        if isinstance(value, datetime):
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        if isinstance(value, int | float) and not isinstance(value, bool):
            if not math.isfinite(value) or abs(value) > _MAX_JS_TIME_MS:
                return None
            return _EPOCH + timedelta(milliseconds=int(value))
        if isinstance(value, str):
            return _parse_iso(value) or _parse_rfc_2822(value)
    except (OverflowError, ValueError):  # outside Python's years 1..9999
        return None
    return None


def format_date_time(
    start_time: object,
    *,
    timezone_offset: object = None,
    date_format: object = DEFAULT_LOG_DATE_FORMAT,
    mode: OffsetMode | str = OffsetMode.CALL_LOG,
) -> str:
    """Print a start time in the user's zone with a moment.js format.

    Args:
        start_time: ISO-8601 string, epoch milliseconds or `datetime`.
        timezone_offset: the user's stored `timezoneOffset` (see `parse_offset`).
        date_format: moment format string; a falsy value means `YYYY-MM-DD hh:mm:ss A`.
        mode: which composer's offset reading to use.

    Returns:
        The formatted time, or `Invalid date` when the start time cannot be read.

    Example:
        >>> format_date_time("2023-01-01T12:00:00Z", timezone_offset="-4")
        '2023-01-01 08:00:00 AM'
    """
    instant = parse_start_time(start_time)
    if instant is None:
        return INVALID_DATE
    offset = parse_offset(timezone_offset, mode)
    try:
        wall = (instant + (offset or timedelta())).replace(tzinfo=None)
    except OverflowError:
        return INVALID_DATE
    epoch_ms = (instant - _EPOCH) // timedelta(milliseconds=1)
    moment = MomentValue(
        wall=wall,
        epoch_ms=epoch_ms,
        offset_minutes=0.0 if offset is None else offset / timedelta(minutes=1),
        utc_mode=offset is not None,
    )
    fmt = to_js_string(date_format) if is_truthy(date_format) else DEFAULT_LOG_DATE_FORMAT
    return format_moment(moment, fmt)
