"""Where Clio lives: the four regions' OAuth apps and every URL, read once from settings.

Why a module of its own: Clio runs four separate regions (US `app.clio.com`, `eu.app.clio.com`,
`ca.app.clio.com`, `au.app.clio.com`), each with its own OAuth app, token endpoint and API; the
region is the login hostname the user chose. Every address goes through `ConnectorContext.setting`
with the real service as the default, so a test points the connector at a stand-in by setting
environment variables, and the host allow-list is derived from the same values.

| Setting | Default | Meaning |
|---|---|---|
| `CLIO_CLIENT_ID`, `CLIO_CLIENT_SECRET` | (empty) | the US region's (`app.clio.com`) OAuth app |
| `CLIO_EU_CLIENT_ID`, `CLIO_EU_CLIENT_SECRET` | (empty) | the EU region's app |
| `CLIO_CA_CLIENT_ID`, `CLIO_CA_CLIENT_SECRET` | (empty) | the Canadian region's app |
| `CLIO_AU_CLIENT_ID`, `CLIO_AU_CLIENT_SECRET` | (empty) | the Australian region's app |
| `CLIO_REDIRECT_URI` | the reference's (`DEFAULT_REDIRECT_URI`) | the apps' registered callback |
| `CLIO_ACCESS_TOKEN_URI` | `https://<region host>/oauth/token` | replaces every region's token endpoint |
| `CLIO_API_BASE_URL` | `https://<login hostname>` | where `/api/v4/...` and `/oauth/deauthorize` go |
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import httpx

from appconnect.crm_http import HostPolicy
from appconnect.crm_http.policy import normalise_host

if TYPE_CHECKING:
    from appconnect.connectors.base import ConnectorContext

__all__ = ["CLIO_HOSTS", "DEFAULT_REDIRECT_URI", "REGIONS", "ClioRegion", "ClioSettings", "region_of"]

DEFAULT_REDIRECT_URI = "https://ringcentral.github.io/ringcentral-embeddable/redirect.html"
CLIO_HOSTS = ("*.clio.com", "app.clio.com")
"""Clio's own hosts: every region's app and API."""
UPLOAD_HOSTS = ("*.amazonaws.com",)
"""Where Clio's document `put_url`s point (its document store); nothing else is uploaded to."""
RINGCENTRAL_MEDIA_HOSTS = ("*.ringcentral.com",)
"""Where a fax's PDF is downloaded from before it is uploaded to Clio."""


@dataclass(frozen=True)
class ClioRegion:
    """One Clio region: its login host and the variable prefix of its OAuth app."""

    key: str
    host: str
    prefix: str


REGIONS: dict[str, ClioRegion] = {
    "us": ClioRegion("us", "app.clio.com", "CLIO_"),
    "eu": ClioRegion("eu", "eu.app.clio.com", "CLIO_EU_"),
    "ca": ClioRegion("ca", "ca.app.clio.com", "CLIO_CA_"),
    "au": ClioRegion("au", "au.app.clio.com", "CLIO_AU_"),
}


def bare_host(hostname: str | None) -> str:
    """The host of a stored or typed hostname (`https://eu.app.clio.com/` -> `eu.app.clio.com`).

    >>> bare_host("https://eu.app.clio.com/"), bare_host("app.clio.com")
    ('eu.app.clio.com', 'app.clio.com')
    """
    return (hostname or "").strip().split("://", 1)[-1].split("/", 1)[0].lower()


def region_of(hostname: str | None) -> ClioRegion:
    """The region a login hostname belongs to, as the reference decides: by its first label
    (`eu.`, `ca.`, `au.`), the US region otherwise.

    >>> region_of("au.app.clio.com").key, region_of("app.clio.com").key, region_of(None).key
    ('au', 'us', 'us')
    """
    host = bare_host(hostname)
    for region in REGIONS.values():
        if region.key != "us" and host.startswith(f"{region.key}."):
            return region
    return REGIONS["us"]


def _setting(context: ConnectorContext | None, name: str, default: str) -> str:
    if context is not None:
        return context.setting(name, default)
    return os.environ.get(name) or default


def _host(url: str) -> str:
    try:
        return normalise_host(httpx.URL(url).host)
    except (httpx.InvalidURL, TypeError):
        return ""


@dataclass(frozen=True)
class ClioCredentials:
    client_id: str
    client_secret: str


@dataclass(frozen=True)
class ClioSettings:
    """The connector's configuration; build it with `ClioSettings.from_context(context)`.

    Example:
        >>> settings = ClioSettings.from_context(None)
        >>> settings.token_uri("eu.app.clio.com"), settings.api_root("ca.app.clio.com")
        ('https://eu.app.clio.com/oauth/token', 'https://ca.app.clio.com')
    """

    credentials: dict[str, ClioCredentials]
    redirect_uri: str = DEFAULT_REDIRECT_URI
    access_token_uri: str = ""
    api_base_url: str = ""

    @classmethod
    def from_context(cls, context: ConnectorContext | None) -> ClioSettings:
        return cls(
            credentials={
                key: ClioCredentials(
                    client_id=_setting(context, f"{region.prefix}CLIENT_ID", ""),
                    client_secret=_setting(context, f"{region.prefix}CLIENT_SECRET", ""),
                )
                for key, region in REGIONS.items()
            },
            redirect_uri=_setting(context, "CLIO_REDIRECT_URI", DEFAULT_REDIRECT_URI),
            access_token_uri=_setting(context, "CLIO_ACCESS_TOKEN_URI", ""),
            api_base_url=_setting(context, "CLIO_API_BASE_URL", "").rstrip("/"),
        )

    def credentials_for(self, hostname: str | None) -> ClioCredentials:
        return self.credentials[region_of(hostname).key]

    def token_uri(self, hostname: str | None) -> str:
        """The token endpoint for code exchange and refresh in the user's region."""
        return self.access_token_uri or f"https://{region_of(hostname).host}/oauth/token"

    def authorize_uri(self, region: ClioRegion) -> str:
        return f"https://{region.host}/oauth/authorize"

    def api_root(self, hostname: str | None) -> str:
        """Where `/api/v4/...` and `/oauth/deauthorize` are called: the login hostname over HTTPS
        (as the reference builds it), or `CLIO_API_BASE_URL`."""
        if self.api_base_url:
            return self.api_base_url
        host = bare_host(hostname)
        if not host:
            raise ValueError("the Clio user has no hostname")
        return f"https://{host}"

    def _with_configured(self, base: tuple[str, ...]) -> tuple[str, ...]:
        hosts = list(base)
        for url in (self.api_base_url, self.access_token_uri):
            host = _host(url) if url else ""
            if host and not HostPolicy(allowed_hosts=tuple(hosts)).allows(host):
                hosts.append(host)
        return tuple(hosts)

    @cached_property
    def allowed_hosts(self) -> tuple[str, ...]:
        """Clio's hosts and the hosts configured here: where the user's token may be sent (and
        what a login hostname must match)."""
        return self._with_configured(CLIO_HOSTS)

    @cached_property
    def host_policy(self) -> HostPolicy:
        return HostPolicy(allowed_hosts=self.allowed_hosts, platform="clio")

    @cached_property
    def media_policy(self) -> HostPolicy:
        """For the fax document only: its download from RingCentral and its upload to Clio's
        document store (`put_url`), never with the Clio token."""
        return HostPolicy(
            allowed_hosts=self._with_configured((*UPLOAD_HOSTS, *RINGCENTRAL_MEDIA_HOSTS)), platform="clio"
        )
