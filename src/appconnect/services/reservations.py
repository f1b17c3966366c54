"""Reserve -> CRM write -> confirm or release: the one shape every log create takes.

A workflow reserves rows in the database (insert-or-nothing) before it writes to the CRM, so one
call or message reaches the CRM once however many requests, workers or machines race for it. What
happens to a reservation afterwards is always the same, and lives here:

* the CRM returned a log id: `confirm` records it on the reserved rows;
* anything else (the CRM failed, declined with no id, the request was cancelled): the rows are
  released, so the extension's retry can log the call again;
* the CRM wrote but recording its id failed: the rows are neither confirmed nor released (a retry
  must not create a second CRM log); they expire as stale, and the CRM id is logged for an operator.

Usage::

    async with holding(CallLogClaim(store.call_logs, reservation.link)) as held:
        result, crm = await crm.run(connector.create_call_log, call)
        if result.log_id:
            await held.confirm(str(result.log_id))
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import structlog

from appconnect.domain import CallLogLink, MessageLogLink
from appconnect.store.call_logs import CallLogRepository
from appconnect.store.message_logs import MessageLogRepository

log = structlog.get_logger(__name__)


class Claim(Protocol):
    """Rows reserved for CRM writes in flight, one key per row."""

    @property
    def keys(self) -> tuple[str, ...]: ...

    async def confirm(self, keys: Sequence[str], log_id: str) -> None:
        """Record the CRM's log id on these rows."""
        ...

    async def release(self, keys: Sequence[str]) -> None:
        """Give these rows back (delete the pending reservations)."""
        ...


class NotRecorded(Exception):
    """The CRM wrote the log but the database did not record its id (logged with the id)."""

    def __init__(self, log_id: str) -> None:
        super().__init__("the CRM log was written but its id could not be stored")
        self.log_id = log_id


class Held:
    """A claim inside `holding`: confirm what the CRM wrote; the rest is released on the way out."""

    def __init__(self, claim: Claim, log_fields: dict[str, Any]) -> None:
        self._claim = claim
        self._log_fields = log_fields
        self._settled: set[str] = set()

    @property
    def open_keys(self) -> tuple[str, ...]:
        """Keys neither confirmed nor released yet."""
        return tuple(key for key in self._claim.keys if key not in self._settled)

    async def confirm(self, log_id: str, *, keys: Sequence[str] | None = None) -> None:
        """Record `log_id` on `keys` (default: every open key).

        Raises:
            NotRecorded: the database failed; those keys stay reserved (never released).
        """
        chosen = tuple(keys) if keys is not None else self.open_keys
        self._settled.update(chosen)  # the CRM has them now, whatever the database says
        try:
            await self._claim.confirm(chosen, log_id)
        except Exception as error:
            log.error(
                "CRM log written but not recorded",
                log_id=log_id,
                error_type=type(error).__name__,
                **self._log_fields,
            )
            raise NotRecorded(log_id) from error

    def keep(self, keys: Sequence[str] | None = None) -> None:
        """Leave `keys` (default: every open key) reserved when the block ends: the CRM may have
        written them (an unknown outcome), and the outbox job resolves them before anything is
        sent again."""
        self._settled.update(tuple(keys) if keys is not None else self.open_keys)

    async def release(self, keys: Sequence[str] | None = None) -> None:
        """Give back `keys` (default: every open key) now, before the block ends."""
        chosen = tuple(keys) if keys is not None else self.open_keys
        self._settled.update(chosen)
        if chosen:
            await self._claim.release(chosen)


@asynccontextmanager
async def holding(claim: Claim, **log_fields: Any) -> AsyncIterator[Held]:
    """Hold `claim` for the block: keys not confirmed by its end are released, whatever happened."""
    held = Held(claim, log_fields)
    try:
        yield held
    except BaseException:
        try:
            await held.release()
        except Exception as error:  # the original failure matters more; the rows expire as stale
            log.error("releasing a reservation failed", error_type=type(error).__name__, **log_fields)
        raise
    await held.release()


@dataclass(frozen=True)
class CallLogClaim:
    """The reserved linkage of one call session (`CallLogRepository.reserve`)."""

    repository: CallLogRepository
    link: CallLogLink

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.link.id,)

    async def confirm(self, keys: Sequence[str], log_id: str) -> None:
        if keys:
            await self.repository.confirm(self.link, log_id)

    async def release(self, keys: Sequence[str]) -> None:
        if keys:
            await self.repository.release(self.link)


@dataclass(frozen=True)
class MessagesClaim:
    """Reserved messages of one platform (`MessageLogRepository.reserve_messages`)."""

    repository: MessageLogRepository
    platform: str
    keys: tuple[str, ...]

    async def confirm(self, keys: Sequence[str], log_id: str) -> None:
        if keys:
            await self.repository.confirm_messages(keys, platform=self.platform, third_party_log_id=log_id)

    async def release(self, keys: Sequence[str]) -> None:
        if keys:
            await self.repository.release_messages(keys, platform=self.platform)


@dataclass(frozen=True)
class ConversationLogClaim:
    """The reserved CRM log of one conversation day (`MessageLogRepository.reserve_conversation_log`)."""

    repository: MessageLogRepository
    link: MessageLogLink

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.link.id,)

    async def confirm(self, keys: Sequence[str], log_id: str) -> None:
        if keys:
            await self.repository.confirm_conversation_log(self.link, log_id)

    async def release(self, keys: Sequence[str]) -> None:
        if keys:
            await self.repository.release_conversation_log(self.link)
