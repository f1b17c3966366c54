"""The RingCentral admin token of an account (spec platform §5.5), encrypted at rest.

Kept on the account's admin config row (`adminAccessToken`, `adminRefreshToken`,
`adminTokenExpiry`); the tokens are sealed with the server's `SecretBox` and never leave the
server (`GET /admin/settings` omits them, quirk P-11).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import structlog

from appconnect.security import DecryptionError, SecretBox
from appconnect.store.db import Database
from appconnect.store.models import AdminConfigRow

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class AdminTokens:
    access_token: str
    refresh_token: str | None
    expires_at: datetime | None

    def expired(self, now: datetime | None = None) -> bool:
        if self.expires_at is None:
            return False
        expiry = self.expires_at if self.expires_at.tzinfo else self.expires_at.replace(tzinfo=UTC)
        return expiry <= (now or datetime.now(UTC))


class AdminTokenRepository:
    def __init__(self, database: Database, box: SecretBox) -> None:
        self._db = database
        self._box = box

    def _open(self, sealed: str | None) -> str | None:
        if not sealed:
            return None
        try:
            return self._box.decrypt(sealed)
        except DecryptionError:
            log.warning("RingCentral admin token could not be decrypted; ignored")
            return None

    async def get(self, hashed_account_id: str) -> AdminTokens | None:
        async with self._db.sessions() as session:
            row = await session.get(AdminConfigRow, hashed_account_id)
            if row is None:
                return None
            access = self._open(row.admin_access_token)
            if access is None:
                return None
            return AdminTokens(access, self._open(row.admin_refresh_token), row.admin_token_expiry)

    async def put(self, hashed_account_id: str, tokens: AdminTokens) -> None:
        async with self._db.transaction() as session:
            row = await session.get(AdminConfigRow, hashed_account_id) or AdminConfigRow(id=hashed_account_id)
            row.admin_access_token = self._box.encrypt(tokens.access_token)
            row.admin_refresh_token = (
                self._box.encrypt(tokens.refresh_token) if tokens.refresh_token else None
            )
            row.admin_token_expiry = tokens.expires_at
            session.add(row)
