"""The API can be learned from the server: `/docs` offline, the JWT in OpenAPI, the README's session.

All over a real socket. The README test runs the README's own curl block, so the README cannot
drift from what the server accepts.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx

from appconnect.api.responses import PLEASE_AUTHORIZE
from appconnect.connectors.sample import SampleCrmConnector
from tests.e2e.test_session_guard import PROTECTED

#: Every route that reads the session JWT, and whether it requires one (`/licenseStatus` answers
#: anonymous callers too).
SESSION_ROUTES: dict[tuple[str, str], bool] = {
    **{(method, path): True for method, path, _ in PROTECTED},
    ("GET", "/licenseStatus"): False,
}

REPO_ROOT = Path(__file__).resolve().parents[2]
#: Every operation the reference contract (crm-server-openapi.json, v1.7.42) secures with `userJwt`
#: or `legacyUserJwt`, as facts copied from it (the test must not need a file outside the checkout).
CONTRACT_JWT_ROUTES = frozenset(
    {
        ("DELETE", "/calldown/{id}"), ("DELETE", "/googleSheets/sheet"), ("GET", "/accountData"),
        ("GET", "/admin/googleSheets/config"), ("GET", "/admin/googleSheets/filePicker"),
        ("GET", "/admin/managedAuth"), ("GET", "/admin/serverLoggingSettings"), ("GET", "/admin/settings"),
        ("GET", "/appointments"), ("GET", "/appointments/{appointmentId}/refresh"),
        ("GET", "/authValidation"),
        ("GET", "/callLog"), ("GET", "/calldown"), ("GET", "/contact"), ("GET", "/custom/contact/search"),
        ("GET", "/debug/report/url"), ("GET", "/googleDrive/checkAuth"), ("GET", "/googleDrive/oauthUrl"),
        ("GET", "/hostname"), ("GET", "/licenseStatus"), ("GET", "/plugin/licenseStatus"),
        ("GET", "/plugin/licenseStatus/{pluginId}"), ("GET", "/ringcentral/admin/report"),
        ("GET", "/ringcentral/admin/userReport"), ("GET", "/ringcentral/oauth/callback"),
        ("GET", "/user/settings"), ("PATCH", "/appointments/{appointmentId}"), ("PATCH", "/callLog"),
        ("PATCH", "/calldown/{id}"), ("POST", "/admin/googleSheets/sheet"), ("POST", "/admin/managedAuth"),
        ("POST", "/admin/reinitializeUserMapping"), ("POST", "/admin/serverLoggingSettings"),
        ("POST", "/admin/userMapping"), ("POST", "/appointments"),
        ("POST", "/appointments/{appointmentId}/cancel"), ("POST", "/appointments/{appointmentId}/confirm"),
        ("POST", "/appointments/{appointmentId}/status"), ("POST", "/callLog"),
        ("POST", "/callLog/cacheNote"),
        ("POST", "/calldown"), ("POST", "/contact"), ("POST", "/googleSheets/sheet"), ("POST", "/messageLog"),
        ("POST", "/plugin/{pluginId}"), ("POST", "/unAuthorize"), ("POST", "/user/refreshInfo"),
        ("POST", "/user/settings"), ("PUT", "/callDisposition"),
    }
)  # fmt: skip
JWT_SCHEMES: list[dict[str, list[str]]] = [{"userJwt": []}, {"legacyUserJwt": []}]
METHODS = ("get", "post", "put", "patch", "delete")


class _Links(HTMLParser):
    """Every URL the page would load: `src` and `href` attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls.extend(value for name, value in attrs if name in ("src", "href") and value)


