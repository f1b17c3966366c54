"""Admin-managed OAuth clients (spec platform §3.7), every field encrypted at rest.

An account's own OAuth client for a platform lives in `account_data` (raw RingCentral account id,
platform, `managed-oauth-account`); values an admin is still setting up live in one `cache` row per
account (`<rcAccountId>-managed-oauth-account`, any platform, 24 hours). Each field is sealed on its
own (`SecretBox`, authenticated encryption); a value that cannot be opened is ignored, never used.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import delete

from appconnect.security import DecryptionError, SecretBox
from appconnect.store.account_data import AccountDataRepository
from appconnect.store.db import Database
from appconnect.store.models import CacheRow

log = structlog.get_logger(__name__)

ACCOUNT_KEY = "managed-oauth-account"
PENDING_TTL = timedelta(hours=24)
OAUTH_FIELDS = (
    "clientId",
    "clientSecret",
    "accessTokenUri",
    "authorizationUri",
    "redirectUri",
    "scopes",
    "hostname",
)


def kept_fields(values: Mapping[str, Any]) -> dict[str, str]:
    """Only the OAuth fields that are present and not empty, as text."""
    return {
        name: str(values[name])
        for name in OAUTH_FIELDS
        if values.get(name) not in (None, "") and name in values
    }


class ManagedOAuthRepository:
    def __init__(self, database: Database, account_data: AccountDataRepository, box: SecretBox) -> None:
        self._db = database
        self._data = account_data
        self._box = box

    def _seal(self, values: Mapping[str, str]) -> dict[str, Any]:
        return {"fields": {name: self._box.encrypt(json.dumps(value)) for name, value in values.items()}}

    def _open(self, data: Any) -> dict[str, str] | None:
        fields = data.get("fields") if isinstance(data, Mapping) else None
        if not isinstance(fields, Mapping):
            return None
        opened: dict[str, str] = {}
        for name, sealed in fields.items():
            try:
                opened[str(name)] = str(json.loads(self._box.decrypt(str(sealed))))
            except (DecryptionError, ValueError):
                log.warning("managed OAuth value could not be decrypted; ignored", field=name)
        return opened or None

    @staticmethod
    def _pending_id(rc_account_id: str) -> str:
        return f"{rc_account_id}-{ACCOUNT_KEY}"

    async def account_values(self, rc_account_id: str, platform: str) -> dict[str, str] | None:
        return self._open(await self._data.get(rc_account_id, platform, ACCOUNT_KEY))

    async def put_account(self, rc_account_id: str, platform: str, values: Mapping[str, str]) -> None:
        await self._data.put(rc_account_id, platform, ACCOUNT_KEY, self._seal(values))

    async def delete_account(self, rc_account_id: str, platform: str) -> None:
        await self._data.delete(rc_account_id, platform, ACCOUNT_KEY)

    async def pending_values(self, rc_account_id: str) -> dict[str, str] | None:
        """The pending values, or None (an expired row is deleted on read)."""
        async with self._db.sessions() as session:
            row = await session.get(CacheRow, self._pending_id(rc_account_id))
            if row is None:
                return None
            expiry = row.expiry if row.expiry is None or row.expiry.tzinfo else row.expiry.replace(tzinfo=UTC)
            data = row.data
        if expiry is not None and expiry <= datetime.now(UTC):
            await self.delete_pending(rc_account_id)
            return None
        return self._open(data)

    async def put_pending(self, rc_account_id: str, values: Mapping[str, str]) -> None:
        """Replace the pending values (and restart their 24 hours)."""
        async with self._db.transaction() as session:
            row = await session.get(CacheRow, self._pending_id(rc_account_id)) or CacheRow(
                id=self._pending_id(rc_account_id)
            )
            row.status = "pending"
            row.user_id = rc_account_id
            row.cache_key = ACCOUNT_KEY
            row.data = self._seal(values)
            row.expiry = datetime.now(UTC) + PENDING_TTL
            session.add(row)

    async def delete_pending(self, rc_account_id: str) -> None:
        async with self._db.connect() as connection:
            await connection.execute(delete(CacheRow).where(CacheRow.id == self._pending_id(rc_account_id)))

    async def promote(self, rc_account_id: str, platform: str, values: Mapping[str, str]) -> None:
        """The pending values worked for a login: they become the account's, the pending row goes."""
        await self.put_account(rc_account_id, platform, values)
        await self.delete_pending(rc_account_id)
