"""Users: the one place that encrypts and decrypts CRM credentials."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from appconnect.domain import User
from appconnect.security import SecretBox
from appconnect.store.db import Database
from appconnect.store.models import UserRow

_UNSET: Any = object()


class UserRepository:
    def __init__(self, database: Database, box: SecretBox) -> None:
        self._db = database
        self._box = box

    def _to_domain(self, row: UserRow) -> User:
        return User(
            id=row.id,
            platform=row.platform or "",
            hostname=row.hostname,
            rc_account_id=row.rc_account_id,
            timezone_name=row.timezone_name,
            timezone_offset=row.timezone_offset,
            access_token=self._box.decrypt_optional(row.access_token),
            refresh_token=self._box.decrypt_optional(row.refresh_token),
            token_expiry=row.token_expiry,
            platform_additional_info=dict(row.platform_additional_info or {}),
            hashed_rc_extension_id=row.hashed_rc_extension_id,
            user_settings=dict(row.user_settings or {}),
        )

    async def get(self, user_id: str, platform: str | None = None) -> User | None:
        """The user by id (and platform, when given), or None."""
        async with self._db.sessions() as session:
            row = await session.get(UserRow, user_id)
            if row is None or (platform is not None and row.platform != platform):
                return None
            return self._to_domain(row)

    async def save(self, user: User) -> User:
        """Insert or replace the whole user (credentials encrypted)."""
        async with self._db.transaction() as session:
            row = await session.get(UserRow, user.id) or UserRow(id=user.id)
            row.platform = user.platform
            row.hostname = user.hostname
            row.rc_account_id = user.rc_account_id
            row.timezone_name = user.timezone_name
            row.timezone_offset = None if user.timezone_offset is None else str(user.timezone_offset)
            row.access_token = self._box.encrypt_optional(user.access_token)
            row.refresh_token = self._box.encrypt_optional(user.refresh_token)
            row.token_expiry = user.token_expiry
            row.platform_additional_info = dict(user.platform_additional_info)
            row.hashed_rc_extension_id = user.hashed_rc_extension_id
            row.user_settings = dict(user.user_settings)
            session.add(row)
        return user

    async def update_tokens(
        self,
        user: User,
        *,
        access_token: str | None,
        refresh_token: str | None = _UNSET,
        token_expiry: datetime | None = _UNSET,
    ) -> User:
        """Store new credentials for `user` and return the updated value."""
        changes: dict[str, Any] = {"access_token": access_token}
        if refresh_token is not _UNSET:
            changes["refresh_token"] = refresh_token
        if token_expiry is not _UNSET:
            changes["token_expiry"] = token_expiry
        updated = replace(user, **changes)
        async with self._db.transaction() as session:
            row = await session.get(UserRow, user.id)
            if row is None:
                return updated
            row.access_token = self._box.encrypt_optional(updated.access_token)
            row.refresh_token = self._box.encrypt_optional(updated.refresh_token)
            row.token_expiry = updated.token_expiry
        return updated

    async def update_settings(self, user_id: str, user_settings: dict[str, Any]) -> None:
        async with self._db.transaction() as session:
            row = await session.get(UserRow, user_id)
            if row is not None:
                row.user_settings = dict(user_settings)

    async def delete(self, user_id: str) -> bool:
        async with self._db.transaction() as session:
            result = await session.execute(delete(UserRow).where(UserRow.id == user_id))
            return (getattr(result, "rowcount", 0) or 0) > 0

    async def list_ids(self) -> list[str]:
        async with self._db.sessions() as session:
            return list((await session.scalars(select(UserRow.id))).all())
