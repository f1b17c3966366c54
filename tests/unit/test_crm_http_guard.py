"""Host allow-list, SSRF guard, DNS pinning and URL joining."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable, Sequence
from typing import Any

import httpcore
import httpx
import pytest

from appconnect.crm_http import (
    CrmHttp,
    CrmRequestRefused,
    CrmUnavailable,
    HostPolicy,
    is_blocked_address,
    join_url,
)
from appconnect.crm_http._network import PinnedNetworkBackend, Route, route

PUBLIC_IP = "93.184.216.34"


class Resolver:
    """A fake DNS: name → addresses, counting lookups."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.calls: list[str] = []

    async def __call__(self, host: str, port: int) -> Sequence[str]:
        self.calls.append(host)
        if host not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.table[host]


def make_client(*, allow_private: bool = False, resolver: Any = None) -> tuple[CrmHttp, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": True})

    client = CrmHttp(
        version="1.0.0",
        allow_private_networks=allow_private,
        transport=httpx.MockTransport(handler),
        resolver=resolver or Resolver({"api.pipedrive.com": [PUBLIC_IP], "acme.pipedrive.com": [PUBLIC_IP]}),
    )
    return client, seen


# --- allow-list -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("patterns", "host", "allowed"),
    [
        (("api.pipedrive.com",), "api.pipedrive.com", True),
        (("api.pipedrive.com",), "API.Pipedrive.COM", True),
        (("api.pipedrive.com",), "api.pipedrive.com.", True),
        (("api.pipedrive.com",), "acme.pipedrive.com", False),
        (("*.pipedrive.com",), "acme.pipedrive.com", True),
        (("*.pipedrive.com",), "a.b.pipedrive.com", True),
        (("*.pipedrive.com",), "pipedrive.com", False),
        (("*.pipedrive.com",), "evilpipedrive.com", False),
        (("*.pipedrive.com",), "pipedrive.com.evil.com", False),
        (("*",), "anything.example", True),
        (("*",), "10.0.0.1", True),
        ((), "api.pipedrive.com", False),
        (("[::1]",), "::1", True),
    ],
)
def test_allow_list_patterns(patterns: tuple[str, ...], host: str, allowed: bool) -> None:
    assert HostPolicy(allowed_hosts=patterns).allows(host) is allowed


@pytest.mark.parametrize(
    "pattern", ["", "api.*.com", "*pipedrive.com", "https://api.pipedrive.com", "*.", "a b"]
)
def test_invalid_patterns_are_rejected(pattern: str) -> None:
    with pytest.raises(ValueError):
        HostPolicy(allowed_hosts=(pattern,))


def test_a_bare_string_is_not_taken_for_a_tuple_of_patterns() -> None:
    with pytest.raises(TypeError):
        HostPolicy(allowed_hosts="api.pipedrive.com")  # type: ignore[arg-type]


def test_policy_for_base_url() -> None:
    policy = HostPolicy.for_base_url("https://acme.pipedrive.com/api/v1", platform="pipedrive")
    assert policy.allowed_hosts == ("acme.pipedrive.com",)
    assert policy.allows("acme.pipedrive.com") and not policy.allows("other.pipedrive.com")


async def test_host_not_on_the_allow_list_is_refused_before_sending() -> None:
    client, seen = make_client()
    policy = HostPolicy(allowed_hosts=("*.pipedrive.com",), platform="pipedrive")
    async with client:
        with pytest.raises(CrmRequestRefused) as caught:
            await client.get("https://evil.example/steal", policy=policy)
        await client.get("https://acme.pipedrive.com/v1/persons", policy=policy)
    assert str(caught.value) == "host evil.example is not allowed for pipedrive"
    assert caught.value.platform == "pipedrive"
    assert [r.url.host for r in seen] == ["acme.pipedrive.com"]


# --- SSRF guard -------------------------------------------------------------------------------

ANY_HOST = HostPolicy(allowed_hosts=("*",), platform="testcrm")

