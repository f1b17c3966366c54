"""Call-down lists (spec platform §9.1): contacts a user plans to call back, one row per entry.

Every read and write is scoped to the owning user id in the SQL itself (`WHERE user_id = ?`), so a
user can never see, change or delete another user's entry, even by guessing its id. Entries with no
`scheduledAt` sort last on every backend (the spec's recommendation; SQLite would put them first).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import delete, func, select, update

from appconnect.store.db import Database
from appconnect.store.models import CallDownItemRow

StatusFilter = Literal["called", "not_called"] | None
CALLED = "called"
SCHEDULED = "scheduled"

UPDATABLE_COLUMNS = ("contact_id", "contact_type", "status", "scheduled_at", "last_call_at")


class CallDownListFull(Exception):
    """The user already has `limit` entries: one more would make `GET /calldown` unbounded."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"Call-down list is full ({limit} entries)")
        self.limit = limit


@dataclass(frozen=True)
class NewCallDownItem:
    contact_id: str | None
    contact_type: str
    scheduled_at: datetime | None


class CallDownRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def create(self, user_id: str, item: NewCallDownItem, *, limit: int) -> str:
        """Insert a `scheduled` entry for `user_id` and return its id (32 random hex characters).

        Raises:
            CallDownListFull: the user already has `limit` entries.
        """
        entry_id = secrets.token_hex(16)
        async with self._db.transaction() as session:
            count = await session.scalar(
                select(func.count()).select_from(CallDownItemRow).where(CallDownItemRow.user_id == user_id)
            )
            if int(count or 0) >= limit:
                raise CallDownListFull(limit)
            session.add(
                CallDownItemRow(
                    id=entry_id,
                    user_id=user_id,
                    contact_id=item.contact_id,
                    contact_type=item.contact_type,
                    status=SCHEDULED,
                    scheduled_at=item.scheduled_at,
                    last_call_at=None,
                )
            )
        return entry_id

    async def list(self, user_id: str, status: StatusFilter = None) -> list[dict[str, Any]]:
        """The user's entries as the contract shows them, by `scheduledAt` ascending (nulls last)."""
        query = select(CallDownItemRow).where(CallDownItemRow.user_id == user_id)
        if status == "called":
            query = query.where(CallDownItemRow.status == CALLED)
        elif status == "not_called":
            # As the reference's `status != 'called'`: NULL statuses are excluded too.
            query = query.where(CallDownItemRow.status != CALLED)
        query = query.order_by(
            CallDownItemRow.scheduled_at.is_(None),
            CallDownItemRow.scheduled_at.asc(),
            CallDownItemRow.created_at.asc(),
            CallDownItemRow.id.asc(),
        )
        async with self._db.sessions() as session:
            rows = (await session.scalars(query)).all()
        return [_wire(row) for row in rows]

    async def update(self, user_id: str, entry_id: str, values: dict[str, Any]) -> bool:
        """Set `values` (columns of UPDATABLE_COLUMNS; none just touches `updatedAt`) on the user's
        entry; False when the user has no entry `entry_id`."""
        unknown = set(values) - set(UPDATABLE_COLUMNS)
        if unknown:
            raise ValueError(f"not updatable: {', '.join(sorted(unknown))}")
        statement = (
            update(CallDownItemRow)
            .where(CallDownItemRow.id == entry_id, CallDownItemRow.user_id == user_id)
            .values(**values, updated_at=func.now())
        )
        async with self._db.connect() as connection:  # one statement: atomic on its own
            result = await connection.execute(statement)
        return int(getattr(result, "rowcount", 0) or 0) > 0

    async def delete(self, user_id: str, entry_id: str) -> bool:
        statement = delete(CallDownItemRow).where(
            CallDownItemRow.id == entry_id, CallDownItemRow.user_id == user_id
        )
        async with self._db.connect() as connection:
            result = await connection.execute(statement)
        return int(getattr(result, "rowcount", 0) or 0) > 0


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _wire(row: CallDownItemRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "userId": row.user_id,
        "contactId": row.contact_id,
        "contactType": row.contact_type,
        "status": row.status,
        "scheduledAt": _iso(row.scheduled_at),
        "lastCallAt": _iso(row.last_call_at),
        "createdAt": _iso(row.created_at),
        "updatedAt": _iso(row.updated_at),
    }
