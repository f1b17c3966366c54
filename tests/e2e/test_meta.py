"""Health, manifest and capability routes over a real socket."""

from __future__ import annotations

import time

import httpx
import jwt as pyjwt

from tests.conftest import TEST_SECRET


def test_is_alive_and_readiness(live_server) -> None:  # type: ignore[no-untyped-def]
    server = live_server()
    alive = httpx.get(f"{server.url}/isAlive")
    assert alive.status_code == 200 and alive.text == "OK"
    ready = httpx.get(f"{server.url}/health/ready")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"


def test_crm_manifest_of_the_sample_platform(live_server) -> None:  # type: ignore[no-untyped-def]
    server = live_server()
    manifest = httpx.get(f"{server.url}/crmManifest", params={"platformName": "sample"}).json()
    assert list(manifest["platforms"]) == ["sample"]
    assert manifest["platforms"]["sample"]["auth"]["type"] == "apiKey"
    assert manifest["author"]["name"] and manifest["serverUrl"]
    everything = httpx.get(f"{server.url}/crmManifest").json()
    assert "sample" in everything["platforms"]
    unknown = httpx.get(f"{server.url}/crmManifest", params={"platformName": "nope"})
    assert unknown.status_code == 400 and unknown.text == "Platform not found"


def test_manifest_overrides_apply(live_server) -> None:  # type: ignore[no-untyped-def]
    server = live_server(override_app_server="https://connector.example.com/")
    manifest = httpx.get(f"{server.url}/crmManifest", params={"platformName": "sample"}).json()
    assert manifest["serverUrl"] == "https://connector.example.com"


def test_implemented_interfaces_of_sample(live_server) -> None:  # type: ignore[no-untyped-def]
    server = live_server()
    answer = httpx.get(f"{server.url}/implementedInterfaces", params={"platform": "sample"}).json()
    assert list(answer)[:2] == ["getAuthType", "getBasicAuth"]
    for interface in ("createCallLog", "updateCallLog", "getCallLog", "findContact", "createMessageLog"):
        assert answer[interface] is True
    assert answer["cacheCallNote"] is False
    missing = httpx.get(f"{server.url}/implementedInterfaces")
    assert missing.status_code == 400 and missing.text == "Please provide platform."
    unknown = httpx.get(f"{server.url}/implementedInterfaces", params={"platform": "nope"})
    assert unknown.status_code == 400 and unknown.json() == {
        "error": "Connector not found for platform: nope"
    }


def test_release_notes_and_version(live_server) -> None:  # type: ignore[no-untyped-def]
    server = live_server()
    notes = httpx.get(f"{server.url}/releaseNotes").json()
    version, entry = next(iter(notes.items()))
    assert isinstance(entry["global"], list) and "sample" in entry
    assert "version" in httpx.get(f"{server.url}/serverVersionInfo").json() and version


def test_cors_preflight_exposes_the_refresh_header(live_server) -> None:  # type: ignore[no-untyped-def]
    server = live_server()
    response = httpx.options(
        f"{server.url}/callLog",
        headers={"Origin": "chrome-extension://abc", "Access-Control-Request-Method": "PATCH"},
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"


def test_a_token_near_expiry_is_refreshed_in_a_header(live_server) -> None:  # type: ignore[no-untyped-def]
    server = live_server()
    now = int(time.time())
    old = pyjwt.encode(
        {"id": "u-1", "platform": "sample", "iat": now - 10 * 86400, "exp": now + 3 * 86400}, TEST_SECRET
    )
    response = httpx.get(f"{server.url}/isAlive", headers={"Authorization": f"Bearer {old}"})
    refreshed = response.headers["x-refreshed-jwt-token"]
    claims = pyjwt.decode(refreshed, TEST_SECRET, algorithms=["HS256"])
    assert claims["id"] == "u-1" and claims["exp"] - now >= 13 * 86400
    fresh = pyjwt.encode({"id": "u-1", "platform": "sample", "exp": now + 13 * 86400}, TEST_SECRET)
    assert (
        "x-refreshed-jwt-token" not in httpx.get(f"{server.url}/isAlive", params={"jwtToken": fresh}).headers
    )


def test_forged_expired_and_missing_tokens_are_refused(live_server) -> None:  # type: ignore[no-untyped-def]
    server = live_server()
    now = int(time.time())
    forged = pyjwt.encode(
        {"id": "u-1", "platform": "sample", "exp": now + 86400 * 10}, "not-the-secret-0123456789abcdef0123"
    )
    expired = pyjwt.encode({"id": "u-1", "platform": "sample", "exp": now - 5}, TEST_SECRET)
    body = {"logInfo": {"sessionId": "s"}}  # invalid too: authentication is answered first
    for headers in ({}, {"Authorization": f"Bearer {forged}"}, {"Authorization": f"Bearer {expired}"}):
        response = httpx.post(f"{server.url}/callLog", json=body, headers=headers)
        assert response.status_code == 400
        assert response.text == "Please go to Settings and authorize CRM platform"
    legacy = httpx.put(f"{server.url}/callDisposition", json={"sessionId": "s"}, params={"jwtToken": forged})
    assert legacy.status_code == 400 and legacy.text == "Invalid JWT token"
