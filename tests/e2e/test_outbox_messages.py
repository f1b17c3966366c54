"""Nothing lost (issue 12) for message logs whose outcome is unknown.

The real server on a real socket against fake Pipedrive over HTTPS. A message-log create or
append that Pipedrive is slower to answer than the CRM timeout (and still applies), or that a
gateway answers 504 after the POST, is queued, looked up by the worker once it has settled, and
recorded when found (sent again only when it is not): each conversation day ends with exactly
one activity holding each message once, with or without a client retry. A `kill -9` of the server
with message logs in flight is resolved the same way once the restarted server's worker takes the
jobs whose lease expired.
"""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import TEST_HASH_KEY, TEST_SECRET
from tests.e2e.test_outbox_crash import server_group
from tests.e2e.test_outbox_pipedrive import start_extension  # noqa: F401 - fixture
from tests.e2e.test_pipedrive_flows import oauth_login
from tests.fakes.pipedrive import FakePipedrive
from tests.fakes.pipedrive.fixtures import (  # noqa: F401 - fixtures
    fake_pipedrive_fixture,
    pipedrive_env_fixture,
)
from tests.support.processes import operator_env

ANN = "+14155550100"


def _message(message_id: int, text: str, minute: int, direction: str = "Inbound") -> dict[str, Any]:
    ours = {"phoneNumber": "+14155550199", "name": "Jordan Lee"}
    theirs = {"phoneNumber": ANN, "name": "Ann Example"}
    return {
        "id": message_id,
        "type": "SMS",
        "direction": direction,
        "subject": text,
        "creationTime": f"2026-07-14T03:{minute:02d}:00.000Z",
        "from": theirs if direction == "Inbound" else ours,
        "to": [ours if direction == "Inbound" else theirs],
        "attachments": [],
    }


def _request(person_id: int, conversation: str, messages: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "logInfo": {
            "conversationId": conversation,
            "conversationLogId": f"{conversation}-2026-07-14",
            "correspondents": [{"phoneNumber": ANN, "name": "Ann Example"}],
            "messages": messages,
        },
        "contactId": person_id,
        "contactName": "Ann Example",
        "contactType": "contact",
    }


