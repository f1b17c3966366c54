"""The conformance kit run on the built-in connectors, as a connector package would run it.

`sample` needs no network, so it gets the behavioural tests as well; `pipedrive` talks to Pipedrive,
so it runs the static checks (its behaviour is covered against the fake Pipedrive elsewhere).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from appconnect.config import Settings
from appconnect.connectors.base import ConnectorContext
from appconnect.crm_http import CrmHttp
from appconnect.testing import ConnectorConformance
from appconnect.testing.checks import STATIC_CHECKS, static_checks


def _context(settings: Settings) -> ConnectorContext:
    return ConnectorContext(http=CrmHttp(timeout=5.0, version="test"), settings=settings)


class TestSampleConformance(ConnectorConformance):
    network_free = True
    phone_number = "+14155550100"  # Ann Example, a seeded contact

    def create_connector(self, tmp_path: Path) -> Any:
        from appconnect.connectors.sample import create_connector

        settings = Settings(sample_crm_database_url=f"sqlite:///{tmp_path / 'sample-crm.db'}")
        return create_connector(_context(settings))


def test_pipedrive_passes_every_static_check() -> None:
    from appconnect.connectors.pipedrive import create_connector

    connector = create_connector(_context(Settings()))
    results = static_checks("pipedrive", connector, connector.manifest)
    assert {result.check for result in results} == set(STATIC_CHECKS)
    assert [result for result in results if result.status != "ok"] == []
