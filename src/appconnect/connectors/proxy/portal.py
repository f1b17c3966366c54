"""The reference's way to a proxy configuration: a `proxyId`, fetched from the Developer Portal.

A login naming a `proxyId` (spec platform §8.1) has its configuration fetched from
`APPCONNECT_PROXY_CONFIG_URL` (default `<APPCONNECT_DEVELOPER_PORTAL_URL>/connectors/{proxyId}/proxyConfig`),
validated exactly as a file is, and registered under the login's platform name. The user row
keeps the `proxyId` (`platformAdditionalInfo.proxyId`, as the spec says), so any process can
resolve the platform again later from the user alone.

The answer may be the configuration itself or `{"proxyConfig": {...}, "secretKey": "..."}`, or, as
the reference's Developer Console keeps it, `{"proxyConfig": {...}, "encodedSecretKey": "<hex>"}`: the
secret sealed with `DEVELOPER_APP_SERVER_SECRET_KEY` in the reference's scheme (spec platform §2.6,
§8.1), opened here and never logged.
Configurations are cached per process for `APPCONNECT_PROXY_CONFIG_TTL` seconds and fetched
once however many requests ask at the same time. Nothing here must happen exactly once across
processes (a second fetch is harmless), so process memory is the right place for the cache.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any
from urllib.parse import quote

from appconnect.connectors.base import ConnectorContext
from appconnect.connectors.proxy.config import ProxyConfig, ProxyConfigError, parse_proxy_config
from appconnect.connectors.proxy.connector import ProxyConnector, proxy_connector_class
from appconnect.connectors.registry import ConnectorRegistry
from appconnect.crm_http import CrmHttp, HostPolicy
from appconnect.logging import remember_secret
from appconnect.security.reference_encoding import ReferenceDecodingError, reference_decode

__all__ = ["DEFAULT_PROXY_CONFIG_PATH", "ProxyPortal"]

DEFAULT_PROXY_CONFIG_PATH = "/connectors/{proxyId}/proxyConfig"
_DEVELOPER_KEY = "DEVELOPER_APP_SERVER_SECRET_KEY"
_PROXY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


class ProxyPortal:
    """Fetches, validates, caches and registers proxy configurations by `proxyId`."""

    def __init__(
        self,
        http: CrmHttp,
        url_template: str,
        *,
        ttl_seconds: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        developer_secret_key: str | None = None,
    ) -> None:
        if "{proxyId}" not in url_template:
            raise ValueError("the proxy configuration URL must contain {proxyId}")
        self._http = http
        self._template = url_template
        self._policy = HostPolicy.for_base_url(url_template.split("{", 1)[0], platform="Developer Portal")
        self._ttl = ttl_seconds
        self._clock = clock
        self._developer_secret_key = developer_secret_key
        self._cache: dict[str, tuple[float, ProxyConfig]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._platforms: dict[str, tuple[str, float]] = {}  # platform -> (proxy id, registered at)
        self.fetches = 0

    def url_of(self, proxy_id: str) -> str:
        """The configuration's URL (the id percent-encoded as one path segment).

        Raises:
            ProxyConfigError: an id that cannot be a proxy id.
        """
        if not _PROXY_ID.match(proxy_id):
            raise ProxyConfigError(f"proxy {proxy_id[:40]!r}", "$", "not a valid proxy id")
        return self._template.replace("{proxyId}", quote(proxy_id, safe=""))

    async def config(self, proxy_id: str) -> ProxyConfig:
        """The validated configuration of `proxy_id`, from the cache while it is fresh.

        Raises:
            ProxyConfigError: the portal's answer is not a valid configuration.
            CrmError: the portal could not be reached or refused (e.g. 404 for an unknown id).
        """
        cached = self._cache.get(proxy_id)
        if cached is not None and cached[0] > self._clock():
            return cached[1]
        lock = self._locks.setdefault(proxy_id, asyncio.Lock())
        async with lock:
            cached = self._cache.get(proxy_id)
            if cached is not None and cached[0] > self._clock():
                return cached[1]
            self.fetches += 1
            response = await self._http.get(self.url_of(proxy_id), policy=self._policy)
            source = f"proxy {proxy_id}"
            try:
                answer: Any = response.json()
            except ValueError:
                raise ProxyConfigError(source, "$", "the Developer Portal did not answer JSON") from None
            secret = ""
            if isinstance(answer, dict) and isinstance(answer.get("proxyConfig"), dict):
                secret = self._secret_of(answer, source)
                answer = answer["proxyConfig"]
            config = replace(parse_proxy_config(answer, source, environ={}), secret_key=secret)
            remember_secret(secret)
            self._cache[proxy_id] = (self._clock() + self._ttl, config)
            return config

    def _secret_of(self, answer: dict[str, Any], source: str) -> str:
        """The proxy's `{{secretKey}}`: `encodedSecretKey` opened when present (the reference's
        Developer Console form), else the plain `secretKey`."""
        sealed = answer.get("encodedSecretKey")
        if not sealed:
            return str(answer.get("secretKey") or "")
        if not isinstance(sealed, str):
            raise ProxyConfigError(source, "$.encodedSecretKey", "must be the hex text of the sealed secret")
        if not self._developer_secret_key:
            raise ProxyConfigError(
                source,
                "$.encodedSecretKey",
                f"{_DEVELOPER_KEY} is not set, so it cannot be opened",
            )
        try:
            return reference_decode(sealed, self._developer_secret_key, key_name=_DEVELOPER_KEY)
        except ReferenceDecodingError as error:
            raise ProxyConfigError(source, "$.encodedSecretKey", str(error)) from None

    async def ensure(
        self, registry: ConnectorRegistry, context: ConnectorContext, platform: str, proxy_id: str
    ) -> bool:
        """Make `platform` the connector of `proxy_id`'s configuration; False when it is another
        connector's (a built-in or file one always wins, nothing is replaced).

        Raises:
            ProxyConfigError: invalid configuration, or `platform` already served by another proxy.
            CrmError: the portal failed.
        """
        bound = self._platforms.get(platform)
        if bound is None and registry.has(platform):
            return False
        if bound is not None and bound[0] != proxy_id:
            raise ProxyConfigError(
                f"proxy {proxy_id}", "$", f"platform {platform!r} is already served by proxy {bound[0]!r}"
            )
        if bound is not None and bound[1] + self._ttl > self._clock():
            return True
        config = await self.config(proxy_id)
        connector_class = proxy_connector_class(config)
        named: type[ProxyConnector] = type(connector_class.__name__, (connector_class,), {"name": platform})
        registry.register(platform, named(context))
        self._platforms[platform] = (proxy_id, self._clock())
        return True
