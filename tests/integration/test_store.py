"""Storage on a real database (SQLite file, or PostgreSQL when APPCONNECT_TEST_DATABASE_URL is set)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect

from appconnect.domain import User
from appconnect.store import ExtensionIdentity, Store, current_revision, head_revision, upgrade

SECRET = "store-test-secret"


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    opened = Store.open(database_url, SECRET)
    await upgrade(opened.database)
    yield opened
    await opened.close()


async def test_migrations_create_every_table_and_reach_head(store: Store) -> None:
    assert await current_revision(store.database) == head_revision()

    def tables(connection: object) -> set[str]:
        return set(inspect(connection).get_table_names())

    async with store.database.engine.connect() as connection:
        names = await connection.run_sync(tables)
    assert {
        "users",
        "call_logs",
        "message_logs",
        "admin_configs",
        "account_data",
        "cache",
        "call_down_lists",
        "note_cache",
    } <= names


async def test_upgrading_twice_is_harmless(store: Store) -> None:
    await upgrade(store.database)
    assert await current_revision(store.database) == head_revision()


async def test_tokens_are_encrypted_at_rest_and_read_back(store: Store, database_url: str) -> None:
    user = User(
        id="42-sample",
        platform="sample",
        access_token="very-secret-access-token",
        refresh_token="very-secret-refresh-token",
    )
    await store.users.save(user)
    loaded = await store.users.get("42-sample")
    assert loaded is not None
    assert loaded.access_token == "very-secret-access-token"
    assert loaded.refresh_token == "very-secret-refresh-token"
    if database_url.startswith("sqlite"):
        await store.close()
        raw = _file_bytes(database_url.removeprefix("sqlite:///"))
        assert b"very-secret-access-token" not in raw
        assert b"very-secret-refresh-token" not in raw
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as connection:
            stored = connection.execute("select access_token from users").fetchone()[0]
        assert stored.startswith("v1:")
    else:
        async with store.database.engine.connect() as connection:
            from sqlalchemy import text

            stored = (await connection.execute(text("select access_token from users"))).scalar_one()
        assert "very-secret-access-token" not in stored and stored.startswith("v1:")


def _file_bytes(path: str) -> bytes:
    """The database file and its write-ahead log, as bytes an attacker with the disk would see."""
    data = Path(path).read_bytes()
    wal = Path(path + "-wal")
    return data + (wal.read_bytes() if wal.exists() else b"")


async def test_concurrent_reservations_for_one_session_have_one_winner(store: Store) -> None:
    who = ExtensionIdentity(extension_number="101", hashed_extension_id="")

    async def reserve() -> bool:
        reservation = await store.call_logs.reserve(
            record_id="tel-1", session_id="s-1", who=who, platform="sample", user_id="u", contact_id="c"
        )
        return reservation.is_ours

    outcomes = await asyncio.gather(*(reserve() for _ in range(20)))
    assert outcomes.count(True) == 1
    assert await store.call_logs.count() == 1


async def test_a_released_reservation_can_be_taken_again(store: Store) -> None:
    who = ExtensionIdentity()
    first = await store.call_logs.reserve(
        record_id="t", session_id="s-2", who=who, platform="sample", user_id="u", contact_id="c"
    )
    await store.call_logs.release(first.link)
    second = await store.call_logs.reserve(
        record_id="t", session_id="s-2", who=who, platform="sample", user_id="u", contact_id="c"
    )
    assert second.is_ours
    confirmed = await store.call_logs.confirm(second.link, "crm-77")
    found = await store.call_logs.find("s-2", who, platform="sample")
    assert found == confirmed and found.third_party_log_id == "crm-77" and found.state == "created"


async def test_same_session_can_be_logged_by_another_extension(store: Store) -> None:
    for extension in ("101", "102"):
        reservation = await store.call_logs.reserve(
            record_id="t",
            session_id="s-3",
            who=ExtensionIdentity(extension_number=extension),
            platform="sample",
            user_id="u",
            contact_id="c",
        )
        assert reservation.is_ours


async def test_account_data_upsert_replaces_the_value(store: Store) -> None:
    await store.account_data.put("acc", "sample", "contact-+1", [{"id": 1}])
    await store.account_data.put("acc", "sample", "contact-+1", [{"id": 2}])
    assert await store.account_data.get("acc", "sample", "contact-+1") == [{"id": 2}]
    await store.account_data.delete("acc", "sample", "contact-+1")
    assert await store.account_data.get("acc", "sample", "contact-+1") is None


async def test_note_cache_overwrites_on_repeat(store: Store) -> None:
    await store.note_cache.put("s", "first")
    await store.note_cache.put("s", "second")
    assert await store.note_cache.get("s") == "second"
    assert await store.note_cache.get("other") is None


async def test_a_stale_reservation_of_a_dead_create_is_taken_over(database_url: str) -> None:
    opened = Store.open(database_url, SECRET)
    await upgrade(opened.database)
    try:
        who = ExtensionIdentity(extension_number="101")
        first = await opened.call_logs.reserve(
            record_id="t", session_id="s-stale", who=who, platform="sample", user_id="u", contact_id="c"
        )
        assert first.is_ours
        assert await opened.call_logs.existing("s-stale", who, platform="sample") == first.link
        opened.call_logs._stale_after = timedelta(seconds=-1)  # as if the creator died long ago
        assert await opened.call_logs.existing("s-stale", who, platform="sample") is None
        second = await opened.call_logs.reserve(
            record_id="t", session_id="s-stale", who=who, platform="sample", user_id="u", contact_id="c"
        )
        assert second.is_ours and await opened.call_logs.count() == 1
    finally:
        await opened.close()


async def test_a_checked_reservation_still_loses_to_a_live_one_and_takes_over_a_dead_one(
    database_url: str,
) -> None:
    opened = Store.open(database_url, SECRET)
    await upgrade(opened.database)
    try:
        who = ExtensionIdentity(hashed_extension_id="h-1")

        async def reserve() -> bool:
            reservation = await opened.call_logs.reserve(
                record_id="t",
                session_id="s-checked",
                who=who,
                platform="sample",
                user_id="u",
                contact_id="c",
                checked=True,
            )
            return reservation.is_ours

        assert await reserve() is True
        assert await reserve() is False  # a live reservation holds the key
        opened.call_logs._stale_after = timedelta(seconds=-1)  # as if its creator died
        assert await reserve() is True
        assert await opened.call_logs.count() == 1
    finally:
        await opened.close()
