"""Call-down lists over a real socket (spec platform §9.1): per user, validated, isolated."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jwt as pyjwt
import pytest

from appconnect.config import Settings
from appconnect.store import Store
from tests.conftest import TEST_SECRET
from tests.e2e.conftest import login

NOT_A_DATE = "must be an ISO-8601 date-time or epoch milliseconds"
PLEASE = "Please go to Settings and authorize CRM platform"


@pytest.fixture
async def client(live_server: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live_server().url) as opened:
        yield opened


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _items(client: httpx.AsyncClient, token: str, **params: str) -> list[dict[str, Any]]:
    answer = await client.get("/calldown", headers=bearer(token), params=params)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["successful"] is True
    items: list[dict[str, Any]] = body["items"]
    return items


async def test_schedule_list_update_and_delete(client: httpx.AsyncClient) -> None:
    token = await login(client)
    created = await client.post(
        "/calldown",
        headers=bearer(token),
        json={
            "contactId": 42,
            "scheduledAt": "2026-12-03T09:30:00.000Z",
            "contactName": "Ann Example",
            "phoneNumber": "+14155550100",
            "note": "call back about the invoice",
        },
    )
    assert created.status_code == 200, created.text
    entry_id = created.json()["id"]
    assert set(created.json()) == {"successful", "id"} and len(entry_id) == 32
    int(entry_id, 16)

    [item] = await _items(client, token)
    assert item["id"] == entry_id
    assert (item["contactId"], item["contactType"], item["status"]) == ("42", "contact", "scheduled")
    assert item["scheduledAt"] == "2026-12-03T09:30:00.000Z" and item["lastCallAt"] is None
    assert "contactName" not in item and "note" not in item and item["userId"].endswith("-sample")

    patched = await client.patch(
        f"/calldown/{entry_id}",
        headers=bearer(token),
        json={"status": "called", "lastCallAt": 1796292600000, "note": "done"},
    )
    assert (patched.status_code, patched.json()) == (200, {"successful": True})
    [item] = await _items(client, token)
    assert (item["status"], item["lastCallAt"]) == ("called", "2026-12-03T10:10:00.000Z")

    deleted = await client.delete(f"/calldown/{entry_id}", headers=bearer(token))
    assert (deleted.status_code, deleted.json()) == (200, {"successful": True})
    assert await _items(client, token) == []
    again = await client.delete(f"/calldown/{entry_id}", headers=bearer(token))
    assert (again.status_code, again.json()) == (400, {"error": "Not found"})


async def test_status_filter_and_order_with_unscheduled_entries_last(client: httpx.AsyncClient) -> None:
    token = await login(client)
    ids: dict[str, str] = {}
    for name, when in (("late", "2026-12-05T08:00:00Z"), ("none", None), ("early", "2026-12-04T08:00:00Z")):
        body: dict[str, Any] = {"contactId": name, "contactType": "lead"}
        if when:
            body["scheduledAt"] = when
        answer = await client.post("/calldown", headers=bearer(token), json=body)
        ids[name] = answer.json()["id"]
    await client.patch(f"/calldown/{ids['late']}", headers=bearer(token), json={"status": "called"})

    assert [item["contactId"] for item in await _items(client, token)] == ["early", "late", "none"]
    assert [item["contactId"] for item in await _items(client, token, status="called")] == ["late"]
    for wording in ("not called", "NOT_CALLED", "notcalled"):
        not_called = await _items(client, token, status=wording)
        assert [item["contactId"] for item in not_called] == ["early", "none"]
    assert len(await _items(client, token, status="whatever")) == 3


async def test_users_never_see_or_change_each_others_entries(client: httpx.AsyncClient) -> None:
    ann = await login(client, "ann-key")
    bob = await login(client, "bob-key")
    entry_id = (await client.post("/calldown", headers=bearer(ann), json={"contactId": "c-1"})).json()["id"]

    assert await _items(client, bob) == []
    patched = await client.patch(f"/calldown/{entry_id}", headers=bearer(bob), json={"status": "called"})
    assert (patched.status_code, patched.json()) == (400, {"error": "Not found"})
    deleted = await client.delete(f"/calldown/{entry_id}", headers=bearer(bob))
    assert (deleted.status_code, deleted.json()) == (400, {"error": "Not found"})
    [item] = await _items(client, ann)
    assert item["status"] == "scheduled"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"scheduledAt": "next tuesday"}, f"scheduledAt {NOT_A_DATE}"),
        ({"contactId": {"id": 1}}, "contactId must be a string or a number"),
        ({"contactType": 7}, "contactType must be a string"),
        ({"contactId": "x" * 256}, "contactId must be at most 255 characters"),
    ],
)
async def test_bad_input_is_refused_and_nothing_is_written(
    client: httpx.AsyncClient, body: dict[str, Any], message: str
) -> None:
    token = await login(client)
    answer = await client.post("/calldown", headers=bearer(token), json=body)
    assert (answer.status_code, answer.json()) == (400, {"error": message})
    assert await _items(client, token) == []


async def test_bad_updates_are_refused_and_change_nothing(client: httpx.AsyncClient) -> None:
    token = await login(client)
    entry_id = (await client.post("/calldown", headers=bearer(token), json={"contactId": "c"})).json()["id"]
    for body, message in (
        ({}, "No valid fields to update"),
        ({"unknown": 1}, "No valid fields to update"),
        ({"status": None}, "status must be a string"),
        ({"status": "called", "lastCallAt": "soon"}, f"lastCallAt {NOT_A_DATE}"),
    ):
        answer = await client.patch(f"/calldown/{entry_id}", headers=bearer(token), json=body)
        assert (answer.status_code, answer.json()) == (400, {"error": message}), body
    unknown = await client.patch("/calldown/" + "0" * 32, headers=bearer(token), json={"status": "called"})
    assert (unknown.status_code, unknown.json()) == (400, {"error": "Not found"})
    not_json = await client.post(
        "/calldown", headers={**bearer(token), "content-type": "application/json"}, content=b"[1,"
    )
    assert not_json.status_code == 400 and "error" in not_json.json()
    [item] = await _items(client, token)
    assert item["status"] == "scheduled" and item["lastCallAt"] is None


async def test_sessions_and_users_are_checked(client: httpx.AsyncClient, settings: Settings) -> None:
    routes = (
        ("GET", "/calldown"),
        ("POST", "/calldown"),
        ("PATCH", "/calldown/x"),
        ("DELETE", "/calldown/x"),
    )
    for method, path in routes:
        missing = await client.request(method, path)
        assert (missing.status_code, missing.text) == (400, PLEASE)
        forged = pyjwt.encode({"id": "u", "exp": int(time.time()) + 60}, "x" * 40)
        invalid = await client.request(method, path, params={"jwtToken": forged})
        assert (invalid.status_code, invalid.json()) == (400, {"error": "Unauthorized"})
    claims = {"id": "ghost-sample", "platform": "sample", "exp": int(time.time()) + 60}
    ghost = pyjwt.encode(claims, TEST_SECRET)
    answer = await client.post("/calldown", headers=bearer(ghost), json={"contactId": "c"})
    assert (answer.status_code, answer.json()) == (400, {"error": "User not found"})
    store = Store.open(settings.database_url, TEST_SECRET)
    try:
        assert await store.call_down.list("ghost-sample") == []
    finally:
        await store.close()


async def test_a_full_list_refuses_more_entries(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from appconnect.services import call_down

    monkeypatch.setattr(call_down, "MAX_ENTRIES_PER_USER", 2)
    token = await login(client)
    for _ in range(2):
        assert (await client.post("/calldown", headers=bearer(token), json={})).status_code == 200
    full = await client.post("/calldown", headers=bearer(token), json={})
    assert (full.status_code, full.json()) == (400, {"error": "Call-down list is full (2 entries)"})
    assert len(await _items(client, token)) == 2
