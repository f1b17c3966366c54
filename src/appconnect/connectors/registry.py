"""The connector registry: platform name -> connector, manifest and extra interfaces.

Rules follow the reference (spec platform §7.2) with one deliberate change: a platform nobody
registered is an error (`ConnectorNotFound`) rather than a silent fall-back to another connector.
Connectors installed as separate Python packages are found through the entry-point group
`appconnect.connectors`; each entry point names a factory `(ConnectorContext) -> connector`.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterator, Mapping
from copy import deepcopy
from importlib.metadata import entry_points
from typing import Any

import structlog

from appconnect.connectors.base import INTERFACE_NAMES, REQUIRED_INTERFACES, ConnectorContext

log = structlog.get_logger(__name__)

ENTRY_POINT_GROUP = "appconnect.connectors"

# Key order of GET /implementedInterfaces (after getAuthType and the auth-specific key).
IMPLEMENTED_INTERFACE_ORDER = (
    "getUserInfo",
    "createCallLog",
    "updateCallLog",
    "getCallLog",
    "createMessageLog",
    "updateMessageLog",
    "createContact",
    "findContact",
    "listAppointments",
    "createAppointment",
    "updateAppointment",
    "refreshAppointment",
    "confirmAppointment",
    "cancelAppointment",
    "unAuthorize",
    "upsertCallDisposition",
    "findContactWithName",
    "getUserList",
    "getManagedAuthOptions",
    "getLicenseStatus",
    "getLogFormatType",
    "refreshUserInfo",
)


class RegistryError(ValueError):
    """A connector or interface was refused at registration."""


class ConnectorNotFound(LookupError):
    def __init__(self, platform: str) -> None:
        super().__init__(f"Connector not found for platform: {platform}")
        self.platform = platform


class ManifestNotFound(LookupError):
    def __init__(self, platform: str) -> None:
        super().__init__(f"Manifest not found for platform: {platform}")


def _python_name(interface: str) -> str:
    return INTERFACE_NAMES.get(interface, interface)


class ComposedConnector:
    """A read-only view: the connector's own methods, with registered interfaces filling gaps.

    The connector object itself is never modified.
    """

    def __init__(self, connector: Any | None, interfaces: Mapping[str, Callable[..., Any]]) -> None:
        self._connector = connector
        self._interfaces = dict(interfaces)

    def __getattr__(self, attribute: str) -> Any:
        connector = self.__dict__["_connector"]
        if connector is not None and hasattr(connector, attribute):
            return getattr(connector, attribute)
        interfaces = self.__dict__["_interfaces"]
        if attribute in interfaces:
            return interfaces[attribute]
        raise AttributeError(attribute)

    @property
    def original(self) -> Any | None:
        return self._connector


class ConnectorRegistry:
    def __init__(self) -> None:
        self._connectors: dict[str, Any] = {}
        self._manifests: dict[str, dict[str, Any]] = {}
        self._interfaces: dict[str, dict[str, Callable[..., Any]]] = {}
        self._release_notes: dict[str, Any] = {}

    # -- registration -------------------------------------------------------------------------
    def register(self, name: str, connector: Any, manifest: Mapping[str, Any] | None = None) -> None:
        """Register `connector` under `name`, replacing any earlier one of that name.

        Raises:
            RegistryError: `create_call_log` or `update_call_log` is missing.
        """
        for method in REQUIRED_INTERFACES:
            if not callable(getattr(connector, method, None)):
                camel = next(key for key, value in INTERFACE_NAMES.items() if value == method)
                raise RegistryError(f"Connector {name} missing required method: {camel}")
        self._connectors[name] = connector
        manifest = manifest if manifest is not None else getattr(connector, "manifest", None)
        if manifest is not None:
            self._manifests[name] = deepcopy(dict(manifest))

    def register_interface(self, platform: str, interface: str, function: Callable[..., Any]) -> None:
        """Add one interface to a platform without touching its connector (camel or snake name)."""
        if not callable(function):
            raise RegistryError(f"Interface function must be a function, got: {type(function).__name__}")
        self._interfaces.setdefault(platform, {})[_python_name(interface)] = function

    def unregister(self, name: str) -> None:
        self._connectors.pop(name, None)
        self._manifests.pop(name, None)
        self._interfaces.pop(name, None)

    def set_default_manifest(self, manifest: Mapping[str, Any]) -> None:
        self._manifests["default"] = deepcopy(dict(manifest))

    def set_release_notes(self, notes: Mapping[str, Any]) -> None:
        self._release_notes = deepcopy(dict(notes))

    @property
    def release_notes(self) -> dict[str, Any]:
        return deepcopy(self._release_notes)

    # -- lookup -------------------------------------------------------------------------------
    def get(self, platform: str) -> Any:
        """The connector of `platform`, composed with its extra interfaces."""
        connector = self._connectors.get(platform)
        interfaces = self._interfaces.get(platform)
        if connector is None and not interfaces:
            raise ConnectorNotFound(platform)
        if not interfaces:
            return connector
        return ComposedConnector(connector, interfaces)

    def has(self, platform: str) -> bool:
        return platform in self._connectors or bool(self._interfaces.get(platform))

    def platforms(self) -> list[str]:
        return sorted(set(self._connectors) | {p for p, i in self._interfaces.items() if i})

    def manifest(self, platform: str, *, fallback: bool = False) -> dict[str, Any]:
        if platform in self._manifests:
            return deepcopy(self._manifests[platform])
        if fallback and "default" in self._manifests:
            return deepcopy(self._manifests["default"])
        raise ManifestNotFound(platform)

    def manifests(self) -> Iterator[tuple[str, dict[str, Any]]]:
        for name, manifest in self._manifests.items():
            yield name, deepcopy(manifest)

    def implemented(self, platform: str) -> set[str]:
        """The camelCase names of every interface the platform has (connector or registered)."""
        connector = self.get(platform)
        return {
            camel for camel, snake in INTERFACE_NAMES.items() if callable(getattr(connector, snake, None))
        }

    def capabilities(self, platform: str) -> dict[str, Any]:
        connector = self._connectors.get(platform)
        original = sorted(
            camel for camel, snake in INTERFACE_NAMES.items() if callable(getattr(connector, snake, None))
        )
        registered = sorted(self._interfaces.get(platform, {}))
        return {
            "platform": platform,
            "originalMethods": original,
            "composedMethods": sorted(self.implemented(platform)),
            "registeredInterfaces": registered,
            "authType": self.auth_type(platform),
        }

    def auth_type(self, platform: str) -> str | None:
        connector = self.get(platform)
        get_auth_type = getattr(connector, "get_auth_type", None)
        if get_auth_type is None:
            return None
        try:
            return str(get_auth_type())
        except Exception:
            return "unknown"

    def implemented_interfaces(self, platform: str, *, cache_call_note: bool) -> dict[str, bool]:
        """The body of `GET /implementedInterfaces`, in the reference's key order."""
        implemented = self.implemented(platform)
        answer: dict[str, bool] = {"getAuthType": "getAuthType" in implemented}
        auth_type = self.auth_type(platform)
        if auth_type == "oauth":
            answer["getOauthInfo"] = "getOauthInfo" in implemented
        elif auth_type == "apiKey":
            answer["getBasicAuth"] = "getBasicAuth" in implemented
        for interface in IMPLEMENTED_INTERFACE_ORDER:
            answer[interface] = interface in implemented
        answer["cacheCallNote"] = cache_call_note
        return answer

    # -- discovery ----------------------------------------------------------------------------
    def load_entry_points(
        self, context: ConnectorContext, *, only: tuple[str, ...] = (), strict: bool = False
    ) -> list[str]:
        """Register every connector installed under the `appconnect.connectors` entry-point group.

        Returns the names registered. A broken plug-in (its module, factory or manifest fails) is
        logged and skipped; with `strict` (the server's start-up) it raises `RegistryError` instead.
        """
        loaded: list[str] = []
        for entry in entry_points(group=ENTRY_POINT_GROUP):
            if only and entry.name not in only:
                continue
            try:
                factory = entry.load()
                connector = factory(context) if _accepts_argument(factory) else factory()
                self.register(getattr(connector, "name", entry.name), connector)
            except Exception as error:
                if strict:
                    reason = (str(error).strip() or type(error).__name__).splitlines()[0]
                    raise RegistryError(
                        f"connector {entry.name!r} (entry point {getattr(entry, 'value', '?')}) "
                        f"could not be loaded: {reason}"
                    ) from error
                log.error("could not load connector", entry_point=entry.name, error=str(error))
                continue
            loaded.append(getattr(connector, "name", entry.name))
        return loaded

    def load_factories(self, paths: tuple[str, ...], context: ConnectorContext) -> list[str]:
        """Register connectors named by `module:factory` paths (the `APPCONNECT_EXTRA_CONNECTORS` setting).

        For connectors that are not installed as packages (a module on `PYTHONPATH`, a test
        double). Unlike entry points these were asked for explicitly, so a path that does not load
        stops start-up with a `RegistryError` naming it.
        """
        loaded: list[str] = []
        for path in paths:
            module_name, _, attribute = path.partition(":")
            if not module_name or not attribute:
                raise RegistryError(f"extra connector {path!r} must be written as 'module:factory'")
            try:
                factory = getattr(importlib.import_module(module_name), attribute)
                connector = factory(context) if _accepts_argument(factory) else factory()
            except Exception as error:
                raise RegistryError(f"extra connector {path!r} could not be loaded: {error}") from error
            name = getattr(connector, "name", attribute)
            self.register(name, connector)
            loaded.append(name)
        return loaded


def _accepts_argument(factory: Callable[..., Any]) -> bool:
    try:
        return len(inspect.signature(factory).parameters) >= 1
    except (TypeError, ValueError):
        return True
