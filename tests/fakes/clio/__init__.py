"""Fake Clio: a stateful HTTPS server that answers the connector as Clio's API v4 would.

    with FakeClio() as clio:
        clio.state.add_user("Jordan Lee", user_id=CLIO_USER_ID)
        ann = clio.state.add_contact("Ann Example", "(415) 555-0100")
        monkeypatch.setenv(...)  # clio.environment(): CLIO_* pointing here
        ... the server (with SSL_CERT_FILE = clio.ca_pem_path) calls it ...
        assert clio.state.communications[...]["body"] == ...
        assert clio.state.rejections == []

One server plays every region over TLS with a throw-away CA (`https://localhost:<port>`): the
connector reaches it because `CLIO_API_BASE_URL` and `CLIO_ACCESS_TOKEN_URI` name it, while users
log in with the real region hostnames (`eu.app.clio.com`, ...). The region of a login shows in
which region's OAuth app asked for the token (`state.token_requests`, `state.region_of(token)`).
Requests are recorded and faults injected by `FakeCrmServer` (`clio.faults.add(...)`,
`clio.rate_limit_next(...)`).
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from tests.fakes.clio.app import create_clio_app
from tests.fakes.clio.state import FAKE_REDIRECT_URI, REGION_CLIENTS, ClioState
from tests.fakes.server import FakeCrmServer, FaultInjector, RecordedRequest

__all__ = ["FAKE_REDIRECT_URI", "REGION_CLIENTS", "ClioState", "FakeClio", "create_clio_app"]

HOST = "localhost"
REGION_PREFIXES = {"us": "CLIO_", "eu": "CLIO_EU_", "ca": "CLIO_CA_", "au": "CLIO_AU_"}
REGION_HOSTS = {
    "us": "app.clio.com",
    "eu": "eu.app.clio.com",
    "ca": "ca.app.clio.com",
    "au": "au.app.clio.com",
}


class FakeClio:
    """Fake Clio on a loopback port, over HTTPS; `state` holds what it stores."""

    def __init__(self, state: ClioState | None = None) -> None:
        self.state = state if state is not None else ClioState()
        self.server = FakeCrmServer(create_clio_app(self.state), tls=True, tls_hostnames=(HOST,))

    def start(self) -> Self:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"https://{HOST}:{self.server.port}"

    @property
    def ca_pem_path(self) -> str:
        assert self.server.ca_pem_path is not None, "start the fake first"
        return self.server.ca_pem_path

    def media_url(self, name: str) -> str:
        """A RingCentral media URI on the fake (the connector adds nothing: the link carries the token)."""
        return f"{self.base_url}/media/{name}"

    def environment(self) -> dict[str, str]:
        """The `CLIO_*` settings that point the connector here, with every region's app."""
        env = {
            "CLIO_API_BASE_URL": self.base_url,
            "CLIO_ACCESS_TOKEN_URI": f"{self.base_url}/oauth/token",
            "CLIO_REDIRECT_URI": self.state.redirect_uri,
        }
        for region, prefix in REGION_PREFIXES.items():
            client_id, secret = REGION_CLIENTS[region]
            env[f"{prefix}CLIENT_ID"] = client_id
            env[f"{prefix}CLIENT_SECRET"] = secret
        return env

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
        """The next request(s) (to `path`) get Clio's 429 with its rate-limit headers."""
        self.faults.add(
            429,
            headers={
                "x-ratelimit-limit": "50",
                "x-ratelimit-remaining": "0",
                "x-ratelimit-reset": str(reset_seconds),
                "retry-after": str(reset_seconds),
            },
            body={"error": {"type": "RateLimited", "message": "Rate limit exceeded"}},
            path=path,
            times=times,
        )
