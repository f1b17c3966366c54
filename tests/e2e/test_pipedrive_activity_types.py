"""Pipedrive activity types are the RingCentral account's data, kept in the database (issue 9 items 2-3).

Two servers on one database stand for two workers: the list fetched by one is the list the other
uses. A type deactivated after the list was stored is refused by Pipedrive; the server refreshes the
list and re-sends once. With no usable type nothing is written and the agent is told why.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from appconnect.config import Settings
from appconnect.store import Store
from tests.fakes.pipedrive import FAKE_REDIRECT_URI, FakePipedrive
from tests.fakes.pipedrive.fixtures import (  # noqa: F401 - fixtures
    PIPEDRIVE_USER_ID,
    fake_pipedrive_fixture,
    pipedrive_env_fixture,
)

ANN = "+14155550100"
RC_ACCOUNT = "rc-account-77"
NO_CALL_TYPE = (
    'Call logging requires an active activity type containing the word "call" (case insensitive), '
    "or one explicitly assigned by an admin under Admin > Account settings."
)
NO_SMS_TYPE = (
    'Message logging requires an active activity type containing the word "sms" (case insensitive), '
    "or one explicitly assigned by an admin under Admin > Account settings."
)


@dataclass
class Worker:
    client: httpx.AsyncClient
    auth: dict[str, str]


@dataclass
class Deployment:
    """Two server processes' worth of apps on one database, and fake Pipedrive behind them."""

    first: Worker
    second: Worker
    pipedrive: FakePipedrive
    settings: Settings
    ann_id: int


async def _login(client: httpx.AsyncClient, pipedrive: FakePipedrive) -> dict[str, str]:
    code = pipedrive.state.authorize(PIPEDRIVE_USER_ID)
    answer = await client.get(
        "/oauth-callback",
        params={
            "callbackUri": f"{FAKE_REDIRECT_URI}?code={code}&state=platform%3Dpipedrive",
            "hostname": pipedrive.hostname,
            "rcAccountId": RC_ACCOUNT,
        },
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['jwtToken']}"}


@pytest.fixture
async def deployment(
    live_server: Any, settings: Settings, pipedrive_env: FakePipedrive
) -> AsyncIterator[Deployment]:
    ann = pipedrive_env.state.add_person("Ann Example", "+1 (415) 555-0100")
    one = live_server(ssl_cert_file=pipedrive_env.ca_pem_path)
    two = live_server(ssl_cert_file=pipedrive_env.ca_pem_path)
    async with (
        httpx.AsyncClient(base_url=one.url, timeout=30) as first,
        httpx.AsyncClient(base_url=two.url, timeout=30) as second,
    ):
        auth = await _login(first, pipedrive_env)
        pipedrive_env.clear_requests()
        yield Deployment(
            first=Worker(first, auth),
            second=Worker(second, auth),
            pipedrive=pipedrive_env,
            settings=settings,
            ann_id=int(ann["id"]),
        )


def _call_body(deployment: Deployment, session_id: str) -> dict[str, Any]:
    return {
        "logInfo": {
            "sessionId": session_id,
            "telephonySessionId": f"tel-{session_id}",
            "direction": "Inbound",
            "startTime": "2026-07-14T10:00:00.000Z",
            "duration": 30,
            "result": "Call connected",
            "from": {"phoneNumber": ANN, "name": "Ann Example"},
            "to": {"phoneNumber": "+16505550199", "extensionNumber": "101"},
        },
        "contactId": deployment.ann_id,
        "contactName": "Ann Example",
        "contactType": "contact",
    }


def _sms_body(deployment: Deployment, message_id: int) -> dict[str, Any]:
    return {
        "logInfo": {
            "messages": [
                {
                    "id": message_id,
                    "type": "SMS",
                    "direction": "Inbound",
                    "subject": "Hello",
                    "creationTime": "2026-07-14T03:00:00.000Z",
                    "from": {"phoneNumber": ANN},
                    "to": [{"phoneNumber": "+16505550199"}],
                }
            ],
            "correspondents": [{"phoneNumber": ANN}],
            "conversationId": "conv-1",
            "conversationLogId": "conv-1-2026-07-14",
        },
        "contactId": deployment.ann_id,
        "contactName": "Ann Example",
        "contactType": "contact",
    }


def _set_active(pipedrive: FakePipedrive, key_string: str, active: bool) -> None:
    with pipedrive.state.lock:
        for kind in pipedrive.state.activity_types:
            if kind["key_string"] == key_string:
                kind["active_flag"] = active


async def _stored_types(settings: Settings) -> Any:
    store = Store.open(settings.database_url, str(settings.app_server_secret_key))
    try:
        return await store.account_data.get(RC_ACCOUNT, "pipedrive", "activityTypes")
    finally:
        await store.close()


