"""The connector API: what a CRM connector implements, and what it receives.

A connector is an object with a `name` and async methods named after the reference's interfaces
in snake_case (`createCallLog` -> `create_call_log`). Only `create_call_log` and `update_call_log`
are required; every other interface is optional and simply absent when not implemented, which is
how `/implementedInterfaces` reports it. Each optional interface has its own runtime-checkable
protocol below, so services (and type checkers) can ask "does this connector find contacts?".

Methods take keyword arguments only, named as in the specs (`user`, `auth_header`,
`composed_log_details`, `existing_call_log`, ...), and end with `**extra`: the server may pass new
arguments in later versions without breaking existing connectors.

Minimal connector::

    class MyCrm(BaseConnector):
        name = "mycrm"
        auth_type = AuthType.API_KEY
        log_format = LogFormat.HTML

        async def create_call_log(self, *, user, contact_info, auth_header, call_log,
                                  composed_log_details, **extra):
            activity = await self.http.post(...)
            return CreateCallLogResult(log_id=activity["id"])

        async def update_call_log(self, *, user, existing_call_log, auth_header,
                                  composed_log_details, **extra):
            ...
            return UpdateCallLogResult()
"""

from __future__ import annotations

import base64
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from appconnect.connectors.types import (
    AuthType,
    AuthValidationResult,
    CallLogInfo,
    ContactInfo,
    CreateCallLogResult,
    CreateContactResult,
    CreateMessageLogResult,
    DispositionResult,
    FindContactResult,
    GetCallLogResult,
    LicenseStatus,
    LogFormat,
    OAuthInfo,
    RefreshUserInfoResult,
    UnAuthorizeResult,
    UpdateCallLogResult,
    UpdateMessageLogResult,
    UpdateUserSettingsResult,
    UserInfoResult,
)
from appconnect.domain import CallLogLink, MessageLogLink, User

if TYPE_CHECKING:
    from appconnect.crm_http import CrmHttp

__all__ = [
    "INTERFACE_NAMES",
    "REQUIRED_INTERFACES",
    "AccountDataSource",
    "BaseConnector",
    "CallLogInfo",
    "Connector",
    "ConnectorContext",
    "CreatesContacts",
    "FindsContacts",
    "HooksLogin",
    "ListsUsers",
    "LogsMessages",
    "LogsServerSide",
    "OffersManagedAuthOptions",
    "ReadsCallLogs",
    "RefreshesTokensItself",
    "RefreshesUserInfo",
    "ReportsLicenseStatus",
    "SearchesContactsByName",
    "SetsDispositions",
    "ValidatesAuth",
    "WatchesUserSettings",
]

# camelCase interface name on the wire -> snake_case method name in Python.
INTERFACE_NAMES: dict[str, str] = {
    "getAuthType": "get_auth_type",
    "getOauthInfo": "get_oauth_info",
    "getBasicAuth": "get_basic_auth",
    "getUserInfo": "get_user_info",
    "createCallLog": "create_call_log",
    "updateCallLog": "update_call_log",
    "getCallLog": "get_call_log",
    "createMessageLog": "create_message_log",
    "updateMessageLog": "update_message_log",
    "createContact": "create_contact",
    "findContact": "find_contact",
    "listAppointments": "list_appointments",
    "createAppointment": "create_appointment",
    "updateAppointment": "update_appointment",
    "refreshAppointment": "refresh_appointment",
    "confirmAppointment": "confirm_appointment",
    "cancelAppointment": "cancel_appointment",
    "unAuthorize": "unauthorize",
    "upsertCallDisposition": "upsert_call_disposition",
    "findContactWithName": "find_contact_with_name",
    "getUserList": "get_user_list",
    "getManagedAuthOptions": "get_managed_auth_options",
    "getLicenseStatus": "get_license_status",
    "getLogFormatType": "get_log_format_type",
    "refreshUserInfo": "refresh_user_info",
    "authValidation": "auth_validation",
    "onUpdateUserSettings": "on_update_user_settings",
    "getOverridingOAuthOption": "get_overriding_oauth_option",
    "postSaveUserInfo": "post_save_user_info",
    "checkAndRefreshAccessToken": "check_and_refresh_access_token",
    "getServerLoggingSettings": "get_server_logging_settings",
    "updateServerLoggingSettings": "update_server_logging_settings",
}
REQUIRED_INTERFACES = ("create_call_log", "update_call_log")