PRIVATE_URLS = [
    "http://127.0.0.1/",
    "http://127.9.9.9:8080/x",
    "http://10.0.0.1/",
    "http://172.16.5.4/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",  # shared address space (CGNAT)
    "http://169.254.169.254/latest/meta-data/",
    "http://0.0.0.0/",
    "http://224.0.0.1/",
    "http://[::1]/",
    "http://[::]/",
    "http://[fe80::1]/",
    "http://[fd00::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:169.254.169.254]/",
    "http://[64:ff9b::a00:1]/",  # NAT64 of 10.0.0.1
    "http://[2002:a00:1::]/",  # 6to4 of 10.0.0.1
]


@pytest.mark.parametrize("url", PRIVATE_URLS)
async def test_private_literal_addresses_are_refused_and_never_sent(url: str) -> None:
    client, seen = make_client()
    async with client:
        with pytest.raises(CrmRequestRefused, match="private networks are not allowed"):
            await client.get(url, policy=ANY_HOST)
    assert seen == []


@pytest.mark.parametrize(
    "addresses",
    [
        ["127.0.0.1"],
        ["10.1.2.3"],
        ["::1"],
        ["169.254.169.254"],
        ["::ffff:127.0.0.1"],
        [PUBLIC_IP, "127.0.0.1"],
    ],
)
async def test_names_resolving_to_private_addresses_are_refused(addresses: list[str]) -> None:
    resolver = Resolver({"internal.example.com": addresses})
    client, seen = make_client(resolver=resolver)
    async with client:
        with pytest.raises(CrmRequestRefused, match="resolves to"):
            await client.get("https://internal.example.com/", policy=ANY_HOST)
    assert seen == []
    assert resolver.calls == ["internal.example.com"]


async def test_localhost_is_refused_with_the_system_resolver() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    client = CrmHttp(version="1", transport=httpx.MockTransport(handler))
    async with client:
        with pytest.raises(CrmRequestRefused):
            await client.get("http://localhost:8080/", policy=ANY_HOST)
    assert seen == []


async def test_public_names_and_addresses_are_allowed() -> None:
    client, seen = make_client(resolver=Resolver({"crm.example.com": [PUBLIC_IP, "2606:2800:220:1::1"]}))
    async with client:
        await client.get("https://crm.example.com/", policy=ANY_HOST)
        await client.get(f"https://{PUBLIC_IP}/", policy=ANY_HOST)
        await client.get("https://[::ffff:93.184.216.34]/", policy=ANY_HOST)
    assert len(seen) == 3


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1/", "http://[::1]/", "http://10.0.0.1/", "http://localhost/"]
)
async def test_private_addresses_are_allowed_when_private_networks_are(url: str) -> None:
    resolver = Resolver({})
    client, seen = make_client(allow_private=True, resolver=resolver)
    async with client:
        await client.get(url, policy=ANY_HOST)
    assert len(seen) == 1
    assert resolver.calls == []  # nothing to vet, nothing resolved


async def test_policy_overrides_the_client_setting_both_ways() -> None:
    client, seen = make_client(allow_private=False)
    async with client:
        await client.get("http://10.0.0.1/", policy=HostPolicy(allowed_hosts=("*",), allow_private=True))
    assert len(seen) == 1

    client, seen = make_client(allow_private=True)
    async with client:
        with pytest.raises(CrmRequestRefused):
            await client.get("http://10.0.0.1/", policy=HostPolicy(allowed_hosts=("*",), allow_private=False))
    assert seen == []


async def test_allow_list_applies_even_when_private_networks_are_allowed() -> None:
    client, seen = make_client(allow_private=True)
    async with client:
        with pytest.raises(CrmRequestRefused, match="not allowed for"):
            await client.get("http://127.0.0.1/", policy=HostPolicy(allowed_hosts=("api.pipedrive.com",)))
    assert seen == []


async def test_dns_failure_is_unavailable() -> None:
    client, seen = make_client(resolver=Resolver({}))
    async with client:
        with pytest.raises(CrmUnavailable, match=r"DNS lookup for nowhere\.example failed"):
            await client.get("https://nowhere.example/", policy=ANY_HOST)
    assert seen == []


