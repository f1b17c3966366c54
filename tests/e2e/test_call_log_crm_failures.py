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


@pytest.mark.parametrize(
    ("status", "headers", "message"),
    [
        (429, {"x-ratelimit-reset": "2"}, "Rate limit exceeded"),
        (401, {}, "Authorization error"),
        (403, {}, "Authorization error"),
        (500, {}, "Error creating call log"),
        (503, {}, "Error creating call log"),
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


async def test_a_dropped_connection_on_create_is_uncertain_and_not_resent(
    server: Any, activity_crm: tuple[FakeCrmServer, ActivityStore]
) -> None:
    crm, _store = activity_crm
    crm.faults.drop_connection(method="POST", path="/activities", times=1)
    async with httpx.AsyncClient(base_url=server.url) as client:
        auth = await _login(client)
        failed = await _create(client, auth, "s-drop")
    assert failed["successful"] is False
    assert failed["returnMessage"]["message"] == "Error creating call log"
    assert len(crm.requests_to("POST", "/activities")) == 1  # never re-sent blindly


async def test_a_failed_read_before_an_update_leaves_the_crm_note_unchanged(
    server: Any, activity_crm: tuple[FakeCrmServer, ActivityStore]
) -> None:
    crm, store = activity_crm
    async with httpx.AsyncClient(base_url=server.url) as client:
        auth = await _login(client)
        created = await _create(client, auth, "s-read")
        note_before = store.activities[int(created["logId"])]["note"]
        crm.faults.add(status=500, method="GET", path="/activities/*", times=1)
        answer = await client.patch(
            "/callLog",
            headers=auth,
            json={"sessionId": "s-read", "recordingLink": "https://rec.example.com/1"},
        )
        assert answer.status_code == 200
        assert answer.json()["successful"] is False
        assert answer.json()["returnMessage"]["message"] == "Error updating call log"
        assert store.activities[int(created["logId"])]["note"] == note_before
        assert crm.requests_to("PUT", f"/activities/{created['logId']}") == []
        # Once the CRM answers again, the same update lands and keeps the earlier note.
        retried = await client.patch(
            "/callLog",
            headers=auth,
            json={"sessionId": "s-read", "recordingLink": "https://rec.example.com/1"},
        )
        assert retried.json()["successful"] is True
    note_after = store.activities[int(created["logId"])]["note"]
    assert "First note" in note_after and 'href="https://rec.example.com/1"' in note_after


async def test_a_rate_limited_update_says_so_and_changes_nothing(
    server: Any, activity_crm: tuple[FakeCrmServer, ActivityStore]
) -> None:
    crm, store = activity_crm
    async with httpx.AsyncClient(base_url=server.url) as client:
        auth = await _login(client)
        created = await _create(client, auth, "s-429")
        note_before = store.activities[int(created["logId"])]["note"]
        crm.faults.add(status=429, headers={"x-ratelimit-reset": "30"}, method="PUT", path="/activities/*")
        answer = (
            await client.patch("/callLog", headers=auth, json={"sessionId": "s-429", "note": "new"})
        ).json()
    assert answer["successful"] is False and answer["returnMessage"]["message"] == "Rate limit exceeded"
    assert "rateLimitResetAt" in answer["returnMessage"]
    assert store.activities[int(created["logId"])]["note"] == note_before


async def test_an_update_waits_for_a_create_in_flight(
    server: Any, activity_crm: tuple[FakeCrmServer, ActivityStore]
) -> None:
    crm, store = activity_crm
    crm.faults.latency(0.8, method="POST", path="/activities", times=1)
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        auth = await _login(client)
        create = asyncio.create_task(_create(client, auth, "s-slow"))
        await asyncio.sleep(0.3)  # the create has reserved its linkage and is waiting on the CRM
        update = await client.patch(
            "/callLog", headers=auth, json={"sessionId": "s-slow", "result": "Missed"}
        )
        created = await create
    assert created["successful"] is True
    assert update.json()["successful"] is True, update.json()
    note = store.activities[int(created["logId"])]["note"]
    assert "<li><b>Result</b>: Missed</li>" in note and "First note" in note
