"""Rate-limit headers: ``Retry-After`` and the ``x-ratelimit-*`` family.

``x-ratelimit-reset`` is ambiguous across CRMs: Pipedrive sends *seconds until the window resets*,
others (GitHub-style) send a Unix timestamp.  Values above ~2001-09-09 (1e9) are read as a Unix
timestamp (above 1e12 as milliseconds), anything smaller as a number of seconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx

__all__ = ["RateLimitInfo", "parse_reset", "parse_retry_after", "rate_limit_info"]

_EPOCH_SECONDS_THRESHOLD = 1e9
_EPOCH_MILLIS_THRESHOLD = 1e12


@dataclass(frozen=True, slots=True)
class RateLimitInfo:
    """What a CRM said about its rate limit on one response (any field may be missing)."""

    limit: int | None
    remaining: int | None
    reset_after: float | None
    """Seconds from the response until the window resets."""
    reset_at: datetime | None
    """When the window resets (aware, UTC)."""


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    if number != number or number in (float("inf"), float("-inf")):  # NaN / infinities
        return None
    return number


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


def parse_reset(value: str | None, *, now: datetime | None = None) -> tuple[float, datetime] | None:
    """Parse an ``x-ratelimit-reset`` value into ``(seconds_until_reset, reset_at)``."""
    number = _number(value)
    if number is None or number < 0:
        return None
    current = _now(now)
    if number >= _EPOCH_SECONDS_THRESHOLD:
        epoch = number / 1000 if number >= _EPOCH_MILLIS_THRESHOLD else number
        reset_at = datetime.fromtimestamp(epoch, UTC)
        return max(0.0, (reset_at - current).total_seconds()), reset_at
    return number, current + timedelta(seconds=number)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> tuple[float, datetime] | None:
    """Parse ``Retry-After`` (delta-seconds or an HTTP date) into ``(seconds, at)``."""
    if value is None or not value.strip():
        return None
    current = _now(now)
    number = _number(value)
    if number is not None:
        seconds = max(0.0, number)
        return seconds, current + timedelta(seconds=seconds)
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - current).total_seconds()), when.astimezone(UTC)


def _int(value: str | None) -> int | None:
    number = _number(value)
    return int(number) if number is not None else None


def rate_limit_info_from_headers(
    headers: Mapping[str, str], *, now: datetime | None = None
) -> RateLimitInfo | None:
    """Like :func:`rate_limit_info` for a bare header mapping (case-insensitive lookups expected)."""
    limit = _int(headers.get("x-ratelimit-limit"))
    remaining = _int(headers.get("x-ratelimit-remaining"))
    reset = parse_reset(headers.get("x-ratelimit-reset"), now=now)
    if limit is None and remaining is None and reset is None:
        return None
    return RateLimitInfo(
        limit=limit,
        remaining=remaining,
        reset_after=reset[0] if reset else None,
        reset_at=reset[1] if reset else None,
    )


def rate_limit_info(response: httpx.Response, *, now: datetime | None = None) -> RateLimitInfo | None:
    """Read ``x-ratelimit-limit`` / ``-remaining`` / ``-reset``; None when the CRM sent none of them."""
    return rate_limit_info_from_headers(response.headers, now=now)
