"""Exactly one token refresh across processes: `appconnect serve --workers 4`, and four servers at once.

Each server is a separate process tree sharing one database (PostgreSQL when
`APPCONNECT_TEST_DATABASE_URL` is set, else one SQLite file), so nothing in process memory can
coordinate the workers; the fake OAuth CRM runs in the test process and counts refresh requests.
The OAuth connector is loaded through `APPCONNECT_EXTRA_CONNECTORS`.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from tests.conftest import TEST_HASH_KEY, TEST_SECRET
from tests.fakes.oauth_crm import (
    BASE_URL_ENV,
    OAuthCrmState,
    callback_query,
    create_oauth_crm_app,
    refresh_requests,
)
from tests.fakes.server import FakeCrmServer
from tests.support.processes import serving

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKERS = 4
LIMITS = httpx.Limits(max_connections=40, max_keepalive_connections=0)


@pytest.fixture
def oauth_crm(fake_crm_factory: Any) -> tuple[FakeCrmServer, OAuthCrmState]:
    state = OAuthCrmState(login_expires_in=60)  # due for a refresh right after login
    return fake_crm_factory(create_oauth_crm_app(state)), state


@contextmanager
def _serving(
    tmp_path: Path, database_url: str, crm: FakeCrmServer, *, workers: int
) -> Iterator[tuple[str, int]]:
    """`appconnect serve` in its own process tree; yields its URL and the pid of the serving process."""
    env = {
        **{key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG")},
        "PYTHONPATH": str(REPO_ROOT),
        "DATABASE_URL": database_url,
        "APP_SERVER_SECRET_KEY": TEST_SECRET,
        "HASH_KEY": TEST_HASH_KEY,
        "APPCONNECT_EXTRA_CONNECTORS": "tests.fakes.oauth_crm:create_connector",
        BASE_URL_ENV: crm.base_url,
        "SAMPLE_CRM_DATABASE_URL": f"sqlite:///{tmp_path / 'sample-crm.db'}",
        "LOG_LEVEL": "WARNING",
    }
    with serving(tmp_path, env, "--workers", str(workers)) as (url, process):
        yield url, process.pid


async def _login(client: httpx.AsyncClient, url: str, state: OAuthCrmState) -> dict[str, str]:
    login = await client.get(f"{url}/oauth-callback", params=callback_query(state.issue_code()))
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['jwtToken']}"}


async def _find_ann(client: httpx.AsyncClient, url: str, auth: dict[str, str]) -> dict[str, Any]:
    answer = await client.get(f"{url}/contact", params={"phoneNumber": "+14155550100"}, headers=auth)
    body: dict[str, Any] = answer.json()
    return body


async def test_twenty_concurrent_requests_on_a_four_worker_server_make_one_refresh(
    tmp_path: Path, database_url: str, oauth_crm: tuple[FakeCrmServer, OAuthCrmState]
) -> None:
    crm, state = oauth_crm
    with _serving(tmp_path, database_url, crm, workers=WORKERS) as (url, pid):
        assert len(psutil.Process(pid).children(recursive=True)) >= WORKERS
        async with httpx.AsyncClient(timeout=60, limits=LIMITS) as client:
            auth = await _login(client, url, state)
            crm.faults.latency(0.3, method="POST", path="/oauth/token")  # keep the refresh in flight a while
            bodies = await asyncio.gather(*(_find_ann(client, url, auth) for _ in range(20)))
    assert all(body["successful"] is True for body in bodies), bodies
    assert len(refresh_requests(crm)) == 1


async def test_requests_spread_over_four_servers_sharing_the_database_make_one_refresh(
    tmp_path: Path, database_url: str, oauth_crm: tuple[FakeCrmServer, OAuthCrmState]
) -> None:
    """Four separate servers (as on four machines behind a load balancer), five requests each."""
    crm, state = oauth_crm
    with ExitStack() as stack:
        first = stack.enter_context(_serving(tmp_path, database_url, crm, workers=1))  # migrates the database
        others = [stack.enter_context(_serving(tmp_path, database_url, crm, workers=1)) for _ in range(3)]
        urls = [url for url, _pid in (first, *others)]
        async with httpx.AsyncClient(timeout=60, limits=LIMITS) as client:
            auth = await _login(client, urls[0], state)
            crm.faults.latency(0.3, method="POST", path="/oauth/token")
            bodies = await asyncio.gather(*(_find_ann(client, urls[i % 4], auth) for i in range(20)))
    assert all(body["successful"] is True for body in bodies), bodies
    assert len({body["contact"][0]["additionalInfo"]["pid"] for body in bodies}) == 4
    assert len(refresh_requests(crm)) == 1
