"""The default network transport: aiohttp's connection pool behind httpx's request and response types.

Why not httpcore: measured under the lifecycle load (1 worker, 64 concurrent calls, 10 CRM requests
per call), httpx's own pool spent about a third of the server's CPU on each request: it scans every
pooled connection and polls its socket before picking one, and runs every read through anyio. aiohttp
keeps idle connections per host in a queue and reads with asyncio protocols. Connectors still see
``httpx.Response`` objects, and :class:`CrmHttp` still builds ``httpx.Request`` objects, so the error
classification, the tests' ``httpx.MockTransport`` and the connector API are unchanged. (HTTP/2 is
httpcore's: ``CrmHttp(http2=True)`` uses :class:`GuardedTransport` instead.)

The SSRF guard works as in :mod:`._network`: the strict pool's resolver hands aiohttp the addresses
:meth:`CrmHttp.request` has just vetted (published in :func:`route`), so the socket connects to one of
those, while the ``Host`` header, SNI and certificate checks keep the real host name. A connection
the strict pool opens without a published route resolves and vets by itself. Requests that allow
private networks use a separate pool, so their connections are never reused by strict requests.

aiohttp's automatic retry of an idempotent request on a dropped keep-alive connection is switched
off: a retry is the caller's decision (see :mod:`.outcomes`), and a dropped connection must surface
as the same error whether the request was a GET or a POST.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Sequence
from typing import Any

import aiohttp
import httpx
from aiohttp.abc import AbstractResolver, ResolveResult
from multidict import CIMultiDict
from yarl import URL

from appconnect.crm_http._network import current_route
from appconnect.crm_http.addresses import Resolver, resolve_public_addresses
from appconnect.crm_http.policy import normalise_host

__all__ = ["AiohttpTransport"]

# httpx has already put every header we send on the request; aiohttp must not add its own.
_SKIP_AUTO_HEADERS = ("User-Agent", "Accept", "Accept-Encoding", "Content-Type")


def _results(host: str, port: int, addresses: Sequence[str]) -> list[ResolveResult]:
    return [
        ResolveResult(
            hostname=host,
            host=address,
            port=port,
            family=socket.AF_INET6 if ":" in address else socket.AF_INET,
            proto=0,
            flags=socket.AI_NUMERICHOST,
        )
        for address in addresses
    ]


class PinnedResolver(AbstractResolver):
    """Answers with the vetted addresses of the request in flight (see the module docstring)."""

    def __init__(self, resolver: Resolver, resolve_timeout: float | None = None) -> None:
        self._resolver = resolver
        self._resolve_timeout = resolve_timeout

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET) -> list[ResolveResult]:
        key = normalise_host(host)
        current = current_route()
        if current is not None and current.host == key and current.addresses:
            addresses: Sequence[str] = current.addresses
        else:
            addresses = await resolve_public_addresses(
                key, port, resolver=self._resolver, resolve_timeout=self._resolve_timeout
            )
        return _results(host, port, addresses)

    async def close(self) -> None:
        return None


class SystemResolver(AbstractResolver):
    """The permissive pool's resolver: the OS's answer, unvetted (private networks are allowed there)."""

    async def resolve(self, host: str, port: int = 0, family: int = socket.AF_INET) -> list[ResolveResult]:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        seen: list[str] = []
        for info in infos:
            address = str(info[4][0])
            if address not in seen:
                seen.append(address)
        return _results(host, port, seen)

    async def close(self) -> None:
        return None


class _Pool:
    """One aiohttp session (and connection pool), created on first use in the running loop."""

    def __init__(
        self,
        *,
        ssl_context: ssl.SSLContext,
        max_connections: int,
        keepalive_expiry: float,
        resolver: AbstractResolver,
    ) -> None:
        self._ssl = ssl_context
        self._max = max_connections
        self._keepalive = keepalive_expiry
        self._resolver = resolver
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is None or self._loop is not loop or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self._max,
                limit_per_host=0,
                keepalive_timeout=self._keepalive,
                ssl=self._ssl,
                resolver=self._resolver,
                use_dns_cache=False,  # every new connection asks the (pinning) resolver
                enable_cleanup_closed=False,
            )
            session = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=False,  # httpx.Response decodes the body by its Content-Encoding
                trust_env=False,
                skip_auto_headers=_SKIP_AUTO_HEADERS,
                timeout=aiohttp.ClientTimeout(total=None),
            )
            if not hasattr(session, "_retry_connection"):
                raise RuntimeError("aiohttp no longer has ClientSession._retry_connection; update crm_http")
            session._retry_connection = False
            self._session, self._loop = session, loop
        return self._session

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()


def _timeout(request: httpx.Request) -> aiohttp.ClientTimeout:
    values: dict[str, Any] = request.extensions.get("timeout") or {}
    connect = values.get("connect")
    pool = values.get("pool")
    waiting = None if connect is None and pool is None else (connect or 0.0) + (pool or 0.0)
    return aiohttp.ClientTimeout(
        total=None, connect=waiting, sock_connect=connect, sock_read=values.get("read")
    )


def _translate(error: BaseException, request: httpx.Request) -> httpx.TransportError:
    """aiohttp's exception as the httpx exception :func:`classify_transport_error` understands."""
    if isinstance(error, aiohttp.ClientConnectorCertificateError):
        translated: httpx.TransportError = httpx.ConnectError(str(error), request=request)
        translated.__cause__ = error.certificate_error
        return translated
    if isinstance(error, aiohttp.ClientConnectorSSLError):
        translated = httpx.ConnectError(str(error), request=request)
        translated.__cause__ = error.os_error
        return translated
    if isinstance(error, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout("timed out connecting", request=request)
    if isinstance(error, aiohttp.ClientConnectorError):
        return httpx.ConnectError(str(error), request=request)
    if isinstance(error, aiohttp.ServerTimeoutError | asyncio.TimeoutError):
        return httpx.ReadTimeout("timed out waiting for the response", request=request)
    if isinstance(error, aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError):
        return httpx.RemoteProtocolError(str(error) or type(error).__name__, request=request)
    if isinstance(error, aiohttp.ClientResponseError):
        return httpx.RemoteProtocolError(f"invalid response ({type(error).__name__})", request=request)
    if isinstance(error, aiohttp.ClientOSError | OSError):
        return httpx.ReadError(str(error) or type(error).__name__, request=request)
    return httpx.TransportError(f"{type(error).__name__}", request=request)


class AiohttpTransport(httpx.AsyncBaseTransport):
    """Two aiohttp pools, strict (pinned, vetted addresses) and permissive, picked per request.

    The pool is chosen from the published :class:`~._network.Route`; without one, from
    *default_allow_private* (as :class:`~._network.GuardedTransport`).
    """

    def __init__(
        self,
        *,
        ssl_context: ssl.SSLContext,
        max_connections: int,
        keepalive_expiry: float,
        resolver: Resolver,
        default_allow_private: bool,
        connect_timeout: float | None = None,
    ) -> None:
        self._default_allow_private = default_allow_private
        common: dict[str, Any] = {
            "ssl_context": ssl_context,
            "max_connections": max_connections,
            "keepalive_expiry": keepalive_expiry,
        }
        self._strict = _Pool(resolver=PinnedResolver(resolver, connect_timeout), **common)
        self._permissive = _Pool(resolver=SystemResolver(), **common)

    def _pick(self) -> _Pool:
        current = current_route()
        allow_private = current.allow_private if current is not None else self._default_allow_private
        return self._permissive if allow_private else self._strict

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        session = self._pick().session()
        body = await request.aread()
        headers = CIMultiDict(
            (name.decode("latin-1"), value.decode("latin-1")) for name, value in request.headers.raw
        )
        try:
            async with session.request(
                request.method,
                URL(str(request.url), encoded=True),
                headers=headers,
                data=body or None,
                allow_redirects=False,
                timeout=_timeout(request),
            ) as answer:
                content = await answer.read()
                return httpx.Response(
                    answer.status,
                    headers=list(answer.raw_headers),
                    content=content,
                    request=request,
                    extensions={"http_version": b"HTTP/1.1"},
                )
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            translated = _translate(error, request)
            if translated.__cause__ is None:
                translated.__cause__ = error
            raise translated from translated.__cause__

    async def aclose(self) -> None:
        try:
            await self._strict.aclose()
        finally:
            await self._permissive.aclose()
