"""The sample connector against its real SQLite database (a file under tmp_path)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from appconnect.compose import MessageLogContent, MessageMedia
from appconnect.config import Settings
from appconnect.connectors.base import ConnectorContext
from appconnect.connectors.inputs import (
    CallRecord,
    CreateCallLogInput,
    CreateContactInput,
    CreateMessageLogInput,
    FindContactInput,
    FindContactWithNameInput,
    FormValues,
    GetCallLogInput,
    MessageRecord,
    UpdateCallLogInput,
    UpdateMessageLogInput,
    UpsertCallDispositionInput,
)
from appconnect.connectors.sample import (
    SEED_CONTACTS,
    SampleCrmConnector,
    SampleCrmNotFound,
    create_connector,
)
from appconnect.connectors.types import (
    CallLogInfo,
    Contact,
    ContactInfo,
    CreateMessageLogResult,
    DispositionResult,
    FindContactResult,
    GetCallLogResult,
    UpdateCallLogResult,
    UpdateMessageLogResult,
)
from appconnect.crm_http.errors import CrmNotFound
from appconnect.domain import CallLogLink, MessageLogLink, User

USER = User(id="abc-sample", platform="sample", access_token="key")
AUTH = "Basic a2V5Og=="
ANN = ContactInfo(id=1, phone_number="+14155550100", type="Contact", name="Ann Example")


def _build(path: Path) -> SampleCrmConnector:
    settings = Settings(sample_crm_database_url=f"sqlite:///{path}")
    return create_connector(ConnectorContext(http=None, settings=settings))  # type: ignore[arg-type]


@pytest.fixture
async def crm(tmp_path: Path) -> AsyncIterator[SampleCrmConnector]:
    connector = _build(tmp_path / "crm.db")
    await connector.startup()
    yield connector
    await connector.shutdown()


def _call_link(log_id: str | int | None) -> CallLogLink:
    return CallLogLink(
        id="tel-1",
        session_id="s-1",
        extension_number="101",
        hashed_extension_id="h",
        platform="sample",
        third_party_log_id=None if log_id is None else str(log_id),
        user_id=USER.id,
        contact_id="1",
    )


def _message_link(log_id: str | int | None) -> MessageLogLink:
    return MessageLogLink(
        id="m-1",
        platform="sample",
        conversation_id="conv",
        conversation_log_id="conv-2026-07-14",
        third_party_log_id=None if log_id is None else str(log_id),
        user_id=USER.id,
    )


async def _find_contact(
    crm: SampleCrmConnector, number: str, *, is_extension: bool = False
) -> FindContactResult:
    return await crm.find_contact(
        FindContactInput(
            user=USER,
            auth_header=AUTH,
            phone_number=number,
            overriding_format=None,
            is_extension=is_extension,
        )
    )


async def _find(crm: SampleCrmConnector, number: str) -> list[Contact]:
    result = await _find_contact(crm, number)
    return list(result.matched_contact_info)


async def _find_by_name(crm: SampleCrmConnector, name: str) -> FindContactResult:
    return await crm.find_contact_with_name(FindContactWithNameInput(user=USER, auth_header=AUTH, name=name))


async def _read_call(
    crm: SampleCrmConnector,
    call_log_id: str,
    *,
    telephony_session_id: str = "tel-1",
    contact_id: str | None = "1",
) -> GetCallLogResult:
    return await crm.get_call_log(
        GetCallLogInput(
            user=USER,
            auth_header=AUTH,
            telephony_session_id=telephony_session_id,
            call_log_id=call_log_id,
            contact_id=contact_id,
        )
    )


async def _log_call(crm: SampleCrmConnector, body: str) -> str:
    result = await crm.create_call_log(
        CreateCallLogInput(
            user=USER,
            contact_info=ANN,
            auth_header=AUTH,
            call_log=CallRecord.of({"sessionId": "s-1", "direction": "Inbound"}),
            note=None,
            composed_log_details=body,
            additional_submission=None,
        )
    )
    assert result.log_id is not None
    return str(result.log_id)


async def _update_call(
    crm: SampleCrmConnector,
    log_id: str | None,
    body: str,
    *,
    existing: CallLogInfo | None = None,
    subject: str | None = None,
) -> UpdateCallLogResult:
    return await crm.update_call_log(
        UpdateCallLogInput(
            user=USER,
            existing_call_log=_call_link(log_id),
            auth_header=AUTH,
            composed_log_details=body,
            existing_call_log_info=existing,
            subject=subject,
        )
    )


async def _dispose(
    crm: SampleCrmConnector, log_id: str | None, values: Mapping[str, Any]
) -> DispositionResult:
    return await crm.upsert_call_disposition(
        UpsertCallDispositionInput(
            user=USER, existing_call_log=_call_link(log_id), auth_header=AUTH, dispositions=FormValues(values)
        )
    )


async def _create_message_log(
    crm: SampleCrmConnector,
    contact: ContactInfo,
    *,
    message: Mapping[str, Any] | None = None,
    shared: MessageLogContent | None = None,
    media: MessageMedia | None = None,
) -> CreateMessageLogResult:
    return await crm.create_message_log(
        CreateMessageLogInput(
            user=USER,
            contact_info=contact,
            auth_header=AUTH,
            message=MessageRecord.of(message) if message is not None else None,
            shared_sms_log_content=shared,
            media=media or MessageMedia(),
        )
    )


async def _update_message_log(
    crm: SampleCrmConnector,
    contact: ContactInfo,
    link: MessageLogLink,
    *,
    message: Mapping[str, Any] | None = None,
    shared: MessageLogContent | None = None,
    media: MessageMedia | None = None,
) -> UpdateMessageLogResult:
    return await crm.update_message_log(
        UpdateMessageLogInput(
            user=USER,
            contact_info=contact,
            existing_message_log=link,
            auth_header=AUTH,
            message=MessageRecord.of(message) if message is not None else None,
            shared_sms_log_content=shared,
            media=media or MessageMedia(),
        )
    )


def _sms(message_id: int, text: str, direction: str = "Inbound") -> dict[str, Any]:
    return {
        "id": message_id,
        "type": "SMS",
        "direction": direction,
        "subject": text,
        "from": {"phoneNumber": "+14155550100", "name": "Ann Example"},
        "to": [{"phoneNumber": "+16505550199"}],
        "creationTime": "2026-07-14T03:00:00.000Z",
    }


# -- contacts --------------------------------------------------------------------------------------
async def test_a_new_crm_is_seeded_with_the_sample_contacts(crm: SampleCrmConnector) -> None:
    contacts = await crm.list_contacts()
    assert [(c["name"], c["phone"], c["company"], c["email"]) for c in contacts] == list(SEED_CONTACTS)


@pytest.mark.parametrize(
    "number", ["+14155550100", "4155550100", "(415) 555-0100", "+1 (415) 555-0100", "14155550100"]
)
async def test_find_contact_matches_any_form_and_ends_with_the_placeholder(
    crm: SampleCrmConnector, number: str
) -> None:
    matches = await _find(crm, number)
    assert [contact.name for contact in matches] == ["Ann Example", "Create new contact..."]
    ann = matches[0].to_wire()
    assert ann["phone"] == "+14155550100"
    assert ann["type"] == "Contact"
    assert ann["company"] == "Example Inc."
    assert ann["createdDate"]
    assert matches[-1].to_wire() == {
        "id": "createNewContact",
        "name": "Create new contact...",
        "isNewContact": True,
    }


async def test_unknown_number_gives_only_the_placeholder(crm: SampleCrmConnector) -> None:
    result = await _find_contact(crm, "+16505550123")
    assert not result.has_real_match
    assert [contact.id for contact in result.matched_contact_info] == ["createNewContact"]


async def test_extension_lookup_is_a_warning_without_matches(crm: SampleCrmConnector) -> None:
    result = await _find_contact(crm, "101", is_extension=True)
    assert result.matched_contact_info == ()
    assert result.return_message is not None and result.return_message.message_type == "warning"


async def test_created_contact_is_found_by_number_and_by_name(crm: SampleCrmConnector) -> None:
    created = await crm.create_contact(
        CreateContactInput(
            user=USER,
            auth_header=AUTH,
            phone_number="(650) 555-0123",
            new_contact_name="Dora Newcomer",
            new_contact_type="Contact",
            additional_submission=None,
        )
    )
    assert created.contact_info is not None
    assert created.contact_info.to_wire()["phone"] == "+16505550123"
    by_number = await _find(crm, "+16505550123")
    assert [(c.id, c.name) for c in by_number[:-1]] == [(created.contact_info.id, "Dora Newcomer")]
    by_name = await _find_by_name(crm, "newCOMER")
    assert [c.id for c in by_name.matched_contact_info] == [created.contact_info.id]


async def test_contact_without_a_name_is_not_created(crm: SampleCrmConnector) -> None:
    result = await crm.create_contact(
        CreateContactInput(
            user=USER,
            auth_header=AUTH,
            phone_number="+16505550123",
            new_contact_name=" ",
            new_contact_type=None,
            additional_submission=None,
        )
    )
    assert result.contact_info is None
    assert len(await crm.list_contacts()) == len(SEED_CONTACTS)


async def test_name_search_is_a_case_insensitive_substring_with_literal_wildcards(
    crm: SampleCrmConnector,
) -> None:
    found = await _find_by_name(crm, "SAMP")
    assert [c.name for c in found.matched_contact_info] == ["Bob Sample"]
    wildcard = await _find_by_name(crm, "%")
    assert wildcard.matched_contact_info == ()


# -- call logs ---------------------------------------------------------------------------------------
async def test_call_log_is_created_and_read_back(crm: SampleCrmConnector) -> None:
    body = "- Note: wants a quote\n- Session Id: s-1\n- Duration: 1 minute\n"
    created = await crm.create_call_log(
        CreateCallLogInput(
            user=USER,
            contact_info=ANN,
            auth_header=AUTH,
            call_log=CallRecord.of({"sessionId": "s-1", "direction": "Outbound"}),
            note="wants a quote",
            composed_log_details=body,
            additional_submission=None,
        )
    )
    assert created.return_message is not None and created.return_message.message == "Call logged"
    assert isinstance(created.log_id, str)

    read = await _read_call(crm, created.log_id)
    info = read.call_log_info
    assert info is not None
    assert info.subject == "Outbound call with Ann Example"
    assert info.full_body == body
    assert info.note == "wants a quote"
    assert info.contact_name == "Ann Example"
    assert info.full_log_response["id"] == int(created.log_id)
    assert info.full_log_response["body"] == body


async def test_custom_subject_wins_and_contact_name_is_looked_up(crm: SampleCrmConnector) -> None:
    created = await crm.create_call_log(
        CreateCallLogInput(
            user=USER,
            contact_info=ContactInfo(id="2", phone_number="+14155550101"),
            auth_header=AUTH,
            call_log=CallRecord.of({"sessionId": "s-2", "direction": "Inbound", "customSubject": "Renewal"}),
            note=None,
            composed_log_details="- Session Id: s-2\n",
            additional_submission=None,
        )
    )
    activity = await crm.get_call_activity(str(created.log_id))
    assert activity is not None
    assert activity["subject"] == "Renewal"
    assert activity["contact_name"] == "Bob Sample"


async def test_update_replaces_body_and_subject(crm: SampleCrmConnector) -> None:
    log_id = await _log_call(crm, "- Note: first\n- Session Id: s-1\n")
    result = await _update_call(
        crm, log_id, "- Note: second\n- Session Id: s-1\n- Result: Call connected\n", subject="Follow-up"
    )
    assert result.updated_note == "second"
    activity = await crm.get_call_activity(log_id)
    assert activity is not None
    assert activity["body"] == "- Note: second\n- Session Id: s-1\n- Result: Call connected\n"
    assert activity["subject"] == "Follow-up"


async def test_update_with_empty_body_and_subject_keeps_both(crm: SampleCrmConnector) -> None:
    log_id = await _log_call(crm, "- Note: keep me\n")
    await _update_call(crm, log_id, "", subject="")
    activity = await crm.get_call_activity(log_id)
    assert activity is not None
    assert activity["body"] == "- Note: keep me\n"
    assert activity["subject"] == "Inbound call with Ann Example"


async def test_text_the_agent_typed_in_the_crm_survives_an_update_that_carries_it(
    crm: SampleCrmConnector,
) -> None:
    log_id = await _log_call(crm, "- Note: first\n- Session Id: s-1\n")
    edited = await crm.edit_call_activity_body(log_id, "- Note: first\n- Session Id: s-1\nCustomer is VIP\n")
    assert "Customer is VIP" in edited["body"]

    read = await _read_call(crm, log_id)
    assert read.call_log_info is not None and read.call_log_info.full_body is not None
    recomposed = read.call_log_info.full_body + "- Duration: 2 minutes\n"  # what the server's composer does
    await _update_call(crm, log_id, recomposed, existing=read.call_log_info)
    activity = await crm.get_call_activity(log_id)
    assert activity is not None
    assert activity["body"] == "- Note: first\n- Session Id: s-1\nCustomer is VIP\n- Duration: 2 minutes\n"


async def test_dispositions_are_merged_and_read_back(crm: SampleCrmConnector) -> None:
    log_id = await _log_call(crm, "- Session Id: s-1\n")
    first = await _dispose(crm, log_id, {"outcome": "won", "x": 1})
    assert first.log_id == log_id
    await _dispose(crm, log_id, {"x": None, "stage": 3})
    read = await _read_call(crm, log_id)
    assert read.call_log_info is not None
    assert read.call_log_info.dispositions == {"outcome": "won", "stage": 3}


@pytest.mark.parametrize("unknown", ["999", "not-a-number", None])
async def test_unknown_call_log_is_a_crm_not_found(crm: SampleCrmConnector, unknown: str | None) -> None:
    with pytest.raises(CrmNotFound) as raised:
        await _read_call(crm, unknown or "", telephony_session_id="t", contact_id=None)
    assert isinstance(raised.value, SampleCrmNotFound)
    with pytest.raises(SampleCrmNotFound):
        await _update_call(crm, unknown, "- Note: x\n")
    with pytest.raises(SampleCrmNotFound):
        await _dispose(crm, unknown, {"a": 1})
    with pytest.raises(SampleCrmNotFound):
        await crm.edit_call_activity_body(unknown or "0", "x")
    assert await crm.list_call_activities() == []


async def test_twenty_concurrent_creates_give_twenty_activities(crm: SampleCrmConnector) -> None:
    ids = await asyncio.gather(*(_log_call(crm, f"- Session Id: s-{n}\n") for n in range(20)))
    assert len(set(ids)) == 20
    assert len(await crm.list_call_activities()) == 20


# -- message logs ------------------------------------------------------------------------------------
async def test_message_log_is_created_then_appended_without_duplicates(crm: SampleCrmConnector) -> None:
    contact = ANN
    created = await _create_message_log(crm, contact, message=_sms(6424569101, "Can you call me?"))
    assert created.log_id is not None
    link = _message_link(created.log_id)
    for message in (_sms(6424569102, "On my way", "Outbound"), _sms(6424569102, "On my way", "Outbound")):
        await _update_message_log(crm, contact, link, message=message)

    [log] = await crm.list_message_logs()
    assert log["id"] == int(created.log_id)
    assert log["subject"] == "SMS conversation with Ann Example on 2026-07-14"
    assert log["body"] == (
        "Participants\n* Ann Example (+14155550100)\n* +16505550199\n\n"
        "Conversation (2 messages)\nBEGIN\n------------\n"
        "Ann Example said on 2026-07-14 03:00 AM:\nCan you call me?\n\n"
        "Ann Example said on 2026-07-14 03:00 AM:\nOn my way\n\n"
        "------------\nEND"
    )
    assert log["message_ids"] == ["6424569101", "6424569102"]


async def test_each_create_makes_its_own_message_log(crm: SampleCrmConnector) -> None:
    contact = ContactInfo(id=1, phone_number="+14155550100", name="Ann Example")
    first = await _create_message_log(crm, contact, message=_sms(1, "a"))
    second = await _create_message_log(crm, contact, message=_sms(2, "b"))
    assert first.log_id != second.log_id
    assert len(await crm.list_message_logs()) == 2


async def test_fax_and_voicemail_links_are_written(crm: SampleCrmConnector) -> None:
    contact = ContactInfo(id=3, phone_number="+442071234567")
    fax = {**_sms(10, ""), "type": "Fax", "faxPageCount": 2}
    created = await _create_message_log(
        crm, contact, message=fax, media=MessageMedia(fax_doc_link="https://x.test/fax")
    )
    voicemail = {**_sms(11, ""), "type": "VoiceMail"}
    await _update_message_log(
        crm,
        contact,
        _message_link(created.log_id),
        message=voicemail,
        media=MessageMedia(recording_link="https://x.test/vm"),
    )
    [log] = await crm.list_message_logs()
    assert log["subject"] == "Fax with Carol Demo on 2026-07-14"
    assert (
        "Ann Example sent a fax (2 pages) on 2026-07-14 03:00 AM:\nFax document: https://x.test/fax\n\n"
        "Ann Example left a voicemail on 2026-07-14 03:00 AM:\nVoicemail recording: https://x.test/vm\n\n"
        "------------\nEND"
    ) in log["body"]


async def test_shared_sms_content_replaces_the_whole_log(crm: SampleCrmConnector) -> None:
    contact = ContactInfo(id=1, phone_number="+14155550100", name="Ann Example")
    created = await _create_message_log(
        crm,
        contact,
        shared=MessageLogContent(subject="SMS conversation with Ann Example", body="Conversation v1"),
    )
    await _update_message_log(
        crm,
        contact,
        _message_link(created.log_id),
        shared=MessageLogContent(subject="SMS conversation with Ann Example", body="Conversation v2"),
    )
    [log] = await crm.list_message_logs()
    assert (log["subject"], log["body"]) == ("SMS conversation with Ann Example", "Conversation v2")


async def test_unknown_message_log_is_a_crm_not_found(crm: SampleCrmConnector) -> None:
    contact = ContactInfo(id=1, phone_number="+14155550100")
    with pytest.raises(SampleCrmNotFound):
        await _update_message_log(crm, contact, _message_link("77"), message=_sms(1, "x"))
    with pytest.raises(SampleCrmNotFound):
        await _update_message_log(
            crm, contact, _message_link(None), shared=MessageLogContent(subject="s", body="b")
        )


async def test_concurrent_appends_lose_no_message_and_log_each_id_once(crm: SampleCrmConnector) -> None:
    contact = ContactInfo(id=1, phone_number="+14155550100", name="Ann Example")
    created = await _create_message_log(crm, contact, message=_sms(0, "m0"))
    link = _message_link(created.log_id)
    messages = [_sms(n, f"m{n}") for n in range(1, 16)] * 2  # every id twice
    await asyncio.gather(*(_update_message_log(crm, contact, link, message=message) for message in messages))
    [log] = await crm.list_message_logs()
    assert sorted(log["message_ids"], key=int) == [str(n) for n in range(16)]
    texts = [line for line in log["body"].splitlines() if line.startswith("m")]
    assert sorted(texts) == sorted(f"m{n}" for n in range(16))
    assert "Conversation (16 messages)" in log["body"] and log["body"].endswith("------------\nEND")


# -- lifecycle -----------------------------------------------------------------------------------------
async def test_methods_start_the_store_lazily_and_data_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "lazy.db"
    connector = _build(path)
    log_id = await _log_call(connector, "- Note: persisted\n")  # no startup() call
    await connector.shutdown()
    reopened = _build(path)
    await reopened.startup()
    activity = await reopened.get_call_activity(log_id)
    assert activity is not None and activity["body"] == "- Note: persisted\n"
    assert len(await reopened.list_contacts()) == len(SEED_CONTACTS)  # seeded once only
    await reopened.shutdown()


async def test_connectors_sharing_a_file_start_together_and_seed_once(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    connectors = [_build(path) for _ in range(4)]
    await asyncio.gather(*(connector.startup() for connector in connectors))
    ids = await asyncio.gather(*(_log_call(connector, "- Note: x\n") for connector in connectors))
    assert len(set(ids)) == 4
    assert len(await connectors[0].list_contacts()) == len(SEED_CONTACTS)
    for connector in connectors:
        await connector.shutdown()


def test_worker_processes_share_one_crm(tmp_path: Path) -> None:
    """Three processes start on one new file at once, each logging ten calls."""
    url = f"sqlite:///{tmp_path / 'workers.db'}"
    script = textwrap.dedent(
        f"""
        import asyncio
        from appconnect.config import Settings
        from appconnect.connectors.base import ConnectorContext
        from appconnect.connectors.inputs import CallRecord, CreateCallLogInput
        from appconnect.connectors.sample import create_connector
        from appconnect.connectors.types import ContactInfo
        from appconnect.domain import User

        async def main():
            settings = Settings(sample_crm_database_url={url!r})
            crm = create_connector(ConnectorContext(http=None, settings=settings))
            user = User(id="u-sample", platform="sample")
            for n in range(10):
                await crm.create_call_log(
                    CreateCallLogInput(
                        user=user, auth_header="",
                        contact_info=ContactInfo(id=1, phone_number="+14155550100"),
                        call_log=CallRecord.of({{"direction": "Inbound"}}), note=None,
                        composed_log_details=f"- Note: {{n}}\\n", additional_submission=None,
                    )
                )
            await crm.shutdown()

        asyncio.run(main())
        """
    )
    workers = [subprocess.Popen([sys.executable, "-c", script]) for _ in range(3)]
    assert [worker.wait(timeout=120) for worker in workers] == [0, 0, 0]

    async def check() -> tuple[int, int]:
        crm = _build(tmp_path / "workers.db")
        try:
            return len(await crm.list_call_activities()), len(await crm.list_contacts())
        finally:
            await crm.shutdown()

    assert asyncio.run(check()) == (30, len(SEED_CONTACTS))
