"""Persistence: one `Store` per process, with a repository per table.

Nothing outside this package writes SQL. Services receive a `Store` and call its repositories;
connectors never see it.
"""

from __future__ import annotations

from sqlalchemy import text

from appconnect.security import SecretBox
from appconnect.store.account_data import AccountDataRepository
from appconnect.store.admin_configs import AdminConfigRepository
from appconnect.store.admin_tokens import AdminTokenRepository
from appconnect.store.call_down import CallDownRepository
from appconnect.store.call_logs import CallLogRepository, ExtensionIdentity, Reservation
from appconnect.store.db import Database, DatabaseUrlError, async_url, backend_name
from appconnect.store.managed_auth import ManagedAuthRepository
from appconnect.store.managed_oauth import ManagedOAuthRepository
from appconnect.store.message_logs import MessageLogRepository
from appconnect.store.migrate import current_revision, head_revision, upgrade
from appconnect.store.note_cache import NoteCacheRepository
from appconnect.store.outbox import OutboxRepository
from appconnect.store.refresh_locks import RefreshLockRepository
from appconnect.store.user_changes import UserChangeFeed
from appconnect.store.users import UserRepository


class Store:
    """The database and every repository over it."""

    def __init__(self, database: Database, box: SecretBox) -> None:
        self.database = database
        self.users = UserRepository(database, box)
        self.call_logs = CallLogRepository(database)
        self.message_logs = MessageLogRepository(database)
        self.account_data = AccountDataRepository(database)
        self.admin_configs = AdminConfigRepository(database)
        self.note_cache = NoteCacheRepository(database)
        self.refresh_locks = RefreshLockRepository(database)
        self.managed_auth = ManagedAuthRepository(self.account_data, box)
        self.call_down = CallDownRepository(database)
        self.managed_oauth = ManagedOAuthRepository(database, self.account_data, box)
        self.admin_tokens = AdminTokenRepository(database, box)
        self.outbox = OutboxRepository(database)
        self.user_changes: UserChangeFeed | None = None

    @classmethod
    def open(cls, database_url: str, server_secret: str, *, ssl: bool | None = None) -> Store:
        """`ssl` is `DATABASE_SSL` (`Settings.database_ssl`; None: automatic)."""
        return cls(Database(database_url, ssl=ssl), SecretBox.from_server_secret(server_secret))

    async def follow_user_changes(self) -> UserChangeFeed | None:
        """Start keeping user rows between requests, on PostgreSQL (through psycopg): a LISTEN
        connection tells which users any process changed (`store/user_changes.py`). Elsewhere
        None: the user row is read on every request."""
        target = self.database.libpq_conninfo()
        if target is None or self.user_changes is not None:
            return self.user_changes
        if not await self._users_notify():
            return None  # not migrated to 0005 (auto-migrate off): nothing would say a user changed
        conninfo, connect_kwargs = target
        self.user_changes = UserChangeFeed(conninfo, connect_kwargs)
        self.users.follow(self.user_changes)
        await self.user_changes.start()
        return self.user_changes

    async def _users_notify(self) -> bool:
        """Whether migration 0005's trigger is on the users table (one catalog read at start-up)."""
        query = text("SELECT 1 FROM pg_trigger WHERE tgname = 'appconnect_users_changed'")
        async with self.database.connect() as connection:
            return (await connection.execute(query)).first() is not None

    async def close(self) -> None:
        if self.user_changes is not None:
            self.users.follow(None)
            await self.user_changes.stop()
            self.user_changes = None
        await self.database.dispose()


__all__ = [
    "Database",
    "DatabaseUrlError",
    "ExtensionIdentity",
    "Reservation",
    "Store",
    "async_url",
    "backend_name",
    "current_revision",
    "head_revision",
    "upgrade",
]
