"""`ConnectorConformance`: the pytest base class a connector package subclasses in its own tests.

Why: like the Singer SDK's generated tap tests, one subclass gives a connector every check the
server relies on, named, so a regression reads as `test_update_keeps_agent_line FAILED` rather
than as a user's lost note. The class needs nothing but pytest (its `tmp_path` fixture is asked for
by argument name), so this module does not import pytest until a check is skipped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from appconnect.connectors.base import Connector
from appconnect.domain import User
from appconnect.testing.checks import (
    BEHAVIOURAL_CHECKS,
    STATIC_CHECKS,
    CheckSkipped,
    default_auth_header,
    default_user,
)

__all__ = ["ConnectorConformance"]


def _skip(reason: str) -> None:
    import pytest

    pytest.skip(reason)


class ConnectorConformance:
    """Subclass as `TestMyCrmConformance(ConnectorConformance)` and implement `create_connector`.

    Class attributes:
        network_free: set True when the connector works with no network (a local or fake CRM);
            only then are the behavioural tests run, otherwise they are skipped.
        phone_number: a number the CRM knows (the behavioural tests log a call against it).

    Override `make_user` / `make_auth_header` to seed credentials the connector accepts, and
    `manifest` when the manifest does not live on `connector.manifest`.
    """

    network_free: ClassVar[bool] = False
    phone_number: ClassVar[str] = "+14155550100"

    # -- what the author provides ---------------------------------------------------------------
    def create_connector(self, tmp_path: Path) -> Connector:
        """A fresh connector; `tmp_path` is a per-test directory for any local state."""
        raise NotImplementedError("ConnectorConformance subclasses implement create_connector(tmp_path)")

    def manifest(self, connector: Connector) -> Mapping[str, Any] | None:
        """The connector's manifest (default: `connector.manifest`)."""
        manifest = connector.manifest
        return manifest if isinstance(manifest, Mapping) else None

    def make_user(self, connector: Connector) -> User:
        """The user the behavioural tests act as (default: an API-key/OAuth user with a dummy token)."""
        return default_user(connector.name)

    def make_auth_header(self, connector: Connector, user: User) -> str:
        """The auth header the server would build for `user` (default: Basic or Bearer)."""
        return default_auth_header(connector, user)

    # -- plumbing -------------------------------------------------------------------------------
    def _static(self, check: str, tmp_path: Path) -> None:
        connector = self.create_connector(tmp_path)
        try:
            STATIC_CHECKS[check](connector.name, connector, self.manifest(connector))
        except CheckSkipped as skipped:
            _skip(str(skipped))

    def _behaviour(self, check: str, tmp_path: Path) -> None:
        if not self.network_free:
            _skip("behavioural checks need network_free = True")
        connector = self.create_connector(tmp_path)

        async def run() -> None:
            await connector.startup()
            try:
                user = self.make_user(connector)
                auth_header = self.make_auth_header(connector, user)
                await BEHAVIOURAL_CHECKS[check](connector, user, auth_header, self.phone_number)
            finally:
                await connector.shutdown()

        try:
            asyncio.run(run())
        except CheckSkipped as skipped:
            _skip(str(skipped))

    # -- static tests ---------------------------------------------------------------------------
    def test_registers(self, tmp_path: Path) -> None:
        """`create_call_log` and `update_call_log` exist and the registry accepts the connector."""
        self._static("registers", tmp_path)

    def test_manifest_is_valid(self, tmp_path: Path) -> None:
        """The manifest follows the reference validator's rules (spec platform §7.5)."""
        self._static("manifest_is_valid", tmp_path)

    def test_implemented_interfaces_match_manifest(self, tmp_path: Path) -> None:
        """Every feature the manifest advertises is implemented."""
        self._static("implemented_interfaces_match_manifest", tmp_path)

    def test_auth_type_is_known(self, tmp_path: Path) -> None:
        """`get_auth_type()` is oauth or apiKey, with its auth interface."""
        self._static("auth_type_is_known", tmp_path)

    def test_log_format_is_known(self, tmp_path: Path) -> None:
        """`get_log_format_type()` is a format the composer writes."""
        self._static("log_format_is_known", tmp_path)

    def test_interfaces_match_protocols(self, tmp_path: Path) -> None:
        """Each interface method takes its input, returns its result, and reads only real fields."""
        self._static("interfaces_match_protocols", tmp_path)

    # -- behavioural tests (network_free connectors) --------------------------------------------
    def test_call_log_round_trip(self, tmp_path: Path) -> None:
        """A created call log reads back with the body it was given as `full_body`."""
        self._behaviour("call_log_round_trip", tmp_path)

    def test_update_keeps_agent_line(self, tmp_path: Path) -> None:
        """An update composed from the CRM's body plus an agent's line keeps the line."""
        self._behaviour("update_keeps_agent_line", tmp_path)

    def test_find_contact_placeholder_last(self, tmp_path: Path) -> None:
        """`find_contact` ends its matches with exactly one create-new-contact placeholder."""
        self._behaviour("find_contact_placeholder_last", tmp_path)
