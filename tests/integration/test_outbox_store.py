"""The outbox on a real database (SQLite, or PostgreSQL with APPCONNECT_TEST_DATABASE_URL).

Two workers are two `Store`s (two engines, two connection pools), as two processes would be:
on PostgreSQL their claims run concurrently (`FOR UPDATE SKIP LOCKED`), on SQLite the write lock
serializes them. Either way no job is claimed twice, and one call's jobs run in order.
"""

from __future__ import annotations

import asyncio
import typing
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import Update
from sqlalchemy.exc import SQLAlchemyError

from appconnect.domain import User
from appconnect.store import ExtensionIdentity, Store, upgrade
from appconnect.store.outbox import DEAD, QUEUED, Job, JobSpec
from appconnect.store.prepared import Bound, Prepared
from tests.conftest import TEST_SECRET


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    opened = Store.open(database_url, TEST_SECRET)
    await upgrade(opened.database)
    yield opened
    await opened.close()


def spec(order_key: str, n: int, account: str = "acct-1") -> JobSpec:
    return JobSpec(
        kind="call_log.update",
        platform="pipedrive",
        user_id="1-pipedrive",
        order_key=order_key,
        account_key=account,
        payload={"n": n},
    )


async def test_two_workers_share_the_queue_and_no_job_runs_twice(store: Store, database_url: str) -> None:
    for n in range(120):  # 40 calls with three jobs each
        await store.outbox.enqueue(spec(f"call-{n % 40}", n))
    other = Store.open(database_url, TEST_SECRET)
    runs: list[tuple[str, int, str, int]] = []

    async def work(name: str, worker_store: Store) -> None:
        idle = 0
        while idle < 3:
            jobs = await worker_store.outbox.claim(name, limit=7, lease_seconds=30)
            if not jobs:
                idle += 1
                await asyncio.sleep(0.02)
                continue
            idle = 0
            for job in jobs:
                runs.append((name, job.id, job.order_key, job.payload["n"]))
                await asyncio.sleep(0)  # the other worker claims meanwhile
                await worker_store.outbox.complete(job.id)

    try:
        await asyncio.gather(work("worker-a", store), work("worker-b", other), work("worker-c", other))
    finally:
        await other.close()
    ids = [run[1] for run in runs]
    assert len(ids) == 120 and len(set(ids)) == 120  # every job once, none twice
    assert {run[0] for run in runs} >= {"worker-a"}
    for key in {run[2] for run in runs}:  # per call, in the order accepted
        ordered = [run[3] for run in runs if run[2] == key]
        assert ordered == sorted(ordered)
    assert (await store.outbox.stats()).queued == 0


async def test_a_job_behind_a_queued_one_waits_and_an_expired_lease_returns(store: Store) -> None:
    first = await store.outbox.enqueue(spec("call-1", 1), lease_owner="request:dead", lease_seconds=0.2)
    await store.outbox.enqueue(spec("call-1", 2))
    assert await store.outbox.claim("w", limit=10, lease_seconds=30) == []  # leased, and in the way
    await asyncio.sleep(0.3)
    [again] = await store.outbox.claim("w", limit=10, lease_seconds=30)
    assert again.id == first.id and again.maybe_sent is True  # its first attempt may have been sent
    assert again.attempts == 2


async def test_a_first_job_is_recorded_only_when_its_call_has_no_job_at_all(store: Store) -> None:
    async def first(order_key: str, n: int) -> Job | None:
        return await store.outbox.enqueue_first(spec(order_key, n), lease_owner="request:a", lease_seconds=30)

    one = await first("call-1", 1)
    assert one is not None and one.lease_owner == "request:a" and one.maybe_sent is True
    assert await first("call-1", 2) is None  # the call's first job is in flight
    other = await first("call-2", 3)
    assert other is not None  # another call is not in the way
    await store.outbox.kill(other.id, error="CrmUnavailable: down")
    assert await first("call-2", 4) is None  # a dead job is still the call's job
    await store.outbox.complete(one.id)
    again = await first("call-1", 5)
    assert again is not None and again.payload == {"n": 5}
    assert [job.payload["n"] for job in await store.outbox.queued_for("call-1")] == [5]


