"""Account-level admin configuration, keyed by the hashed RingCentral account id."""

from __future__ import annotations

from typing import Any

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
