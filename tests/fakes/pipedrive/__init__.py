"""Fake Pipedrive: a stateful HTTPS server that answers the connector exactly as Pipedrive would.

    with FakePipedrive() as pipedrive:
        user = pipedrive.state.add_user("Jordan Lee", user_id=1234)
        ann = pipedrive.state.add_person("Ann Example", "+1 415 555 0100")
        monkeypatch.setenv(...)  # pipedrive.environment(): PIPEDRIVE_* pointing here
        ... the server or connector (with SSL_CERT_FILE = pipedrive.ca_pem_path) calls it ...
        assert pipedrive.state.activities[...]["note"] == ...
        assert pipedrive.state.rejections == []

One server plays every Pipedrive host over TLS with a throw-away CA: the company API and the global
API are `https://localhost:<port>`, the OAuth server is `https://127.0.0.1:<port>` (the fake refuses
an OAuth call on the API host and the other way round). The connector reaches it only because the
`PIPEDRIVE_*` settings name it. Requests are recorded and faults injected by `FakeCrmServer`
(`pipedrive.faults.add(429, ...)`, `.latency(...)`, `.drop_connection()`); the state adds
Pipedrive's own behaviour: token expiry (`state.expire_access_tokens()`), the burst rate limit
(`state.exhaust_rate_limit()`), per-path latency to make concurrency observable
(`state.latency`, `state.max_in_flight`), and the list of refused requests (`state.rejections`).
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from tests.fakes.pipedrive.app import create_pipedrive_app
from tests.fakes.pipedrive.state import (
    FAKE_CLIENT_ID,
    FAKE_CLIENT_SECRET,
    FAKE_REDIRECT_URI,
    PipedriveState,
)
from tests.fakes.server import FakeCrmServer, FaultInjector, RecordedRequest

__all__ = [
    "FAKE_CLIENT_ID",
    "FAKE_CLIENT_SECRET",
    "FAKE_REDIRECT_URI",
    "FakePipedrive",
    "PipedriveState",
    "create_pipedrive_app",
]

API_HOST = "localhost"
OAUTH_HOST = "127.0.0.1"


class FakePipedrive:
    """Fake Pipedrive on a loopback port, over HTTPS; `state` holds what it stores."""

    def __init__(self, state: PipedriveState | None = None) -> None:
        self.state = state if state is not None else PipedriveState()
        self.server = FakeCrmServer(
            create_pipedrive_app(self.state), tls=True, tls_hostnames=(API_HOST, OAUTH_HOST)
        )

    def start(self) -> Self:
        self.server.start()
        self.state.api_host = self.hostname
        self.state.oauth_host = f"{OAUTH_HOST}:{self.server.port}"
        return self

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- addresses and settings -----------------------------------------------------------------
    @property
    def hostname(self) -> str:
        """The company's host as App Connect stores it (`users.hostname`)."""
        return f"{API_HOST}:{self.server.port}"

    @property
    def api_base_url(self) -> str:
        return f"https://{API_HOST}:{self.server.port}"

    @property
    def oauth_base_url(self) -> str:
        return f"https://{OAUTH_HOST}:{self.server.port}"

    @property
    def ca_pem_path(self) -> str:
        """The throw-away CA that signed the fake's certificate (for `SSL_CERT_FILE`)."""
        assert self.server.ca_pem_path is not None, "start the fake first"
        return self.server.ca_pem_path

    def environment(self) -> dict[str, str]:
        """The `PIPEDRIVE_*` settings that point the connector here."""
        return {
            "PIPEDRIVE_API_BASE_URL": self.api_base_url,
            "PIPEDRIVE_OAUTH_BASE_URL": self.oauth_base_url,
            "PIPEDRIVE_ACCESS_TOKEN_URI": f"{self.oauth_base_url}/oauth/token",
            "PIPEDRIVE_CLIENT_ID": self.state.client_id,
            "PIPEDRIVE_CLIENT_SECRET": self.state.client_secret,
            "PIPEDRIVE_REDIRECT_URI": self.state.redirect_uri,
        }

    # -- recorded requests and faults -----------------------------------------------------------
    @property
    def faults(self) -> FaultInjector:
        return self.server.faults

    @property
    def requests(self) -> list[RecordedRequest]:
        return self.server.requests

    def requests_to(self, method: str, path: str) -> list[RecordedRequest]:
        return self.server.requests_to(method, path)

    def clear_requests(self) -> None:
        self.server.clear_requests()

    def rate_limit_next(self, *, path: str | None = None, reset_seconds: int = 42, times: int = 1) -> None:
        """The next request(s) (to `path`) get Pipedrive's 429 with its rate-limit headers."""
        self.faults.add(
            429,
            headers={
                "x-ratelimit-limit": "80",
                "x-ratelimit-remaining": "0",
                "x-ratelimit-reset": str(reset_seconds),
            },
            body={
                "success": False,
                "error": "Request over limit",
                "errorCode": 429,
                "error_info": "Rate limited",
            },
            path=path,
            times=times,
        )
