"""CrmHttp at the MockTransport level: headers, classification, transport failures, secrecy."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from structlog.testing import capture_logs

from appconnect.crm_http import (
    VERSION_HEADER,
    CrmAction,
    CrmAuthExpired,
    CrmBadRequest,
    CrmError,
    CrmForbidden,
    CrmHttp,
    CrmNotFound,
    CrmNotice,
    CrmRateLimited,
    CrmRedirected,
    CrmRequestRefused,
    CrmUnavailable,
    CrmUncertain,
    HostPolicy,
    action_for,
    outcome_for,
)
from appconnect.crm_http.classify import classify_response

POLICY = HostPolicy(allowed_hosts=("api.crm.example", "*.pipedrive.com"), platform="testcrm")
URL = "https://api.crm.example/v1/contacts"
PUBLIC_IP = "93.184.216.34"
SECRET_TOKEN = "sekret-access-token-123"
SECRET_API_KEY = "sekret-api-key-456"


async def public_resolver(host: str, port: int) -> Sequence[str]:
    return [PUBLIC_IP]


Handler = Callable[[httpx.Request], httpx.Response]


def make_client(handler: Handler, **kwargs: object) -> tuple[CrmHttp, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    options: dict[str, object] = {"version": "1.4.2", "resolver": public_resolver}
    options.update(kwargs)
    return CrmHttp(transport=httpx.MockTransport(record), **options), seen  # type: ignore[arg-type]


def reply(status: int, headers: dict[str, str] | None = None, body: str = "") -> Handler:
    return lambda request: httpx.Response(status, headers=headers, text=body)


def raising(exc: type[httpx.TransportError]) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc("boom", request=request)

    return handler


async def test_every_request_carries_the_version_header_and_caller_headers() -> None:
    client, seen = make_client(reply(200, body="{}"))
    async with client:
        response = await client.get(
            URL, policy=POLICY, headers={"Authorization": "Bearer x", VERSION_HEADER.lower(): "spoofed"}
        )
        await client.post(URL, policy=POLICY, json={"a": 1})
    assert response.status_code == 200
    assert [r.headers[VERSION_HEADER] for r in seen] == ["1.4.2", "1.4.2"]
    assert seen[0].headers.get_list(VERSION_HEADER) == ["1.4.2"]
    assert seen[0].headers["authorization"] == "Bearer x"
    assert seen[1].content == b'{"a":1}'


async def test_params_are_merged_and_verbs_map_to_methods() -> None:
    client, seen = make_client(reply(204))
    async with client:
        for verb in (client.get, client.post, client.put, client.patch, client.delete):
            await verb(URL + "?a=1", policy=POLICY, params={"b": "2"})
    assert [r.method for r in seen] == ["GET", "POST", "PUT", "PATCH", "DELETE"]
    assert all(r.url.params == httpx.QueryParams("a=1&b=2") for r in seen)


async def test_a_redirect_is_not_followed_and_is_a_failure_of_the_operation() -> None:
    """A 3xx is never followed (its target is not vetted) and never read as an empty answer."""
    client, seen = make_client(
        reply(302, headers={"location": "http://169.254.169.254/latest?token=" + SECRET_TOKEN})
    )
    async with client:
        with pytest.raises(CrmRedirected) as caught:
            await client.get(URL, policy=POLICY)
    assert len(seen) == 1
    error = caught.value
    assert error.status == 302 and error.location is not None
    assert error.location.startswith("http://169.254.169.254/latest?token=")
    assert SECRET_TOKEN not in error.location + str(error) and "redirect not followed" in str(error)
    assert outcome_for(error).action is CrmAction.FAIL
    assert outcome_for(error).notice is CrmNotice.OPERATION_FAILED


@pytest.mark.parametrize("status", [300, 301, 302, 304, 307, 308])
@pytest.mark.parametrize("method", ["GET", "POST", "PATCH", "PUT"])
def test_every_redirect_status_is_a_crm_redirected(status: int, method: str) -> None:
    request = httpx.Request(method, "https://api.example.com/activities/1")
    error = classify_response(
        httpx.Response(status, headers={"location": "/login"}, request=request), platform="x"
    )
    assert isinstance(error, CrmRedirected)
    assert error.location == "https://api.example.com/login"


@pytest.mark.parametrize(("method", "expected"), [("POST", CrmUncertain), ("PATCH", CrmUncertain)])
def test_see_other_after_a_write_is_uncertain(method: str, expected: type[CrmError]) -> None:
    """A 303 answers a write the CRM carried out: re-sending it could make a second record."""
    request = httpx.Request(method, "https://api.example.com/activities")
    error = classify_response(httpx.Response(303, request=request), platform="x")
    assert type(error) is expected
    get = classify_response(httpx.Response(303, request=httpx.Request("GET", request.url)), platform="x")
    assert isinstance(get, CrmRedirected) and get.location is None


@pytest.mark.parametrize(
    ("status", "error_class", "action"),
    [
        (400, CrmBadRequest, CrmAction.FAIL),
        (401, CrmAuthExpired, CrmAction.REFRESH_THEN_RETRY),
        (403, CrmForbidden, CrmAction.FAIL),
        (404, CrmNotFound, CrmAction.FAIL),
        (409, CrmBadRequest, CrmAction.FAIL),
        (422, CrmBadRequest, CrmAction.FAIL),
        (429, CrmRateLimited, CrmAction.RATE_LIMITED),
        (500, CrmUnavailable, CrmAction.RETRY),
        (502, CrmUnavailable, CrmAction.RETRY),
        (503, CrmUnavailable, CrmAction.RETRY),
    ],
)
async def test_status_codes_are_classified(
    status: int, error_class: type[CrmError], action: CrmAction
) -> None:
    client, _ = make_client(reply(status, headers={"x-request-id": "r1"}, body='{"error":"nope"}'))
    async with client:
        with pytest.raises(CrmError) as caught:
            await client.get(URL, policy=POLICY)
    error = caught.value
    assert type(error) is error_class
    assert error.status == status
    assert error.platform == "testcrm"
    assert error.method == "GET"
    assert error.headers["x-request-id"] == "r1"
    assert error.body == '{"error":"nope"}'
    assert action_for(error) is action
    assert f"{status}" in str(error) and "api.crm.example/v1/contacts" in str(error)


async def test_429_reads_pipedrive_seconds_until_reset() -> None:
    client, _ = make_client(
        reply(429, {"x-ratelimit-limit": "80", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "2"})
    )
    before = datetime.now(UTC)
    async with client:
        with pytest.raises(CrmRateLimited) as caught:
            await client.get(URL, policy=POLICY)
    after = datetime.now(UTC)
    error = caught.value
    assert error.retry_after == 2.0
    assert error.reset_at is not None
    assert before + timedelta(seconds=2) <= error.reset_at <= after + timedelta(seconds=2)
    assert error.rate_limit is not None
    assert (error.rate_limit.limit, error.rate_limit.remaining) == (80, 0)


async def test_429_prefers_retry_after_seconds_and_http_dates() -> None:
    client, _ = make_client(reply(429, {"retry-after": "7", "x-ratelimit-reset": "2"}))
    async with client:
        with pytest.raises(CrmRateLimited) as caught:
            await client.get(URL, policy=POLICY)
    assert caught.value.retry_after == 7.0

    when = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    client, _ = make_client(reply(429, {"retry-after": "Wed, 02 Jan 2030 03:04:05 GMT"}))
    async with client:
        with pytest.raises(CrmRateLimited) as caught:
            await client.get(URL, policy=POLICY)
    assert caught.value.reset_at == when
    assert caught.value.retry_after is not None and caught.value.retry_after > 0


async def test_429_without_hints_still_rate_limited() -> None:
    client, _ = make_client(reply(429))
    async with client:
        with pytest.raises(CrmRateLimited) as caught:
            await client.get(URL, policy=POLICY)
    assert caught.value.retry_after is None and caught.value.reset_at is None


@pytest.mark.parametrize("method", ["POST", "PATCH"])
@pytest.mark.parametrize(
    "exc", [httpx.ReadTimeout, httpx.WriteTimeout, httpx.RemoteProtocolError, httpx.ReadError]
)
async def test_failure_after_sending_a_non_idempotent_request_is_uncertain(
    method: str, exc: type[httpx.TransportError]
) -> None:
    client, _ = make_client(raising(exc))
    async with client:
        with pytest.raises(CrmUncertain) as caught:
            await client.request(method, URL, policy=POLICY, json={"subject": "call"})
    assert caught.value.method == method
    assert isinstance(caught.value.__cause__, exc)
    assert action_for(caught.value) is CrmAction.DO_NOT_RETRY_UNCERTAIN


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
@pytest.mark.parametrize("exc", [httpx.ReadTimeout, httpx.RemoteProtocolError])
async def test_failure_of_an_idempotent_request_is_unavailable(
    method: str, exc: type[httpx.TransportError]
) -> None:
    client, _ = make_client(raising(exc))
    async with client:
        with pytest.raises(CrmUnavailable) as caught:
            await client.request(method, URL, policy=POLICY)
    assert action_for(caught.value) is CrmAction.RETRY


@pytest.mark.parametrize("exc", [httpx.ConnectTimeout, httpx.ConnectError, httpx.PoolTimeout])
async def test_post_that_never_connected_is_unavailable_not_uncertain(
    exc: type[httpx.TransportError],
) -> None:
    client, _ = make_client(raising(exc))
    async with client:
        with pytest.raises(CrmUnavailable):
            await client.post(URL, policy=POLICY, json={})


async def test_invalid_url_and_scheme_are_refused_before_sending() -> None:
    client, seen = make_client(reply(200))
    async with client:
        with pytest.raises(CrmRequestRefused):
            await client.get("https://api.crm.example:notaport/x", policy=POLICY)
        with pytest.raises(CrmRequestRefused, match="scheme 'ftp'"):
            await client.get("ftp://api.crm.example/x", policy=POLICY)
        with pytest.raises(CrmRequestRefused):
            await client.get("/relative/path", policy=POLICY)
    assert seen == []


async def test_errors_and_logs_never_contain_credentials() -> None:
    client, _ = make_client(
        reply(401, {"set-cookie": f"session={SECRET_TOKEN}", "www-authenticate": "Bearer"}, body="expired")
    )
    with capture_logs() as logs:
        async with client:
            with pytest.raises(CrmAuthExpired) as caught:
                await client.get(
                    f"https://user:{SECRET_API_KEY}@api.crm.example/v1/deals?api_token={SECRET_API_KEY}",
                    policy=POLICY,
                    params={"client_secret": SECRET_API_KEY, "term": "+15551234"},
                    headers={"Authorization": f"Bearer {SECRET_TOKEN}", "x-api-key": SECRET_API_KEY},
                )
    error = caught.value
    rendered = " ".join([str(error), repr(error), str(error.url), repr(error.headers), repr(logs)])
    assert SECRET_TOKEN not in rendered
    assert SECRET_API_KEY not in rendered
    assert "term=%2B15551234" in str(error.url)  # non-secret query params are kept for debugging
    entry = next(e for e in logs if e["event"] == "crm_http.request_failed")
    assert (entry["method"], entry["host"], entry["path"], entry["status"]) == (
        "GET",
        "api.crm.example",
        "/v1/deals",
        401,
    )
    assert "elapsed_ms" in entry


async def test_successful_request_is_logged_with_safe_fields_only() -> None:
    client, _ = make_client(reply(200))
    with capture_logs() as logs:
        async with client:
            await client.get(URL + f"?api_token={SECRET_API_KEY}", policy=POLICY)
    (entry,) = [e for e in logs if e["event"] == "crm_http.request"]
    assert set(entry) == {"event", "log_level", "platform", "method", "host", "path", "status", "elapsed_ms"}
    assert SECRET_API_KEY not in repr(entry)


async def test_successful_request_is_logged_at_debug_not_info() -> None:
    # The access line already reports each request; a line per CRM call at INFO tripled the volume.
    client, _ = make_client(reply(200))
    with capture_logs() as logs:
        async with client:
            await client.get(URL, policy=POLICY)
    assert [e["log_level"] for e in logs if e["event"] == "crm_http.request"] == ["debug"]


async def test_cookies_are_never_carried_between_calls() -> None:
    client, seen = make_client(reply(200, {"set-cookie": "session=abc; Path=/"}))
    async with client:
        await client.get(URL, policy=POLICY)
        await client.get(URL, policy=POLICY)
    assert "cookie" not in seen[1].headers


async def test_per_request_timeout_is_passed_to_httpx() -> None:
    client, seen = make_client(reply(200), timeout=30.0, connect_timeout=10.0)
    async with client:
        await client.get(URL, policy=POLICY)
        await client.get(URL, policy=POLICY, timeout=2.0)
    assert seen[0].extensions["timeout"] == {"connect": 10.0, "read": 30.0, "write": 30.0, "pool": 30.0}
    assert seen[1].extensions["timeout"] == {"connect": 2.0, "read": 2.0, "write": 2.0, "pool": 2.0}


async def test_version_is_required() -> None:
    with pytest.raises(ValueError):
        CrmHttp(version="")


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("POST", "CrmUncertain"),
        ("PATCH", "CrmUncertain"),
        ("GET", "CrmUnavailable"),
        ("PUT", "CrmUnavailable"),
    ],
)
@pytest.mark.parametrize("status", [502, 504])
def test_a_gateway_giving_up_on_a_write_is_uncertain(method: str, expected: str, status: int) -> None:
    """A 502/504 after a POST or PATCH may hide a write the CRM applied: never re-send it blindly."""
    request = httpx.Request(method, "https://api.example.com/activities")
    error = classify_response(httpx.Response(status, request=request), platform="x")
    assert type(error).__name__ == expected
