"""A database that is not ours is never touched: the ownership guard before every migration.

Runs on a real SQLite file, or on a fresh PostgreSQL database when APPCONNECT_TEST_DATABASE_URL is
set. The reference's tables are created from its model definitions (tests/support/reference_schema).
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from sqlalchemy import create_engine, inspect, text

from appconnect.store import Database, current_revision, head_revision, upgrade
from appconnect.store.db import sync_url
from appconnect.store.ownership import ForeignDatabaseError, known_revisions, owned_tables
from tests.support.reference_schema import REFERENCE_DDL, REFERENCE_TABLES


def _execute(url: str, statements: Iterable[str]) -> None:
    engine = create_engine(sync_url(url))
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        engine.dispose()


def _snapshot(url: str) -> dict[str, list[tuple[str, str]]]:
    """Every table with its columns and their types: what a migration would have changed."""
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as connection:
            inspector = inspect(connection)
            return {
                name: [(column["name"], str(column["type"])) for column in inspector.get_columns(name)]
                for name in sorted(inspector.get_table_names())
            }
    finally:
        engine.dispose()


async def _upgrade(url: str) -> None:
    database = Database(url)
    try:
        await upgrade(database)
    finally:
        await database.dispose()


async def test_a_reference_database_is_refused_and_left_exactly_as_it_was(database_url: str) -> None:
    _execute(database_url, REFERENCE_DDL)
    _execute(
        database_url,
        [
            'INSERT INTO "users" ("id", "platform", "createdAt", "updatedAt") '
            "VALUES ('1-pipedrive', 'pipedrive', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        ],
    )
    before = _snapshot(database_url)
    assert set(before) == set(REFERENCE_TABLES)

    with pytest.raises(ForeignDatabaseError) as refused:
        await _upgrade(database_url)

    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith("DATABASE_URL holds tables that appconnect did not create (")
    assert "accountData, adminConfigs, cache, callDownLists, callLogs and 3 more" in message
    assert "new, empty database" in message and "appconnect import-reference --from" in message
    assert _snapshot(database_url) == before  # no alembic_version, no column, no table
    database = Database(database_url)
    try:
        assert await current_revision(database) is None
    finally:
        await database.dispose()


async def test_an_unknown_alembic_revision_is_refused(database_url: str) -> None:
    _execute(
        database_url,
        [
            "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)",
            "INSERT INTO alembic_version (version_num) VALUES ('ffee00beef')",
            "CREATE TABLE invoices (id INTEGER PRIMARY KEY)",
        ],
    )
    before = _snapshot(database_url)
    with pytest.raises(ForeignDatabaseError, match=r"revision 'ffee00beef', which this appconnect does not"):
        await _upgrade(database_url)
    assert _snapshot(database_url) == before


async def test_a_foreign_table_beside_ours_is_refused_before_a_pending_migration(database_url: str) -> None:
    database = Database(database_url)
    try:
        await upgrade(database, "0001")  # an older appconnect's database: one migration pending
    finally:
        await database.dispose()
    _execute(database_url, ['CREATE TABLE "callLogs" ("id" VARCHAR(255) PRIMARY KEY)'])
    before = _snapshot(database_url)
    with pytest.raises(ForeignDatabaseError, match=r"tables that are not appconnect's \(callLogs\)"):
        await _upgrade(database_url)
    assert _snapshot(database_url) == before
    database = Database(database_url)
    try:
        assert await current_revision(database) == "0001"
    finally:
        await database.dispose()


async def test_an_empty_database_and_our_own_are_accepted(database_url: str) -> None:
    await _upgrade(database_url)
    await _upgrade(database_url)  # again: at head, nothing to do
    database = Database(database_url)
    try:
        assert await current_revision(database) == head_revision()
    finally:
        await database.dispose()
    assert set(_snapshot(database_url)) <= owned_tables()


def test_every_migrated_table_and_revision_is_known_as_ours() -> None:
    assert {"users", "call_logs", "message_conversation_logs", "alembic_version"} <= owned_tables()
    assert not {"callLogs", "messageLogs", "adminConfigs", "accountData"} & owned_tables()
    assert head_revision() in known_revisions() and "0001" in known_revisions()