def _operations(schema: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def test_docs_load_only_local_assets(live_server: Any) -> None:
    server = live_server()
    page = httpx.get(f"{server.url}/docs")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    links = _Links()
    links.feed(page.text)
    assert len(links.urls) == 3, links.urls  # stylesheet, icon, script
    assert all(url.startswith("/docs/assets/") for url in links.urls), links.urls
    assert "https://" not in page.text and "http://" not in page.text  # no CDN, no online validator
    assert "url: '/openapi.json'" in page.text
    kinds = {}
    for url in links.urls:
        asset = httpx.get(f"{server.url}{url}")
        assert asset.status_code == 200, url
        kinds[url.rsplit(".", 1)[-1]] = (
            asset.headers["content-type"],
            asset.text if url.endswith("s") else "",
        )
    assert kinds["js"][0].startswith("text/javascript") and "SwaggerUIBundle" in kinds["js"][1]
    assert kinds["css"][0].startswith("text/css") and ".swagger-ui" in kinds["css"][1]
    assert kinds["png"][0] == "image/png"


def test_openapi_declares_the_session_jwt_on_the_routes_that_read_it(live_server: Any) -> None:
    server = live_server()
    schema = httpx.get(f"{server.url}/openapi.json").json()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["userJwt"] == {
        **schemes["userJwt"],
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    assert schemes["legacyUserJwt"] == {
        **schemes["legacyUserJwt"],
        "type": "apiKey",
        "in": "query",
        "name": "jwtToken",
    }
    operations = _operations(schema)
    assert operations[("POST", "/callLog")]["security"] == JWT_SCHEMES
    assert operations[("POST", "/messageLog")]["security"] == JWT_SCHEMES
    assert operations[("GET", "/licenseStatus")]["security"] == [*JWT_SCHEMES, {}]  # optional there
    assert "security" not in operations[("GET", "/isAlive")]
    assert "security" not in operations[("POST", "/apiKeyLogin")]
    declared = {key for key, operation in operations.items() if "security" in operation}
    assert declared == set(SESSION_ROUTES)


def test_every_route_the_contract_protects_with_the_jwt_declares_it(live_server: Any) -> None:
    ours = _operations(httpx.get(f"{live_server().url}/openapi.json").json())
    protected = CONTRACT_JWT_ROUTES
    served = protected & set(ours)
    assert len(served) >= 20  # the check means something: most of our routes are in the contract
    for key in sorted(served):
        assert ours[key].get("security", [])[:2] == JWT_SCHEMES, key


def test_no_undeclared_route_asks_for_the_jwt_and_every_declared_one_refuses_without_it(
    live_server: Any,
) -> None:
    """Every operation called without a JWT (bodies `{}`): an undeclared one never answers the
    contract's "authorize" refusal (so the list misses no session route); a declared one answers it
    (authentication comes before validation)."""
    server = live_server(ringcentral_server="http://127.0.0.1:9")  # nothing leaves the machine
    operations = _operations(httpx.get(f"{server.url}/openapi.json").json())
    called = 0
    with httpx.Client(base_url=server.url, timeout=10) as client:
        for method, path in sorted(operations):
            if "{" in path:
                continue
            answer = client.request(method, path, json=None if method == "GET" else {})
            called += 1
            if (method, path) not in SESSION_ROUTES:
                assert "authorize CRM platform" not in answer.text, (method, path)
            elif SESSION_ROUTES[(method, path)]:
                invalid_request = path.startswith(("/ringcentral/", "/debug/"))
                expected = "Invalid request" if invalid_request else PLEASE_AUTHORIZE
                assert (answer.status_code, answer.text) == (400, expected), (method, path)
    assert called >= len([route for route in SESSION_ROUTES if "{" not in route[1]]) + 10
    hostname = httpx.get(f"{server.url}/hostname")
    assert (hostname.status_code, hostname.text) == (400, PLEASE_AUTHORIZE)


def _readme_session() -> str:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- readme-session[^>]*-->\n```sh\n(.*?)```", readme, re.DOTALL)
    assert block is not None, "the README's session block is missing"
    return block.group(1)


async def test_the_readme_session_runs_against_a_live_server(
    live_server: Any, sample_crm: SampleCrmConnector
) -> None:
    server = live_server()
    script = _readme_session()
    assert script.startswith("URL=http://127.0.0.1:6066\n")
    script = script.replace("URL=http://127.0.0.1:6066\n", f"URL={server.url}\n", 1)
    done = await asyncio.to_thread(
        subprocess.run,
        ["bash", "-euo", "pipefail", "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    answers = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert len(answers) == 5, done.stdout  # contact, create, update, read back, SMS
    assert all(answer["successful"] is True for answer in answers), answers
    contact, created, updated, read_back, sms = answers
    assert contact["contact"][0]["name"] == "Ann Example" and contact["contact"][0]["id"] == 1
    assert created["returnMessage"]["message"] == "Call logged"
    assert updated["logId"] == created["logId"]
    body = read_back["logs"][0]["logData"]["fullBody"]
    assert "- Duration: 1 minute, 35 seconds\n" in body and "- Result: Accepted\n" in body
    assert "- Call recording link: https://media.example.com/recordings/s-1001\n" in body
    assert sms["logIds"] == ["6424569101"]
    [activity] = await sample_crm.list_call_activities()
    assert activity["body"] == body and activity["session_id"] == "s-1001"
    [message_log] = await sample_crm.list_message_logs()
    assert "Could you send the quote by email?" in message_log["body"]
