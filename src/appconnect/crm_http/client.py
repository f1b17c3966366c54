"""`CrmHttp`: the one outbound HTTP client for every CRM call.

One pooled ``httpx.AsyncClient`` shared by all connectors, with

* timeouts (overall ``timeout``, shorter ``connect_timeout``; also bounds DNS resolution),
* TLS verified against ``ca_file`` (the ``SSL_CERT_FILE`` setting) or certifi's bundle,
* the ``Unified-CRM-Extension-Version`` header on every request,
* a per-connector host allow-list (:class:`HostPolicy`) and an SSRF guard, both checked before any
  byte leaves; the guard pins the connection to the vetted addresses (see :mod:`._network`),
* no redirects followed (a 3xx raises :class:`CrmRedirected`: its target was never vetted), no
  cookies kept between calls (the client is shared by all users and CRMs), no proxy/netrc settings
  read from the environment,
* every non-2xx answer and every transport failure raised as one typed error
  (:mod:`.errors`); what to do about it is in :mod:`.outcomes`.

Logs carry method, host, path, status and elapsed time only: never headers, query strings or bodies.
Successful calls are logged at DEBUG, failures at WARNING.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from http.cookiejar import CookieJar, DefaultCookiePolicy
from types import TracebackType
from typing import Any, Self, TypedDict, Unpack

import httpx
import structlog

from appconnect.crm_http._aiohttp import AiohttpTransport
from appconnect.crm_http._network import (
    GuardedTransport,
    Route,
    build_ssl_context,
    route,
    shared_ssl_context,
)
from appconnect.crm_http.addresses import Resolver, resolve_public_addresses, system_resolver
from appconnect.crm_http.classify import classify_response, classify_transport_error
from appconnect.crm_http.errors import CrmError, CrmRequestRefused
from appconnect.crm_http.policy import HostPolicy, normalise_host

__all__ = ["VERSION_HEADER", "CrmHttp", "RequestOptions"]

VERSION_HEADER = "Unified-CRM-Extension-Version"

log = structlog.get_logger(__name__)

KEEPALIVE_SECONDS = 30.0
"""How long an idle connection to a CRM is kept (CRM load balancers typically allow 60 s or more)."""


class RequestOptions(TypedDict, total=False):
    """Keyword arguments of :meth:`CrmHttp.request` besides ``policy`` (for the verb shortcuts)."""

    headers: Mapping[str, str] | None
    params: Mapping[str, Any] | None
    json: Any
    data: Mapping[str, Any] | None
    content: bytes | str | None
    timeout: float | None


def _no_cookies() -> CookieJar:
    """A jar that accepts and returns no cookie at all (allowed_domains=[] matches nothing)."""
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


class CrmHttp:
    """Shared async HTTP client for CRM APIs.  Create one per process; close it on shutdown.

    ``allow_private_networks`` should be True only in development (a CRM on localhost); a
    :class:`HostPolicy` may override it per connector.  ``transport`` replaces the real network
    (e.g. ``httpx.MockTransport`` in unit tests; the allow-list and SSRF checks still run first) and
    ``resolver`` replaces the system DNS resolver used by the SSRF guard.
    """

    def __init__(
        self,
        *,
        version: str,
        ca_file: str | None = None,
        timeout: float = 30.0,
        connect_timeout: float = 10.0,
        allow_private_networks: bool = False,
        max_connections: int = 256,
        http2: bool = False,
        transport: httpx.AsyncBaseTransport | None = None,
        resolver: Resolver | None = None,
    ) -> None:
        if not version:
            raise ValueError("version is required (sent as the Unified-CRM-Extension-Version header)")
        self._version = version
        self._allow_private = allow_private_networks
        self._resolver: Resolver = resolver if resolver is not None else system_resolver
        self._connect_timeout = connect_timeout
        # Every connection the pool may open is kept alive: a cap below the concurrency would close
        # connections after each burst and pay a TCP and TLS handshake for the next request.
        limits = httpx.Limits(
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=KEEPALIVE_SECONDS,
        )
        if transport is None and http2:
            transport = GuardedTransport(
                ssl_context=build_ssl_context(ca_file),
                limits=limits,
                resolver=self._resolver,
                default_allow_private=allow_private_networks,
                http2=http2,
                connect_timeout=connect_timeout,
            )
        elif transport is None:
            transport = AiohttpTransport(
                ssl_context=shared_ssl_context(ca_file),
                max_connections=max_connections,
                keepalive_expiry=KEEPALIVE_SECONDS,
                resolver=self._resolver,
                default_allow_private=allow_private_networks,
                connect_timeout=connect_timeout,
            )
        self._transport: httpx.AsyncBaseTransport = transport
        self._client = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(connect_timeout, timeout)),
            follow_redirects=False,
            trust_env=False,
            cookies=_no_cookies(),
            headers={VERSION_HEADER: version},
        )

    @property
    def version(self) -> str:
        return self._version

    @property
    def allow_private_networks(self) -> bool:
        return self._allow_private

    async def _vet(self, url: httpx.URL, policy: HostPolicy) -> Route:
        platform = policy.platform or "this CRM"
        if url.scheme not in ("http", "https"):
            raise CrmRequestRefused(f"scheme {url.scheme or '(none)'!r} is not allowed for {platform}")
        host = normalise_host(url.raw_host.decode("ascii"))
        if not host:
            raise CrmRequestRefused(f"a URL without a host is not allowed for {platform}")
        if not policy.allows(host):
            raise CrmRequestRefused(f"host {host} is not allowed for {platform}")
        allow_private = self._allow_private if policy.allow_private is None else policy.allow_private
        if allow_private:
            return Route(host=host, allow_private=True)
        port = url.port or (443 if url.scheme == "https" else 80)
        addresses = await resolve_public_addresses(
            host, port, resolver=self._resolver, resolve_timeout=self._connect_timeout
        )
        return Route(host=host, allow_private=False, addresses=addresses)

    async def check_url(self, url: str | httpx.URL, *, policy: HostPolicy) -> None:
        """Vet *url* exactly as :meth:`request` would, without sending anything.

        For an address a user supplies (a CRM hostname at login): refusing it up front means it is
        never stored nor handed to a connector. Raises :class:`CrmRequestRefused` (scheme, allow-list,
        private address) or :class:`CrmUnavailable` (the name does not resolve).
        """
        try:
            target = httpx.URL(url)
        except (httpx.InvalidURL, TypeError):
            raise CrmRequestRefused(
                f"invalid URL for {policy.platform or 'this CRM'}", platform=policy.platform
            ) from None
        await self._vet(target, policy)

    async def request(
        self,
        method: str,
        url: str | httpx.URL,
        *,
        policy: HostPolicy,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        content: bytes | str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - a per-request network timeout, as in httpx
    ) -> httpx.Response:
        """Send one request; return the response for 1xx-2xx, raise a :class:`CrmError` otherwise."""
        method = method.upper()
        platform = policy.platform
        started = time.perf_counter()
        try:
            target = httpx.URL(url)
        except (httpx.InvalidURL, TypeError):
            # The message of InvalidURL may echo parts of the URL: keep it out.
            error: CrmError = CrmRequestRefused(
                f"invalid URL for {platform or 'this CRM'}", platform=platform
            )
            log.warning("crm_http.refused", platform=platform, method=method, error=type(error).__name__)
            raise error from None
        if params:
            target = target.copy_merge_params(params)
        try:
            decision = await self._vet(target, policy)
        except CrmError as exc:
            self._fill(exc, platform=platform, method=method)
            self._log_error(exc, method, target, platform, started)
            raise
        send_headers = dict(headers or {})
        for name in [name for name in send_headers if name.lower() == VERSION_HEADER.lower()]:
            del send_headers[name]
        send_headers[VERSION_HEADER] = self._version
        request_timeout: httpx.Timeout | None = None
        if timeout is not None:
            request_timeout = httpx.Timeout(timeout, connect=min(self._connect_timeout, timeout))
        try:
            with route(decision):
                request = self._client.build_request(
                    method,
                    target,
                    headers=send_headers,
                    json=json,
                    data=data,
                    content=content,
                    timeout=request_timeout if request_timeout is not None else httpx.USE_CLIENT_DEFAULT,
                )
                response = await self._send(request)
        except CrmError as exc:  # raised by the pinned network backend
            self._fill(exc, platform=platform, method=method)
            self._log_error(exc, method, target, platform, started)
            raise
        except httpx.HTTPError as exc:
            error = classify_transport_error(exc, method=method, url=target, platform=platform)
            self._log_error(error, method, target, platform, started)
            raise error from exc
        failure = classify_response(response, platform=platform)
        if failure is not None:
            self._log_error(failure, method, target, platform, started)
            raise failure
        # DEBUG: a request makes one or more CRM calls, and the access line already says how it
        # went; failures are logged at WARNING below.
        log.debug(
            "crm_http.request",
            platform=platform,
            method=method,
            host=target.host,
            path=target.path,
            status=response.status_code,
            elapsed_ms=round((time.perf_counter() - started) * 1000, 1),
        )
        return response

    async def _send(self, request: httpx.Request) -> httpx.Response:
        """The request straight to the transport, read whole.

        `AsyncClient.send` adds what this client switches off (auth flows, redirects, cookies,
        event hooks) at a cost per call that showed in the profile; the client is kept for
        `build_request` (headers, URL and timeout merging) and for closing the transport.
        """
        response = await self._transport.handle_async_request(request)
        response.request = request
        try:
            await response.aread()
        finally:
            await response.aclose()
        return response

    @staticmethod
    def _fill(error: CrmError, *, platform: str | None, method: str) -> None:
        if error.platform is None:
            error.platform = platform
        if error.method is None:
            error.method = method

    @staticmethod
    def _log_error(
        error: CrmError, method: str, url: httpx.URL, platform: str | None, started: float
    ) -> None:
        log.warning(
            "crm_http.request_failed",
            platform=platform,
            method=method,
            host=url.host,
            path=url.path,
            status=error.status,
            error=type(error).__name__,
            reason=str(error),
            elapsed_ms=round((time.perf_counter() - started) * 1000, 1),
        )

    async def get(
        self, url: str | httpx.URL, *, policy: HostPolicy, **options: Unpack[RequestOptions]
    ) -> httpx.Response:
        return await self.request("GET", url, policy=policy, **options)

    async def post(
        self, url: str | httpx.URL, *, policy: HostPolicy, **options: Unpack[RequestOptions]
    ) -> httpx.Response:
        return await self.request("POST", url, policy=policy, **options)

    async def put(
        self, url: str | httpx.URL, *, policy: HostPolicy, **options: Unpack[RequestOptions]
    ) -> httpx.Response:
        return await self.request("PUT", url, policy=policy, **options)

    async def patch(
        self, url: str | httpx.URL, *, policy: HostPolicy, **options: Unpack[RequestOptions]
    ) -> httpx.Response:
        return await self.request("PATCH", url, policy=policy, **options)

    async def delete(
        self, url: str | httpx.URL, *, policy: HostPolicy, **options: Unpack[RequestOptions]
    ) -> httpx.Response:
        return await self.request("DELETE", url, policy=policy, **options)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"CrmHttp(version={self._version!r}, allow_private_networks={self._allow_private})"
