"""Admin-managed OAuth with Pipedrive end to end (spec platform §3.7).

This server has no Pipedrive client secret of its own (`PIPEDRIVE_CLIENT_SECRET` unset), so a
login or a token refresh can only work through the OAuth client an admin of RingCentral account
9001 configured: staged first, used by the next login of that account, then the account's own.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from appconnect.config import Settings
from appconnect.store import Store
from appconnect.store.models import AccountDataRow, CacheRow
from tests.conftest import TEST_SECRET
from tests.fakes.fixtures import FakeCrmFactory
from tests.fakes.pipedrive import FAKE_REDIRECT_URI, FakePipedrive
from tests.fakes.pipedrive.fixtures import (  # noqa: F401 - fixtures
    PIPEDRIVE_USER_ID,
    fake_pipedrive_fixture,
    pipedrive_env_fixture,
)
from tests.fakes.ringcentral import ACCOUNT_ID, ADMIN_TOKEN, AGENT_TOKEN, create_ringcentral_app

STATE_URL = "/oauthManagedAuthState?platform=pipedrive"


def rc(token: str) -> dict[str, str]:
    return {"X-RC-Access-Token": token}


@pytest.fixture
async def client(
    live_server: Any,
    pipedrive_env: FakePipedrive,
    fake_crm_factory: FakeCrmFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[httpx.AsyncClient]:
    monkeypatch.delenv("PIPEDRIVE_CLIENT_SECRET")
    ringcentral = fake_crm_factory(create_ringcentral_app())
    server = live_server(ssl_cert_file=pipedrive_env.ca_pem_path, ringcentral_server=ringcentral.base_url)
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as opened:
        yield opened


def managed_values(pipedrive: FakePipedrive) -> dict[str, str]:
    return {
        "clientId": pipedrive.state.client_id,
        "clientSecret": pipedrive.state.client_secret,
        "accessTokenUri": f"{pipedrive.oauth_base_url}/oauth/token",
        "redirectUri": FAKE_REDIRECT_URI,
        "scopes": "",  # empty: not kept
    }


async def _login(client: httpx.AsyncClient, pipedrive: FakePipedrive) -> httpx.Response:
    code = pipedrive.state.authorize(PIPEDRIVE_USER_ID)
    return await client.get(
        "/oauth-callback",
        params={
            "callbackUri": f"{FAKE_REDIRECT_URI}?code={code}&state=platform%3Dpipedrive",
            "hostname": pipedrive.hostname,
            "rcAccountId": str(ACCOUNT_ID),
        },
    )


async def _stored_blobs(settings: Settings) -> str:
    store = Store.open(settings.database_url, TEST_SECRET)
    try:
        async with store.database.sessions() as session:
            cache = [row.data for row in (await session.scalars(select(CacheRow))).all()]
            data = [row.data for row in (await session.scalars(select(AccountDataRow))).all()]
        return json.dumps([cache, data])
    finally:
        await store.close()


async def test_a_staged_client_logs_in_becomes_the_accounts_and_refreshes_tokens(
    client: httpx.AsyncClient, pipedrive_env: FakePipedrive, settings: Settings
) -> None:
    secret = pipedrive_env.state.client_secret
    assert (await client.get(STATE_URL, headers=rc(ADMIN_TOKEN))).json() == {
        "isAdmin": True,
        "hasAccountOAuth": False,
        "hasPendingOAuth": False,
    }
    without = await _login(client, pipedrive_env)
    assert "not set up" in without.json()["returnMessage"]["message"]

    staged = await client.post(
        "/admin/managedOAuth/cache", headers=rc(ADMIN_TOKEN), json={"values": managed_values(pipedrive_env)}
    )
    assert (staged.status_code, staged.json()) == (200, {"successful": True})
    admin_view = (await client.get(STATE_URL, headers=rc(ADMIN_TOKEN))).json()
    assert admin_view["hasPendingOAuth"] is True and "scopes" not in admin_view["pendingValues"]
    assert admin_view["pendingValues"]["clientSecret"].startswith("••••••••")
    assert admin_view["pendingValues"]["clientSecret"] != secret
    assert "pendingValues" not in (await client.get(STATE_URL, headers=rc(AGENT_TOKEN))).json()
    assert secret not in await _stored_blobs(settings)  # encrypted at rest

    logged_in = await _login(client, pipedrive_env)
    assert logged_in.status_code == 200, logged_in.text
    auth = {"Authorization": f"Bearer {logged_in.json()['jwtToken']}"}
    agent_view = (await client.get(STATE_URL, headers=rc(AGENT_TOKEN))).json()
    assert agent_view == {
        "isAdmin": False,
        "hasAccountOAuth": True,
        "hasPendingOAuth": False,  # promoted to the account's client
        "oauthValues": {
            k: v for k, v in managed_values(pipedrive_env).items() if k not in ("clientSecret", "scopes")
        },
    }
    assert secret not in await _stored_blobs(settings)

    store = Store.open(settings.database_url, TEST_SECRET)
    try:
        user = await store.users.get(f"{PIPEDRIVE_USER_ID}-pipedrive")
        assert user is not None and user.rc_account_id == str(ACCOUNT_ID)
        await store.users.update_tokens(
            user, access_token=user.access_token, token_expiry=datetime.now(UTC) + timedelta(seconds=30)
        )
    finally:
        await store.close()
    pipedrive_env.state.expire_access_tokens()
    pipedrive_env.clear_requests()
    found = await client.get("/contact", params={"phoneNumber": "+14155550100"}, headers=auth)
    assert found.json()["successful"] is True, found.text
    [refresh] = pipedrive_env.requests_to("POST", "/oauth/token")
    assert "grant_type=refresh_token" in refresh.text


async def test_non_admins_change_nothing_and_admins_can_remove_the_client(
    client: httpx.AsyncClient, pipedrive_env: FakePipedrive, settings: Settings
) -> None:
    values = managed_values(pipedrive_env)
    for method, path, body in (
        ("POST", "/admin/managedOAuth/cache", {"values": values}),
        ("DELETE", "/admin/managedOAuth/cache", None),
        ("DELETE", "/admin/managedOAuth/account?platform=pipedrive", None),
    ):
        kwargs: dict[str, Any] = {} if body is None else {"json": body}
        refused = await client.request(method, path, headers=rc(AGENT_TOKEN), **kwargs)
        assert (refused.status_code, refused.text) == (403, "Admin validation failed")
    assert (await client.get(STATE_URL, headers=rc(ADMIN_TOKEN))).json()["hasPendingOAuth"] is False

    await client.post("/admin/managedOAuth/cache", headers=rc(ADMIN_TOKEN), json={"values": values})
    assert (await _login(client, pipedrive_env)).status_code == 200
    for method, path in (
        ("DELETE", "/admin/managedOAuth/cache"),
        ("DELETE", "/admin/managedOAuth/account?platform=pipedrive"),
    ):
        refused = await client.request(method, path, headers=rc(AGENT_TOKEN))
        assert refused.status_code == 403
    assert (await client.get(STATE_URL, headers=rc(ADMIN_TOKEN))).json()["hasAccountOAuth"] is True

    no_platform = await client.delete("/admin/managedOAuth/account", headers=rc(ADMIN_TOKEN))
    assert (no_platform.status_code, no_platform.text) == (400, "Missing platform name")
    removed = await client.delete("/admin/managedOAuth/account?platform=pipedrive", headers=rc(ADMIN_TOKEN))
    assert (removed.status_code, removed.json()) == (200, {"successful": True})
    assert (await client.get(STATE_URL, headers=rc(ADMIN_TOKEN))).json() == {
        "isAdmin": True,
        "hasAccountOAuth": False,
        "hasPendingOAuth": False,
    }
    assert "not set up" in (await _login(client, pipedrive_env)).json()["returnMessage"]["message"]


async def test_bad_requests_are_refused(client: httpx.AsyncClient) -> None:
    assert (
        await client.get("/oauthManagedAuthState", headers=rc(ADMIN_TOKEN))
    ).text == "Missing platform name"
    assert (await client.get(STATE_URL)).text == "Missing RingCentral access token"
    forged = await client.get(STATE_URL, headers=rc("forged"))
    assert forged.status_code == 400 and "error" in forged.json()
    for values, message in (
        ("text", "values must be an object"),
        ({"clientId": {"nested": 1}}, "values must hold text"),
        ({"unknown": "x", "clientId": ""}, "values must hold at least one OAuth field"),
    ):
        answer = await client.post(
            "/admin/managedOAuth/cache", headers=rc(ADMIN_TOKEN), json={"values": values}
        )
        assert (answer.status_code, answer.json()) == (400, {"error": message})
    missing_token = await client.post("/admin/managedOAuth/cache", json={"values": {"clientId": "x"}})
    assert missing_token.status_code == 400
    assert (await client.get(STATE_URL, headers=rc(ADMIN_TOKEN))).json()["hasPendingOAuth"] is False


async def test_an_expired_staged_client_is_forgotten(
    client: httpx.AsyncClient, pipedrive_env: FakePipedrive, settings: Settings
) -> None:
    await client.post(
        "/admin/managedOAuth/cache", headers=rc(ADMIN_TOKEN), json={"values": managed_values(pipedrive_env)}
    )
    store = Store.open(settings.database_url, TEST_SECRET)
    try:
        async with store.database.transaction() as session:
            row = await session.get(CacheRow, f"{ACCOUNT_ID}-managed-oauth-account")
            assert row is not None
            row.expiry = datetime.now(UTC) - timedelta(seconds=1)
    finally:
        await store.close()
    assert (await client.get(STATE_URL, headers=rc(ADMIN_TOKEN))).json()["hasPendingOAuth"] is False
    assert "not set up" in (await _login(client, pipedrive_env)).json()["returnMessage"]["message"]
