"""The user read: one SELECT per call, decoded once per distinct stored row, and never stale.

The memo's key is the whole stored row, so a change made by another process must show on the very
next read; these tests make that change from a separate Python process on the same database.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

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
