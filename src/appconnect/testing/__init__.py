"""A conformance kit for connector authors: the promises the server relies on, as named checks.

Why: a connector is only exercised by a real client talking to a real CRM, which is the slowest
place to learn that a manifest is malformed or that an update drops the agent's note. Modeled on
the Singer SDK's generated tap tests, this kit gives any connector package the same named tests
the built-in connectors pass, and `appconnect check` runs the static ones on a configured server.

Use it in a connector package's tests::

    # tests/test_conformance.py
    from pathlib import Path
    from typing import Any

    from appconnect.testing import ConnectorConformance
    from mycrm import MyCrmConnector


    class TestMyCrmConformance(ConnectorConformance):
        network_free = True              # run the behavioural tests too (local/fake CRM)
        phone_number = "+14155550100"    # a number the CRM knows

        def create_connector(self, tmp_path: Path) -> Any:
            return MyCrmConnector(database_url=f"sqlite:///{tmp_path / 'crm.db'}")

That yields `test_registers`, `test_manifest_is_valid`, `test_implemented_interfaces_match_manifest`,
`test_auth_type_is_known`, `test_log_format_is_known`, and (network-free connectors)
`test_call_log_round_trip`, `test_update_keeps_agent_line`, `test_find_contact_placeholder_last`.

Without pytest: `static_checks(name, connector, manifest)` returns a `CheckResult` per check, and
`manifest_problems(manifest, name)` lists the manifest rules broken.
"""

from __future__ import annotations

from appconnect.testing.checks import (
    BEHAVIOURAL_CHECKS,
    STATIC_CHECKS,
    CheckFailed,
    CheckResult,
    CheckSkipped,
    default_auth_header,
    default_user,
    static_checks,
)
from appconnect.testing.conformance import ConnectorConformance
from appconnect.testing.manifest import manifest_platform, manifest_problems

__all__ = [
    "BEHAVIOURAL_CHECKS",
    "STATIC_CHECKS",
    "CheckFailed",
    "CheckResult",
    "CheckSkipped",
    "ConnectorConformance",
    "default_auth_header",
    "default_user",
    "manifest_platform",
    "manifest_problems",
    "static_checks",
]
