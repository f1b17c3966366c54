"""A CRM added without code: the sample proxy configuration, pointed at the fake REST CRM.

What an operator does, end to end over real sockets: copy the shipped sample configuration, set
its base URL to the CRM, validate it with `appconnect check --proxy`, start the server with
`APPCONNECT_PROXY_CONFIGS`, log in with an API key, then run the call and message lifecycle.
Each step asserts the HTTP answer and what the CRM stored (or was sent).
"""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.resources import files
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import call_record
from tests.fakes.fixtures import FakeCrmFactory
from tests.fakes.rest_crm import REST_CRM_KEY, RestCrmStore, create_rest_crm_app
from tests.fakes.server import FakeCrmServer
from tests.support.reference_cipher import reference_encode

ANN = "+14155550100"


def sample_config() -> dict[str, Any]:
    text = files("appconnect.connectors.proxy").joinpath("examples/restcrm.json").read_text(encoding="utf-8")
    config: dict[str, Any] = json.loads(text)
    return config


@pytest.fixture
def rest_crm(fake_crm_factory: FakeCrmFactory) -> FakeCrmServer:
    return fake_crm_factory(create_rest_crm_app())


def store_of(crm: FakeCrmServer) -> RestCrmStore:
    store: RestCrmStore = crm.app.state.store  # type: ignore[attr-defined]
    return store


@pytest.fixture
def config_file(tmp_path: Path, rest_crm: FakeCrmServer) -> Path:
    """The sample configuration, copied and pointed at the running fake CRM."""
    config = sample_config()
    config["requestDefaults"]["baseUrl"] = rest_crm.url("/api")
    path = tmp_path / "restcrm.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


