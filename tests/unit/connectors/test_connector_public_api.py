"""The public connector API: its export list, its documentation, and the module example type-checking.

Connector authors depend on `appconnect.connectors`; these tests make a change to it deliberate.
"""

from __future__ import annotations

import ast
import doctest
import importlib
import inspect
import re
import textwrap
from pathlib import Path
from types import ModuleType

import pytest
from mypy import api as mypy_api

import appconnect.connectors as connectors
from appconnect.connectors import base, inputs, types
from appconnect.testing.signatures import interface_problems, interface_specs

EXPECTED_API = {
    "AccountData",
    "AccountDataSource",
    "AdditionalSubmission",
    "AuthType",
    "AuthValidationInput",
    "AuthValidationResult",
    "BaseConnector",
    "CallArtefacts",
    "CallLogInfo",
    "CallLogLink",
    "CallRecord",
    "Connector",
    "ConnectorContext",
    "Contact",
    "ContactInfo",
    "CreateCallLogInput",
    "CreateCallLogResult",
    "CreateContactInput",
    "CreateContactResult",
    "CreateMessageLogInput",
    "CreateMessageLogResult",
    "CreatesContacts",
    "CrmInput",
    "CrmUser",
    "DispositionResult",
    "FindContactInput",
    "FindContactResult",
    "FindContactWithNameInput",
    "FindCreatedCallLogInput",
    "FindCreatedMessageLogInput",
    "FindsContacts",
    "FindsCreatedCallLogs",
    "FindsCreatedMessageLogs",
    "FindMessageLogUpdateInput",
    "FormValues",
    "GetCallLogInput",
    "GetCallLogResult",
    "GetLicenseStatusInput",
    "GetUserInfoInput",
    "LicenseStatus",
    "ListsUsers",
    "LogFormat",
    "LogsIn",
    "LogsMessages",
    "LogsOut",
    "LogsServerSide",
    "ManagedAuthOptionsInput",
    "MessageLogLink",
    "MessageRecord",
    "OAuthInfo",
    "OAuthInfoInput",
    "OAuthOptionInput",
    "OAuthTokenRequestOverride",
    "OffersManagedAuthOptions",
    "Option",
    "OverridesOAuthRequest",
    "Party",
    "PlatformUserInfo",
    "PostSaveUserInfoInput",
    "ReadsCallLogs",
    "RefreshAccessTokenInput",
    "RefreshUserInfoResult",
    "RefreshesTokensItself",
    "RefreshesUserInfo",
    "ReportsLicenseStatus",
    "ReturnMessage",
    "SavesUserInfo",
    "SearchesContactsByName",
    "ServerLoggingSettingsInput",
    "ServerServices",
    "ServesRoutes",
    "SetsDispositions",
    "UnAuthorizeResult",
    "UnauthorizeInput",
    "UpdateCallLogInput",
    "UpdateCallLogResult",
    "UpdateMessageLogInput",
    "UpdateMessageLogResult",
    "UpdateServerLoggingSettingsInput",
    "UpdateUserSettingsResult",
    "UpsertCallDispositionInput",
    "User",
    "UserInfoResult",
    "UserSettingsInput",
    "UsesOAuth",
    "ValidatesAuth",
    "WatchesUserSettings",
    "CancelsAppointments",
    "ConfirmsAppointments",
    "CreatesAppointments",
    "ListsAppointments",
    "RefreshesAppointments",
    "UpdatesAppointments",
    "AppointmentContactRef",
    "AppointmentInput",
    "AppointmentRange",
    "CreateAppointmentInput",
    "ListAppointmentsInput",
    "UpdateAppointmentInput",
    "Appointment",
    "AppointmentAttendee",
    "AppointmentListResult",
    "AppointmentResult",
    "MAX_OVERRIDING_FORMATS",
    "phone_search_terms",
}


def test_the_export_list_is_the_public_api() -> None:
    assert set(connectors.__all__) == EXPECTED_API
    assert len(connectors.__all__) == len(set(connectors.__all__))
    for name in connectors.__all__:
        assert getattr(connectors, name) is not None


def test_every_public_name_of_the_api_modules_is_exported() -> None:
    """A type added to `inputs`, `types` or the protocols must be exported (or made private)."""
    internal = {"INTERFACE_NAMES", "REQUIRED_INTERFACES", "INTERFACE_PROTOCOLS", "NO_ACCOUNT_DATA"}
    for module in (base, inputs):
        missing = set(module.__all__) - set(connectors.__all__) - internal
        assert not missing, f"{module.__name__} exports {sorted(missing)} that appconnect.connectors does not"
    public_types = {
        name
        for name, value in vars(types).items()
        if inspect.isclass(value) and value.__module__ == types.__name__ and not name.startswith("_")
    }
    assert public_types <= set(connectors.__all__)


