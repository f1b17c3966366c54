"""User settings, admin settings and admin-managed login values, over a real socket.

RingCentral is a fake (`tests.fakes.ringcentral`): the admin token's extension has admin rights,
the agent token's does not, both in account 9001.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from types import MappingProxyType
from typing import Any, ClassVar, NoReturn

import httpx
import pytest

from appconnect.config import Settings
from appconnect.connectors.base import BaseConnector, ConnectorContext, LogsIn
from appconnect.connectors.inputs import CreateCallLogInput, GetUserInfoInput, UpdateCallLogInput
from appconnect.connectors.registry import ConnectorRegistry
from appconnect.connectors.types import AuthType, PlatformUserInfo, ReturnMessage, UserInfoResult
from appconnect.security import hash_id
from appconnect.store import Store
from tests.conftest import TEST_HASH_KEY, TEST_SECRET
from tests.fakes.fixtures import FakeCrmFactory
from tests.fakes.ringcentral import (
    ACCOUNT_ID,
    ADMIN_TOKEN,
    AGENT_EXTENSION_ID,
    AGENT_TOKEN,
    OTHER_ACCOUNT_ADMIN_TOKEN,
    create_ringcentral_app,
)
from tests.fakes.server import FakeCrmServer

HASHED_ACCOUNT = hash_id(ACCOUNT_ID, TEST_HASH_KEY)
AGENT_KEY = "agent-api-key-0001"


class ManagedCrm(BaseConnector, LogsIn):
    """An API-key connector whose login needs an API key (per user) and a tenant (per account)."""

    name = "managedcrm"
    auth_type = AuthType.API_KEY
    manifest = MappingProxyType(
        {
            "name": "managedcrm",
            "auth": {
                "type": "apiKey",
                "apiKey": {
                    "page": {
                        "content": [
                            {"const": "apiKey", "required": True, "managed": True, "managedScope": "user"},
                            {
                                "const": "tenantId",
                                "required": True,
                                "managed": True,
                                "managedScope": "account",
                            },
                        ]
                    }
                },
            },
        }
    )
    logins: ClassVar[list[dict[str, Any]]] = []

    async def get_user_info(self, login: GetUserInfoInput, /) -> UserInfoResult:
        additional_info = login.additional_info
        self.logins.append(dict(additional_info))
        if additional_info.get("tenantId") != "acme" or not str(additional_info.get("apiKey", "")).endswith(
            "0001"
        ):
            return UserInfoResult(successful=False, return_message=ReturnMessage("Wrong key", "warning"))
        user_id = f"{additional_info['apiKey']}-managedcrm"
        return UserInfoResult(
            successful=True, platform_user_info=PlatformUserInfo(id=user_id, name="Managed")
        )

    async def create_call_log(self, call: CreateCallLogInput, /) -> NoReturn:
        raise NotImplementedError

    async def update_call_log(self, call: UpdateCallLogInput, /) -> NoReturn:
        raise NotImplementedError


@pytest.fixture
def ringcentral(fake_crm_factory: FakeCrmFactory) -> FakeCrmServer:
    return fake_crm_factory(create_ringcentral_app())


@pytest.fixture
def server(live_server: Any, ringcentral: FakeCrmServer) -> Any:
    ManagedCrm.logins = []

    def configure(registry: ConnectorRegistry, context: ConnectorContext) -> None:
        registry.register("managedcrm", ManagedCrm(context))

    return live_server(configure=configure, ringcentral_server=ringcentral.base_url)


@pytest.fixture
async def client(server: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url) as opened:
        yield opened


@pytest.fixture
async def store(server: Any, settings: Settings) -> AsyncIterator[Store]:
    opened = Store.open(settings.database_url, TEST_SECRET)
    yield opened
    await opened.close()


def rc(token: str) -> dict[str, str]:
    return {"X-RC-Access-Token": token}


async def sample_login(client: httpx.AsyncClient, rc_token: str, api_key: str) -> dict[str, str]:
    answer = await client.post(
        "/apiKeyLogin", json={"platform": "sample", "apiKey": api_key}, headers=rc(rc_token)
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['jwtToken']}"}


async def test_user_settings_round_trip(client: httpx.AsyncClient) -> None:
    auth = await sample_login(client, AGENT_TOKEN, "agent-key")
    saved = await client.post(
        "/user/settings",
        headers=auth,
        json={"userSettings": {"theme": {"value": "dark"}, "autoLog": {"value": True}, "old": {"value": 1}}},
    )
    assert saved.json() == {
        "userSettings": {"theme": {"value": "dark"}, "autoLog": {"value": True}, "old": {"value": 1}}
    }
    removed = await client.post(
        "/user/settings",
        headers=auth,
        json={"userSettings": {"theme": {"value": "light"}}, "settingKeysToRemove": ["old"]},
    )
    assert removed.json() == {"userSettings": {"theme": {"value": "light"}, "autoLog": {"value": True}}}
    assert (await client.get("/user/settings", headers=auth)).json() == {
        "theme": {"value": "light"},
        "autoLog": {"value": True},
    }
    not_a_map = await client.post("/user/settings", headers=auth, json={"userSettings": "dark"})
    assert not_a_map.status_code == 400


async def test_admin_settings_override_and_hide_user_settings(
    client: httpx.AsyncClient, store: Store
) -> None:
    auth = await sample_login(client, AGENT_TOKEN, "agent-key")
    await client.post(
        "/user/settings",
        headers=auth,
        json={
            "userSettings": {
                "recording": {"value": "user-choice", "defaultValue": "u"},
                "locale": {"value": "fr-FR", "options": ["fr-FR"]},
                "legacy": {"value": "mine"},
                "theme": {"value": "dark"},
            }
        },
    )
    admin_settings = {
        "recording": {"value": "admin-required", "customizable": False, "defaultValue": "a"},
        "locale": {"value": "en-US", "customizable": True},
        "legacy": {"value": "gone", "isRemoved": True},
        "adminOnly": {"value": 42, "customizable": False},
    }
    updated = await client.post(
        "/admin/settings",
        headers=rc(ADMIN_TOKEN),
        json={"adminSettings": {"userSettings": admin_settings, "adminAccessToken": "smuggled"}},
    )
    assert (updated.status_code, updated.text) == (200, "Admin settings updated")

    expected = {
        "recording": {"value": "admin-required", "customizable": False, "defaultValue": "a"},
        "locale": {"customizable": True, "value": "fr-FR", "options": ["fr-FR"]},
        "adminOnly": {"value": 42, "customizable": False},
        "theme": {"customizable": True, "value": "dark"},
    }
    by_token = await client.get("/user/settings", headers={**auth, **rc(AGENT_TOKEN)})
    assert by_token.json() == expected
    by_account = await client.get("/user/settings", headers=auth, params={"rcAccountId": HASHED_ACCOUNT})
    assert by_account.json() == expected
    without_account = await client.get("/user/settings", headers=auth)
    assert "legacy" in without_account.json()  # no account given: the user's own map

    preload = await client.get("/user/preloadSettings", headers=rc(AGENT_TOKEN))
    assert preload.json() == {"userSettings": admin_settings}
    assert (await client.get("/user/preloadSettings")).text == "Cannot find rc user login"

    read = (await client.get("/admin/settings", headers={**auth, **rc(ADMIN_TOKEN)})).json()
    assert read["id"] == HASHED_ACCOUNT and read["userSettings"] == admin_settings
    assert not any(key.startswith("admin") for key in read)  # RingCentral admin tokens never leave
    other = await client.get("/admin/settings", headers={**auth, **rc(OTHER_ACCOUNT_ADMIN_TOKEN)})
    assert other.json() == {"customConnector": None, "userSettings": {}}


async def test_a_non_admin_is_refused_the_admin_routes(client: httpx.AsyncClient) -> None:
    auth = await sample_login(client, AGENT_TOKEN, "agent-key")
    refused = [
        await client.post(
            "/admin/settings", headers=rc(AGENT_TOKEN), json={"adminSettings": {"userSettings": {}}}
        ),
        await client.get("/admin/settings", headers={**auth, **rc(AGENT_TOKEN)}),
        await client.get("/admin/managedAuth", headers={**auth, **rc(AGENT_TOKEN)}),
        await client.post(
            "/admin/managedAuth", headers={**auth, **rc(AGENT_TOKEN)}, json={"values": {"x": "y"}}
        ),
    ]
    assert [(answer.status_code, answer.text) for answer in refused] == [(403, "Admin validation failed")] * 4
    rejected_token = await client.post(
        "/admin/settings", headers=rc("forged"), json={"adminSettings": {"userSettings": {}}}
    )
    assert rejected_token.status_code == 400 and "error" in rejected_token.json()
    no_session = await client.get("/admin/settings", headers=rc(ADMIN_TOKEN))
    assert (no_session.status_code, no_session.text) == (
        400,
        "Please go to Settings and authorize CRM platform",
    )


async def test_admin_managed_login_values_are_encrypted_masked_and_used_at_login(
    client: httpx.AsyncClient, store: Store
) -> None:
    state = await client.get(
        "/apiKeyManagedAuthState", params={"platform": "managedcrm"}, headers=rc(AGENT_TOKEN)
    )
    assert state.json() == {
        "hasManagedAuth": True,
        "allRequiredFieldsSatisfied": False,
        "visibleFieldConsts": ["apiKey", "tenantId"],
        "missingRequiredFieldConsts": ["apiKey", "tenantId"],
        "fallbackToManualAuth": False,
    }
    # The admin logs in typing the values: the managed ones are kept for the account.
    admin_login = await client.post(
        "/apiKeyLogin",
        headers=rc(ADMIN_TOKEN),
        json={"platform": "managedcrm", "additionalInfo": {"apiKey": "admin-key-0001", "tenantId": "acme"}},
    )
    assert admin_login.status_code == 200, admin_login.text
    admin_auth = {"Authorization": f"Bearer {admin_login.json()['jwtToken']}", **rc(ADMIN_TOKEN)}
    assigned = await client.post(
        "/admin/managedAuth",
        headers=admin_auth,
        json={
            "scope": "user",
            "rcExtensionId": str(AGENT_EXTENSION_ID),
            "rcUserName": "Alan",
            "values": {"apiKey": AGENT_KEY},
        },
    )
    assert (assigned.status_code, assigned.text) == (200, "Shared authentication updated")
    no_extension = await client.post(
        "/admin/managedAuth", headers=admin_auth, json={"scope": "user", "values": {}}
    )
    assert no_extension.json() == {"error": "rcExtensionId is required for user managed auth values"}

    view = (await client.get("/admin/managedAuth", headers=admin_auth)).json()
    assert view["hasManagedAuth"] is True
    assert [field["const"] for field in view["orgFields"]] == ["tenantId"]
    assert view["orgValues"] == {"tenantId": {"hasValue": True, "value": "••••••••"}}
    agent_entry = next(
        entry for entry in view["userValues"] if entry["rcExtensionId"] == str(AGENT_EXTENSION_ID)
    )
    assert agent_entry == {
        "rcExtensionId": "102",
        "rcUserName": "Alan",
        "fields": {"apiKey": {"hasValue": True, "value": "••••••••0001"}},
    }
    stored = json.dumps(
        [
            await store.account_data.get(str(ACCOUNT_ID), "managedcrm", key)
            for key in await store.account_data.keys(str(ACCOUNT_ID), "managedcrm")
        ]
    )
    assert "acme" not in stored and AGENT_KEY not in stored and "admin-key-0001" not in stored

    # The admin page sends the masked value back unchanged: the real one stays.
    await client.post(
        "/admin/managedAuth",
        headers=admin_auth,
        json={"scope": "user", "rcExtensionId": "102", "values": {"apiKey": "••••••••0001"}},
    )
    state = await client.get(
        "/apiKeyManagedAuthState", params={"platform": "managedcrm"}, headers=rc(AGENT_TOKEN)
    )
    assert state.json()["allRequiredFieldsSatisfied"] is True

    # The agent types nothing: the managed values log them in.
    agent_login = await client.post(
        "/apiKeyLogin", headers=rc(AGENT_TOKEN), json={"platform": "managedcrm", "additionalInfo": {}}
    )
    assert agent_login.status_code == 200, agent_login.text
    assert ManagedCrm.logins[-1] == {"apiKey": AGENT_KEY, "tenantId": "acme"}
    user = await store.users.get(f"{AGENT_KEY}-managedcrm")
    assert user is not None and user.rc_account_id == str(ACCOUNT_ID) and user.access_token == AGENT_KEY


async def test_a_failed_managed_login_lets_the_user_type_the_values_next_time(
    client: httpx.AsyncClient,
) -> None:
    admin_login = await client.post(
        "/apiKeyLogin",
        headers=rc(ADMIN_TOKEN),
        json={"platform": "managedcrm", "additionalInfo": {"apiKey": "admin-key-0001", "tenantId": "acme"}},
    )
    admin_auth = {"Authorization": f"Bearer {admin_login.json()['jwtToken']}", **rc(ADMIN_TOKEN)}
    await client.post(
        "/admin/managedAuth",
        headers=admin_auth,
        json={"scope": "user", "rcExtensionId": "102", "values": {"apiKey": "stale-key-9999"}},
    )
    failed = await client.post(
        "/apiKeyLogin", headers=rc(AGENT_TOKEN), json={"platform": "managedcrm", "additionalInfo": {}}
    )
    assert failed.status_code == 400 and failed.json()["returnMessage"]["message"] == "Wrong key"
    state = await client.get(
        "/apiKeyManagedAuthState", params={"platform": "managedcrm"}, headers=rc(AGENT_TOKEN)
    )
    assert state.json()["fallbackToManualAuth"] is True
    typed = await client.post(
        "/apiKeyLogin",
        headers=rc(AGENT_TOKEN),
        json={"platform": "managedcrm", "additionalInfo": {"apiKey": AGENT_KEY}},
    )
    assert typed.status_code == 200, typed.text
    assert ManagedCrm.logins[-1] == {"apiKey": AGENT_KEY, "tenantId": "acme"}
    missing = await client.post(
        "/apiKeyLogin", headers=rc(OTHER_ACCOUNT_ADMIN_TOKEN), json={"platform": "managedcrm"}
    )
    assert missing.status_code == 400
    assert missing.json()["returnMessage"]["missingRequiredFieldConsts"] == ["apiKey", "tenantId"]


async def test_session_utility_routes(client: httpx.AsyncClient) -> None:
    assert (await client.get("/licenseStatus")).json() == {
        "isLicenseValid": False,
        "licenseStatus": "Invalid (Invalid user session)",
        "licenseStatusDescription": "",
    }
    assert (await client.get("/licenseStatus", params={"jwtToken": "bad"})).text == "Invalid JWT token"
    auth = await sample_login(client, AGENT_TOKEN, "agent-key")
    assert (await client.get("/licenseStatus", headers=auth)).json()["licenseStatus"] == (
        "Invalid (Connect to get license status)"
    )
    assert (await client.get("/hostname", headers=auth)).text == ""
    assert (await client.get("/hostname")).text == "Please go to Settings and authorize CRM platform"
    assert (await client.get("/hostname", params={"jwtToken": "bad"})).text == "User not found"
    hashes = (await client.get("/userInfoHash", params={"extensionId": "101", "accountId": "9001"})).json()
    assert hashes == {
        "extensionId": hash_id("101", TEST_HASH_KEY),
        "accountId": hash_id("9001", TEST_HASH_KEY),
    }
    assert (await client.get("/userInfoHash")).json()["accountId"] == hash_id(None, TEST_HASH_KEY)
    assert (await client.post("/user/refreshInfo", headers=auth)).json() == {"successful": True}
    assert (await client.post("/user/refreshInfo", params={"jwtToken": "bad"})).text == "Invalid JWT token"
    assert (await client.get("/authValidation", params={"jwtToken": "bad"})).text == "Invalid JWT token"
    logout = await client.post("/unAuthorize", headers=auth)
    assert logout.json() == {"message": "Logged out of Sample CRM", "messageType": "success", "ttl": 1000}
    assert (await client.get("/contact", params={"phoneNumber": "+14155550100"}, headers=auth)).json()[
        "successful"
    ] is False
