"""Named conformance checks on one connector, shared by `ConnectorConformance` and `appconnect check`.

Why: the server trusts a connector to keep a few promises (spec platform §7): the two required
interfaces exist, the manifest the client reads is well formed and agrees with what the connector
implements, and the auth type is one the server knows. Breaking one shows up late, as a client that
cannot log in or a call log that loses the agent's text, so every promise is a named check here.

Static checks (`static_checks`) only inspect the connector object: no network, no database. The
behavioural checks (`BEHAVIOURAL_CHECKS`) call the connector, so they suit connectors that work
without a network, like the built-in `sample` one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from appconnect.compose import compose_call_log
from appconnect.connectors.base import Connector, FindsContacts, ReadsCallLogs
from appconnect.connectors.inputs import (
    CallRecord,
    CreateCallLogInput,
    FindContactInput,
    GetCallLogInput,
    UpdateCallLogInput,
)
from appconnect.connectors.registry import ConnectorRegistry, RegistryError
from appconnect.connectors.types import (
    AuthType,
    ContactInfo,
    CreateCallLogResult,
    FindContactResult,
    GetCallLogResult,
    LogFormat,
    UpdateCallLogResult,
)
from appconnect.domain import CallLogLink, User
from appconnect.testing.manifest import manifest_platform, manifest_problems
from appconnect.testing.signatures import interface_problems

__all__ = [
    "AGENT_LINE",
    "BEHAVIOURAL_CHECKS",
    "STATIC_CHECKS",
    "CheckFailed",
    "CheckResult",
    "CheckSkipped",
    "Status",
    "check_auth_type_is_known",
    "check_call_log_round_trip",
    "check_find_contact_placeholder_last",
    "check_implemented_interfaces_match_manifest",
    "check_interfaces_match_protocols",
    "check_log_format_is_known",
    "check_manifest_is_valid",
    "check_registers",
    "check_update_keeps_agent_line",
    "default_auth_header",
    "default_user",
    "static_checks",
]

Status = Literal["ok", "fail", "skip"]
#: A line "the agent typed into the CRM" that every update must keep.
AGENT_LINE = "Agent added this line in the CRM"


class CheckFailed(AssertionError):
    """A check found a broken promise; the message says which."""


class CheckSkipped(Exception):
    """A check does not apply to this connector (e.g. it has no manifest, or no `get_call_log`)."""


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one named check on one platform."""

    platform: str
    check: str
    status: Status
    reason: str = ""

    @property
    def line(self) -> str:
        """One line for a terminal: `ok sample.registers`, `FAIL sample.manifest_is_valid: why`."""
        label = {"ok": "ok", "fail": "FAIL", "skip": "skip"}[self.status]
        suffix = f": {self.reason}" if self.reason else ""
        return f"{label} {self.platform}.{self.check}{suffix}"


def _fail(problems: list[str]) -> None:
    if problems:
        raise CheckFailed("; ".join(problems))


def _has(connector: Any, method: str) -> bool:
    return callable(getattr(connector, method, None))


# -- static checks: (name, connector, manifest) -> None, raising CheckFailed / CheckSkipped ----------
def check_registers(name: str, connector: Any, manifest: Mapping[str, Any] | None) -> None:
    """A non-empty `name` matching the registered one; the registry accepts the connector."""
    own_name = getattr(connector, "name", None)
    if not isinstance(own_name, str) or not own_name:
        raise CheckFailed("connector.name must be a non-empty string")
    if own_name != name:
        raise CheckFailed(f"connector.name is {own_name!r} but it is registered as {name!r}")
    try:
        ConnectorRegistry().register(name, connector, manifest)
    except RegistryError as error:
        raise CheckFailed(str(error)) from error


def check_manifest_is_valid(name: str, connector: Any, manifest: Mapping[str, Any] | None) -> None:
    """The manifest follows the reference validator's rules (`manifest_problems`)."""
    if manifest is None:
        raise CheckSkipped("no manifest")
    _fail(manifest_problems(manifest, name))