async def test_completing_a_job_with_the_state_it_delivers_is_one_atomic_step(store: Store) -> None:
    user = User(id="1-pipedrive", platform="pipedrive", hostname="x.pipedrive.com", access_token="t")
    await store.users.save(user)
    job = await store.outbox.enqueue(spec("call-1", 1), lease_owner="request:a", lease_seconds=30)
    who = ExtensionIdentity(extension_number="101", hashed_extension_id="h-1")
    reservation = await store.call_logs.reserve(
        record_id="rec-1", session_id="s-1", who=who, platform="pipedrive", user_id=user.id, contact_id="9"
    )
    confirm = store.call_logs.confirm_statement(reservation.link, "activity-77")
    await store.outbox.complete(job.id, also=(confirm,))
    assert await store.outbox.get(job.id) is None
    link = await store.call_logs.find("s-1", who, platform="pipedrive")
    assert link is not None and (link.state, link.third_party_log_id) == ("created", "activity-77")
    # A statement that fails takes the job's deletion with it: the job is still owed.
    owed = await store.outbox.enqueue(spec("call-2", 2), lease_owner="request:a", lease_seconds=30)
    confirm_78 = store.call_logs.confirm_statement(reservation.link, "activity-78")
    not_null = typing.cast(Update, confirm_78.prepared.statement).values(state=None)  # NOT NULL: it fails
    broken = Bound(Prepared(not_null), confirm_78.values)
    with pytest.raises(SQLAlchemyError):
        await store.outbox.complete(owed.id, also=(broken,))
    assert await store.outbox.get(owed.id) is not None


async def test_a_429_pauses_only_that_account(store: Store) -> None:
    await store.outbox.enqueue(spec("call-1", 1, account="acct-1"))
    other = await store.outbox.enqueue(spec("call-2", 2, account="acct-2"))
    assert await store.outbox.pause_account("acct-1", seconds=60) == 1
    claimed = await store.outbox.claim("w", limit=10, lease_seconds=30)
    assert [job.id for job in claimed] == [other.id]


async def test_pauses_of_one_account_beside_claims_and_reschedules_never_fail(
    store: Store, database_url: str
) -> None:
    """Many 429s of one account at once (each pausing its jobs) while workers claim and requests
    reschedule: on PostgreSQL multi-row updates that wait on each other deadlock; none may fail."""
    for n in range(150):
        await store.outbox.enqueue(spec(f"call-{n}", n))
    other = Store.open(database_url, TEST_SECRET)

    async def pause(worker_store: Store) -> None:
        for _ in range(15):
            await worker_store.outbox.pause_account("acct-1", seconds=0.0)

    async def claim_and_reschedule(name: str, worker_store: Store) -> None:
        for _ in range(15):
            for job in await worker_store.outbox.claim(name, limit=10, lease_seconds=30):
                await worker_store.outbox.reschedule(job.id, delay_seconds=0.0, error="429", maybe_sent=False)

    try:
        await asyncio.gather(
            *(pause(s) for s in (store, other, store, other)),
            claim_and_reschedule("worker-a", store),
            claim_and_reschedule("worker-b", other),
        )
    finally:
        await other.close()
    assert (await store.outbox.stats()).queued == 150  # every job still queued, none lost
    assert await store.outbox.pause_account("acct-1", seconds=60) == 150
    assert await store.outbox.claim("w", limit=10, lease_seconds=30) == []  # paused


