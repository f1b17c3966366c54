"""What the store's engine sends and keeps: pooled connections, one statement per read, and (SQLite)
no lock wait on the event loop. Real databases: a SQLite file, or PostgreSQL when
APPCONNECT_TEST_DATABASE_URL is set."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text

from appconnect.domain import User
from appconnect.store import ExtensionIdentity, Store, upgrade
from appconnect.store import _sqlite as loop_sqlite
from appconnect.store.db import POOL_SIZE

SECRET = "engine-test-secret"
WHO = ExtensionIdentity(extension_number="101", hashed_extension_id="h-1")


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    opened = Store.open(database_url, SECRET)
    await upgrade(opened.database)
    yield opened
    await opened.close()


@contextmanager
def statements(store: Store) -> Iterator[list[str]]:
    """Every statement the engine hands to the driver while the block runs (first word, upper case)."""
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        sent.append(statement.strip().split(None, 1)[0].upper())

    sync_engine = store.database.engine.sync_engine
    event.listen(sync_engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(sync_engine, "before_cursor_execute", record)


@contextmanager
def connections_opened(store: Store) -> Iterator[list[int]]:
    opened: list[int] = []

    def record(_dbapi_connection: Any, _record: Any) -> None:
        opened.append(1)

    sync_engine = store.database.engine.sync_engine
    event.listen(sync_engine, "connect", record)
    try:
        yield opened
    finally:
        event.remove(sync_engine, "connect", record)


async def test_a_read_is_exactly_one_statement(store: Store) -> None:
    await store.users.save(User(id="1-sample", platform="sample", access_token="token"))
    with statements(store) as sent:
        assert await store.users.get("1-sample") is not None
        assert await store.call_logs.candidates(["s-1"], platform="sample") == []
    assert sent == ["SELECT", "SELECT"]  # no BEGIN, no ROLLBACK, no ping


async def test_a_create_sends_no_transaction_statements_around_its_single_statement_writes(
    store: Store,
) -> None:
    with statements(store) as sent:
        reservation = await store.call_logs.reserve(
            record_id="r-1",
            session_id="s-1",
            who=WHO,
            platform="sample",
            user_id="1-sample",
            contact_id="c-1",
            checked=True,
        )
        assert reservation.is_ours
        await store.call_logs.confirm(reservation.link, "log-1")
    assert sent == ["INSERT", "UPDATE"]


async def test_a_transaction_is_begun_and_committed_explicitly(store: Store) -> None:
    with statements(store) as sent:
        async with store.database.transaction() as session:
            await session.execute(text("DELETE FROM users WHERE id = 'nobody'"))
            await session.execute(text("DELETE FROM users WHERE id = 'nobody-else'"))
    assert sent == ["BEGIN", "DELETE", "DELETE", "COMMIT"]


async def test_a_failed_transaction_is_rolled_back(store: Store) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with store.database.transaction() as session:
            await session.execute(text("DELETE FROM users WHERE id = 'nobody'"))
            raise Boom()
    # The connection went back to the pool outside any transaction: the next write works at once.
    await store.users.save(User(id="3-sample", platform="sample", access_token="token"))
    assert await store.users.get("3-sample") is not None


async def test_the_pool_keeps_its_connections_in_steady_state(store: Store) -> None:
    await store.users.save(User(id="4-sample", platform="sample", access_token="token"))

    async def burst() -> None:
        await asyncio.gather(*(store.users.get("4-sample") for _ in range(3 * POOL_SIZE)))

    await burst()  # warm: the pool opens what the burst needs, at most POOL_SIZE
    with connections_opened(store) as opened:
        for _ in range(3):
            await burst()
        for _ in range(20):
            await store.users.get("4-sample")
    assert opened == []


async def test_sqlite_waits_for_a_lock_off_the_event_loop(tmp_path: Path) -> None:
    """A write that finds the database locked by another process waits in a thread: the loop runs on."""
    path = tmp_path / "locked.db"
    store = Store.open(f"sqlite:///{path}", SECRET)
    try:
        await upgrade(store.database)
        holder = sqlite3.connect(path, check_same_thread=False)
        holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        released = threading.Event()

        def release_later() -> None:
            released.wait(0.6)
            holder.rollback()
            holder.close()

        threading.Thread(target=release_later, daemon=True).start()
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while not released.is_set():
                ticks += 1
                await asyncio.sleep(0.01)

        ticking = asyncio.create_task(ticker())
        await store.users.save(User(id="5-sample", platform="sample", access_token="token"))
        released.set()
        await ticking
        assert await store.users.get("5-sample") is not None
        assert ticks >= 5  # with the wait on the loop, the ticker could not run until the save ended
    finally:
        await store.close()


async def test_sqlite_checkpoints_in_a_thread_after_enough_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkpoints: list[str] = []
    done = threading.Event()
    monkeypatch.setattr(loop_sqlite, "CHECKPOINT_EVERY", 5)
    original = loop_sqlite._Checkpointer._checkpoint

    def spy(self: Any) -> None:
        checkpoints.append(threading.current_thread().name)
        original(self)
        done.set()

    monkeypatch.setattr(loop_sqlite._Checkpointer, "_checkpoint", spy)
    store = Store.open(f"sqlite:///{tmp_path / 'wal.db'}", SECRET)
    try:
        await upgrade(store.database)
        for number in range(6):
            await store.account_data.put("acct", "sample", f"key-{number}", {"n": number})
        await asyncio.to_thread(done.wait, 10)
    finally:
        await store.close()
    assert checkpoints
    assert threading.main_thread().name not in checkpoints


def test_the_head_revision_read_from_the_files_is_alembics() -> None:
    from alembic.script import ScriptDirectory

    from appconnect.store.migrate import alembic_config, head_revision

    assert head_revision() == ScriptDirectory.from_config(alembic_config()).get_current_head()


async def test_upgrading_a_migrated_database_only_checks_the_revision(store: Store) -> None:
    """Start-up on a migrated database costs a revision check, not Alembic's machinery."""
    with statements(store) as sent:
        await upgrade(store.database)
    assert sent and sent[-1] == "SELECT"
    assert not {"BEGIN", "CREATE", "ALTER", "INSERT", "UPDATE"} & set(sent)
    assert len(sent) <= 3