@dataclass(frozen=True)
class ConnectorContext:
    """What the server hands a connector factory: the shared outbound client and settings.

    `settings` is the server's `appconnect.config.Settings`; connectors read their own
    environment variables (e.g. `PIPEDRIVE_CLIENT_ID`) themselves.
    """

    http: CrmHttp
    settings: Any
    version: str = "0.0.0"
    extras: Mapping[str, Any] = field(default_factory=dict)

    def setting(self, name: str, default: str) -> str:
        """A connector setting from the environment (`extras` first), with the real service as default.

        Every external URL a connector calls should come through here, e.g.
        `context.setting("MYCRM_API_BASE_URL", "https://api.mycrm.example")`, so tests and the
        simulator can point it at a local stand-in.
        """
        value = self.extras.get(name) or os.environ.get(name)
        return str(value) if value else default


@runtime_checkable
class Connector(Protocol):
    """The two interfaces every connector must implement (the registry refuses others)."""

    name: str

    async def create_call_log(
        self,
        *,
        user: User,
        contact_info: ContactInfo,
        auth_header: str,
        call_log: Mapping[str, Any],
        note: str | None,
        composed_log_details: str,
        additional_submission: Mapping[str, Any] | None,
        **extra: Any,
    ) -> CreateCallLogResult: ...

    async def update_call_log(
        self,
        *,
        user: User,
        existing_call_log: CallLogLink,
        auth_header: str,
        composed_log_details: str,
        existing_call_log_details: Any,
        **extra: Any,
    ) -> UpdateCallLogResult: ...


@runtime_checkable
class ReadsCallLogs(Protocol):
    async def get_call_log(
        self,
        *,
        user: User,
        auth_header: str,
        telephony_session_id: str,
        call_log_id: str,
        contact_id: str | None,
        **extra: Any,
    ) -> GetCallLogResult: ...


@runtime_checkable
class FindsContacts(Protocol):
    async def find_contact(
        self,
        *,
        user: User,
        auth_header: str,
        phone_number: str,
        overriding_format: str | None,
        is_extension: bool,
        **extra: Any,
    ) -> FindContactResult: ...


@runtime_checkable
class CreatesContacts(Protocol):
    async def create_contact(
        self,
        *,
        user: User,
        auth_header: str,
        phone_number: str,
        new_contact_name: str,
        new_contact_type: str | None,
        additional_submission: Mapping[str, Any] | None,
        **extra: Any,
    ) -> CreateContactResult: ...


@runtime_checkable
class SearchesContactsByName(Protocol):
    async def find_contact_with_name(
        self, *, user: User, auth_header: str, name: str, **extra: Any
    ) -> FindContactResult: ...


@runtime_checkable
class SetsDispositions(Protocol):
    async def upsert_call_disposition(
        self,
        *,
        user: User,
        existing_call_log: CallLogLink,
        auth_header: str,
        dispositions: Mapping[str, Any] | None,
        **extra: Any,
    ) -> DispositionResult: ...


@runtime_checkable
class LogsMessages(Protocol):
    async def create_message_log(
        self, *, user: User, contact_info: ContactInfo, auth_header: str, **extra: Any
    ) -> CreateMessageLogResult: ...

    async def update_message_log(
        self,
        *,
        user: User,
        contact_info: ContactInfo,
        existing_message_log: MessageLogLink,
        auth_header: str,
        **extra: Any,
    ) -> UpdateMessageLogResult: ...


@runtime_checkable
class UsesOAuth(Protocol):
    def get_oauth_info(self, **extra: Any) -> OAuthInfo: ...


@runtime_checkable
class LogsIn(Protocol):
    async def get_user_info(self, *, auth_header: str, **extra: Any) -> UserInfoResult: ...


@runtime_checkable
class LogsOut(Protocol):
    async def unauthorize(self, *, user: User, **extra: Any) -> UnAuthorizeResult: ...


@runtime_checkable
class ValidatesAuth(Protocol):
    async def auth_validation(self, *, user: User, **extra: Any) -> AuthValidationResult: ...


@runtime_checkable
class ReportsLicenseStatus(Protocol):
    async def get_license_status(
        self, *, user_id: str, platform: str, user: User, **extra: Any
    ) -> LicenseStatus | Mapping[str, Any]: ...


@runtime_checkable
class RefreshesUserInfo(Protocol):
    async def refresh_user_info(
        self, *, user: User, auth_header: str, **extra: Any
    ) -> RefreshUserInfoResult: ...


