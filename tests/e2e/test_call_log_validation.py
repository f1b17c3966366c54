"""A call log that cannot be written truthfully is refused before the CRM is called.

Over real sockets, with a fake CRM that records every request: a `POST /callLog` with neither
party, an unreadable start time or a duration that is not a number, and a `PATCH /callLog` with
an unreadable start time or duration, answer 400 naming the field, send nothing to the CRM and
store nothing. The shapes the extension really sends (ISO or epoch-millisecond start times,
`"pending"`, a missing or `null` duration) still log.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from appconnect.config import Settings
from appconnect.connectors.base import ConnectorContext
from appconnect.connectors.registry import ConnectorRegistry
from appconnect.store import Store
from tests.e2e.conftest import call_record
from tests.fakes.activity_crm import API_KEY, ActivityCrmConnector, ActivityStore, create_activity_crm_app
from tests.fakes.server import FakeCrmServer

DURATION_REASON = 'logInfo.duration: must be a number of seconds (0 or more) or "pending"'
START_REASON = "logInfo.startTime: must be an ISO-8601 date-time or epoch milliseconds (a number)"


class Extension:
    """A logged-in extension in front of the server, and the fake CRM behind it."""

    def __init__(
        self, client: httpx.AsyncClient, auth: dict[str, str], crm: FakeCrmServer, store: ActivityStore
    ) -> None:
        self.client, self.auth, self.crm, self.store = client, auth, crm, store

    async def create(self, log_info: dict[str, Any]) -> httpx.Response:
        body = {"logInfo": log_info, "contactId": "7", "note": "First note"}
        return await self.client.post("/callLog", headers=self.auth, json=body)

    async def update(self, body: dict[str, Any]) -> httpx.Response:
        return await self.client.patch("/callLog", headers=self.auth, json=body)

    def crm_requests(self) -> list[tuple[str, str]]:
        return [(request.method, request.path) for request in self.crm.requests]


@pytest.fixture
async def extension(live_server: Any, fake_crm_factory: Any, settings: Settings) -> AsyncIterator[Extension]:
    store = ActivityStore()
    crm: FakeCrmServer = fake_crm_factory(create_activity_crm_app(store))

    def configure(registry: ConnectorRegistry, context: ConnectorContext) -> None:
        registry.register("activitycrm", ActivityCrmConnector(context, crm.base_url))

    server = live_server(configure=configure)
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        login = await client.post("/apiKeyLogin", json={"platform": "activitycrm", "apiKey": API_KEY})
        assert login.status_code == 200, login.text
        yield Extension(client, {"Authorization": f"Bearer {login.json()['jwtToken']}"}, crm, store)


async def _stored_call_logs(settings: Settings) -> int:
    store = Store.open(settings.database_url, str(settings.app_server_secret_key))
    try:
        return await store.call_logs.count()
    finally:
        await store.close()


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"from": None, "to": None}, "logInfo: from or to is required"),
        ({"duration": "abc"}, DURATION_REASON),
        ({"duration": True}, DURATION_REASON),
        ({"duration": -5}, DURATION_REASON),
        ({"duration": "Infinity"}, DURATION_REASON),
        ({"duration": {"seconds": 5}}, DURATION_REASON),
        ({"startTime": "yesterday at noon"}, START_REASON),
        ({"startTime": "2026-13-45T10:00:00Z"}, START_REASON),
        ({"startTime": "1700000000000"}, START_REASON),  # moment reads a numeric string as invalid
        ({"startTime": ""}, START_REASON),
        ({"startTime": False}, START_REASON),
    ],
)
async def test_a_create_that_cannot_be_composed_is_refused_and_writes_nothing(
    extension: Extension, settings: Settings, overrides: dict[str, Any], reason: str
) -> None:
    record = call_record("s-bad", **overrides)
    record = {key: value for key, value in record.items() if value is not None}
    answer = await extension.create(record)
    assert answer.status_code == 400
    assert answer.json() == {"error": f"Invalid request: {reason}"}
    assert extension.crm_requests() == [] and extension.store.activities == {}
    assert await _stored_call_logs(settings) == 0


@pytest.mark.parametrize(
    ("overrides", "duration_text"),
    [
        ({"duration": "pending"}, "pending"),
        ({"duration": 0}, "0 seconds"),
        ({"duration": None}, "0 seconds"),  # the reference writes null as 0 seconds too
        ({"duration": "300"}, "5 minutes"),  # a numeric string counts as its number
        ({"duration": 61.5}, "1 minute, 1.5 seconds"),
        ({"duration": ..., "startTime": 1795607200000}, None),  # no duration yet; epoch ms start
        ({"from": None}, "pending"),  # one party is enough
    ],
)
async def test_what_the_extension_sends_is_still_logged(
    extension: Extension, settings: Settings, overrides: dict[str, Any], duration_text: str | None
) -> None:
    record = call_record("s-ok", **overrides)
    record = {key: value for key, value in record.items() if value is not ...}
    if overrides.get("from", "kept") is None:
        del record["from"]
    answer = await extension.create(record)
    assert answer.status_code == 200 and answer.json()["successful"] is True, answer.text
    [activity] = extension.store.activities.values()
    if duration_text is None:
        assert "<b>Duration</b>" not in activity["note"]
        assert "<b>Date/time</b>: 2026-11-25 11:46:40 AM" in activity["note"]
    else:
        assert f"<li><b>Duration</b>: {duration_text}</li>" in activity["note"]
    assert await _stored_call_logs(settings) == 1


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"duration": "abc"}, DURATION_REASON.replace("logInfo.", "")),
        ({"duration": -1}, DURATION_REASON.replace("logInfo.", "")),
        ({"startTime": "not a time"}, START_REASON.replace("logInfo.", "")),
        ({"startTime": [2026, 11, 25]}, START_REASON.replace("logInfo.", "")),
    ],
)
async def test_an_update_that_cannot_be_composed_is_refused_before_the_crm(
    extension: Extension, change: dict[str, Any], reason: str
) -> None:
    created = await extension.create(call_record("s-upd"))
    assert created.json()["successful"] is True
    [activity] = extension.store.activities.values()
    note = activity["note"]
    extension.crm.clear_requests()
    answer = await extension.update({"sessionId": "s-upd", "result": "Missed", **change})
    assert answer.status_code == 400
    assert answer.json() == {"error": f"Invalid request: {reason}"}
    assert extension.crm_requests() == []  # not even the read of the current note
    assert extension.store.activities[activity["id"]]["note"] == note


async def test_an_update_may_leave_start_time_and_duration_out_or_null(extension: Extension) -> None:
    created = await extension.create(call_record("s-partial"))
    assert created.json()["successful"] is True
    for body in (
        {"sessionId": "s-partial", "result": "Missed"},
        {"sessionId": "s-partial", "startTime": None, "duration": None, "result": "Missed"},
        {"sessionId": "s-partial", "startTime": "2026-11-25T10:00:00Z", "duration": "95"},
    ):
        answer = await extension.update(body)
        assert answer.status_code == 200 and answer.json()["successful"] is True, answer.text
    [activity] = extension.store.activities.values()
    assert "<li><b>Duration</b>: 1 minute, 35 seconds</li>" in activity["note"]