@pytest.mark.parametrize(
    ("address", "blocked"),
    [
        ("8.8.8.8", False),
        (PUBLIC_IP, False),
        ("2606:4700:4700::1111", False),
        ("::ffff:8.8.8.8", False),
        ("64:ff9b::808:808", False),
        ("127.0.0.1", True),
        ("10.255.255.255", True),
        ("169.254.169.254", True),
        ("100.64.0.1", True),
        ("198.18.0.1", True),
        ("240.0.0.1", True),
        ("255.255.255.255", True),
        ("::", True),
        ("::1", True),
        ("fe80::1", True),
        ("fc00::1", True),
        ("ff02::1", True),
        ("::ffff:10.0.0.1", True),
        ("::ffff:0.0.0.0", True),
    ],
)
def test_is_blocked_address(address: str, blocked: bool) -> None:
    assert is_blocked_address(ipaddress.ip_address(address)) is blocked


# --- DNS pinning ------------------------------------------------------------------------------


class SpyBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, failing: set[str] | None = None) -> None:
        self.connected: list[tuple[str, int]] = []
        self.failing = failing or set()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.connected.append((host, port))
        if host in self.failing:
            raise httpcore.ConnectError("refused")
        return httpcore.AsyncMockStream([])

    async def sleep(self, seconds: float) -> None:
        return None


async def test_pinned_backend_connects_to_the_vetted_address_without_resolving_again() -> None:
    resolver = Resolver({"crm.example.com": ["127.0.0.1"]})  # a rebinding answer, if it were asked
    spy = SpyBackend()
    backend = PinnedNetworkBackend(resolver=resolver, inner=spy)
    with route(Route(host="crm.example.com", allow_private=False, addresses=(PUBLIC_IP,))):
        await backend.connect_tcp("crm.example.com", 443)
    assert spy.connected == [(PUBLIC_IP, 443)]
    assert resolver.calls == []


async def test_pinned_backend_falls_back_to_the_next_vetted_address() -> None:
    spy = SpyBackend(failing={PUBLIC_IP})
    backend = PinnedNetworkBackend(resolver=Resolver({}), inner=spy)
    with route(Route(host="crm.example.com", allow_private=False, addresses=(PUBLIC_IP, "8.8.8.8"))):
        await backend.connect_tcp("crm.example.com", 443)
    assert spy.connected == [(PUBLIC_IP, 443), ("8.8.8.8", 443)]


async def test_pinned_backend_without_a_route_resolves_and_vets_itself() -> None:
    spy = SpyBackend()
    backend = PinnedNetworkBackend(resolver=Resolver({"evil.example": ["10.0.0.5"]}), inner=spy)
    with pytest.raises(CrmRequestRefused):
        await backend.connect_tcp("evil.example", 80)
    assert spy.connected == []


async def test_pinned_backend_refuses_unix_sockets() -> None:
    backend = PinnedNetworkBackend(resolver=Resolver({}), inner=SpyBackend())
    with pytest.raises(httpcore.ConnectError):
        await backend.connect_unix_socket("/var/run/docker.sock")


# --- join_url ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "path", "expected"),
    [
        ("https://acme.pipedrive.com", "/v1/persons", "https://acme.pipedrive.com/v1/persons"),
        ("https://acme.pipedrive.com/", "v1/persons", "https://acme.pipedrive.com/v1/persons"),
        ("https://x.example/api/v2/", "/deals?limit=5", "https://x.example/api/v2/deals?limit=5"),
        ("http://127.0.0.1:8081/api", "calls", "http://127.0.0.1:8081/api/calls"),
    ],
)
def test_join_url(base: str, path: str, expected: str) -> None:
    assert join_url(base, path) == expected


@pytest.mark.parametrize(
    ("base", "path"),
    [
        ("https://x.example", "https://evil.example/x"),
        ("https://x.example", "//evil.example/x"),
        ("x.example", "/v1"),
        ("ftp://x.example", "/v1"),
        ("https://x.example/?a=1", "/v1"),
    ],
)
def test_join_url_refuses_host_switching_and_bad_bases(base: str, path: str) -> None:
    with pytest.raises(ValueError):
        join_url(base, path)
