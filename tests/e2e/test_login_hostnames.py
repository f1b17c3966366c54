"""Hostname safety at login: a CRM address the user types is vetted before anything is sent to it.

Production refuses loopback, private and link-local addresses (and names resolving to them) with a
clear message, and the connector is never even asked; development allows loopback so local fake
CRMs work. A connector's `allowed_hosts` applies in both modes.
"""

from __future__ import annotations

from typing import Any, ClassVar, NoReturn

import httpx
import pytest

from appconnect.connectors.base import BaseConnector, ConnectorContext, LogsIn
from appconnect.connectors.inputs import CreateCallLogInput, GetUserInfoInput, UpdateCallLogInput
from appconnect.connectors.registry import ConnectorRegistry
from appconnect.connectors.types import AuthType, PlatformUserInfo, UserInfoResult
from appconnect.crm_http import HostPolicy
from tests.fakes.oauth_crm import PLATFORM as OAUTH_PLATFORM
from tests.fakes.oauth_crm import OAuthCrmConnector, OAuthCrmState, callback_query, create_oauth_crm_app
from tests.fakes.server import FakeCrmServer

PRIVATE_HOSTNAMES = ["127.0.0.1", "localhost", "10.1.2.3", "[::1]", "169.254.169.254"]


class HostCrm(BaseConnector, LogsIn):
    """An API-key connector whose CRM lives at the hostname the user types (any public host)."""

    name = "hostcrm"
    auth_type = AuthType.API_KEY
    calls: ClassVar[list[str | None]] = []

    async def get_user_info(self, login: GetUserInfoInput, /) -> UserInfoResult:
        self.calls.append(login.hostname)
        await self.http.get(f"http://{login.hostname}/v1/ping", policy=HostPolicy(allowed_hosts=("*",)))
        return UserInfoResult(
            successful=True, platform_user_info=PlatformUserInfo(id="h-1-hostcrm", name="Host")
        )

    async def create_call_log(self, call: CreateCallLogInput, /) -> NoReturn:
        raise NotImplementedError

    async def update_call_log(self, call: UpdateCallLogInput, /) -> NoReturn:
        raise NotImplementedError


class ListedCrm(HostCrm):
    name = "listedcrm"
    allowed_hosts = ("*.listedcrm.test",)


@pytest.fixture
def crms(fake_crm_factory: Any, generic_crm: FakeCrmServer) -> tuple[FakeCrmServer, FakeCrmServer]:
    HostCrm.calls = []
    return generic_crm, fake_crm_factory(create_oauth_crm_app(OAuthCrmState()))


def _configure(oauth_base_url: str) -> Any:
    def configure(registry: ConnectorRegistry, context: ConnectorContext) -> None:
        registry.register("hostcrm", HostCrm(context))
        registry.register("listedcrm", ListedCrm(context))
        registry.register(OAUTH_PLATFORM, OAuthCrmConnector(context, oauth_base_url))

    return configure


@pytest.mark.parametrize("hostname", [*PRIVATE_HOSTNAMES, "generic-crm-port"])
def test_production_refuses_private_hostnames_before_sending_anything(
    live_server: Any, crms: tuple[FakeCrmServer, FakeCrmServer], hostname: str
) -> None:
    generic, oauth = crms
    if hostname == "generic-crm-port":
        hostname = f"127.0.0.1:{generic.port}"
    server = live_server(configure=_configure(oauth.base_url), is_prod=True)
    answer = httpx.post(
        f"{server.url}/apiKeyLogin", json={"platform": "hostcrm", "apiKey": "k", "hostname": hostname}
    )
    assert answer.status_code == 400
    message = answer.json()["returnMessage"]
    assert message["messageType"] == "warning"
    assert "is not allowed for hostcrm" in message["message"]
    assert "private, loopback and link-local network addresses are refused" in message["message"]
    assert HostCrm.calls == []  # the connector was never asked to contact it
    assert generic.requests == []


@pytest.mark.parametrize("hostname", ["127.0.0.1", "localhost", "[::1]", "10.1.2.3"])
def test_production_refuses_private_hostnames_in_the_oauth_callback(
    live_server: Any, crms: tuple[FakeCrmServer, FakeCrmServer], hostname: str
) -> None:
    _, oauth = crms
    server = live_server(configure=_configure(oauth.base_url), is_prod=True)
    answer = httpx.get(f"{server.url}/oauth-callback", params=callback_query("code-1", hostname=hostname))
    assert answer.status_code == 200
    assert "is not allowed for oauthcrm" in answer.json()["returnMessage"]["message"]
    assert "jwtToken" not in answer.json()
    assert oauth.requests == []  # no code exchange happened


def test_development_allows_a_loopback_crm(
    live_server: Any, crms: tuple[FakeCrmServer, FakeCrmServer]
) -> None:
    generic, oauth = crms
    server = live_server(configure=_configure(oauth.base_url))
    hostname = f"127.0.0.1:{generic.port}"
    answer = httpx.post(
        f"{server.url}/apiKeyLogin", json={"platform": "hostcrm", "apiKey": "k", "hostname": hostname}
    )
    assert answer.status_code == 200, answer.text
    assert HostCrm.calls == [hostname]
    assert len(generic.requests_to("GET", "/v1/ping")) == 1
    auth = {"Authorization": f"Bearer {answer.json()['jwtToken']}"}
    assert httpx.get(f"{server.url}/hostname", headers=auth).text == hostname


@pytest.mark.parametrize("is_prod", [False, True])
def test_a_hostname_outside_the_connectors_allow_list_is_refused(
    live_server: Any, crms: tuple[FakeCrmServer, FakeCrmServer], is_prod: bool
) -> None:
    _, oauth = crms
    server = live_server(configure=_configure(oauth.base_url), is_prod=is_prod)
    answer = httpx.post(
        f"{server.url}/apiKeyLogin",
        json={"platform": "listedcrm", "apiKey": "k", "hostname": "listedcrm.test.evil.example"},
    )
    assert answer.status_code == 400
    assert answer.json()["returnMessage"]["message"] == (
        "The hostname listedcrm.test.evil.example is not allowed for listedcrm: "
        "it is not one of the connector's CRM hosts."
    )
    assert HostCrm.calls == []
