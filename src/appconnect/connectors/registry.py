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

from appconnect.connectors.base import (
    INTERFACE_NAMES,
    INTERFACE_PROTOCOLS,
    REQUIRED_INTERFACES,
    AccountDataSource,
    BaseConnector,
    Connector,
    ConnectorContext,
)
from appconnect.connectors.inputs import CreateCallLogInput, UpdateCallLogInput
from appconnect.connectors.types import CreateCallLogResult, UpdateCallLogResult
from appconnect.domain import User

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


def _missing_members(connector: object) -> list[str]:
    """The `Connector` members `connector` lacks (required interfaces first)."""
    required = [method for method in REQUIRED_INTERFACES if not callable(getattr(connector, method, None))]
    others = [
        member
        for member in (
            "name",
            "manifest",
            "allowed_hosts",
            "login_hostname_placeholders",
            "refresh_on_unauthorized",
            "account_data",
            "get_auth_type",
            "get_log_format_type",
            "get_basic_auth",
            "startup",
            "shutdown",
        )
        if not hasattr(connector, member)
    ]
    return required + others


def _declared_but_not_written(connector: object) -> list[str]:
    """Methods an interface in the class line promises that the class leaves as the interface's
    own empty stub: called, it would answer None instead of a result."""
    cls = type(connector)
    stubs: list[str] = []
    for interface in INTERFACE_PROTOCOLS:
        # Connector's own members are the defaults BaseConnector writes; only optional interfaces count.
        if interface is Connector or interface not in cls.__mro__:
            continue
        for name, member in vars(interface).items():
            if not name.startswith("_") and callable(member) and getattr(cls, name, None) is member:
                stubs.append(f"{interface.__name__}.{name}")
    return stubs


class ComposedConnector:
    """A platform's connector with registered interface functions filling its gaps (spec platform §7.2).

    Every interface is a real attribute of the instance (the connector's own bound method, or the
    registered function), so `isinstance(composed, FindsContacts)` answers as it would for a
    connector that implements the function itself. The connector object is never modified.
    """

    def __init__(
        self, platform: str, connector: Connector | None, interfaces: Mapping[str, Callable[..., Any]]
    ) -> None:
        self.original = connector
        self.name = connector.name if connector is not None else platform
        defaults = connector if connector is not None else _Defaults()
        self.manifest: Mapping[str, Any] | None = defaults.manifest
        self.allowed_hosts: tuple[str, ...] = defaults.allowed_hosts
        self.login_hostname_placeholders: tuple[str, ...] = defaults.login_hostname_placeholders
        self.refresh_on_unauthorized: bool = defaults.refresh_on_unauthorized
        self.account_data: Mapping[str, AccountDataSource] = defaults.account_data
        self._defaults: Connector = defaults
        for snake in {*INTERFACE_NAMES.values(), "routes"} - _OWN_MEMBERS:
            if connector is not None and callable(getattr(connector, snake, None)):
                setattr(self, snake, getattr(connector, snake))  # the connector's own method wins
            elif snake in interfaces:
                setattr(self, snake, interfaces[snake])
        self._interfaces = dict(interfaces)

    def get_auth_type(self, user: User | None = None, /) -> str:
        return self._defaults.get_auth_type(user)

    def get_log_format_type(self, user: User | None = None, /) -> str:
        return self._defaults.get_log_format_type(user)

    def get_basic_auth(self, api_key: str, /) -> str:
        return self._defaults.get_basic_auth(api_key)

    async def create_call_log(self, call: CreateCallLogInput, /) -> CreateCallLogResult:
        function = self._interfaces.get("create_call_log")
        if self.original is None and function is not None:
            result: CreateCallLogResult = await function(call)
            return result
        return await self._defaults.create_call_log(call)

    async def update_call_log(self, call: UpdateCallLogInput, /) -> UpdateCallLogResult:
        function = self._interfaces.get("update_call_log")
        if self.original is None and function is not None:
            result: UpdateCallLogResult = await function(call)
            return result
        return await self._defaults.update_call_log(call)

    async def startup(self) -> None:
        await self._defaults.startup()

    async def shutdown(self) -> None:
        await self._defaults.shutdown()


