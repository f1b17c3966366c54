"""OAuth sessions end to end: login, logout, token refresh (proactive and after a 401), refresh failures.

The server runs on a real socket against a fake OAuth CRM (`tests.fakes.oauth_crm`) that rotates
refresh tokens, so every refresh the server makes is visible and a second one would fail.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl

import httpx
import jwt as pyjwt
import pytest

from appconnect.config import Settings
from appconnect.connectors.base import ConnectorContext
from appconnect.connectors.registry import ConnectorRegistry
from appconnect.store import Store
from tests.conftest import TEST_SECRET
from tests.fakes.oauth_crm import (
    CLIENT_ID,
    CLIENT_SECRET,
    PLATFORM,
    REDIRECT_URI,
    OAuthCrmConnector,
    OAuthCrmState,
    callback_query,
    create_oauth_crm_app,
    refresh_requests,
)
from tests.fakes.server import FakeCrmServer

ANN = "+14155550100"
USER_ID = f"u-1-{PLATFORM}"
SESSION_EXPIRED = {
    "message": "User session expired. Please connect again.",
    "messageType": "warning",
    "ttl": 5000,
}


@pytest.fixture
def oauth_crm(fake_crm_factory: Any) -> tuple[FakeCrmServer, OAuthCrmState]:
    state = OAuthCrmState()
    return fake_crm_factory(create_oauth_crm_app(state)), state


@pytest.fixture
def server(live_server: Any, oauth_crm: tuple[FakeCrmServer, OAuthCrmState]) -> Any:
    crm, _ = oauth_crm

    def configure(registry: ConnectorRegistry, context: ConnectorContext) -> None:
        registry.register(PLATFORM, OAuthCrmConnector(context, crm.base_url))

    return live_server(configure=configure)


@pytest.fixture
async def store(server: Any, settings: Settings) -> AsyncIterator[Store]:
    """The server's database, opened beside it to check what it stored."""
    opened = Store.open(settings.database_url, TEST_SECRET)
    yield opened
    await opened.close()


async def _login(client: httpx.AsyncClient, state: OAuthCrmState, **extra: str) -> dict[str, str]:
    answer = await client.get(
        "/oauth-callback",
        params={**callback_query(state.issue_code()), **extra},
        headers={"rc-extension-id": "h-ext"},
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['jwtToken']}"}


async def _find_ann(client: httpx.AsyncClient, auth: dict[str, str]) -> httpx.Response:
    return await client.get("/contact", params={"phoneNumber": ANN}, headers=auth)


def _bearer(request: Any) -> str:
    return str(request.headers["authorization"]).removeprefix("Bearer ")


