"""The connector API: what a CRM connector implements, and the protocols the server checks it against.

A connector is an object with a `name` and methods named after the reference's interfaces in
snake_case (`createCallLog` -> `create_call_log`). Each method takes one frozen input (see
`appconnect.connectors.inputs`) and returns one typed result (`appconnect.connectors.types`).
Only `create_call_log` and `update_call_log` are required (`Connector`); every other interface
is a protocol of its own (`FindsContacts`, `ReadsCallLogs`, `LogsMessages`, ...), which is how the
server asks "does this connector find contacts?" (`isinstance(connector, FindsContacts)`) and how
`/implementedInterfaces` is answered.

Subclass `BaseConnector` and the protocols you implement: the protocols in the class line make
mypy check every method against its interface, so a misspelled input field or a wrong result
type is a type error before it is a user's lost call log::

    from appconnect.connectors import (
        BaseConnector, CreateCallLogInput, CreateCallLogResult, FindContactInput, FindContactResult,
        FindsContacts, UpdateCallLogInput, UpdateCallLogResult,
    )
    from appconnect.connectors.types import AuthType, Contact, LogFormat
    from appconnect.crm_http import HostPolicy, join_url

    API = "https://api.mycrm.example"

    class MyCrm(BaseConnector, FindsContacts):
        name = "mycrm"
        auth_type = AuthType.API_KEY
        log_format = LogFormat.HTML
        policy = HostPolicy(allowed_hosts=("api.mycrm.example",), platform="mycrm")

        async def find_contact(self, lookup: FindContactInput) -> FindContactResult:
            response = await self.http.get(join_url(API, "/contacts"), policy=self.policy,
                                           headers={"Authorization": lookup.auth_header},
                                           params={"phone": lookup.phone_number})
            people = response.json()["data"]
            return FindContactResult(matched_contact_info=(
                *(Contact(id=p["id"], name=p["name"], phone=lookup.phone_number) for p in people),
                Contact.create_new_placeholder()))

        async def create_call_log(self, call: CreateCallLogInput) -> CreateCallLogResult:
            response = await self.http.post(join_url(API, "/activities"), policy=self.policy,
                                            headers={"Authorization": call.auth_header},
                                            json={"contact": call.contact_info.id,
                                                  "note": call.composed_log_details})
            return CreateCallLogResult(log_id=response.json()["id"])

        async def update_call_log(self, call: UpdateCallLogInput) -> UpdateCallLogResult:
            await self.http.patch(
                join_url(API, f"/activities/{call.existing_call_log.third_party_log_id}"),
                policy=self.policy, headers={"Authorization": call.auth_header},
                json={"note": call.composed_log_details})
            return UpdateCallLogResult()

CRM failures are raised, never returned: `appconnect.crm_http` raises its error tree
(`CrmRateLimited`, `CrmAuthExpired`, ...) and the server turns each into the contract's message,
refreshing an OAuth token once after a 401.
"""

from __future__ import annotations

import base64
import os
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from appconnect.connectors.inputs import (
    AppointmentInput,
    AuthValidationInput,
    CreateAppointmentInput,
    CreateCallLogInput,
    CreateContactInput,
    CreateMessageLogInput,
    CrmInput,
    FindContactInput,
    FindContactWithNameInput,
    FindCreatedCallLogInput,
    FindCreatedMessageLogInput,
    FindMessageLogUpdateInput,
    GetCallLogInput,
    GetLicenseStatusInput,
    GetUserInfoInput,
    ListAppointmentsInput,
    ManagedAuthOptionsInput,
    OAuthInfoInput,
    OAuthOptionInput,
    PostSaveUserInfoInput,
    RefreshAccessTokenInput,
    ServerLoggingSettingsInput,
    UnauthorizeInput,
    UpdateAppointmentInput,
    UpdateCallLogInput,
    UpdateMessageLogInput,
    UpdateServerLoggingSettingsInput,
    UpsertCallDispositionInput,
    UserSettingsInput,
)
from appconnect.connectors.types import (
    AppointmentListResult,
    AppointmentResult,
    AuthType,
    AuthValidationResult,
    CreateCallLogResult,
    CreateContactResult,
    CreateMessageLogResult,
    CrmUser,
    DispositionResult,
    FindContactResult,
    GetCallLogResult,
    LicenseStatus,
    LogFormat,
    OAuthInfo,
    OAuthTokenRequestOverride,
    Option,
    PlatformUserInfo,
    RefreshUserInfoResult,
    UnAuthorizeResult,
    UpdateCallLogResult,
    UpdateMessageLogResult,
    UpdateUserSettingsResult,
    UserInfoResult,
)
from appconnect.domain import User

