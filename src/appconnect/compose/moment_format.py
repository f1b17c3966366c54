"""A moment.js-compatible `format()` for the English locale.

Users pick the Date/time layout of their call logs as a moment.js format string (setting
`logDateFormat`, default `YYYY-MM-DD hh:mm:ss A`), and the stored settings are shared with the
Node.js server. To print the same text for the same setting, this module follows moment's own
tokenizer: `[...]` escapes, `\\X` escapes, the long-date tokens (`L`, `LT`, ...), every token of
moment's table except locale week-day names in other languages, and its habit of dropping line
breaks from the format.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from ._js import JS_LINE_TERMINATORS, number_to_string

__all__ = ["INVALID_DATE", "MomentValue", "format_moment"]

INVALID_DATE: Final = "Invalid date"
"""What moment prints for a date it could not parse."""


@dataclass(frozen=True, slots=True)
class MomentValue:
    """A point in time as moment sees it when formatting.

    Attributes:
        wall: the wall-clock time to print (naive; already shifted by the offset).
        epoch_ms: the instant, in milliseconds since the Unix epoch (for `X` and `x`).
        offset_minutes: minutes east of UTC (for `Z` and `ZZ`).
        utc_mode: whether an explicit offset was set (moment's `z` then prints `UTC`).
    """

    wall: datetime
    epoch_ms: int
    offset_minutes: float = 0.0
    utc_mode: bool = False


_MONTHS: Final = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_WEEKDAYS: Final = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")

# moment's `formattingTokens`, including its `w[o|w]?` (which also accepts `w|`). Its `.` does not
# match line terminators, so those characters never reach the output.
_FORMATTING_TOKENS: Final = re.compile(
    r"(\[[^\[]*\])|(\\)?([Hh]mm(ss)?|Mo|MM?M?M?|Do|DDDo|DD?D?D?|ddd?d?|do?|w[o|w]?|W[o|W]?|Qo?"
    r"|N{1,5}|YYYYYY|YYYYY|YYYY|YY|y{2,4}|yo?|gg(ggg?)?|GG(GGG?)?|e|E|a|A|hh?|HH?|kk?|mm?|ss?"
    rf"|S{{1,9}}|x|X|zz?|ZZ?|[^{JS_LINE_TERMINATORS}])"
)
_LONG_DATE_TOKENS: Final = re.compile(r"(\[[^\[]*\])|(\\)?(LTS|LT|LL?L?L?|l{1,4})")
_LONG_DATE_FORMATS: Final = {
    "LTS": "h:mm:ss A",
    "LT": "h:mm A",
    "L": "MM/DD/YYYY",
    "LL": "MMMM D, YYYY",
    "LLL": "MMMM D, YYYY h:mm A",
    "LLLL": "dddd, MMMM D, YYYY h:mm A",
    "l": "M/D/YYYY",
    "ll": "MMM D, YYYY",
    "lll": "MMM D, YYYY h:mm A",
    "llll": "ddd, MMM D, YYYY h:mm A",
}


def _zero_fill(number: float, length: int, force_sign: bool = False) -> str:
    sign = "-" if number < 0 else ("+" if force_sign else "")
    return sign + number_to_string(abs(number)).rjust(length, "0")


def _ordinal(number: int) -> str:
    if (number % 100) // 10 == 1:
        return f"{number}th"
    return f"{number}" + {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")


def _days_before_year(year: int) -> int:
    y = year - 1
    return y * 365 + y // 4 - y // 100 + y // 400


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _first_week_offset(year: int, dow: int, doy: int) -> int:
    # moment's firstWeekOffset: January `fwd` always lies in week 1.
    fwd = 7 + dow - doy
    weekday_of_fwd = (_days_before_year(year) + fwd) % 7  # JavaScript getUTCDay: Sunday is 0
    return -((7 + weekday_of_fwd - dow) % 7) + fwd - 1


def _weeks_in_year(year: int, dow: int, doy: int) -> int:
    days = 366 if _is_leap(year) else 365
    return (days - _first_week_offset(year, dow, doy) + _first_week_offset(year + 1, dow, doy)) // 7


def _week_of_year(wall: datetime, dow: int, doy: int) -> tuple[int, int]:
    """Return (week, week-year); English locale weeks use dow=0, doy=6 and ISO weeks dow=1, doy=4."""
    year = wall.year
    week = (wall.timetuple().tm_yday - _first_week_offset(year, dow, doy) - 1) // 7 + 1
    if week < 1:
        return week + _weeks_in_year(year - 1, dow, doy), year - 1
    if week > _weeks_in_year(year, dow, doy):
        return week - _weeks_in_year(year, dow, doy), year + 1
    return week, year


def _js_weekday(wall: datetime) -> int:
    return (wall.weekday() + 1) % 7


def _hour12(m: MomentValue) -> int:
    return m.wall.hour % 12 or 12


def _offset(m: MomentValue, separator: str) -> str:
    total = m.offset_minutes
    sign = "-" if total < 0 else "+"
    whole = int(abs(total))  # moment truncates with `~~`
    return f"{sign}{whole // 60:02d}{separator}{whole % 60:02d}"


def _milliseconds(m: MomentValue) -> int:
    return m.wall.microsecond // 1000


def _fraction(digits: int) -> Callable[[MomentValue], str]:
    def render(m: MomentValue) -> str:
        value = (
            _milliseconds(m) * 10 ** (digits - 3) if digits >= 3 else _milliseconds(m) // 10 ** (3 - digits)
        )
        return str(value) if digits == 1 else _zero_fill(value, digits)

    return render


def _year_token(m: MomentValue) -> str:
    year = m.wall.year
    return _zero_fill(year, 4) if year <= 9999 else f"+{year}"


_TOKENS: Final[dict[str, Callable[[MomentValue], str]]] = {
    "M": lambda m: str(m.wall.month),
    "Mo": lambda m: _ordinal(m.wall.month),
    "MM": lambda m: f"{m.wall.month:02d}",
    "MMM": lambda m: _MONTHS[m.wall.month - 1][:3],
    "MMMM": lambda m: _MONTHS[m.wall.month - 1],
    "Q": lambda m: str((m.wall.month + 2) // 3),
    "Qo": lambda m: _ordinal((m.wall.month + 2) // 3),
    "D": lambda m: str(m.wall.day),
    "Do": lambda m: _ordinal(m.wall.day),
    "DD": lambda m: f"{m.wall.day:02d}",
    "DDD": lambda m: str(m.wall.timetuple().tm_yday),
    "DDDo": lambda m: _ordinal(m.wall.timetuple().tm_yday),
    "DDDD": lambda m: f"{m.wall.timetuple().tm_yday:03d}",
    "d": lambda m: str(_js_weekday(m.wall)),
    "do": lambda m: _ordinal(_js_weekday(m.wall)),
    "dd": lambda m: _WEEKDAYS[_js_weekday(m.wall)][:2],
    "ddd": lambda m: _WEEKDAYS[_js_weekday(m.wall)][:3],
    "dddd": lambda m: _WEEKDAYS[_js_weekday(m.wall)],
    "e": lambda m: str(_js_weekday(m.wall)),
    "E": lambda m: str(m.wall.isoweekday()),
    "w": lambda m: str(_week_of_year(m.wall, 0, 6)[0]),
    "wo": lambda m: _ordinal(_week_of_year(m.wall, 0, 6)[0]),
    "ww": lambda m: f"{_week_of_year(m.wall, 0, 6)[0]:02d}",
    "W": lambda m: str(_week_of_year(m.wall, 1, 4)[0]),
    "Wo": lambda m: _ordinal(_week_of_year(m.wall, 1, 4)[0]),
    "WW": lambda m: f"{_week_of_year(m.wall, 1, 4)[0]:02d}",
    "gg": lambda m: _zero_fill(_week_of_year(m.wall, 0, 6)[1] % 100, 2),
    "gggg": lambda m: _zero_fill(_week_of_year(m.wall, 0, 6)[1], 4),
    "ggggg": lambda m: _zero_fill(_week_of_year(m.wall, 0, 6)[1], 5),
    "GG": lambda m: _zero_fill(_week_of_year(m.wall, 1, 4)[1] % 100, 2),
    "GGGG": lambda m: _zero_fill(_week_of_year(m.wall, 1, 4)[1], 4),
    "GGGGG": lambda m: _zero_fill(_week_of_year(m.wall, 1, 4)[1], 5),
    "Y": _year_token,
    "YY": lambda m: f"{m.wall.year % 100:02d}",
    "YYYY": lambda m: _zero_fill(m.wall.year, 4),
    "YYYYY": lambda m: _zero_fill(m.wall.year, 5),
    "YYYYYY": lambda m: _zero_fill(m.wall.year, 6, force_sign=True),
    # Eras: every year we can represent is "AD", whose era year is the year itself.
    "N": lambda m: "AD",
    "NN": lambda m: "AD",
    "NNN": lambda m: "AD",
    "NNNN": lambda m: "Anno Domini",
    "NNNNN": lambda m: "AD",
    "y": lambda m: str(m.wall.year),
    "yo": lambda m: _ordinal(m.wall.year),
    "yy": lambda m: _zero_fill(m.wall.year, 2),
    "yyy": lambda m: _zero_fill(m.wall.year, 3),
    "yyyy": lambda m: _zero_fill(m.wall.year, 4),
    "H": lambda m: str(m.wall.hour),
    "HH": lambda m: f"{m.wall.hour:02d}",
    "h": lambda m: str(_hour12(m)),
    "hh": lambda m: f"{_hour12(m):02d}",
    "k": lambda m: str(m.wall.hour or 24),
    "kk": lambda m: f"{m.wall.hour or 24:02d}",
    "hmm": lambda m: f"{_hour12(m)}{m.wall.minute:02d}",
    "hmmss": lambda m: f"{_hour12(m)}{m.wall.minute:02d}{m.wall.second:02d}",
    "Hmm": lambda m: f"{m.wall.hour}{m.wall.minute:02d}",
    "Hmmss": lambda m: f"{m.wall.hour}{m.wall.minute:02d}{m.wall.second:02d}",
    "a": lambda m: "pm" if m.wall.hour > 11 else "am",
    "A": lambda m: "PM" if m.wall.hour > 11 else "AM",
    "m": lambda m: str(m.wall.minute),
    "mm": lambda m: f"{m.wall.minute:02d}",
    "s": lambda m: str(m.wall.second),
    "ss": lambda m: f"{m.wall.second:02d}",
    **{"S" * digits: _fraction(digits) for digits in range(1, 10)},
    "z": lambda m: "UTC" if m.utc_mode else "",
    "zz": lambda m: "Coordinated Universal Time" if m.utc_mode else "",  # moment's zoneName
    "Z": lambda m: _offset(m, ":"),
    "ZZ": lambda m: _offset(m, ""),
    "X": lambda m: str(m.epoch_ms // 1000),
    "x": lambda m: str(m.epoch_ms),
}


def _expand_long_date_formats(fmt: str) -> str:
    # moment expands up to five nested rounds; English long formats never nest, one round is enough.
    return _LONG_DATE_TOKENS.sub(lambda match: _LONG_DATE_FORMATS.get(match[0], match[0]), fmt)


def _literal(token: str) -> str:
    """moment's `removeFormattingTokens`: unwrap `[...]`, else drop backslashes."""
    if re.search(r"\[[\s\S]", token):
        return re.sub(r"^\[|\]\Z", "", token)
    return token.replace("\\", "")


def format_moment(value: MomentValue, fmt: str) -> str:
    """Format `value` with a moment.js format string, English locale.

    Args:
        value: the time to print.
        fmt: a moment format string such as `YYYY-MM-DD hh:mm:ss A`; `[text]` is literal.

    Returns:
        The formatted text.

    Example:
        >>> format_moment(MomentValue(datetime(2024, 1, 15, 10, 30), 0), "dddd, MMMM Do [at] h:mm a")
        'Monday, January 15th at 10:30 am'
    """
    pieces: list[str] = []
    for match in _FORMATTING_TOKENS.finditer(_expand_long_date_formats(fmt)):
        token = match[0]
        render = _TOKENS.get(token)
        pieces.append(render(value) if render is not None else _literal(token))
    return "".join(pieces)