def check_auth_type_is_known(name: str, connector: Any, manifest: Mapping[str, Any] | None) -> None:
    """`get_auth_type()` answers oauth or apiKey, and the matching auth interface exists."""
    if not _has(connector, "get_auth_type"):
        raise CheckFailed("get_auth_type is missing")
    auth_type = str(connector.get_auth_type())
    if auth_type not in tuple(AuthType):
        raise CheckFailed(f"get_auth_type() must be oauth or apiKey (got {auth_type!r})")
    needed = "get_oauth_info" if auth_type == AuthType.OAUTH else "get_basic_auth"
    if not _has(connector, needed):
        raise CheckFailed(f"{auth_type} auth needs {needed}")


def check_log_format_is_known(name: str, connector: Any, manifest: Mapping[str, Any] | None) -> None:
    """`get_log_format_type()`, when present, answers one of the formats the composer knows."""
    if not _has(connector, "get_log_format_type"):
        raise CheckSkipped("no get_log_format_type (plain text is assumed)")
    log_format = str(connector.get_log_format_type())
    if log_format not in tuple(LogFormat):
        raise CheckFailed(f"get_log_format_type() must be one of {', '.join(LogFormat)} (got {log_format!r})")


def check_implemented_interfaces_match_manifest(
    name: str, connector: Any, manifest: Mapping[str, Any] | None
) -> None:
    """What the manifest advertises, the connector implements (what `/implementedInterfaces` says).

    Detected: the manifest's auth type against `get_auth_type()`; login needs `get_user_info`;
    `page.newContact` needs `create_contact`; `page.useContactSearch` needs `find_contact_with_name`;
    every `adminSettings[].accountDataKey` needs that key in `account_data`.
    """
    if manifest is None:
        raise CheckSkipped("no manifest")
    platform = manifest_platform(manifest, name) or {}
    problems: list[str] = []
    auth = platform.get("auth")
    if isinstance(auth, Mapping) and auth.get("type") is not None:
        if _has(connector, "get_auth_type") and str(connector.get_auth_type()) != auth["type"]:
            problems.append(
                f"manifest auth.type is {auth['type']!r} but get_auth_type() is {connector.get_auth_type()!r}"
            )
        if not _has(connector, "get_user_info"):
            problems.append("manifest has auth but getUserInfo is not implemented (nobody can log in)")
    page = platform.get("page")
    page = page if isinstance(page, Mapping) else {}
    if "newContact" in page and not _has(connector, "create_contact"):
        problems.append("manifest has page.newContact but createContact is not implemented")
    if page.get("useContactSearch") and not _has(connector, "find_contact_with_name"):
        problems.append("manifest has page.useContactSearch but findContactWithName is not implemented")
    account_data = getattr(connector, "account_data", None) or {}
    admin_settings = platform.get("adminSettings")
    for item in _walk_items(admin_settings if isinstance(admin_settings, list) else []):
        key = item.get("accountDataKey")
        if key is not None and key not in account_data:
            problems.append(f"adminSettings use accountDataKey {key!r} but account_data has no such key")
    _fail(problems)


def check_interfaces_match_protocols(name: str, connector: Any, manifest: Mapping[str, Any] | None) -> None:
    """Every interface method is async where it must be, takes its one input object, is annotated
    with the interface's types where annotated, and reads only fields its input has."""
    _fail(interface_problems(connector))


def _walk_items(items: list[Any]) -> list[Mapping[str, Any]]:
    """Setting items, sections flattened (`{"type": "section", "items": [...]}`)."""
    found: list[Mapping[str, Any]] = []
    for item in items:
        if isinstance(item, Mapping):
            found.append(item)
            nested = item.get("items")
            if isinstance(nested, list):
                found.extend(_walk_items(nested))
    return found


StaticCheck = Callable[[str, Any, "Mapping[str, Any] | None"], None]
STATIC_CHECKS: dict[str, StaticCheck] = {
    "registers": check_registers,
    "manifest_is_valid": check_manifest_is_valid,
    "implemented_interfaces_match_manifest": check_implemented_interfaces_match_manifest,
    "auth_type_is_known": check_auth_type_is_known,
    "log_format_is_known": check_log_format_is_known,
    "interfaces_match_protocols": check_interfaces_match_protocols,
}