async def test_oauth_login_issues_a_jwt_that_works_on_the_other_routes(
    server: Any, oauth_crm: tuple[FakeCrmServer, OAuthCrmState], store: Store
) -> None:
    crm, state = oauth_crm
    async with httpx.AsyncClient(base_url=server.url) as client:
        code = state.issue_code()
        answer = await client.get(
            "/oauth-callback",
            params=callback_query(code, hostname="127.0.0.1"),
            headers={"rc-extension-id": "hashed-ext-1"},
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["name"] == "Ada Lovelace"
        assert body["returnMessage"] == {
            "message": "Connected to OAuth CRM.",
            "messageType": "success",
            "ttl": 1000,
        }
        claims = pyjwt.decode(body["jwtToken"], TEST_SECRET, algorithms=["HS256"])
        assert claims["id"] == USER_ID and claims["platform"] == PLATFORM
        assert claims["exp"] - claims["iat"] == 1_209_600

        (exchange,) = crm.requests_to("POST", "/oauth/token")
        assert dict(parse_qsl(exchange.text)) == {
            "code": code,
            "grant_type": "authorization_code",
            "redirect_uri": REDIRECT_URI,
        }
        assert exchange.headers["authorization"] == httpx.BasicAuth(CLIENT_ID, CLIENT_SECRET)._auth_header

        auth = {"Authorization": f"Bearer {body['jwtToken']}"}
        found = (await _find_ann(client, auth)).json()
        assert found["successful"] is True and found["contact"][0]["name"] == "Ann Example"
        assert (await client.get("/hostname", headers=auth)).text == "127.0.0.1"
        assert (await client.get("/authValidation", headers=auth)).json() == {
            "successful": True,
            "returnMessage": {"message": "Authentication is valid.", "messageType": "success", "ttl": 1000},
        }
        assert (await client.get("/licenseStatus", headers=auth)).json() == {
            "isLicenseValid": True,
            "licenseStatus": "Basic",
            "licenseStatusDescription": "",
            "userId": USER_ID,
        }

    user = await store.users.get(USER_ID)
    assert user is not None
    assert user.hashed_rc_extension_id == "hashed-ext-1" and user.timezone_name == "Europe/London"
    assert user.access_token in state.access_tokens and user.refresh_token in state.refresh_tokens
    assert user.platform_additional_info == {"crmUserId": "u-1"}


async def test_a_failed_oauth_callback_answers_in_the_contracts_words(
    server: Any, oauth_crm: tuple[FakeCrmServer, OAuthCrmState]
) -> None:
    async with httpx.AsyncClient(base_url=server.url) as client:
        missing = await client.get("/oauth-callback")
        assert (missing.status_code, missing.text) == (400, "Missing callbackUri")
        no_platform = await client.get("/oauth-callback", params={"callbackUri": f"{REDIRECT_URI}?code=x"})
        assert (no_platform.status_code, no_platform.text) == (400, "Missing platform name")
        bad_code = await client.get("/oauth-callback", params=callback_query("not-a-code"))
        assert bad_code.status_code == 400
        assert bad_code.json() == {"error": "invalid_grant (fake CRM)"}
        wrong_path = await client.get(
            "/oauth-callback",
            params={"callbackUri": f"https://client.example.com/other?code=x&state=platform%3D{PLATFORM}"},
        )
        assert wrong_path.json() == {"error": "Redirected path should match configured path, but got: /other"}


async def test_logout_revokes_at_the_crm_and_later_calls_are_refused(
    server: Any, oauth_crm: tuple[FakeCrmServer, OAuthCrmState], store: Store
) -> None:
    crm, state = oauth_crm
    async with httpx.AsyncClient(base_url=server.url) as client:
        auth = await _login(client, state)
        token = (await store.users.get(USER_ID)).access_token  # type: ignore[union-attr]
        logout = await client.post("/unAuthorize", headers=auth)
        assert logout.status_code == 200
        assert logout.json() == {"message": "Logged out of OAuth CRM", "messageType": "success", "ttl": 1000}
        assert state.revoked == [token]
        contacts_before = len(crm.requests_to("GET", "/contacts"))
        after = await _find_ann(client, auth)
        assert after.status_code == 200 and after.json()["successful"] is False
        assert len(crm.requests_to("GET", "/contacts")) == contacts_before  # nothing was sent to the CRM
    user = await store.users.get(USER_ID)
    assert user is not None and not user.access_token and user.refresh_token is None


async def test_an_expired_token_is_refreshed_saved_and_the_call_goes_through(
    server: Any, oauth_crm: tuple[FakeCrmServer, OAuthCrmState], store: Store
) -> None:
    crm, state = oauth_crm
    state.login_expires_in = 60  # inside the two-minute margin: due for a refresh
    async with httpx.AsyncClient(base_url=server.url) as client:
        auth = await _login(client, state)
        before = await store.users.get(USER_ID)
        assert before is not None
        found = await _find_ann(client, auth)
        assert found.json()["successful"] is True
        (refresh,) = refresh_requests(crm)
        assert dict(parse_qsl(refresh.text)) == {
            "refresh_token": before.refresh_token,
            "grant_type": "refresh_token",
        }
        after = await store.users.get(USER_ID)
        assert after is not None and after.access_token != before.access_token
        assert _bearer(crm.requests_to("GET", "/contacts")[-1]) == after.access_token
        assert (await _find_ann(client, auth)).json()["successful"] is True
    assert len(refresh_requests(crm)) == 1  # the new token is good for an hour


async def test_a_401_from_the_crm_refreshes_the_token_and_retries_the_call_once(
    server: Any, oauth_crm: tuple[FakeCrmServer, OAuthCrmState], store: Store
) -> None:
    crm, state = oauth_crm
    async with httpx.AsyncClient(base_url=server.url) as client:
        auth = await _login(client, state)
        state.expire((await store.users.get(USER_ID)).access_token)  # type: ignore[arg-type, union-attr]
        found = await _find_ann(client, auth)
        assert found.status_code == 200 and found.json()["successful"] is True
        assert len(refresh_requests(crm)) == 1
        first, retry = crm.requests_to("GET", "/contacts")
        assert _bearer(first) != _bearer(retry)

        # A create answered 401 is refreshed and retried once too: one activity, one linkage.
        state.expire((await store.users.get(USER_ID)).access_token)  # type: ignore[arg-type, union-attr]
        log_info = {
            "sessionId": "s-401",
            "direction": "Inbound",
            "from": {"phoneNumber": ANN},
            "duration": 30,
        }
        created = await client.post("/callLog", headers=auth, json={"logInfo": log_info, "contactId": "7"})
        assert created.json()["successful"] is True
        assert len(state.activities) == 1 and len(refresh_requests(crm)) == 2


async def test_twenty_concurrent_requests_on_an_expired_token_make_one_refresh(
    server: Any, oauth_crm: tuple[FakeCrmServer, OAuthCrmState]
) -> None:
    crm, state = oauth_crm
    state.login_expires_in = 60
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
        auth = await _login(client, state)
        crm.faults.latency(0.3, method="POST", path="/oauth/token")  # keep the refresh in flight a while
        answers = await asyncio.gather(*(_find_ann(client, auth) for _ in range(20)))
    assert [answer.status_code for answer in answers] == [200] * 20
    assert all(answer.json()["successful"] is True for answer in answers)
    assert len(refresh_requests(crm)) == 1
    assert len({_bearer(request) for request in crm.requests_to("GET", "/contacts")}) == 1


async def test_a_refused_refresh_asks_to_reconnect_and_keeps_the_stored_credentials(
    server: Any, oauth_crm: tuple[FakeCrmServer, OAuthCrmState], store: Store
) -> None:
    crm, state = oauth_crm
    state.login_expires_in = 60
    async with httpx.AsyncClient(base_url=server.url) as client:
        auth = await _login(client, state)
        before = await store.users.get(USER_ID)
        crm.faults.add(400, body={"error": "invalid_grant"}, method="POST", path="/oauth/token", times=1)
        refused = await _find_ann(client, auth)
        assert refused.status_code == 401
        assert refused.json() == {
            "successful": False,
            "returnMessage": SESSION_EXPIRED,
            "errorCode": "CRM_SESSION_REVOKED",
        }
        assert await store.users.get(USER_ID) == before  # nothing lost
        assert crm.requests_to("GET", "/contacts") == []
        # The refresh token was kept, so a later try (the CRM accepting it again) succeeds.
        later = await _find_ann(client, auth)
        assert later.status_code == 200 and later.json()["successful"] is True


async def test_a_token_endpoint_outage_is_a_temporary_failure_not_a_logout(
    server: Any, oauth_crm: tuple[FakeCrmServer, OAuthCrmState], store: Store
) -> None:
    crm, state = oauth_crm
    state.login_expires_in = 60
    async with httpx.AsyncClient(base_url=server.url) as client:
        auth = await _login(client, state)
        before = await store.users.get(USER_ID)
        crm.faults.add(503, method="POST", path="/oauth/token", times=1)
        failed = await _find_ann(client, auth)
        assert failed.status_code == 200
        assert failed.json()["successful"] is False
        assert failed.json()["returnMessage"]["message"] == "Error finding contact"
        assert await store.users.get(USER_ID) == before
        assert (await _find_ann(client, auth)).json()["successful"] is True
