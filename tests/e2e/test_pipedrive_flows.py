"""Pipedrive end to end: the server and fake Pipedrive both on real sockets, TLS to the fake.

The extension's requests go to the running server; the server's Pipedrive connector talks to fake
Pipedrive over HTTPS (trusting the fake's throw-away CA through `SSL_CERT_FILE`), found only through
the `PIPEDRIVE_*` settings. Every test asserts what fake Pipedrive stores, not only the answers, and
the fixture fails a test in which the connector sent a request Pipedrive would have refused.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from appconnect.config import Settings
from appconnect.domain import User
from appconnect.store import Store
from tests.fakes.pipedrive import FAKE_CLIENT_ID, FAKE_CLIENT_SECRET, FAKE_REDIRECT_URI, FakePipedrive
from tests.fakes.pipedrive.fixtures import (  # noqa: F401 - fixtures
    PIPEDRIVE_USER_ID,
    fake_pipedrive_fixture,
    pipedrive_env_fixture,
)

ANN = "+14155550100"
USER_ID = f"{PIPEDRIVE_USER_ID}-pipedrive"


@dataclass
class Session:
    """A logged-in extension: its HTTP client, JWT header, and the Pipedrive data seeded for it."""

    client: httpx.AsyncClient
    auth: dict[str, str]
    pipedrive: FakePipedrive
    settings: Settings
    seeded: dict[str, Any]

    async def stored_user(self) -> User | None:
        store = Store.open(self.settings.database_url, str(self.settings.app_server_secret_key))
        try:
            return await store.users.get(USER_ID)
        finally:
            await store.close()


async def oauth_login(
    client: httpx.AsyncClient, pipedrive: FakePipedrive, *, rc_account_id: str | None = None
) -> dict[str, str]:
    """The extension's login: Pipedrive redirected to our callback page with a code; the extension
    hands that URL to `GET /oauth-callback` (with `rcAccountId`, contact lookups are cached)."""
    code = pipedrive.state.authorize(PIPEDRIVE_USER_ID)
    params = {
        "callbackUri": f"{FAKE_REDIRECT_URI}?code={code}&state=platform%3Dpipedrive",
        "hostname": pipedrive.hostname,
    }
    if rc_account_id is not None:
        params["rcAccountId"] = rc_account_id
    answer = await client.get("/oauth-callback", params=params)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["name"] == "Jordan Lee"
    assert body["returnMessage"] == {
        "message": "Connected to Pipedrive.",
        "messageType": "success",
        "ttl": 1000,
    }
    return {"Authorization": f"Bearer {body['jwtToken']}"}


@pytest.fixture
async def session(
    live_server: Any, settings: Settings, pipedrive_env: FakePipedrive
) -> AsyncIterator[Session]:
    state = pipedrive_env.state
    org = state.add_organization("Example Inc")
    ann = state.add_person("Ann Example", "+1 (415) 555-0100", org_id=org["id"])
    seeded = {
        "org": org,
        "ann": ann,
        "deal": state.add_deal("Renewal", person_id=ann["id"]),
        "lead": state.add_lead("Upsell", person_id=ann["id"]),
    }
    server = live_server(ssl_cert_file=pipedrive_env.ca_pem_path)
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        auth = await oauth_login(client, pipedrive_env)
        pipedrive_env.clear_requests()
        yield Session(client=client, auth=auth, pipedrive=pipedrive_env, settings=settings, seeded=seeded)


# -- login, contacts ----------------------------------------------------------------------------
async def test_oauth_login_saves_the_user_with_pipedrive_tokens(session: Session) -> None:
    user = await session.stored_user()
    assert user is not None
    assert (user.platform, user.hostname, user.timezone_offset) == (
        "pipedrive",
        session.pipedrive.hostname,
        "+00:00",
    )
    assert user.platform_additional_info["companyDomain"] == "acmefakes"
    assert session.pipedrive.state.user_of(str(user.access_token)) == PIPEDRIVE_USER_ID
    assert not session.pipedrive.state.is_revoked(str(user.refresh_token))


async def test_contact_lookup_offers_open_deals_and_leads(session: Session) -> None:
    answer = await session.client.get("/contact", params={"phoneNumber": ANN}, headers=session.auth)
    body = answer.json()
    assert body["successful"] is True
    ann, create_new = body["contact"]
    assert ann["id"] == session.seeded["ann"]["id"] and ann["name"] == "Ann Example"
    assert ann["additionalInfo"] == {
        "deals": [{"const": session.seeded["deal"]["id"], "title": "Renewal"}],
        "leads": [{"const": session.seeded["lead"]["id"], "title": "Upsell"}],
    }
    assert create_new["isNewContact"] is True
    assert [request.query for request in session.pipedrive.requests_to("GET", "/api/v2/persons/search")] == [
        {"term": "4155550100", "fields": "phone"}
    ]


async def test_contacts_carry_the_organization_name_or_an_empty_one(session: Session) -> None:
    """pipedrive.md §3.3: `organization` is the person's organization name, `""` without one, on
    the phone lookup, on a cached phone lookup, and on the name search; `company` stays."""
    session.pipedrive.state.add_person("Ann Loner", "+1 415 555 0199")
    auth = await oauth_login(session.client, session.pipedrive, rc_account_id="rc-account-1")
    session.pipedrive.clear_requests()
    lookups = []
    for _ in range(2):  # the second answer is served from the per-account contact cache
        answer = await session.client.get("/contact", params={"phoneNumber": ANN}, headers=auth)
        lookups.append(answer.json()["contact"])
    assert len(session.pipedrive.requests_to("GET", "/api/v2/persons/search")) == 1
    for contacts in lookups:
        assert [(c.get("organization"), c.get("company")) for c in contacts] == [
            ("Example Inc", "Example Inc"),
            (None, None),  # the "Create new contact..." placeholder is not a person
        ]
    no_org = await session.client.get("/contact", params={"phoneNumber": "+14155550199"}, headers=auth)
    [loner, _] = no_org.json()["contact"]
    assert loner["name"] == "Ann Loner" and loner["organization"] == "" and "company" not in loner

    by_name = await session.client.get("/custom/contact/search", params={"name": "Ann"}, headers=auth)
    assert by_name.status_code == 200, by_name.text
    found = {contact["name"]: contact["organization"] for contact in by_name.json()["contact"]}
    assert found == {"Ann Example": "Example Inc", "Ann Loner": ""}


async def test_contact_creation_stores_the_person(session: Session) -> None:
    answer = await session.client.post(
        "/contact",
        headers=session.auth,
        json={"phoneNumber": "+14155550177", "newContactName": "Bea New", "newContactType": "contact"},
    )
    body = answer.json()
    assert body["successful"] is True and body["contact"]["name"] == "Bea New"
    person = session.pipedrive.state.persons[body["contact"]["id"]]
    assert [phone["value"] for phone in person["phones"]] == ["+14155550177"]


async def test_a_rate_limit_answers_the_contract_message_with_the_reset_time(session: Session) -> None:
    session.pipedrive.rate_limit_next(path="/api/v2/persons/search", reset_seconds=42)
    before = datetime.now(UTC)
    body = (await session.client.get("/contact", params={"phoneNumber": ANN}, headers=session.auth)).json()
    assert body["successful"] is False
    message = body["returnMessage"]
    assert message["message"] == "Rate limit exceeded"
    assert "maximum number of requests allowed by pipedrive" in message["details"][0]["items"][0]["text"]
    reset_at = datetime.fromisoformat(message["rateLimitResetAt"])
    assert before + timedelta(seconds=41) <= reset_at <= datetime.now(UTC) + timedelta(seconds=43)


# -- call logs ----------------------------------------------------------------------------------
def _call(session_id: str, **overrides: Any) -> dict[str, Any]:
    record = {
        "sessionId": session_id,
        "telephonySessionId": f"tel-{session_id}",
        "id": f"rc-{session_id}",
        "direction": "Inbound",
        "startTime": "2026-07-14T10:00:00.000Z",
        "duration": "pending",
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
            "contactType": "contact",
            "note": "Wants a quote",
            **body,
        },
    )
    created = answer.json()
    assert created["successful"] is True, created
    return created["logId"]


async def test_the_call_log_lifecycle_keeps_the_agents_own_edit(session: Session) -> None:
    state = session.pipedrive.state
    log_id = await _log_call(session, "s-1", additionalSubmission={"deals": session.seeded["deal"]["id"]})
    activity = state.activity(log_id)
    assert activity["subject"] == "Inbound Call from Ann Example"
    assert (activity["type"], activity["due_date"], activity["due_time"], activity["done"]) == (
        "call",
        "2026-07-14",
        "10:00",
        True,
    )
    assert activity["deal_id"] == session.seeded["deal"]["id"]
    assert activity["org_id"] == session.seeded["org"]["id"]
    assert activity["note"].startswith("<b>Agent notes</b><br>Wants a quote<br><br><b>Call details</b>")

    final = await session.client.patch(
        "/callLog", headers=session.auth, json={"sessionId": "s-1", "duration": 95, "result": "Accepted"}
    )
    assert final.json()["successful"] is True
    activity = state.activity(log_id)
    assert activity["duration"] == "00:02"
    assert "<b>Duration</b>: 1 minute, 35 seconds" in activity["note"]
    assert "<b>Result</b>: Accepted" in activity["note"]

    # One read of the note and one write: nothing is asked twice.
    assert [(request.method, request.path) for request in session.pipedrive.requests[-2:]] == [
        ("GET", f"/api/v2/activities/{log_id}"),
        ("PATCH", f"/api/v2/activities/{log_id}"),
    ]
    assert len(session.pipedrive.requests) == 5  # person + activity types + create, then read + write

    edited = activity["note"] + "Customer prefers email"
    state.edit_activity_note(log_id, edited)  # the agent types in Pipedrive
    recording = await session.client.patch(
        "/callLog",
        headers=session.auth,
        json={"sessionId": "s-1", "recordingLink": "https://media.example.com/rec/1"},
    )
    assert recording.json()["successful"] is True
    note = state.activity(log_id)["note"]
    assert "Customer prefers email" in note
    assert "https://media.example.com/rec/1" in note
    assert "<b>Duration</b>: 1 minute, 35 seconds" in note

    details = await session.client.get(
        "/callLog", params={"sessionIds": "s-1", "requireDetails": "true"}, headers=session.auth
    )
    log = details.json()["logs"][0]
    assert log["matched"] is True and log["logId"] == str(log_id)
    assert log["logData"]["fullBody"] == note
    assert log["logData"]["note"] == "Wants a quote"
    assert log["logData"]["dispositions"] == {"deals": session.seeded["deal"]["id"], "leads": None}


async def test_dispositions_move_the_call_to_a_deal_then_to_a_lead(session: Session) -> None:
    state = session.pipedrive.state
    log_id = await _log_call(session, "s-2")
    assert state.activity(log_id)["deal_id"] is None
    to_deal = await session.client.put(
        "/callDisposition",
        headers=session.auth,
        json={"sessionId": "s-2", "dispositions": {"deals": session.seeded["deal"]["id"]}},
    )
    assert to_deal.json()["successful"] is True
    assert (state.activity(log_id)["deal_id"], state.activity(log_id)["lead_id"]) == (
        session.seeded["deal"]["id"],
        None,
    )
    to_lead = await session.client.put(
        "/callDisposition",
        headers=session.auth,
        json={"sessionId": "s-2", "dispositions": {"leads": session.seeded["lead"]["id"]}},
    )
    assert to_lead.json()["successful"] is True
    assert (state.activity(log_id)["deal_id"], state.activity(log_id)["lead_id"]) == (
        None,
        session.seeded["lead"]["id"],
    )


# -- redirects ----------------------------------------------------------------------------------
LOGIN_PAGE = {"location": "https://oauth.pipedrive.com/login?return_to=%2Fapi"}


def _failure(body: dict[str, Any]) -> tuple[bool, str, str]:
    """(successful, message, detail text) of a failed answer."""
    message = body["returnMessage"]
    return body["successful"], message["message"], message["details"][0]["items"][0]["text"]


async def test_a_redirected_contact_search_is_an_error_not_a_miss(session: Session) -> None:
    """A 302 is not followed, and not read as "no match" either: the lookup failed."""
    session.pipedrive.faults.add(302, headers=LOGIN_PAGE, method="GET", path="/api/v2/persons/search")
    answer = await session.client.get("/contact", params={"phoneNumber": ANN}, headers=session.auth)
    assert answer.status_code == 200
    assert _failure(answer.json()) == (
        False,
        "Error finding contact",
        "Please check if your account has permission to GET contacts.",
    )
    assert "contact" not in answer.json()
    assert session.pipedrive.requests_to("GET", "/login") == []  # not followed
    again = await session.client.get("/contact", params={"phoneNumber": ANN}, headers=session.auth)
    assert again.json()["contact"][0]["name"] == "Ann Example"


async def test_a_redirected_call_log_create_stores_nothing_and_can_be_retried(session: Session) -> None:
    session.pipedrive.faults.add(302, headers=LOGIN_PAGE, method="POST", path="/api/v2/activities")
    answer = await session.client.post(
        "/callLog",
        headers=session.auth,
        json={"logInfo": _call("s-302"), "contactId": session.seeded["ann"]["id"], "note": "n"},
    )
    assert _failure(answer.json()) == (
        False,
        "Error creating call log",
        "Please check if your account has permission to CREATE logs.",
    )
    assert session.pipedrive.state.activities == {}
    lookup = await session.client.get("/callLog", params={"sessionIds": "s-302"}, headers=session.auth)
    assert lookup.json()["logs"] == [{"sessionId": "s-302", "matched": False}]
    log_id = await _log_call(session, "s-302")
    assert list(session.pipedrive.state.activities) == [log_id]


@pytest.mark.parametrize("method", ["GET", "PATCH"])  # the read of the current note, then the write
async def test_a_redirected_call_log_update_fails_and_leaves_the_note(session: Session, method: str) -> None:
    log_id = await _log_call(session, f"s-302-{method}")
    before = session.pipedrive.state.activity(log_id)["note"]
    session.pipedrive.faults.add(302, headers=LOGIN_PAGE, method=method, path="/api/v2/activities/*")
    answer = await session.client.patch(
        "/callLog", headers=session.auth, json={"sessionId": f"s-302-{method}", "result": "Missed"}
    )
    assert _failure(answer.json()) == (
        False,
        "Error updating call log",
        "Please check if the log entity still exists on pipedrive and your account has permission "
        "to EDIT logs.",
    )
    assert session.pipedrive.state.activity(log_id)["note"] == before


# -- message logs -------------------------------------------------------------------------------
def _message(
    message_id: int, subject: str, created: str, *, direction: str = "Inbound", **extra: Any
) -> dict[str, Any]:
    ours = {"phoneNumber": "+16505550199", "name": "Jordan Lee"}
    theirs = {"phoneNumber": ANN, "name": "Ann Example"}
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


async def _log_messages(session: Session, day: str, messages: list[dict[str, Any]], **log_info: Any) -> Any:
    answer = await session.client.post(
        "/messageLog",
        headers=session.auth,
        json={
            "logInfo": {
                "conversationId": "conv-1",
                "conversationLogId": f"conv-1-{day}",
                "correspondents": [{"phoneNumber": ANN, "name": "Ann Example"}],
                "messages": messages,
                **log_info,
            },
            "contactId": session.seeded["ann"]["id"],
            "contactName": "Ann Example",
            "contactType": "contact",
            "additionalSubmission": {"deals": session.seeded["deal"]["id"]},
        },
    )
    body = answer.json()
    assert body["successful"] is True, body
    return body


async def test_an_sms_conversation_is_appended_the_same_day_and_split_by_day(session: Session) -> None:
    state = session.pipedrive.state
    first = _message(9001, "Can you send the renewal options?", "2026-07-14T03:00:00.000Z")
    created = await _log_messages(session, "2026-07-14", [first])
    assert created["logIds"] == ["9001"]
    assert created["returnMessage"]["message"] == "Message logged"
    [activity] = state.activities.values()
    assert activity["subject"] == "SMS conversation with Ann Example - 26/07/14"
    assert (activity["type"], activity["deal_id"], activity["due_time"]) == (
        "sms",
        session.seeded["deal"]["id"],
        "03:00",
    )
    assert "Conversation(1 messages)" in activity["note"]

    reply = _message(9002, "Here they are.", "2026-07-14T03:05:00.000Z", direction="Outbound")
    appended = await _log_messages(
        session, "2026-07-14", [reply, first]
    )  # newest first, as RingCentral sends
    assert appended["logIds"] == ["9002"]
    assert len(state.activities) == 1
    note = state.activity(activity["id"])["note"]
    assert "Conversation(2 messages)" in note
    assert note.index("Can you send the renewal options?") < note.index(
        "Jordan Lee 03:05 AM<br><b>Here they are.</b>"
    )

    next_day = await _log_messages(
        session, "2026-07-15", [_message(9003, "Thanks!", "2026-07-15T09:00:00.000Z")]
    )
    assert next_day["logIds"] == ["9003"]
    assert len(state.activities) == 2
    newest = max(state.activities.values(), key=lambda record: record["id"])
    assert newest["subject"] == "SMS conversation with Ann Example - 26/07/15"
    assert "Conversation(1 messages)" in newest["note"] and "Thanks!" in newest["note"]


async def test_a_fax_is_logged_with_its_document_link(session: Session) -> None:
    fax = _message(
        9101,
        "",
        "2026-07-14T04:00:00.000Z",
        type="Fax",
        attachments=[
            {
                "id": 1,
                "type": "RenderedDocument",
                "uri": "https://media.ringcentral.test/fax/9101",
                "link": "https://app.ringcentral.test/fax/9101",
            }
        ],
    )
    body = await _log_messages(session, "2026-07-14", [fax], rcAccessToken="rc-media-token")
    assert body["logIds"] == ["9101"]
    [activity] = session.pipedrive.state.activities.values()
    assert activity["subject"] == "Fax document sent from Ann Example - 26/07/14"
    assert "Fax document link: https://app.ringcentral.test/fax/9101" in activity["note"]
    assert "rc-media-token" not in activity["note"]


# -- token expiry, logout, uninstall ------------------------------------------------------------
async def test_an_expiring_token_is_refreshed_at_pipedrive(session: Session) -> None:
    store = Store.open(session.settings.database_url, str(session.settings.app_server_secret_key))
    try:
        user = await store.users.get(USER_ID)
        assert user is not None
        await store.users.update_tokens(
            user, access_token=user.access_token, token_expiry=datetime.now(UTC) + timedelta(seconds=30)
        )
    finally:
        await store.close()
    stale = str(user.access_token)
    session.pipedrive.state.expire_access_tokens()
    answer = await session.client.get("/contact", params={"phoneNumber": ANN}, headers=session.auth)
    assert answer.json()["successful"] is True
    [refresh] = session.pipedrive.requests_to("POST", "/oauth/token")
    assert refresh.text == f"refresh_token={user.refresh_token}&grant_type=refresh_token"
    refreshed = await session.stored_user()
    assert refreshed is not None and refreshed.access_token != stale
    assert session.pipedrive.state.user_of(str(refreshed.access_token)) == PIPEDRIVE_USER_ID


async def test_logout_revokes_both_tokens_at_pipedrive(session: Session) -> None:
    user = await session.stored_user()
    assert user is not None
    answer = await session.client.post("/unAuthorize", headers=session.auth)
    assert answer.status_code == 200
    assert answer.json() == {"message": "Logged out of Pipedrive", "messageType": "success", "ttl": 1000}
    assert session.pipedrive.state.is_revoked(str(user.refresh_token))
    assert session.pipedrive.state.is_revoked(str(user.access_token))
    assert len(session.pipedrive.requests_to("POST", "/oauth/revoke")) == 2
    after = await session.stored_user()
    assert after is not None and not after.access_token


def _app_auth(client_id: str = FAKE_CLIENT_ID, secret: str = FAKE_CLIENT_SECRET) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


async def test_the_pipedrive_redirect_page_and_the_uninstall_hook(session: Session) -> None:
    page = await session.client.get("/pipedrive-redirect", params={"code": "abc"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "RingCentral Extension for Pipedrive" in page.text

    refused = await session.client.request(
        "DELETE",
        "/pipedrive-redirect",
        headers=_app_auth(secret="wrong"),
        json={"user_id": PIPEDRIVE_USER_ID},
    )
    assert (refused.status_code, refused.text) == (401, "Unauthorized")
    missing = await session.client.request("DELETE", "/pipedrive-redirect", headers=_app_auth(), json={})
    assert (missing.status_code, missing.text) == (400, "Missing user_id")
    assert await session.stored_user() is not None

    user = await session.stored_user()
    assert user is not None
    deleted = await session.client.request(
        "DELETE", "/pipedrive-redirect", headers=_app_auth(), json={"user_id": PIPEDRIVE_USER_ID}
    )
    assert (deleted.status_code, deleted.text) == (200, "User deleted")
    assert await session.stored_user() is None
    assert session.pipedrive.state.is_revoked(str(user.refresh_token))
    assert session.pipedrive.state.is_revoked(str(user.access_token))
    again = await session.client.request(
        "DELETE", "/pipedrive-redirect", headers=_app_auth(), json={"user_id": "nobody"}
    )
    assert again.status_code == 200


async def test_a_failed_revocation_at_uninstall_is_a_500_without_details(session: Session) -> None:
    session.pipedrive.faults.drop_connection(method="POST", path="/oauth/revoke", times=None)
    answer = await session.client.request(
        "DELETE", "/pipedrive-redirect", headers=_app_auth(), json={"user_id": USER_ID}
    )
    assert answer.status_code == 500 and answer.json() == {"error": "Internal server error"}
    assert await session.stored_user() is not None


async def test_a_marketplace_install_with_the_temporary_hostname_stores_the_company_host(
    live_server: Any, settings: Settings, pipedrive_env: FakePipedrive
) -> None:
    """Pipedrive's Marketplace install sends `hostname=temp`; the company host comes from Pipedrive."""
    server = live_server(ssl_cert_file=pipedrive_env.ca_pem_path)
    code = pipedrive_env.state.authorize(PIPEDRIVE_USER_ID)
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        answer = await client.get(
            "/oauth-callback",
            params={
                "callbackUri": f"{FAKE_REDIRECT_URI}?code={code}&state=platform%3Dpipedrive",
                "hostname": "temp",
            },
        )
    assert answer.status_code == 200, answer.text
    assert answer.json()["jwtToken"]
    store = Store.open(settings.database_url, str(settings.app_server_secret_key))
    try:
        user = await store.users.get(USER_ID)
    finally:
        await store.close()
    assert user is not None and user.hostname == "acmefakes.pipedrive.com"


