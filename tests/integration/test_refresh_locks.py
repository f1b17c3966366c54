"""Token-refresh leases on a real database (SQLite, or PostgreSQL with APPCONNECT_TEST_DATABASE_URL)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from appconnect.store import Store, upgrade
from appconnect.store.refresh_locks import FAILED, REFRESHED
from tests.conftest import TEST_SECRET


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    opened = Store.open(database_url, TEST_SECRET)
    await upgrade(opened.database)
    yield opened
    await opened.close()


async def test_one_of_many_concurrent_acquirers_gets_the_lease(store: Store) -> None:
    owners = [f"owner-{n}" for n in range(20)]
    taken = await asyncio.gather(*(store.refresh_locks.try_acquire("u-1", owner, 30) for owner in owners))
    assert sum(taken) == 1
    lease = await store.refresh_locks.get("u-1")
    assert lease is not None and lease.owner == owners[taken.index(True)] and not lease.finished


async def test_a_finished_lease_keeps_its_outcome_until_taken_again(store: Store) -> None:
    assert await store.refresh_locks.try_acquire("u-1", "first", 30)
    assert not await store.refresh_locks.try_acquire("u-1", "second", 30)
    await store.refresh_locks.release("u-1", "first", FAILED)
    lease = await store.refresh_locks.get("u-1")
    assert lease is not None and (lease.owner, lease.outcome) == ("first", FAILED)
    assert await store.refresh_locks.try_acquire("u-1", "second", 30)
    lease = await store.refresh_locks.get("u-1")
    assert lease is not None and (lease.owner, lease.outcome) == ("second", None)


async def test_an_expired_lease_can_be_taken_over_and_its_old_owner_cannot_release_it(store: Store) -> None:
    assert await store.refresh_locks.try_acquire("u-1", "crashed", 0)
    assert await store.refresh_locks.try_acquire("u-1", "next", 30)
    await store.refresh_locks.release("u-1", "crashed", REFRESHED)
    lease = await store.refresh_locks.get("u-1")
    assert lease is not None and (lease.owner, lease.outcome) == ("next", None)


async def test_leases_of_different_users_are_independent(store: Store) -> None:
    assert await store.refresh_locks.try_acquire("u-1", "a", 30)
    assert await store.refresh_locks.try_acquire("u-2", "b", 30)
