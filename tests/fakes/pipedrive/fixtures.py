"""pytest fixtures for fake Pipedrive. Import their functions into a test module to use them::

    from tests.fakes.pipedrive.fixtures import fake_pipedrive_fixture, pipedrive_env_fixture  # noqa: F401

(the functions are named `*_fixture` so the fixture names do not clash with test parameters.)

* `fake_pipedrive`: a running `FakePipedrive` with one user (id 1234) seeded; after the test it
  fails if the connector sent any request Pipedrive would have refused.
* `pipedrive_env`: `fake_pipedrive` with the `PIPEDRIVE_*` variables set to point at it.
* `pipedrive_connector`: a `PipedriveConnector` on a development `CrmHttp` that trusts the fake's CA.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from appconnect.connectors.base import ConnectorContext
from appconnect.connectors.pipedrive import PipedriveConnector
from appconnect.crm_http import CrmHttp
from appconnect.domain import User
from tests.fakes.pipedrive import FakePipedrive

__all__ = [
    "PIPEDRIVE_USER_ID",
    "fake_pipedrive_fixture",
    "pipedrive_connector_fixture",
    "pipedrive_env_fixture",
    "pipedrive_user",
]

PIPEDRIVE_USER_ID = 1234


@pytest.fixture(name="fake_pipedrive")
def fake_pipedrive_fixture() -> Iterator[FakePipedrive]:
    with FakePipedrive() as pipedrive:
        pipedrive.state.add_user("Jordan Lee", user_id=PIPEDRIVE_USER_ID)
        yield pipedrive
        assert pipedrive.state.rejections == [], "the connector sent requests Pipedrive refuses"


@pytest.fixture(name="pipedrive_env")
def pipedrive_env_fixture(fake_pipedrive: FakePipedrive, monkeypatch: pytest.MonkeyPatch) -> FakePipedrive:
    for name, value in fake_pipedrive.environment().items():
        monkeypatch.setenv(name, value)
    return fake_pipedrive


@pytest.fixture(name="pipedrive_connector")
async def pipedrive_connector_fixture(pipedrive_env: FakePipedrive) -> AsyncIterator[PipedriveConnector]:
    async with CrmHttp(
        version="0.0.0-test", ca_file=pipedrive_env.ca_pem_path, allow_private_networks=True, timeout=10.0
    ) as http:
        yield PipedriveConnector(ConnectorContext(http=http, settings=None))


def pipedrive_user(pipedrive: FakePipedrive, **overrides: Any) -> tuple[User, str]:
    """An App Connect user of the fake's company with a valid token, and its auth header."""
    access, refresh = pipedrive.state.issue_tokens(PIPEDRIVE_USER_ID)
    user = User(
        id=f"{PIPEDRIVE_USER_ID}-pipedrive",
        platform="pipedrive",
        hostname=pipedrive.hostname,
        timezone_offset="+00:00",
        access_token=access,
        refresh_token=refresh,
        **overrides,
    )
    return user, f"Bearer {access}"