def test_appconnect_check_validates_the_copied_sample_offline(config_file: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "appconnect", "check", "--proxy", str(config_file)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"ok {config_file}: valid proxy configuration for platform 'restcrm'" in done.stdout
    assert "ok restcrm.implemented_interfaces_match_manifest" in done.stdout
    assert "FAIL" not in done.stdout


def test_appconnect_prints_the_shipped_schema() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "appconnect", "proxy-schema"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    schema = json.loads(done.stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["properties"]["operations"]["required"] == ["getUserInfo", "createCallLog", "updateCallLog"]


def test_appconnect_check_names_file_path_and_reason(tmp_path: Path) -> None:
    config = sample_config()
    config["operations"]["findContact"]["query"] = {"phone": "{{phoneNumbr}}"}
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(config), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "appconnect", "check", "--proxy", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stdout.startswith(
        f"FAIL {bad}: $.operations.findContact.query: {{{{phoneNumbr}}}} names no input"
    )


async def login(client: httpx.AsyncClient) -> dict[str, str]:
    answer = await client.post("/apiKeyLogin", json={"platform": "restcrm", "apiKey": REST_CRM_KEY})
    assert answer.status_code == 200, answer.text
    assert answer.json()["returnMessage"]["message"] == "Connected to restcrm."
    return {"Authorization": f"Bearer {answer.json()['jwtToken']}"}


async def test_login_and_the_whole_call_and_message_lifecycle(
    live_server: Any, rest_crm: FakeCrmServer, config_file: Path
) -> None:
    crm = store_of(rest_crm)
    ann = crm.add_person("Ann Example", ANN)
    server = live_server(proxy_configs=(str(config_file),))
    async with httpx.AsyncClient(base_url=server.url, timeout=20) as client:
        implemented = (await client.get("/implementedInterfaces", params={"platform": "restcrm"})).json()
        assert implemented["getUserInfo"] and implemented["findContact"] and implemented["getCallLog"]
        assert implemented["unAuthorize"] is False and implemented["getLicenseStatus"] is False

        refused = await client.post("/apiKeyLogin", json={"platform": "restcrm", "apiKey": "wrong"})
        assert refused.status_code == 400
        auth = await login(client)
        me = rest_crm.requests_to("GET", "/api/me")[-1]
        assert me.headers["authorization"] == f"Bearer {REST_CRM_KEY}"

        found = (await client.get("/contact", params={"phoneNumber": ANN}, headers=auth)).json()
        assert found["successful"] is True, found
        assert found["contact"][0]["id"] == ann["id"] and found["contact"][0]["name"] == "Ann Example"
        assert found["contact"][0]["type"] == "Lead" and found["contact"][-1]["isNewContact"] is True
        assert rest_crm.requests_to("GET", "/api/people")[-1].query == {"phone": ANN}

        created_contact = (
            await client.post(
                "/contact",
                headers=auth,
                json={
                    "phoneNumber": "+14155550111",
                    "newContactName": "Bob New",
                    "newContactType": "Contact",
                },
            )
        ).json()
        assert created_contact["successful"] is True, created_contact
        bob_id = created_contact["contact"]["id"]
        assert crm.people[bob_id]["name"] == "Bob New" and crm.people[bob_id]["kind"] == "Contact"

        logged = (
            await client.post(
                "/callLog",
                headers=auth,
                json={
                    "logInfo": call_record(
                        "p-1", duration=60, **{"from": {"phoneNumber": ANN, "name": "Ann Example"}}
                    ),
                    "contactId": ann["id"],
                    "contactName": "Ann Example",
                    "contactType": "Lead",
                    "note": "Wants a quote",
                },
            )
        ).json()
        assert logged["successful"] is True, logged
        activity = crm.activities[int(logged["logId"])]
        assert activity["kind"] == "call" and activity["person_id"] == ann["id"]
        assert activity["subject"] == "Inbound call from Ann Example"
        assert activity["started_at"] == "2026-11-25T10:00:00.000Z"
        assert activity["ended_at"] == "2026-11-25T10:01:00.000Z"
        assert "- Note: Wants a quote" in activity["body"]

        read = (
            await client.get("/callLog", params={"sessionIds": "p-1", "requireDetails": "true"}, headers=auth)
        ).json()
        assert read["successful"] is True, read
        log_data = read["logs"][0]["logData"]
        assert log_data["fullBody"] == activity["body"] and log_data["subject"] == activity["subject"]
        assert rest_crm.requests_to("GET", f"/api/activities/{activity['id']}")

        updated = (
            await client.patch(
                "/callLog",
                headers=auth,
                json={
                    "sessionId": "p-1",
                    "duration": 95,
                    "result": "Accepted",
                    "note": "Quote sent",
                },
            )
        ).json()
        assert updated["successful"] is True, updated
        activity = crm.activities[int(logged["logId"])]
        assert "- Note: Quote sent" in activity["body"] and "- Result: Accepted" in activity["body"]
        assert activity["outcome"] == "Accepted" and activity["duration"] == 95

        disposed = (
            await client.put(
                "/callDisposition",
                headers=auth,
                json={
                    "sessionId": "p-1",
                    "dispositions": {"deal": "D-7"},
                },
            )
        ).json()
        assert disposed["successful"] is True, disposed
        assert crm.activities[int(logged["logId"])]["deal"] == "D-7"

        def sms(message_id: int, text: str, at: str) -> dict[str, Any]:
            return {
                "id": message_id,
                "type": "SMS",
                "direction": "Inbound",
                "subject": text,
                "from": {"phoneNumber": ANN, "name": "Ann Example"},
                "to": [{"phoneNumber": "+16505550199", "name": "Agent"}],
                "creationTime": f"2026-07-14T{at}:00.000Z",
                "lastModifiedTime": f"2026-07-14T{at}:00.000Z",
            }

        def messages(*items: dict[str, Any]) -> dict[str, Any]:
            return {
                "logInfo": {
                    "conversationId": "c1",
                    "conversationLogId": "c1-2026-07-14",
                    "correspondents": [{"phoneNumber": ANN, "name": "Ann Example"}],
                    "messages": list(items),
                },
                "contactId": str(ann["id"]),
                "contactType": "Lead",
                "contactName": "Ann Example",
            }

        first = (
            await client.post("/messageLog", headers=auth, json=messages(sms(501, "Hello there", "03:00")))
        ).json()
        assert first["successful"] is True, first
        sms_log = crm.activities[int(first["messageLogs"]["501"])]
        assert sms_log["kind"] == "sms" and "Hello there" in sms_log["body"]
        assert sms_log["subject"].startswith("SMS conversation with Ann Example")

        later = (
            await client.post(
                "/messageLog",
                headers=auth,
                json=messages(sms(502, "Second one", "03:05"), sms(501, "Hello there", "03:00")),
            )
        ).json()
        assert later["successful"] is True and later["logIds"] == ["502"], later
        body = crm.activities[sms_log["id"]]["body"]
        assert body.index("Hello there") < body.index("Second one")

        users = [r for r in rest_crm.requests if r.path.startswith("/api/")]
        assert all(
            r.headers.get("authorization") in (f"Bearer {REST_CRM_KEY}", "Bearer wrong") for r in users
        )


def test_serve_refuses_an_invalid_configuration_in_one_line(tmp_path: Path) -> None:
    """Start-up validates every file first: the line names the setting, the file, the JSON path and why."""
    import os

    from tests.support.processes import APPCONNECT, free_port

    config = sample_config()
    config["operations"]["createCallLog"]["method"] = "SEND"
    bad = tmp_path / "restcrm.json"
    bad.write_text(json.dumps(config), encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG")}
    env.update(
        {
            "APP_SERVER_SECRET_KEY": "s" * 40,
            "HASH_KEY": "h" * 20,
            "APPCONNECT_PROXY_CONFIGS": str(tmp_path),
            "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        }
    )
    done = subprocess.run(
        [*APPCONNECT, "serve", "--port", str(free_port())],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr + done.stdout
    assert done.stderr.splitlines() == [
        f"error: APPCONNECT_PROXY_CONFIGS: {bad}: $.operations.createCallLog.method: 'SEND' is not one of "
        "GET, POST, PUT, PATCH, DELETE, get, post, put, patch, delete"
    ]
    assert not (tmp_path / "appconnect.db").exists()


def create_portal_app(configs: dict[str, Any]) -> Any:
    """A stand-in Developer Portal serving proxy configurations by id (404 for any other id)."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    async def proxy_config(request: Request) -> Response:
        found = configs.get(request.path_params["proxy_id"])
        if found is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        return JSONResponse(found)

    return Starlette(routes=[Route("/public-api/connectors/{proxy_id}/proxyConfig", proxy_config)])


async def test_a_login_proxy_id_is_fetched_from_the_portal_cached_and_resolved_later_from_the_user(
    live_server: Any, rest_crm: FakeCrmServer, fake_crm_factory: FakeCrmFactory
) -> None:
    crm = store_of(rest_crm)
    ann = crm.add_person("Ann Example", ANN)
    config = sample_config()
    config["requestDefaults"]["baseUrl"] = rest_crm.url("/api")
    config["requestDefaults"]["defaultHeaders"]["X-Connector-Secret"] = "{{secretKey}}"
    portal = fake_crm_factory(
        create_portal_app({"p-restcrm": {"proxyConfig": config, "secretKey": "portal-s3cret"}})
    )
    first = live_server(developer_portal_url=portal.url("/public-api"))
    async with httpx.AsyncClient(base_url=first.url, timeout=20) as client:
        unknown = await client.post(
            "/apiKeyLogin", json={"platform": "ghostcrm", "apiKey": REST_CRM_KEY, "proxyId": "p-ghost"}
        )
        assert unknown.status_code == 400 and "Connector not found for platform: ghostcrm" in unknown.text
        answer = await client.post(
            "/apiKeyLogin", json={"platform": "portalcrm", "apiKey": REST_CRM_KEY, "proxyId": "p-restcrm"}
        )
        assert answer.status_code == 200, answer.text
        auth = {"Authorization": f"Bearer {answer.json()['jwtToken']}"}
        found = (await client.get("/contact", params={"phoneNumber": ANN}, headers=auth)).json()
        assert found["successful"] is True and found["contact"][0]["id"] == ann["id"], found
        assert len(portal.requests_to("GET", "/public-api/connectors/p-restcrm/proxyConfig")) == 1  # cached
        assert rest_crm.requests_to("GET", "/api/people")[-1].headers["x-connector-secret"] == "portal-s3cret"

    # Another process (a restart, a second worker) knows the platform only from the stored user's proxyId.
    second = live_server(developer_portal_url=portal.url("/public-api"))
    async with httpx.AsyncClient(base_url=second.url, timeout=20) as client:
        found = (await client.get("/contact", params={"phoneNumber": ANN}, headers=auth)).json()
        assert found["successful"] is True and found["contact"][0]["id"] == ann["id"], found
        assert len(portal.requests_to("GET", "/public-api/connectors/p-restcrm/proxyConfig")) == 2


DEVELOPER_KEY = "developer-console-key"


async def test_a_portal_encoded_secret_key_is_opened_with_the_developer_key(
    live_server: Any, rest_crm: FakeCrmServer, fake_crm_factory: FakeCrmFactory
) -> None:
    """The reference's Developer Console keeps a proxy's secret as `encodedSecretKey`, sealed with
    DEVELOPER_APP_SERVER_SECRET_KEY (spec platform §8.1): it reaches `{{secretKey}}` opened, and a
    server without that key (or with another one) refuses the configuration without leaking it."""
    crm = store_of(rest_crm)
    ann = crm.add_person("Ann Example", ANN)
    config = sample_config()
    config["requestDefaults"]["baseUrl"] = rest_crm.url("/api")
    config["requestDefaults"]["defaultHeaders"]["X-Connector-Secret"] = "{{secretKey}}"
    sealed = reference_encode("sealed-s3cret", DEVELOPER_KEY)
    portal = fake_crm_factory(
        create_portal_app(
            {
                "p-sealed": {"proxyConfig": config, "encodedSecretKey": sealed, "secretKey": "not-this-one"},
                "p-not-hex": {"proxyConfig": config, "encodedSecretKey": "zz-not-hex"},
            }
        )
    )
    login = {"platform": "sealedcrm", "apiKey": REST_CRM_KEY, "proxyId": "p-sealed"}
    for overrides in ({}, {"developer_app_server_secret_key": "another-key"}):
        refusing = live_server(developer_portal_url=portal.url("/public-api"), **overrides)
        async with httpx.AsyncClient(base_url=refusing.url, timeout=20) as client:
            answer = await client.post("/apiKeyLogin", json=login)
            assert answer.status_code == 400, answer.text
            assert "sealed-s3cret" not in answer.text and sealed not in answer.text
    server = live_server(
        developer_portal_url=portal.url("/public-api"), developer_app_server_secret_key=DEVELOPER_KEY
    )
    async with httpx.AsyncClient(base_url=server.url, timeout=20) as client:
        not_hex = await client.post(
            "/apiKeyLogin", json={**login, "platform": "nothexcrm", "proxyId": "p-not-hex"}
        )
        assert not_hex.status_code == 400, not_hex.text
        answer = await client.post("/apiKeyLogin", json=login)
        assert answer.status_code == 200, answer.text
        auth = {"Authorization": f"Bearer {answer.json()['jwtToken']}"}
        found = (await client.get("/contact", params={"phoneNumber": ANN}, headers=auth)).json()
        assert found["successful"] is True and found["contact"][0]["id"] == ann["id"], found
    assert rest_crm.requests_to("GET", "/api/people")[-1].headers["x-connector-secret"] == "sealed-s3cret"


def oauth_config(crm: FakeCrmServer) -> dict[str, Any]:
    """A proxy configuration for the fake OAuth CRM (client secret from the environment)."""
    from tests.fakes.oauth_crm import CLIENT_ID, PLATFORM, REDIRECT_URI

    return {
        "meta": {"name": PLATFORM, "displayName": "OAuth CRM", "logFormat": "text/plain"},
        "auth": {
            "type": "oauth",
            "clientId": CLIENT_ID,
            "clientSecretEnv": "OAUTH_CRM_SECRET",
            "tokenUrl": crm.url("/oauth/token"),
            "redirectUri": REDIRECT_URI,
            "authorizationUri": crm.url("/oauth/authorize"),
        },
        "requestDefaults": {"baseUrl": crm.base_url},
        "operations": {
            "getUserInfo": {
                "url": "/me",
                "responseMapping": {
                    "idPath": "body.id",
                    "namePath": "body.name",
                    "timezoneNamePath": "body.timezone",
                },
            },
            "findContact": {
                "url": "/contacts",
                "query": {"phone": "{{phoneNumber}}"},
                "responseMapping": {"listPath": "body"},
            },
            "createCallLog": {
                "method": "POST",
                "url": "/activities",
                "body": {"contact": "{{contactInfo.id}}", "note": "{{composedLogDetails}}"},
            },
            "updateCallLog": {
                "method": "PUT",
                "url": "/activities/{{thirdPartyLogId}}",
                "body": {"note": "{{composedLogDetails}}"},
            },
        },
    }


async def test_an_oauth_proxy_logs_in_refreshes_an_expiring_token_and_retries_after_a_401(
    live_server: Any, fake_crm_factory: FakeCrmFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.fakes.oauth_crm import (
        CLIENT_SECRET,
        OAuthCrmState,
        callback_query,
        create_oauth_crm_app,
        refresh_requests,
    )

    state = OAuthCrmState()
    crm = fake_crm_factory(create_oauth_crm_app(state))
    path = tmp_path / "oauthcrm.json"
    path.write_text(json.dumps(oauth_config(crm)), encoding="utf-8")
    monkeypatch.setenv("OAUTH_CRM_SECRET", CLIENT_SECRET)
    server = live_server(proxy_configs=(str(path),))
    state.login_expires_in = 60  # inside the two-minute margin: due for a refresh
    async with httpx.AsyncClient(base_url=server.url, timeout=20) as client:
        manifest = (await client.get("/crmManifest", params={"platformName": "oauthcrm"})).json()
        assert manifest["platforms"]["oauthcrm"]["auth"]["type"] == "oauth"
        answer = await client.get(
            "/oauth-callback", params=callback_query(state.issue_code()), headers={"rc-extension-id": "h-ext"}
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["name"] == "Ada Lovelace"
        auth = {"Authorization": f"Bearer {answer.json()['jwtToken']}"}
        found = (await client.get("/contact", params={"phoneNumber": ANN}, headers=auth)).json()
        assert found["successful"] is True and found["contact"][0]["id"] == 7, found
        assert len(refresh_requests(crm)) == 1
        fresh = crm.requests_to("GET", "/contacts")[-1].headers["authorization"]
        assert fresh.startswith("Bearer ")

        state.expire(fresh.removeprefix("Bearer "))  # the CRM now answers 401 to that token
        again = (await client.get("/contact", params={"phoneNumber": ANN}, headers=auth)).json()
        assert again["successful"] is True, again
        assert len(refresh_requests(crm)) == 2
        assert crm.requests_to("GET", "/contacts")[-1].headers["authorization"] != fresh
