"""The RingCentral admin token and call reports over real sockets (spec platform §5.5).

RingCentral is `tests.fakes.ringcentral_admin`: it issues codes and tokens to its one app, keeps
call analytics, call logs and message stores, and refuses tokens it did not issue (or expired).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt as pyjwt
import pytest
from sqlalchemy import select

from appconnect.config import Settings
from appconnect.security import hash_id
from appconnect.services.rc_reports import GROUP_KEYS
from appconnect.store import Store
from appconnect.store.models import AdminConfigRow
from tests.conftest import TEST_HASH_KEY, TEST_SECRET
from tests.fakes.fixtures import FakeCrmFactory
from tests.fakes.ringcentral import ACCOUNT_ID, ADMIN_TOKEN, AGENT_TOKEN
from tests.fakes.ringcentral_admin import (
    CLIENT_ID,
    CLIENT_SECRET,
    RingCentralState,
    create_ringcentral_admin_app,
)

HASHED_ACCOUNT = hash_id(ACCOUNT_ID, TEST_HASH_KEY)
APP_SERVER = "https://appconnect.example.test"


@dataclass
class Env:
    client: httpx.AsyncClient
    rc: RingCentralState
    settings: Settings
    auth: dict[str, str]

    def admin(self) -> dict[str, str]:
        return {**self.auth, "X-RC-Access-Token": ADMIN_TOKEN}

    async def connect(self) -> None:
        answer = await self.client.get(
            "/ringcentral/oauth/callback", params={"code": self.rc.issue_code()}, headers=self.auth
        )
        assert (answer.status_code, answer.json()) == (200, {"successful": True}), answer.text


@pytest.fixture
async def env(live_server: Any, settings: Settings, fake_crm_factory: FakeCrmFactory) -> AsyncIterator[Env]:
    state = RingCentralState()
    ringcentral = fake_crm_factory(create_ringcentral_admin_app(state))
    server = live_server(
        ringcentral_server=ringcentral.base_url,
        ringcentral_client_id=CLIENT_ID,
        ringcentral_client_secret=CLIENT_SECRET,
        app_server=APP_SERVER,
    )
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        login = await client.post(
            "/apiKeyLogin",
            json={"platform": "sample", "apiKey": "admin-key"},
            headers={"X-RC-Access-Token": ADMIN_TOKEN},
        )
        assert login.status_code == 200, login.text
        auth = {"Authorization": f"Bearer {login.json()['jwtToken']}"}
        yield Env(client=client, rc=state, settings=settings, auth=auth)


async def _row(settings: Settings) -> AdminConfigRow | None:
    store = Store.open(settings.database_url, TEST_SECRET)
    try:
        async with store.database.sessions() as session:
            return (
                await session.scalars(select(AdminConfigRow).where(AdminConfigRow.id == HASHED_ACCOUNT))
            ).first()
    finally:
        await store.close()


async def test_the_admin_token_is_exchanged_and_stored_encrypted(env: Env) -> None:
    await env.connect()
    [exchange] = env.rc.token_requests
    assert exchange["grant_type"] == "authorization_code"
    assert exchange["redirect_uri"] == f"{APP_SERVER}/ringcentral/oauth/callback"
    row = await _row(env.settings)
    assert row is not None and row.admin_access_token and row.admin_token_expiry is not None
    stored = json.dumps([row.admin_access_token, row.admin_refresh_token])
    assert not any(token in stored for token in env.rc.access_tokens | env.rc.refresh_tokens)
    shown = await env.client.get("/admin/settings", headers=env.admin())
    assert not any(key.startswith("admin") for key in shown.json())


async def test_a_refused_code_or_missing_code_stores_nothing(env: Env) -> None:
    refused = await env.client.get(
        "/ringcentral/oauth/callback", params={"code": "made-up"}, headers=env.auth
    )
    assert (refused.status_code, refused.json()) == (400, {"error": "RingCentral token exchange failed"})
    missing = await env.client.get("/ringcentral/oauth/callback", headers=env.auth)
    assert (missing.status_code, missing.json()) == (400, {"error": "Missing code"})
    assert await _row(env.settings) is None


async def test_the_company_report_groups_calls(env: Env) -> None:
    await env.connect()
    env.rc.aggregation_records = [
        {
            "info": {"name": "Sales"},
            "counters": {
                "callsByDirection": {"values": {"inbound": 8, "outbound": 2}},
                "callsByResponse": {"values": {"answered": 6}},
            },
            "timers": {"allCallsDuration": {"values": 1234.5}},
        },
        {"info": {}, "counters": {}},  # no name: skipped
    ]
    answer = await env.client.get(
        "/ringcentral/admin/report",
        params={
            "timezone": "Europe/London",
            "timeFrom": "2026-11-01T00:00:00Z",
            "timeTo": "2026-12-01T00:00:00Z",
            "groupBy": "undefined",
        },
        headers=env.admin(),
    )
    assert answer.json() == {
        "callLogStats": [
            {
                "name": "Sales",
                "inboundCallCount": 8,
                "outboundCallCount": 2,
                "answeredCallCount": 6,
                "answeredCallPercentage": "75.00%",
                "totalTalkTime": "1234.50",
                "averageTalkTime": "123.45",
            }
        ],
        "itemKeys": ["Sales"],
        "groupedBy": "Company",
        "groupKeys": GROUP_KEYS,
    }
    [sent] = env.rc.aggregation_requests
    assert sent["timeSettings"] == {
        "timeZone": "Europe/London",
        "timeRange": {"timeFrom": "2026-11-01T00:00:00Z", "timeTo": "2026-12-01T00:00:00Z"},
    }


async def test_an_expired_admin_token_is_refreshed_once_for_concurrent_reports(env: Env) -> None:
    await env.connect()
    store = Store.open(env.settings.database_url, TEST_SECRET)
    try:
        tokens = await store.admin_tokens.get(HASHED_ACCOUNT)
        assert tokens is not None
        from appconnect.store.admin_tokens import AdminTokens

        await store.admin_tokens.put(
            HASHED_ACCOUNT,
            AdminTokens(tokens.access_token, tokens.refresh_token, datetime.now(UTC) - timedelta(minutes=1)),
        )
    finally:
        await store.close()
    env.rc.expire_access_tokens()
    answers = await asyncio.gather(
        *(
            env.client.get("/ringcentral/admin/report", params={"groupBy": "Users"}, headers=env.admin())
            for _ in range(5)
        )
    )
    assert [answer.json().get("groupedBy") for answer in answers] == ["Users"] * 5  # one refresh for all
    assert [request["grant_type"] for request in env.rc.token_requests] == [
        "authorization_code",
        "refresh_token",
    ]
    again = await env.client.get("/ringcentral/admin/report", headers=env.admin())
    assert again.json()["groupedBy"] == "Company" and len(env.rc.token_requests) == 2


async def test_the_user_report_counts_calls_and_messages_across_pages(env: Env) -> None:
    await env.connect()
    calls = [{"direction": "Inbound", "result": "Accepted", "duration": 60}] * 999
    calls += [
        {"direction": "Inbound", "result": "Missed", "duration": 0},
        {"direction": "Outbound", "duration": 600},
    ]
    env.rc.calls["102"] = calls
    env.rc.messages["102"] = [{"direction": "Outbound"}] * 150 + [{"direction": "Inbound"}] * 3
    answer = await env.client.get(
        "/ringcentral/admin/userReport",
        params={"rcExtensionId": "102", "timeFrom": "2026-11-01T00:00:00Z", "timeTo": "2026-12-01T00:00:00Z"},
        headers=env.admin(),
    )
    assert answer.json() == {
        "callLogStats": {
            "inboundCallCount": 1000,
            "outboundCallCount": 1,
            "answeredCallCount": 999,
            "answeredCallPercentage": "99.90%",
            "totalTalkTime": 1009,
            "averageTalkTime": 1,
        },
        "smsLogStats": {"smsSentCount": 150, "smsReceivedCount": 3},
    }


async def test_failures_answer_as_the_reference(env: Env) -> None:
    # No admin token yet: the company report is empty, the user report an empty body.
    report = await env.client.get("/ringcentral/admin/report", headers=env.admin())
    assert (report.status_code, report.json()) == (200, {"callLogStats": {}})
    user = await env.client.get(
        "/ringcentral/admin/userReport", params={"rcExtensionId": "102"}, headers=env.admin()
    )
    assert (user.status_code, user.content) == (200, b"")
    bad = await env.client.get(
        "/ringcentral/admin/userReport", params={"rcExtensionId": "../x"}, headers=env.admin()
    )
    assert (bad.status_code, bad.json()) == (400, {"error": "rcExtensionId must be an extension id"})


@pytest.mark.parametrize("path", ["/ringcentral/admin/report", "/ringcentral/admin/userReport"])
async def test_reports_need_a_session_a_user_and_an_admin(env: Env, path: str) -> None:
    await env.connect()
    no_jwt = await env.client.get(path, headers={"X-RC-Access-Token": ADMIN_TOKEN})
    assert (no_jwt.status_code, no_jwt.text) == (400, "Invalid request")
    forged = pyjwt.encode({"id": "x", "platform": "sample"}, "y" * 40)
    invalid = await env.client.get(path, params={"jwtToken": forged})
    assert (invalid.status_code, invalid.text) == (400, "User not found")
    ghost = pyjwt.encode({"id": "ghost-sample", "platform": "sample"}, TEST_SECRET)
    unknown = await env.client.get(
        path, headers={"Authorization": f"Bearer {ghost}", "X-RC-Access-Token": ADMIN_TOKEN}
    )
    assert (unknown.status_code, unknown.text) == (400, "User not found")
    agent = await env.client.get(path, headers={**env.auth, "X-RC-Access-Token": AGENT_TOKEN})
    assert (agent.status_code, agent.text) == (403, "Admin validation failed")
    assert env.rc.aggregation_requests == []


async def test_without_the_ringcentral_app_reports_are_empty(
    live_server: Any, fake_crm_factory: FakeCrmFactory
) -> None:
    state = RingCentralState()
    ringcentral = fake_crm_factory(create_ringcentral_admin_app(state))
    server = live_server(ringcentral_server=ringcentral.base_url)
    async with httpx.AsyncClient(base_url=server.url) as client:
        login = await client.post(
            "/apiKeyLogin",
            json={"platform": "sample", "apiKey": "k"},
            headers={"X-RC-Access-Token": ADMIN_TOKEN},
        )
        auth = {"Authorization": f"Bearer {login.json()['jwtToken']}", "X-RC-Access-Token": ADMIN_TOKEN}
        assert (await client.get("/ringcentral/admin/report", headers=auth)).json() == {"callLogStats": {}}
        callback = await client.get(
            "/ringcentral/oauth/callback", params={"code": state.issue_code()}, headers=auth
        )
        assert (callback.status_code, callback.json()) == (
            400,
            {"error": "The RingCentral app is not configured on this server"},
        )
    assert state.token_requests == []
