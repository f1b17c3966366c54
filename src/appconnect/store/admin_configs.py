"""Account-level admin configuration, keyed by the hashed RingCentral account id."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from appconnect.store.db import Database
from appconnect.store.models import AdminConfigRow

WRITABLE_FIELDS = ("user_settings", "custom_adapter", "user_mappings")


class AdminConfigRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def get_user_settings(self, hashed_account_id: str) -> dict[str, Any] | None:
        async with self._db.sessions() as session:
            row = await session.get(AdminConfigRow, hashed_account_id)
            return None if row is None or row.user_settings is None else dict(row.user_settings)

    async def get_public(self, hashed_account_id: str) -> dict[str, Any] | None:
        """The row as `GET /admin/settings` shows it: never the RingCentral admin tokens (quirk P-11)."""
        async with self._db.sessions() as session:
            row = await session.get(AdminConfigRow, hashed_account_id)
            if row is None:
                return None
            return {
                "id": row.id,
                "userSettings": row.user_settings,
                "customAdapter": row.custom_adapter,
                "userMappings": row.user_mappings,
                "createdAt": _iso(row.created_at),
                "updatedAt": _iso(row.updated_at),
            }

    async def upsert(self, hashed_account_id: str, **fields: Any) -> None:
        """Replace the given fields whole; only the writable ones are accepted (never tokens)."""
        unknown = set(fields) - set(WRITABLE_FIELDS)
        if unknown:
            raise ValueError(f"not writable: {', '.join(sorted(unknown))}")
        async with self._db.transaction() as session:
            row = await session.get(AdminConfigRow, hashed_account_id) or AdminConfigRow(id=hashed_account_id)
            for name, value in fields.items():
                setattr(row, name, value)
            session.add(row)

    async def get_user_mappings(self, hashed_account_id: str) -> list[Any] | None:
        """The account's stored user mappings (None when there is no row or no mappings)."""
        async with self._db.sessions() as session:
            row = await session.get(AdminConfigRow, hashed_account_id)
            return None if row is None or row.user_mappings is None else list(row.user_mappings)

    async def change_user_mappings(
        self, hashed_account_id: str, change: Callable[[list[Any] | None], list[Any]]
    ) -> list[Any]:
        """Replace the user mappings with `change(current)`, the read and the write in one
        transaction with the row locked (PostgreSQL `FOR UPDATE`; SQLite's write lock), so two
        admins mapping at once never lose each other's additions."""
        async with self._db.transaction() as session:
            row = (
                await session.scalars(
                    select(AdminConfigRow).where(AdminConfigRow.id == hashed_account_id).with_for_update()
                )
            ).one_or_none()
            current = None if row is None or row.user_mappings is None else list(row.user_mappings)
            mappings = change(current)
            row = row or AdminConfigRow(id=hashed_account_id)
            row.user_mappings = mappings
            session.add(row)
            return mappings


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
