"""Message-log grouping and de-duplication: the service against a real database and a recording CRM.

Each test drives `services.message_logs` as the route does and asserts three things: the answer,
the connector calls (create vs update, in which order, with what), and the stored linkage.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest

from appconnect.config import Secrets, Settings
from appconnect.connectors.base import BaseConnector, LogsMessages
from appconnect.connectors.inputs import (
    CreateCallLogInput,
    CreateMessageLogInput,
    UpdateCallLogInput,
    UpdateMessageLogInput,
)
from appconnect.connectors.registry import ConnectorRegistry
from appconnect.connectors.types import (
    CreateCallLogResult,
    CreateMessageLogResult,
    ReturnMessage,
    UpdateCallLogResult,
    UpdateMessageLogResult,
)
from appconnect.contract import MessageLogMatchRequest, MessageLogRequest
from appconnect.crm_http import CrmNotFound, CrmUnavailable
from appconnect.domain import MessageLogLink, User
from appconnect.security import SessionTokens
from appconnect.services.context import ServerContext
from appconnect.services.message_logs import create_message_log, match_message_logs
from appconnect.store import Store, upgrade
from appconnect.store.message_logs import MessageLogRepository

SECRET = "message-log-test-secret"
PLATFORM = "recording"
USER = User(
    id="u1-recording",
    platform=PLATFORM,
    access_token="key",
    rc_account_id="acc-1",
    timezone_offset="+00:00",
)
ANN = "+14155550100"


MessageCall = CreateMessageLogInput | UpdateMessageLogInput


class RecordingCrm(BaseConnector, LogsMessages):
    """A CRM that records every message-log call and can fail or stall on demand."""

    name: ClassVar[str] = PLATFORM

    def __init__(self) -> None:
        super().__init__(None)
        self.calls: list[tuple[str, MessageCall]] = []
        self.next_id = 0
        self.fail_creates = 0
        self.fail_updates = 0
        self.no_log_id = False
        self.create_gate: asyncio.Event | None = None
        self.create_entered = asyncio.Event()

    async def create_call_log(self, call: CreateCallLogInput, /) -> CreateCallLogResult:
        raise NotImplementedError

    async def update_call_log(self, call: UpdateCallLogInput, /) -> UpdateCallLogResult:
        raise NotImplementedError

    async def create_message_log(self, log: CreateMessageLogInput, /) -> CreateMessageLogResult:
        self.calls.append(("create", log))
        self.create_entered.set()
        if self.create_gate is not None:
            await self.create_gate.wait()
        if self.fail_creates:
            self.fail_creates -= 1
            raise CrmUnavailable("CRM down", status=503, platform=PLATFORM)
        if self.no_log_id:
            return CreateMessageLogResult(log_id=None, return_message=ReturnMessage("Not logged", "warning"))
        self.next_id += 1
        return CreateMessageLogResult(
            log_id=f"L{self.next_id}", return_message=ReturnMessage("Message logged", "success", 1000)
        )

    async def update_message_log(self, log: UpdateMessageLogInput, /) -> UpdateMessageLogResult:
        self.calls.append(("update", log))
        if self.fail_updates:
            self.fail_updates -= 1
            raise CrmNotFound("gone", status=404, platform=PLATFORM)
        return UpdateMessageLogResult(return_message=ReturnMessage("Message log updated", "success", 1000))

    def ops(self) -> list[tuple[str, str]]:
        """(operation, message id) per call, in call order."""
        return [(op, str(call.message.id if call.message else None)) for op, call in self.calls]

    def created(self, index: int) -> CreateMessageLogInput:
        call = self.calls[index][1]
        assert isinstance(call, CreateMessageLogInput)
        return call

    def updated(self, index: int) -> UpdateMessageLogInput:
        call = self.calls[index][1]
        assert isinstance(call, UpdateMessageLogInput)
        return call


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    opened = Store.open(database_url, SECRET)
    await upgrade(opened.database)
    await opened.users.save(USER)
    yield opened
    await opened.close()


@pytest.fixture
def crm() -> RecordingCrm:
    return RecordingCrm()


def _context(store: Store, crm: RecordingCrm, database_url: str, tmp_path: Path) -> ServerContext:
    registry = ConnectorRegistry()
    registry.register(PLATFORM, crm)
    settings = Settings(
        database_url=database_url,
        app_server_secret_key=SECRET,
        hash_key="hash",
        state_file=tmp_path / "state.json",
        create_wait_seconds=5.0,
        outbox_backoff_seconds=0.01,
        outbox_max_backoff_seconds=0.05,
    )
    return ServerContext(
        settings=settings,
        secrets=Secrets(app_server_secret_key=SECRET, hash_key="hash"),
        store=store,
        registry=registry,
        tokens=SessionTokens(SECRET),
        http=None,  # type: ignore[arg-type]  # the recording CRM makes no HTTP calls
    )


@pytest.fixture
def context(store: Store, crm: RecordingCrm, database_url: str, tmp_path: Path) -> ServerContext:
    return _context(store, crm, database_url, tmp_path)


def sms(message_id: int | str, text: str, day: str = "2026-07-14", **extra: Any) -> dict[str, Any]:
    return {
        "id": message_id,
        "type": "SMS",
        "direction": "Inbound",
        "subject": text,
        "from": {"phoneNumber": ANN, "name": "Ann Example"},
        "to": [{"phoneNumber": "+16505550199"}],
        "creationTime": f"{day}T03:00:00.000Z",
        **extra,
    }


def request(
    *messages: Mapping[str, Any], day: str = "2026-07-14", conversation: str = "conv-1", **extra: Any
) -> MessageLogRequest:
    body: dict[str, Any] = {
        "logInfo": {
            "conversationId": conversation,
            "conversationLogId": f"{conversation}-{day}",
            "correspondents": [{"phoneNumber": ANN, "name": "Ann Example"}],
            "messages": list(messages),
            **extra.pop("log_info", {}),
        },
        "contactId": "1",
        "contactType": "Contact",
        "contactName": "Ann Example",
        **extra,
    }
    return MessageLogRequest.model_validate(body)


async def log(context: ServerContext, body: MessageLogRequest) -> dict[str, Any]:
    outcome = await create_message_log(
        context, user_id=USER.id, platform=PLATFORM, request=body, rc_account_id_header=None
    )
    assert not outcome.revoked
    return outcome.body


async def test_one_request_of_three_new_messages_creates_once_then_updates_oldest_first(
    context: ServerContext, crm: RecordingCrm, store: Store
) -> None:
    answer = await log(context, request(sms(3, "third"), sms(2, "second"), sms(1, "first")))
    assert answer == {
        "successful": True,
        "returnMessage": {"message": "Message log updated", "messageType": "success", "ttl": 1000},
        "logIds": ["1", "2", "3"],
        "messageLogs": {"1": "L1", "2": "L1", "3": "L1"},
    }
    assert crm.ops() == [("create", "1"), ("update", "2"), ("update", "3")]
    assert crm.updated(1).existing_message_log.third_party_log_id == "L1"
    rows = await store.message_logs.by_ids(["1", "2", "3"], platform=PLATFORM)
    assert {(row.id, row.third_party_log_id, row.state) for row in rows} == {
        ("1", "L1", "created"),
        ("2", "L1", "created"),
        ("3", "L1", "created"),
    }
    day_log = await store.message_logs.conversation_log("conv-1-2026-07-14", platform=PLATFORM)
    assert day_log is not None and (day_log.third_party_log_id, day_log.state) == ("L1", "created")


async def test_a_repeated_request_calls_nothing_and_answers_the_no_op(
    context: ServerContext, crm: RecordingCrm
) -> None:
    await log(context, request(sms(1, "first")))
    crm.calls.clear()
    again = await log(context, request(sms(1, "first")))
    assert again == {"successful": True, "returnMessage": None, "logIds": [], "messageLogs": {"1": "L1"}}
    assert crm.calls == []


async def test_later_message_updates_the_day_log_and_the_next_day_opens_a_new_one(
    context: ServerContext, crm: RecordingCrm
) -> None:
    await log(context, request(sms(1, "first")))
    later = await log(context, request(sms(2, "second"), sms(1, "first")))
    assert later["logIds"] == ["2"] and later["messageLogs"] == {"1": "L1", "2": "L1"}
    tomorrow = await log(context, request(sms(3, "next day", day="2026-07-15"), day="2026-07-15"))
    assert tomorrow["logIds"] == ["3"] and tomorrow["messageLogs"] == {"3": "L2"}
    assert crm.ops() == [("create", "1"), ("update", "2"), ("create", "3")]


async def test_a_message_repeated_inside_one_request_is_logged_once(
    context: ServerContext, crm: RecordingCrm
) -> None:
    answer = await log(context, request(sms(1, "dup"), sms(1, "dup")))
    assert answer["logIds"] == ["1"] and crm.ops() == [("create", "1")]


async def test_twenty_concurrent_copies_of_one_message_reach_the_crm_once(
    context: ServerContext, crm: RecordingCrm
) -> None:
    answers = await asyncio.gather(*(log(context, request(sms(7, "race"))) for _ in range(20)))
    assert all(answer["successful"] for answer in answers)
    assert sorted(len(answer["logIds"]) for answer in answers) == [0] * 19 + [1]
    assert crm.ops() == [("create", "7")]


async def test_two_new_messages_of_one_day_arriving_together_make_one_crm_log(
    context: ServerContext, crm: RecordingCrm
) -> None:
    crm.create_gate = asyncio.Event()
    first = asyncio.create_task(log(context, request(sms(1, "one"))))
    await crm.create_entered.wait()  # the first request is inside the CRM create
    second = asyncio.create_task(log(context, request(sms(2, "two"))))
    await asyncio.sleep(0.2)  # the second request waits for the day log instead of creating one
    assert crm.ops() == [("create", "1")]
    crm.create_gate.set()
    answers = await asyncio.gather(first, second)
    assert [answer["logIds"] for answer in answers] == [["1"], ["2"]]
    assert crm.ops() == [("create", "1"), ("update", "2")]


async def test_two_server_processes_sharing_the_database_write_a_message_once(
    store: Store, crm: RecordingCrm, database_url: str, tmp_path: Path
) -> None:
    other_store = Store.open(database_url, SECRET)  # a second engine: another process's view
    try:
        contexts = [
            _context(store, crm, database_url, tmp_path),
            _context(other_store, crm, database_url, tmp_path),
        ]
        answers = await asyncio.gather(
            *(log(contexts[n % 2], request(sms(9, "twice"), sms(8, "once"))) for n in range(10))
        )
    finally:
        await other_store.close()
    assert sum(len(answer["logIds"]) for answer in answers) == 2
    assert sorted(crm.ops()) == [("create", "8"), ("update", "9")]


async def test_a_failed_create_stores_nothing_and_the_outbox_logs_everything(
    context: ServerContext, crm: RecordingCrm, store: Store
) -> None:
    from appconnect.services.outbox_worker import OutboxWorker

    crm.fail_creates = 1
    failed = await log(context, request(sms(2, "two"), sms(1, "one")))
    assert failed["successful"] is False
    assert "will be logged to the CRM automatically" in failed["returnMessage"]["message"]
    assert await store.message_logs.by_ids(["1", "2"], platform=PLATFORM) == []
    assert await store.message_logs.conversation_log("conv-1-2026-07-14", platform=PLATFORM) is None

    retried = await log(context, request(sms(2, "two"), sms(1, "one")))  # while queued: the same answer
    assert retried == failed
    assert [job.kind for job in await store.outbox.jobs()] == ["message_log.create"]
    worker = OutboxWorker(context)
    for _ in range(200):  # the job waits out its (short) backoff
        if await worker.run_once():
            break
        await asyncio.sleep(0.01)
    assert await store.outbox.jobs() == []
    assert crm.ops() == [("create", "1"), ("create", "1"), ("update", "2")]
    assert {row.id for row in await store.message_logs.by_ids(["1", "2"], platform=PLATFORM)} == {"1", "2"}


async def test_a_failed_update_keeps_earlier_messages_and_releases_the_rest(
    context: ServerContext, crm: RecordingCrm, store: Store
) -> None:
    crm.fail_updates = 1
    failed = await log(context, request(sms(3, "three"), sms(2, "two"), sms(1, "one")))
    assert failed["successful"] is False
    assert failed["returnMessage"]["message"] == "Authorization error"  # a CRM 404 (spec §1.1)
    assert [row.id for row in await store.message_logs.by_ids(["1", "2", "3"], platform=PLATFORM)] == ["1"]
    retried = await log(context, request(sms(3, "three"), sms(2, "two"), sms(1, "one")))
    assert retried["logIds"] == ["2", "3"]


async def test_a_create_without_log_id_stores_nothing_and_the_next_message_creates_again(
    context: ServerContext, crm: RecordingCrm, store: Store
) -> None:
    crm.no_log_id = True
    answer = await log(context, request(sms(2, "two"), sms(1, "one")))
    # Nothing logged: the answer says so and why (issue 9: "nothing is written, and the user is told why").
    assert answer == {
        "successful": False,
        "returnMessage": {"message": "Not logged", "messageType": "warning", "ttl": 3000},
    }
    assert crm.ops() == [("create", "1"), ("create", "2")]
    assert await store.message_logs.by_ids(["1", "2"], platform=PLATFORM) == []


async def test_empty_messages_answer_no_message_to_log(context: ServerContext, crm: RecordingCrm) -> None:
    assert await log(context, request()) == {
        "successful": False,
        "returnMessage": {"message": "No message to log.", "messageType": "warning", "ttl": 3000},
    }
    assert crm.calls == []


@pytest.mark.parametrize("contact_id", [None, "", 0])
async def test_a_missing_contact_names_the_number(
    context: ServerContext, crm: RecordingCrm, contact_id: Any
) -> None:
    answer = await log(context, request(sms(1, "x"), contactId=contact_id))
    assert answer == {
        "successful": False,
        "returnMessage": {
            "message": f"Contact not found for number {ANN}",
            "messageType": "warning",
            "ttl": 5000,
        },
    }
    assert crm.calls == []


async def test_an_unknown_user_is_contact_not_found(context: ServerContext) -> None:
    outcome = await create_message_log(
        context, user_id="nobody", platform=PLATFORM, request=request(sms(1, "x")), rc_account_id_header=None
    )
    assert outcome.body["returnMessage"]["message"] == "Contact not found"


async def test_group_sms_is_logged_per_contact_with_suffixed_ids_and_cached_correspondents(
    context: ServerContext, crm: RecordingCrm, store: Store
) -> None:
    bob = "+14155550101"
    await store.account_data.put("acc-1", PLATFORM, f"contact-{bob}", [{"id": "2", "name": "Bob Sample"}])
    await store.account_data.put("acc-1", PLATFORM, f"contact-{ANN}", [{"id": "1", "name": "Ann Example"}])
    group = {**sms(5, "hi all"), "to": [{"phoneNumber": "+16505550199"}, {"phoneNumber": bob}]}
    body = request(
        group,
        log_info={"correspondents": [{"phoneNumber": ANN}, {"phoneNumber": bob}]},
    )
    answer = await log(context, body)
    assert answer["logIds"] == ["5-1"]
    created = crm.created(0)
    assert created.message is not None
    assert created.message.id == "5-1" and created.message.raw["to"] == group["to"]
    assert created.correspondents == ([{"id": "2", "name": "Bob Sample"}],)
    [row] = await store.message_logs.by_ids(["5-1"], platform=PLATFORM)
    assert (row.conversation_id, row.conversation_log_id) == ("conv-1-1", "conv-1-2026-07-14-1")


async def test_media_links_reach_create_and_update(context: ServerContext, crm: RecordingCrm) -> None:
    uri = "https://media.ringcentral.com/restapi/v1.0/account/1/extension/1/message-store/9/content/9"
    fax = {
        **sms(9, ""),
        "type": "Fax",
        "attachments": [{"id": 9, "uri": uri, "type": "RenderedDocument", "link": "https://app/fax/9"}],
    }
    voicemail = {
        **sms(10, "Voice message"),
        "type": "VoiceMail",
        "attachments": [{"id": 10, "uri": uri, "type": "AudioRecording", "link": "https://app/vm/10"}],
    }
    await log(context, request(voicemail, fax, log_info={"rcAccessToken": "rc-token"}))
    created, updated = crm.created(0), crm.updated(1)
    assert created.media.fax_doc_link == "https://app/fax/9"
    assert created.media.fax_download_link == f"{uri}?access_token=rc-token"
    assert updated.media.recording_link == "https://app/vm/10"  # P-7: passed to updates too


async def test_selected_messages_are_composed_into_one_new_log(
    context: ServerContext, crm: RecordingCrm, store: Store
) -> None:
    body = request(
        sms(3, "Third", day="2026-07-15"),
        sms(2, "Second"),
        sms(1, "First"),
        selectedMessageIds=[1, "3"],
    )
    answer = await log(context, body)
    assert answer["logIds"] == ["1", "3"] and answer["messageLogs"] == {"1": "L1", "3": "L1"}
    [(op, _)] = crm.calls
    selected = crm.created(0)
    assert op == "create" and [message.raw["id"] for message in selected.messages] == [1, 3]
    content = selected.shared_sms_log_content
    assert content is not None
    assert content.subject == "SMS conversation with Ann Example on 2026-07-14"
    assert content.body.index("First") < content.body.index("Third")
    assert "Second" not in content.body and "Conversation (2 messages)" in content.body
    assert await store.message_logs.conversation_log("conv-1-2026-07-14", platform=PLATFORM) is None

    crm.calls.clear()
    again = await log(context, body)
    assert again == {
        "successful": True,
        "returnMessage": None,
        "logIds": [],
        "messageLogs": {"1": "L1", "3": "L1"},
    }
    assert crm.calls == []
    rest = await log(context, request(sms(2, "Second"), sms(1, "First")))  # the day log skips message 1
    assert rest["logIds"] == ["2"] and crm.ops() == [("create", "2")]


async def test_a_selection_matching_no_message_is_refused(context: ServerContext, crm: RecordingCrm) -> None:
    answer = await log(context, request(sms(1, "x"), selectedMessageIds=["404"]))
    assert answer["successful"] is False and answer["returnMessage"]["message"] == "No message to log."
    assert crm.calls == []


def shared(*entities: dict[str, Any], **log_info: Any) -> MessageLogRequest:
    return request(
        {"id": 1, "type": "SMS", "lastModifiedTime": "2026-07-14T03:10:00Z"},
        log_info={
            "conversationLogId": "shared-conv",
            "creationTime": "2026-07-14T03:00:00Z",
            "owner": {"name": "Support Queue", "extensionType": "Department"},
            "assignee": {"name": "Agent Smith"},
            "entities": list(entities),
            **log_info,
        },
    )


async def test_shared_sms_creates_one_conversation_log_then_rewrites_it(
    context: ServerContext, crm: RecordingCrm, store: Store
) -> None:
    note = {
        "recordType": "AliveNote",
        "creationTime": "2026-07-14T03:05:00Z",
        "author": {"name": "Jo"},
        "text": "VIP",
    }
    created = await log(context, shared(note))
    assert created["logIds"] == ["shared-conv"] and created["messageLogs"] == {"shared-conv": "L1"}
    updated = await log(context, shared(note, note))
    assert updated["logIds"] == [] and updated["messageLogs"] == {"shared-conv": "L1"}
    assert [op for op, _ in crm.calls] == ["create", "update"]
    first, second = crm.created(0), crm.updated(1)
    assert first.shared_sms_log_content is not None and second.shared_sms_log_content is not None
    assert first.shared_sms_log_content.subject == "SMS conversation with Ann Example"
    assert "Receiving call queue: Support Queue" in first.shared_sms_log_content.body
    assert "Conversation (2 notes)" in second.shared_sms_log_content.body
    assert second.existing_message_log.third_party_log_id == "L1"
    assert first.message is None and first.owner_name is None and first.assignee_name is None
    row = await store.message_logs.get("shared-conv", platform=PLATFORM)
    assert row is not None and row.third_party_log_id == "L1"


async def test_concurrent_shared_sms_requests_create_one_conversation_log(
    context: ServerContext, crm: RecordingCrm
) -> None:
    answers = await asyncio.gather(*(log(context, shared()) for _ in range(8)))
    assert all(answer["successful"] for answer in answers)
    assert [op for op, _ in crm.calls].count("create") == 1


async def test_match_reports_exactly_the_logged_messages(context: ServerContext, crm: RecordingCrm) -> None:
    await log(context, request(sms(2, "two"), sms(1, "one")))
    await log(context, request(sms(3, "three"), conversation="conv-other"))

    async def match(**body: Any) -> dict[str, Any]:
        outcome = await match_message_logs(
            context, user_id=USER.id, platform=PLATFORM, request=MessageLogMatchRequest.model_validate(body)
        )
        return outcome.body

    assert await match(conversationId="conv-1", messageIds=["1", 2, "404"]) == {
        "successful": True,
        "logs": [
            {"messageId": "1", "matched": True, "logId": "L1"},
            {"messageId": "2", "matched": True, "logId": "L1"},
            {"messageId": "404", "matched": False},
        ],
        "messageLogs": {"1": "L1", "2": "L1"},
        "returnMessage": None,
    }
    by_conversation = await match(conversationId="conv-1")
    assert by_conversation["messageLogs"] == {"1": "L1", "2": "L1"}
    assert (await match(messageIds="3,1"))["messageLogs"] == {"3": "L2", "1": "L1"}
    other_user = await match_message_logs(
        context,
        user_id="someone-else",
        platform=PLATFORM,
        request=MessageLogMatchRequest.model_validate({"messageIds": ["1"]}),
    )
    assert other_user.body["logs"] == [{"messageId": "1", "matched": False}]


async def test_a_stale_reservation_from_a_dead_process_is_taken_over(store: Store) -> None:
    link = MessageLogLink(
        id="1",
        platform=PLATFORM,
        conversation_id="conv-1",
        conversation_log_id="c",
        third_party_log_id=None,
        user_id=USER.id,
        state="pending",
    )
    assert await store.message_logs.reserve_messages([link]) == {"1"}
    assert await store.message_logs.reserve_messages([link]) == set()
    day = await store.message_logs.reserve_conversation_log(
        "c", platform=PLATFORM, conversation_id=None, user_id=None
    )
    assert day.is_ours
    # Another process whose clock says every pending row is abandoned (its creator died).
    impatient = MessageLogRepository(store.database, stale_after=timedelta(seconds=-1))
    assert await impatient.reserve_messages([link]) == {"1"}
    taken = await impatient.reserve_conversation_log(
        "c", platform=PLATFORM, conversation_id=None, user_id=None
    )
    assert taken.is_ours
