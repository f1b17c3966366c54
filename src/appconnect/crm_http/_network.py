"""Transport plumbing: TLS context, DNS pinning (anti DNS-rebinding), one pool per trust level.

How the SSRF guard and the socket agree on the address
------------------------------------------------------
:meth:`CrmHttp.request` resolves the host once, vets every address, and publishes the vetted
addresses for the duration of the call in a context variable (:func:`route`).  The strict pool's
network backend (:class:`PinnedNetworkBackend`) then connects to one of *those* addresses instead of
letting the OS resolve the name again, so a DNS answer that changes between the check and the
connect (DNS rebinding) cannot steer the socket to an internal address.  The URL is untouched, so
the ``Host`` header, TLS SNI and certificate verification still use the real host name (httpcore
passes the origin host as ``server_hostname`` to ``start_tls``).  A connection opened by the strict
backend without a published route (nobody should do that) resolves and vets by itself.

Connections are pooled per origin, so requests that allow private networks use a separate pool:
a connection opened to a private address for a permissive connector is never reused by a strict one.

Residual risks: the httpcore pool is plugged into ``httpx.AsyncHTTPTransport`` through its private
``_pool`` attribute (checked at start-up, fails loudly if httpx changes); redirects are not followed at
all (a 3xx raises ``CrmRedirected``), so they cannot bypass the guard; proxies from the environment
are ignored (an explicit transport disables them in httpx).
"""

from __future__ import annotations

import functools
import os
import ssl
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import certifi
import httpcore
import httpx

from appconnect.crm_http.addresses import Resolver, resolve_public_addresses
from appconnect.crm_http.policy import normalise_host

__all__ = [
    "GuardedTransport",
    "PinnedNetworkBackend",
    "Route",
    "build_ssl_context",
    "current_route",
    "route",
    "shared_ssl_context",
]


def build_ssl_context(ca_file: str | None = None) -> ssl.SSLContext:
    """A new context verifying against *ca_file* (the ``SSL_CERT_FILE`` setting) if given, else
    certifi's bundle: for a transport that changes its context (httpcore sets the ALPN protocols
    on it at every connection, ``h2`` included when HTTP/2 is on)."""
    return ssl.create_default_context(cafile=ca_file if ca_file else certifi.where())


def shared_ssl_context(ca_file: str | None = None) -> ssl.SSLContext:
    """The context of :func:`build_ssl_context`, loaded once per file as it is on disk and shared by
    every client that asks for it: loading a bundle costs about 17 ms, and a launch builds two
    clients (the start-up checks' and the app's). Only for transports that never change a context
    (aiohttp's). A file that was rewritten (another inode, size or time) is loaded again; one that
    cannot be read raises as before.
    """
    cafile = ca_file if ca_file else certifi.where()
    try:
        found = os.stat(cafile)
    except OSError:
        return build_ssl_context(cafile)  # raises the precise error
    return _loaded_context(cafile, (found.st_ino, found.st_size, found.st_mtime_ns))


@functools.lru_cache(maxsize=8)
def _loaded_context(cafile: str, version: tuple[int, int, int]) -> ssl.SSLContext:
    return build_ssl_context(cafile)


@dataclass(frozen=True, slots=True)
class Route:
    """What the guard decided for the request in flight."""

    host: str
    allow_private: bool
    addresses: tuple[str, ...] = ()


_ROUTE: ContextVar[Route | None] = ContextVar("appconnect_crm_http_route", default=None)


def current_route() -> Route | None:
    return _ROUTE.get()


@contextmanager
def route(value: Route) -> Iterator[None]:
    """Publish the guard's decision for the code (and connections) running inside the block."""
    token = _ROUTE.set(value)
    try:
        yield
    finally:
        _ROUTE.reset(token)


class PinnedNetworkBackend(httpcore.AsyncNetworkBackend):
    """Connects only to vetted addresses for the host name it is asked for (see module docstring)."""

    def __init__(
        self,
        *,
        resolver: Resolver,
        inner: httpcore.AsyncNetworkBackend | None = None,
        resolve_timeout: float | None = None,
    ) -> None:
        self._inner = inner if inner is not None else httpcore.AnyIOBackend()
        self._resolver = resolver
        self._resolve_timeout = resolve_timeout

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        key = normalise_host(host)
        current = _ROUTE.get()
        if current is not None and current.host == key and current.addresses:
            addresses = current.addresses
        else:
            addresses = await resolve_public_addresses(
                key, port, resolver=self._resolver, resolve_timeout=timeout or self._resolve_timeout
            )
        options = list(socket_options) if socket_options is not None else None
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not allowed for CRM calls")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def _pooled_transport(
    *,
    ssl_context: ssl.SSLContext,
    limits: httpx.Limits,
    http2: bool,
    network_backend: httpcore.AsyncNetworkBackend | None,
) -> httpx.AsyncHTTPTransport:
    transport = httpx.AsyncHTTPTransport(verify=ssl_context, trust_env=False, http2=http2, limits=limits)
    if network_backend is not None:
        if not isinstance(getattr(transport, "_pool", None), httpcore.AsyncConnectionPool):
            raise RuntimeError(
                "httpx.AsyncHTTPTransport no longer exposes its httpcore pool; update crm_http"
            )
        transport._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=http2,
            network_backend=network_backend,
        )
    return transport


class GuardedTransport(httpx.AsyncBaseTransport):
    """Two connection pools: a strict one (pinned, vetted addresses) and a permissive one.

    The pool is picked per request from the published :class:`Route`; without one, from
    *default_allow_private*.
    """

    def __init__(
        self,
        *,
        ssl_context: ssl.SSLContext,
        limits: httpx.Limits,
        resolver: Resolver,
        default_allow_private: bool,
        http2: bool = False,
        connect_timeout: float | None = None,
    ) -> None:
        self._default_allow_private = default_allow_private
        backend = PinnedNetworkBackend(resolver=resolver, resolve_timeout=connect_timeout)
        self._strict = _pooled_transport(
            ssl_context=ssl_context, limits=limits, http2=http2, network_backend=backend
        )
        self._permissive = _pooled_transport(
            ssl_context=ssl_context, limits=limits, http2=http2, network_backend=None
        )

    def _pick(self) -> httpx.AsyncHTTPTransport:
        current = _ROUTE.get()
        allow_private = current.allow_private if current is not None else self._default_allow_private
        return self._permissive if allow_private else self._strict

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._pick().handle_async_request(request)

    async def aclose(self) -> None:
        try:
            await self._strict.aclose()
        finally:
            await self._permissive.aclose()