if TYPE_CHECKING:
    from fastapi import APIRouter

    from appconnect.crm_http import CrmHttp

__all__ = [
    "INTERFACE_NAMES",
    "INTERFACE_PROTOCOLS",
    "REQUIRED_INTERFACES",
    "AccountDataSource",
    "BaseConnector",
    "CancelsAppointments",
    "ConfirmsAppointments",
    "Connector",
    "ConnectorContext",
    "CreatesAppointments",
    "CreatesContacts",
    "FindsContacts",
    "FindsCreatedCallLogs",
    "FindsCreatedMessageLogs",
    "ListsAppointments",
    "ListsUsers",
    "LogsIn",
    "LogsMessages",
    "LogsOut",
    "LogsServerSide",
    "OffersManagedAuthOptions",
    "OverridesOAuthRequest",
    "ReadsCallLogs",
    "RefreshesAppointments",
    "RefreshesTokensItself",
    "RefreshesUserInfo",
    "ReportsLicenseStatus",
    "SavesUserInfo",
    "SearchesContactsByName",
    "ServerServices",
    "ServesRoutes",
    "SetsDispositions",
    "UpdatesAppointments",
    "UsesOAuth",
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
    environment variables (e.g. `PIPEDRIVE_CLIENT_ID`) with `setting`.
    """

    http: CrmHttp
    settings: Any
    version: str = "0.0.0"
    extras: Mapping[str, Any] = field(default_factory=dict)

    def setting(self, name: str, default: str) -> str:
        """A connector setting from the environment (`extras` first), with the real service as default.

        Every external URL a connector calls should come through here, so tests and the simulator
        can point it at a local stand-in:

        >>> ConnectorContext(http=None, settings=None, extras={"MYCRM_URL": "http://127.0.0.1:9"}).setting(
        ...     "MYCRM_URL", "https://api.mycrm.example")
        'http://127.0.0.1:9'
        """
        value = self.extras.get(name) or os.environ.get(name)
        return str(value) if value else default


@dataclass(frozen=True)
class AccountDataSource:
    """One key of a connector's account data (e.g. Pipedrive's activity types).

    The server stores the value per RingCentral account and platform, shared by all its users and
    workers, and calls `fetch` again when the stored copy is older than `ttl_seconds` or a refresh
    is forced. Connectors read it through their input's `account_data` (`await
    call.account_data.get("activityTypes")`); `GET /accountData` serves it to the admin page.

    `fetch` receives a `CrmInput` (user and auth header) and returns JSON-ready data.
    """

    fetch: Callable[[CrmInput], Awaitable[Any]]
    ttl_seconds: float = 24 * 3600


class ServerServices(Protocol):
    """What the server lends a connector's own HTTP routes (`ServesRoutes`).

    Connectors never see the app, the store or another connector: a route that must act on the
    server's data (Pipedrive's uninstall callback deletes the user) asks through this.
    """

    async def find_user(self, user_id: str, platform: str) -> User | None:
        """The stored user of this platform with that id (credentials decrypted), or None."""
        ...

    async def delete_user(self, user_id: str) -> None:
        """Forget the user and its credentials (nothing happens when there is no such user)."""
        ...


@runtime_checkable
class Connector(Protocol):
    """What every connector is: a name, its auth type and log format, and the two logging interfaces.

    The registry refuses an object without `create_call_log` and `update_call_log`.
    `BaseConnector` provides everything else with defaults.
    """

    @property
    def name(self) -> str:
        """The platform name: the `platform` of the user's JWT and the manifest's key."""
        ...

    @property
    def manifest(self) -> Mapping[str, Any] | None:
        """The platform's manifest fragment (served by `/crmManifest`), or None."""
        ...

    @property
    def allowed_hosts(self) -> tuple[str, ...]:
        """Host patterns (`api.mycrm.example`, `*.mycrm.example`) a hostname typed at login must match."""
        ...

    @property
    def login_hostname_placeholders(self) -> tuple[str, ...]:
        """Login hostnames that are markers, not hosts (Pipedrive's `temp`); see `BaseConnector`."""
        ...

    @property
    def refresh_on_unauthorized(self) -> bool:
        """OAuth: a CRM 401 refreshes the token and retries the call once."""
        ...

    @property
    def account_data(self) -> Mapping[str, AccountDataSource]:
        """The account-data keys this connector can fetch (may be empty)."""
        ...

    def get_auth_type(self, user: User | None = None, /) -> str:
        """`oauth` or `apiKey` (`AuthType`); `BaseConnector` answers its `auth_type` attribute.

        Example::

            auth_type = AuthType.OAUTH   # in a BaseConnector subclass; or override:

            def get_auth_type(self, user: User | None = None) -> str:
                return AuthType.OAUTH
        """
        ...

    def get_log_format_type(self, user: User | None = None, /) -> str:
        """The body format the server composes call logs in (`LogFormat`); `custom`: none.

        Example::

            log_format = LogFormat.HTML   # in a BaseConnector subclass; or override:

            def get_log_format_type(self, user: User | None = None) -> str:
                return LogFormat.MARKDOWN if user and user.setting("markdown") else LogFormat.HTML
        """
        ...

    def get_basic_auth(self, api_key: str, /) -> str:
        """API-key connectors: the part after `Basic ` in the auth header built from `api_key`.

        Example::

            def get_basic_auth(self, api_key: str) -> str:  # a CRM that wants the key as the password
                return base64.b64encode(f"x:{api_key}".encode()).decode("ascii")
        """
        ...

    async def create_call_log(self, call: CreateCallLogInput, /) -> CreateCallLogResult:
        """Log one call; return the CRM's id for it (or `log_id=None` and a message to decline).

        Example::

            async def create_call_log(self, call: CreateCallLogInput) -> CreateCallLogResult:
                activity = await self.api(call).post("/activities", json={
                    "contact_id": call.contact_info.id, "note": call.composed_log_details,
                    "started_at": call.call_log.start_time.isoformat() if call.call_log.start_time else None})
                return CreateCallLogResult(log_id=activity["id"],
                                           return_message=ReturnMessage("Call logged", "success", 2000))
        """
        ...

    async def update_call_log(self, call: UpdateCallLogInput, /) -> UpdateCallLogResult:
        """Write `call.composed_log_details` (the whole new body) to the log `call.existing_call_log`.

        Example::

            async def update_call_log(self, call: UpdateCallLogInput) -> UpdateCallLogResult:
                changes = {"note": call.composed_log_details}
                if call.subject:
                    changes["subject"] = call.subject
                await self.api(call).patch(f"/activities/{call.existing_call_log.third_party_log_id}",
                                           json=changes)
                return UpdateCallLogResult(updated_note=call.note)
        """
        ...

    async def startup(self) -> None:
        """Called once when the server starts (open a local database, warm a cache, ...).

        Example::

            async def startup(self) -> None:
                await self.store.open()
        """
        ...

    async def shutdown(self) -> None:
        """Called once when the server stops.

        Example::

            async def shutdown(self) -> None:
                await self.store.close()
        """
        ...


# -- optional interfaces: one protocol each ---------------------------------------------------------
@runtime_checkable
class ReadsCallLogs(Protocol):
    async def get_call_log(self, lookup: GetCallLogInput, /) -> GetCallLogResult:
        """Read a logged call back: `full_body` must be the whole body, the base of every update.

        Example::

            async def get_call_log(self, lookup: GetCallLogInput) -> GetCallLogResult:
                activity = await self.api(lookup).get(f"/activities/{lookup.call_log_id}")
                return GetCallLogResult(call_log_info=CallLogInfo(
                    subject=activity["subject"], note=my_note_of(activity["note"]),
                    full_body=activity["note"], full_log_response=activity))
        """
        ...


@runtime_checkable
class FindsContacts(Protocol):
    async def find_contact(self, lookup: FindContactInput, /) -> FindContactResult:
        """CRM records owning `lookup.phone_number`, then `Contact.create_new_placeholder()`.

        Example::

            async def find_contact(self, lookup: FindContactInput) -> FindContactResult:
                people = await self.api(lookup).get("/people", params={"phone": lookup.phone_number})
                return FindContactResult(matched_contact_info=(
                    *(Contact(id=p["id"], name=p["name"], phone=lookup.phone_number) for p in people),
                    Contact.create_new_placeholder()))
        """
        ...


@runtime_checkable
class SearchesContactsByName(Protocol):
    async def find_contact_with_name(self, lookup: FindContactWithNameInput, /) -> FindContactResult:
        """CRM records whose name matches `lookup.name` (no create-new placeholder).

        Example::

            async def find_contact_with_name(self, lookup: FindContactWithNameInput) -> FindContactResult:
                people = await self.api(lookup).get("/people", params={"name": lookup.name})
                return FindContactResult(matched_contact_info=tuple(
                    Contact(id=p["id"], name=p["name"]) for p in people))
        """
        ...


@runtime_checkable
class CreatesContacts(Protocol):
    async def create_contact(self, new: CreateContactInput, /) -> CreateContactResult:
        """Create a record for `new.phone_number` named `new.new_contact_name`.

        Example::

            async def create_contact(self, new: CreateContactInput) -> CreateContactResult:
                person = await self.api(new).post("/people", json={
                    "name": new.new_contact_name, "phone": new.phone_number})
                return CreateContactResult(contact_info=Contact(id=person["id"], name=person["name"]))
        """
        ...


@runtime_checkable
class FindsCreatedCallLogs(Protocol):
    async def find_created_call_log(self, lookup: FindCreatedCallLogInput, /) -> CreateCallLogResult:
        """The log `lookup.create` made, if the CRM has it (`log_id` None when it has none).

        Lets the outbox resolve a create whose outcome is unknown instead of sending it twice:
        find the record by something the create wrote (the contact, the start time, the body).

        Example::

            async def find_created_call_log(self, lookup: FindCreatedCallLogInput) -> CreateCallLogResult:
                create = lookup.create
                found = await self.api(lookup).get("/activities", params={"contact": create.contact_info.id})
                same = [a for a in found if a["note"] == create.composed_log_details]
                return CreateCallLogResult(log_id=same[0]["id"] if same else None)
        """
        ...


@runtime_checkable
class SetsDispositions(Protocol):
    async def upsert_call_disposition(self, change: UpsertCallDispositionInput, /) -> DispositionResult:
        """Set the disposition fields of a logged call; a truthy `log_id` means it worked.

        Example::

            async def upsert_call_disposition(self, change: UpsertCallDispositionInput) -> DispositionResult:
                log_id = change.existing_call_log.third_party_log_id
                deal = change.dispositions.get("deals")
                await self.api(change).patch(f"/activities/{log_id}", json={"deal": deal})
                return DispositionResult(log_id=log_id)
        """
        ...


@runtime_checkable
class LogsMessages(Protocol):
    async def create_message_log(self, log: CreateMessageLogInput, /) -> CreateMessageLogResult:
        """Create the CRM log of a conversation day (first `log.message`) or of composed content.

        Example::

            async def create_message_log(self, log: CreateMessageLogInput) -> CreateMessageLogResult:
                if log.shared_sms_log_content is not None:
                    subject, body = log.shared_sms_log_content.subject, log.shared_sms_log_content.body
                else:
                    content = compose_message_log([log.message.raw], log_format=self.log_format,
                                                  contact_name=log.contact_info.name,
                                                  contact_number=log.contact_info.phone_number,
                                                  timezone_offset=log.user.timezone_offset)
                    subject, body = content.subject, content.body
                note = await self.api(log).post("/notes", json={"subject": subject, "body": body})
                return CreateMessageLogResult(log_id=note["id"])
        """
        ...

    async def update_message_log(self, log: UpdateMessageLogInput, /) -> UpdateMessageLogResult:
        """Add `log.message` to the day's log `log.existing_message_log` (or replace composed content).

        Example::

            async def update_message_log(self, log: UpdateMessageLogInput) -> UpdateMessageLogResult:
                note_id = log.existing_message_log.third_party_log_id
                note = await self.api(log).get(f"/notes/{note_id}")
                entry = compose_message_log_entry(log.message.raw, log_format=self.log_format,
                                                  contact_name=log.contact_info.name,
                                                  contact_number=log.contact_info.phone_number,
                                                  timezone_offset=log.user.timezone_offset)
                body = add_message_log_entry(note["body"], entry, log_format=self.log_format)
                await self.api(log).patch(f"/notes/{note_id}", json={"body": body})
                return UpdateMessageLogResult()
        """
        ...


@runtime_checkable
class FindsCreatedMessageLogs(Protocol):
    async def find_created_message_log(self, lookup: FindCreatedMessageLogInput, /) -> CreateMessageLogResult:
        """The log `lookup.create` made, if the CRM has it (`log_id` None when it has none).

        Lets the outbox resolve a message-log create whose outcome is unknown (a timeout after
        sending, a crash before the answer was stored) instead of sending it twice: find the
        record by something the create wrote (the contact, the subject, the body).

        Example::

            async def find_created_message_log(
                self, lookup: FindCreatedMessageLogInput
            ) -> CreateMessageLogResult:
                create = lookup.create
                notes = await self.api(lookup).get("/notes", params={"contact": create.contact_info.id})
                same = [n for n in notes if n["subject"] == self.subject_of(create)]
                return CreateMessageLogResult(log_id=same[0]["id"] if same else None)
        """
        ...

    async def find_message_log_update(self, lookup: FindMessageLogUpdateInput, /) -> bool:
        """Whether the log `lookup.update.existing_message_log` already holds `lookup.update.message`.

        Asked before an add whose outcome is unknown is sent again: True means it landed (the
        server records it and does not add it twice).

        Example::

            async def find_message_log_update(self, lookup: FindMessageLogUpdateInput) -> bool:
                update = lookup.update
                note = await self.api(lookup).get(f"/notes/{update.existing_message_log.third_party_log_id}")
                return self.entry_of(update) in note["body"]
        """
        ...


@runtime_checkable
class UsesOAuth(Protocol):
    async def get_oauth_info(self, login: OAuthInfoInput, /) -> OAuthInfo:
        """OAuth connectors: the client to exchange codes and refresh tokens with.

        Example::

            async def get_oauth_info(self, login: OAuthInfoInput) -> OAuthInfo:
                return OAuthInfo(client_id=self.client_id, client_secret=self.client_secret,
                                 access_token_uri="https://oauth.mycrm.example/token",
                                 redirect_uri=self.redirect_uri)
        """
        ...


@runtime_checkable
class LogsIn(Protocol):
    async def get_user_info(self, login: GetUserInfoInput, /) -> UserInfoResult:
        """Who the credentials belong to; `platform_user_info.id` must be unique across connectors.

        Example::

            async def get_user_info(self, login: GetUserInfoInput) -> UserInfoResult:
                me = (await self.http.get(join_url(API, "/me"), policy=self.policy,
                                          headers={"Authorization": login.auth_header})).json()
                return UserInfoResult(successful=True, platform_user_info=PlatformUserInfo(
                    id=f"{me['id']}-mycrm", name=me["name"], timezone_name=me.get("tz")))
        """
        ...


@runtime_checkable
class LogsOut(Protocol):
    async def unauthorize(self, logout: UnauthorizeInput, /) -> UnAuthorizeResult:
        """Revoke the user's credentials at the CRM; raise when that fails (nothing is forgotten).

        Example::

            async def unauthorize(self, logout: UnauthorizeInput) -> UnAuthorizeResult:
                await self.http.post(REVOKE_URL, policy=self.policy, data={"token": logout.user.access_token})
                return UnAuthorizeResult(return_message=ReturnMessage("Logged out", "success", 1000))
        """
        ...


@runtime_checkable
class ValidatesAuth(Protocol):
    async def auth_validation(self, check: AuthValidationInput, /) -> AuthValidationResult:
        """Whether the stored credentials still work (`GET /authValidation`).

        Example::

            async def auth_validation(self, check: AuthValidationInput) -> AuthValidationResult:
                response = await self.http.get(join_url(API, "/me"), policy=self.policy,
                                               headers={"Authorization": f"Bearer {check.user.access_token}"})
                return AuthValidationResult(successful=True, status=response.status_code)
        """
        ...


@runtime_checkable
class ReportsLicenseStatus(Protocol):
    async def get_license_status(self, query: GetLicenseStatusInput, /) -> LicenseStatus:
        """The user's license (`GET /licenseStatus`).

        Example::

            async def get_license_status(self, query: GetLicenseStatusInput) -> LicenseStatus:
                return LicenseStatus(is_license_valid=True, license_status="Basic")
        """
        ...


@runtime_checkable
class RefreshesUserInfo(Protocol):
    async def refresh_user_info(self, user: CrmInput, /) -> RefreshUserInfoResult:
        """Re-read the user's profile from the CRM; return what changed (the server stores it).

        Example::

            async def refresh_user_info(self, user: CrmInput) -> RefreshUserInfoResult:
                me = await self.api(user).get("/me")
                return RefreshUserInfoResult(successful=True, platform_user_info=PlatformUserInfo(
                    id=user.user.id, name=me["name"], timezone_name=me["tz"]))
        """
        ...


@runtime_checkable
class WatchesUserSettings(Protocol):
    async def on_update_user_settings(self, change: UserSettingsInput, /) -> UpdateUserSettingsResult:
        """Decide whether the user's new settings are saved (`successful`), e.g. after validating them.

        Example::

            async def on_update_user_settings(self, change: UserSettingsInput) -> UpdateUserSettingsResult:
                ok = bool(change.user_settings.get("mycrmPipeline", True))
                return UpdateUserSettingsResult(successful=ok)
        """
        ...


@runtime_checkable
class ListsUsers(Protocol):
    async def get_user_list(self, admin: CrmInput, /) -> Sequence[CrmUser]:
        """The CRM's users, for mapping RingCentral extensions to CRM users (admin user mapping).

        Example::

            async def get_user_list(self, admin: CrmInput) -> Sequence[CrmUser]:
                return [CrmUser(id=u["id"], name=u["name"], email=u["email"])
                        for u in await self.api(admin).get("/users")]
        """
        ...


@runtime_checkable
class LogsServerSide(Protocol):
    """Server-side call logging settings an admin edits for the account."""

    async def get_server_logging_settings(self, query: ServerLoggingSettingsInput, /) -> Mapping[str, Any]:
        """The account's current settings, keyed by the manifest's field consts.

        Example::

            async def get_server_logging_settings(
                self, query: ServerLoggingSettingsInput
            ) -> Mapping[str, Any]:
                return {"activityOwner": query.user.setting("activityOwner", "agent")}
        """
        ...

    async def update_server_logging_settings(
        self, change: UpdateServerLoggingSettingsInput, /
    ) -> Mapping[str, Any]:
        """Store what the admin submitted; return the saved settings.

        Example::

            async def update_server_logging_settings(
                self, change: UpdateServerLoggingSettingsInput
            ) -> Mapping[str, Any]:
                await self.save_account_settings(change.user, change.additional_field_values)
                return change.additional_field_values
        """
        ...


@runtime_checkable
class OffersManagedAuthOptions(Protocol):
    async def get_managed_auth_options(self, query: ManagedAuthOptionsInput, /) -> Sequence[Option]:
        """Options of a dynamic managed API-key field, given the account's other values.

        Example::

            async def get_managed_auth_options(self, query: ManagedAuthOptionsInput) -> Sequence[Option]:
                regions = await self.regions(query.account_values.get("apiKey"))
                return [Option(value=r["code"], label=r["name"]) for r in regions]
        """
        ...


@runtime_checkable
class OverridesOAuthRequest(Protocol):
    async def get_overriding_oauth_option(
        self, login: OAuthOptionInput, /
    ) -> OAuthTokenRequestOverride | None:
        """Changes to the code-for-token request of one login (headers, query, body), or None.

        Example::

            async def get_overriding_oauth_option(self, login: OAuthOptionInput) -> OAuthTokenRequestOverride:
                return OAuthTokenRequestOverride(headers={"Authorization": None},
                                                 body={"client_id": login.oauth_info.client_id,
                                                       "client_secret": login.oauth_info.client_secret})
        """
        ...


@runtime_checkable
class SavesUserInfo(Protocol):
    async def post_save_user_info(self, saved: PostSaveUserInfoInput, /) -> PlatformUserInfo | None:
        """Called after a login saved the user; return the user info to answer with (None fails it).

        Example::

            async def post_save_user_info(self, saved: PostSaveUserInfoInput) -> PlatformUserInfo:
                await self.register_webhook(saved.user)
                return saved.user_info
        """
        ...


@runtime_checkable
class RefreshesTokensItself(Protocol):
    async def check_and_refresh_access_token(self, refresh: RefreshAccessTokenInput, /) -> User | None:
        """Replace the server's token refresh: the refreshed user, or None to revoke the session.

        Example::

            async def check_and_refresh_access_token(self, refresh: RefreshAccessTokenInput) -> User | None:
                tokens = await self.my_refresh(refresh.user.refresh_token)
                return dataclasses.replace(refresh.user, access_token=tokens["access_token"])
        """
        ...


@runtime_checkable
class ServesRoutes(Protocol):
    def routes(self, server: ServerServices, /) -> APIRouter:
        """HTTP routes of the connector's own (an OAuth callback page, a CRM's webhook), mounted on the app.

        Example::

            def routes(self, server: ServerServices) -> APIRouter:
                router = APIRouter()

                @router.delete("/mycrm/uninstall")
                async def uninstall(user_id: str) -> dict[str, bool]:
                    await server.delete_user(f"{user_id}-mycrm")
                    return {"ok": True}

                return router
        """
        ...


# -- appointments (spec platform §9.3) ---------------------------------------------------------------
@runtime_checkable
class ListsAppointments(Protocol):
    async def list_appointments(self, query: ListAppointmentsInput, /) -> AppointmentListResult:
        """The user's appointments starting within `query.range` (inclusive days, UTC), or the
        connector's default window when no range was asked for.

        Example::

            async def list_appointments(self, query: ListAppointmentsInput) -> AppointmentListResult:
                events = await self.api(query).get("/events")
                return AppointmentListResult(appointments=tuple(
                    Appointment(id=str(e["id"]), title=e["title"], start_time_utc=e["start"])
                    for e in events))
        """
        ...


@runtime_checkable
class CreatesAppointments(Protocol):
    async def create_appointment(self, new: CreateAppointmentInput, /) -> AppointmentResult:
        """Create an appointment (with `new.contacts` invited); the result carries its CRM id.

        Example::

            async def create_appointment(self, new: CreateAppointmentInput) -> AppointmentResult:
                event = await self.api(new).post("/events", json={"title": new.title})
                return AppointmentResult(appointment=Appointment(id=str(event["id"]), title=new.title))
        """
        ...


@runtime_checkable
class UpdatesAppointments(Protocol):
    async def update_appointment(self, change: UpdateAppointmentInput, /) -> AppointmentResult:
        """Apply the fields of `change` that are not None; answer with the appointment now.

        Example::

            async def update_appointment(self, change: UpdateAppointmentInput) -> AppointmentResult:
                if change.title is None:
                    return AppointmentResult(successful=False, return_message=ReturnMessage(
                        "Only titles can change here.", "warning"))
                event = await self.api(change).patch(f"/events/{change.appointment_id}",
                                                     json={"title": change.title})
                return AppointmentResult(appointment=Appointment(id=str(event["id"]), title=change.title))
        """
        ...


@runtime_checkable
class RefreshesAppointments(Protocol):
    async def refresh_appointment(self, target: AppointmentInput, /) -> AppointmentResult:
        """The appointment as the CRM holds it now.

        Example::

            async def refresh_appointment(self, target: AppointmentInput) -> AppointmentResult:
                event = await self.api(target).get(f"/events/{target.appointment_id}")
                return AppointmentResult(appointment=Appointment(id=str(event["id"]), title=event["title"]))
        """
        ...


@runtime_checkable
class ConfirmsAppointments(Protocol):
    async def confirm_appointment(self, target: AppointmentInput, /) -> AppointmentResult:
        """Mark the appointment confirmed; answer with it, or with a message.

        Example::

            async def confirm_appointment(self, target: AppointmentInput) -> AppointmentResult:
                await self.api(target).post(f"/events/{target.appointment_id}/confirm")
                return AppointmentResult(appointment_id=target.appointment_id,
                                         return_message=ReturnMessage("Appointment confirmed."))
        """
        ...


@runtime_checkable
class CancelsAppointments(Protocol):
    async def cancel_appointment(self, target: AppointmentInput, /) -> AppointmentResult:
        """Cancel (or delete) the appointment; answer with it, or with a message.

        Example::

            async def cancel_appointment(self, target: AppointmentInput) -> AppointmentResult:
                await self.api(target).delete(f"/events/{target.appointment_id}")
                return AppointmentResult(appointment_id=target.appointment_id,
                                         return_message=ReturnMessage("Appointment cancelled."))
        """
        ...


class BaseConnector(ABC):
    """A convenience base with every `Connector` default; subclasses implement the interfaces they offer.

    Subclasses set `name`, `auth_type`, `log_format` and `manifest`, implement `create_call_log`
    and `update_call_log` (abstract here, so mypy checks both and a subclass without them cannot be
    built), and list the optional protocols they implement in the class line
    (`class MyCrm(BaseConnector, FindsContacts, ReadsCallLogs)`) so mypy checks those methods too.
    Optional interfaces are not defined here, so their absence stays visible to the server.
    """

    name: ClassVar[str]
    auth_type: ClassVar[AuthType] = AuthType.API_KEY
    log_format: ClassVar[str] = LogFormat.PLAIN
    manifest: Mapping[str, Any] | None = None
    allowed_hosts: tuple[str, ...] = ()
    """Host patterns (`api.example.com`, `*.example.com`) a user-supplied CRM hostname must match at
    login. Empty: any public host is accepted (private and loopback ones only in development)."""
    login_hostname_placeholders: tuple[str, ...] = ()
    """Hostnames a login may carry that are not addresses but markers the connector resolves itself
    (Pipedrive's `temp` from a Marketplace install); the host `get_user_info` returns is checked instead."""
    refresh_on_unauthorized: bool = True
    """OAuth only: a CRM answer 401 refreshes the access token and retries the call once. Turn off
    for a CRM whose 401 does not mean "token expired"."""
    account_data: Mapping[str, AccountDataSource] = MappingProxyType({})

    def __init__(self, context: ConnectorContext | None = None) -> None:
        self.context = context

    @property
    def http(self) -> CrmHttp:
        """The server's one outbound client (pooling, timeouts, host policy, CA bundle)."""
        if self.context is None:
            raise RuntimeError(f"connector {self.name} was built without a ConnectorContext")
        return self.context.http

    def get_auth_type(self, user: User | None = None, /) -> str:
        return str(self.auth_type)

    def get_log_format_type(self, user: User | None = None, /) -> str:
        return str(self.log_format)

    def get_basic_auth(self, api_key: str, /) -> str:
        """The part after `Basic `: base64 of `"<api_key>:"` (`key` -> `a2V5Og==`), the template's default."""
        return base64.b64encode(f"{api_key}:".encode()).decode("ascii")

    @abstractmethod
    async def create_call_log(self, call: CreateCallLogInput, /) -> CreateCallLogResult:
        """Required: see `Connector.create_call_log`."""

    @abstractmethod
    async def update_call_log(self, call: UpdateCallLogInput, /) -> UpdateCallLogResult:
        """Required: see `Connector.update_call_log`."""

    async def startup(self) -> None:  # noqa: B027 - a default, not an abstract hook
        """Nothing to open by default."""

    async def shutdown(self) -> None:  # noqa: B027 - a default, not an abstract hook
        """Nothing to close by default."""


INTERFACE_PROTOCOLS: tuple[type, ...] = (
    Connector,
    ReadsCallLogs,
    FindsCreatedCallLogs,
    FindsCreatedMessageLogs,
    FindsContacts,
    SearchesContactsByName,
    CreatesContacts,
    SetsDispositions,
    LogsMessages,
    UsesOAuth,
    LogsIn,
    LogsOut,
    ValidatesAuth,
    ReportsLicenseStatus,
    RefreshesUserInfo,
    WatchesUserSettings,
    ListsUsers,
    LogsServerSide,
    OffersManagedAuthOptions,
    OverridesOAuthRequest,
    SavesUserInfo,
    RefreshesTokensItself,
    ServesRoutes,
    ListsAppointments,
    CreatesAppointments,
    UpdatesAppointments,
    RefreshesAppointments,
    ConfirmsAppointments,
    CancelsAppointments,
)
"""`Connector` and every optional interface: what `appconnect check` holds each method against."""