async def test_the_list_is_fetched_once_for_the_account_and_shared_by_every_worker(
    deployment: Deployment,
) -> None:
    for index, worker in enumerate((deployment.first, deployment.second, deployment.first)):
        answer = await worker.client.post(
            "/callLog", headers=worker.auth, json=_call_body(deployment, f"s-{index}")
        )
        assert answer.json()["successful"] is True, answer.json()
    assert len(deployment.pipedrive.requests_to("GET", "/v1/activityTypes")) == 1
    assert await _stored_types(deployment.settings) == [
        {"const": "call", "title": "Call"},
        {"const": "meeting", "title": "Meeting"},
        {"const": "sms", "title": "SMS"},
    ]
    admin_view = await deployment.second.client.get(
        "/accountData", params={"keys": "activityTypes"}, headers=deployment.second.auth
    )
    assert admin_view.json()["data"]["activityTypes"] == await _stored_types(deployment.settings)
    assert len(deployment.pipedrive.requests_to("GET", "/v1/activityTypes")) == 1


async def test_a_type_deactivated_after_it_was_stored_is_refreshed_and_the_call_logged_once(
    deployment: Deployment,
) -> None:
    worker = deployment.first
    first = await worker.client.post("/callLog", headers=worker.auth, json=_call_body(deployment, "s-1"))
    assert first.json()["successful"] is True
    _set_active(deployment.pipedrive, "call", False)  # an admin deactivates "Call" in Pipedrive...
    deployment.pipedrive.state.add_activity_type("Phone call", "phone_call")  # ...and adds another
    answer = await deployment.second.client.post(
        "/callLog", headers=worker.auth, json=_call_body(deployment, "s-2")
    )
    body = answer.json()
    assert body["successful"] is True, body
    assert deployment.pipedrive.state.activity(body["logId"])["type"] == "phone_call"
    assert len(deployment.pipedrive.requests_to("POST", "/api/v2/activities")) == 3  # one refused, re-sent
    assert [reason.split(": ", 1)[1] for reason in deployment.pipedrive.state.rejections] == [
        "invalid value for type: 'call'"
    ]
    deployment.pipedrive.state.rejections.clear()  # expected: the one refused POST
    consts = [kind["const"] for kind in await _stored_types(deployment.settings)]
    assert "call" not in consts and "phone_call" in consts


async def test_without_a_usable_call_type_nothing_is_written_and_the_agent_is_told_why(
    deployment: Deployment,
) -> None:
    _set_active(deployment.pipedrive, "call", False)
    worker = deployment.first
    answer = await worker.client.post("/callLog", headers=worker.auth, json=_call_body(deployment, "s-1"))
    assert answer.json() == {
        "successful": False,
        "returnMessage": {"message": NO_CALL_TYPE, "messageType": "error", "ttl": 2000},
    }
    assert deployment.pipedrive.requests_to("POST", "/api/v2/activities") == []
    assert deployment.pipedrive.state.activities == {}
    # Nothing is stored either: once a type exists, the extension's retry logs the call.
    deployment.pipedrive.state.add_activity_type("Cold call", "cold_call")
    retried = await worker.client.post("/callLog", headers=worker.auth, json=_call_body(deployment, "s-1"))
    assert retried.json()["successful"] is True
    assert deployment.pipedrive.state.activity(retried.json()["logId"])["type"] == "cold_call"


async def test_a_stored_type_refused_with_no_usable_type_left_is_not_an_authorization_error(
    deployment: Deployment,
) -> None:
    worker = deployment.first
    assert (
        await worker.client.post("/callLog", headers=worker.auth, json=_call_body(deployment, "s-1"))
    ).json()["successful"] is True
    _set_active(deployment.pipedrive, "call", False)
    answer = await worker.client.post("/callLog", headers=worker.auth, json=_call_body(deployment, "s-2"))
    assert answer.json()["returnMessage"]["message"] == NO_CALL_TYPE
    assert len(deployment.pipedrive.state.activities) == 1
    deployment.pipedrive.state.rejections.clear()  # expected: the one refused POST


async def test_without_a_usable_sms_type_a_message_is_not_logged_and_the_agent_is_told_why(
    deployment: Deployment,
) -> None:
    _set_active(deployment.pipedrive, "sms", False)
    worker = deployment.first
    answer = await worker.client.post("/messageLog", headers=worker.auth, json=_sms_body(deployment, 501))
    assert answer.json() == {
        "successful": False,
        "returnMessage": {"message": NO_SMS_TYPE, "messageType": "error", "ttl": 2000},
    }
    assert deployment.pipedrive.state.activities == {}
    _set_active(deployment.pipedrive, "sms", True)
    retried = await worker.client.post("/messageLog", headers=worker.auth, json=_sms_body(deployment, 501))
    assert retried.json()["successful"] is True and retried.json()["logIds"] == ["501"]