async def _log(
    client: httpx.AsyncClient, auth: dict[str, str], person_id: int, conversation: str, *messages: Any
) -> dict[str, Any]:
    answer = await client.post(
        "/messageLog", headers=auth, json=_request(person_id, conversation, list(messages))
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def _matched(client: httpx.AsyncClient, auth: dict[str, str], *message_ids: int) -> dict[str, Any]:
    answer = await client.post(
        "/messageLog/match", headers=auth, json={"messageIds": [str(item) for item in message_ids]}
    )
    logs: dict[str, Any] = answer.json()["messageLogs"]
    return logs


def _queued(answer: dict[str, Any]) -> bool:
    return (
        answer["successful"] is False
        and "logged to the CRM automatically" in answer["returnMessage"]["message"]
    )


def _day_activities(pipedrive: FakePipedrive) -> list[dict[str, Any]]:
    with pipedrive.state.lock:
        return [
            dict(activity)
            for activity in pipedrive.state.activities.values()
            if activity["subject"].startswith("SMS conversation with Ann Example")
        ]


async def _settled(pipedrive: FakePipedrive, count: int, added: str) -> None:
    """Wait until Pipedrive has finished the slow writes nobody waits for any more: `count`
    activities, one of them holding the `added` message."""
    for _ in range(200):
        activities = _day_activities(pipedrive)
        if len(activities) >= count and any(added in activity["note"] for activity in activities):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("Pipedrive did not finish its slow writes")


@pytest.mark.parametrize("client_retries", [False, True], ids=["no-retry", "retry"])
async def test_a_message_log_create_slower_than_the_timeout_ends_with_one_activity(
    start_extension: Any,  # noqa: F811 - the fixture
    client_retries: bool,
) -> None:
    async with start_extension(crm_timeout_seconds=0.5) as extension:
        client, auth, person = extension.client, extension.auth, extension.person_id
        state = extension.pipedrive.state
        state.slow_create_seconds, state.slow_creates = 0.9, 1
        first = _message(9001, "Can you send the renewal options?", 0)
        answer = await _log(client, auth, person, "conv-1", first)
        assert _queued(answer), answer  # the same warning as a CRM outage: never "log it again"
        if client_retries:  # the retry while queued is told the same, and sends nothing
            assert await _log(client, auth, person, "conv-1", first) == answer
        assert (await extension.drained())["dead"] == 0
        [activity] = _day_activities(extension.pipedrive)
        assert activity["note"].count("Can you send the renewal options?") == 1
        assert len(extension.pipedrive.requests_to("POST", "/api/v2/activities")) == 1  # found, not re-sent
        assert await _matched(client, auth, 9001) == {"9001": str(activity["id"])}
        # The linkage was recorded: the next message of the day is added to that activity.
        reply = _message(9002, "Here they are.", 5, direction="Outbound")
        added = await _log(client, auth, person, "conv-1", reply, first)
        assert added["successful"] is True and added["logIds"] == ["9002"], added
        [activity] = _day_activities(extension.pipedrive)
        assert "Conversation(2 messages)" in activity["note"]


@pytest.mark.parametrize("client_retries", [False, True], ids=["no-retry", "retry"])
async def test_a_message_added_slower_than_the_timeout_is_added_once(
    start_extension: Any,  # noqa: F811 - the fixture
    client_retries: bool,
) -> None:
    async with start_extension(crm_timeout_seconds=0.5) as extension:
        client, auth, person = extension.client, extension.auth, extension.person_id
        state = extension.pipedrive.state
        first = _message(9101, "Are you free tomorrow?", 0)
        assert (await _log(client, auth, person, "conv-2", first))["successful"] is True
        [activity] = _day_activities(extension.pipedrive)
        state.slow_update_seconds, state.slow_updates = 0.9, 1
        reply = _message(9102, "Yes, after ten.", 4, direction="Outbound")
        answer = await _log(client, auth, person, "conv-2", reply, first)
        assert _queued(answer), answer
        if client_retries:
            assert await _log(client, auth, person, "conv-2", reply, first) == answer
        assert (await extension.drained())["dead"] == 0
        note = state.activity(activity["id"])["note"]
        assert note.count("Yes, after ten.") == 1 and "Conversation(2 messages)" in note, note
        patches = extension.pipedrive.requests_to("PATCH", f"/api/v2/activities/{activity['id']}")
        assert len(patches) == 1  # found by the worker, not added a second time
        assert await _matched(client, auth, 9101, 9102) == {
            "9101": str(activity["id"]),
            "9102": str(activity["id"]),
        }
        assert len(_day_activities(extension.pipedrive)) == 1


async def test_a_create_whose_gateway_answered_504_is_sent_again_when_pipedrive_has_none(
    start_extension: Any,  # noqa: F811 - the fixture
) -> None:
    async with start_extension() as extension:
        client, auth, person = extension.client, extension.auth, extension.person_id
        # The gateway gave up after the POST: the outcome is unknown (Pipedrive made nothing here).
        extension.pipedrive.faults.add(504, body="Gateway Timeout", method="POST", path="/api/v2/activities")
        first = _message(9201, "Call me back", 1)
        answer = await _log(client, auth, person, "conv-3", first)
        assert _queued(answer), answer
        assert (await extension.drained())["dead"] == 0
        [activity] = _day_activities(extension.pipedrive)  # looked up, not found, sent again: one
        assert len(extension.pipedrive.requests_to("POST", "/api/v2/activities")) == 2
        lookups = [
            r for r in extension.pipedrive.requests if r.method == "GET" and r.path == "/api/v2/activities"
        ]
        assert lookups, "the worker looked the create up before sending it again"
        assert await _matched(client, auth, 9201) == {"9201": str(activity["id"])}


async def test_kill_9_with_message_logs_in_flight_then_restart_writes_each_message_once(
    fake_pipedrive: FakePipedrive,
    database_url: str,
    tmp_path: Path,
) -> None:
    state = fake_pipedrive.state
    person = int(state.add_person("Ann Example", "+1 (415) 555-0100")["id"])
    env = operator_env(
        DATABASE_URL=database_url,
        APP_SERVER_SECRET_KEY=TEST_SECRET,
        HASH_KEY=TEST_HASH_KEY,
        SSL_CERT_FILE=fake_pipedrive.ca_pem_path,
        APPCONNECT_STATE_FILE=str(tmp_path / "state.json"),
        APPCONNECT_CRM_TIMEOUT="5",
        APPCONNECT_OUTBOX_LEASE_SECONDS="3",
        APPCONNECT_OUTBOX_UNCERTAIN_WAIT_SECONDS="1",
        APPCONNECT_OUTBOX_POLL_SECONDS="0.1",
        APPCONNECT_OUTBOX_BACKOFF_SECONDS="0.1",
        APPCONNECT_OUTBOX_MAX_BACKOFF_SECONDS="1",
        LOG_LEVEL="WARNING",
        **fake_pipedrive.environment(),
    )
    output: list[str] = []
    creates = {f"crash-{n}": _message(9300 + n, f"First of conversation {n}", n) for n in range(4)}
    added_first = _message(9400, "Earlier today", 0)
    added = _message(9401, "And one more thing", 9, direction="Outbound")
    with server_group(env, tmp_path, output) as (url, process):
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            auth = await oauth_login(client, fake_pipedrive)
            logged = await _log(client, auth, person, "crash-add", added_first)
            assert logged["successful"] is True, logged
            state.slow_create_seconds, state.slow_creates = 1.5, len(creates)
            state.slow_update_seconds, state.slow_updates = 1.5, 1
            flights = [
                asyncio.create_task(
                    client.post("/messageLog", headers=auth, json=_request(person, conversation, [message]))
                )
                for conversation, message in creates.items()
            ]
            flights.append(
                asyncio.create_task(
                    client.post(
                        "/messageLog",
                        headers=auth,
                        json=_request(person, "crash-add", [added, added_first]),
                    )
                )
            )
            for _ in range(200):  # every write has reached Pipedrive and waits there
                posts = len(fake_pipedrive.requests_to("POST", "/api/v2/activities"))
                patches = len([r for r in fake_pipedrive.requests if r.method == "PATCH"])
                if posts == 1 + len(creates) and patches == 1:
                    break
                await asyncio.sleep(0.05)
            os.killpg(process.pid, signal.SIGKILL)
            results = await asyncio.gather(*flights, return_exceptions=True)
            assert all(isinstance(result, httpx.TransportError) for result in results), results
    await _settled(
        fake_pipedrive, 1 + len(creates), "And one more thing"
    )  # Pipedrive finishes what nobody waits for
    assert len(_day_activities(fake_pipedrive)) == 1 + len(creates)
    with server_group(env, tmp_path, output) as (url, _process):
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            auth = await oauth_login(client, fake_pipedrive)
            for _ in range(300):
                stats = (await client.get("/health/ready")).json()["outbox"]
                if stats["queued"] == 0:
                    break
                await asyncio.sleep(0.1)
            assert stats == {"queued": 0, "dead": 0, "oldestAgeSeconds": None}, "".join(output)
            matched = await _matched(client, auth, 9400, 9401, *(int(m["id"]) for m in creates.values()))
    activities = _day_activities(fake_pipedrive)
    assert len(activities) == 1 + len(creates)  # 0 duplicates
    assert len(fake_pipedrive.requests_to("POST", "/api/v2/activities")) == 1 + len(creates)
    by_text = {text: [a for a in activities if text in a["note"]] for text in ("Earlier today",)}
    [day] = by_text["Earlier today"]
    assert day["note"].count("And one more thing") == 1 and "Conversation(2 messages)" in day["note"]
    assert matched["9400"] == matched["9401"] == str(day["id"])
    for message in creates.values():
        [activity] = [a for a in activities if str(message["subject"]) in a["note"]]
        assert matched[str(message["id"])] == str(activity["id"])
