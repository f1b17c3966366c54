"""Account data: Pipedrive's activity types, cached per company, and which one a log uses.

Why: every call or message log is a Pipedrive *activity* whose `type` must be the `key_string` of
an active activity type of the company ("call", "sms", or a custom one). Asking Pipedrive for the
list on every log would double the calls, so the list is account data (spec platform §6.5): one
registry entry (`ACCOUNT_DATA`, for `GET /accountData` and the admin's option lists) and a cache
that keeps it for a day per company and fetches it at most once at a time.

Resolution order, as the reference: the type the admin chose (setting `pipedriveCallActivityType`
or `pipedriveSMSActivityType`) if it still exists, refreshing the list once if it does not; else
the first type whose name contains the keyword (`call`, `sms`), refreshing once when none does;
else None, and the connector explains that an activity type is missing.

Example::

    cache = AccountDataCache()
    key = await resolve_activity_type(
        cache, account="acme.pipedrive.com", fetch=lambda: fetch_activity_types(api),
        configured=None, keyword="call",
    )   # -> "call"
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Final, TypedDict

from .api import PipedriveApi

__all__ = [
    "ACTIVITY_TYPES",
    "CALL_ACTIVITY_SETTING",
    "SMS_ACTIVITY_SETTING",
    "AccountDataCache",
    "ActivityType",
    "fetch_activity_types",
    "resolve_activity_type",
]

ACTIVITY_TYPES: Final = "activityTypes"
CALL_ACTIVITY_SETTING: Final = "pipedriveCallActivityType"
SMS_ACTIVITY_SETTING: Final = "pipedriveSMSActivityType"
DAY_SECONDS: Final = 24 * 3600.0


class ActivityType(TypedDict):
    """One option of the admin's activity-type list: `const` is Pipedrive's `key_string`."""

    const: str
    title: str


async def fetch_activity_types(api: PipedriveApi) -> list[ActivityType]:
    """The company's active activity types, in Pipedrive's order."""
    return [
        ActivityType(const=str(kind.get("key_string")), title=str(kind.get("name") or ""))
        for kind in await api.activity_types()
        if kind.get("active_flag") and kind.get("key_string")
    ]


@dataclass
class _Entry:
    value: Any = None
    fetched_at: float | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class AccountDataCache:
    """Values per (account, key), kept for `ttl_seconds`; concurrent misses share one fetch.

    In-process: each server process keeps its own copy, which is enough for data that changes a
    few times a year and is refreshed on demand when a configured value is missing from it.
    """

    def __init__(
        self, *, ttl_seconds: float = DAY_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl_seconds
        self._clock = clock
        self._entries: dict[tuple[str, str], _Entry] = {}

    def _fresh(self, entry: _Entry) -> bool:
        return entry.fetched_at is not None and self._clock() - entry.fetched_at <= self._ttl

    async def get(
        self,
        account: str,
        key: str,
        fetch: Callable[[], Awaitable[Any]],
        *,
        force_refresh: bool = False,
    ) -> Any:
        """The cached value, else (or when forced) a fresh one from `fetch`."""
        entry = self._entries.setdefault((account, key), _Entry())
        if not force_refresh and self._fresh(entry):
            return entry.value
        seen = entry.fetched_at
        async with entry.lock:
            if entry.fetched_at != seen and self._fresh(entry):
                return entry.value  # another request fetched it while we waited
            entry.value = await fetch()
            entry.fetched_at = self._clock()
            return entry.value

    def clear(self) -> None:
        self._entries.clear()


def _match(types: list[ActivityType], keyword: str) -> str | None:
    return next((kind["const"] for kind in types if keyword in kind["title"].lower()), None)


async def resolve_activity_type(
    cache: AccountDataCache,
    *,
    account: str,
    fetch: Callable[[], Awaitable[list[ActivityType]]],
    configured: str | None,
    keyword: str,
) -> str | None:
    """The `key_string` to log with (see the module docstring for the order), or None."""
    types: list[ActivityType] = await cache.get(account, ACTIVITY_TYPES, fetch)
    refreshed = False
    if configured:
        if any(kind["const"] == configured for kind in types):
            return configured
        types = await cache.get(account, ACTIVITY_TYPES, fetch, force_refresh=True)
        refreshed = True
        if any(kind["const"] == configured for kind in types):
            return configured
    matched = _match(types, keyword)
    if matched is None and not refreshed:  # the list may predate a new type; ask once, not twice
        types = await cache.get(account, ACTIVITY_TYPES, fetch, force_refresh=True)
        matched = _match(types, keyword)
    return matched
