"""The proxy connector's requests and result paths (spec platform §8.4, §8.5), and its validation.

Request composition is checked on `build_request` (pure); result paths through the connector with
an `httpx.MockTransport` under the real `CrmHttp` (host policy included), following the reference's
`packages/core/test/connector/proxy/*.test.ts` cases.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib.resources import files
from typing import Any

import httpx
import pytest
from structlog.testing import capture_logs

from appconnect.connectors.base import (
    ConnectorContext,
    FindsContacts,
    LogsIn,
    LogsOut,
    ReadsCallLogs,
    ReportsLicenseStatus,
    UsesOAuth,
)
from appconnect.connectors.inputs import (
    CallRecord,
    CreateCallLogInput,
    FindContactInput,
    GetCallLogInput,
    GetUserInfoInput,
    OAuthInfoInput,
)
from appconnect.connectors.proxy import (
    ProxyConfig,
    ProxyConfigError,
    config_problems,
    parse_proxy_config,
    proxy_config_schema,
    proxy_connector_class,
)
from appconnect.connectors.proxy.connector import ProxyConnector, _contacts
from appconnect.connectors.registry import implemented_interfaces_of
from appconnect.connectors.types import ContactInfo
from appconnect.crm_http import CrmHttp, CrmRequestRefused, CrmUnavailable
from appconnect.domain import User

BASE = "https://api.example.com"


def minimal(**operations: Any) -> dict[str, Any]:
    ops = {
        "getUserInfo": {"url": "/me", "responseMapping": {"idPath": "body.id"}},
        "createCallLog": {"method": "POST", "url": "/activities"},
        "updateCallLog": {"method": "PUT", "url": "/activities/{{thirdPartyLogId}}"},
    }
    ops.update(operations)
    return {"meta": {"name": "minimal"}, "requestDefaults": {"baseUrl": BASE}, "operations": ops}


def connector_of(
    raw: dict[str, Any],
    handler: Callable[[httpx.Request], httpx.Response] | None = None,
    *,
    secret_key: str = "",
) -> ProxyConnector:
    async def public(host: str, port: int) -> Sequence[str]:
        return ["93.184.216.34"]

    http = CrmHttp(
        version="test",
        transport=httpx.MockTransport(handler or (lambda r: httpx.Response(200, json={}))),
        resolver=public,
    )
    config = ProxyConfig(raw=raw, source="test.json", secret_key=secret_key)
    return proxy_connector_class(config)(ConnectorContext(http=http, settings=None))


def user(**fields: Any) -> User:
    values: dict[str, Any] = {"id": "u1-minimal", "platform": "minimal", "access_token": "token-123"}
    values.update(fields)
    return User(**values)


# -- the request (§8.4) -------------------------------------------------------------------------
def test_request_composes_url_headers_params_body_and_auth() -> None:
    raw = minimal(
        createContact={
            "method": "post",
            "url": "/things/{{phoneNumber}}",
            "headers": {"Content-Type": "application/json"},
            "query": {"search": "{{newContactName}}"},
            "body": {"id": "{{phoneNumber}}", "name": "{{newContactName}}"},
        }
    )
    raw["auth"] = {
        "type": "apiKey",
        "scheme": "Basic",
        "credentialTemplate": "{{apiKey}}",
        "encode": "base64",
        "headerName": "Authorization",
    }
    raw["requestDefaults"].update(
        timeoutSeconds=10, defaultHeaders={"Accept": "application/json", "X-Secret-Key": "{{secretKey}}"}
    )
    connector = connector_of(raw, secret_key="shh-key")
    request = connector.build_request(
        "createContact", {"phoneNumber": 7, "newContactName": "Widget"}, user=user(), auth_header=None
    )
    assert request == {
        "method": "POST",
        "url": f"{BASE}/things/7",
        "headers": {
            "Accept": "application/json",
            "X-Secret-Key": "shh-key",
            "Content-Type": "application/json",
            "Authorization": "Basic " + base64.b64encode(b"token-123").decode(),
        },
        "params": {"search": "Widget"},
        "json": {"id": 7, "name": "Widget"},
    }


def test_an_operation_the_config_does_not_declare_builds_nothing() -> None:
    assert connector_of(minimal()).build_request("findContact", {}, user=None, auth_header=None) is None


def test_core_auth_header_then_oauth_bearer_default() -> None:
    connector = connector_of(minimal())
    request = connector.build_request("getUserInfo", {}, user=user(), auth_header="Bearer provided")
    assert request is not None and request["headers"] == {"Authorization": "Bearer provided"}
    assert request["json"] is None  # no body on a GET
    oauth = minimal()
    oauth["auth"] = {"type": "oauth", "clientId": "c", "clientSecret": "s", "tokenUrl": f"{BASE}/token"}
    request = connector_of(oauth).build_request(
        "getUserInfo", {}, user=user(access_token="oauth-token"), auth_header=None
    )
    assert request is not None and request["headers"]["Authorization"] == "Bearer oauth-token"


def test_operation_auth_overrides_connector_auth_and_user_fields_render() -> None:
    raw = minimal(
        createCallLog={
            "method": "POST",
            "url": f"{BASE}/things",
            "auth": {
                "headerName": "X-Api-Key",
                "credentialTemplate": "{{apiKey}}:{{secretKey}}",
                "encode": "none",
            },
            "body": {
                "userId": "{{user.id}}",
                "hostname": "{{user.hostname}}",
                "tokenExpiry": "{{user.tokenExpiry}}",
            },
        }
    )
    raw["auth"] = {"type": "oauth", "clientId": "c", "clientSecret": "s", "tokenUrl": f"{BASE}/token"}
    connector = connector_of(raw, secret_key="secret-1")
    request = connector.build_request(
        "createCallLog",
        {},
        user=user(hostname="host.example.com", token_expiry=datetime(2030, 1, 1, tzinfo=UTC)),
        auth_header=None,
    )
    assert request is not None
    assert request["headers"] == {"X-Api-Key": "token-123:secret-1"}
    assert request["json"] == {
        "userId": "u1",
        "hostname": "host.example.com",
        "tokenExpiry": "2030-01-01T00:00:00.000Z",
    }


def test_submitted_api_key_signs_the_first_login() -> None:
    raw = minimal()
    raw["auth"] = {
        "type": "apiKey",
        "scheme": "Basic",
        "credentialTemplate": "{{apiKey}}",
        "encode": "base64",
    }
    request = connector_of(raw).build_request(
        "getUserInfo", {"apiKey": "login-key"}, user=None, auth_header=None
    )
    assert request is not None
    assert request["headers"]["Authorization"] == "Basic " + base64.b64encode(b"login-key").decode()


# -- result paths (§8.5) --------------------------------------------------------------------------
def test_find_contact_maps_items_with_defaults() -> None:
    mapping = {
        "listPath": "body.contacts",
        "item": {
            "idPath": "id",
            "namePath": "name",
            "createdDatePath": "created_at",
            "mostRecentActivityDatePath": "updated_at",
        },
    }
    [alice] = _contacts(
        {
            "body": {
                "contacts": [
                    {
                        "id": "c1",
                        "name": "Alice",
                        "created_at": "2024-01-01T00:00:00Z",
                        "updated_at": "2024-02-01T00:00:00Z",
                    }
                ]
            }
        },
        mapping,
    )
    assert (alice.id, alice.name, alice.created_date, alice.most_recent_activity_date) == (
        "c1",
        "Alice",
        "2024-01-01T00:00:00Z",
        "2024-02-01T00:00:00Z",
    )
    [plain] = _contacts({"body": [{"id": "c1"}]}, {"listPath": "", "item": {}})
    assert plain.to_wire() == {"id": "c1", "name": "", "type": "Contact", "title": "", "company": ""}
    assert _contacts({"body": {}}, {"listPath": "body.contacts"}) == ()


async def test_find_contact_through_the_connector_adds_the_placeholder() -> None:
    seen: list[httpx.Request] = []

    def crm(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200, json={"contacts": [{"id": "c1", "name": "Alice", "type": "Contact", "phone": "+1"}]}
        )

    connector = connector_of(
        minimal(
            findContact={
                "url": "/contacts",
                "query": {"phone": "{{phoneNumber}}"},
                "responseMapping": {"listPath": "body.contacts"},
            }
        ),
        crm,
    )
    assert isinstance(connector, FindsContacts)
    result = await connector.find_contact(
        FindContactInput(user=user(), auth_header="Bearer x", phone_number="+14155550100")
    )
    assert [c.id for c in result.matched_contact_info] == ["c1", "createNewContact"]
    assert result.return_message is not None and result.return_message.message == "Found 1 contacts"
    assert seen[0].url.params["phone"] == "+14155550100"


async def test_call_log_id_and_read_back_paths() -> None:
    answers = iter(
        [{"activity": {"id": 123}}, {"activity": {"subject": "S", "note": "N", "description": "D"}}]
    )
    connector = connector_of(
        minimal(
            createCallLog={
                "method": "POST",
                "url": "/activities",
                "responseMapping": {"idPath": "body.activity.id"},
            },
            getCallLog={
                "url": "/activities/{{thirdPartyLogId}}",
                "responseMapping": {
                    "subjectPath": "body.activity.subject",
                    "notePath": "body.activity.note",
                    "fullBodyPath": "body.activity.description",
                },
            },
        ),
        lambda request: httpx.Response(200, json=next(answers)),
    )
    created = await connector.create_call_log(
        CreateCallLogInput(
            user=user(),
            auth_header="",
            contact_info=ContactInfo(id="c-1", phone_number=None, name="Alice"),
            call_log=CallRecord.of(
                {"sessionId": "s", "direction": "Outbound", "startTime": 0, "duration": 60}
            ),
        )
    )
    assert created.log_id == "123"
    assert isinstance(connector, ReadsCallLogs)
    read = await connector.get_call_log(GetCallLogInput(user=user(), auth_header="", call_log_id="123"))
    info = read.call_log_info
    assert info is not None and (info.subject, info.note, info.full_body) == ("S", "N", "D")
    assert info.full_log_response == {"activity": {"subject": "S", "note": "N", "description": "D"}}


async def test_user_info_maps_optional_fields_drops_password_and_api_key() -> None:
    connector = connector_of(
        minimal(
            getUserInfo={
                "url": "/authentication",
                "responseMapping": {
                    "idPath": "body.user.id",
                    "timezoneNamePath": "body.user.timezone",
                    "overridingApiKeyPath": "body.user.overrideToken",
                    "messagePath": "body.missingMessage",
                    "platformAdditionalInfoPaths": {"role": "body.user.role", "absent": "body.user.nothing"},
                },
            }
        ),
        lambda request: httpx.Response(
            200,
            json={
                "user": {
                    "id": "u2",
                    "timezone": "America/Los_Angeles",
                    "overrideToken": "override-token",
                    "role": "manager",
                }
            },
        ),
    )
    assert isinstance(connector, LogsIn)
    result = await connector.get_user_info(
        GetUserInfoInput(
            auth_header="Bearer token",
            platform="test",
            hostname="host",
            api_key="k",
            additional_info={"password": "secret", "apiKey": "k", "region": "west"},
        )
    )
    info = result.platform_user_info
    assert result.successful is True and info is not None
    assert (info.id, info.name, info.timezone_name, info.overriding_api_key) == (
        "u2-test",
        "u2",
        "America/Los_Angeles",
        "override-token",
    )
    assert info.platform_additional_info == {"region": "west", "role": "manager"}
    assert result.return_message is not None and result.return_message.message == "Connected to test."


# -- interfaces, OAuth, hosts -----------------------------------------------------------------------
def test_only_declared_operations_are_interfaces() -> None:
    connector = connector_of(minimal())
    assert implemented_interfaces_of(connector) >= {"getUserInfo", "createCallLog", "updateCallLog"}
    assert not isinstance(connector, FindsContacts | LogsOut | ReportsLicenseStatus | UsesOAuth)
    full = connector_of(minimal(findContact={"url": "/c"}, unAuthorize={"method": "POST", "url": "/logout"}))
    assert isinstance(full, FindsContacts) and isinstance(full, LogsOut)


async def test_oauth_info_from_the_config() -> None:
    raw = minimal()
    raw["auth"] = {
        "type": "oauth",
        "clientId": "client-id",
        "clientSecret": "client-secret",
        "tokenUrl": "https://{hostname}/token",
        "redirectUri": "https://app.example.com/callback",
    }
    connector = connector_of(raw)
    assert isinstance(connector, UsesOAuth) and connector.get_auth_type() == "oauth"
    info = await connector.get_oauth_info(OAuthInfoInput(hostname="tenant.example.com"))
    assert (info.client_id, info.access_token_uri, info.redirect_uri) == (
        "client-id",
        "https://tenant.example.com/token",
        "https://app.example.com/callback",
    )
    assert (
        await connector.get_oauth_info(OAuthInfoInput(token_url="https://o.example.com/t"))
    ).access_token_uri == ("https://o.example.com/t")


async def test_only_the_base_url_host_is_ever_called() -> None:
    sent: list[httpx.Request] = []
    raw = minimal(findContact={"url": "https://other.example.net/steal"})
    assert config_problems(raw) == [
        ("$.operations.findContact.url", "host other.example.net is not the baseUrl host api.example.com")
    ]

    def crm(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json=[])

    connector = connector_of(raw, crm)
    assert isinstance(connector, FindsContacts)
    with pytest.raises(CrmRequestRefused):
        await connector.find_contact(FindContactInput(user=user(), auth_header="", phone_number="+1"))
    assert sent == []


async def test_a_failed_request_is_logged_with_the_host_only_and_raised() -> None:
    connector = connector_of(
        minimal(findContact={"url": "/contacts/{{phoneNumber}}"}),
        lambda request: httpx.Response(502, headers={"x-request-id": "up-123"}, json={"sensitive": "body"}),
    )
    assert isinstance(connector, FindsContacts)
    with capture_logs() as logs, pytest.raises(CrmUnavailable):
        await connector.find_contact(
            FindContactInput(
                user=user(access_token="secret-token"), auth_header="", phone_number="+15551234567"
            )
        )
    [entry] = [line for line in logs if line["event"] == "proxy.request_failed"]
    assert entry["proxy_operation"] == "findContact" and entry["target_host"] == "api.example.com"
    assert entry["status"] == 502 and entry["upstream_request_id"] == "up-123"
    text = json.dumps(entry, default=str)
    assert "+15551234567" not in text and "secret-token" not in text and "sensitive" not in text


# -- validation -------------------------------------------------------------------------------------
def sample() -> dict[str, Any]:
    text = files("appconnect.connectors.proxy").joinpath("examples/restcrm.json").read_text(encoding="utf-8")
    raw: dict[str, Any] = json.loads(text)
    return raw


def _set(raw: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split("/")
    target = raw
    for part in parents:
        target = target[part]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value


@pytest.mark.parametrize(
    ("path", "value", "where", "reason"),
    [
        ("meta/name", "has space", "$.meta.name", "does not match"),
        ("meta", KeyError, "$", "'meta' is required"),
        ("requestDefaults/baseUrl", "ftp://x", "$.requestDefaults.baseUrl", "does not match"),
        ("requestDefaults/timeoutSeconds", 0, "$.requestDefaults.timeoutSeconds", "greater than 0"),
        ("operations/findContact/methd", "GET", "$.operations.findContact.methd", "unknown key 'methd'"),
        ("operations/fetchEverything", {"url": "/x"}, "$.operations.fetchEverything", "unknown key"),
        ("operations/createCallLog", KeyError, "$.operations", "'createCallLog' is required"),
        (
            "operations/getCallLog/url",
            "https://{{user.hostname}}/x",
            "$.operations.getCallLog.url",
            "must not template its host",
        ),
        ("operations/getCallLog/url", "//evil.example/x", "$.operations.getCallLog.url", "scheme-relative"),
        (
            "operations/createCallLog/body/subject",
            "{{secrets.APP_SERVER_SECRET_KEY}}",
            "$.operations.createCallLog.body",
            "{{secrets.APP_SERVER_SECRET_KEY}} names no input",
        ),
        (
            "requestDefaults/defaultHeaders/X-Phone",
            "{{phoneNumber}}",
            "$.requestDefaults.defaultHeaders",
            "names no input common to every operation",
        ),
        ("auth/type", "password", "$.auth.type", "is not one of apiKey, oauth"),
        ("auth/headerName", "Bad Header", "$.auth.headerName", "does not match"),
        (
            "requestDefaults/defaultHeaders/Accept",
            {"x": 1},
            "$.requestDefaults.defaultHeaders.Accept",
            "must be string or number or boolean",
        ),
    ],
)
def test_bad_configurations_name_the_json_path_and_the_reason(
    path: str, value: Any, where: str, reason: str
) -> None:
    raw = copy.deepcopy(sample())
    _set(raw, path, value)
    with pytest.raises(ProxyConfigError) as refused:
        parse_proxy_config(raw, "crm.json")
    assert refused.value.source == "crm.json" and refused.value.path == where, str(refused.value)
    assert reason in refused.value.reason
    assert str(refused.value).startswith(f"crm.json: {where}: ")


def test_oauth_configuration_needs_its_client_and_secrets_come_from_the_environment() -> None:
    raw = sample()
    raw["auth"] = {
        "type": "oauth",
        "clientId": "id",
        "tokenUrl": f"{BASE}/token",
        "clientSecretEnv": "CRM_SECRET",
    }
    with pytest.raises(ProxyConfigError, match=r"\$\.auth\.clientSecretEnv: environment variable CRM_SECRET"):
        parse_proxy_config(raw, "crm.json", environ={})
    config = parse_proxy_config(raw, "crm.json", environ={"CRM_SECRET": "s3"})
    assert config.client_secret == "s3" and "s3" not in repr(config)
    raw["auth"] = {"type": "oauth", "clientId": "id"}
    assert ("$.auth", "'tokenUrl' is required for an oauth configuration") in config_problems(raw)


def test_the_shipped_schema_is_draft_2020_12_and_accepts_the_sample() -> None:
    schema = proxy_config_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert config_problems(sample()) == []
    assert not isinstance(parse_proxy_config(sample(), "s.json"), Exception)


def test_basic_auth_from_a_username_kept_at_login_and_the_key() -> None:
    """HTTP Basic `username:key`: the login's form field signs getUserInfo, the saved one later calls."""
    raw = minimal(
        getUserInfo={
            "url": "/me",
            "auth": {"scheme": "Basic", "credentialTemplate": "{{additionalInfo.username}}:{{apiKey}}"},
            "responseMapping": {"idPath": "body.id"},
        }
    )
    raw["auth"] = {
        "type": "apiKey",
        "scheme": "Basic",
        "credentialTemplate": "{{user.platformAdditionalInfo.username}}:{{apiKey}}",
    }
    assert config_problems(raw) == []
    connector = connector_of(raw)
    login = connector.build_request(
        "getUserInfo",
        {"apiKey": "k1", "additionalInfo": {"username": "ada"}},
        user=None,
        auth_header="Basic ignored",
    )
    assert (
        login is not None
        and login["headers"]["Authorization"] == "Basic " + base64.b64encode(b"ada:k1").decode()
    )
    later = connector.build_request(
        "createCallLog",
        {},
        user=user(access_token="k1", platform_additional_info={"username": "ada"}),
        auth_header="Basic ignored",
    )
    assert (
        later is not None
        and later["headers"]["Authorization"] == "Basic " + base64.b64encode(b"ada:k1").decode()
    )


def test_a_callers_line_breaks_cannot_add_a_header() -> None:
    raw = minimal(findContact={"url": "/c", "headers": {"X-Phone": "{{phoneNumber}}"}})
    request = connector_of(raw).build_request(
        "findContact", {"phoneNumber": "+1\r\nX-Admin: yes"}, user=user(), auth_header=None
    )
    assert request is not None and request["headers"] == {"X-Phone": "+1  X-Admin: yes"}