def test_every_exported_name_is_documented() -> None:
    undocumented = [
        name
        for name in connectors.__all__
        if inspect.isclass(getattr(connectors, name)) and not inspect.getdoc(getattr(connectors, name))
    ]
    assert undocumented == []


@pytest.mark.parametrize("spec", list(interface_specs()), ids=lambda spec: spec.name)
def test_each_method_an_author_implements_has_a_docstring_with_an_example(spec: object) -> None:
    method = getattr(spec.protocol, spec.name)  # type: ignore[attr-defined]
    doc = inspect.getdoc(method) or ""
    assert doc, f"{spec.name} has no docstring"  # type: ignore[attr-defined]
    assert "Example::" in doc, f"{spec.name}'s docstring has no example"  # type: ignore[attr-defined]


@pytest.mark.parametrize("module", [connectors, base, inputs, types], ids=lambda module: module.__name__)
def test_docstring_examples_hold(module: ModuleType) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def _module_example() -> str:
    """The example in `appconnect.connectors.base`'s docstring (the `::` block)."""
    doc = base.__doc__ or ""
    block = doc.split("type error before it is a user's lost call log::", 1)[1]
    lines: list[str] = []
    for line in block.splitlines()[1:]:
        if line and not line.startswith("    "):
            break
        lines.append(line)
    return textwrap.dedent("\n".join(lines)).strip() + "\n"


def test_the_module_example_runs_and_conforms() -> None:
    namespace: dict[str, object] = {}
    exec(compile(_module_example(), "<base example>", "exec"), namespace)
    connector_class = namespace["MyCrm"]
    assert isinstance(connector_class, type)
    connector = connector_class()
    assert isinstance(connector, base.Connector) and isinstance(connector, base.FindsContacts)
    assert interface_problems(connector) == []


def _mypy(tmp_path: Path, source: str) -> tuple[str, int]:
    path = tmp_path / "example_connector.py"
    path.write_text(source, encoding="utf-8")
    root = Path(__file__).resolve().parents[3]
    stdout, _stderr, status = mypy_api.run(
        ["--strict", "--config-file", str(root / "pyproject.toml"), "--no-incremental", str(path)]
    )
    return stdout, status


def test_the_module_example_type_checks_and_mistakes_in_it_do_not(tmp_path: Path) -> None:
    example = _module_example()
    stdout, status = _mypy(tmp_path, example)
    assert status == 0, stdout
    wrong_field = example.replace("lookup.phone_number", "lookup.phone_numbr", 1)
    stdout, status = _mypy(tmp_path, wrong_field)
    assert status == 1 and re.search(r'"FindContactInput" has no attribute "phone_numbr"', stdout), stdout
    wrong_result = example.replace(
        "        return UpdateCallLogResult()", '        return {"updated": True}  # a dict', 1
    )
    assert wrong_result != example
    stdout, status = _mypy(tmp_path, wrong_result)
    assert status == 1 and 'Incompatible return value type (got "dict[str, bool]"' in stdout, stdout
    keywords = example.replace(
        "async def update_call_log(self, call: UpdateCallLogInput) -> UpdateCallLogResult:",
        "async def update_call_log(self, *, existing_call_log: str) -> UpdateCallLogResult:",
        1,
    )
    assert keywords != example
    stdout, status = _mypy(tmp_path, keywords)
    assert status == 1 and 'Signature of "update_call_log" incompatible with supertype' in stdout, stdout


def test_the_services_ask_connectors_by_protocol_never_by_attribute_name() -> None:
    services = Path(importlib.import_module("appconnect.services").__file__ or "").parent
    offending: list[str] = []
    for path in services.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("getattr", "hasattr")
                and node.args
                and isinstance(node.args[0], ast.Name)
                and "connector" in node.args[0].id
            ):
                offending.append(f"{path.name}:{node.lineno}")
            if isinstance(node, ast.arg) and node.arg == "connector":
                annotation = ast.unparse(node.annotation) if node.annotation is not None else ""
                if annotation in ("", "Any"):
                    offending.append(f"{path.name}:{node.lineno} connector: {annotation or 'untyped'}")
    assert offending == []
