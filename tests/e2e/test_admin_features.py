"""Server-side logging settings, managed-auth options, and admin rights on every /admin/* route.

RingCentral is the fake (`tests.fakes.ringcentral`): the admin token has admin rights, the agent
token has not, both in account 9001. The CRM is `AdminCrm` below, an API-key connector that keeps
its server-side logging settings and answers dynamic managed-field options.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any, ClassVar, NoReturn

import httpx
import jwt as pyjwt
import pytest

from appconnect.config import Settings
from appconnect.connectors.base import (
    BaseConnector,
    ConnectorContext,
    ListsUsers,
    LogsIn,
    LogsServerSide,
    OffersManagedAuthOptions,
)
from appconnect.connectors.inputs import (
    CreateCallLogInput,
    CrmInput,
    GetUserInfoInput,
    ManagedAuthOptionsInput,
    ServerLoggingSettingsInput,
    UpdateCallLogInput,
    UpdateServerLoggingSettingsInput,
)
from appconnect.connectors.registry import ConnectorRegistry
from appconnect.connectors.types import AuthType, CrmUser, Option, PlatformUserInfo, UserInfoResult
from appconnect.security import hash_id
from appconnect.store import Store
from tests.conftest import TEST_HASH_KEY, TEST_SECRET
from tests.fakes.fixtures import FakeCrmFactory
from tests.fakes.ringcentral import ACCOUNT_ID, ADMIN_TOKEN, AGENT_TOKEN, create_ringcentral_app

HASHED_ACCOUNT = hash_id(ACCOUNT_ID, TEST_HASH_KEY)
FAILED = {
    "successful": False,
    "returnMessage": {
        "messageType": "warning",
        "message": "Server logging settings update failed",
        "ttl": 5000,
    },
}


class AdminCrm(BaseConnector, LogsIn, LogsServerSide, OffersManagedAuthOptions, ListsUsers):
    name = "admincrm"
    auth_type = AuthType.API_KEY
    manifest = MappingProxyType(
        {
            "name": "admincrm",
            "auth": {
                "type": "apiKey",
                "apiKey": {
                    "page": {
                        "content": [
                            {"const": "apiKey", "required": True},
                            {"const": "tenantId", "managed": True, "managedScope": "account"},
                            {
                                "const": "crmUserId",
                                "managed": True,
                                "managedScope": "user",
                                "managedFieldType": "dynamic",
                            },
                            {"const": "region", "managed": True, "managedScope": "user"},
                        ]
                    }
                },
            },
        }
    )
    settings_by_user: ClassVar[dict[str, dict[str, Any]]] = {}
    option_calls: ClassVar[list[dict[str, Any]]] = []
    options_answer: ClassVar[Any] = None

    async def get_user_info(self, login: GetUserInfoInput, /) -> UserInfoResult:
        return UserInfoResult(
            successful=True, platform_user_info=PlatformUserInfo(id=f"{login.api_key}-admincrm", name="Admin")
        )

    async def get_server_logging_settings(self, query: ServerLoggingSettingsInput, /) -> Mapping[str, Any]:
        return self.settings_by_user.get(query.user.id, {"activityOwner": "agent"})

    async def update_server_logging_settings(
        self, change: UpdateServerLoggingSettingsInput, /
    ) -> Mapping[str, Any]:
        if change.additional_field_values.get("explode"):
            raise RuntimeError("the CRM refused")
        self.settings_by_user[change.user.id] = dict(change.additional_field_values)
        return {
            "successful": True,
            "returnMessage": {"message": "Saved", "messageType": "success", "ttl": 2000},
        }

    async def get_managed_auth_options(self, query: ManagedAuthOptionsInput, /) -> Sequence[Option]:
        self.option_calls.append({"field": query.field_const, "values": dict(query.account_values)})
        if self.options_answer is not None:
            answer: Sequence[Option] = self.options_answer
            return answer
        tenant = query.account_values.get("tenantId")
        return [Option(value=101, label=f"Ada ({tenant})"), Option(value="u-102", label="Grace")]

    async def get_user_list(self, admin: CrmInput, /) -> Sequence[CrmUser]:
        return [CrmUser(id=1, name="Ada Admin", email="ada@example.test")]

    async def create_call_log(self, call: CreateCallLogInput, /) -> NoReturn:
        raise NotImplementedError

    async def update_call_log(self, call: UpdateCallLogInput, /) -> NoReturn:
        raise NotImplementedError


@pytest.fixture
async def client(live_server: Any, fake_crm_factory: FakeCrmFactory) -> AsyncIterator[httpx.AsyncClient]:
    AdminCrm.settings_by_user = {}
    AdminCrm.option_calls = []
    AdminCrm.options_answer = None
    ringcentral = fake_crm_factory(create_ringcentral_app())

    def configure(registry: ConnectorRegistry, context: ConnectorContext) -> None:
        registry.register("admincrm", AdminCrm(context))

    server = live_server(configure=configure, ringcentral_server=ringcentral.base_url)
    async with httpx.AsyncClient(base_url=server.url) as opened:
        yield opened


async def login(client: httpx.AsyncClient, api_key: str = "admin-key") -> dict[str, str]:
    answer = await client.post(
        "/apiKeyLogin",
        json={"platform": "admincrm", "apiKey": api_key},
        headers={"X-RC-Access-Token": ADMIN_TOKEN},
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['jwtToken']}"}


def rc(token: str) -> dict[str, str]:
    return {"X-RC-Access-Token": token}


# -- server-side logging settings -----------------------------------------------------------------
async def test_server_logging_settings_round_trip(client: httpx.AsyncClient) -> None:
    auth = await login(client)
    first = await client.get("/admin/serverLoggingSettings", headers={**auth, **rc(ADMIN_TOKEN)})
    assert (first.status_code, first.json()) == (200, {"activityOwner": "agent"})
    saved = await client.post(
        "/admin/serverLoggingSettings",
        headers={**auth, **rc(ADMIN_TOKEN)},
        json={"additionalFieldValues": {"activityOwner": "admin"}},
    )
    assert saved.json() == {
        "successful": True,
        "returnMessage": {"message": "Saved", "messageType": "success", "ttl": 2000},
    }
    read = await client.get("/admin/serverLoggingSettings", headers={**auth, **rc(ADMIN_TOKEN)})
    assert read.json() == {"activityOwner": "admin"}


async def test_server_logging_settings_refuse_bad_requests(client: httpx.AsyncClient) -> None:
    auth = {**(await login(client)), **rc(ADMIN_TOKEN)}
    missing = await client.post("/admin/serverLoggingSettings", headers=auth, json={})
    assert (missing.status_code, missing.text) == (400, "Missing additionalFieldValues")
    for values in ("not an object", {"explode": True}):
        failed = await client.post(
            "/admin/serverLoggingSettings", headers=auth, json={"additionalFieldValues": values}
        )
        assert (failed.status_code, failed.json()) == (400, FAILED)
    assert AdminCrm.settings_by_user == {}
    ghost = pyjwt.encode({"id": "ghost-admincrm", "platform": "admincrm"}, TEST_SECRET)
    unknown = await client.get("/admin/serverLoggingSettings", headers={"Authorization": f"Bearer {ghost}"})
    assert (unknown.status_code, unknown.text) == (400, "User not found")


PLEASE_AUTHORIZE = "Please go to Settings and authorize CRM platform"


@pytest.mark.parametrize("falsy", [None, "", 0, False])
async def test_server_logging_settings_treat_falsy_values_as_missing(
    client: httpx.AsyncClient, falsy: object
) -> None:
    auth = {**(await login(client)), **rc(ADMIN_TOKEN)}
    answer = await client.post(
        "/admin/serverLoggingSettings", headers=auth, json={"additionalFieldValues": falsy}
    )
    assert (answer.status_code, answer.text) == (400, "Missing additionalFieldValues")
    assert AdminCrm.settings_by_user == {}


async def test_server_logging_settings_check_the_body_before_verifying_a_query_token(
    client: httpx.AsyncClient,
) -> None:
    """The reference's order on POST: a token was sent, then additionalFieldValues, then the token
    is verified, then the user is looked up."""
    values = {"additionalFieldValues": {"activityOwner": "admin"}}
    route = "/admin/serverLoggingSettings"
    cases: list[tuple[str, dict[str, str], dict[str, Any] | None, str]] = [
        ("no token, no values", {}, {}, PLEASE_AUTHORIZE),
        ("no token, values", {}, values, PLEASE_AUTHORIZE),
        ("invalid query token, no values", {"jwtToken": "not-a-jwt"}, {}, "Missing additionalFieldValues"),
        ("invalid query token, values", {"jwtToken": "not-a-jwt"}, values, PLEASE_AUTHORIZE),
        (
            "invalid query token, no body at all",
            {"jwtToken": "not-a-jwt"},
            None,
            "Missing additionalFieldValues",
        ),
    ]
    for label, params, body, text in cases:
        answer = await client.post(route, params=params, json=body, headers=rc(ADMIN_TOKEN))
        assert (answer.status_code, answer.text) == (400, text), label
    # An invalid Authorization header counts as no token at all (spec platform §2.2).
    bad_header = {"Authorization": "Bearer not-a-jwt", **rc(ADMIN_TOKEN)}
    answer = await client.post(route, headers=bad_header, json={})
    assert (answer.status_code, answer.text) == (400, PLEASE_AUTHORIZE)
    ghost = pyjwt.encode({"id": "ghost-admincrm", "platform": "admincrm"}, TEST_SECRET)
    for body, text in (({}, "Missing additionalFieldValues"), (values, "User not found")):
        answer = await client.post(route, params={"jwtToken": ghost}, json=body, headers=rc(ADMIN_TOKEN))
        assert (answer.status_code, answer.text) == (400, text)
    assert AdminCrm.settings_by_user == {}


async def test_a_connector_without_server_logging_answers_empty(client: httpx.AsyncClient) -> None:
    answer = await client.post("/apiKeyLogin", json={"platform": "sample", "apiKey": "k"})
    auth = {"Authorization": f"Bearer {answer.json()['jwtToken']}", **rc(ADMIN_TOKEN)}
    assert (await client.get("/admin/serverLoggingSettings", headers=auth)).json() == {}
    posted = await client.post(
        "/admin/serverLoggingSettings", headers=auth, json={"additionalFieldValues": {"a": 1}}
    )
    assert (posted.status_code, posted.json()) == (200, {})
    mapped = await client.post("/admin/userMapping", headers=auth, json={"rcExtensionList": []})
    assert (mapped.status_code, mapped.json()) == (200, [])


# -- managed-auth options -------------------------------------------------------------------------
async def test_dynamic_field_options_use_stored_and_transient_account_values(
    client: httpx.AsyncClient,
) -> None:
    auth = {**(await login(client)), **rc(ADMIN_TOKEN)}
    stored = await client.post(
        "/admin/managedAuth", headers=auth, json={"scope": "org", "values": {"tenantId": "acme"}}
    )
    assert stored.status_code == 200, stored.text
    url = "/admin/managedAuth/options?platform=admincrm"
    answer = await client.post(url, headers=rc(ADMIN_TOKEN), json={"fieldConst": "crmUserId"})
    assert answer.json() == [{"value": "101", "label": "Ada (acme)"}, {"value": "u-102", "label": "Grace"}]
    transient = await client.post(
        url, headers=rc(ADMIN_TOKEN), json={"fieldConst": "crmUserId", "accountValues": {"tenantId": "beta"}}
    )
    assert transient.json()[0]["label"] == "Ada (beta)"
    assert AdminCrm.option_calls == [
        {"field": "crmUserId", "values": {"tenantId": "acme"}},
        {"field": "crmUserId", "values": {"tenantId": "beta"}},
    ]
    again = await client.post(url, headers=rc(ADMIN_TOKEN), json={"fieldConst": "crmUserId"})
    assert again.json()[0]["label"] == "Ada (acme)"  # the transient value was not stored


@pytest.mark.parametrize(
    ("query", "body", "status", "answer"),
    [
        ("", {"fieldConst": "crmUserId"}, 400, "Missing platform name"),
        ("?platform=admincrm", {}, 400, "Missing managed auth field"),
        (
            "?platform=admincrm",
            {"fieldConst": "region"},
            400,
            {"error": 'Managed auth field "region" is not a dynamic user field'},
        ),
        (
            "?platform=admincrm",
            {"fieldConst": "tenantId"},
            400,
            {"error": 'Managed auth field "tenantId" is not a dynamic user field'},
        ),
        (
            "?platform=admincrm",
            {"fieldConst": "crmUserId", "accountValues": [1]},
            400,
            {"error": "accountValues must be an object"},
        ),
        (
            "?platform=sample",
            {"fieldConst": "crmUserId"},
            400,
            {"error": 'Managed auth field "crmUserId" is not a dynamic user field'},
        ),
    ],
)
async def test_bad_option_requests_are_refused(
    client: httpx.AsyncClient, query: str, body: dict[str, Any], status: int, answer: Any
) -> None:
    response = await client.post(f"/admin/managedAuth/options{query}", headers=rc(ADMIN_TOKEN), json=body)
    got = response.json() if isinstance(answer, dict) else response.text
    assert (response.status_code, got) == (status, answer)
    assert AdminCrm.option_calls == []


@pytest.mark.parametrize(
    ("returned", "message"),
    [
        ({"not": "a list"}, "getManagedAuthOptions must return an array"),
        (
            [Option(value=1, label="ok"), {"value": 2, "label": "raw dict"}],
            "getManagedAuthOptions returned an invalid option at index 1",
        ),
        ([Option(value=True, label="bool")], "getManagedAuthOptions returned an invalid option at index 0"),
    ],
)
async def test_a_connector_returning_bad_options_is_a_clear_error(
    client: httpx.AsyncClient, returned: Any, message: str
) -> None:
    AdminCrm.options_answer = returned
    response = await client.post(
        "/admin/managedAuth/options?platform=admincrm",
        headers=rc(ADMIN_TOKEN),
        json={"fieldConst": "crmUserId"},
    )
    assert (response.status_code, response.json()) == (400, {"error": message})


# -- admin rights on every /admin/* route ---------------------------------------------------------
ADMIN_ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("POST", "/admin/settings", {"adminSettings": {"userSettings": {"x": {"value": 1}}}}),
    ("GET", "/admin/settings", None),
    ("GET", "/admin/managedAuth", None),
    ("POST", "/admin/managedAuth", {"scope": "org", "values": {"tenantId": "evil"}}),
    ("POST", "/admin/managedAuth/options?platform=admincrm", {"fieldConst": "crmUserId"}),
    ("POST", "/admin/userMapping", {"rcExtensionList": [{"id": 1, "email": "ada@example.test"}]}),
    ("POST", "/admin/reinitializeUserMapping", {"rcExtensionList": [{"id": 1, "email": "ada@example.test"}]}),
    ("GET", "/admin/serverLoggingSettings", None),
    ("POST", "/admin/serverLoggingSettings", {"additionalFieldValues": {"activityOwner": "evil"}}),
    ("POST", "/admin/managedOAuth/cache", {"values": {"clientId": "evil", "clientSecret": "evil"}}),
    ("DELETE", "/admin/managedOAuth/cache", None),
    ("DELETE", "/admin/managedOAuth/account?platform=admincrm", None),
    ("GET", "/admin/outbox", None),
    ("POST", "/admin/outbox/{jobId}/retry", None),
    ("DELETE", "/admin/outbox/{jobId}", None),
]


async def _account_state(settings: Settings) -> tuple[Any, ...]:
    store = Store.open(settings.database_url, TEST_SECRET)
    try:
        return (
            await store.admin_configs.get_public(HASHED_ACCOUNT),
            (await store.managed_auth.org_values(str(ACCOUNT_ID), "admincrm")).fields,
            await store.managed_oauth.account_values(str(ACCOUNT_ID), "admincrm"),
            await store.managed_oauth.pending_values(str(ACCOUNT_ID)),
        )
    finally:
        await store.close()


def test_the_list_above_is_every_admin_route(settings: Settings) -> None:
    from appconnect.app import create_app
    from appconnect.docs import _routes

    paths = {
        (method, route.path)
        for route in _routes(create_app(settings).routes)
        if getattr(route, "path", "").startswith("/admin/")
        for method in getattr(route, "methods", ())
    }
    assert paths == {(method, path.split("?")[0]) for method, path, _ in ADMIN_ROUTES}


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ROUTES)
async def test_a_non_admin_is_refused_and_nothing_changes(
    client: httpx.AsyncClient, settings: Settings, method: str, path: str, body: dict[str, Any] | None
) -> None:
    auth = await login(client, "agent-key")
    store = Store.open(settings.database_url, TEST_SECRET)
    try:  # something to lose: a staged and an account OAuth client
        await store.managed_oauth.put_pending(str(ACCOUNT_ID), {"clientId": "staged"})
        await store.managed_oauth.put_account(str(ACCOUNT_ID), "admincrm", {"clientId": "own"})
    finally:
        await store.close()
    before = await _account_state(settings)
    assert before[2] == {"clientId": "own"} and before[3] == {"clientId": "staged"}
    kwargs: dict[str, Any] = {} if body is None else {"json": body}
    answer = await client.request(method, path, headers={**auth, **rc(AGENT_TOKEN)}, **kwargs)
    assert (answer.status_code, answer.text) == (403, "Admin validation failed")
    assert await _account_state(settings) == before
    assert AdminCrm.settings_by_user == {} and AdminCrm.option_calls == []
