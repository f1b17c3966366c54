"""The account data a connector reads (`AccountData` of its inputs), kept in the database per account.

Values live in the `account_data` table per RingCentral account and platform, so every worker and
every user of the account reads one copy. A value older than its source's `ttl_seconds`, or a
forced read, is fetched from the CRM again; a failed fetch serves the stored copy when there is one.
A user without a RingCentral account id has no shared copy: every read fetches (Quirk PD-6 fixed).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import structlog

from appconnect.connectors.base import AccountDataSource, Connector
from appconnect.connectors.inputs import CrmInput
from appconnect.services.auth import Authenticated
from appconnect.services.context import ServerContext

log = structlog.get_logger(__name__)


def _plain(value: Any) -> Any:
    """JSON-ready form of what a fetch returned (dataclasses and tuples included)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain(dataclasses.asdict(value))
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _age_seconds(written_at: datetime) -> float:
    moment = written_at if written_at.tzinfo else written_at.replace(tzinfo=UTC)
    return (datetime.now(UTC) - moment).total_seconds()


class StoredAccountData:
    """`AccountData` over the database, for one user's request (`appconnect.connectors.inputs`).

    Concurrent misses of one key in this process share one fetch; other processes may fetch too,
    which only costs a request (the value is the CRM's, and the last write wins).
    """

    def __init__(self, context: ServerContext, connector: Connector, auth: Authenticated) -> None:
        self._context = context
        self._connector = connector
        self._auth = auth

    def _source(self, key: str) -> AccountDataSource:
        source = self._connector.account_data.get(key)
        if source is None:
            raise LookupError(f"{self._connector.name} has no account data {key!r}")
        return source

    async def _fetch(self, source: AccountDataSource) -> Any:
        return _plain(await source.fetch(CrmInput(user=self._auth.user, auth_header=self._auth.auth_header)))

    async def get(self, key: str, *, force_refresh: bool = False) -> Any:
        """The value of `key` for the user's RingCentral account (see the module docstring)."""
        source = self._source(key)
        user = self._auth.user
        if not user.rc_account_id:
            return await self._fetch(source)  # no account to share a copy with
        address = (user.rc_account_id, user.platform, key)
        store = self._context.store.account_data
        cached = await store.get_with_time(*address)
        if cached is not None and not force_refresh and _age_seconds(cached[1]) <= source.ttl_seconds:
            return cached[0]
        flight = self._context.account_data_flights.setdefault(address, asyncio.Lock())
        seen = cached[1] if cached is not None else None
        async with flight:
            meanwhile = await self._fetched_meanwhile(address, seen)
            if meanwhile is not None:
                return meanwhile[0]
            try:
                value = await self._fetch(source)
            except Exception:
                if cached is not None:
                    log.warning("account data refresh failed; serving the stored copy", key=key)
                    return cached[0]  # a stale value beats none while the CRM is unreachable
                raise
            await store.put(*address, value)
            return value

    async def _fetched_meanwhile(
        self, address: tuple[str, str, str], seen: datetime | None
    ) -> tuple[Any] | None:
        """`(value,)` when another request stored a newer copy while this one waited for the fetch."""
        latest = await self._context.store.account_data.get_with_time(*address)
        if latest is not None and (seen is None or latest[1] > seen):
            return (latest[0],)
        return None