def static_checks(name: str, connector: Any, manifest: Mapping[str, Any] | None) -> list[CheckResult]:
    """Run every static check; an unexpected exception in one is that check's failure."""
    results = []
    for check, function in STATIC_CHECKS.items():
        try:
            function(name, connector, manifest)
        except CheckSkipped as skipped:
            results.append(CheckResult(name, check, "skip", str(skipped)))
        except Exception as error:
            reason = str(error) if isinstance(error, CheckFailed) else f"{type(error).__name__}: {error}"
            results.append(CheckResult(name, check, "fail", reason))
        else:
            results.append(CheckResult(name, check, "ok"))
    return results


# -- behavioural checks: call the connector (use them for connectors that need no network) --------
def default_user(platform: str) -> User:
    """A user as the server would pass it after an API-key or OAuth login."""
    return User(
        id=f"conformance-user-{platform}",
        platform=platform,
        timezone_name="UTC",
        timezone_offset="+00:00",
        access_token="conformance-key",
    )


def default_auth_header(connector: Connector, user: User) -> str:
    """`Basic <get_basic_auth>` for API-key connectors, `Bearer <token>` for OAuth ones."""
    token = user.access_token or ""
    if str(connector.get_auth_type(user)) == AuthType.OAUTH:
        return f"Bearer {token}"
    return f"Basic {connector.get_basic_auth(token)}"


def _expect(value: object, kind: type, method: str) -> None:
    if not isinstance(value, kind):
        raise CheckFailed(f"{method} returned {type(value).__name__}, not {kind.__name__}")


async def _contact(connector: Connector, user: User, auth_header: str, phone_number: str) -> ContactInfo:
    """The first real match of `phone_number`, else a contact the CRM does not know."""
    if isinstance(connector, FindsContacts):
        found = await connector.find_contact(
            FindContactInput(user=user, auth_header=auth_header, phone_number=phone_number)
        )
        _expect(found, FindContactResult, "find_contact")
        for contact in found.matched_contact_info:
            if not contact.is_new_contact:
                return ContactInfo(
                    id=contact.id, phone_number=phone_number, type=contact.type or "", name=contact.name
                )
    return ContactInfo(id="conformance-contact", phone_number=phone_number, name="Conformance Contact")


async def _read(connector: ReadsCallLogs, user: User, auth_header: str, log_id: str) -> GetCallLogResult:
    read = await connector.get_call_log(
        GetCallLogInput(
            user=user,
            auth_header=auth_header,
            call_log_id=log_id,
            telephony_session_id="conformance-telephony-1",
        )
    )
    _expect(read, GetCallLogResult, "get_call_log")
    return read


async def _create_and_read(
    connector: Connector, user: User, auth_header: str, phone_number: str
) -> tuple[str, str, GetCallLogResult]:
    if not isinstance(connector, ReadsCallLogs):
        raise CheckSkipped("getCallLog is not implemented")
    contact = await _contact(connector, user, auth_header, phone_number)
    call_log = {
        "sessionId": "conformance-session-1",
        "telephonySessionId": "conformance-telephony-1",
        "direction": "Outbound",
        "startTime": "2024-01-15T10:30:00Z",
        "duration": 65,
        "result": "Call connected",
        "from": {"phoneNumber": "+16505550199", "name": "Agent"},
        "to": {"phoneNumber": phone_number},
    }
    body = compose_call_log(
        log_format=connector.get_log_format_type(user), call_log=call_log,
        contact_info={"phoneNumber": phone_number}, user_settings=user.user_settings,
        timezone_offset=user.timezone_offset, note="Conformance note", subject="Conformance call",
        duration=65, result="Call connected",
    )  # fmt: skip
    created = await connector.create_call_log(
        CreateCallLogInput(
            user=user, auth_header=auth_header, contact_info=contact, call_log=CallRecord.of(call_log),
            note="Conformance note", composed_log_details=body,
        )
    )  # fmt: skip
    _expect(created, CreateCallLogResult, "create_call_log")
    if created.log_id is None or created.log_id == "":
        raise CheckFailed("create_call_log returned no log_id")
    read = await _read(connector, user, auth_header, str(created.log_id))
    return str(created.log_id), body, read


