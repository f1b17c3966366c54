"""Where Pipedrive lives: every URL and credential the connector uses, read once from settings.

Why a module of its own: each external address goes through `ConnectorContext.setting`, with the
real service as the default, so a test (or a simulator) points the connector at a stand-in by
setting environment variables, never by changing code. The host allow-list is derived from the
same values: the connector may call `*.pipedrive.com` and the hosts configured here, nothing else.

| Setting | Default | Meaning |
|---|---|---|
| `PIPEDRIVE_CLIENT_ID` | (empty) | OAuth client id of your Pipedrive app |
| `PIPEDRIVE_CLIENT_SECRET` | (empty) | its client secret |
| `PIPEDRIVE_REDIRECT_URI` | `<public server URL>/pipedrive-redirect` | the app's registered callback URL |
| `PIPEDRIVE_API_BASE_URL` | `https://api.pipedrive.com` | the global API (who am I, at login) |
| `PIPEDRIVE_OAUTH_BASE_URL` | `https://oauth.pipedrive.com` | authorize and revoke endpoints |
| `PIPEDRIVE_ACCESS_TOKEN_URI` | `<OAuth base>/oauth/token` | the token endpoint |

Each company's own API is the user's `hostname` (`acme.pipedrive.com`), always called over HTTPS.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import httpx

from appconnect.crm_http import HostPolicy, join_url
from appconnect.crm_http.policy import normalise_host

if TYPE_CHECKING:
    from appconnect.connectors.base import ConnectorContext

__all__ = [
    "DEFAULT_API_BASE_URL",
    "DEFAULT_OAUTH_BASE_URL",
    "PIPEDRIVE_HOSTS",
    "PipedriveSettings",
]

DEFAULT_API_BASE_URL = "https://api.pipedrive.com"
DEFAULT_OAUTH_BASE_URL = "https://oauth.pipedrive.com"
DEFAULT_SERVER_URL = "http://localhost:6066"
PIPEDRIVE_HOSTS = "*.pipedrive.com"
"""Every company's API host (`<company>.pipedrive.com`) and Pipedrive's own services."""


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
class PipedriveSettings:
    """The connector's configuration; build it with `PipedriveSettings.from_context(context)`.

    Example:
        >>> settings = PipedriveSettings.from_context(None)
        >>> settings.revoke_uri
        'https://oauth.pipedrive.com/oauth/revoke'
    """

    client_id: str
    client_secret: str
    redirect_uri: str
    api_base_url: str = DEFAULT_API_BASE_URL
    oauth_base_url: str = DEFAULT_OAUTH_BASE_URL
    access_token_uri: str = f"{DEFAULT_OAUTH_BASE_URL}/oauth/token"

    @classmethod
    def from_context(cls, context: ConnectorContext | None) -> PipedriveSettings:
        server_settings = context.settings if context is not None else None
        server_url = str(getattr(server_settings, "public_server_url", "") or DEFAULT_SERVER_URL)
        oauth_base = _setting(context, "PIPEDRIVE_OAUTH_BASE_URL", DEFAULT_OAUTH_BASE_URL).rstrip("/")
        return cls(
            client_id=_setting(context, "PIPEDRIVE_CLIENT_ID", ""),
            client_secret=_setting(context, "PIPEDRIVE_CLIENT_SECRET", ""),
            redirect_uri=_setting(
                context, "PIPEDRIVE_REDIRECT_URI", f"{server_url.rstrip('/')}/pipedrive-redirect"
            ),
            api_base_url=_setting(context, "PIPEDRIVE_API_BASE_URL", DEFAULT_API_BASE_URL).rstrip("/"),
            oauth_base_url=oauth_base,
            access_token_uri=_setting(
                context, "PIPEDRIVE_ACCESS_TOKEN_URI", join_url(oauth_base, "/oauth/token")
            ),
        )

    @property
    def authorize_uri(self) -> str:
        return join_url(self.oauth_base_url, "/oauth/authorize")

    @property
    def revoke_uri(self) -> str:
        return join_url(self.oauth_base_url, "/oauth/revoke")

    @cached_property
    def allowed_hosts(self) -> tuple[str, ...]:
        """`*.pipedrive.com` plus the hosts of the configured URLs (so a stand-in is allowed only
        because it was configured)."""
        hosts = [PIPEDRIVE_HOSTS]
        for url in (self.api_base_url, self.oauth_base_url, self.access_token_uri):
            host = _host(url)
            if host and not HostPolicy(allowed_hosts=tuple(hosts)).allows(host):
                hosts.append(host)
        return tuple(hosts)

    def host_policy(self) -> HostPolicy:
        return self._host_policy

    @cached_property
    def _host_policy(self) -> HostPolicy:
        # Built once: every Pipedrive request asked for it (a few regex matches each time).
        return HostPolicy(allowed_hosts=self.allowed_hosts, platform="pipedrive")

    def company_url(self, hostname: str | None) -> str:
        """The base URL of a company's API from the user's stored `hostname`, always over HTTPS
        (a scheme or path stored with the host is dropped).

        >>> PipedriveSettings.from_context(None).company_url("http://acme.pipedrive.com/")
        'https://acme.pipedrive.com'
        """
        host = (hostname or "").strip().split("://", 1)[-1].split("/", 1)[0]
        if not host:
            raise ValueError("the Pipedrive user has no company hostname")
        return f"https://{host}"
