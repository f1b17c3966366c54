"""The proxy (declarative) connector: a CRM added with a JSON file and no Python (spec platform §8).

* `load_proxy_config(path)` reads and validates one file against the shipped JSON Schema
  (`schema.json`) and raises `ProxyConfigError("<file>: <JSON path>: <reason>")`;
* `proxy_connector_class(config)` is the connector class of that configuration (only the
  declared operations are interfaces);
* `register_proxy_configs(registry, context, paths)` registers every file of
  `APPCONNECT_PROXY_CONFIGS` under its `meta.name`, with its manifest fragment.
"""

from __future__ import annotations

from appconnect.connectors.proxy.config import (
    ProxyConfig,
    ProxyConfigError,
    config_problems,
    load_proxy_config,
    parse_proxy_config,
    proxy_config_schema,
)
from appconnect.connectors.proxy.connector import ProxyConnector, proxy_connector_class
from appconnect.connectors.proxy.loading import proxy_config_files, register_proxy_configs

__all__ = [
    "ProxyConfig",
    "ProxyConfigError",
    "ProxyConnector",
    "config_problems",
    "load_proxy_config",
    "parse_proxy_config",
    "proxy_config_files",
    "proxy_config_schema",
    "proxy_connector_class",
    "register_proxy_configs",
]
