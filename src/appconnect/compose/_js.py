"""JavaScript value rules that the reference composer's output depends on.

The Node.js reference decides with JavaScript truthiness, converts with `Number()` and prints
with template literals (`String()`). Call-log bodies must stay byte-identical between the two
servers, so those three rules are ported once, here, rather than approximated with Python's own
`bool`, `float` and `str` at every call site.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from decimal import Decimal
from enum import Enum
from typing import Final, Literal

__all__ = [
    "JS_LINE_TERMINATORS",
    "JS_WHITESPACE",
    "UNSET",
    "Unset",
    "is_truthy",
    "js_trim",
    "number_to_string",
    "to_js_string",
    "to_number",
]


class _UnsetType(Enum):
    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _UnsetType.UNSET
"""JavaScript `undefined`: a value that was absent, as opposed to `None` (JSON `null`)."""

Unset = Literal[_UnsetType.UNSET]

# JavaScript's `\s` and `String.prototype.trim` set: WhiteSpace plus LineTerminator. Python's own
# whitespace set differs (it has U+001C..U+001F and U+0085, and lacks U+FEFF).
JS_WHITESPACE: Final = (
    "\t\n\x0b\x0c\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
# The characters JavaScript's `.` refuses and multiline `^`/`$` treat as line ends.
JS_LINE_TERMINATORS: Final = "\n\r\u2028\u2029"

_DECIMAL_LITERAL = re.compile(r"[+-]?(?:Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)")
_RADIX_LITERAL = re.compile(r"0(?:[xX](?P<hex>[0-9a-fA-F]+)|[oO](?P<oct>[0-7]+)|[bB](?P<bin>[01]+))")


def is_truthy(value: object) -> bool:
    """Return JavaScript truthiness: `None`, UNSET, `False`, `0`, `NaN` and `""` are falsy.

    Unlike Python, `"0"`, `[]` and `{}` are truthy.
    """
    if value is None or value is UNSET:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value == value and value != 0  # NaN != NaN
    if isinstance(value, str):
        return value != ""
    return True


def to_number(value: object) -> float:
    """Convert like JavaScript's `Number(value)`; returns `nan` where JavaScript gives `NaN`."""
    if value is UNSET:
        return math.nan
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int):
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
    if isinstance(value, float):
        return value
    if isinstance(value, str):
        return _string_to_number(value)
    if isinstance(value, list | tuple):
        # Number([]) is 0, Number([x]) is Number(String(x)), anything longer is NaN.
        if len(value) > 1:
            return math.nan
        return _string_to_number(to_js_string(value))
    return math.nan


def _string_to_number(text: str) -> float:
    text = text.strip(JS_WHITESPACE)
    if text == "":
        return 0.0
    radix = _RADIX_LITERAL.fullmatch(text)
    if radix is not None:
        digits, base = next((d, b) for d, b in zip(radix.groups(), (16, 8, 2), strict=True) if d)
        try:
            return float(int(digits, base))
        except OverflowError:
            return math.inf
    if _DECIMAL_LITERAL.fullmatch(text) is None:
        return math.nan
    if text.endswith("Infinity"):
        return -math.inf if text.startswith("-") else math.inf
    return float(text)


def number_to_string(number: float) -> str:
    """Print a number the way JavaScript's `String(number)` does (`2`, `1.5`, `1e+21`, `1e-7`)."""
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    if number == 0:
        return "0"
    sign = "-" if number < 0 else ""
    # repr() gives the shortest round-tripping digits, as ECMAScript's Number::toString requires.
    _, digit_tuple, exponent = Decimal(repr(abs(number))).as_tuple()
    digits = "".join(map(str, digit_tuple)).rstrip("0")
    assert isinstance(exponent, int)  # finite numbers only
    exponent += len(digit_tuple) - len(digits)
    k = len(digits)
    n = exponent + k  # the decimal point sits after n digits
    if k <= n <= 21:
        body = digits + "0" * (n - k)
    elif 0 < n <= 21:
        body = f"{digits[:n]}.{digits[n:]}"
    elif -6 < n <= 0:
        body = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        mantissa = digits if k == 1 else f"{digits[0]}.{digits[1:]}"
        body = f"{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"
    return sign + body


def to_js_string(value: object) -> str:
    """Print a value the way a JavaScript template literal does.

    `None` prints `null`, UNSET prints `undefined`, booleans print `true`/`false`, numbers follow
    `number_to_string`, lists join their items with `,`, and mappings print `[object Object]`.
    """
    if isinstance(value, str):
        return value
    if value is UNSET:
        return "undefined"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if abs(value) < 2**53 else number_to_string(to_number(value))
    if isinstance(value, float):
        return number_to_string(value)
    if isinstance(value, list | tuple):
        return ",".join("" if item is None or item is UNSET else to_js_string(item) for item in value)
    if isinstance(value, Mapping):
        return "[object Object]"
    return str(value)


def js_trim(text: str) -> str:
    """Strip JavaScript whitespace from both ends, like `String.prototype.trim`."""
    return text.strip(JS_WHITESPACE)
