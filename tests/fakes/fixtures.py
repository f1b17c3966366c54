"""pytest fixtures for the fake CRM toolkit.  Load them from ``tests/conftest.py`` with::

    pytest_plugins = ["tests.fakes.fixtures"]

Fixtures: ``fake_crm_factory``, ``generic_crm``, ``generic_crm_tls``, ``crm_http_dev``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from starlette.types import ASGIApp

from appconnect.crm_http import CrmHttp
from tests.fakes.generic_crm import create_generic_crm_app
from tests.fakes.server import FakeCrmServer

__all__ = ["FakeCrmFactory", "crm_http_dev", "fake_crm_factory", "generic_crm", "generic_crm_tls"]

FakeCrmFactory = Callable[..., FakeCrmServer]

TEST_EXTENSION_VERSION = "0.0.0-test"


@pytest.fixture
def fake_crm_factory() -> Iterator[FakeCrmFactory]:
    """``fake_crm_factory(app, tls=False, **kw)`` starts a FakeCrmServer, stopped after the test."""
    servers: list[FakeCrmServer] = []

    def start(app: ASGIApp, *, tls: bool = False, **kwargs: Any) -> FakeCrmServer:
        server = FakeCrmServer(app, tls=tls, **kwargs).start()
        servers.append(server)
        return server

    yield start
    for server in reversed(servers):
        server.stop()


@pytest.fixture
def generic_crm(fake_crm_factory: FakeCrmFactory) -> FakeCrmServer:
    """A running plain-HTTP generic fake CRM (token: ``tests.fakes.generic_crm.GENERIC_CRM_TOKEN``)."""
    return fake_crm_factory(create_generic_crm_app())


@pytest.fixture
def generic_crm_tls(fake_crm_factory: FakeCrmFactory) -> FakeCrmServer:
    """The generic fake CRM over HTTPS with a throw-away CA (``.ca_pem_path``)."""
    return fake_crm_factory(create_generic_crm_app(), tls=True)


@pytest.fixture
async def crm_http_dev() -> AsyncIterator[CrmHttp]:
    """A development-mode CrmHttp (private networks allowed, short timeouts) for loopback fakes."""
    async with CrmHttp(
        version=TEST_EXTENSION_VERSION, allow_private_networks=True, timeout=5.0, connect_timeout=2.0
    ) as client:
        yield client
