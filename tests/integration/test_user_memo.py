"""The user read: one SELECT per call, decoded once per distinct stored row, and never stale.

The memo's key is the whole stored row, so a change made by another process must show on the very
next read; these tests make that change from a separate Python process on the same database.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from appconnect.domain import User
from appconnect.store import Store, upgrade

SECRET = "memo-test-secret"
USER = User(
    id="7-sample",
    platform="sample",
    hostname="crm.example",
    access_token="access-1",
    refresh_token="refresh-1",
    token_expiry=datetime(2030, 1, 1, tzinfo=UTC),
    user_settings={"logDateFormat": {"value": "YYYY"}},
)


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    opened = Store.open(database_url, SECRET)
    await upgrade(opened.database)
    yield opened
    await opened.close()


async def in_another_process(database_url: str, body: str) -> None:
    """Run `body` (async code with `store` bound to a fresh Store) in a separate interpreter."""
    script = textwrap.dedent(
        f"""
        import asyncio
        from datetime import UTC, datetime
        from appconnect.store import Store

        async def main():
            store = Store.open({database_url!r}, {SECRET!r})
            try:
        {textwrap.indent(textwrap.dedent(body), " " * 16)}
            finally:
                await store.close()

        asyncio.run(main())
        """
    )
    completed = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert completed.returncode == 0, completed.stderr


async def test_the_same_stored_row_is_decoded_once(store: Store) -> None:
    await store.users.save(USER)
    for _ in range(5):
        loaded = await store.users.get(USER.id)
        assert loaded is not None and loaded.access_token == "access-1"
    assert store.users.decoded_rows == 1
    await store.users.update_tokens(USER, access_token="access-2")
    loaded = await store.users.get(USER.id)
    assert loaded is not None and loaded.access_token == "access-2"
    assert store.users.decoded_rows == 2


async def test_a_token_refresh_in_another_process_is_seen_on_the_next_read(
    store: Store, database_url: str
) -> None:
    await store.users.save(USER)
    assert (await store.users.get(USER.id)) is not None  # memoised here
    await in_another_process(
        database_url,
        """
        user = await store.users.get("7-sample")
        await store.users.update_tokens(user, access_token="access-from-elsewhere",
                                        refresh_token="refresh-from-elsewhere",
                                        token_expiry=datetime(2031, 1, 1, tzinfo=UTC))
        """,
    )
    loaded = await store.users.get(USER.id)
    assert loaded is not None
    assert (loaded.access_token, loaded.refresh_token) == ("access-from-elsewhere", "refresh-from-elsewhere")
    assert loaded.token_expiry is not None
    assert loaded.token_expiry.replace(tzinfo=UTC) - datetime(2031, 1, 1, tzinfo=UTC) == timedelta(0)


async def test_settings_logout_and_deletion_in_another_process_are_seen(
    store: Store, database_url: str
) -> None:
    await store.users.save(USER)
    assert (await store.users.get(USER.id)) is not None
    await in_another_process(
        database_url, """await store.users.update_settings("7-sample", {"logDateFormat": {"value": "DD"}})"""
    )
    loaded = await store.users.get(USER.id)
    assert loaded is not None and loaded.user_settings == {"logDateFormat": {"value": "DD"}}
    await in_another_process(
        database_url,
        """
        user = await store.users.get("7-sample")
        await store.users.update_tokens(user, access_token=None)
        """,
    )
    loaded = await store.users.get(USER.id)
    assert loaded is not None and not loaded.is_usable
    await in_another_process(database_url, """await store.users.delete("7-sample")""")
    assert await store.users.get(USER.id) is None


async def test_the_same_token_saved_again_is_a_new_row_to_the_memo(store: Store) -> None:
    # Every encryption uses a fresh nonce, so re-saving identical values still changes the ciphertext.
    await store.users.save(USER)
    await store.users.get(USER.id)
    await store.users.save(USER)
    await store.users.get(USER.id)
    assert store.users.decoded_rows == 2


async def test_callers_cannot_edit_the_memo_through_a_returned_user(store: Store) -> None:
    await store.users.save(USER)
    first = await store.users.get(USER.id)
    assert first is not None
    first.user_settings["logDateFormat"] = {"value": "changed in memory"}
    first.platform_additional_info["extra"] = True
    again = await store.users.get(USER.id)
    assert again is not None
    assert again.user_settings == {"logDateFormat": {"value": "YYYY"}}
    assert again.platform_additional_info == {}


# --- Kept users (PostgreSQL's change feed, store/user_changes.py) -------------------------------


@pytest.fixture
async def following(store: Store) -> Store:
    """The store as the server runs it: following user changes where the database can tell them."""
    feed = await store.follow_user_changes()
    if feed is not None:
        async with asyncio.timeout(10):
            await feed.wait_live()
    return store


def hears_changes(store: Store) -> bool:
    return store.database.backend == "postgresql"


async def seen(store: Store, check: Callable[[User | None], bool]) -> User | None:
    """The user as read until `check` holds (a notification takes a moment to arrive); bounded."""
    async with asyncio.timeout(5):
        while True:
            loaded = await store.users.get(USER.id)
            if check(loaded):
                return loaded
            await asyncio.sleep(0.02)


async def own_notification_heard(store: Store) -> None:
    """A write forgets the user at once (one change) and its notification comes back too (another);
    wait for it, so the reads that follow are not overtaken by it."""
    feed = store.user_changes
    if feed is None:
        return
    for _ in range(500):
        if (feed.token(USER.id) or (0, 0))[1] >= 2:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the write's own notification never came back")


async def token_stored_elsewhere(store: Store, database_url: str, token: str) -> User | None:
    """Another process stores a new access token; the user as this one reads it once it is seen."""
    await in_another_process(
        database_url,
        f"""
        user = await store.users.get("7-sample")
        await store.users.update_tokens(user, access_token={token!r})
        """,
    )
    return await seen(store, lambda user: user is not None and user.access_token == token)


async def test_a_user_is_read_once_where_changes_are_heard_and_every_time_elsewhere(following: Store) -> None:
    await following.users.save(USER)
    await own_notification_heard(following)
    before = following.users.rows_read
    for _ in range(5):
        loaded = await following.users.get(USER.id)
        assert loaded is not None and loaded.access_token == "access-1"
    if hears_changes(following):
        assert following.user_changes is not None and following.user_changes.live
        assert following.users.rows_read - before == 1
    else:
        assert following.user_changes is None  # SQLite tells nothing: the row is read each time
        assert following.users.rows_read - before == 5


async def test_a_kept_user_changed_by_another_process_is_seen(following: Store, database_url: str) -> None:
    await following.users.save(USER)
    assert (await following.users.get(USER.id)) is not None  # kept (PostgreSQL)
    loaded = await token_stored_elsewhere(following, database_url, "access-from-elsewhere")
    assert loaded is not None and loaded.refresh_token == "refresh-1"
    await in_another_process(
        database_url, """await store.users.update_settings("7-sample", {"logDateFormat": {"value": "DD"}})"""
    )
    loaded = await seen(following, lambda user: user is not None and "DD" in str(user.user_settings))
    assert loaded is not None and loaded.user_settings == {"logDateFormat": {"value": "DD"}}
    await in_another_process(database_url, """await store.users.delete("7-sample")""")
    assert await seen(following, lambda user: user is None) is None


async def test_this_process_sees_its_own_change_at_once(following: Store) -> None:
    await following.users.save(USER)
    assert (await following.users.get(USER.id)) is not None
    await following.users.update_tokens(USER, access_token="access-2")
    loaded = await following.users.get(USER.id)  # no waiting: our own write forgets the kept row
    assert loaded is not None and loaded.access_token == "access-2"
    await following.users.update_settings(USER.id, {"logDateFormat": {"value": "MM"}})
    loaded = await following.users.get(USER.id)
    assert loaded is not None and loaded.user_settings == {"logDateFormat": {"value": "MM"}}
    await following.users.delete(USER.id)
    assert await following.users.get(USER.id) is None


async def test_while_the_feed_is_down_every_read_goes_to_the_database(
    following: Store, database_url: str
) -> None:
    await following.users.save(USER)
    await own_notification_heard(following)
    await following.users.get(USER.id)
    feed = following.user_changes
    if not hears_changes(following):
        assert feed is None
        return_reads = following.users.rows_read
        await following.users.get(USER.id)
        assert following.users.rows_read == return_reads + 1
        return
    assert feed is not None
    async with following.database.connect() as connection:  # cut the listener's connection
        await connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND query LIKE 'LISTEN appconnect_users%'"
            )
        )
    for _ in range(500):
        if not feed.live:
            break
        await asyncio.sleep(0.01)
    assert not feed.live
    reads = following.users.rows_read
    await following.users.get(USER.id)
    await following.users.get(USER.id)
    assert following.users.rows_read == reads + 2  # nothing kept while nothing is heard
    async with asyncio.timeout(15):
        await feed.wait_live()  # it reconnects by itself
    loaded = await token_stored_elsewhere(following, database_url, "access-after-reconnect")
    assert loaded is not None
    for _ in range(50):  # kept again (once the change's notification, which may trail it, is in)
        reads = following.users.rows_read
        await following.users.get(USER.id)
        if following.users.rows_read == reads:
            break
        await asyncio.sleep(0.02)
    assert following.users.rows_read == reads