async def test_a_dead_job_is_kept_listed_and_can_be_retried_or_dropped(store: Store) -> None:
    job = await store.outbox.enqueue(spec("call-1", 1))
    [claimed] = await store.outbox.claim("w", limit=1, lease_seconds=30)
    await store.outbox.kill(claimed.id, error="CrmUnavailable: down")
    [dead] = await store.outbox.jobs(state=DEAD)
    assert dead.id == job.id and dead.last_error == "CrmUnavailable: down"
    assert "payload" not in dead.wire() and dead.wire()["lastError"] == "CrmUnavailable: down"
    stats = await store.outbox.stats()
    assert (stats.queued, stats.dead) == (0, 1)
    assert await store.outbox.claim("w", limit=1, lease_seconds=30) == []  # dead jobs are not run
    assert await store.outbox.retry(job.id) is True
    [queued] = await store.outbox.jobs(state=QUEUED)
    assert queued.attempts == 0
    assert [j.id for j in await store.outbox.claim("w", limit=1, lease_seconds=30)] == [job.id]
    assert await store.outbox.drop(job.id) == [job.id]
    assert await store.outbox.jobs() == []
    assert await store.outbox.drop(job.id) == []


async def test_a_dead_job_holds_the_jobs_behind_it_and_a_retry_runs_them_after_it(store: Store) -> None:
    create, first, second = [await store.outbox.enqueue(spec("call-1", n)) for n in (1, 2, 3)]
    other = await store.outbox.enqueue(spec("call-2", 4))
    claimed = await store.outbox.claim("w", limit=10, lease_seconds=30)
    assert [job.id for job in claimed] == [create.id, other.id]  # one per call
    await store.outbox.kill(create.id, error="CrmUnavailable: down")
    await store.outbox.complete(other.id)
    assert await store.outbox.claim("w", limit=10, lease_seconds=30) == []  # held behind the dead one
    held = await store.outbox.queued_for("call-1")
    assert [(job.id, job.state) for job in held] == [
        (create.id, DEAD),
        (first.id, QUEUED),
        (second.id, QUEUED),
    ]
    stats = await store.outbox.stats()
    assert (stats.queued, stats.dead) == (2, 1)  # visible, and counted
    before = await store.outbox.get(first.id)
    assert before is not None
    await asyncio.sleep(0.01)
    assert await store.outbox.retry(create.id) is True
    after = await store.outbox.get(first.id)
    assert after is not None and after.created_at > before.created_at  # a fresh age with it
    order = []
    for _ in range(3):
        [job] = await store.outbox.claim("w", limit=10, lease_seconds=30)
        order.append(job.id)
        await store.outbox.complete(job.id)
    assert order == [create.id, first.id, second.id]
    assert await store.outbox.claim("w", limit=10, lease_seconds=30) == []


async def test_dropping_a_job_with_those_behind_it_or_alone(store: Store) -> None:
    create, first, second = [await store.outbox.enqueue(spec("call-1", n)) for n in (1, 2, 3)]
    other = await store.outbox.enqueue(spec("call-2", 4))
    await store.outbox.kill(create.id, error="CrmUnavailable: down")
    assert await store.outbox.drop(create.id, with_later=True) == [create.id, first.id, second.id]
    assert [job.id for job in await store.outbox.jobs()] == [other.id]  # another call's: kept
    alone, behind = [await store.outbox.enqueue(spec("call-3", n)) for n in (5, 6)]
    await store.outbox.kill(alone.id, error="CrmUnavailable: down")
    assert await store.outbox.drop(alone.id) == [alone.id]
    claimed = await store.outbox.claim("w", limit=10, lease_seconds=30)
    assert {job.id for job in claimed} == {other.id, behind.id}  # no longer held
    assert await store.outbox.drop(alone.id, with_later=True) == []


