"""Clio end to end: the server and fake Clio both on real sockets, TLS to the fake.

The extension's requests go to the running server; the server's Clio connector talks to fake Clio
over HTTPS (trusting the fake's CA through `SSL_CERT_FILE`), found only through the `CLIO_*`
settings, while users log in with Clio's real region hostnames. Every test asserts what fake Clio
stores, and the fixture fails a test in which the connector sent a request Clio would refuse.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from appconnect.config import Settings
from appconnect.domain import User
from appconnect.store import Store
from tests.fakes.clio import FAKE_REDIRECT_URI, REGION_CLIENTS, FakeClio
from tests.fakes.clio.fixtures import CLIO_USER_ID, clio_env_fixture, fake_clio_fixture  # noqa: F401

ANN = "+14155550100"
USER_ID = f"{CLIO_USER_ID}-clio"
FORMATS = "(***) ***-****,***-***-****"


@dataclass
class Session:
    client: httpx.AsyncClient
    auth: dict[str, str]
    clio: FakeClio
    settings: Settings
    seeded: dict[str, Any]

    async def stored_user(self) -> User | None:
        store = Store.open(self.settings.database_url, str(self.settings.app_server_secret_key))
        try:
            return await store.users.get(USER_ID)
        finally:
            await store.close()


async def oauth_login(client: httpx.AsyncClient, clio: FakeClio, *, region: str = "us") -> dict[str, str]:
    """Clio redirected to the callback page with a code for the region's app; the extension hands
    that URL and the region's hostname to `GET /oauth-callback`."""
    code = clio.state.authorize(CLIO_USER_ID, region)
    hostname = "app.clio.com" if region == "us" else f"{region}.app.clio.com"
    answer = await client.get(
        "/oauth-callback",
        params={
            "callbackUri": f"{FAKE_REDIRECT_URI}?code={code}&state=platform%3Dclio",
            "hostname": hostname,
        },
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["name"] == "Jordan Lee"
    assert body["returnMessage"] == {"message": "Connected to Clio.", "messageType": "success", "ttl": 1000}
    return {"Authorization": f"Bearer {body['jwtToken']}"}


def seed(clio: FakeClio) -> dict[str, Any]:
    state = clio.state
    ann = state.add_contact("Ann Example", "(415) 555-0100", email="ann@example.test")
    firm = state.add_contact("Example LLP", "+14155550100", kind="Company")
    open_matter = state.add_matter("00001-Example", "Lease dispute", client_id=ann["id"])
    closed = state.add_matter("00002-Example", "Old claim", client_id=ann["id"], status="Closed")
    related = state.add_matter("00003-Other", "Estate", client_id=firm["id"])
    state.relate(ann["id"], related["id"])
    return {"ann": ann, "firm": firm, "open": open_matter, "closed": closed, "related": related}


@pytest.fixture
async def session(live_server: Any, settings: Settings, clio_env: FakeClio) -> AsyncIterator[Session]:
    seeded = seed(clio_env)
    server = live_server(ssl_cert_file=clio_env.ca_pem_path)
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        auth = await oauth_login(client, clio_env)
        clio_env.clear_requests()
        yield Session(client=client, auth=auth, clio=clio_env, settings=settings, seeded=seeded)


def _matter(matter: dict[str, Any]) -> dict[str, Any]:
    return {
        "const": matter["id"],
        "title": matter["display_number"],
        "description": f"{matter['status']} - {matter['description']}",
        "status": matter["status"],
    }


# -- login, regions, contacts -------------------------------------------------------------------
async def test_login_saves_the_user_with_the_us_regions_tokens(session: Session) -> None:
    user = await session.stored_user()
    assert user is not None
    assert (user.platform, user.hostname, user.timezone_name) == ("clio", "app.clio.com", "America/New_York")
    assert user.timezone_offset in ("-05:00", "-04:00")
    assert session.clio.state.region_of(str(user.access_token)) == "us"
    assert session.clio.state.token_requests == [{"grant_type": "authorization_code", "region": "us"}]


@pytest.mark.parametrize("region", ["us", "eu", "ca", "au"])
async def test_each_region_logs_in_with_its_own_app_and_looks_up(
    live_server: Any, clio_env: FakeClio, region: str
) -> None:
    seeded = seed(clio_env)
    server = live_server(ssl_cert_file=clio_env.ca_pem_path)
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        auth = await oauth_login(client, clio_env, region=region)
        assert clio_env.state.token_requests == [{"grant_type": "authorization_code", "region": region}]
        [exchange] = clio_env.requests_to("POST", "/oauth/token")
        assert (
            REGION_CLIENTS[region][0] in exchange.text or "basic" in exchange.headers["authorization"].lower()
        )
        answer = await client.get(
            "/contact", params={"phoneNumber": ANN, "overridingFormat": FORMATS}, headers=auth
        )
    body = answer.json()
    assert body["successful"] is True
    assert [contact["id"] for contact in body["contact"][:2]] == [seeded["firm"]["id"], seeded["ann"]["id"]]
    token = clio_env.requests_to("GET", "/api/v4/contacts.json")[0].headers["authorization"].split(" ")[1]
    assert clio_env.state.region_of(token) == region


async def test_lookup_searches_every_spelling_and_offers_open_matters(session: Session) -> None:
    answer = await session.client.get(
        "/contact", params={"phoneNumber": ANN, "overridingFormat": FORMATS}, headers=session.auth
    )
    body = answer.json()
    assert body["successful"] is True
    firm, ann, create_new = body["contact"]
    assert [q.query["query"] for q in session.clio.requests_to("GET", "/api/v4/contacts.json")] == [
        ANN,
        "(415) 555-0100",
        "415-555-0100",
    ]
    assert (firm["name"], firm["type"], ann["name"], ann["type"]) == (
        "Example LLP",
        "Company",
        "Ann Example",
        "Person",
    )
    assert ann["phone"] == ANN
    assert ann["additionalInfo"]["matters"] == [
        _matter(session.seeded["open"]),
        _matter(session.seeded["related"]),
    ]
    assert ann["additionalInfo"]["logTimeEntry"] is True
    assert [option["const"] for option in ann["additionalInfo"]["billableStatus"]] == [
        "billable",
        "non-billable",
    ]
    assert firm["additionalInfo"]["matters"] == [_matter(session.seeded["related"])]
    assert create_new["isNewContact"] is True and create_new["additionalInfo"] == {"logTimeEntry": True}


async def test_closed_matters_are_offered_when_the_user_asks(session: Session) -> None:
    saved = await session.client.post(
        "/user/settings",
        headers=session.auth,
        json={"userSettings": {"clioSeeClosedMatters": {"value": True}}},
    )
    assert saved.status_code == 200, saved.text
    answer = await session.client.get(
        "/contact",
        params={
            "phoneNumber": ANN,
            "overridingFormat": "(***) ***-****",
            "isForceRefreshAccountData": "true",
        },
        headers=session.auth,
    )
    ann = next(c for c in answer.json()["contact"] if c["name"] == "Ann Example")
    assert [m["const"] for m in ann["additionalInfo"]["matters"]] == [
        session.seeded["open"]["id"],
        session.seeded["closed"]["id"],
        session.seeded["related"]["id"],
    ]


async def test_relationship_pages_are_all_read(session: Session) -> None:
    state = session.clio.state
    for index in range(3):
        extra = state.add_matter(
            f"0001{index}-More", f"Related {index}", client_id=session.seeded["firm"]["id"]
        )
        state.relate(session.seeded["ann"]["id"], extra["id"])
    state.page_size = 2
    answer = await session.client.get(
        "/contact", params={"phoneNumber": ANN, "overridingFormat": "(***) ***-****"}, headers=session.auth
    )
    ann = next(c for c in answer.json()["contact"] if c["name"] == "Ann Example")
    assert len(ann["additionalInfo"]["matters"]) == 1 + 4  # one as client, four related
    assert len(session.clio.requests_to("GET", "/api/v4/relationships.json")) >= 3


async def test_name_search_puts_contacts_with_an_email_first(session: Session) -> None:
    session.clio.state.add_contact("Example Person", "+1 650 555 0101")
    answer = await session.client.get(
        "/custom/contact/search", params={"name": "Example"}, headers=session.auth
    )
    names = [contact["name"] for contact in answer.json()["contact"]]
    assert names[0] == "Ann Example" and set(names) == {"Ann Example", "Example LLP", "Example Person"}


async def test_contact_creation_stores_a_person_with_the_number(session: Session) -> None:
    answer = await session.client.post(
        "/contact",
        headers=session.auth,
        json={"phoneNumber": "+14155550177", "newContactName": "Bea New", "newContactType": "Person"},
    )
    body = answer.json()
    assert body["successful"] is True and body["contact"]["name"] == "Bea New"
    person = session.clio.state.contacts[body["contact"]["id"]]
    assert person["type"] == "Person"
    assert [(p["name"], p["number"], p["default_number"]) for p in person["phone_numbers"]] == [
        ("Work", "+14155550177", True)
    ]


# -- call logs ----------------------------------------------------------------------------------
def _call(session_id: str, **overrides: Any) -> dict[str, Any]:
    record = {
        "sessionId": session_id,
        "telephonySessionId": f"tel-{session_id}",
        "id": f"rc-{session_id}",
        "direction": "Inbound",
        "startTime": "2026-07-14T10:00:00.000Z",
        "duration": 30,
        "result": "Call connected",
        "from": {"phoneNumber": ANN, "name": "Ann Example"},
        "to": {"phoneNumber": "+16505550199", "extensionNumber": "101", "name": "Jordan Lee"},
    }
    record.update(overrides)
    return record


async def _log_call(session: Session, session_id: str, **body: Any) -> Any:
    answer = await session.client.post(
        "/callLog",
        headers=session.auth,
        json={
            "logInfo": _call(session_id),
            "contactId": session.seeded["ann"]["id"],
            "contactName": "Ann Example",
            "contactType": "Person",
            "note": "Wants a callback",
            **body,
        },
    )
    created = answer.json()
    assert created["successful"] is True, created
    return int(created["logId"])


async def test_the_call_log_lifecycle_keeps_a_line_typed_in_clio(session: Session) -> None:
    state = session.clio.state
    matter = session.seeded["open"]["id"]
    log_id = await _log_call(
        session, "s-1", additionalSubmission={"matters": matter, "billableStatus": "billable"}
    )
    communication = state.communications[log_id]
    assert communication["subject"] == "[Call] Inbound Call from Ann Example [+14155550100]"
    assert communication["type"] == "PhoneCommunication"
    assert communication["senders"] == [{"id": session.seeded["ann"]["id"], "type": "Contact"}]
    assert communication["receivers"] == [{"id": str(CLIO_USER_ID), "type": "User"}]
    assert communication["matter"] == {"id": matter}
    assert communication["received_at"] == "2026-07-14T10:00:00.000Z"
    assert "Wants a callback" in communication["body"]
    [entry] = state.activities.values()
    assert (entry["quantity"], entry["non_billable"], entry["matter"], entry["communication"]) == (
        30,
        False,
        {"id": matter},
        {"id": log_id},
    )

    final = await session.client.patch(
        "/callLog", headers=session.auth, json={"sessionId": "s-1", "duration": 95, "result": "Accepted"}
    )
    assert final.json()["successful"] is True, final.json()
    body = state.communications[log_id]["body"]
    assert "- Duration: 1 minute, 35 seconds" in body and "- Result: Accepted" in body
    assert state.activities[entry["id"]]["quantity"] == 95
    assert state.activities[entry["id"]]["note"] == body

    state.communications[log_id]["body"] = body + "\nClient asked for the lease copy"  # typed in Clio
    recording = await session.client.patch(
        "/callLog",
        headers=session.auth,
        json={"sessionId": "s-1", "recordingLink": "https://media.example.com/rec/1"},
    )
    assert recording.json()["successful"] is True
    body = state.communications[log_id]["body"]
    assert "Client asked for the lease copy" in body
    assert "https://media.example.com/rec/1" in body
    assert "- Duration: 1 minute, 35 seconds" in body

    details = await session.client.get(
        "/callLog", params={"sessionIds": "s-1", "requireDetails": "true"}, headers=session.auth
    )
    log = details.json()["logs"][0]
    assert log["matched"] is True and log["logId"] == str(log_id)
    assert log["logData"]["fullBody"] == body
    assert log["logData"]["note"] == "Wants a callback"
    assert log["logData"]["dispositions"] == {"matters": matter}


async def test_time_entries_follow_the_users_settings(session: Session) -> None:
    await session.client.post(
        "/user/settings",
        headers=session.auth,
        json={"userSettings": {"clioTimeEntriesEnabled": {"value": False}}},
    )
    log_id = await _log_call(session, "s-off")
    assert log_id in session.clio.state.communications
    assert session.clio.state.activities == {}


async def test_a_disposition_moves_the_call_to_a_matter(session: Session) -> None:
    log_id = await _log_call(session, "s-2")
    assert "matter" not in session.clio.state.communications[log_id]
    moved = await session.client.put(
        "/callDisposition",
        headers=session.auth,
        json={"sessionId": "s-2", "dispositions": {"matters": session.seeded["related"]["id"]}},
    )
    assert moved.json()["successful"] is True, moved.json()
    assert session.clio.state.communications[log_id]["matter"] == {"id": session.seeded["related"]["id"]}


# -- messages -----------------------------------------------------------------------------------
def _message(message_id: int, subject: str, created: str, *, direction: str = "Inbound", **extra: Any) -> Any:
    ours = {"phoneNumber": "+16505550199", "name": "Jordan Lee"}
    theirs = {"phoneNumber": ANN, "name": "Ann Example", "location": "San Francisco, CA"}
    return {
        "id": message_id,
        "type": "SMS",
        "direction": direction,
        "subject": subject,
        "creationTime": created,
        "from": theirs if direction == "Inbound" else ours,
        "to": [ours if direction == "Inbound" else theirs],
        "attachments": [],
        **extra,
    }


async def _log_messages(session: Session, messages: list[dict[str, Any]], **log_info: Any) -> Any:
    answer = await session.client.post(
        "/messageLog",
        headers=session.auth,
        json={
            "logInfo": {
                "conversationId": "conv-1",
                "conversationLogId": "conv-1-2026-07-14",
                "correspondents": [{"phoneNumber": ANN, "name": "Ann Example"}],
                "messages": messages,
                **log_info,
            },
            "contactId": session.seeded["ann"]["id"],
            "contactName": "Ann Example",
            "contactType": "Person",
            "additionalSubmission": {"matters": session.seeded["open"]["id"]},
        },
    )
    body = answer.json()
    assert body["successful"] is True, body
    return body


async def test_an_sms_conversation_is_one_communication_per_day(session: Session) -> None:
    state = session.clio.state
    first = _message(9001, "Can you send the lease?", "2026-07-14T15:00:00.000Z")
    await _log_messages(session, [first])
    [communication] = state.communications.values()
    assert communication["subject"].startswith("SMS conversation with Ann Example - 07/14/2026")
    assert communication["matter"] == {"id": session.seeded["open"]["id"]}
    assert "Conversation(1 messages)" in communication["body"]
    assert "Can you send the lease?" in communication["body"]
    reply = _message(9002, "Sent it.", "2026-07-14T15:05:00.000Z", direction="Outbound")
    await _log_messages(session, [reply, first])
    assert len(state.communications) == 1
    body = state.communications[communication["id"]]["body"]
    assert "Conversation(2 messages)" in body
    assert body.index("Can you send the lease?") < body.index("Sent it.") < body.index("------------\nEND")
    assert state.activities == {}  # SMS time tracking is off by default


async def test_a_fax_is_uploaded_to_the_matter_as_a_document(session: Session) -> None:
    state = session.clio.state
    state.add_media("fax-9101.pdf", b"%PDF-1.4 fax")
    fax = _message(
        9101,
        "",
        "2026-07-14T04:00:00.000Z",
        type="Fax",
        messageStatus="Received",
        faxPageCount=2,
        attachments=[
            {
                "id": 1,
                "type": "RenderedDocument",
                "uri": session.clio.media_url("fax-9101.pdf"),
                "link": "https://app.ringcentral.test/fax/9101",
            }
        ],
    )
    await _log_messages(session, [fax], rcAccessToken="rc-media-token")
    [document] = state.documents.values()
    assert document["content"] == b"%PDF-1.4 fax"
    assert document["name"] == "Inbound Fax - Ann Example - 07/14/2026.pdf"
    assert document["parent"] == {"id": session.seeded["open"]["id"], "type": "Matter"}
    assert document["latest_document_version"]["fully_uploaded"] is True
    [communication] = state.communications.values()
    assert communication["subject"] == "Fax document sent from Ann Example - 26/07/14"
    assert (
        f"Fax document link: https://app.clio.com/nc/#/documents/{document['id']}/details"
        in communication["body"]
    )
    assert "Page count: 2" in communication["body"]
    assert "rc-media-token" not in communication["body"]
    [upload] = session.clio.requests_to("PUT", f"/upload/{document['latest_document_version']['uuid']}")
    assert "authorization" not in upload.headers


async def test_a_fax_that_cannot_be_uploaded_is_still_logged_with_its_link(session: Session) -> None:
    session.clio.faults.add(500, method="PUT", path="/upload/*")
    session.clio.state.add_media("fax-9102.pdf", b"%PDF")
    fax = _message(
        9102,
        "",
        "2026-07-14T05:00:00.000Z",
        type="Fax",
        attachments=[
            {
                "type": "RenderedDocument",
                "uri": session.clio.media_url("fax-9102.pdf"),
                "link": "https://app.ringcentral.test/fax/9102",
            }
        ],
    )
    await _log_messages(session, [fax], rcAccessToken="rc-media-token")
    [communication] = session.clio.state.communications.values()
    assert communication["body"].startswith("Fax failed to be uploaded to Clio.\n")
    assert "https://app.ringcentral.test/fax/9102" in communication["body"]


def _mms(session: Session, message_id: int, created: str, media: str) -> Any:
    return _message(
        message_id,
        "See the photo",
        created,
        attachments=[
            {
                "id": 1,
                "type": "MmsAttachment",
                "contentType": "image/png",
                "uri": session.clio.media_url(media),
            }
        ],
    )


async def test_an_mms_image_is_uploaded_as_a_document_and_linked(session: Session) -> None:
    """As the reference's uploadImageToClio: the image becomes a document on the matter, and the
    conversation's body links it; a later MMS of the day (the update path) likewise."""
    state = session.clio.state
    state.add_media("mms-1.png", b"\x89PNG first")
    state.add_media("mms-2.png", b"\x89PNG second")
    await _log_messages(
        session,
        [_mms(session, 9201, "2026-07-14T16:00:00.000Z", "mms-1.png")],
        rcAccessToken="rc-media-token",
    )
    later = _mms(session, 9202, "2026-07-14T16:10:00.000Z", "mms-2.png")
    await _log_messages(session, [later], rcAccessToken="rc-media-token")
    first, second = sorted(state.documents.values(), key=lambda document: int(document["id"]))
    assert (first["content"], second["content"]) == (b"\x89PNG first", b"\x89PNG second")
    assert first["name"] == "Inbound Image Message - Ann Example - 07/14/2026.png"
    assert first["parent"] == {"id": session.seeded["open"]["id"], "type": "Matter"}
    assert all(document["latest_document_version"]["fully_uploaded"] for document in (first, second))
    [communication] = state.communications.values()
    body = communication["body"]
    assert "Conversation(2 messages)" in body
    for document in (first, second):
        assert (
            f"[Message]: See the photo\n[Link]: https://app.clio.com/nc/#/documents/{document['id']}/details"
            in body
        )
    assert "rc-media-token" not in body


async def test_an_mms_image_that_cannot_be_uploaded_is_linked_without_the_token(session: Session) -> None:
    session.clio.faults.add(500, method="PUT", path="/upload/*")
    session.clio.state.add_media("mms-3.png", b"\x89PNG")
    mms = _mms(session, 9203, "2026-07-14T17:00:00.000Z", "mms-3.png")
    await _log_messages(session, [mms], rcAccessToken="rc-media-token")
    [communication] = session.clio.state.communications.values()
    media_reader = "https://ringcentral.github.io/ringcentral-media-reader/?media="
    assert f"[Message]: See the photo\n[Link - failed to upload]: {media_reader}" in communication["body"]
    assert "rc-media-token" not in communication["body"]


# -- failures, refresh, logout ------------------------------------------------------------------
async def test_a_rate_limit_answers_the_contract_message(session: Session) -> None:
    session.clio.rate_limit_next(path="/api/v4/contacts.json", reset_seconds=42)
    before = datetime.now(UTC)
    body = (await session.client.get("/contact", params={"phoneNumber": ANN}, headers=session.auth)).json()
    assert body["successful"] is False
    assert body["returnMessage"]["message"] == "Rate limit exceeded"
    reset_at = datetime.fromisoformat(body["returnMessage"]["rateLimitResetAt"])
    assert before + timedelta(seconds=41) <= reset_at <= datetime.now(UTC) + timedelta(seconds=43)


async def _wait_matched(session: Session, session_id: str) -> None:
    deadline = asyncio.get_running_loop().time() + 20
    while asyncio.get_running_loop().time() < deadline:
        found = await session.client.get("/callLog", params={"sessionIds": session_id}, headers=session.auth)
        if found.json()["logs"][0]["matched"]:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{session_id}: the queued create was never delivered")


async def test_a_clio_failure_is_queued_and_the_log_is_written_once_when_clio_answers(
    session: Session,
) -> None:
    """A 500 on the create is transient: the agent is told it will be written, and it is, once."""
    session.clio.faults.add(500, method="POST", path="/api/v4/communications.json")
    answer = await session.client.post(
        "/callLog",
        headers=session.auth,
        json={"logInfo": _call("s-500"), "contactId": session.seeded["ann"]["id"], "note": "n"},
    )
    body = answer.json()
    assert body["successful"] is False
    assert body["returnMessage"]["messageType"] == "warning"
    assert "written to the CRM automatically" in body["returnMessage"]["message"]
    await _wait_matched(session, "s-500")
    assert len(session.clio.state.communications) == 1  # delivered once, never re-sent


async def test_a_create_of_unknown_outcome_is_found_in_clio_not_sent_again(
    live_server: Any, settings: Settings, clio_env: FakeClio
) -> None:
    """The communication landed in Clio after the server gave up waiting (its timeout): the outbox
    finds it by the contact, start time, subject and body (`FindsCreatedCallLogs`) instead of
    writing a second one, and writes the time entry the timed-out attempt never reached."""
    seeded = seed(clio_env)
    server = live_server(ssl_cert_file=clio_env.ca_pem_path, crm_timeout_seconds=0.5)
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        auth = await oauth_login(client, clio_env)
        session = Session(client=client, auth=auth, clio=clio_env, settings=settings, seeded=seeded)
        # An earlier communication of the same contact at another time is not the call's.
        await _log_call(session, "s-earlier")
        state = clio_env.state
        state.slow_creates, state.slow_create_seconds = 1, 0.9
        answer = await client.post(
            "/callLog",
            headers=auth,
            json={
                "logInfo": _call("s-uncertain", startTime="2026-07-14T11:00:00.000Z"),
                "contactId": seeded["ann"]["id"],
                "note": "Wants a callback",
            },
        )
        assert "written to the CRM automatically" in answer.json()["returnMessage"]["message"], answer.text
        await _wait_matched(session, "s-uncertain")
        calls = [c for c in state.communications.values() if c["received_at"].startswith("2026-07-14T11:00")]
        assert len(calls) == 1, calls  # found again, never sent twice
        assert len(clio_env.requests_to("POST", "/api/v4/communications.json")) == 2  # s-earlier, s-uncertain
        entries = [e for e in state.activities.values() if e["communication"]["id"] == calls[0]["id"]]
        assert len(entries) == 1 and entries[0]["quantity"] == 30, entries
        lookups = clio_env.requests_to("GET", "/api/v4/communications.json")
        assert lookups and all(r.query["contact_id"] == str(seeded["ann"]["id"]) for r in lookups)
        assert state.rejections == []


async def test_an_expired_token_is_refreshed_in_the_users_region(session: Session) -> None:
    session.clio.state.expire_access_tokens()
    answer = await session.client.get("/contact", params={"phoneNumber": ANN}, headers=session.auth)
    assert answer.json()["successful"] is True
    assert session.clio.state.token_requests[-1] == {"grant_type": "refresh_token", "region": "us"}


async def test_logout_deauthorizes_the_token_at_clio(session: Session) -> None:
    user = await session.stored_user()
    assert user is not None
    answer = await session.client.post("/unAuthorize", headers=session.auth)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"message": "Logged out of Clio", "messageType": "success", "ttl": 1000}
    assert session.clio.state.deauthorized == [user.access_token]
    after = await session.stored_user()
    assert after is not None and not after.access_token


