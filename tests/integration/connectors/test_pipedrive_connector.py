"""The Pipedrive connector against fake Pipedrive over real TLS sockets, interface by interface.

Each test asserts what fake Pipedrive stores and the exact requests it received (the fake refuses,
and the fixture fails the test on, any request Pipedrive would not accept). Concurrency is asserted
through the fake's in-flight high-water mark, never through elapsed time.

Activity types are the RingCentral account's data, which the server keeps: the connector reads them
through its input's `account_data`. `StoredAccountData` stands in for the server's copy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from appconnect.compose import MessageLogContent, MessageMedia
from appconnect.connectors.inputs import (
    AccountData,
    AdditionalSubmission,
    CallRecord,
    CreateCallLogInput,
    CreateContactInput,
    CreateMessageLogInput,
    CrmInput,
    FindContactInput,
    FindContactWithNameInput,
    FindCreatedMessageLogInput,
    FindMessageLogUpdateInput,
    FormValues,
    GetCallLogInput,
    GetUserInfoInput,
    MessageRecord,
    UnauthorizeInput,
    UpdateCallLogInput,
    UpdateMessageLogInput,
    UpsertCallDispositionInput,
)
from appconnect.connectors.pipedrive import PipedriveConnector
from appconnect.connectors.pipedrive.organizations import MISSING, OrganizationMemo
from appconnect.connectors.types import (
    CallLogInfo,
    ContactInfo,
    CreateCallLogResult,
    CreateMessageLogResult,
    FindContactResult,
)
from appconnect.contract import UpdateCallLogRequest
from appconnect.crm_http import CrmAuthExpired, CrmRateLimited, CrmUnavailable
from appconnect.domain import CallLogLink, MessageLogLink, User
from appconnect.services.call_logs import compose_update
from tests.fakes.pipedrive import FakePipedrive
from tests.fakes.pipedrive.fixtures import (  # noqa: F401 - fixtures
    PIPEDRIVE_USER_ID,
    fake_pipedrive_fixture,
    pipedrive_connector_fixture,
    pipedrive_env_fixture,
    pipedrive_user,
)

ANN_NUMBER = "+14155550100"
SLOW = 0.2  # seconds the fake holds answers so that concurrent requests overlap
ACTIVITY_TYPES = "activityTypes"
NO_CALL_TYPE = (
    'Call logging requires an active activity type containing the word "call" (case insensitive), '
    "or one explicitly assigned by an admin under Admin > Account settings."
)
NO_SMS_TYPE = (
    'Message logging requires an active activity type containing the word "sms" (case insensitive), '
    "or one explicitly assigned by an admin under Admin > Account settings."
)


class StoredAccountData:
    """`AccountData` as the server keeps it for one RingCentral account, counting fetches.

    A key is fetched through the connector's own source (`connector.account_data[key].fetch`) on the
    first read and kept; `force_refresh` fetches it again. An undeclared key raises `KeyError` (a
    `LookupError`, as the protocol says).
    """

    def __init__(self, connector: PipedriveConnector, user: User, auth_header: str) -> None:
        self._connector = connector
        self._request = CrmInput(user=user, auth_header=auth_header)
        self.values: dict[str, Any] = {}
        self.fetches = 0

    async def get(self, key: str, *, force_refresh: bool = False) -> Any:
        source = self._connector.account_data[key]
        if force_refresh or key not in self.values:
            self.fetches += 1
            self.values[key] = await source.fetch(self._request)
        return self.values[key]


@pytest.fixture
def account_data(pipedrive_connector: PipedriveConnector, pipedrive_env: FakePipedrive) -> StoredAccountData:
    """The test's RingCentral account's data: empty, so the first read fetches."""
    user, auth = pipedrive_user(pipedrive_env)
    return StoredAccountData(pipedrive_connector, user, auth)


def _paths(pipedrive: FakePipedrive) -> list[tuple[str, str]]:
    return [(request.method, request.path) for request in pipedrive.requests]


def _seed_ann(pipedrive: FakePipedrive) -> dict[str, Any]:
    state = pipedrive.state
    org = state.add_organization("Example Inc")
    ann = state.add_person("Ann Example", "+1 (415) 555-0100", org_id=org["id"])
    deal = state.add_deal("Renewal", person_id=ann["id"])
    state.add_deal("Lost one", person_id=ann["id"], status="lost")
    lead = state.add_lead("Upsell", person_id=ann["id"])
    return {"person": ann, "org": org, "deal": deal, "lead": lead}


def _link(activity_id: Any, session_id: str = "s1") -> CallLogLink:
    return CallLogLink(
        id=f"tel-{session_id}",
        session_id=session_id,
        extension_number="101",
        hashed_extension_id="h",
        platform="pipedrive",
        third_party_log_id=str(activity_id),
        user_id=f"{PIPEDRIVE_USER_ID}-pipedrive",
        contact_id=None,
    )


def _contact(person: dict[str, Any]) -> ContactInfo:
    return ContactInfo(id=person["id"], phone_number=ANN_NUMBER, type="contact", name=person["name"])


def _submission(values: Mapping[str, Any] | None) -> AdditionalSubmission | None:
    return AdditionalSubmission(values) if values is not None else None


def _deactivate(pipedrive: FakePipedrive, key_string: str) -> None:
    """An admin deactivates an activity type in Pipedrive."""
    with pipedrive.state.lock:
        for kind in pipedrive.state.activity_types:
            if kind["key_string"] == key_string:
                kind["active_flag"] = False


async def _find_contact(
    connector: PipedriveConnector, user: User, auth: str, number: str, *, is_extension: bool = False
) -> FindContactResult:
    return await connector.find_contact(
        FindContactInput(
            user=user,
            auth_header=auth,
            phone_number=number,
            overriding_format=None,
            is_extension=is_extension,
        )
    )


async def _find_by_name(connector: PipedriveConnector, user: User, auth: str, name: str) -> FindContactResult:
    return await connector.find_contact_with_name(
        FindContactWithNameInput(user=user, auth_header=auth, name=name)
    )


# -- contacts ---------------------------------------------------------------------------------
async def test_find_contact_returns_persons_with_open_deals_and_leads(
    pipedrive_connector: PipedriveConnector, pipedrive_env: FakePipedrive
) -> None:
    seeded = _seed_ann(pipedrive_env)
    user, auth = pipedrive_user(pipedrive_env)
    found = await _find_contact(pipedrive_connector, user, auth, " 14155550100")
    ann, placeholder = found.matched_contact_info
    assert ann.to_wire() == {
        "id": seeded["person"]["id"],
        "name": "Ann Example",
        "type": "contact",
        "phone": ANN_NUMBER,
        "company": "Example Inc",
        "organization": "Example Inc",
        "additionalInfo": {
            "deals": [{"const": seeded["deal"]["id"], "title": "Renewal"}],
            "leads": [{"const": seeded["lead"]["id"], "title": "Upsell"}],
        },
    }
    assert placeholder.is_new_contact and placeholder.id == "createNewContact"
    search = pipedrive_env.requests_to("GET", "/api/v2/persons/search")
    assert [request.query for request in search] == [{"term": "4155550100", "fields": "phone"}]
    deals = pipedrive_env.requests_to("GET", "/api/v2/deals")
    assert [request.query for request in deals] == [
        {"person_id": str(seeded["person"]["id"]), "status": "open"}
    ]
    leads = pipedrive_env.requests_to("GET", "/v1/leads")
    assert [request.query for request in leads] == [{"person_id": str(seeded["person"]["id"])}]
    assert found.extra_data_tracking is not None
    assert set(found.extra_data_tracking) == {"ratelimitRemaining", "ratelimitAmount", "ratelimitReset"}
    assert found.extra_data_tracking["ratelimitAmount"] == "80"


async def test_deals_and_leads_of_every_person_are_fetched_concurrently_and_once(
    pipedrive_connector: PipedriveConnector, pipedrive_env: FakePipedrive
) -> None:
    state = pipedrive_env.state
    first = state.add_person("Ann Example", ANN_NUMBER)
    second = state.add_person("Ann's Assistant", "415-555-0100")
    user, auth = pipedrive_user(pipedrive_env)
    state.latency.update({"/api/v2/deals": SLOW, "/v1/leads": SLOW})
    found = await _find_contact(pipedrive_connector, user, auth, ANN_NUMBER)
    assert {contact.id for contact in found.matched_contact_info} == {
        first["id"],
        second["id"],
        "createNewContact",
    }
    assert state.max_in_flight == 4  # both persons' deals and leads at the same time
    per_person = sorted(
        request.query["person_id"] for request in pipedrive_env.requests_to("GET", "/api/v2/deals")
    )
    assert per_person == sorted([str(first["id"]), str(second["id"])])
    assert len(pipedrive_env.requests_to("GET", "/v1/leads")) == 2
    assert len(pipedrive_env.requests) == 5


@pytest.mark.parametrize(("number", "is_extension"), [("101", False), (ANN_NUMBER, True)])
async def test_extension_numbers_are_refused_without_asking_pipedrive(
    pipedrive_connector: PipedriveConnector, pipedrive_env: FakePipedrive, number: str, is_extension: bool
) -> None:
    user, auth = pipedrive_user(pipedrive_env)
    found = await _find_contact(pipedrive_connector, user, auth, number, is_extension=is_extension)
    assert found.successful is False and found.matched_contact_info == ()
    assert found.return_message is not None
    assert found.return_message.message == "Logging against internal extension number is not supported."
    assert pipedrive_env.requests == []


async def test_a_failed_leads_lookup_leaves_the_contact_without_leads(
    pipedrive_connector: PipedriveConnector, pipedrive_env: FakePipedrive
) -> None:
    seeded = _seed_ann(pipedrive_env)
    pipedrive_env.faults.add(500, method="GET", path="/v1/leads")
    user, auth = pipedrive_user(pipedrive_env)
    found = await _find_contact(pipedrive_connector, user, auth, ANN_NUMBER)
    assert found.matched_contact_info[0].additional_info == {
        "deals": [{"const": seeded["deal"]["id"], "title": "Renewal"}]
    }


async def test_a_rate_limited_search_raises_with_the_reset_time(
    pipedrive_connector: PipedriveConnector, pipedrive_env: FakePipedrive
) -> None:
    pipedrive_env.rate_limit_next(path="/api/v2/persons/search", reset_seconds=42)
    user, auth = pipedrive_user(pipedrive_env)
    before = datetime.now(UTC)
    with pytest.raises(CrmRateLimited) as raised:
        await _find_contact(pipedrive_connector, user, auth, ANN_NUMBER)
    assert raised.value.retry_after == 42
    assert raised.value.reset_at is not None
    assert (
        before + timedelta(seconds=41) <= raised.value.reset_at <= datetime.now(UTC) + timedelta(seconds=43)
    )


async def test_pipedrive_own_burst_limit_is_a_rate_limit_too(
    pipedrive_connector: PipedriveConnector, pipedrive_env: FakePipedrive
) -> None:
    pipedrive_env.state.exhaust_rate_limit(reset_after=30)
    user, auth = pipedrive_user(pipedrive_env)
    with pytest.raises(CrmRateLimited) as raised:
        await _find_by_name(pipedrive_connector, user, auth, "Ann")
    assert raised.value.retry_after == 30


async def test_a_rate_limited_leads_lookup_fails_the_whole_lookup(
    pipedrive_connector: PipedriveConnector, pipedrive_env: FakePipedrive
) -> None:
    _seed_ann(pipedrive_env)
    pipedrive_env.rate_limit_next(path="/v1/leads")
    user, auth = pipedrive_user(pipedrive_env)
    with pytest.raises(CrmRateLimited):
        await _find_contact(pipedrive_connector, user, auth, ANN_NUMBER)


async def test_an_expired_token_is_a_401(
    pipedrive_connector: PipedriveConnector, pipedrive_env: FakePipedrive
) -> None:
    user, auth = pipedrive_user(pipedrive_env)
    pipedrive_env.state.expire_access_tokens()
    with pytest.raises(CrmAuthExpired):
        await _find_by_name(pipedrive_connector, user, auth, "Ann")


async def test_find_contact_with_name(
    pipedrive_connector: PipedriveConnector, pipedrive_env: FakePipedrive
) -> None:
    seeded = _seed_ann(pipedrive_env)
    pipedrive_env.state.add_person("Bob Other", "+442079460018")
    user, auth = pipedrive_user(pipedrive_env)
    found = await _find_by_name(pipedrive_connector, user, auth, "ann ex")
    assert [contact.id for contact in found.matched_contact_info] == [seeded["person"]["id"]]
    assert found.matched_contact_info[0].phone is None
    assert pipedrive_env.requests_to("GET", "/api/v2/persons/search")[0].query == {
        "term": "ann ex",
        "fields": "name",
    }
    short = await _find_by_name(pipedrive_connector, user, auth, " a ")
    assert short.matched_contact_info == ()
    assert len(pipedrive_env.requests_to("GET", "/api/v2/persons/search")) == 1


async def test_create_contact_stores_a_person_with_the_number(
    pipedrive_connector: PipedriveConnector, pipedrive_env: FakePipedrive
) -> None:
    user, auth = pipedrive_user(pipedrive_env)
    created = await pipedrive_connector.create_contact(
        CreateContactInput(
            user=user,
            auth_header=auth,
            phone_number=ANN_NUMBER,
            new_contact_name="Ann Example",
            new_contact_type="contact",
            additional_submission=None,
        )
    )
    assert created.contact_info is not None
    person = pipedrive_env.state.persons[int(created.contact_info.id)]
    assert person["name"] == "Ann Example"
    assert [phone["value"] for phone in person["phones"]] == [ANN_NUMBER]
    assert person["owner_id"] == PIPEDRIVE_USER_ID
    assert pipedrive_env.requests_to("POST", "/v1/persons")[0].json == {
        "name": "Ann Example",
        "phone": ANN_NUMBER,
    }
    assert created.return_message is not None and created.return_message.message == "Contact created."


# -- call logs --------------------------------------------------------------------------------
CALL: dict[str, Any] = {
    "sessionId": "s1",
    "direction": "Inbound",
    "startTime": "2026-07-14T05:00:00.000+02:00",
    "duration": 125,
    "customSubject": None,
}
BODY = "<b>Agent notes</b><br>Wants a quote<br><br><b>Call details</b><br><b>Duration</b>: 2 minutes<br>"


async def _create_call(
    connector: PipedriveConnector,
    pipedrive: FakePipedrive,
    person: dict[str, Any],
    account_data: AccountData,
    *,
    user: User | None = None,
    call: Mapping[str, Any] | None = None,
    additional_submission: Mapping[str, Any] | None = None,
) -> CreateCallLogResult:
    default_user, auth = pipedrive_user(pipedrive)
    log_info = {key: value for key, value in {**CALL, **(call or {})}.items() if value is not None}
    return await connector.create_call_log(
        CreateCallLogInput(
            user=user or default_user,
            contact_info=_contact(person),
            auth_header=auth,
            account_data=account_data,
            call_log=CallRecord.of(log_info),
            note="Wants a quote",
            composed_log_details=BODY,
            additional_submission=_submission(additional_submission),
            hashed_account_id="hash",
        )
    )


async def test_create_call_log_stores_a_done_activity(
    pipedrive_connector: PipedriveConnector, pipedrive_env: FakePipedrive, account_data: StoredAccountData
) -> None:
    seeded = _seed_ann(pipedrive_env)
    pipedrive_env.state.latency.update({"/api/v2/persons/": SLOW, "/v1/activityTypes": SLOW})
    result = await _create_call(
        pipedrive_connector,
        pipedrive_env,
        seeded["person"],
        account_data,
        additional_submission={"deals": str(seeded["deal"]["id"]), "leads": seeded["lead"]["id"]},
    )
    activity = pipedrive_env.state.activity(result.log_id)
    assert {
        key: activity[key] for key in ("subject", "type", "owner_id", "due_date", "due_time", "duration")
    } == {
        "subject": "Inbound Call from Ann Example",
        "type": "call",
        "owner_id": PIPEDRIVE_USER_ID,
        "due_date": "2026-07-14",
        "due_time": "03:00",
        "duration": "00:03",
    }
    assert activity["done"] is True
    assert activity["note"] == BODY
    assert activity["deal_id"] == seeded["deal"]["id"] and activity["lead_id"] is None
    assert activity["org_id"] == seeded["org"]["id"]
    assert activity["participants"] == [{"person_id": seeded["person"]["id"], "primary": True}]
    assert pipedrive_env.state.max_in_flight == 2  # the person and the activity types at once
    assert _paths(pipedrive_env)[-1] == ("POST", "/api/v2/activities")
    assert result.return_message is not None and result.return_message.message == "Call logged"


async def test_a_call_is_linked_to_a_lead_or_to_nothing(
    pipedrive_connector: PipedriveConnector, pipedrive_env: FakePipedrive, account_data: StoredAccountData
) -> None:
    seeded = _seed_ann(pipedrive_env)
    with_lead = await _create_call(
        pipedrive_connector,
        pipedrive_env,
        seeded["person"],
        account_data,
        additional_submission={"leads": seeded["lead"]["id"]},
    )
    plain = await _create_call(
        pipedrive_connector,
        pipedrive_env,
        seeded["person"],
        account_data,
        call={"direction": "Outbound", "customSubject": "Quote follow-up", "duration": "pending"},
        additional_submission={},
    )
    assert pipedrive_env.state.activity(with_lead.log_id)["lead_id"] == seeded["lead"]["id"]
    stored = pipedrive_env.state.activity(plain.log_id)
    assert (stored["deal_id"], stored["lead_id"], stored["subject"], stored["duration"]) == (
        None,
        None,
        "Quote follow-up",
        "00:00",
    )
    sent = pipedrive_env.requests_to("POST", "/api/v2/activities")[1].json
    assert sent is not None
    assert "deal_id" not in sent and "lead_id" not in sent
    # The activity types were fetched once for both logs (the account's stored copy).
    assert len(pipedrive_env.requests_to("GET", "/v1/activityTypes")) == 1
    assert account_data.fetches == 1


async def test_the_admin_chosen_activity_type_wins_and_a_new_one_is_found_by_refreshing(
    pipedrive_connector: PipedriveConnector, pipedrive_env: FakePipedrive, account_data: StoredAccountData
) -> None:
    seeded = _seed_ann(pipedrive_env)
    user, _ = pipedrive_user(
        pipedrive_env, user_settings={"pipedriveCallActivityType": {"value": "phone_call"}}
    )
    first = await _create_call(pipedrive_connector, pipedrive_env, seeded["person"], account_data, user=user)
    assert pipedrive_env.state.activity(first.log_id)["type"] == "call"  # not there yet: keyword match
    pipedrive_env.state.add_activity_type("Phone call", "phone_call")
    second = await _create_call(pipedrive_connector, pipedrive_env, seeded["person"], account_data, user=user)
    assert pipedrive_env.state.activity(second.log_id)["type"] == "phone_call"
    # first: stored list + one refresh; second: stored list (stale) + one refresh that finds it
    assert len(pipedrive_env.requests_to("GET", "/v1/activityTypes")) == 3
    assert account_data.fetches == 3


async def test_without_an_active_call_type_nothing_is_created(
    pipedrive_connector: PipedriveConnector, pipedrive_env: FakePipedrive, account_data: StoredAccountData
) -> None:
    seeded = _seed_ann(pipedrive_env)
    _deactivate(pipedrive_env, "call")
    result = await _create_call(pipedrive_connector, pipedrive_env, seeded["person"], account_data)
    assert result.log_id is None
    assert result.return_message is not None
    assert result.return_message.message_type == "error"
    assert "activity type" in result.return_message.message
    assert result.return_message.to_wire() == {"message": NO_CALL_TYPE, "messageType": "error", "ttl": 2000}
    assert pipedrive_env.state.activities == {}
    assert pipedrive_env.requests_to("POST", "/api/v2/activities") == []
    assert len(pipedrive_env.requests_to("GET", "/v1/activityTypes")) == 2  # stored, then refreshed once
    assert account_data.fetches == 2


async def test_get_call_log_reads_the_note_and_the_disposition(
    pipedrive_connector: PipedriveConnector, pipedrive_env: FakePipedrive, account_data: StoredAccountData
) -> None:
    seeded = _seed_ann(pipedrive_env)
    created = await _create_call(
        pipedrive_connector,
        pipedrive_env,
        seeded["person"],
        account_data,
        additional_submission={"deals": seeded["deal"]["id"]},
    )
    user, auth = pipedrive_user(pipedrive_env)
    read = await pipedrive_connector.get_call_log(
        GetCallLogInput(
            user=user,
            auth_header=auth,
            telephony_session_id="tel-s1",
            call_log_id=str(created.log_id),
            contact_id=None,
        )
    )
    info = read.call_log_info
    assert info is not None
    assert (info.subject, info.note, info.full_body) == (
        "Inbound Call from Ann Example",
        "Wants a quote",
        BODY,
    )
    assert info.dispositions == {"deals": seeded["deal"]["id"], "leads": None}
    assert info.full_log_response["id"] == created.log_id


async def test_update_call_log_writes_the_composed_note_subject_and_duration(
    pipedrive_connector: PipedriveConnector, pipedrive_env: FakePipedrive, account_data: StoredAccountData
) -> None:
    seeded = _seed_ann(pipedrive_env)
    created = await _create_call(pipedrive_connector, pipedrive_env, seeded["person"], account_data)
    user, auth = pipedrive_user(pipedrive_env)
    new_body = BODY.replace("2 minutes", "10 minutes")
    result = await pipedrive_connector.update_call_log(
        UpdateCallLogInput(
            user=user,
            existing_call_log=_link(created.log_id),
            auth_header=auth,
            composed_log_details=new_body,
            existing_call_log_info=None,
            subject="Quote call",
            duration=600,
        )
    )
    stored = pipedrive_env.state.activity(created.log_id)
    assert (stored["note"], stored["subject"], stored["duration"]) == (new_body, "Quote call", "00:11")
    assert pipedrive_env.requests_to("PATCH", "/api/v2/activities/*")[0].json == {
        "note": new_body,
        "subject": "Quote call",
        "duration": "00:11",
    }
    assert result.updated_note == new_body


async def test_an_update_writes_the_note_the_server_composed_from_the_edited_one(
    pipedrive_connector: PipedriveConnector, pipedrive_env: FakePipedrive, account_data: StoredAccountData
) -> None:
    """The server reads the note (`get_call_log`), upserts the update's items into it once, and the
    connector writes that body as it is: text the agent typed in Pipedrive survives.

    (This replaces "without a composed body the connector edits the note item by item": the
    connector no longer recomposes; an empty `composed_log_details` means "no new note".)
    """
    seeded = _seed_ann(pipedrive_env)
    created = await _create_call(pipedrive_connector, pipedrive_env, seeded["person"], account_data)
    edited = BODY + "Customer prefers email<br>"
    pipedrive_env.state.edit_activity_note(created.log_id, edited)
    user, auth = pipedrive_user(pipedrive_env)
    link = _link(created.log_id)
    recording = "https://media.example.com/rec/1"
    pipedrive_env.clear_requests()
    read = await pipedrive_connector.get_call_log(
        GetCallLogInput(
            user=user,
            auth_header=auth,
            call_log_id=str(created.log_id),
            telephony_session_id=link.id,
            contact_id=link.contact_id,
        )
    )
    request = UpdateCallLogRequest.model_validate({"sessionId": "s1", "recordingLink": recording})
    log_format = pipedrive_connector.get_log_format_type(user)
    composed = compose_update(
        request, link, read.call_log_info, user, log_format
    )  # the server's one composition
    await pipedrive_connector.update_call_log(
        UpdateCallLogInput(
            user=user,
            existing_call_log=link,
            auth_header=auth,
            composed_log_details=composed,
            existing_call_log_info=read.call_log_info,
            recording_link=recording,
        )
    )
    note = pipedrive_env.state.activity(created.log_id)["note"]
    assert "Customer prefers email<br>" in note and "Wants a quote" in note
    assert "https://media.example.com/rec/1" in note
    assert note == composed
    assert _paths(pipedrive_env) == [
        ("GET", f"/api/v2/activities/{created.log_id}"),
        ("PATCH", f"/api/v2/activities/{created.log_id}"),
    ]

    # No composed body: the connector does not recompose (nor read the activity) itself, even with
    # a new item such as a recording link; the note is not sent at all.
    pipedrive_env.clear_requests()
    await pipedrive_connector.update_call_log(
        UpdateCallLogInput(
            user=user,
            existing_call_log=link,
            auth_header=auth,
            composed_log_details="",
            existing_call_log_info=None,
            recording_link="https://media.example.com/rec/2",
        )
    )
    assert pipedrive_env.requests == []
    assert pipedrive_env.state.activity(created.log_id)["note"] == note

    # Nothing to change: the note is not sent at all (an update never blanks it).
    activity = pipedrive_env.state.activity(created.log_id)
    await pipedrive_connector.update_call_log(
        UpdateCallLogInput(
            user=user,
            existing_call_log=link,
            auth_header=auth,
            composed_log_details="",
            existing_call_log_info=CallLogInfo(full_body=activity["note"], full_log_response=activity),
        )
    )
    assert pipedrive_env.requests == []
    assert pipedrive_env.state.activity(created.log_id)["note"] == note


async def test_dispositions_move_the_activity_between_a_deal_and_a_lead(
    pipedrive_connector: PipedriveConnector, pipedrive_env: FakePipedrive, account_data: StoredAccountData
) -> None:
    seeded = _seed_ann(pipedrive_env)
    created = await _create_call(pipedrive_connector, pipedrive_env, seeded["person"], account_data)
    user, auth = pipedrive_user(pipedrive_env)
    link = _link(created.log_id)

    def change(dispositions: Mapping[str, Any]) -> UpsertCallDispositionInput:
        return UpsertCallDispositionInput(
            user=user, existing_call_log=link, auth_header=auth, dispositions=FormValues(dispositions)
        )

    to_deal = await pipedrive_connector.upsert_call_disposition(change({"deals": str(seeded["deal"]["id"])}))
    stored = pipedrive_env.state.activity(created.log_id)
    assert (stored["deal_id"], stored["lead_id"]) == (seeded["deal"]["id"], None)
    assert to_deal.log_id == str(created.log_id)
    await pipedrive_connector.upsert_call_disposition(change({"leads": seeded["lead"]["id"]}))
    stored = pipedrive_env.state.activity(created.log_id)
    assert (stored["deal_id"], stored["lead_id"]) == (None, seeded["lead"]["id"])
    nothing = await pipedrive_connector.upsert_call_disposition(change({}))
    assert nothing.log_id is None
    assert len(pipedrive_env.requests_to("PATCH", "/api/v2/activities/*")) == 2


async def test_a_server_error_on_create_propagates(
    pipedrive_connector: PipedriveConnector, pipedrive_env: FakePipedrive, account_data: StoredAccountData
) -> None:
    seeded = _seed_ann(pipedrive_env)
    pipedrive_env.faults.add(500, method="POST", path="/api/v2/activities")
    with pytest.raises(CrmUnavailable):
        await _create_call(pipedrive_connector, pipedrive_env, seeded["person"], account_data)
    assert pipedrive_env.state.activities == {}


# -- message logs -----------------------------------------------------------------------------
def _sms(message_id: int, subject: str, created: str, direction: str = "Inbound") -> dict[str, Any]:
    return {
        "id": message_id,
        "type": "SMS",
        "direction": direction,
        "subject": subject,
        "creationTime": created,
        "from": {"phoneNumber": ANN_NUMBER},
        "to": [{"phoneNumber": "+16505550199"}],
    }


async def _create_message_log(
    connector: PipedriveConnector,
    user: User,
    auth: str,
    contact: ContactInfo,
    account_data: AccountData,
    *,
    message: Mapping[str, Any] | None = None,
    messages: tuple[Mapping[str, Any], ...] = (),
    shared: MessageLogContent | None = None,
    media: MessageMedia | None = None,
    additional_submission: Mapping[str, Any] | None = None,
) -> CreateMessageLogResult:
    return await connector.create_message_log(
        CreateMessageLogInput(
            user=user,
            contact_info=contact,
            auth_header=auth,
            account_data=account_data,
            message=MessageRecord.of(message) if message is not None else None,
            messages=tuple(MessageRecord.of(item) for item in messages),
            shared_sms_log_content=shared,
            media=media or MessageMedia(),
            additional_submission=_submission(additional_submission),
            correspondents=(),
        )
    )


async def test_a_create_after_the_lookup_takes_the_organization_from_it_without_reading_the_person(
    pipedrive_connector: PipedriveConnector, pipedrive_env: FakePipedrive, account_data: StoredAccountData
) -> None:
    seeded = _seed_ann(pipedrive_env)
    user, auth = pipedrive_user(pipedrive_env)
    await _find_contact(pipedrive_connector, user, auth, ANN_NUMBER)
    pipedrive_env.clear_requests()
    result = await _create_call(pipedrive_connector, pipedrive_env, seeded["person"], account_data)
    assert pipedrive_env.state.activity(result.log_id)["org_id"] == seeded["org"]["id"]
    assert ("GET", f"/api/v2/persons/{seeded['person']['id']}") not in _paths(pipedrive_env)
    assert _paths(pipedrive_env)[-1] == ("POST", "/api/v2/activities")


async def test_a_person_the_lookup_saw_without_organization_gets_none_and_is_not_read(
    pipedrive_connector: PipedriveConnector, pipedrive_env: FakePipedrive, account_data: StoredAccountData
) -> None:
    loner = pipedrive_env.state.add_person("Lone Caller", "+1 (415) 555-0100")
    user, auth = pipedrive_user(pipedrive_env)
    await _find_contact(pipedrive_connector, user, auth, ANN_NUMBER)
    pipedrive_env.clear_requests()
    result = await _create_call(pipedrive_connector, pipedrive_env, loner, account_data)
    assert pipedrive_env.state.activity(result.log_id).get("org_id") is None
    assert ("GET", f"/api/v2/persons/{loner['id']}") not in _paths(pipedrive_env)


async def test_a_create_without_a_lookup_by_this_user_reads_the_person(
    pipedrive_connector: PipedriveConnector, pipedrive_env: FakePipedrive, account_data: StoredAccountData
) -> None:
    seeded = _seed_ann(pipedrive_env)
    user, auth = pipedrive_user(pipedrive_env)
    other = replace(user, id="999-pipedrive")
    await _find_contact(pipedrive_connector, other, auth, ANN_NUMBER)
    pipedrive_env.clear_requests()
    result = await _create_call(
        pipedrive_connector, pipedrive_env, seeded["person"], account_data
    )  # another user
    assert pipedrive_env.state.activity(result.log_id)["org_id"] == seeded["org"]["id"]
    assert ("GET", f"/api/v2/persons/{seeded['person']['id']}") in _paths(pipedrive_env)


def test_the_organization_memo_forgets_after_its_time_to_live() -> None:
    now = [1000.0]
    memo = OrganizationMemo(ttl_seconds=60, clock=lambda: now[0])
    memo.remember_search_item("u", {"id": 5, "organization": {"id": 77}})
    memo.remember_search_item("u", {"id": 6, "organization": None})
    memo.remember_search_item("u", {"id": 8})  # the search did not say: unknown
    assert (memo.get("u", 5), memo.get("u", "6"), memo.get("u", 8), memo.get("v", 5)) == (
        77,
        None,
        MISSING,
        MISSING,
    )
    now[0] += 61
    assert memo.get("u", 5) is MISSING


async def test_an_sms_creates_an_activity_and_later_messages_are_appended(
    pipedrive_connector: PipedriveConnector, pipedrive_env: FakePipedrive, account_data: StoredAccountData
) -> None:
    seeded = _seed_ann(pipedrive_env)
    user, auth = pipedrive_user(pipedrive_env)
    contact = _contact(seeded["person"])
    pipedrive_env.state.latency.update(
        {"/api/v2/persons/": SLOW, "/v1/activityTypes": SLOW, "/v1/users/me": SLOW}
    )
    created = await _create_message_log(
        pipedrive_connector,
        user,
        auth,
        contact,
        account_data,
        message=_sms(1, "Can you send the options?", "2026-07-14T03:00:00.000Z"),
        additional_submission={"deals": seeded["deal"]["id"]},
    )
    assert pipedrive_env.state.max_in_flight == 3
    activity = pipedrive_env.state.activity(created.log_id)
    assert activity["subject"] == "SMS conversation with Ann Example - 26/07/14"
    assert (activity["type"], activity["due_date"], activity["due_time"]) == ("sms", "2026-07-14", "03:00")
    assert activity["deal_id"] == seeded["deal"]["id"]
    assert "Conversation(1 messages)" in activity["note"]
    assert f"Ann Example ({ANN_NUMBER}) 03:00 AM<br><b>Can you send the options?</b>" in activity["note"]
    assert created.return_message is not None and created.return_message.message == "Message logged"

    pipedrive_env.state.latency.clear()
    pipedrive_env.state.max_in_flight = 0
    pipedrive_env.state.latency.update({"/v1/users/me": SLOW, "/api/v2/activities/": SLOW})
    link = MessageLogLink(
        id="conv-2026-07-14",
        platform="pipedrive",
        conversation_id="conv",
        conversation_log_id="conv-2026-07-14",
        third_party_log_id=str(created.log_id),
        user_id=user.id,
    )
    await pipedrive_connector.update_message_log(
        UpdateMessageLogInput(
            user=user,
            contact_info=contact,
            existing_message_log=link,
            auth_header=auth,
            message=MessageRecord.of(
                _sms(2, "Here they are <b>", "2026-07-14T03:05:00.000Z", direction="Outbound")
            ),
            additional_submission=_submission({"deals": seeded["deal"]["id"]}),
        )
    )
    note = pipedrive_env.state.activity(created.log_id)["note"]
    assert pipedrive_env.state.max_in_flight == 2  # the agent's name and the note at once
    assert "Conversation(2 messages)" in note
    assert note.index("Can you send the options?") < note.index(
        "Jordan Lee 03:05 AM<br><b>Here they are &lt;b&gt;</b>"
    )
    assert note.endswith("--- Created via RingCentral App Connect")


async def test_an_earlier_message_log_create_and_add_are_found_by_what_they_wrote(
    pipedrive_connector: PipedriveConnector, pipedrive_env: FakePipedrive, account_data: StoredAccountData
) -> None:
    seeded = _seed_ann(pipedrive_env)
    user, auth = pipedrive_user(pipedrive_env)
    contact = _contact(seeded["person"])
    first = _sms(1, "Can you send the options?", "2026-07-14T03:00:00.000Z")
    created = await _create_message_log(pipedrive_connector, user, auth, contact, account_data, message=first)
    other_day = _sms(7, "Another conversation", "2026-07-14T04:10:00.000Z")
    await _create_message_log(pipedrive_connector, user, auth, contact, account_data, message=other_day)

    def create_of(message: Mapping[str, Any]) -> FindCreatedMessageLogInput:
        return FindCreatedMessageLogInput(
            user=user,
            auth_header=auth,
            create=CreateMessageLogInput(
                user=user,
                auth_header=auth,
                contact_info=contact,
                account_data=account_data,
                message=MessageRecord.of(message),
            ),
        )

    found = await pipedrive_connector.find_created_message_log(create_of(first))
    assert found.log_id == created.log_id
    never_sent = _sms(8, "Never sent", "2026-07-14T03:00:00.000Z")  # same subject and time, other note
    assert (await pipedrive_connector.find_created_message_log(create_of(never_sent))).log_id is None
    assert not any(method != "GET" for method, _ in _paths(pipedrive_env)[-4:])  # lookups only read

    link = MessageLogLink(
        id="conv-2026-07-14",
        platform="pipedrive",
        conversation_id="conv",
        conversation_log_id="conv-2026-07-14",
        third_party_log_id=str(created.log_id),
        user_id=user.id,
    )

    def add_of(message: Mapping[str, Any]) -> FindMessageLogUpdateInput:
        return FindMessageLogUpdateInput(
            user=user,
            auth_header=auth,
            update=UpdateMessageLogInput(
                user=user,
                auth_header=auth,
                contact_info=contact,
                existing_message_log=link,
                message=MessageRecord.of(message),
            ),
        )

    reply = _sms(2, "Here they are", "2026-07-14T03:05:00.000Z", direction="Outbound")
    assert await pipedrive_connector.find_message_log_update(add_of(reply)) is False
    await pipedrive_connector.update_message_log(add_of(reply).update)
    assert await pipedrive_connector.find_message_log_update(add_of(reply)) is True
    assert await pipedrive_connector.find_message_log_update(add_of(other_day)) is False


async def test_voicemail_fax_and_centrally_composed_logs(
    pipedrive_connector: PipedriveConnector, pipedrive_env: FakePipedrive, account_data: StoredAccountData
) -> None:
    seeded = _seed_ann(pipedrive_env)
    user, auth = pipedrive_user(pipedrive_env)
    contact = _contact(seeded["person"])
    message = {**_sms(3, "", "2026-07-14T03:00:00.000Z"), "type": "Fax"}
    fax = await _create_message_log(
        pipedrive_connector,
        user,
        auth,
        contact,
        account_data,
        message=message,
        media=MessageMedia(fax_doc_link="https://fax.example.com/d/3"),
    )
    voicemail = await _create_message_log(
        pipedrive_connector,
        user,
        auth,
        contact,
        account_data,
        message={**message, "type": "VoiceMail"},
        media=MessageMedia(recording_link="https://media.example.com/vm/3"),
    )
    shared = await _create_message_log(
        pipedrive_connector,
        user,
        auth,
        contact,
        account_data,
        shared=MessageLogContent(subject="Shared SMS with Ann", body="<p>whole thread</p>"),
        messages=(message,),
        additional_submission={"leads": seeded["lead"]["id"]},
    )
    fax_activity = pipedrive_env.state.activity(fax.log_id)
    assert fax_activity["subject"] == "Fax document sent from Ann Example - 26/07/14"
    assert "Fax document link: https://fax.example.com/d/3" in fax_activity["note"]
    assert (
        "Voicemail recording link: https://media.example.com/vm/3"
        in pipedrive_env.state.activity(voicemail.log_id)["note"]
    )
    shared_activity = pipedrive_env.state.activity(shared.log_id)
    assert (shared_activity["subject"], shared_activity["note"]) == (
        "Shared SMS with Ann",
        "<p>whole thread</p>",
    )
    assert shared_activity["lead_id"] == seeded["lead"]["id"]
    assert pipedrive_env.requests_to("GET", "/v1/users/me") == []  # nobody's name was needed


# -- activity types refused on write ----------------------------------------------------------
async def _log_with_type(
    kind: str,
    connector: PipedriveConnector,
    pipedrive: FakePipedrive,
    person: dict[str, Any],
    account_data: AccountData,
) -> CreateCallLogResult | CreateMessageLogResult:
    """A call log (`kind` "call") or an SMS log (`kind` "sms") for `person`."""
    if kind == "call":
        return await _create_call(connector, pipedrive, person, account_data)
    user, auth = pipedrive_user(pipedrive)
    return await _create_message_log(
        connector,
        user,
        auth,
        _contact(person),
        account_data,
        message=_sms(1, "Can you send the options?", "2026-07-14T03:00:00.000Z"),
    )


def _take_rejections(pipedrive: FakePipedrive) -> list[str]:
    """The requests the fake refused so far, forgotten (the fixture fails the test on any left)."""
    with pipedrive.state.lock:
        rejections = list(pipedrive.state.rejections)
        pipedrive.state.rejections.clear()
    return rejections


@pytest.mark.parametrize(
    ("kind", "replacement"), [("call", ("Phone call", "phone_call")), ("sms", ("Text SMS", "text_sms"))]
)
async def test_a_type_deactivated_after_the_list_was_stored_is_refreshed_and_retried_once(
    pipedrive_connector: PipedriveConnector,
    pipedrive_env: FakePipedrive,
    account_data: StoredAccountData,
    kind: str,
    replacement: tuple[str, str],
) -> None:
    seeded = _seed_ann(pipedrive_env)
    await account_data.get(ACTIVITY_TYPES)  # the account's stored list still has the type
    assert account_data.fetches == 1
    _deactivate(pipedrive_env, kind)
    pipedrive_env.state.add_activity_type(*replacement)
    pipedrive_env.clear_requests()

    result = await _log_with_type(kind, pipedrive_connector, pipedrive_env, seeded["person"], account_data)

    rejections = _take_rejections(pipedrive_env)
    assert len(rejections) == 1
    assert rejections[0].startswith("POST /api/v2/activities: ") and repr(kind) in rejections[0]
    posts = pipedrive_env.requests_to("POST", "/api/v2/activities")
    assert [(request.json or {}).get("type") for request in posts] == [kind, replacement[1]]
    assert result.log_id is not None
    assert [activity["type"] for activity in pipedrive_env.state.activities.values()] == [replacement[1]]
    assert pipedrive_env.state.activity(result.log_id)["type"] == replacement[1]
    assert account_data.fetches == 2  # refreshed once
    assert len(pipedrive_env.requests_to("GET", "/v1/activityTypes")) == 1


@pytest.mark.parametrize(("kind", "message"), [("call", NO_CALL_TYPE), ("sms", NO_SMS_TYPE)])
async def test_a_refused_type_with_no_usable_type_left_logs_nothing(
    pipedrive_connector: PipedriveConnector,
    pipedrive_env: FakePipedrive,
    account_data: StoredAccountData,
    kind: str,
    message: str,
) -> None:
    seeded = _seed_ann(pipedrive_env)
    await account_data.get(ACTIVITY_TYPES)  # the account's stored list still has the type
    _deactivate(pipedrive_env, kind)
    pipedrive_env.clear_requests()

    result = await _log_with_type(kind, pipedrive_connector, pipedrive_env, seeded["person"], account_data)

    assert result.log_id is None
    assert result.return_message is not None
    assert result.return_message.to_wire() == {"message": message, "messageType": "error", "ttl": 2000}
    rejections = _take_rejections(pipedrive_env)
    assert len(rejections) == 1 and rejections[0].startswith("POST /api/v2/activities: ")
    # Only the refused POST: no retry is posted once the refreshed list has no usable type.
    assert len(pipedrive_env.requests_to("POST", "/api/v2/activities")) == 1
    assert pipedrive_env.state.activities == {}
    assert account_data.fetches == 2  # refreshed once
    assert len(pipedrive_env.requests_to("GET", "/v1/activityTypes")) == 1


@pytest.mark.parametrize(("kind", "message"), [("call", NO_CALL_TYPE), ("sms", NO_SMS_TYPE)])
async def test_with_no_usable_type_in_a_fresh_list_nothing_is_posted(
    pipedrive_connector: PipedriveConnector,
    pipedrive_env: FakePipedrive,
    account_data: StoredAccountData,
    kind: str,
    message: str,
) -> None:
    seeded = _seed_ann(pipedrive_env)
    _deactivate(pipedrive_env, kind)

    result = await _log_with_type(kind, pipedrive_connector, pipedrive_env, seeded["person"], account_data)

    assert result.log_id is None
    assert result.return_message is not None
    assert result.return_message.to_wire() == {"message": message, "messageType": "error", "ttl": 2000}
    assert pipedrive_env.requests_to("POST", "/api/v2/activities") == []
    assert pipedrive_env.state.activities == {}
    assert account_data.fetches == 2  # the first read, then one refresh looking for a new type


# -- users and logout -------------------------------------------------------------------------
async def test_get_user_info_and_the_temporary_hostname(
    pipedrive_connector: PipedriveConnector, pipedrive_env: FakePipedrive
) -> None:
    _, auth = pipedrive_user(pipedrive_env)

    def login(auth_header: str, hostname: str) -> GetUserInfoInput:
        return GetUserInfoInput(auth_header=auth_header, platform="pipedrive", hostname=hostname)

    known = await pipedrive_connector.get_user_info(login(auth, pipedrive_env.hostname))
    temp = await pipedrive_connector.get_user_info(login(auth, "temp"))
    assert known.successful and known.platform_user_info is not None
    info = known.platform_user_info
    assert (info.id, info.name, info.timezone_offset, info.overriding_hostname) == (
        f"{PIPEDRIVE_USER_ID}-pipedrive",
        "Jordan Lee",
        "+00:00",
        None,
    )
    assert info.platform_additional_info == {
        "companyId": 5001,
        "companyName": "Acme Fakes",
        "companyDomain": "acmefakes",
    }
    assert temp.platform_user_info is not None
    assert temp.platform_user_info.overriding_hostname == "acmefakes.pipedrive.com"
    refused = await pipedrive_connector.get_user_info(login("Bearer nope", "temp"))
    assert refused.successful is False
    assert (
        refused.return_message is not None
        and refused.return_message.message == "Could not load user information"
    )


async def test_get_user_list_leaves_deleted_users_out(
    pipedrive_connector: PipedriveConnector, pipedrive_env: FakePipedrive
) -> None:
    pipedrive_env.state.add_user("Casey Pipeline", user_id=77882)
    pipedrive_env.state.add_user("Gone User", user_id=77883, is_deleted=True)
    user, auth = pipedrive_user(pipedrive_env)
    users = await pipedrive_connector.get_user_list(CrmInput(user=user, auth_header=auth))
    assert [(member.id, member.name) for member in users] == [
        (1234, "Jordan Lee"),
        (77882, "Casey Pipeline"),
    ]
    assert _paths(pipedrive_env) == [("GET", "/api/v1/users")]


async def test_logout_revokes_both_tokens(
    pipedrive_connector: PipedriveConnector, pipedrive_env: FakePipedrive
) -> None:
    user, auth = pipedrive_user(pipedrive_env)
    result = await pipedrive_connector.unauthorize(UnauthorizeInput(user=user))
    assert result.return_message is not None and result.return_message.message == "Logged out of Pipedrive"
    assert pipedrive_env.state.is_revoked(str(user.refresh_token))
    assert pipedrive_env.state.is_revoked(str(user.access_token))
    revocations = pipedrive_env.requests_to("POST", "/oauth/revoke")
    assert sorted(request.text for request in revocations) == sorted(
        [f"token={user.refresh_token}", f"token={user.access_token}"]
    )
    with pytest.raises(CrmAuthExpired):
        await _find_by_name(pipedrive_connector, user, auth, "Ann")
