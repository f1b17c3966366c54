"""Message-log linkages: which RingCentral messages are logged, and to which CRM log.

Two tables, both keyed per platform, make message logging happen exactly once without any
in-memory lock, across processes and machines sharing the database:

* `message_logs`, one row per logged message (`(id, platform)`). A request *reserves* the messages
  it is about to write by inserting them as `pending` (insert-or-nothing), calls the CRM only for
  the rows it inserted, then confirms them with the CRM's log id, or deletes them when the CRM
  call failed.
* `message_conversation_logs`, one row per conversation-day (`(conversationLogId, platform)`): the
  CRM log every message of that day goes into. The request that inserts it as `pending` creates
  the CRM log; any other waits until it is `created` and adds to it.

A pending row older than `stale_after` belongs to a process that died mid-request and is taken over.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update

from appconnect.domain import MessageLogLink
from appconnect.store.db import Database
from appconnect.store.models import MessageConversationLogRow, MessageLogRow
from appconnect.store.upserts import dialect_insert

PENDING = "pending"
CREATED = "created"


@dataclass(frozen=True)
class ConversationReservation:
    """The outcome of `reserve_conversation_log`: our own pending log, or the one that exists.

    `link.id` and `link.conversation_log_id` are the `conversationLogId`.
    """

    link: MessageLogLink
    is_ours: bool


def _to_link(row: MessageLogRow) -> MessageLogLink:
    return MessageLogLink(
        id=row.id,
        platform=row.platform,
        conversation_id=row.conversation_id,
        conversation_log_id=row.conversation_log_id,
        third_party_log_id=row.third_party_log_id,
        user_id=row.user_id,
        state=row.state,
    )


def _conversation_link(row: MessageConversationLogRow) -> MessageLogLink:
    return MessageLogLink(
        id=row.conversation_log_id,
        platform=row.platform,
        conversation_id=row.conversation_id,
        conversation_log_id=row.conversation_log_id,
        third_party_log_id=row.third_party_log_id,
        user_id=row.user_id,
        state=row.state,
    )


class MessageLogRepository:
    def __init__(self, database: Database, *, stale_after: timedelta = timedelta(minutes=5)) -> None:
        self._db = database
        self._stale_after = stale_after

    def _cutoff(self) -> datetime:
        return datetime.now(UTC) - self._stale_after

    # -- single messages -------------------------------------------------------------------------
    async def get(self, message_id: str, *, platform: str | None = None) -> MessageLogLink | None:
        """The link of one message (on `platform`, or on any platform when None)."""
        query = select(MessageLogRow).where(MessageLogRow.id == message_id)
        if platform is not None:
            query = query.where(MessageLogRow.platform == platform)
        async with self._db.sessions() as session:
            row = (await session.scalars(query.order_by(MessageLogRow.platform).limit(1))).first()
            return None if row is None else _to_link(row)

    async def by_ids(self, message_ids: Sequence[str], *, platform: str | None) -> list[MessageLogLink]:
        """Every link (pending ones included) of these message ids."""
        if not message_ids:
            return []
        query = select(MessageLogRow).where(MessageLogRow.id.in_(list(message_ids)))
        if platform is not None:
            query = query.where(MessageLogRow.platform == platform)
        async with self._db.sessions() as session:
            return [_to_link(row) for row in (await session.scalars(query)).all()]

    async def first_of_conversation_log(
        self, conversation_log_id: str, *, platform: str | None
    ) -> MessageLogLink | None:
        """The oldest created message row of a conversation log (the reference's lookup)."""
        query = select(MessageLogRow).where(
            MessageLogRow.conversation_log_id == conversation_log_id, MessageLogRow.state == CREATED
        )
        if platform is not None:
            query = query.where(MessageLogRow.platform == platform)
        async with self._db.sessions() as session:
            row = (await session.scalars(query.order_by(MessageLogRow.created_at).limit(1))).first()
            return None if row is None else _to_link(row)

    async def add(self, link: MessageLogLink) -> bool:
        """Insert a created link unless that message is already logged; True when inserted."""
        insert = dialect_insert(self._db.backend)
        statement = (
            insert(MessageLogRow)
            .values(
                id=link.id,
                platform=link.platform or "",
                conversation_id=link.conversation_id,
                conversation_log_id=link.conversation_log_id,
                third_party_log_id=link.third_party_log_id,
                user_id=link.user_id,
                state=CREATED,
            )
            .on_conflict_do_nothing()
            .returning(MessageLogRow.id)
        )
        async with self._db.transaction() as session:
            return (await session.execute(statement)).first() is not None

    async def reserve_messages(self, links: Sequence[MessageLogLink]) -> set[str]:
        """Claim these messages for one request; returns the ids it claimed.

        A message another request already logged, or is logging right now, is not claimed. All
        links must share one platform.
        """
        if not links:
            return set()
        platform = links[0].platform or ""
        ids = [link.id for link in links]
        async with self._db.transaction() as session:
            await session.execute(
                delete(MessageLogRow).where(
                    MessageLogRow.id.in_(ids),
                    MessageLogRow.platform == platform,
                    MessageLogRow.state == PENDING,
                    MessageLogRow.updated_at < self._cutoff(),
                )
            )
        insert = dialect_insert(self._db.backend)
        statement = (
            insert(MessageLogRow)
            .values(
                [
                    {
                        "id": link.id,
                        "platform": platform,
                        "conversation_id": link.conversation_id,
                        "conversation_log_id": link.conversation_log_id,
                        "third_party_log_id": None,
                        "user_id": link.user_id,
                        "state": PENDING,
                    }
                    for link in links
                ]
            )
            .on_conflict_do_nothing()
            .returning(MessageLogRow.id)
        )
        async with self._db.transaction() as session:
            return {row[0] for row in (await session.execute(statement)).all()}

    async def confirm_messages(
        self, message_ids: Sequence[str], *, platform: str, third_party_log_id: str
    ) -> None:
        """Record the CRM log our reserved messages were written to."""
        if not message_ids:
            return
        async with self._db.transaction() as session:
            await session.execute(
                update(MessageLogRow)
                .where(
                    MessageLogRow.id.in_(list(message_ids)),
                    MessageLogRow.platform == platform,
                    MessageLogRow.state == PENDING,
                )
                .values(third_party_log_id=third_party_log_id, state=CREATED)
            )

    async def release_messages(self, message_ids: Sequence[str], *, platform: str) -> None:
        """Drop reservations whose CRM write failed, so a later request can log those messages."""
        if not message_ids:
            return
        async with self._db.transaction() as session:
            await session.execute(
                delete(MessageLogRow).where(
                    MessageLogRow.id.in_(list(message_ids)),
                    MessageLogRow.platform == platform,
                    MessageLogRow.state == PENDING,
                )
            )

    async def logged(
        self,
        *,
        platform: str,
        user_id: str | None,
        conversation_id: str | None = None,
        message_ids: Sequence[str] | None = None,
    ) -> list[MessageLogLink]:
        """The created links of a user's messages: by id when ids are given, else by conversation."""
        query = select(MessageLogRow).where(
            MessageLogRow.platform == platform, MessageLogRow.state == CREATED
        )
        if user_id is not None:
            query = query.where(MessageLogRow.user_id == user_id)
        if message_ids is not None:
            query = query.where(MessageLogRow.id.in_(list(message_ids)))
        elif conversation_id is not None:
            query = query.where(MessageLogRow.conversation_id == conversation_id)
        else:
            return []
        async with self._db.sessions() as session:
            rows = (await session.scalars(query.order_by(MessageLogRow.created_at, MessageLogRow.id))).all()
            return [_to_link(row) for row in rows]

    # -- conversation-day logs -------------------------------------------------------------------
    async def conversation_log(self, conversation_log_id: str, *, platform: str) -> MessageLogLink | None:
        async with self._db.sessions() as session:
            row = await session.get(MessageConversationLogRow, (conversation_log_id, platform))
            return None if row is None else _conversation_link(row)

    async def reserve_conversation_log(
        self,
        conversation_log_id: str,
        *,
        platform: str,
        conversation_id: str | None,
        user_id: str | None,
    ) -> ConversationReservation:
        """Claim the right to create the CRM log of this conversation-day.

        Returns `is_ours=False` with the existing log (created, or pending in another request) when
        someone got there first. A stale pending reservation is taken over.
        """
        for _attempt in range(3):
            existing = await self.conversation_log(conversation_log_id, platform=platform)
            if existing is not None:
                if existing.state == PENDING and await self._reclaim_stale_conversation(
                    conversation_log_id, platform
                ):
                    continue
                return ConversationReservation(link=existing, is_ours=False)
            values = {
                "conversation_log_id": conversation_log_id,
                "platform": platform,
                "conversation_id": conversation_id,
                "third_party_log_id": None,
                "user_id": user_id,
                "state": PENDING,
            }
            insert = dialect_insert(self._db.backend)
            statement = (
                insert(MessageConversationLogRow)
                .values(**values)
                .on_conflict_do_nothing()
                .returning(MessageConversationLogRow.conversation_log_id)
            )
            async with self._db.transaction() as session:
                inserted = (await session.execute(statement)).first() is not None
            if inserted:
                link = MessageLogLink(
                    id=conversation_log_id,
                    platform=platform,
                    conversation_id=conversation_id,
                    conversation_log_id=conversation_log_id,
                    third_party_log_id=None,
                    user_id=user_id,
                    state=PENDING,
                )
                return ConversationReservation(link=link, is_ours=True)
        raise RuntimeError(f"could not reserve the message log of conversation {conversation_log_id}")

    async def _reclaim_stale_conversation(self, conversation_log_id: str, platform: str) -> bool:
        async with self._db.transaction() as session:
            result = await session.execute(
                delete(MessageConversationLogRow).where(
                    MessageConversationLogRow.conversation_log_id == conversation_log_id,
                    MessageConversationLogRow.platform == platform,
                    MessageConversationLogRow.state == PENDING,
                    MessageConversationLogRow.updated_at < self._cutoff(),
                )
            )
            return (getattr(result, "rowcount", 0) or 0) > 0

    async def confirm_conversation_log(self, link: MessageLogLink, third_party_log_id: str) -> MessageLogLink:
        """Record the CRM log id on our reservation."""
        async with self._db.transaction() as session:
            await session.execute(
                update(MessageConversationLogRow)
                .where(
                    MessageConversationLogRow.conversation_log_id == link.id,
                    MessageConversationLogRow.platform == (link.platform or ""),
                )
                .values(third_party_log_id=third_party_log_id, state=CREATED)
            )
        return replace(link, third_party_log_id=third_party_log_id, state=CREATED)

    async def release_conversation_log(self, link: MessageLogLink) -> None:
        """Drop a reservation whose CRM create failed, so nothing points at a log that does not exist."""
        async with self._db.transaction() as session:
            await session.execute(
                delete(MessageConversationLogRow).where(
                    MessageConversationLogRow.conversation_log_id == link.id,
                    MessageConversationLogRow.platform == (link.platform or ""),
                    MessageConversationLogRow.state == PENDING,
                )
            )