_OWN_MEMBERS = frozenset(
    {"get_auth_type", "get_log_format_type", "get_basic_auth", "create_call_log", "update_call_log"}
)


class _Defaults(BaseConnector):
    """Stands in for the connector of a platform made of registered interfaces only."""

    name = "composed"

    async def create_call_log(self, call: CreateCallLogInput, /) -> CreateCallLogResult:
        raise NotImplementedError("this platform does not implement createCallLog")

    async def update_call_log(self, call: UpdateCallLogInput, /) -> UpdateCallLogResult:
        raise NotImplementedError("this platform does not implement updateCallLog")


class ConnectorRegistry:
    def __init__(self) -> None:
        self._connectors: dict[str, Connector] = {}
        self._manifests: dict[str, dict[str, Any]] = {}
        self._interfaces: dict[str, dict[str, Callable[..., Any]]] = {}
        self._release_notes: dict[str, Any] = {}

    # -- registration -------------------------------------------------------------------------
    def register(self, name: str, connector: Connector, manifest: Mapping[str, Any] | None = None) -> None:
        """Register `connector` under `name`, replacing any earlier one of that name.

        Raises:
            RegistryError: `create_call_log` or `update_call_log` is missing, or another `Connector`
                member is (subclass `BaseConnector` for the defaults), or an interface in the class
                line is left unwritten.
        """
        missing = _missing_members(connector)
        if missing:
            first = missing[0]
            if first in REQUIRED_INTERFACES:
                camel = next(key for key, value in INTERFACE_NAMES.items() if value == first)
                raise RegistryError(f"Connector {name} missing required method: {camel}")
            raise RegistryError(
                f"Connector {name} is missing {', '.join(missing)} (subclass BaseConnector for the defaults)"
            )
        stubs = _declared_but_not_written(connector)
        if stubs:
            raise RegistryError(f"Connector {name} declares but does not implement {', '.join(stubs)}")
        self._connectors[name] = connector
        manifest = manifest if manifest is not None else connector.manifest
        if manifest is not None:
            self._manifests[name] = deepcopy(dict(manifest))

    def register_interface(self, platform: str, interface: str, function: Callable[..., Any]) -> None:
        """Add one interface to a platform without touching its connector (camel or snake name).

        `function` is called like the method it stands for: with the interface's one input, e.g.
        `async def find_contact(lookup: FindContactInput) -> FindContactResult`.
        """
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
    def get(self, platform: str) -> Connector:
        """The connector of `platform`, composed with its registered interfaces when it has any.

        Raises:
            ConnectorNotFound: nothing is registered under `platform`.
        """
        connector = self._connectors.get(platform)
        interfaces = self._interfaces.get(platform)
        if connector is None and not interfaces:
            raise ConnectorNotFound(platform)
        if not interfaces:
            assert connector is not None
            return connector
        return ComposedConnector(platform, connector, interfaces)

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
        return implemented_interfaces_of(self.get(platform))

    def capabilities(self, platform: str) -> dict[str, Any]:
        connector = self._connectors.get(platform)
        return {
            "platform": platform,
            "originalMethods": sorted(implemented_interfaces_of(connector)) if connector is not None else [],
            "composedMethods": sorted(self.implemented(platform)),
            "registeredInterfaces": sorted(self._interfaces.get(platform, {})),
            "authType": self.auth_type(platform),
        }

    def auth_type(self, platform: str) -> str | None:
        try:
            return str(self.get(platform).get_auth_type())
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


def implemented_interfaces_of(connector: object) -> set[str]:
    """The camelCase names of the interfaces `connector` has (what `/implementedInterfaces` reports)."""
    return {camel for camel, snake in INTERFACE_NAMES.items() if callable(getattr(connector, snake, None))}
