"""Appointments end to end (spec platform §9.3), backed by fake Clio's calendar entries.

Every route over a real socket: the contract's success and failure shapes, request validation
before any CRM call, the session guard, and `/implementedInterfaces` telling the truth (Clio has
no confirmation).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from appconnect.config import Settings
from tests.e2e.test_clio_flows import Session, oauth_login, seed
from tests.fakes.clio import FakeClio
from tests.fakes.clio.fixtures import clio_env_fixture, fake_clio_fixture  # noqa: F401

START = "2026-07-20T19:00:00.000Z"


@pytest.fixture
async def session(live_server: Any, settings: Settings, clio_env: FakeClio) -> AsyncIterator[Session]:
    seeded = seed(clio_env)
    seeded["calendar"] = clio_env.state.add_calendar()
    server = live_server(ssl_cert_file=clio_env.ca_pem_path)
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        auth = await oauth_login(client, clio_env)
        clio_env.clear_requests()
        yield Session(client=client, auth=auth, clio=clio_env, settings=settings, seeded=seeded)


async def _create(session: Session, **payload: Any) -> dict[str, Any]:
    body = {
        "title": "Strategy Call",
        "summary": "Discuss case plan",
        "startTimeUtc": START,
        "durationMinutes": 30,
        "contacts": [{"id": str(session.seeded["ann"]["id"]), "type": "Contact"}],
        **payload,
    }
    answer = await session.client.post("/appointments", headers=session.auth, json={"payload": body})
    assert answer.status_code == 200, answer.text
    created: dict[str, Any] = answer.json()
    return created


async def test_the_appointment_lifecycle_on_clio_calendar_entries(session: Session) -> None:
    state = session.clio.state
    created = await _create(session)
    assert created["successful"] is True
    entry_id = int(created["appointmentId"])
    entry = state.calendar_entries[entry_id]
    assert (entry["summary"], entry["description"], entry["start_at"], entry["end_at"]) == (
        "Strategy Call",
        "Discuss case plan",
        START,
        "2026-07-20T19:30:00.000Z",
    )
    assert entry["calendar_owner_id"] == session.seeded["calendar"]["id"]
    assert [a["id"] for a in entry["attendees"]] == [session.seeded["ann"]["id"]]
    [post] = session.clio.requests_to("POST", "/api/v4/calendar_entries.json")
    assert post.json is not None and post.json["data"]["send_email_notification"] is False
    appointment = created["appointment"]
    assert (
        appointment["id"],
        appointment["title"],
        appointment["durationMinutes"],
        appointment["status"],
    ) == (
        str(entry_id),
        "Strategy Call",
        30,
        "tentative",
    )
    assert appointment["contactId"] == str(session.seeded["ann"]["id"])
    assert appointment["participantName"] == "Ann Example"

    listed = await session.client.get(
        "/appointments", params={"startDate": "2026-07-20", "endDate": "2026-07-20"}, headers=session.auth
    )
    [item] = listed.json()["appointments"]
    assert listed.json()["successful"] is True
    assert (item["id"], item["thirdPartyAppointmentId"], item["startTimeUtc"], item["status"]) == (
        str(entry_id),
        str(entry_id),
        START,
        "scheduled",
    )
    elsewhere = await session.client.get(
        "/appointments", params={"startDate": "2026-07-21", "endDate": "2026-07-31"}, headers=session.auth
    )
    assert elsewhere.json() == {"successful": True, "appointments": []}

    firm = session.seeded["firm"]["id"]
    patched = await session.client.patch(
        f"/appointments/{entry_id}",
        headers=session.auth,
        json={
            "patch": {
                "title": "Strategy Call (moved)",
                "startTimeUtc": "2026-07-21T15:00:00Z",
                "durationMinutes": 45,
                "contacts": [firm],
            }
        },
    )
    body = patched.json()
    assert body["successful"] is True and body["appointmentId"] == str(entry_id)
    assert body["appointment"]["title"] == "Strategy Call (moved)"
    assert body["appointment"]["durationMinutes"] == 45
    entry = state.calendar_entries[entry_id]
    assert [a["id"] for a in entry["attendees"]] == [firm]  # Ann removed with `_destroy`, the firm added
    [patch] = session.clio.requests_to("PATCH", f"/api/v4/calendar_entries/{entry_id}.json")
    assert patch.json is not None
    assert patch.json["data"]["attendees"] == [
        {"id": session.seeded["ann"]["id"], "type": "Contact", "_destroy": True},
        {"id": firm, "type": "Contact"},
    ]

    entry["summary"] = "Renamed in Clio"
    refreshed = await session.client.get(f"/appointments/{entry_id}/refresh", headers=session.auth)
    assert refreshed.json()["appointment"]["title"] == "Renamed in Clio"

    cancelled = await session.client.post(f"/appointments/{entry_id}/cancel", headers=session.auth)
    assert cancelled.json() == {
        "successful": True,
        "appointmentId": str(entry_id),
        "returnMessage": {
            "message": "Appointment cancelled successfully.",
            "messageType": "success",
            "ttl": 5000,
        },
    }
    assert entry_id not in state.calendar_entries


async def test_what_clio_cannot_do_is_answered_with_a_message(session: Session) -> None:
    created = await _create(session)
    entry_id = created["appointmentId"]
    status = await session.client.post(
        f"/appointments/{entry_id}/status", headers=session.auth, json={"status": "CONFIRMED"}
    )
    assert status.json() == {
        "successful": False,
        "returnMessage": {
            "message": "Clio does not support appointment status changes.",
            "messageType": "warning",
            "ttl": 5000,
        },
    }
    confirm = await session.client.post(f"/appointments/{entry_id}/confirm", headers=session.auth)
    body = confirm.json()
    assert body["successful"] is False
    assert body["returnMessage"]["message"] == "Error performing confirmAppointment"
    missing = await session.client.get("/appointments/999999/refresh", headers=session.auth)
    assert missing.json()["returnMessage"]["message"] == "Appointment not found in Clio."


async def test_without_a_writeable_calendar_nothing_is_created(session: Session) -> None:
    session.clio.state.calendars.clear()
    answer = await session.client.post(
        "/appointments",
        headers=session.auth,
        json={"title": "Intake", "summary": "", "startTimeUtc": START, "durationMinutes": 15},  # direct form
    )
    assert answer.json()["returnMessage"]["message"] == "No writeable calendar found in Clio."
    assert session.clio.state.calendar_entries == {}


def _payload(**changes: Any) -> dict[str, Any]:
    return {"payload": {"title": "A", "summary": "", "startTimeUtc": START, "durationMinutes": 5, **changes}}


CREATE = "Invalid appointment create request"
PATCH = "Invalid appointment patch request"
STATUS = "Invalid appointment status request"
BAD_REQUESTS = [
    ("POST", "/appointments", _payload(title=""), CREATE),
    ("POST", "/appointments", _payload(startTimeUtc="2026-07-20 19:00"), CREATE),
    ("POST", "/appointments", _payload(durationMinutes=0), CREATE),
    ("POST", "/appointments", _payload(x=1), CREATE),
    ("POST", "/appointments", _payload(contacts=["0"]), CREATE),
    ("PATCH", "/appointments/7", {"patch": {}}, PATCH),
    ("PATCH", "/appointments/7", {"patch": {"startTimeUtc": START}}, PATCH),
    ("PATCH", "/appointments/7", {"patch": {"title": "A"}, "extra": True}, PATCH),
    ("POST", "/appointments/7/status", {"status": ""}, STATUS),
    ("POST", "/appointments/7/status", {}, STATUS),
]


@pytest.mark.parametrize(("method", "path", "body", "error"), BAD_REQUESTS)
async def test_bad_requests_are_refused_before_clio_is_asked(
    session: Session, method: str, path: str, body: dict[str, Any], error: str
) -> None:
    answer = await session.client.request(method, path, headers=session.auth, json=body)
    assert answer.status_code == 400
    assert answer.json()["error"] == error
    [detail] = answer.json()["details"]
    assert set(detail) == {"path", "message"} and detail["message"]
    assert session.clio.requests == []


@pytest.mark.parametrize(
    "params",
    [
        {"startDate": "2026-07-20"},
        {"startDate": "2026-02-30", "endDate": "2026-03-01"},
        {"startDate": "2026-07-21", "endDate": "2026-07-20"},
    ],
)
async def test_a_bad_date_range_is_refused(session: Session, params: dict[str, str]) -> None:
    answer = await session.client.get("/appointments", params=params, headers=session.auth)
    assert answer.status_code == 400
    assert answer.json()["error"] == "Invalid appointment date range"
    assert session.clio.requests == []


async def test_a_clio_failure_gives_the_operations_message(session: Session) -> None:
    session.clio.faults.add(503, method="POST", path="/api/v4/calendar_entries.json")
    answer = await session.client.post(
        "/appointments",
        headers=session.auth,
        json={"payload": {"title": "A", "summary": "", "startTimeUtc": START, "durationMinutes": 5}},
    )
    body = answer.json()
    assert (answer.status_code, body["successful"], body["returnMessage"]["message"]) == (
        200,
        False,
        "Error creating appointment",
    )
    session.clio.rate_limit_next(path="/api/v4/calendar_entries.json")
    limited = await session.client.get("/appointments", headers=session.auth)
    assert limited.json()["returnMessage"]["message"] == "Rate limit exceeded"


async def test_implemented_interfaces_tell_the_truth_about_clio(session: Session) -> None:
    answer = await session.client.get("/implementedInterfaces", params={"platform": "clio"})
    body = answer.json()
    assert {key: body[key] for key in body if "ppointment" in key} == {
        "listAppointments": True,
        "createAppointment": True,
        "updateAppointment": True,
        "refreshAppointment": True,
        "confirmAppointment": False,
        "cancelAppointment": True,
    }
    assert body["getOauthInfo"] is True and body["findContactWithName"] is True
    sample = (await session.client.get("/implementedInterfaces", params={"platform": "sample"})).json()
    assert sample["listAppointments"] is False


async def test_an_unknown_user_gets_the_contracts_answer(session: Session) -> None:
    await session.client.post("/unAuthorize", headers=session.auth)
    answer = await session.client.get("/appointments", headers=session.auth)
    assert answer.json() == {
        "successful": False,
        "returnMessage": {"message": "User not found", "messageType": "warning", "ttl": 5000},
    }
