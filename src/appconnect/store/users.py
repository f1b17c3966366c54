"""Users: the one place that encrypts and decrypts CRM credentials.

Every request of a signed-in user starts by loading that user, so the read is kept cheap: one
SELECT of the row (a prepared statement, `store/prepared.py`), and a per-process memo that turns
the stored row into the `User` (two AES-GCM decryptions, two JSON documents) only the first time
that exact row is seen.

What invalidates the memo: nothing needs to. Its key is the whole stored row, ciphertext included,
and the row is read from the database on every call, so a change made by any process or machine
(a token refresh, new settings, a logout, a new login) is a different key and is decoded afresh on
the very next read. (Every encryption uses a fresh nonce, so even re-saving the same token changes
the ciphertext.) Old entries just age out of the bounded memo. The token-refresh lease
(`services.auth`) polls this same read, so it always sees the stored token.
"""

from __future__ import annotations

import json
import typing
from collections import OrderedDict
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Table, Text, bindparam, cast, delete, select, update

from appconnect.domain import User
from appconnect.logging import remember_request_secret
from appconnect.security import SecretBox
from appconnect.store.db import Database
from appconnect.store.models import UserRow
from appconnect.store.prepared import Prepared
from appconnect.store.upserts import dialect_insert
from appconnect.store.user_changes import UserChangeFeed

_UNSET: Any = object()

MEMO_SIZE = 4096
"""Decoded rows kept per process (a few KB each)."""

_TABLE: Table = typing.cast(Table, UserRow.__table__)
_USERS = _TABLE.c  # Core columns: an ORM attribute would make each select an ORM statement
_ROW = select(
    _USERS.id,
    _USERS.platform,
    _USERS.hostname,
    _USERS.rc_account_id,
    _USERS.timezone_name,
    _USERS.timezone_offset,
    _USERS.access_token,
    _USERS.refresh_token,
    _USERS.token_expiry,
    # As stored (text), so the memo key is hashable and JSON is only parsed on a miss.
    cast(_USERS.platform_additional_info, Text),
    _USERS.hashed_rc_extension_id,
    cast(_USERS.user_settings, Text),
)

_BY_ID = Prepared(_ROW.where(_USERS.id == bindparam("user_id")))  # read on every request


