"""Message-log linkages: which RingCentral messages are logged, and to which CRM log."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from appconnect.domain import MessageLogLink
from appconnect.store.db import Database
from appconnect.store.models import MessageLogRow


def _to_link(row: MessageLogRow) -> MessageLogLink:
    return MessageLogLink(
        id=row.id,
        platform=row.platform,
        conversation_id=row.conversation_id,
        conversation_log_id=row.conversation_log_id,
        third_party_log_id=row.third_party_log_id,
        user_id=row.user_id,
    )


class MessageLogRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def get(self, message_id: str, *, platform: str | None = None) -> MessageLogLink | None:
        async with self._db.sessions() as session:
            row = await session.get(MessageLogRow, message_id)
            if row is None or (platform is not None and row.platform != platform):
                return None
            return _to_link(row)

    async def by_ids(self, message_ids: Sequence[str], *, platform: str | None) -> list[MessageLogLink]:
        query = select(MessageLogRow).where(MessageLogRow.id.in_(list(message_ids)))
        if platform is not None:
            query = query.where(MessageLogRow.platform == platform)
        async with self._db.sessions() as session:
            return [_to_link(row) for row in (await session.scalars(query)).all()]

    async def first_of_conversation_log(
        self, conversation_log_id: str, *, platform: str | None
    ) -> MessageLogLink | None:
        query = select(MessageLogRow).where(MessageLogRow.conversation_log_id == conversation_log_id)
        if platform is not None:
            query = query.where(MessageLogRow.platform == platform)
        async with self._db.sessions() as session:
            row = (await session.scalars(query.order_by(MessageLogRow.created_at).limit(1))).first()
            return None if row is None else _to_link(row)

    async def add(self, link: MessageLogLink) -> bool:
        """Insert the link unless that message is already logged; True when inserted."""
        insert = pg_insert if self._db.backend == "postgresql" else sqlite_insert
        statement = (
            insert(MessageLogRow)
            .values(
                id=link.id,
                platform=link.platform,
                conversation_id=link.conversation_id,
                conversation_log_id=link.conversation_log_id,
                third_party_log_id=link.third_party_log_id,
                user_id=link.user_id,
            )
            .on_conflict_do_nothing()
            .returning(MessageLogRow.id)
        )
        async with self._db.transaction() as session:
            return (await session.execute(statement)).first() is not None
