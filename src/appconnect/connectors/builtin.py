"""The connectors that ship with the server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from appconnect.connectors.base import ConnectorContext
from appconnect.connectors.registry import ConnectorRegistry


def _sample(context: ConnectorContext) -> Any:
    from appconnect.connectors.sample import create_connector

    return create_connector(context)


def _pipedrive(context: ConnectorContext) -> Any:
    from appconnect.connectors.pipedrive import create_connector

    return create_connector(context)


def _clio(context: ConnectorContext) -> Any:
    from appconnect.connectors.clio import create_connector

    return create_connector(context)


BUILTIN_CONNECTORS: dict[str, Callable[[ConnectorContext], Any]] = {
    "sample": _sample,
    "pipedrive": _pipedrive,
    "clio": _clio,
}


def register_builtin_connectors(
    registry: ConnectorRegistry, context: ConnectorContext, *, only: tuple[str, ...] = ()
) -> list[str]:
    """Register the built-in connectors (all, or those named in `only`)."""
    names = [name for name in BUILTIN_CONNECTORS if not only or name in only]
    for name in names:
        registry.register(name, BUILTIN_CONNECTORS[name](context))
    return names
