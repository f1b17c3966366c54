"""The conformance kit's checks fail on connectors that break the promise each one names."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import pytest

from appconnect.connectors.base import AccountDataSource, BaseConnector, FindsContacts, LogsIn, ReadsCallLogs
from appconnect.connectors.inputs import (
    CreateCallLogInput,
    CrmInput,
    FindContactInput,
    GetCallLogInput,
    GetUserInfoInput,
    UpdateCallLogInput,
)
from appconnect.connectors.types import (
    AuthType,
    CallLogInfo,
    Contact,
    CreateCallLogResult,
    FindContactResult,
    GetCallLogResult,
    UpdateCallLogResult,
    UserInfoResult,
)
from appconnect.testing import (
    BEHAVIOURAL_CHECKS,
    STATIC_CHECKS,
    CheckFailed,
    CheckSkipped,
    default_auth_header,
    default_user,
    static_checks,
)

MANIFEST: dict[str, Any] = {
    "name": "memcrm",
    "auth": {"type": "apiKey", "apiKey": {}},
    "environment": {"type": "fixed", "url": "https://memcrm.example"},
}


class MemoryCrm(BaseConnector, LogsIn, FindsContacts, ReadsCallLogs):
    """A conforming connector over a dict; subclasses below each break one promise."""

    name = "memcrm"
    auth_type = AuthType.API_KEY

    def __init__(self) -> None:
        super().__init__()
        self.manifest = dict(MANIFEST)
        self.bodies: dict[str, str] = {}

    async def get_user_info(self, login: GetUserInfoInput, /) -> UserInfoResult:
        return UserInfoResult(successful=True)

    async def find_contact(self, lookup: FindContactInput, /) -> FindContactResult:
        match = Contact(id=1, name="Ann", phone=lookup.phone_number)
        return FindContactResult(matched_contact_info=self.order(match, Contact.create_new_placeholder()))

    def order(self, match: Contact, placeholder: Contact) -> tuple[Contact, ...]:
        return (match, placeholder)

    async def create_call_log(self, call: CreateCallLogInput, /) -> CreateCallLogResult:
        log_id = str(len(self.bodies) + 1)
        self.bodies[log_id] = self.store(call.composed_log_details)
        return CreateCallLogResult(log_id=log_id)

    def store(self, body: str) -> str:
        return body

    async def get_call_log(self, lookup: GetCallLogInput, /) -> GetCallLogResult:
        return GetCallLogResult(call_log_info=CallLogInfo(full_body=self.bodies[lookup.call_log_id]))

    async def update_call_log(self, call: UpdateCallLogInput, /) -> UpdateCallLogResult:
        log_id = str(call.existing_call_log.third_party_log_id)
        self.bodies[log_id] = self.rewrite(call.composed_log_details)
        return UpdateCallLogResult()

    def rewrite(self, body: str) -> str:
        return body


class TrimsBodies(MemoryCrm):
    def store(self, body: str) -> str:
        return body.strip()


class KeepsOnlyItsOwnLines(MemoryCrm):
    def rewrite(self, body: str) -> str:
        return "\n".join(line for line in body.splitlines() if line.startswith("- ")) + "\n"


class PlaceholderFirst(MemoryCrm):
    def order(self, match: Contact, placeholder: Contact) -> tuple[Contact, ...]:
        return (placeholder, match)


async def _behaviour(check: str, connector: Any) -> None:
    user = default_user(connector.name)
    await BEHAVIOURAL_CHECKS[check](connector, user, default_auth_header(connector, user), "+14155550100")


async def test_a_conforming_connector_passes_every_check() -> None:
    connector = MemoryCrm()
    assert [r.status for r in static_checks("memcrm", connector, connector.manifest)] == ["ok"] * 6
    for check in BEHAVIOURAL_CHECKS:
        await _behaviour(check, connector)


@pytest.mark.parametrize(
    ("connector", "check", "expected"),
    [
        (TrimsBodies(), "call_log_round_trip", "is not the body given"),
        (KeepsOnlyItsOwnLines(), "update_keeps_agent_line", "agent's line was lost"),
        (PlaceholderFirst(), "find_contact_placeholder_last", "must end with exactly one"),
    ],
)
async def test_behavioural_checks_catch_a_misbehaving_connector(
    connector: MemoryCrm, check: str, expected: str
) -> None:
    with pytest.raises(CheckFailed, match=expected):
        await _behaviour(check, connector)


async def test_behavioural_checks_skip_interfaces_the_connector_lacks() -> None:
    class WriteOnly(BaseConnector):
        name = "writeonly"

        async def create_call_log(self, call: CreateCallLogInput, /) -> CreateCallLogResult:
            return CreateCallLogResult(log_id="1")

        async def update_call_log(self, call: UpdateCallLogInput, /) -> UpdateCallLogResult:
            return UpdateCallLogResult()

    with pytest.raises(CheckSkipped):
        await _behaviour("call_log_round_trip", WriteOnly())
    with pytest.raises(CheckSkipped):
        await _behaviour("find_contact_placeholder_last", WriteOnly())


def _static(check: str, connector: Any, manifest: Mapping[str, Any] | None = MANIFEST) -> None:
    STATIC_CHECKS[check](connector.name, connector, manifest)


def test_registers_needs_both_required_interfaces_and_a_matching_name() -> None:
    class NoUpdate:
        name = "memcrm"

        async def create_call_log(self, call: CreateCallLogInput, /) -> CreateCallLogResult:
            return CreateCallLogResult(log_id=None)

    with pytest.raises(CheckFailed, match="missing required method: updateCallLog"):
        _static("registers", NoUpdate())
    with pytest.raises(CheckFailed, match="registered as 'other'"):
        STATIC_CHECKS["registers"]("other", MemoryCrm(), None)


def test_auth_type_must_be_known_and_come_with_its_interface() -> None:
    class Basic(MemoryCrm):
        def get_auth_type(self, user: Any = None, /) -> str:
            return "basic"

    class OAuthWithoutInfo(MemoryCrm):
        auth_type = AuthType.OAUTH

    with pytest.raises(CheckFailed, match="must be oauth or apiKey"):
        _static("auth_type_is_known", Basic())
    with pytest.raises(CheckFailed, match="needs get_oauth_info"):
        _static("auth_type_is_known", OAuthWithoutInfo())


def test_log_format_must_be_one_the_composer_writes() -> None:
    class Rtf(MemoryCrm):
        log_format = "text/rtf"

    with pytest.raises(CheckFailed, match="get_log_format_type"):
        _static("log_format_is_known", Rtf())


def test_a_missing_manifest_is_skipped_not_failed() -> None:
    results = static_checks("memcrm", MemoryCrm(), None)
    assert {r.check: r.status for r in results}["manifest_is_valid"] == "skip"
    assert all(r.status != "fail" for r in results)


@pytest.mark.parametrize(
    ("manifest", "expected"),
    [
        ({**MANIFEST, "auth": {"type": "oauth", "oauth": {}}}, "auth.type is 'oauth' but get_auth_type"),
        ({**MANIFEST, "page": {"newContact": {"additionalFields": []}}}, "createContact"),
        ({**MANIFEST, "page": {"useContactSearch": True}}, "findContactWithName"),
        (
            {**MANIFEST, "adminSettings": [{"type": "section", "items": [{"accountDataKey": "types"}]}]},
            "accountDataKey 'types'",
        ),
    ],
)
def test_the_manifest_may_only_advertise_what_is_implemented(manifest: dict[str, Any], expected: str) -> None:
    with pytest.raises(CheckFailed, match=expected):
        _static("implemented_interfaces_match_manifest", MemoryCrm(), manifest)


async def _no_types(request: CrmInput, /) -> list[Any]:
    return []


def test_login_needs_get_user_info_and_account_data_keys_are_found() -> None:
    class NoLogin(MemoryCrm):
        get_user_info = None  # type: ignore[assignment]

    class WithTypes(MemoryCrm):
        account_data = MappingProxyType({"types": AccountDataSource(fetch=_no_types)})

    with pytest.raises(CheckFailed, match="getUserInfo"):
        _static("implemented_interfaces_match_manifest", NoLogin())
    manifest = {**MANIFEST, "adminSettings": [{"accountDataKey": "types"}]}
    _static("implemented_interfaces_match_manifest", WithTypes(), manifest)


def test_a_check_that_raises_unexpectedly_is_reported_as_failed() -> None:
    class Exploding(MemoryCrm):
        def get_auth_type(self, user: Any = None, /) -> str:
            raise RuntimeError("boom")

    results = {r.check: r for r in static_checks("memcrm", Exploding(), MANIFEST)}
    assert results["auth_type_is_known"].status == "fail"
    assert results["auth_type_is_known"].line == "FAIL memcrm.auth_type_is_known: RuntimeError: boom"


# -- interfaces_match_protocols: what mypy checks, checked again at run time --------------------------
class LegacyKeywords(MemoryCrm):
    """The keyword-argument style of earlier versions: the server no longer calls it that way."""

    async def update_call_log(  # type: ignore[override]
        self, *, existing_call_log: Any, composed_log_details: str
    ) -> UpdateCallLogResult:
        return UpdateCallLogResult()


class MisspelledField(MemoryCrm):
    async def update_call_log(self, call: UpdateCallLogInput, /) -> UpdateCallLogResult:
        self.bodies["1"] = call.composed_log_detials  # type: ignore[attr-defined]
        return UpdateCallLogResult()


class ReturnsADict(MemoryCrm):
    async def create_call_log(self, call: CreateCallLogInput, /) -> dict[str, str]:  # type: ignore[override]
        return {"logId": "1"}


class TakesTheWrongInput(MemoryCrm):
    async def get_call_log(self, lookup: CreateCallLogInput, /) -> GetCallLogResult:  # type: ignore[override]
        return GetCallLogResult(call_log_info=None)


class NotAsync(MemoryCrm):
    def find_contact(self, lookup: FindContactInput, /) -> FindContactResult:  # type: ignore[override]
        return FindContactResult()


@pytest.mark.parametrize(
    ("connector", "expected"),
    [
        (
            LegacyKeywords(),
            r"update_call_log takes keyword arguments \(existing_call_log, composed_log_details\)",
        ),
        (
            MisspelledField(),
            r"update_call_log reads call\.composed_log_detials, which UpdateCallLogInput does not have",
        ),
        (
            ReturnsADict(),
            r"create_call_log returns dict\[str, str\], but the interface returns CreateCallLogResult",
        ),
        (
            TakesTheWrongInput(),
            r"get_call_log takes CreateCallLogInput, but the server passes GetCallLogInput",
        ),
        (NotAsync(), r"find_contact must be `async def`"),
    ],
)
def test_interface_methods_are_held_against_their_protocols(connector: MemoryCrm, expected: str) -> None:
    with pytest.raises(CheckFailed, match=expected):
        _static("interfaces_match_protocols", connector)


def test_a_conforming_connector_has_no_interface_problems_and_the_built_in_ones_neither() -> None:
    from appconnect.connectors.pipedrive import PipedriveConnector
    from appconnect.connectors.sample import SampleCrmConnector

    for connector in (MemoryCrm(), PipedriveConnector(), SampleCrmConnector()):
        _static("interfaces_match_protocols", connector)
