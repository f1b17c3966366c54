"""Per-account data: the shared contact cache and connector account data (e.g. activity types)."""

from __future__ import annotations

import typing
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, delete, select

from appconnect.store.db import Database
from appconnect.store.models import AccountDataRow
from appconnect.store.prepared import Prepared
from appconnect.store.upserts import PerDialect

_TABLE: Table = typing.cast(Table, AccountDataRow.__table__)
_A = _TABLE.c  # Core columns (see store/users.py)


_GET = Prepared(  # the contact cache is read on every contact lookup
    select(_A.data, _A.updated_at).where(
        _A.rc_account_id == bindparam("account"),
        _A.platform_name == bindparam("platform"),
        _A.data_key == bindparam("key"),
    )
)


def _put(insert: Any) -> Prepared:
    """The upsert of one entry, for one dialect's `insert` (ON CONFLICT is dialect syntax)."""
    statement = insert(_TABLE).values(
        rc_account_id=bindparam("account"),
        platform_name=bindparam("platform"),
        data_key=bindparam("key"),
        data=bindparam("data", type_=_A.data.type),
    )
    return Prepared(
        statement.on_conflict_do_update(
            index_elements=["rc_account_id", "platform_name", "data_key"],
            set_={"data": statement.excluded.data, "updated_at": bindparam("now", type_=_A.updated_at.type)},
        )
    )


_PUT = PerDialect(_put)


class AccountDataRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def get(self, rc_account_id: str, platform: str, key: str) -> Any | None:
        entry = await self.get_with_time(rc_account_id, platform, key)
        return None if entry is None else entry[0]

    async def get_with_time(self, rc_account_id: str, platform: str, key: str) -> tuple[Any, datetime] | None:
        """The stored value and when it was last written, or None."""
        row = (await self._db.run(_GET, {"account": rc_account_id, "platform": platform, "key": key})).first()
        return None if row is None else (row[0], row[1])

    async def put(self, rc_account_id: str, platform: str, key: str, data: Any) -> None:
        """Create or replace one entry (atomic upsert, safe under concurrent writers)."""
        values = {"account": rc_account_id, "platform": platform, "key": key, "data": data}
        await self._db.run(_PUT[self._db.backend], {**values, "now": datetime.now().astimezone()})

    async def delete(self, rc_account_id: str, platform: str, key: str) -> None:
        async with self._db.connect() as connection:
            await connection.execute(
                delete(AccountDataRow).where(
                    AccountDataRow.rc_account_id == rc_account_id,
                    AccountDataRow.platform_name == platform,
                    AccountDataRow.data_key == key,
                )
            )

    async def keys(self, rc_account_id: str, platform: str) -> list[str]:
        query = select(AccountDataRow.data_key).where(
            AccountDataRow.rc_account_id == rc_account_id, AccountDataRow.platform_name == platform
        )
        async with self._db.sessions() as session:
            return list((await session.scalars(query)).all())
