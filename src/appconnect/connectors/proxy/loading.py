"""Where proxy configurations come from: the files named by `APPCONNECT_PROXY_CONFIGS`.

The setting is a comma-separated list of files and directories (a directory contributes its
`*.json` files, sorted). Every file is validated before any is registered, so start-up refuses a
bad file with one line naming it, the JSON path and the reason, and nothing half-registered.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from appconnect.connectors.base import ConnectorContext
from appconnect.connectors.proxy.config import ProxyConfig, ProxyConfigError, load_proxy_config
from appconnect.connectors.proxy.connector import proxy_connector_class
from appconnect.connectors.registry import ConnectorRegistry

__all__ = ["proxy_config_files", "register_proxy_configs"]


def proxy_config_files(entries: Sequence[str]) -> list[Path]:
    """The configuration files named by the setting's entries (a directory: its `*.json`, sorted).

    Raises:
        ProxyConfigError: an entry that is neither a file nor a directory.
    """
    found: list[Path] = []
    for entry in entries:
        path = Path(entry).expanduser()
        if path.is_dir():
            found.extend(sorted(child for child in path.glob("*.json") if child.is_file()))
        elif path.is_file():
            found.append(path)
        else:
            raise ProxyConfigError(entry, "$", "no such file or directory")
    return found


def register_proxy_configs(
    registry: ConnectorRegistry, context: ConnectorContext, entries: Sequence[str]
) -> list[str]:
    """Validate every configuration file, then register each under its `meta.name`.

    Raises:
        ProxyConfigError: the first invalid file; or two files (or a file and a connector already
            registered) claiming the same platform name.
    """
    configs: list[ProxyConfig] = []
    names: dict[str, str] = {}
    for path in proxy_config_files(entries):
        config = load_proxy_config(path)
        if config.name in names:
            raise ProxyConfigError(
                config.source, "$.meta.name", f"{config.name!r} is also the name in {names[config.name]}"
            )
        if registry.has(config.name):
            raise ProxyConfigError(
                config.source, "$.meta.name", f"{config.name!r} is already a registered connector"
            )
        names[config.name] = config.source
        configs.append(config)
    for config in configs:
        connector = proxy_connector_class(config)(context)
        registry.register(config.name, connector)
    return [config.name for config in configs]