async def test_server_side_logging_assigns_the_call_to_the_mapped_clio_user(session: Session) -> None:
    """`isAssignedToUser` with an admin's user mapping: the mapped Clio user is the User party of the
    communication, on create and again on update; the agent's own user is not."""
    paralegal = session.clio.state.add_user("Pat Paralegal", user_id=CLIO_USER_ID + 50)
    hashed_account = "hashed-account-for-mapping"
    store = Store.open(session.settings.database_url, str(session.settings.app_server_secret_key))
    try:
        await store.admin_configs.change_user_mappings(
            hashed_account, lambda _: [{"crmUserId": str(paralegal["id"]), "rcExtensionId": ["555"]}]
        )
    finally:
        await store.close()
    assigned = {"isAssignedToUser": True, "adminAssignedUserRcId": "555"}
    headers = {**session.auth, "rc-account-id": hashed_account}
    created = await session.client.post(
        "/callLog",
        headers=headers,
        json={
            "logInfo": _call("s-assigned"),
            "contactId": session.seeded["ann"]["id"],
            "note": "n",
            "additionalSubmission": assigned,
        },
    )
    assert created.json()["successful"] is True, created.text
    (communication,) = session.clio.state.communications.values()
    assert communication["receivers"] == [{"id": str(paralegal["id"]), "type": "User"}]  # inbound: to them
    communication["receivers"] = [{"id": CLIO_USER_ID, "type": "User"}]  # someone changed it in Clio
    updated = await session.client.patch(
        "/callLog",
        headers=headers,
        json={"sessionId": "s-assigned", "duration": 42, "additionalSubmission": assigned},
    )
    assert updated.json()["successful"] is True, updated.text
    assert communication["receivers"] == [{"id": str(paralegal["id"]), "type": "User"}]
    assert communication["senders"][0]["type"] == "Contact"
