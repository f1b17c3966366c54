"""Leases on refreshing a user's OAuth token: one holder at a time across every process and machine.

A lease is one row per user. `try_acquire` is a single insert-or-take-over statement, so the
database decides the winner (PostgreSQL locks the conflicting row; SQLite serialises writers,
also across processes on one file). No transaction stays open while the holder talks to the CRM:
the lease expires on its own if the holder dies, and the holder records its outcome on release so
that requests waiting for it can use that instead of asking the CRM again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, update

from appconnect.store.db import Database
from appconnect.store.models import TokenRefreshLockRow
from appconnect.store.upserts import dialect_insert

REFRESHED = "refreshed"
REVOKED = "revoked"
FAILED = "failed"


def _aware(moment: datetime) -> datetime:
    """SQLite hands timestamps back without a zone; every stored one is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Lease:
    owner: str
    expires_at: datetime
    outcome: str | None

    @property
    def finished(self) -> bool:
        return self.outcome is not None

    def expired(self, now: datetime | None = None) -> bool:
        return self.expires_at <= (now or datetime.now(UTC))


class RefreshLockRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def try_acquire(self, user_id: str, owner: str, ttl_seconds: float) -> bool:
        """Take the lease when nobody holds it (absent, finished or expired); True when `owner` has it."""
        now = datetime.now(UTC)
        insert = dialect_insert(self._db.backend)
        statement = insert(TokenRefreshLockRow).values(
            user_id=user_id, owner=owner, expires_at=now + timedelta(seconds=ttl_seconds), outcome=None
        )
        upsert = statement.on_conflict_do_update(
            index_elements=["user_id"],
            set_={
                "owner": statement.excluded.owner,
                "expires_at": statement.excluded.expires_at,
                "outcome": None,
            },
            where=or_(TokenRefreshLockRow.outcome.is_not(None), TokenRefreshLockRow.expires_at <= now),
        ).returning(TokenRefreshLockRow.owner)
        async with self._db.connect() as connection:  # one statement: atomic on its own
            taken = (await connection.execute(upsert)).first()
        return taken is not None and taken[0] == owner

    async def release(self, user_id: str, owner: str, outcome: str) -> None:
        """End `owner`'s lease with its outcome (a lease taken over meanwhile is left alone)."""
        async with self._db.connect() as connection:
            await connection.execute(
                update(TokenRefreshLockRow)
                .where(TokenRefreshLockRow.user_id == user_id, TokenRefreshLockRow.owner == owner)
                .values(outcome=outcome, expires_at=datetime.now(UTC))
            )

    async def get(self, user_id: str) -> Lease | None:
        async with self._db.sessions() as session:
            row = await session.get(TokenRefreshLockRow, user_id)
            if row is None:
                return None
            return Lease(owner=row.owner, expires_at=_aware(row.expires_at), outcome=row.outcome)
