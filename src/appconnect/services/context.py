"""The process-wide objects every service needs, built once at start-up."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from appconnect.config import Secrets, Settings
from appconnect.connectors.registry import ConnectorRegistry
from appconnect.crm_http import CrmHttp
from appconnect.security import SessionTokens
from appconnect.store import Store


@dataclass
class ServerContext:
    settings: Settings
    secrets: Secrets
    store: Store
    registry: ConnectorRegistry
    tokens: SessionTokens
    http: CrmHttp
    account_data_flights: dict[tuple[str, str, str], asyncio.Lock] = field(default_factory=dict)
    """Per (account, platform, key): concurrent account-data fetches of this process share one."""
    proxy_portal: Any = None
    """The `ProxyPortal` resolving login `proxyId`s to proxy connectors (None: proxies by file only)."""