def _json_object(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    value = json.loads(text)
    return dict(value) if isinstance(value, dict) else {}


class UserRepository:
    def __init__(self, database: Database, box: SecretBox) -> None:
        self._db = database
        self._box = box
        self._memo: OrderedDict[tuple[Any, ...], User] = OrderedDict()
        self.decoded_rows = 0  # how many rows were decoded (not served from the memo); for tests
        # With a change feed (PostgreSQL): rows read, kept until the feed says the user changed.
        self._feed: UserChangeFeed | None = None
        self._kept: OrderedDict[str, tuple[tuple[int, int], tuple[Any, ...]]] = OrderedDict()
        self.rows_read = 0  # SELECTs of a user row; for tests

    def follow(self, feed: UserChangeFeed | None) -> None:
        """Keep rows read while `feed` listens (None: read the row on every call)."""
        self._feed = feed
        self._kept.clear()

    def _forget(self, user_id: str) -> None:
        """This process changed the user: never serve what it kept, nor a read now in flight."""
        self._kept.pop(user_id, None)
        if self._feed is not None:
            self._feed.changed(user_id)

    def _decode(self, row: tuple[Any, ...]) -> User:
        cached = self._memo.get(row)
        if cached is None:
            self.decoded_rows += 1
            cached = User(
                id=row[0],
                platform=row[1] or "",
                hostname=row[2],
                rc_account_id=row[3],
                timezone_name=row[4],
                timezone_offset=row[5],
                access_token=self._box.decrypt_optional(row[6]),
                refresh_token=self._box.decrypt_optional(row[7]),
                token_expiry=row[8],
                platform_additional_info=_json_object(row[9]),
                hashed_rc_extension_id=row[10],
                user_settings=_json_object(row[11]),
            )
            self._memo[row] = cached
            if len(self._memo) > MEMO_SIZE:
                self._memo.popitem(last=False)
        else:
            self._memo.move_to_end(row)
            # Decrypting marks the credentials as this request's secrets (never logged); a row served
            # from the memo was decrypted by an earlier request, so mark them for this one too.
            remember_request_secret(cached.access_token)
            remember_request_secret(cached.refresh_token)
        # The mappings are the caller's to keep: copies, so the memo can never be edited through them.
        return replace(
            cached,
            platform_additional_info=dict(cached.platform_additional_info),
            user_settings=dict(cached.user_settings),
        )

    async def get(self, user_id: str, platform: str | None = None) -> User | None:
        """The user by id (and platform, when given), or None.

        The stored row: read now, or (PostgreSQL, while the change feed listens) read earlier and
        not changed since by any process (`store/user_changes.py` says what that guarantees).
        """
        feed = self._feed
        token = None if feed is None else feed.token(user_id)
        if token is not None:
            kept = self._kept.get(user_id)
            if kept is not None and kept[0] == token:
                self._kept.move_to_end(user_id)
                return self._user_of(kept[1], platform)
        row = await self._read(user_id)
        if token is not None and row is not None and feed is not None and feed.token(user_id) == token:
            self._kept[user_id] = (token, row)  # no change was heard while it was read
            if len(self._kept) > MEMO_SIZE:
                self._kept.popitem(last=False)
        return self._user_of(row, platform)

    async def get_stored(self, user_id: str, platform: str | None = None) -> User | None:
        """The user as stored this moment, never a kept row: for the token-refresh lease, which
        must see a token another process has just stored."""
        row = await self._read(user_id)
        self._kept.pop(user_id, None)
        return self._user_of(row, platform)

    async def _read(self, user_id: str) -> tuple[Any, ...] | None:
        self.rows_read += 1
        row = (await self._db.run(_BY_ID, {"user_id": user_id})).first()
        return None if row is None else tuple(row)

    def _user_of(self, row: tuple[Any, ...] | None, platform: str | None) -> User | None:
        if row is None or (platform is not None and row[1] != platform):
            return None
        return self._decode(row)

    async def save(self, user: User) -> User:
        """Insert or replace the whole user (credentials encrypted); one statement."""
        values = {
            "platform": user.platform,
            "hostname": user.hostname,
            "rc_account_id": user.rc_account_id,
            "timezone_name": user.timezone_name,
            "timezone_offset": None if user.timezone_offset is None else str(user.timezone_offset),
            "access_token": self._box.encrypt_optional(user.access_token),
            "refresh_token": self._box.encrypt_optional(user.refresh_token),
            "token_expiry": user.token_expiry,
            "platform_additional_info": dict(user.platform_additional_info),
            "hashed_rc_extension_id": user.hashed_rc_extension_id,
            "user_settings": dict(user.user_settings),
        }
        insert = dialect_insert(self._db.backend)
        statement = insert(_TABLE).values(id=user.id, **values)
        statement = statement.on_conflict_do_update(
            index_elements=["id"],
            set_={
                **{name: statement.excluded[name] for name in values},
                "updated_at": datetime.now().astimezone(),
            },
        )
        async with self._db.connect() as connection:
            await connection.execute(statement)
        self._forget(user.id)
        return user

    async def update_tokens(
        self,
        user: User,
        *,
        access_token: str | None,
        refresh_token: str | None = _UNSET,
        token_expiry: datetime | None = _UNSET,
    ) -> User:
        """Store new credentials for `user` and return the updated value (a deleted user stays deleted)."""
        changes: dict[str, Any] = {"access_token": access_token}
        if refresh_token is not _UNSET:
            changes["refresh_token"] = refresh_token
        if token_expiry is not _UNSET:
            changes["token_expiry"] = token_expiry
        updated = replace(user, **changes)
        async with self._db.connect() as connection:
            await connection.execute(
                update(_TABLE)
                .where(_USERS.id == user.id)
                .values(
                    access_token=self._box.encrypt_optional(updated.access_token),
                    refresh_token=self._box.encrypt_optional(updated.refresh_token),
                    token_expiry=updated.token_expiry,
                )
            )
        self._forget(user.id)
        return updated

    async def update_settings(self, user_id: str, user_settings: dict[str, Any]) -> None:
        async with self._db.connect() as connection:
            await connection.execute(
                update(_TABLE).where(_USERS.id == user_id).values(user_settings=dict(user_settings))
            )
        self._forget(user_id)

    async def delete(self, user_id: str) -> bool:
        async with self._db.connect() as connection:
            result = await connection.execute(delete(_TABLE).where(_USERS.id == user_id))
        self._forget(user_id)
        return (getattr(result, "rowcount", 0) or 0) > 0

    async def list_ids(self) -> list[str]:
        async with self._db.connect() as connection:
            return list((await connection.scalars(select(UserRow.id))).all())
