"""CrmHttp over real sockets against the FakeCrmServer toolkit."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest

from appconnect.crm_http import (
    VERSION_HEADER,
    CrmAuthExpired,
    CrmHttp,
    CrmNotFound,
    CrmRateLimited,
    CrmRequestRefused,
    CrmUnavailable,
    CrmUncertain,
    HostPolicy,
    join_url,
    rate_limit_info,
)
from appconnect.crm_http._aiohttp import AiohttpTransport
from appconnect.crm_http._network import GuardedTransport, Route, build_ssl_context, route
from tests.fakes import GENERIC_CRM_TOKEN, FakeCrmServer, create_generic_crm_app

# Fixtures fake_crm_factory, generic_crm, generic_crm_tls and crm_http_dev come from tests.fakes.fixtures
# (imported by tests/conftest.py).
FakeCrmFactory = Callable[..., FakeCrmServer]

AUTH = {"Authorization": f"Bearer {GENERIC_CRM_TOKEN}"}
LOOPBACK = HostPolicy(allowed_hosts=("127.0.0.1", "localhost"), platform="generic")


async def test_round_trip_is_recorded(generic_crm: FakeCrmServer, crm_http_dev: CrmHttp) -> None:
    created = await crm_http_dev.post(
        join_url(generic_crm.base_url, "/v1/contacts"),
        policy=LOOPBACK,
        headers=AUTH,
        json={"name": "Ada", "phone": "+15551230000"},
    )
    assert created.status_code == 201
    contact_id = created.json()["data"]["id"]
    found = await crm_http_dev.get(
        generic_crm.url("/v1/contacts"), policy=LOOPBACK, headers=AUTH, params={"phone": "+15551230000"}
    )
    assert [c["name"] for c in found.json()["data"]] == ["Ada"]
    info = rate_limit_info(found)
    assert info is not None and info.limit == 100 and info.reset_after == 2.0

    (post,) = generic_crm.requests_to("POST", "/v1/contacts")
    assert post.json == {"name": "Ada", "phone": "+15551230000"}
    assert post.headers[VERSION_HEADER.lower()] == crm_http_dev.version
    assert post.headers["authorization"] == AUTH["Authorization"]
    (get,) = generic_crm.requests_to("GET", "/v1/contacts")
    assert get.query == {"phone": "+15551230000"}
    assert [r.method for r in generic_crm.requests] == ["POST", "GET"]

    with pytest.raises(CrmNotFound):
        await crm_http_dev.get(
            generic_crm.url(f"/v1/contacts/{contact_id + 1}"), policy=LOOPBACK, headers=AUTH
        )
    generic_crm.clear_requests()
    assert generic_crm.requests == []


async def test_injected_429_carries_the_reset(generic_crm: FakeCrmServer, crm_http_dev: CrmHttp) -> None:
    generic_crm.faults.add(
        status=429, headers={"x-ratelimit-reset": "2"}, body={"error": "slow down"}, times=1
    )
    with pytest.raises(CrmRateLimited) as caught:
        await crm_http_dev.get(generic_crm.url("/v1/contacts"), policy=LOOPBACK, headers=AUTH)
    assert caught.value.status == 429
    assert caught.value.retry_after == 2.0
    assert caught.value.reset_at is not None
    assert caught.value.body == '{"error": "slow down"}'
    # times=1: the next call reaches the app again
    response = await crm_http_dev.get(generic_crm.url("/v1/contacts"), policy=LOOPBACK, headers=AUTH)
    assert response.status_code == 200
    assert len(generic_crm.requests_to("GET", "/v1/contacts")) == 2


async def test_401_from_the_app_and_injected(generic_crm: FakeCrmServer, crm_http_dev: CrmHttp) -> None:
    with pytest.raises(CrmAuthExpired):
        await crm_http_dev.get(
            generic_crm.url("/v1/contacts"), policy=LOOPBACK, headers={"Authorization": "Bearer wrong"}
        )
    generic_crm.faults.add(401, path="/v1/contacts", method="GET")
    with pytest.raises(CrmAuthExpired) as caught:
        await crm_http_dev.get(generic_crm.url("/v1/contacts"), policy=LOOPBACK, headers=AUTH)
    assert "Bearer" not in str(caught.value) and GENERIC_CRM_TOKEN not in str(caught.value)


async def test_injected_500_is_unavailable(generic_crm: FakeCrmServer, crm_http_dev: CrmHttp) -> None:
    generic_crm.faults.add(500, body="database on fire")
    with pytest.raises(CrmUnavailable) as caught:
        await crm_http_dev.post(
            generic_crm.url("/v1/contacts"), policy=LOOPBACK, headers=AUTH, json={"name": "x"}
        )
    assert caught.value.status == 500
    assert caught.value.body == "database on fire"
    assert generic_crm.requests_to("POST", "/v1/contacts")  # recorded even though faulted
    assert generic_crm.faults.take("POST", "/v1/contacts") == (0.0, None)  # used up


async def test_faults_can_target_a_method_and_path(generic_crm: FakeCrmServer, crm_http_dev: CrmHttp) -> None:
    generic_crm.faults.add(503, method="POST", path="/v1/contacts*", times=None)
    assert (await crm_http_dev.get(generic_crm.url("/v1/ping"), policy=LOOPBACK)).status_code == 200
    assert (await crm_http_dev.get(generic_crm.url("/v1/contacts"), policy=LOOPBACK, headers=AUTH)).is_success
    for _ in range(2):
        with pytest.raises(CrmUnavailable):
            await crm_http_dev.post(generic_crm.url("/v1/contacts"), policy=LOOPBACK, headers=AUTH, json={})
    generic_crm.faults.clear()
    created = await crm_http_dev.post(
        generic_crm.url("/v1/contacts"), policy=LOOPBACK, headers=AUTH, json={"name": "Bo"}
    )
    assert created.status_code == 201


async def test_latency_beyond_the_client_timeout(generic_crm: FakeCrmServer) -> None:
    generic_crm.faults.latency(5.0)
    async with CrmHttp(version="t", allow_private_networks=True, timeout=0.3, connect_timeout=0.3) as client:
        with pytest.raises(CrmUnavailable, match="timed out"):
            await client.get(generic_crm.url("/v1/contacts"), policy=LOOPBACK, headers=AUTH)
        with pytest.raises(CrmUncertain, match="may or may not have been applied"):
            await client.post(
                generic_crm.url("/v1/contacts"), policy=LOOPBACK, headers=AUTH, json={"name": "Late"}
            )
    # The POST did reach the CRM: exactly why its outcome is uncertain.
    assert generic_crm.wait_for_requests(1, method="POST", path="/v1/contacts")


async def test_dropped_connection_reaches_httpx_as_a_protocol_or_read_error(
    generic_crm: FakeCrmServer,
) -> None:
    async with httpx.AsyncClient() as raw:
        generic_crm.faults.drop_connection()
        with pytest.raises(httpx.RemoteProtocolError):
            await raw.get(generic_crm.url("/v1/ping"))
        generic_crm.faults.drop_connection(reset=True)
        with pytest.raises(httpx.ReadError):
            await raw.get(generic_crm.url("/v1/ping"))
        assert (await raw.get(generic_crm.url("/v1/ping"))).status_code == 200


async def test_dropped_connection_is_classified(generic_crm: FakeCrmServer, crm_http_dev: CrmHttp) -> None:
    generic_crm.faults.drop_connection(times=2)
    with pytest.raises(CrmUnavailable):
        await crm_http_dev.get(generic_crm.url("/v1/contacts"), policy=LOOPBACK, headers=AUTH)
    with pytest.raises(CrmUncertain) as caught:
        await crm_http_dev.post(
            generic_crm.url("/v1/contacts"), policy=LOOPBACK, headers=AUTH, json={"name": "X"}
        )
    assert isinstance(caught.value.__cause__, httpx.RemoteProtocolError)
    assert generic_crm.app.state.store.contacts == {}  # type: ignore[attr-defined]
    # The pool recovers: the next call works.
    ok = await crm_http_dev.get(generic_crm.url("/v1/ping"), policy=LOOPBACK)
    assert ok.status_code == 200


async def test_tls_with_the_fake_ca(generic_crm_tls: FakeCrmServer) -> None:
    assert generic_crm_tls.ca_pem_path is not None
    assert generic_crm_tls.base_url.startswith("https://")
    async with CrmHttp(
        version="t", ca_file=generic_crm_tls.ca_pem_path, allow_private_networks=True
    ) as client:
        for host in ("127.0.0.1", "localhost"):
            url = generic_crm_tls.url("/v1/ping").replace("127.0.0.1", host)
            assert (await client.get(url, policy=LOOPBACK)).json() == {"ok": True}


async def test_tls_without_the_fake_ca_fails_verification(generic_crm_tls: FakeCrmServer) -> None:
    async with CrmHttp(version="t", allow_private_networks=True) as client:
        with pytest.raises(CrmUnavailable, match="TLS") as caught:
            await client.get(generic_crm_tls.url("/v1/ping"), policy=LOOPBACK)
    assert "certificate" in str(caught.value).lower()
    assert generic_crm_tls.requests == []


async def test_production_mode_refuses_the_loopback_fake(generic_crm: FakeCrmServer) -> None:
    async with CrmHttp(version="t", allow_private_networks=False) as client:
        with pytest.raises(CrmRequestRefused):
            await client.get(generic_crm.url("/v1/ping"), policy=LOOPBACK)
        with pytest.raises(CrmRequestRefused):
            await client.get(generic_crm.url("/v1/ping").replace("127.0.0.1", "localhost"), policy=LOOPBACK)
    assert generic_crm.requests == []


async def test_pinned_connection_keeps_host_header_and_sni(fake_crm_factory: FakeCrmFactory) -> None:
    """The strict pool connects to the vetted address, not to a fresh DNS answer for the name.

    ``crm.fake.test`` does not resolve at all; the connection only works because it is pinned to
    127.0.0.1, and TLS only verifies because SNI/hostname checking still uses ``crm.fake.test``.
    """
    crm = fake_crm_factory(create_generic_crm_app(), tls=True, tls_hostnames=("crm.fake.test",))
    assert crm.ca_pem_path is not None

    async def no_dns(host: str, port: int) -> list[str]:
        raise AssertionError("the pinned backend must not resolve again")

    transport = GuardedTransport(
        ssl_context=build_ssl_context(crm.ca_pem_path),
        limits=httpx.Limits(max_connections=2),
        resolver=no_dns,
        default_allow_private=False,
    )
    async with httpx.AsyncClient(transport=transport) as client:
        with route(Route(host="crm.fake.test", allow_private=False, addresses=("127.0.0.1",))):
            response = await client.get(f"https://crm.fake.test:{crm.port}/v1/ping")
    assert response.json() == {"ok": True}
    (recorded,) = crm.requests
    assert recorded.headers["host"] == f"crm.fake.test:{crm.port}"


def test_fake_server_works_from_sync_code() -> None:
    with FakeCrmServer(create_generic_crm_app()) as crm, httpx.Client() as client:
        crm.faults.add(418, body={"teapot": True}, path="/v1/ping")
        assert client.get(crm.url("/v1/ping")).json() == {"teapot": True}
        assert client.get(crm.url("/v1/ping"), params={"a": "1"}).status_code == 200
        recorded = crm.wait_for_requests(2, path="/v1/ping")
        assert [r.query for r in recorded] == [{}, {"a": "1"}]
    assert crm.requests_to("GET", "/v1/ping")  # still inspectable after stop


async def test_default_transport_pins_the_vetted_address_and_keeps_host_header_and_sni(
    fake_crm_factory: FakeCrmFactory,
) -> None:
    """The same guarantee for the default (aiohttp) transport: connect to the vetted address only."""
    crm = fake_crm_factory(create_generic_crm_app(), tls=True, tls_hostnames=("crm.fake.test",))
    assert crm.ca_pem_path is not None

    async def no_dns(host: str, port: int) -> list[str]:
        raise AssertionError("the pinned resolver must not resolve again")

    transport = AiohttpTransport(
        ssl_context=build_ssl_context(crm.ca_pem_path),
        max_connections=2,
        keepalive_expiry=5.0,
        resolver=no_dns,
        default_allow_private=False,
    )
    async with httpx.AsyncClient(transport=transport) as client:
        with route(Route(host="crm.fake.test", allow_private=False, addresses=("127.0.0.1",))):
            response = await client.get(f"https://crm.fake.test:{crm.port}/v1/ping")
    assert response.json() == {"ok": True}
    (recorded,) = crm.requests
    assert recorded.headers["host"] == f"crm.fake.test:{crm.port}"


async def test_default_transport_without_a_route_vets_the_addresses_itself(
    fake_crm_factory: FakeCrmFactory,
) -> None:
    crm = fake_crm_factory(create_generic_crm_app())

    async def loopback(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    transport = AiohttpTransport(
        ssl_context=build_ssl_context(None),
        max_connections=2,
        keepalive_expiry=5.0,
        resolver=loopback,
        default_allow_private=False,
    )
    async with httpx.AsyncClient(transport=transport) as client:
        with pytest.raises(CrmRequestRefused):
            await client.get(f"http://crm.fake.test:{crm.port}/v1/ping")
    assert crm.requests == []


async def test_keep_alive_connections_are_reused(generic_crm: FakeCrmServer, crm_http_dev: CrmHttp) -> None:
    """Every connection opened for a burst is kept for the next one (no new TCP or TLS handshake).

    30 concurrent calls need 30 connections; the second burst must reuse them all, so a keep-alive
    cap below the concurrency (the pool used to keep 20) shows up as new client ports.
    """
    generic_crm.faults.latency(0.3)

    async def burst() -> None:
        await asyncio.gather(
            *(crm_http_dev.get(generic_crm.url("/v1/ping"), policy=LOOPBACK) for _ in range(30))
        )

    await burst()
    first = {request.client for request in generic_crm.requests}
    generic_crm.clear_requests()
    await burst()
    second = {request.client for request in generic_crm.requests}
    assert len(first) == 30
    assert second <= first
