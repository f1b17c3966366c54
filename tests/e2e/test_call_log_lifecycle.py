"""The call-log lifecycle driven like the extension drives it, against the sample CRM.

Each step asserts the HTTP answer *and* what the CRM stores afterwards.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from appconnect.connectors.sample import SampleCrmConnector
from tests.e2e.conftest import ANN, call_record, login


async def test_full_lifecycle_keeps_every_step_and_the_agents_edit(
    live_server: Any, sample_crm: SampleCrmConnector
) -> None:
    server = live_server()
    async with httpx.AsyncClient(base_url=server.url) as client:
        token = await login(client)
        auth = {"Authorization": f"Bearer {token}"}

        found = (await client.get("/contact", params={"phoneNumber": ANN}, headers=auth)).json()
        assert found["successful"] is True
        ann = found["contact"][0]
        assert ann["name"] == "Ann Example" and found["contact"][-1]["isNewContact"] is True

        created = (
            await client.post(
                "/callLog",
                headers=auth,
                json={
                    "logInfo": call_record("s-100"),
                    "contactId": ann["id"],
                    "contactName": ann["name"],
                    "contactType": ann.get("type"),
                    "note": "Wants a quote",
                },
            )
        ).json()
        assert created["successful"] is True, created
        log_id = created["logId"]
        activities = await sample_crm.list_call_activities()
        assert len(activities) == 1
        body = activities[0]["body"]
        assert body.startswith("- Note: Wants a quote\n")
        assert "- Summary: Inbound call from Ann Example\n" in body
        assert "- Duration: pending\n" in body and "- Result: Call connected\n" in body

        again = (
            await client.post(
                "/callLog", headers=auth, json={"logInfo": call_record("s-100"), "contactId": ann["id"]}
            )
        ).json()
        assert again == {
            "successful": False,
            "returnMessage": {
                "message": "Existing log for session s-100",
                "messageType": "warning",
                "ttl": 3000,
            },
        }
        assert len(await sample_crm.list_call_activities()) == 1

        final = (
            await client.patch(
                "/callLog", headers=auth, json={"sessionId": "s-100", "duration": 95, "result": "Accepted"}
            )
        ).json()
        assert final["successful"] is True and final["logId"] == str(log_id)
        body = (await sample_crm.get_call_activity(log_id))["body"]  # type: ignore[index]
        assert body.count("- Duration:") == 1 and "- Duration: 1 minute, 35 seconds" in body
        assert body.count("- Result:") == 1 and "- Result: Accepted" in body
        assert "- Note: Wants a quote" in body

        # The agent types a line straight into the CRM.
        await sample_crm.edit_call_activity_body(log_id, body + "Customer prefers email.\n")

        recording = (
            await client.patch(
                "/callLog",
                headers=auth,
                json={"sessionId": "s-100", "recordingLink": "https://media.example.com/rec/1"},
            )
        ).json()
        assert recording["successful"] is True
        body = (await sample_crm.get_call_activity(log_id))["body"]  # type: ignore[index]
        assert "Customer prefers email.\n" in body
        assert body.count("- Call recording link: https://media.example.com/rec/1") == 1

        repeat = await client.patch(
            "/callLog", headers=auth, json={"sessionId": "s-100", "duration": 95, "result": "Accepted"}
        )
        assert repeat.json()["successful"] is True
        body_after_repeat = (await sample_crm.get_call_activity(log_id))["body"]  # type: ignore[index]
        assert body_after_repeat == body

        edited_note = (
            await client.patch(
                "/callLog", headers=auth, json={"sessionId": "s-100", "note": "Send quote Monday"}
            )
        ).json()
        assert edited_note["successful"] is True
        body = (await sample_crm.get_call_activity(log_id))["body"]  # type: ignore[index]
        assert body.startswith("- Note: Send quote Monday\n") and "Wants a quote" not in body
        assert "Customer prefers email." in body and body.count("- Duration:") == 1

        summary = (
            await client.get("/callLog", params={"sessionIds": "s-100,s-missing"}, headers=auth)
        ).json()
        assert summary == {
            "successful": True,
            "logs": [
                {"sessionId": "s-100", "matched": True, "logId": str(log_id)},
                {"sessionId": "s-missing", "matched": False},
            ],
            "returnMessage": None,
        }
        details = (
            await client.get(
                "/callLog", params={"sessionIds": "s-100", "requireDetails": "true"}, headers=auth
            )
        ).json()
        log_data = details["logs"][0]["logData"]
        assert log_data["fullBody"] == body and log_data["subject"] == "Inbound call from Ann Example"
        assert log_data["note"].startswith("Send quote Monday")


async def test_twenty_concurrent_creates_make_one_activity(
    live_server: Any, sample_crm: SampleCrmConnector
) -> None:
    server = live_server()
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        token = await login(client)
        auth = {"Authorization": f"Bearer {token}"}
        body = {"logInfo": call_record("s-race"), "contactId": "1", "note": "race"}
        answers = await asyncio.gather(*(client.post("/callLog", headers=auth, json=body) for _ in range(20)))
    results = [answer.json() for answer in answers]
    assert all(answer.status_code == 200 for answer in answers)
    assert sum(result["successful"] for result in results) == 1
    duplicates = [r for r in results if not r["successful"]]
    assert all(r["returnMessage"]["message"] == "Existing log for session s-race" for r in duplicates)
    assert len(await sample_crm.list_call_activities()) == 1


async def test_update_for_an_unknown_session_is_a_clear_failure(
    live_server: Any, sample_crm: SampleCrmConnector
) -> None:
    server = live_server()
    async with httpx.AsyncClient(base_url=server.url) as client:
        token = await login(client)
        answer = await client.patch(
            "/callLog", headers={"Authorization": f"Bearer {token}"}, json={"sessionId": "nope", "note": "x"}
        )
    assert answer.status_code == 200
    assert answer.json() == {
        "successful": False,
        "returnMessage": {
            "message": "Cannot find call log for session nope",
            "messageType": "warning",
            "ttl": 3000,
        },
    }
    assert await sample_crm.list_call_activities() == []


async def test_missing_contact_is_refused_before_the_crm(live_server, sample_crm: SampleCrmConnector) -> None:  # type: ignore[no-untyped-def]
    server = live_server()
    async with httpx.AsyncClient(base_url=server.url) as client:
        token = await login(client)
        answer = (
            await client.post(
                "/callLog",
                headers={"Authorization": f"Bearer {token}"},
                json={"logInfo": call_record("s-0"), "contactId": 0},
            )
        ).json()
    assert answer["returnMessage"]["message"] == f"Contact not found for number {ANN}"
    assert await sample_crm.list_call_activities() == []


async def test_malformed_bodies_get_a_4xx_naming_the_field(
    live_server: Any, sample_crm: SampleCrmConnector
) -> None:
    server = live_server()
    async with httpx.AsyncClient(base_url=server.url) as client:
        token = await login(client)
        auth = {"Authorization": f"Bearer {token}"}
        cases = [
            ("POST", {"contactId": "1"}, "logInfo"),
            ("POST", {"logInfo": {"direction": "Inbound"}, "contactId": "1"}, "logInfo.sessionId"),
            ("POST", {"logInfo": {"sessionId": 123}, "contactId": "1"}, "logInfo.sessionId"),
            ("POST", {"logInfo": "not an object", "contactId": "1"}, "logInfo"),
            ("PATCH", {"note": "x"}, "sessionId"),
            ("PATCH", {"sessionId": ["a"]}, "sessionId"),
        ]
        for method, body, field in cases:
            answer = await client.request(method, "/callLog", headers=auth, json=body)
            assert answer.status_code == 400, (body, answer.text)
            assert field in answer.json()["error"], (body, answer.text)
        invalid_json = await client.post(
            "/callLog", headers={**auth, "Content-Type": "application/json"}, content=b'{"logInfo": '
        )
        assert invalid_json.status_code == 400 and "JSON" in invalid_json.json()["error"]
        lookup = await client.get("/callLog", params={"sessionIds": "s-1"}, headers=auth)
        assert lookup.json()["logs"] == [{"sessionId": "s-1", "matched": False}]
    assert await sample_crm.list_call_activities() == []


async def test_disposition_and_note_cache(live_server, sample_crm: SampleCrmConnector) -> None:  # type: ignore[no-untyped-def]
    server = live_server()
    async with httpx.AsyncClient(base_url=server.url) as client:
        token = await login(client)
        auth = {"Authorization": f"Bearer {token}"}
        missing = (await client.put("/callDisposition", headers=auth, json={"sessionId": "s-d"})).json()
        assert missing == {
            "successful": False,
            "returnMessage": {"message": "Cannot find log", "messageType": "warning", "ttl": 3000},
        }
        created = (
            await client.post(
                "/callLog", headers=auth, json={"logInfo": call_record("s-d"), "contactId": "1"}
            )
        ).json()
        answer = (
            await client.put(
                "/callDisposition",
                headers=auth,
                json={"sessionId": "s-d", "dispositions": {"outcome": "Interested"}},
            )
        ).json()
        assert answer["successful"] is True and "logId" not in answer
        activity = await sample_crm.get_call_activity(created["logId"])
        assert activity is not None and activity["dispositions"] == {"outcome": "Interested"}
        cached = (
            await client.post("/callLog/cacheNote", headers=auth, json={"sessionId": "s-d", "note": "n"})
        ).json()
        assert cached == {"successful": True, "returnMessage": "Note cache saved"}
        no_token = await client.post("/callLog/cacheNote", json={"sessionId": "s-d", "note": "n"})
        assert no_token.status_code == 400


async def test_server_side_logging_uses_the_cached_note(live_server, sample_crm: SampleCrmConnector) -> None:  # type: ignore[no-untyped-def]
    """With `USE_CACHE`, a create from server-side logging (`User-Agent: SSCL`) takes the note the
    agent cached for the session (quirk R-3 fixed); a browser create keeps its own note."""
    server = live_server(use_cache=True)
    async with httpx.AsyncClient(base_url=server.url) as client:
        auth = {"Authorization": f"Bearer {await login(client)}"}
        cached = await client.post(
            "/callLog/cacheNote", headers=auth, json={"sessionId": "s-sscl", "note": "typed early"}
        )
        assert cached.json()["successful"] is True
        sscl = await client.post(
            "/callLog",
            headers={**auth, "User-Agent": "SSCL"},
            json={"logInfo": call_record("s-sscl"), "contactId": "1", "note": "from the server"},
        )
        browser = await client.post(
            "/callLog",
            headers=auth,
            json={"logInfo": call_record("s-web"), "contactId": "1", "note": "own note"},
        )
    sscl_body = (await sample_crm.get_call_activity(sscl.json()["logId"]))["body"]  # type: ignore[index]
    browser_body = (await sample_crm.get_call_activity(browser.json()["logId"]))["body"]  # type: ignore[index]
    assert sscl_body.startswith("- Note: typed early\n")
    assert browser_body.startswith("- Note: own note\n")
