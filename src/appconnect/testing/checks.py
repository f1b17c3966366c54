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

import base64
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from appconnect.compose import compose_call_log
from appconnect.connectors.registry import ConnectorRegistry, RegistryError
from appconnect.connectors.types import (
    AuthType,
    ContactInfo,
    CreateCallLogResult,
    FindContactResult,
    GetCallLogResult,
    LogFormat,
)
from appconnect.domain import CallLogLink, User
from appconnect.testing.manifest import manifest_platform, manifest_problems

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


def default_auth_header(connector: Any, user: User) -> str:
    """`Basic <get_basic_auth>` for API-key connectors, `Bearer <token>` for OAuth ones."""
    token = user.access_token or ""
    if _has(connector, "get_auth_type") and str(connector.get_auth_type()) == AuthType.OAUTH:
        return f"Bearer {token}"
    if _has(connector, "get_basic_auth"):
        return f"Basic {connector.get_basic_auth(api_key=token)}"
    return "Basic " + base64.b64encode(f"{token}:".encode()).decode("ascii")


def _log_format(connector: Any) -> str:
    return str(connector.get_log_format_type()) if _has(connector, "get_log_format_type") else LogFormat.PLAIN


async def _contact(connector: Any, user: User, auth_header: str, phone_number: str) -> ContactInfo:
    """The first real match of `phone_number`, else a contact the CRM does not know."""
    if _has(connector, "find_contact"):
        found: FindContactResult = await connector.find_contact(
            user=user, auth_header=auth_header, phone_number=phone_number,
            overriding_format=None, is_extension=False,
        )  # fmt: skip
        for contact in found.matched_contact_info:
            if not contact.is_new_contact:
                return ContactInfo(
                    id=contact.id, phone_number=phone_number, type=contact.type or "", name=contact.name
                )
    return ContactInfo(id="conformance-contact", phone_number=phone_number, name="Conformance Contact")


async def _create_and_read(
    connector: Any, user: User, auth_header: str, phone_number: str
) -> tuple[str, str, GetCallLogResult]:
    if not _has(connector, "get_call_log"):
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
        log_format=_log_format(connector), call_log=call_log,
        contact_info={"phoneNumber": phone_number}, user_settings=user.user_settings,
        timezone_offset=user.timezone_offset, note="Conformance note", subject="Conformance call",
        duration=65, result="Call connected",
    )  # fmt: skip
    created: CreateCallLogResult = await connector.create_call_log(
        user=user, contact_info=contact, auth_header=auth_header, call_log=call_log,
        note="Conformance note", composed_log_details=body, additional_submission=None,
    )  # fmt: skip
    if created.log_id is None or created.log_id == "":
        raise CheckFailed("create_call_log returned no log_id")
    read: GetCallLogResult = await connector.get_call_log(
        user=user, auth_header=auth_header, telephony_session_id="conformance-telephony-1",
        call_log_id=str(created.log_id), contact_id=str(contact.id),
    )  # fmt: skip
    return str(created.log_id), body, read


async def check_call_log_round_trip(connector: Any, user: User, auth_header: str, phone_number: str) -> None:
    """A created call log reads back with `full_body` equal to the body it was given."""
    _, body, read = await _create_and_read(connector, user, auth_header, phone_number)
    if read.call_log_info is None:
        raise CheckFailed("get_call_log returned no call_log_info for a log just created")
    if read.call_log_info.full_body != body:
        raise CheckFailed(f"full_body {read.call_log_info.full_body!r} is not the body given {body!r}")


async def check_update_keeps_agent_line(
    connector: Any, user: User, auth_header: str, phone_number: str
) -> None:
    """An update composed from the CRM's body plus a line the agent typed keeps that line.

    This is the server's contract (spec platform §11.4, logging spec): updates recompose from
    `full_body`, so whatever the connector stores must come back verbatim.
    """
    log_id, _, read = await _create_and_read(connector, user, auth_header, phone_number)
    if read.call_log_info is None or read.call_log_info.full_body is None:
        raise CheckFailed("get_call_log returned no full_body for a log just created")
    log_format = _log_format(connector)
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
    await connector.update_call_log(
        user=user, existing_call_log=link, auth_header=auth_header, composed_log_details=composed,
        existing_call_log_details=read.call_log_info.full_log_response,
    )  # fmt: skip
    after: GetCallLogResult = await connector.get_call_log(
        user=user, auth_header=auth_header, telephony_session_id="conformance-telephony-1",
        call_log_id=log_id, contact_id=None,
    )  # fmt: skip
    body = after.call_log_info.full_body if after.call_log_info is not None else None
    if body is None or AGENT_LINE not in body:
        raise CheckFailed(f"the agent's line was lost by update_call_log: {body!r}")
    if recording not in body:
        raise CheckFailed(f"the update itself was not stored: {body!r}")


async def check_find_contact_placeholder_last(
    connector: Any, user: User, auth_header: str, phone_number: str
) -> None:
    """`find_contact` offers exactly one "create new contact" placeholder, after the real matches."""
    if not _has(connector, "find_contact"):
        raise CheckSkipped("findContact is not implemented")
    for number in (phone_number, "+19999999999"):
        found: FindContactResult = await connector.find_contact(
            user=user, auth_header=auth_header, phone_number=number,
            overriding_format=None, is_extension=False,
        )  # fmt: skip
        if not found.successful:
            continue
        flags = [contact.is_new_contact for contact in found.matched_contact_info]
        if flags.count(True) != 1 or not flags[-1]:
            raise CheckFailed(
                f"find_contact({number!r}) must end with exactly one is_new_contact placeholder (got {flags})"
            )


BehaviouralCheck = Callable[[Any, User, str, str], Awaitable[None]]
BEHAVIOURAL_CHECKS: dict[str, BehaviouralCheck] = {
    "call_log_round_trip": check_call_log_round_trip,
    "update_keeps_agent_line": check_update_keeps_agent_line,
    "find_contact_placeholder_last": check_find_contact_placeholder_last,
}
