"""Message logging driven like the extension drives it, over a real socket, against the sample CRM.

Each test asserts the HTTP answer *and* what the sample CRM stores afterwards.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from appconnect.connectors.base import ConnectorContext
from appconnect.connectors.inputs import CreateMessageLogInput
from appconnect.connectors.registry import ConnectorRegistry
from appconnect.connectors.sample import SampleCrmConnector
from appconnect.connectors.types import CreateMessageLogResult
from appconnect.crm_http import CrmUnavailable
from tests.e2e.conftest import ANN, login

BOB = "+14155550101"
AGENT = "+16505550199"
FAX_URI = "https://media.ringcentral.com/restapi/v1.0/account/1/extension/1/message-store/77/content/77"


def sms(
    message_id: int, text: str, *, day: str = "2026-07-14", at: str = "03:00", inbound: bool = True
) -> dict[str, Any]:
    ann = {"phoneNumber": ANN, "name": "Ann Example"}
    agent = {"phoneNumber": AGENT, "name": "Agent"}
    return {
        "id": message_id,
        "type": "SMS",
        "direction": "Inbound" if inbound else "Outbound",
        "subject": text,
        "from": ann if inbound else agent,
        "to": [agent if inbound else ann],
        "creationTime": f"{day}T{at}:00.000Z",
        "lastModifiedTime": f"{day}T{at}:00.000Z",
    }


def body(
    *messages: dict[str, Any],
    day: str = "2026-07-14",
    conversation: str = "8031152018338945901",
    **extra: Any,
) -> dict[str, Any]:
    log_info = {
        "conversationId": conversation,
        "conversationLogId": f"{conversation}-{day}",
        "correspondents": [{"phoneNumber": ANN, "name": "Ann Example"}],
        "messages": list(messages),
        **extra.pop("log_info", {}),
    }
    return {
        "logInfo": log_info,
        "contactId": "1",
        "contactType": "Contact",
        "contactName": "Ann Example",
        **extra,
    }


async def post(client: httpx.AsyncClient, auth: dict[str, str], payload: dict[str, Any]) -> dict[str, Any]:
    answer = await client.post("/messageLog", headers=auth, json=payload)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


async def authorized(client: httpx.AsyncClient) -> dict[str, str]:
    return {"Authorization": f"Bearer {await login(client)}"}


async def test_a_conversation_day_is_one_crm_log_with_every_message_in_order(
    live_server: Any, sample_crm: SampleCrmConnector
) -> None:
    server = live_server()
    async with httpx.AsyncClient(base_url=server.url) as client:
        auth = await authorized(client)
        three = body(
            sms(6424569103, "I will call at noon", at="03:10"),
            sms(6424569102, "Here they are", at="03:05", inbound=False),
            sms(6424569101, "Can you send the renewal options?"),
        )  # newest first, as the extension sends them
        first = await post(client, auth, three)
        assert first["successful"] is True
        assert first["logIds"] == ["6424569101", "6424569102", "6424569103"]
        [log] = await sample_crm.list_message_logs()
        assert first["messageLogs"] == dict.fromkeys(first["logIds"], str(log["id"]))
        assert log["subject"] == "SMS conversation with Ann Example on 2026-07-14"
        assert log["body"] == (
            "Participants\n* Ann Example (+14155550100)\n* Agent (+16505550199)\n\n"
            "Conversation (3 messages)\nBEGIN\n------------\n"
            "Ann Example said on 2026-07-14 03:00 AM:\nCan you send the renewal options?\n\n"
            "Agent said on 2026-07-14 03:05 AM:\nHere they are\n\n"
            "Ann Example said on 2026-07-14 03:10 AM:\nI will call at noon\n\n"
            "------------\nEND"
        )

        resent = await post(client, auth, three)
        assert (resent["successful"], resent["returnMessage"], resent["logIds"]) == (True, None, [])
        assert await sample_crm.list_message_logs() == [log]

        later = await post(
            client, auth, body(sms(6424569104, "See you", at="04:00"), *three["logInfo"]["messages"])
        )
        assert later["logIds"] == ["6424569104"]
        [same_log] = await sample_crm.list_message_logs()
        assert same_log["id"] == log["id"] and "Conversation (4 messages)" in same_log["body"]
        assert same_log["body"].endswith(
            "Ann Example said on 2026-07-14 04:00 AM:\nSee you\n\n------------\nEND"
        )

        next_day = await post(
            client, auth, body(sms(6424569201, "Morning!", day="2026-07-15"), day="2026-07-15")
        )
        assert next_day["logIds"] == ["6424569201"]
        logs = await sample_crm.list_message_logs()
        assert len(logs) == 2 and logs[1]["subject"] == "SMS conversation with Ann Example on 2026-07-15"
        assert "Morning!" in logs[1]["body"] and "Morning!" not in logs[0]["body"]


async def test_group_sms_lists_every_participant(live_server: Any, sample_crm: SampleCrmConnector) -> None:
    server = live_server()
    async with httpx.AsyncClient(base_url=server.url) as client:
        auth = await authorized(client)
        group = {
            **sms(6424569006, "Sent group SMS", inbound=False),
            "to": [{"phoneNumber": ANN, "name": "Ann Example"}, {"phoneNumber": BOB, "name": "Bob Sample"}],
        }
        payload = body(group, log_info={"correspondents": [{"phoneNumber": ANN}, {"phoneNumber": BOB}]})
        answer = await post(client, auth, payload)
        assert answer["logIds"] == ["6424569006-1"]  # logged against contact 1
        assert (await post(client, auth, payload))["logIds"] == []
    [log] = await sample_crm.list_message_logs()
    assert log["body"].startswith(
        "Participants\n* Agent (+16505550199)\n* Ann Example (+14155550100)\n* Bob Sample (+14155550101)\n\n"
    )
    assert "Agent said on 2026-07-14 03:00 AM:\nSent group SMS\n" in log["body"]


async def test_a_fax_log_carries_its_link_but_never_the_access_token(
    live_server: Any, sample_crm: SampleCrmConnector
) -> None:
    server = live_server()
    fax = {
        **sms(77, "+14155550100"),
        "type": "Fax",
        "faxPageCount": 2,
        "attachments": [
            {
                "id": "77",
                "uri": FAX_URI,
                "type": "RenderedDocument",
                "contentType": "application/pdf",
                "link": FAX_URI,
            }
        ],
    }
    async with httpx.AsyncClient(base_url=server.url) as client:
        auth = await authorized(client)
        answer = await post(client, auth, body(fax, log_info={"rcAccessToken": "rc-secret-token"}))
    assert answer["successful"] is True and answer["logIds"] == ["77"]
    [log] = await sample_crm.list_message_logs()
    assert log["subject"] == "Fax with Ann Example on 2026-07-14"
    assert (
        f"Ann Example sent a fax (2 pages) on 2026-07-14 03:00 AM:\n+14155550100\nFax document: {FAX_URI}\n"
        in log["body"]
    )
    assert "rc-secret-token" not in log["body"]


def shared_sms(*entities: dict[str, Any]) -> dict[str, Any]:
    return body(
        {"id": 91, "type": "SMS", "lastModifiedTime": "2026-07-14T05:00:00.000Z"},
        log_info={
            "conversationLogId": "shared-8031152018338945999",
            "creationTime": "2026-07-14T03:00:00.000Z",
            "owner": {"name": "Dana Owner", "extensionType": "User", "extensionId": "101"},
            "assignee": {"name": "Agent Smith"},
            "entities": list(entities),
        },
    )


SHARED_TIMELINE: list[dict[str, Any]] = [
    {
        "recordType": "AliveMessage",
        "creationTime": "2026-07-14T03:00:00.000Z",
        "direction": "Inbound",
        "text": "My order is late",
    },
    {
        "recordType": "ThreadAssignedHint",
        "creationTime": "2026-07-14T03:01:00.000Z",
        "assignee": {"name": "Agent Smith"},
    },
    {
        "recordType": "AliveNote",
        "creationTime": "2026-07-14T03:02:00.000Z",
        "author": {"name": "Agent Smith"},
        "text": "Checked the courier",
    },
]


async def test_shared_sms_shows_owner_assignee_and_notes_and_is_rewritten_whole(
    live_server: Any, sample_crm: SampleCrmConnector
) -> None:
    server = live_server()
    async with httpx.AsyncClient(base_url=server.url) as client:
        auth = await authorized(client)
        created = await post(client, auth, shared_sms(*SHARED_TIMELINE[:2]))
        assert created["logIds"] == ["shared-8031152018338945999"]
        reply = {
            "recordType": "AliveMessage",
            "creationTime": "2026-07-14T04:00:00.000Z",
            "direction": "Outbound",
            "author": {"name": "Agent Smith"},
            "text": "It ships today",
        }
        updated = await post(client, auth, shared_sms(*SHARED_TIMELINE, reply))
        assert updated["successful"] is True and updated["logIds"] == []
    [log] = await sample_crm.list_message_logs()
    assert log["subject"] == "SMS conversation with Ann Example"
    assert log["body"] == (
        "Conversation summary\n"
        "Started: Tuesday, July 14, 2026 at 03:00 AM\n"
        "Ended: Tuesday, July 14, 2026 at 05:00 AM\n"
        "Duration: 0 d 2 h \n\n"
        "Participants\n* Ann Example (customer)\n* Agent Smith\n\n"
        "Owner: Dana Owner\n\n"
        "Conversation (2 messages, 1 note)\nBEGIN\n------------\n"
        "Ann Example said on 2026-07-14 03:00 AM:\nMy order is late\n\n"
        "Conversation assigned to Agent Smith\n\n"
        "Agent Smith left a note on 2026-07-14 03:02 AM:\nChecked the courier\n\n"
        "Agent Smith said on 2026-07-14 04:00 AM:\nIt ships today\n\n"
        "------------\nEND"
    )


async def test_match_reports_exactly_the_logged_messages(
    live_server: Any, sample_crm: SampleCrmConnector
) -> None:
    server = live_server()
    async with httpx.AsyncClient(base_url=server.url) as client:
        auth = await authorized(client)
        await post(client, auth, body(sms(2, "two", at="03:05"), sms(1, "one")))
        [log] = await sample_crm.list_message_logs()
        crm_log = str(log["id"])
        by_ids = await client.post(
            "/messageLog/match",
            headers=auth,
            json={"conversationId": "8031152018338945901", "messageIds": ["1", "2", "3"]},
        )
        assert by_ids.status_code == 200
        assert by_ids.json() == {
            "successful": True,
            "logs": [
                {"messageId": "1", "matched": True, "logId": crm_log},
                {"messageId": "2", "matched": True, "logId": crm_log},
                {"messageId": "3", "matched": False},
            ],
            "messageLogs": {"1": crm_log, "2": crm_log},
            "returnMessage": None,
        }
        by_conversation = (
            await client.post("/messageLog/match", headers=auth, json={"conversationId": 8031152018338945901})
        ).json()
        assert by_conversation["messageLogs"] == {"1": crm_log, "2": crm_log}
        comma_list = (await client.post("/messageLog/match", headers=auth, json={"messageIds": "3,2"})).json()
        assert comma_list["logs"] == [
            {"messageId": "3", "matched": False},
            {"messageId": "2", "matched": True, "logId": crm_log},
        ]

        invalid = await client.post("/messageLog/match", headers=auth, json={})
        assert (
            invalid.status_code == 400
            and "conversationId or messageIds is required" in invalid.json()["error"]
        )
        anonymous = await client.post("/messageLog/match", json={"messageIds": ["1"]})
        assert (anonymous.status_code, anonymous.text) == (
            400,
            "Please go to Settings and authorize CRM platform",
        )


async def test_selected_messages_become_one_crm_log(live_server: Any, sample_crm: SampleCrmConnector) -> None:
    server = live_server()
    async with httpx.AsyncClient(base_url=server.url) as client:
        auth = await authorized(client)
        payload = body(
            sms(3, "third", at="03:10"),
            sms(2, "second", at="03:05"),
            sms(1, "first"),
            selectedMessageIds=["1", "3"],
        )
        answer = await post(client, auth, payload)
        assert answer["logIds"] == ["1", "3"]
        assert (await post(client, auth, payload))["logIds"] == []
    [log] = await sample_crm.list_message_logs()
    assert "first" in log["body"] and "third" in log["body"] and "second" not in log["body"]
    assert "Conversation (2 messages)" in log["body"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"contactId": "1"}, "logInfo"),
        ({"logInfo": "not an object", "contactId": "1"}, "logInfo"),
        (body(sms(1, "x"), log_info={"messages": None}), "logInfo.messages"),
        (body({"type": "SMS", "subject": "no id"}), "logInfo.messages.0.id"),
        (body({**sms(1, "x"), "id": ""}), "logInfo.messages.0.id"),
        (body({**sms(1, "x"), "id": None}), "logInfo.messages.0.id"),
        (body({**sms(1, "x"), "type": "Carrier pigeon"}), "logInfo.messages.0.type"),
        (body(sms(1, "x"), log_info={"correspondents": []}), "logInfo.correspondents"),
        (
            {"logInfo": {"messages": [sms(1, "x")], "correspondents": [{"phoneNumber": ANN}]}},
            "logInfo.conversationLogId",
        ),
        (body(sms(1, "x"), log_info={"messages": "not a list"}), "logInfo.messages"),
    ],
)
async def test_malformed_conversations_get_a_400_naming_the_field_and_write_nothing(
    live_server: Any, sample_crm: SampleCrmConnector, payload: dict[str, Any], field: str
) -> None:
    server = live_server()
    async with httpx.AsyncClient(base_url=server.url) as client:
        auth = await authorized(client)
        answer = await client.post("/messageLog", headers=auth, json=payload)
        assert answer.status_code == 400, answer.text
        assert field in answer.json()["error"]
        matched = (await client.post("/messageLog/match", headers=auth, json={"messageIds": ["1"]})).json()
    assert matched["messageLogs"] == {}
    assert await sample_crm.list_message_logs() == []


async def test_empty_conversation_and_missing_contact_are_clear_failures(
    live_server: Any, sample_crm: SampleCrmConnector
) -> None:
    server = live_server()
    async with httpx.AsyncClient(base_url=server.url) as client:
        auth = await authorized(client)
        empty = await post(client, auth, body())
        assert empty == {
            "successful": False,
            "returnMessage": {"message": "No message to log.", "messageType": "warning", "ttl": 3000},
        }
        no_contact = await post(client, auth, {**body(sms(1, "x")), "contactId": None})
        assert no_contact["returnMessage"]["message"] == f"Contact not found for number {ANN}"
        anonymous = await client.post("/messageLog", json=body(sms(1, "x")))
        assert (anonymous.status_code, anonymous.text) == (
            400,
            "Please go to Settings and authorize CRM platform",
        )
    assert await sample_crm.list_message_logs() == []


async def test_twenty_concurrent_copies_of_a_message_give_one_crm_entry(
    live_server: Any, sample_crm: SampleCrmConnector
) -> None:
    server = live_server()
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        auth = await authorized(client)
        payload = body(sms(2, "two", at="03:05"), sms(1, "one"))
        answers = await asyncio.gather(*(post(client, auth, payload) for _ in range(20)))
    assert sorted(len(answer["logIds"]) for answer in answers)[-1] <= 2
    assert sum(len(answer["logIds"]) for answer in answers) == 2
    [log] = await sample_crm.list_message_logs()
    assert log["message_ids"] == ["1", "2"] and "Conversation (2 messages)" in log["body"]


async def test_two_servers_sharing_one_database_write_each_message_once(
    live_server: Any, sample_crm: SampleCrmConnector
) -> None:
    first, second = live_server(), live_server()
    async with (
        httpx.AsyncClient(base_url=first.url, timeout=30) as one,
        httpx.AsyncClient(base_url=second.url, timeout=30) as two,
    ):
        auth = await authorized(one)
        payloads = [body(sms(n, f"message {n}", at=f"03:0{n}")) for n in (1, 2, 3)]
        answers = await asyncio.gather(
            *(post(client, auth, payload) for payload in payloads for client in (one, two, one, two))
        )
    assert sorted(key for answer in answers for key in answer["logIds"]) == ["1", "2", "3"]
    [log] = await sample_crm.list_message_logs()  # one day log, each message once
    assert sorted(log["message_ids"]) == ["1", "2", "3"] and "Conversation (3 messages)" in log["body"]


class FlakySampleCrm(SampleCrmConnector):
    """The sample CRM, whose next `fail` message-log creates answer 503."""

    fail = 1

    async def create_message_log(self, log: CreateMessageLogInput, /) -> CreateMessageLogResult:
        if FlakySampleCrm.fail:
            FlakySampleCrm.fail -= 1
            raise CrmUnavailable("Sample CRM is down", status=503, platform="flaky")
        return await super().create_message_log(log)


async def test_a_crm_outage_queues_the_messages_and_they_are_logged_once(
    live_server: Any, sample_crm: SampleCrmConnector
) -> None:
    def configure(registry: ConnectorRegistry, context: ConnectorContext) -> None:
        registry.register("flaky", FlakySampleCrm(context))

    FlakySampleCrm.fail = 3  # the request's attempt and the worker's first two
    server = live_server(configure=configure)
    async with httpx.AsyncClient(base_url=server.url) as client:
        login_answer = await client.post("/apiKeyLogin", json={"platform": "flaky", "apiKey": "agent-key"})
        auth = {"Authorization": f"Bearer {login_answer.json()['jwtToken']}"}
        queued = await post(client, auth, body(sms(1, "one")))
        assert queued["successful"] is False
        assert queued["returnMessage"]["messageType"] == "warning"
        assert "will be logged to the CRM automatically" in queued["returnMessage"]["message"]
        matched: dict[str, Any] = {}
        for _ in range(200):
            answer = await client.post("/messageLog/match", headers=auth, json={"messageIds": ["1"]})
            matched = answer.json()["messageLogs"]
            if matched:
                break
            await asyncio.sleep(0.05)
        assert list(matched) == ["1"]
        again = await post(client, auth, body(sms(1, "one")))  # the extension's retry, after delivery
        assert again["successful"] is True and again["logIds"] == []  # already logged: nothing new
    assert FlakySampleCrm.fail == 0
    assert len(await sample_crm.list_message_logs()) == 1
    assert len(await sample_crm.list_message_logs()) == 1