async def check_call_log_round_trip(
    connector: Connector, user: User, auth_header: str, phone_number: str
) -> None:
    """A created call log reads back with `full_body` equal to the body it was given."""
    _, body, read = await _create_and_read(connector, user, auth_header, phone_number)
    if read.call_log_info is None:
        raise CheckFailed("get_call_log returned no call_log_info for a log just created")
    if read.call_log_info.full_body != body:
        raise CheckFailed(f"full_body {read.call_log_info.full_body!r} is not the body given {body!r}")


async def check_update_keeps_agent_line(
    connector: Connector, user: User, auth_header: str, phone_number: str
) -> None:
    """An update composed from the CRM's body plus a line the agent typed keeps that line.

    This is the server's contract (spec platform §11.4, logging spec): updates recompose from
    `full_body`, so whatever the connector stores must come back verbatim.
    """
    log_id, _, read = await _create_and_read(connector, user, auth_header, phone_number)
    assert isinstance(connector, ReadsCallLogs)  # _create_and_read skipped otherwise
    if read.call_log_info is None or read.call_log_info.full_body is None:
        raise CheckFailed("get_call_log returned no full_body for a log just created")
    log_format = connector.get_log_format_type(user)
    separator = (
        "\n" if log_format == LogFormat.PLAIN else ("<br>" if log_format == LogFormat.HTML else "\n\n")
    )
    edited = read.call_log_info.full_body + AGENT_LINE + separator
    recording = "https://recordings.example/conformance"
    composed = compose_call_log(
        log_format=log_format, existing_body=edited, call_log=None, contact_info=None,
        user_settings=user.user_settings, timezone_offset=user.timezone_offset, recording_link=recording,
    )  # fmt: skip
    link = CallLogLink(
        id="conformance-link", session_id="conformance-session-1", extension_number="101",
        hashed_extension_id="conformance-extension", platform=user.platform,
        third_party_log_id=log_id, user_id=user.id, contact_id=None,
    )  # fmt: skip
    updated = await connector.update_call_log(
        UpdateCallLogInput(
            user=user, auth_header=auth_header, existing_call_log=link, composed_log_details=composed,
            existing_call_log_info=read.call_log_info, recording_link=recording,
        )
    )  # fmt: skip
    _expect(updated, UpdateCallLogResult, "update_call_log")
    after = await _read(connector, user, auth_header, log_id)
    body = after.call_log_info.full_body if after.call_log_info is not None else None
    if body is None or AGENT_LINE not in body:
        raise CheckFailed(f"the agent's line was lost by update_call_log: {body!r}")
    if recording not in body:
        raise CheckFailed(f"the update itself was not stored: {body!r}")


async def check_find_contact_placeholder_last(
    connector: Connector, user: User, auth_header: str, phone_number: str
) -> None:
    """`find_contact` offers exactly one "create new contact" placeholder, after the real matches."""
    if not isinstance(connector, FindsContacts):
        raise CheckSkipped("findContact is not implemented")
    for number in (phone_number, "+19999999999"):
        found = await connector.find_contact(
            FindContactInput(user=user, auth_header=auth_header, phone_number=number)
        )
        _expect(found, FindContactResult, "find_contact")
        if not found.successful:
            continue
        flags = [contact.is_new_contact for contact in found.matched_contact_info]
        if flags.count(True) != 1 or not flags[-1]:
            raise CheckFailed(
                f"find_contact({number!r}) must end with exactly one is_new_contact placeholder (got {flags})"
            )


BehaviouralCheck = Callable[[Connector, User, str, str], Awaitable[None]]
BEHAVIOURAL_CHECKS: dict[str, BehaviouralCheck] = {
    "call_log_round_trip": check_call_log_round_trip,
    "update_keeps_agent_line": check_update_keeps_agent_line,
    "find_contact_placeholder_last": check_find_contact_placeholder_last,
}
