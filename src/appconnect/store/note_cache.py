"""Notes typed before server-side logging creates the call log (one hour, overwritten on repeat)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete

from appconnect.store.db import Database
from appconnect.store.models import NoteCacheRow
from appconnect.store.upserts import dialect_insert

NOTE_CACHE_TTL = timedelta(hours=1)


class NoteCacheRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def put(self, session_id: str, note: str | None) -> None:
        expires_at = datetime.now(UTC) + NOTE_CACHE_TTL
        insert = dialect_insert(self._db.backend)
        statement = insert(NoteCacheRow).values(session_id=session_id, note=note, expires_at=expires_at)
        statement = statement.on_conflict_do_update(
            index_elements=["session_id"], set_={"note": note, "expires_at": expires_at}
        )
        async with self._db.connect() as connection:  # one statement: atomic on its own
            await connection.execute(statement)

    async def get(self, session_id: str) -> str | None:
        """The cached note, or None when absent or expired."""
        async with self._db.sessions() as session:
            row = await session.get(NoteCacheRow, session_id)
            if row is None:
                return None
            expires_at = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=UTC)
            return row.note if expires_at > datetime.now(UTC) else None

    async def purge_expired(self) -> int:
        async with self._db.transaction() as session:
            result = await session.execute(
                delete(NoteCacheRow).where(NoteCacheRow.expires_at <= datetime.now(UTC))
            )
            return int(getattr(result, "rowcount", 0) or 0)
