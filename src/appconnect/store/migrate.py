"""Apply the schema migrations (`appconnect db upgrade`, and `serve` at start-up).

Start-up only needs to know that the database is at the latest revision, which one SELECT of
`alembic_version` and a look at the migration files' `revision = "..."` lines answer. Alembic (its
import, its script directory, its environment) is loaded only when there is something to apply:
that alone was a third of the time from launch to the first `/isAlive`.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, text

from appconnect.store.db import Database
from appconnect.store.ownership import check_ownership

if TYPE_CHECKING:
    from alembic.config import Config

_MIGRATIONS = Path(__file__).parent / "migrations"
_PG_LOCK_KEY = 0x61707063  # "appc": one migrator at a time across workers and machines
_REVISION = re.compile(r"^revision\s*(?::[^=]*)?=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision\s*(?::[^=]*)?=\s*(?:['\"]([^'\"]+)['\"]|None)", re.MULTILINE)


def alembic_config(raw_url: str | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    if raw_url:
        config.set_main_option("sqlalchemy.url", raw_url)
    return config


@cache
def head_revision() -> str | None:
    """The latest revision of the bundled migrations (the one no other revision builds on).

    Read from the files' `revision` / `down_revision` lines, without loading Alembic; a test checks
    that it agrees with Alembic's own `ScriptDirectory.get_current_head()`.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (_MIGRATIONS / "versions").glob("*.py"):
        source = script.read_text(encoding="utf-8")
        found = _REVISION.search(source)
        if found is None:
            continue
        revisions.add(found.group(1))
        down = _DOWN_REVISION.search(source)
        if down is not None and down.group(1):
            parents.add(down.group(1))
    heads = sorted(revisions - parents)
    if len(heads) > 1:
        raise RuntimeError(f"the migrations have several heads: {', '.join(heads)}")
    return heads[0] if heads else None


async def upgrade(database: Database, revision: str = "head") -> None:
    """Bring the database to `revision`; safe to call from several processes at once."""
    if revision == "head" and await current_revision(database) == head_revision():
        return  # already there: nothing to load, nothing to lock

    def _upgrade(connection: Connection) -> None:
        from alembic import command

        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        check_ownership(connection)  # before the first statement of any migration (store/ownership.py)
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
    async with database.connect() as connection:
        exists = await connection.run_sync(lambda sync: sync.dialect.has_table(sync, "alembic_version"))
        if not exists:
            return None
        found = (await connection.execute(text("SELECT version_num FROM alembic_version"))).first()
    return None if found is None else str(found[0])
