"""Registry rules: required interfaces, composition without mutation, lookups, entry points."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from appconnect.connectors.base import BaseConnector, ConnectorContext
from appconnect.connectors.registry import (
    ConnectorNotFound,
    ConnectorRegistry,
    ManifestNotFound,
    RegistryError,
)
from appconnect.connectors.types import AuthType, CreateCallLogResult, UpdateCallLogResult


class MinimalCrm(BaseConnector):
    name = "minimal"
    auth_type = AuthType.API_KEY
    manifest: ClassVar[dict[str, str]] = {"name": "minimal", "displayName": "Minimal"}

    async def create_call_log(self, **kwargs: Any) -> CreateCallLogResult:
        return CreateCallLogResult(log_id="1")

    async def update_call_log(self, **kwargs: Any) -> UpdateCallLogResult:
        return UpdateCallLogResult()

    async def find_contact(self, **kwargs: Any) -> str:
        return "own"


class NoUpdate:
    name = "broken"

    async def create_call_log(self, **kwargs: Any) -> None:
        return None


def test_a_connector_without_update_call_log_is_refused() -> None:
    with pytest.raises(RegistryError, match=r"^Connector broken missing required method: updateCallLog$"):
        ConnectorRegistry().register("broken", NoUpdate())


def test_a_connector_without_create_call_log_is_refused() -> None:
    with pytest.raises(RegistryError, match=r"missing required method: createCallLog$"):
        ConnectorRegistry().register("empty", object())


def test_interfaces_fill_gaps_without_mutating_the_connector() -> None:
    registry = ConnectorRegistry()
    connector = MinimalCrm()
    registry.register("minimal", connector)

    async def get_user_list(**kwargs: Any) -> list[str]:
        return ["u"]

    async def find_contact(**kwargs: Any) -> str:
        return "registered"

    registry.register_interface("minimal", "getUserList", get_user_list)
    registry.register_interface("minimal", "findContact", find_contact)
    composed = registry.get("minimal")
    assert composed.get_user_list is get_user_list
    assert composed.find_contact.__self__ is connector  # the connector's own method wins
    assert not hasattr(connector, "get_user_list")
    assert "getUserList" in registry.implemented("minimal")
    assert registry.capabilities("minimal")["registeredInterfaces"] == ["find_contact", "get_user_list"]


def test_a_non_function_interface_is_refused() -> None:
    with pytest.raises(RegistryError, match=r"^Interface function must be a function, got: str$"):
        ConnectorRegistry().register_interface("minimal", "findContact", "nope")  # type: ignore[arg-type]


def test_unknown_platforms_are_an_error_not_a_fallback() -> None:
    registry = ConnectorRegistry()
    registry.register("minimal", MinimalCrm())
    with pytest.raises(ConnectorNotFound, match=r"^Connector not found for platform: other$"):
        registry.get("other")
    with pytest.raises(ManifestNotFound):
        registry.manifest("other")


def test_manifest_lookup_with_and_without_fallback() -> None:
    registry = ConnectorRegistry()
    registry.register("minimal", MinimalCrm())
    registry.set_default_manifest({"author": {"name": "x"}})
    assert registry.manifest("minimal")["displayName"] == "Minimal"
    assert registry.manifest("nope", fallback=True) == {"author": {"name": "x"}}


def test_unregister_removes_connector_manifest_and_interfaces() -> None:
    registry = ConnectorRegistry()
    registry.register("minimal", MinimalCrm())
    registry.register_interface("minimal", "getUserList", lambda **_: [])
    registry.unregister("minimal")
    assert not registry.has("minimal")
    with pytest.raises(ManifestNotFound):
        registry.manifest("minimal")


def test_implemented_interfaces_follow_the_reference_order() -> None:
    registry = ConnectorRegistry()
    registry.register("minimal", MinimalCrm())
    answer = registry.implemented_interfaces("minimal", cache_call_note=False)
    keys = list(answer)
    assert keys[:3] == ["getAuthType", "getBasicAuth", "getUserInfo"]
    assert keys[-1] == "cacheCallNote"
    assert answer["createCallLog"] and answer["findContact"] and not answer["getCallLog"]


class _EntryPoint:
    def __init__(self, name: str, factory: Any) -> None:
        self.name = name
        self._factory = factory

    def load(self) -> Any:
        return self._factory


def test_connectors_are_discovered_through_entry_points(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[ConnectorContext] = []

    def factory(context: ConnectorContext) -> MinimalCrm:
        seen.append(context)
        return MinimalCrm(context)

    def broken(context: ConnectorContext) -> Any:
        raise RuntimeError("plug-in bug")

    def fake_entry_points(group: str) -> list[_EntryPoint]:
        assert group == "appconnect.connectors"
        return [_EntryPoint("minimal", factory), _EntryPoint("broken", broken)]

    monkeypatch.setattr("appconnect.connectors.registry.entry_points", fake_entry_points)
    registry = ConnectorRegistry()
    context = ConnectorContext(http=None, settings=None)  # type: ignore[arg-type]
    assert registry.load_entry_points(context) == ["minimal"]
    assert seen == [context]
    assert registry.get("minimal").context is context


def test_a_broken_plug_in_stops_a_strict_load_with_its_name(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(context: ConnectorContext) -> Any:
        raise ValueError("manifest.json: Expecting value: line 1 column 1\nmore detail")

    monkeypatch.setattr(
        "appconnect.connectors.registry.entry_points", lambda group: [_EntryPoint("broken", broken)]
    )
    context = ConnectorContext(http=None, settings=None)  # type: ignore[arg-type]
    with pytest.raises(RegistryError) as raised:
        ConnectorRegistry().load_entry_points(context, strict=True)
    assert str(raised.value) == (
        "connector 'broken' (entry point ?) could not be loaded: "
        "manifest.json: Expecting value: line 1 column 1"
    )


def test_connector_settings_default_to_the_real_service_and_can_be_overridden(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    context = ConnectorContext(http=None, settings=None, extras={"A_URL": "http://from-extras"})  # type: ignore[arg-type]
    assert context.setting("MYCRM_API_BASE_URL", "https://api.mycrm.example") == "https://api.mycrm.example"
    monkeypatch.setenv("MYCRM_API_BASE_URL", "http://127.0.0.1:9999")
    assert context.setting("MYCRM_API_BASE_URL", "https://api.mycrm.example") == "http://127.0.0.1:9999"
    assert context.setting("A_URL", "https://x") == "http://from-extras"


def minimal_factory(context: ConnectorContext) -> MinimalCrm:
    """Named by `test_extra_connectors_are_loaded_from_module_factory_paths`."""
    return MinimalCrm(context)


def test_extra_connectors_are_loaded_from_module_factory_paths() -> None:
    registry = ConnectorRegistry()
    context = ConnectorContext(http=None, settings=None)  # type: ignore[arg-type]
    assert registry.load_factories(("tests.unit.test_registry:minimal_factory",), context) == ["minimal"]
    assert registry.get("minimal").context is context


@pytest.mark.parametrize(
    "path", ["tests.unit.test_registry", "tests.unit.no_such_module:factory", "tests.unit.test_registry:nope"]
)
def test_an_extra_connector_that_does_not_load_stops_start_up(path: str) -> None:
    with pytest.raises(RegistryError, match="extra connector"):
        ConnectorRegistry().load_factories((path,), ConnectorContext(http=None, settings=None))  # type: ignore[arg-type]


def test_capability_protocols_recognise_what_a_connector_implements() -> None:
    from appconnect.connectors import base
    from appconnect.connectors.pipedrive import create_connector as pipedrive
    from appconnect.connectors.sample import create_connector as sample

    context = ConnectorContext(http=None, settings=None)  # type: ignore[arg-type]
    sample_crm, pipedrive_crm = sample(context), pipedrive(context)
    assert isinstance(sample_crm, base.Connector) and isinstance(sample_crm, base.LogsMessages)
    assert isinstance(pipedrive_crm, base.ListsUsers) and isinstance(pipedrive_crm, base.UsesOAuth)
    assert not isinstance(sample_crm, base.ListsUsers)
    assert not isinstance(sample_crm, base.LogsServerSide)