@runtime_checkable
class WatchesUserSettings(Protocol):
    async def on_update_user_settings(
        self,
        *,
        user: User,
        user_settings: Mapping[str, Any],
        updated_settings: Mapping[str, Any],
        **extra: Any,
    ) -> UpdateUserSettingsResult: ...


@runtime_checkable
class ListsUsers(Protocol):
    """Admin user mapping: the CRM's users as `{"id", "name", "email"}` items."""

    async def get_user_list(
        self, *, user: User, auth_header: str, **extra: Any
    ) -> list[Mapping[str, Any]]: ...


@runtime_checkable
class LogsServerSide(Protocol):
    """Server-side call logging settings an admin edits for the account."""

    async def get_server_logging_settings(self, *, user: User, **extra: Any) -> Mapping[str, Any]: ...

    async def update_server_logging_settings(
        self, *, user: User, additional_field_values: Mapping[str, Any], **extra: Any
    ) -> Mapping[str, Any]: ...


@runtime_checkable
class OffersManagedAuthOptions(Protocol):
    """Options of a dynamic, user-scoped managed API-key field (`[{"value", "label"}]`)."""

    async def get_managed_auth_options(
        self, *, field_const: str, account_values: Mapping[str, Any], **extra: Any
    ) -> list[Mapping[str, Any]]: ...


@runtime_checkable
class HooksLogin(Protocol):
    """Hooks around login: adjust the token request, and see the saved user (must return its info)."""

    def get_overriding_oauth_option(
        self, *, code: str | None, oauth_info: OAuthInfo, **extra: Any
    ) -> Any: ...

    async def post_save_user_info(
        self, *, user_info: Mapping[str, Any], **extra: Any
    ) -> Mapping[str, Any]: ...


@runtime_checkable
class RefreshesTokensItself(Protocol):
    """Replaces the server's token refresh; returns the refreshed user, or None to revoke the session."""

    async def check_and_refresh_access_token(self, *, user: User, **extra: Any) -> User | None: ...


@dataclass(frozen=True)
class AccountDataSource:
    """One key of a connector's account data (e.g. Pipedrive's activity types), cached per account."""

    fetch: Callable[..., Awaitable[Any]]
    ttl_seconds: float = 24 * 3600


class BaseConnector:
    """A convenience base: auth type, log format, manifest and HTTP client as plain attributes.

    Subclasses set `name`, `auth_type`, `log_format` and `manifest`, and implement the interfaces
    they support. Optional interfaces are *not* defined here, so their absence stays visible.
    """

    name: ClassVar[str]
    auth_type: ClassVar[AuthType] = AuthType.API_KEY
    log_format: ClassVar[str] = LogFormat.PLAIN
    manifest: Mapping[str, Any] | None = None
    #: Host patterns (`api.mycrm.example`, `*.mycrm.example`) the connector may call; a hostname a
    #: user types at login must match one. Empty: any public host.
    allowed_hosts: tuple[str, ...] = ()
    #: Hostnames a login may carry that are not addresses but markers the connector resolves itself
    #: (Pipedrive's `temp` from a Marketplace install); the host `get_user_info` returns is checked instead.
    login_hostname_placeholders: tuple[str, ...] = ()
    """Host patterns (`api.example.com`, `*.example.com`) a user-supplied CRM hostname must match at
    login. Empty: any public host is accepted (private and loopback ones only in development)."""
    refresh_on_unauthorized: ClassVar[bool] = True
    """OAuth only: a CRM answer 401 refreshes the access token and retries the call once. Turn off
    for a CRM whose 401 does not mean "token expired"."""
    account_data: Mapping[str, AccountDataSource] = MappingProxyType({})
    #: Optional connector-specific HTTP routes (a FastAPI `APIRouter`), mounted on the app.
    router: Any = None

    def __init__(self, context: ConnectorContext | None = None) -> None:
        self.context = context

    @property
    def http(self) -> CrmHttp:
        if self.context is None:
            raise RuntimeError(f"connector {self.name} was built without a ConnectorContext")
        return self.context.http

    def get_auth_type(self, **extra: Any) -> str:
        return str(self.auth_type)

    def get_log_format_type(self, **extra: Any) -> str:
        return str(self.log_format)

    def get_basic_auth(self, *, api_key: str, **extra: Any) -> str:
        """The part after `Basic `: base64 of `"<api_key>:"`, the template's default."""
        return base64.b64encode(f"{api_key}:".encode()).decode("ascii")