async def test_a_401_while_logging_a_message_refreshes_once_and_logs_it_once(session: Session) -> None:
    """The token dies at Pipedrive before its stored expiry: the CRM's 401 triggers one refresh."""
    session.pipedrive.state.expire_access_tokens()
    body = await _log_messages(
        session, "2026-11-25", [_message(501, "Are you there?", "2026-11-25T10:00:00Z")]
    )
    assert body["logIds"] == ["501"]
    assert len(session.pipedrive.requests_to("POST", "/oauth/token")) == 1
    activities = [
        a for a in session.pipedrive.state.activities.values() if "Are you there?" in (a.get("note") or "")
    ]
    assert len(activities) == 1


async def test_account_data_serves_activity_types_from_the_cache_until_forced(
    live_server: Any, settings: Settings, pipedrive_env: FakePipedrive
) -> None:
    server = live_server(ssl_cert_file=pipedrive_env.ca_pem_path)
    code = pipedrive_env.state.authorize(PIPEDRIVE_USER_ID)
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        login = await client.get(
            "/oauth-callback",
            params={
                "callbackUri": f"{FAKE_REDIRECT_URI}?code={code}&state=platform%3Dpipedrive",
                "hostname": pipedrive_env.hostname,
                "rcAccountId": "rc-account-7",
            },
        )
        auth = {"Authorization": f"Bearer {login.json()['jwtToken']}"}
        first = (await client.get("/accountData", params={"keys": "activityTypes"}, headers=auth)).json()
        assert first["successful"] is True
        types = first["data"]["activityTypes"]
        assert types and {"const", "title"} <= set(types[0])
        fetches = len(pipedrive_env.requests_to("GET", "/v1/activityTypes"))
        again = (await client.get("/accountData", params={"keys": " activityTypes ,"}, headers=auth)).json()
        assert again == first and len(pipedrive_env.requests_to("GET", "/v1/activityTypes")) == fetches
        forced = await client.get(
            "/accountData", params={"keys": "activityTypes", "forceRefresh": "true"}, headers=auth
        )
        assert forced.json() == first
        assert len(pipedrive_env.requests_to("GET", "/v1/activityTypes")) == fetches + 1
        unknown = await client.get("/accountData", params={"keys": "activityTypes,nope"}, headers=auth)
        assert unknown.status_code == 400
        assert unknown.json()["returnMessage"]["message"] == "Unknown account data key(s): nope"
        missing = await client.get("/accountData", headers=auth)
        assert missing.status_code == 400 and missing.text == "Missing keys"
        anonymous = await client.get("/accountData", params={"keys": "activityTypes"})
        assert anonymous.status_code == 400
