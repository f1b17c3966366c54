"""`appconnect check --proxy FILE`: validate proxy configurations offline, as start-up would.

Each file is validated (schema, base URL host, template inputs); a valid one is turned into its
connector (no network, no database) and given the conformance kit's static checks, so the
manifest fragment and `/implementedInterfaces` are checked before any agent logs in.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from appconnect.connectors.proxy.config import ProxyConfigError, load_proxy_config
from appconnect.connectors.proxy.connector import proxy_connector_class

__all__ = ["check_proxy_files"]


def check_proxy_files(
    paths: Sequence[Path], *, environ: dict[str, str] | None = None
) -> tuple[list[str], bool]:
    """The lines to print and whether every file passed."""
    from appconnect.testing import static_checks

    lines: list[str] = []
    ok = True
    for path in paths:
        try:
            config = load_proxy_config(path, environ=environ)
        except ProxyConfigError as error:
            lines.append(f"FAIL {error}")
            ok = False
            continue
        lines.append(
            f"ok {path}: valid proxy configuration for platform {config.name!r} "
            f"(operations: {', '.join(config.operations)})"
        )
        connector = proxy_connector_class(config)(None)
        for result in static_checks(config.name, connector, connector.manifest):
            lines.append(result.line)
            ok = ok and result.status != "fail"
    return lines, ok
