"""Registry rules: required interfaces, composition without mutation, lookups, entry points."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

import pytest

from appconnect.connectors.base import BaseConnector, ConnectorContext, FindsContacts, ListsUsers
from appconnect.connectors.inputs import (
    CallRecord,
    CreateCallLogInput,
    CrmInput,
    FindContactInput,
    UpdateCallLogInput,
)
from appconnect.connectors.registry import (
    ConnectorNotFound,
    ConnectorRegistry,
    ManifestNotFound,
    RegistryError,
)
from appconnect.connectors.types import (
    AuthType,
    Contact,
    ContactInfo,
    CreateCallLogResult,
    CrmUser,
    FindContactResult,
    UpdateCallLogResult,
)
from appconnect.domain import CallLogLink, User


class MinimalCrm(BaseConnector, FindsContacts):
    name = "minimal"
    auth_type = AuthType.API_KEY
    manifest = MappingProxyType({"name": "minimal", "displayName": "Minimal"})

    async def create_call_log(self, call: CreateCallLogInput, /) -> CreateCallLogResult:
        return CreateCallLogResult(log_id="1")

    async def update_call_log(self, call: UpdateCallLogInput, /) -> UpdateCallLogResult:
        return UpdateCallLogResult()

    async def find_contact(self, lookup: FindContactInput, /) -> FindContactResult:
        return FindContactResult(matched_contact_info=(Contact(id=1, name="own"),))


class NoUpdate:
    name = "broken"

    async def create_call_log(self, call: CreateCallLogInput, /) -> CreateCallLogResult:
        return CreateCallLogResult(log_id=None)


class NoDefaults:
    """Both logging interfaces, but none of the other `Connector` members (no `BaseConnector`)."""

    name = "bare"

    async def create_call_log(self, call: CreateCallLogInput, /) -> CreateCallLogResult:
        return CreateCallLogResult(log_id="1")

    async def update_call_log(self, call: UpdateCallLogInput, /) -> UpdateCallLogResult:
        return UpdateCallLogResult()


def test_a_connector_without_update_call_log_is_refused() -> None:
    with pytest.raises(RegistryError, match=r"^Connector broken missing required method: updateCallLog$"):
        ConnectorRegistry().register("broken", NoUpdate())  # type: ignore[arg-type]


def test_a_connector_without_create_call_log_is_refused() -> None:
    with pytest.raises(RegistryError, match=r"missing required method: createCallLog$"):
        ConnectorRegistry().register("empty", object())  # type: ignore[arg-type]


def test_a_connector_without_the_other_members_is_refused_with_what_is_missing() -> None:
    with pytest.raises(
        RegistryError, match=r"^Connector bare is missing manifest, allowed_hosts, .*BaseConnector"
    ):
        ConnectorRegistry().register("bare", NoDefaults())  # type: ignore[arg-type]


class PromisesUsers(MinimalCrm, ListsUsers):
    """Names `ListsUsers` in its class line but never writes `get_user_list`: the interface's own
    empty body would answer None to the admin's user mapping."""

    name = "promises"


def test_an_interface_named_in_the_class_line_but_not_written_is_refused() -> None:
    with pytest.raises(
        RegistryError, match=r"^Connector promises declares but does not implement ListsUsers.get_user_list$"
    ):
        ConnectorRegistry().register("promises", PromisesUsers())  # type: ignore[abstract]
    registry = ConnectorRegistry()
    registry.register("minimal", MinimalCrm())  # only what it wrote: accepted
    assert registry.has("minimal")


def test_interfaces_fill_gaps_without_mutating_the_connector() -> None:
    registry = ConnectorRegistry()
    connector = MinimalCrm()
    registry.register("minimal", connector)

    async def get_user_list(admin: CrmInput, /) -> list[CrmUser]:
        return [CrmUser(id="u", name="U")]

    async def find_contact(lookup: FindContactInput, /) -> FindContactResult:
        return FindContactResult(matched_contact_info=())

    registry.register_interface("minimal", "getUserList", get_user_list)
    registry.register_interface("minimal", "findContact", find_contact)
    composed = registry.get("minimal")
    assert isinstance(composed, ListsUsers) and isinstance(composed, FindsContacts)
    assert composed.get_user_list is get_user_list
    assert getattr(composed.find_contact, "__self__", None) is connector  # the connector's own method wins
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
    registry.register_interface("minimal", "getUserList", lambda _admin: [])
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
    assert getattr(registry.get("minimal"), "context", None) is context


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
    assert getattr(registry.get("minimal"), "context", None) is context


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


async def test_a_platform_of_registered_functions_only_is_a_typed_connector() -> None:
    registry = ConnectorRegistry()

    async def create(call: CreateCallLogInput, /) -> CreateCallLogResult:
        return CreateCallLogResult(log_id=f"made-{call.call_log.session_id}")

    registry.register_interface("functions", "createCallLog", create)
    connector = registry.get("functions")
    assert connector.name == "functions" and connector.get_auth_type() == "apiKey"
    assert not isinstance(connector, FindsContacts)
    call = CreateCallLogInput(
        user=User(id="u", platform="functions"),
        auth_header="",
        contact_info=ContactInfo(id=1, phone_number=None),
        call_log=CallRecord.of({"sessionId": "s1"}),
    )
    assert (await connector.create_call_log(call)).log_id == "made-s1"
    with pytest.raises(NotImplementedError, match="updateCallLog"):
        await connector.update_call_log(
            UpdateCallLogInput(
                user=call.user,
                auth_header="",
                existing_call_log=CallLogLink(
                    id="1", session_id="s1", extension_number="", hashed_extension_id="",
                    platform="functions", third_party_log_id="x", user_id="u", contact_id=None,
                ),
            )
        )  # fmt: skip
