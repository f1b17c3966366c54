"""Apply the schema migrations (`appconnect db upgrade`, and `serve` at start-up)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from appconnect.store.db import Database

_MIGRATIONS = Path(__file__).parent / "migrations"
_PG_LOCK_KEY = 0x61707063  # "appc": one migrator at a time across workers and machines


def alembic_config(raw_url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    if raw_url:
        config.set_main_option("sqlalchemy.url", raw_url)
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def upgrade(database: Database, revision: str = "head") -> None:
    """Bring the database to `revision`; safe to call from several processes at once."""

    def _upgrade(connection: Connection) -> None:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    # The pool's connections are in autocommit mode; a migration runs in one real transaction
    # (the advisory lock above is held until it commits).
    transactional = "READ COMMITTED" if database.backend == "postgresql" else "SERIALIZABLE"
    async with database.engine.execution_options(isolation_level=transactional).begin() as connection:
        await connection.run_sync(_upgrade)


async def current_revision(database: Database) -> str | None:
    """The revision the database is at (None before the first upgrade)."""

    def _current(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with database.engine.connect() as connection:
        return await connection.run_sync(_current)
