"""CRM failures over real sockets: a fake CRM that fails on demand, behind an HTTP connector.

Each test asserts the contract's answer, what the CRM stores, and what the server recorded: a
failed create leaves no linkage (so the extension's retry can still log the call), and a failed
read before an update leaves the CRM note untouched.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from appconnect.connectors.base import ConnectorContext
from appconnect.connectors.registry import ConnectorRegistry
from tests.e2e.conftest import call_record
from tests.fakes.activity_crm import API_KEY, ActivityCrmConnector, ActivityStore, create_activity_crm_app
from tests.fakes.server import FakeCrmServer


@pytest.fixture
def activity_crm(fake_crm_factory: Any) -> tuple[FakeCrmServer, ActivityStore]:
    store = ActivityStore()
    return fake_crm_factory(create_activity_crm_app(store)), store


@pytest.fixture
def server(live_server: Any, activity_crm: tuple[FakeCrmServer, ActivityStore]) -> Any:
    crm, _ = activity_crm

    def configure(registry: ConnectorRegistry, context: ConnectorContext) -> None:
        registry.register("activitycrm", ActivityCrmConnector(context, crm.base_url))

    return live_server(configure=configure)


async def _login(client: httpx.AsyncClient) -> dict[str, str]:
    answer = await client.post("/apiKeyLogin", json={"platform": "activitycrm", "apiKey": API_KEY})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['jwtToken']}"}


async def _create(client: httpx.AsyncClient, auth: dict[str, str], session_id: str) -> dict[str, Any]:
    body = {"logInfo": call_record(session_id), "contactId": "7", "note": "First note"}
    answer = await client.post("/callLog", headers=auth, json=body)
    assert answer.status_code == 200
    result: dict[str, Any] = answer.json()
    return result


async def _matched(client: httpx.AsyncClient, auth: dict[str, str], session_id: str) -> bool:
    answer = await client.get("/callLog", params={"sessionIds": session_id}, headers=auth)
    return bool(answer.json()["logs"][0]["matched"])


async def _until_matched(client: httpx.AsyncClient, auth: dict[str, str], session_id: str) -> None:
    for _ in range(200):
        if await _matched(client, auth, session_id):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{session_id} was never logged")


@pytest.mark.parametrize(
    ("status", "headers", "message"),
    [
        (401, {}, "Authorization error"),
        (403, {}, "Authorization error"),
    ],
)
async def test_a_failed_create_records_nothing_and_can_be_retried(
    server: Any,
    activity_crm: tuple[FakeCrmServer, ActivityStore],
    status: int,
    headers: dict[str, str],
    message: str,
) -> None:
    crm, store = activity_crm
    crm.faults.add(
        status=status, headers=headers, body={"error": "nope"}, method="POST", path="/activities", times=1
    )
    async with httpx.AsyncClient(base_url=server.url) as client:
        auth = await _login(client)
        failed = await _create(client, auth, "s-fail")
        assert failed["successful"] is False
        assert failed["returnMessage"]["message"] == message
        shown = [failed["returnMessage"]["message"]] + [
            item["text"] for detail in failed["returnMessage"]["details"] for item in detail["items"]
        ]
        assert not any(str(status) in text for text in shown)  # the CRM status is never shown
        assert store.activities == {}
        assert not await _matched(client, auth, "s-fail")
        retried = await _create(client, auth, "s-fail")
        assert retried["successful"] is True
        assert len(store.activities) == 1 and await _matched(client, auth, "s-fail")


@pytest.mark.parametrize(
    ("status", "headers"), [(429, {"Retry-After": "1"}), (500, {}), (503, {})], ids=["429", "500", "503"]
)
async def test_a_transient_failure_queues_the_create_and_it_arrives_once(
    server: Any,
    activity_crm: tuple[FakeCrmServer, ActivityStore],
    status: int,
    headers: dict[str, str],
) -> None:
    crm, store = activity_crm
    crm.faults.add(
        status=status, headers=headers, body={"error": "nope"}, method="POST", path="/activities", times=1
    )
    async with httpx.AsyncClient(base_url=server.url) as client:
        auth = await _login(client)
        queued = await _create(client, auth, "s-queued")
        assert queued["successful"] is False
        assert queued["returnMessage"]["messageType"] == "warning"
        assert "will be written to the CRM automatically" in queued["returnMessage"]["message"]
        if status == 429:  # Retry-After: nothing is sent again before a second has passed
            again = await _create(client, auth, "s-queued")  # the extension's retry while queued
            assert again == queued
            assert store.activities == {}
        await _until_matched(client, auth, "s-queued")
        assert await _create(client, auth, "s-queued") != queued  # delivered: an ordinary duplicate now
    assert len(store.activities) == 1
    assert len(crm.requests_to("POST", "/activities")) == 2  # the failed attempt and the delivery


async def test_an_uncertain_create_is_not_resent_by_a_connector_that_cannot_look_it_up(
    live_server: Any, activity_crm: tuple[FakeCrmServer, ActivityStore], settings: Any
) -> None:
    from appconnect.store import Store

    crm, activities = activity_crm

    def configure(registry: ConnectorRegistry, context: ConnectorContext) -> None:
        registry.register("activitycrm", ActivityCrmConnector(context, crm.base_url))

    # An unknown outcome is looked at again after the CRM timeout (the CRM may still apply it).
    server = live_server(configure=configure, crm_timeout_seconds=0.5)
    crm.faults.drop_connection(method="POST", path="/activities", times=1)
    async with httpx.AsyncClient(base_url=server.url) as client:
        auth = await _login(client)
        failed = await _create(client, auth, "s-drop")
    assert failed["successful"] is False
    assert "automatically" in failed["returnMessage"]["message"]
    store = Store.open(settings.database_url, str(settings.app_server_secret_key))
    try:
        for _ in range(200):
            dead = await store.outbox.jobs(state="dead")
            if dead:
                break
            await asyncio.sleep(0.05)
        assert [job.kind for job in dead] == ["call_log.create"]
        assert dead[0].last_error is not None and "cannot look it up" in dead[0].last_error
        assert len(crm.requests_to("POST", "/activities")) == 1  # never re-sent blindly
        # The operator checked the CRM (nothing there) and retries: the retry sends it.
        assert await store.outbox.retry(dead[0].id) is True
        async with httpx.AsyncClient(base_url=server.url) as client:
            await _until_matched(client, await _login(client), "s-drop")
    finally:
        await store.close()
    assert len(crm.requests_to("POST", "/activities")) == 2
    assert len(activities.activities) == 1


async def test_a_failed_read_before_an_update_queues_it_and_it_keeps_the_crm_note(
    server: Any, activity_crm: tuple[FakeCrmServer, ActivityStore]
) -> None:
    crm, store = activity_crm
    async with httpx.AsyncClient(base_url=server.url) as client:
        auth = await _login(client)
        created = await _create(client, auth, "s-read")
        log_id = int(created["logId"])
        crm.faults.add(status=500, method="GET", path="/activities/*", times=1)
        answer = await client.patch(
            "/callLog",
            headers=auth,
            json={"sessionId": "s-read", "recordingLink": "https://rec.example.com/1"},
        )
        assert answer.status_code == 200
        assert answer.json()["successful"] is False
        assert "automatically" in answer.json()["returnMessage"]["message"]
        for _ in range(100):
            if "rec.example.com" in store.activities[log_id]["note"]:
                break
            await asyncio.sleep(0.05)
    note_after = store.activities[log_id]["note"]
    assert "First note" in note_after and 'href="https://rec.example.com/1"' in note_after
    # Nothing was written while the read failed: one PUT, after the second (successful) read.
    assert len(crm.requests_to("PUT", f"/activities/{log_id}")) == 1
    assert len(crm.requests_to("GET", f"/activities/{log_id}")) == 2


async def test_a_rate_limited_update_is_queued_and_applied_after_the_reset(
    server: Any, activity_crm: tuple[FakeCrmServer, ActivityStore]
) -> None:
    crm, store = activity_crm
    async with httpx.AsyncClient(base_url=server.url) as client:
        auth = await _login(client)
        created = await _create(client, auth, "s-429")
        note_before = store.activities[int(created["logId"])]["note"]
        crm.faults.add(
            status=429, headers={"x-ratelimit-reset": "1"}, method="PUT", path="/activities/*", times=1
        )
        answer = (
            await client.patch("/callLog", headers=auth, json={"sessionId": "s-429", "note": "new"})
        ).json()
        assert answer["successful"] is False and "automatically" in answer["returnMessage"]["message"]
        assert store.activities[int(created["logId"])]["note"] == note_before
        for _ in range(100):
            if store.activities[int(created["logId"])]["note"] != note_before:
                break
            await asyncio.sleep(0.05)
    assert "new" in store.activities[int(created["logId"])]["note"]
    assert len(crm.requests_to("PUT", f"/activities/{created['logId']}")) == 2


async def test_an_update_waits_for_a_create_in_flight(
    server: Any, activity_crm: tuple[FakeCrmServer, ActivityStore]
) -> None:
    crm, store = activity_crm
    crm.faults.latency(1.5, method="POST", path="/activities", times=1)
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        auth = await _login(client)
        create = asyncio.create_task(_create(client, auth, "s-slow"))
        # Once the CRM has the create, its linkage is reserved and it waits on the CRM's answer
        # (not a fixed sleep: on a busy machine the create may take longer to get there).
        deadline = asyncio.get_running_loop().time() + 20
        while not crm.requests_to("POST", "/activities"):
            assert asyncio.get_running_loop().time() < deadline, "the create never reached the CRM"
            await asyncio.sleep(0.02)
        update = await client.patch(
            "/callLog", headers=auth, json={"sessionId": "s-slow", "result": "Missed"}
        )
        created = await create
    assert created["successful"] is True
    assert update.json()["successful"] is True, update.json()
    note = store.activities[int(created["logId"])]["note"]
    assert "<li><b>Result</b>: Missed</li>" in note and "First note" in note
