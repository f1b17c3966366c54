"""Human-readable values for call-log items: durations and the call journey.

These texts end up in CRM notes and are later found again by the upsert rules, so they follow
the reference's wording and its JavaScript arithmetic exactly (spec §3.2).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from ._js import UNSET, is_truthy, number_to_string, to_js_string, to_number

__all__ = ["format_call_journey", "format_duration", "format_party"]


def _floor(number: float) -> float:
    return number if not math.isfinite(number) else float(math.floor(number))


def _remainder(dividend: float, divisor: float) -> float:
    """JavaScript `%`: the sign follows the dividend (Python's `%` follows the divisor)."""
    if not math.isfinite(dividend) or math.isnan(divisor):
        return math.nan
    return math.fmod(dividend, divisor)


def _part(amount: float, singular: str) -> str:
    if not amount > 0:  # also drops NaN
        return ""
    # The reference writes hours and minutes (whole numbers) in the plural above 1, and seconds in
    # the plural unless exactly 1, so 60.5 prints "1 minute, 0.5 seconds".
    plural = amount != 1 if singular == "second" else amount > 1
    return f"{number_to_string(amount)} {singular}{'s' if plural else ''}"


def format_duration(seconds: object) -> str:
    """Spell out a call duration in seconds, e.g. `1 hour, 1 minute, 1 second`.

    Numeric strings count as numbers and `None` as 0; a value that is not a number (`"pending"`)
    is printed unchanged. Negative durations print `0 seconds`.

    Example:
        >>> format_duration(3661), format_duration("75"), format_duration(None), format_duration("pending")
        ('1 hour, 1 minute, 1 second', '1 minute, 15 seconds', '0 seconds', 'pending')
    """
    number = to_number(seconds)
    if math.isnan(number):
        return to_js_string(seconds)
    hours = _floor(number / 3600)
    minutes = _floor(_remainder(number, 3600) / 60)
    rest = _remainder(number, 60)
    parts = [_part(hours, "hour"), _part(minutes, "minute"), _part(rest, "second")]
    return ", ".join(part for part in parts if part) or "0 seconds"


def format_party(party: object) -> str:
    """Describe one side of a call leg: `Name, +1555, ext 101`, `+1555`, `ext 101` or `""`.

    A name alone is not shown: without a number or an extension the text is empty.
    """
    info: Mapping[str, object] = party if isinstance(party, Mapping) else {}
    phone, extension, name = info.get("phoneNumber"), info.get("extensionNumber"), info.get("name")
    if is_truthy(phone) and is_truthy(extension):
        number = f"{to_js_string(phone)}, ext {to_js_string(extension)}"
    elif is_truthy(phone):
        number = to_js_string(phone)
    elif is_truthy(extension):
        number = f"ext {to_js_string(extension)}"
    else:
        return ""
    return f"{to_js_string(name)}, {number}" if is_truthy(name) else number


def _leg_line(index: int, leg: Mapping[str, object]) -> str:
    outbound = leg.get("direction") == "Outbound"
    if index == 0:
        return (
            f"Made call from {format_party(leg.get('from'))}"
            if outbound
            else (f"Received call at {format_party(leg.get('to'))}")
        )
    transferred_to = leg.get("from") if outbound and leg.get("legType") != "PstnToSip" else leg.get("to")
    duration = leg.get("duration", UNSET)
    plural = "s" if to_number(duration) > 1 else ""
    return f"Transferred to {format_party(transferred_to)}, duration: {to_js_string(duration)} second{plural}"


def format_call_journey(legs: Sequence[object]) -> str:
    """Describe the legs of a call, one line per leg (the "Call journey" item).

    Args:
        legs: RingCentral call legs as mappings with camelCase keys (`direction`, `legType`,
            `from`, `to`, `duration`).

    Example:
        >>> format_call_journey([
        ...     {"direction": "Inbound", "to": {"name": "Desk", "phoneNumber": "+1555"}},
        ...     {"direction": "Inbound", "to": {"extensionNumber": "7"}, "duration": 1},
        ... ])
        'Received call at Desk, +1555\\nTransferred to ext 7, duration: 1 second'
    """
    return "\n".join(
        _leg_line(index, leg if isinstance(leg, Mapping) else {}) for index, leg in enumerate(legs)
    )