async def test_stale_reservations_without_a_job_are_swept_and_those_with_one_kept(store: Store) -> None:
    from appconnect.store.call_logs import CallLogRepository, ExtensionIdentity
    from appconnect.store.models import OutboxJobRow
    from appconnect.store.outbox import JobSpec as Spec

    calls = CallLogRepository(store.database, stale_after=timedelta(0))
    who = ExtensionIdentity(extension_number="101", hashed_extension_id="")
    for session_id in ("orphan", "owed"):
        reservation = await calls.reserve(
            record_id=f"tel-{session_id}",
            session_id=session_id,
            who=who,
            platform="pipedrive",
            user_id="1-pipedrive",
            contact_id="7",
        )
        assert reservation.is_ours
    await store.outbox.enqueue(
        Spec(
            kind="call_log.create",
            platform="pipedrive",
            user_id="1-pipedrive",
            order_key="call:pipedrive:owed:101:",  # services.outbox.call_order_key
            account_key="a",
            payload={},
        )
    )
    await asyncio.sleep(0.05)
    assert await calls.sweep_stale_without_job(OutboxJobRow.__table__) == 1  # type: ignore[arg-type]
    assert await calls.find("orphan", who, platform="pipedrive") is None
    kept = await calls.find("owed", who, platform="pipedrive")
    assert kept is not None and kept.state == "pending"


async def test_an_admins_view_holds_its_accounts_jobs_of_its_platform_only(store: Store) -> None:
    for user_id, platform, account in (
        ("1-pipedrive", "pipedrive", "9001"),
        ("2-pipedrive", "pipedrive", "9001"),
        ("3-pipedrive", "pipedrive", "7777"),
        ("4-pipedrive", "pipedrive", None),
        ("5-clio", "clio", "9001"),
    ):
        await store.users.save(User(id=user_id, platform=platform, rc_account_id=account))
    ids: dict[str, int] = {}
    for user_id, platform in (
        ("1-pipedrive", "pipedrive"),
        ("2-pipedrive", "pipedrive"),
        ("3-pipedrive", "pipedrive"),
        ("4-pipedrive", "pipedrive"),
        ("5-clio", "clio"),
    ):
        job = await store.outbox.enqueue(
            replace(spec(f"call-{user_id}", 1), user_id=user_id, platform=platform)
        )
        ids[user_id] = job.id
    await store.outbox.kill(ids["2-pipedrive"], error="503")

    def seen(jobs: list[Job]) -> set[str]:
        return {job.user_id for job in jobs}

    view = await store.outbox.jobs_of_account(platform="pipedrive", rc_account_id="9001", user_id=None)
    assert seen(view) == {"1-pipedrive", "2-pipedrive"}
    own = await store.outbox.jobs_of_account(
        platform="pipedrive", rc_account_id="9001", user_id="4-pipedrive"
    )
    assert seen(own) == {"1-pipedrive", "2-pipedrive", "4-pipedrive"}
    dead = await store.outbox.jobs_of_account(
        platform="pipedrive", rc_account_id="9001", user_id=None, state=DEAD
    )
    assert [job.id for job in dead] == [ids["2-pipedrive"]]
    found = await store.outbox.get_of_account(
        ids["1-pipedrive"], platform="pipedrive", rc_account_id="9001", user_id=None
    )
    assert found is not None and found.user_id == "1-pipedrive"
    for outside in ("3-pipedrive", "4-pipedrive", "5-clio"):
        assert (
            await store.outbox.get_of_account(
                ids[outside], platform="pipedrive", rc_account_id="9001", user_id=None
            )
            is None
        )


async def test_a_write_merges_only_into_the_last_queued_job_of_its_key_that_no_attempt_holds(
    store: Store,
) -> None:
    first = await store.outbox.enqueue(spec("call-1", 1))
    assert await store.outbox.merge_into(first.id, payload={"n": 12}) is True
    merged = await store.outbox.get(first.id)
    assert merged is not None and merged.payload == {"n": 12}
    behind = await store.outbox.enqueue(spec("call-1", 3))
    assert await store.outbox.merge_into(first.id, payload={"n": 99}) is False  # no longer the last
    leased = await store.outbox.enqueue(spec("call-2", 4), lease_owner="request:x", lease_seconds=30)
    assert await store.outbox.merge_into(leased.id, payload={"n": 99}) is False  # being attempted
    await store.outbox.kill(behind.id, error="CrmUnavailable: down")
    assert await store.outbox.merge_into(behind.id, payload={"n": 99}) is False  # dead
    assert [job.payload["n"] for job in await store.outbox.jobs()] == [12, 3, 4]
