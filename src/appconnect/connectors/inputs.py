"""What each connector interface receives: one frozen input object per call.

Why one object and not keyword arguments: the reference passes each interface one object
(`createCallLog({user, contactInfo, authHeader, callLog, ...})`), and an object keeps the seam
checked from both sides. The server builds, say, a `CreateCallLogInput` whose fields mypy checks,
and a connector reads `call.composed_log_details`, which mypy checks too: a misspelled field is
an error on either side, where `**extra` keyword arguments let both slip through. New server
versions add fields (with defaults), so existing connectors keep working unchanged.

Field names are the reference's interface arguments in snake_case (`authHeader` -> `auth_header`,
`composedLogDetails` -> `composed_log_details`). The RingCentral records the extension sends arrive
typed (`CallRecord`, `MessageRecord`, `FormValues`), each keeping the request's mapping in `raw`
for fields not modelled here.

Example, in a connector::

    async def create_call_log(self, call: CreateCallLogInput) -> CreateCallLogResult:
        activity = await self.api(call.user).create(
            subject=call.call_log.custom_subject or f"Call with {call.contact_info.name}",
            body=call.composed_log_details,
            deal=call.additional_submission.get("deals") if call.additional_submission else None,
        )
        return CreateCallLogResult(log_id=activity["id"])
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, Protocol

from appconnect.compose import MessageLogContent, MessageMedia, parse_start_time
from appconnect.connectors.types import CallLogInfo, ContactInfo, OAuthInfo, PlatformUserInfo
from appconnect.domain import CallLogLink, MessageLogLink, User

__all__ = [
    "NO_ACCOUNT_DATA",
    "AccountData",
    "AdditionalSubmission",
    "AppointmentContactRef",
    "AppointmentInput",
    "AppointmentRange",
    "AuthValidationInput",
    "CallArtefacts",
    "CallRecord",
    "CreateAppointmentInput",
    "CreateCallLogInput",
    "CreateContactInput",
    "CreateMessageLogInput",
    "CrmInput",
    "FindContactInput",
    "FindContactWithNameInput",
    "FindCreatedCallLogInput",
    "FindCreatedMessageLogInput",
    "FindMessageLogUpdateInput",
    "FormValues",
    "GetCallLogInput",
    "GetLicenseStatusInput",
    "GetUserInfoInput",
    "ListAppointmentsInput",
    "ManagedAuthOptionsInput",
    "MessageRecord",
    "OAuthInfoInput",
    "OAuthOptionInput",
    "Party",
    "PostSaveUserInfoInput",
    "RefreshAccessTokenInput",
    "ServerLoggingSettingsInput",
    "UnauthorizeInput",
    "UpdateAppointmentInput",
    "UpdateCallLogInput",
    "UpdateMessageLogInput",
    "UpdateServerLoggingSettingsInput",
    "UpsertCallDispositionInput",
    "UserSettingsInput",
]

_EMPTY: Mapping[str, Any] = MappingProxyType({})


def _frozen(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(value)) if value else _EMPTY


def _text(value: object) -> str | None:
    """A non-empty id or name as text (`12` -> "12"), else None."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    return str(value)


def _number(value: object) -> int | float | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else _EMPTY


# -- records the extension sends -------------------------------------------------------------------
class FormValues(Mapping[str, Any]):
    """Values a user entered in a manifest-defined form, keyed by the field's `const`.

    Read-only. It behaves as a mapping (`values["deals"]`, `values.get("deals")`, `"deals" in
    values`) because the keys are the connector's own (its manifest's `additionalFields`).

    >>> FormValues({"deals": 201}).get("deals")
    201
    """

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Any] | None = None) -> None:
        self._values = dict(values or {})

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._values!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and dict(self.items()) == dict(other.items())

    def __hash__(self) -> int:
        return hash(tuple(sorted(self._values)))

    @property
    def raw(self) -> dict[str, Any]:
        """A copy of the values as sent."""
        return dict(self._values)


class AdditionalSubmission(FormValues):
    """`additionalSubmission`: the log form's extra fields, plus the server-side-logging ones.

    `None` (no form sent) and an empty submission are different things to some CRMs, so inputs
    carry `AdditionalSubmission | None`.
    """

    __slots__ = ()

    @property
    def is_assigned_to_user(self) -> bool:
        """Server-side logging asks to assign the log to the CRM user mapped to another extension."""
        return bool(self._values.get("isAssignedToUser"))

    @property
    def admin_assigned_user_rc_id(self) -> str | None:
        """The RingCentral extension id whose mapped CRM user should own the log."""
        return _text(self._values.get("adminAssignedUserRcId"))

    @property
    def admin_assigned_user_token(self) -> str | None:
        """That user's App Connect JWT, for CRMs whose manifest asks for it."""
        return _text(self._values.get("adminAssignedUserToken"))


@dataclass(frozen=True)
class Party:
    """One side of a call or message: `from`, `to`, or a message recipient."""

    phone_number: str | None = None
    extension_number: str | None = None
    name: str | None = None

    @classmethod
    def of(cls, value: object) -> Party:
        record = _mapping(value)
        return cls(
            phone_number=_text(record.get("phoneNumber")),
            extension_number=_text(record.get("extensionNumber")),
            name=_text(record.get("name")),
        )


@dataclass(frozen=True, kw_only=True)
class CallRecord:
    """The RingCentral call being logged (`logInfo` of `POST /callLog`), typed.

    `start_time` is parsed to an aware UTC datetime; `raw` is the record exactly as the extension
    sent it (the composer and connectors with custom formats read it).

    >>> call = CallRecord.of({"sessionId": "s1", "direction": "Inbound", "from": {"phoneNumber": "+1"}})
    >>> (call.session_id, call.contact_party.phone_number)
    ('s1', '+1')
    """

    session_id: str
    telephony_session_id: str | None = None
    id: str | None = None
    account_id: str | None = None
    direction: str | None = None
    start_time: datetime | None = None
    duration: int | float | None = None
    result: str | None = None
    from_: Party = field(default_factory=Party)
    to: Party = field(default_factory=Party)
    recording_link: str | None = None
    custom_subject: str | None = None
    legs: tuple[Mapping[str, Any], ...] = ()
    raw: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)

    @classmethod
    def of(cls, log_info: Mapping[str, Any]) -> CallRecord:
        """Type a `logInfo` mapping (unknown fields stay in `raw`)."""
        legs = log_info.get("legs")
        return cls(
            session_id=str(log_info.get("sessionId") or ""),
            telephony_session_id=_text(log_info.get("telephonySessionId")),
            id=_text(log_info.get("id")),
            account_id=_text(log_info.get("accountId")),
            direction=_text(log_info.get("direction")),
            start_time=parse_start_time(log_info.get("startTime")),
            duration=_number(log_info.get("duration")),
            result=_text(log_info.get("result")),
            from_=Party.of(log_info.get("from")),
            to=Party.of(log_info.get("to")),
            recording_link=_text(_mapping(log_info.get("recording")).get("link")),
            custom_subject=log_info.get("customSubject")
            if isinstance(log_info.get("customSubject"), str)
            else None,
            legs=tuple(leg for leg in legs if isinstance(leg, Mapping)) if isinstance(legs, list) else (),
            raw=_frozen(log_info),
        )

    @property
    def contact_party(self) -> Party:
        """The other side of the call: `from` for inbound calls, `to` otherwise."""
        return self.from_ if self.direction == "Inbound" else self.to


@dataclass(frozen=True, kw_only=True)
class MessageRecord:
    """One RingCentral message store record (SMS, MMS, voicemail, fax), typed.

    `subject` is the SMS text. For a group SMS the server suffixes `id` with the contact id
    (`<id>-<contactId>`), as the reference does; `raw` carries the suffixed id too.
    """

    id: str
    type: str | None = None
    direction: str | None = None
    subject: str | None = None
    creation_time: str | None = None
    from_: Party = field(default_factory=Party)
    to: tuple[Party, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)

    @classmethod
    def of(cls, message: Mapping[str, Any]) -> MessageRecord:
        recipients = message.get("to")
        return cls(
            id=str(message.get("id", "")),
            type=_text(message.get("type")),
            direction=_text(message.get("direction")),
            subject=message.get("subject") if isinstance(message.get("subject"), str) else None,
            creation_time=_text(message.get("creationTime")),
            from_=Party.of(message.get("from")),
            to=tuple(Party.of(item) for item in recipients) if isinstance(recipients, list) else (),
            raw=_frozen(message),
        )


# -- account data -----------------------------------------------------------------------------------
class AccountData(Protocol):
    """The connector's account data (its `account_data` sources), shared by the RingCentral account.

    The server keeps each value in its database per RingCentral account and platform, so every
    worker and every user of the account sees one copy; a stale value (older than the source's
    `ttl_seconds`) is fetched again, and when that fetch fails the stale copy is served.
    """

    async def get(self, key: str, *, force_refresh: bool = False) -> Any:
        """The value of `key`; `force_refresh` fetches it from the CRM even when it is fresh.

        Raises:
            LookupError: the connector declares no source named `key`.
        """
        ...


class _NoAccountData:
    async def get(self, key: str, *, force_refresh: bool = False) -> Any:
        raise LookupError(f"no account data reader was given for {key!r}")


NO_ACCOUNT_DATA: AccountData = _NoAccountData()
"""The default reader: refuses every key (inputs built by hand, outside the server)."""


# -- inputs ---------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class CrmInput:
    """What every call made on behalf of a signed-in user carries.

    Attributes:
        user: the stored user, after any token refresh (credentials decrypted).
        auth_header: the `Authorization` value to send: `Bearer <token>` (OAuth), `Basic <...>`
            (API key, from `get_basic_auth`) or `""`.
        account_data: the connector's account data for the user's RingCentral account.
    """

    user: User
    auth_header: str
    account_data: AccountData = NO_ACCOUNT_DATA


@dataclass(frozen=True, kw_only=True)
class FindContactInput(CrmInput):
    """`findContact`: CRM records owning a phone number (E.164, e.g. `+14155550100`)."""

    phone_number: str
    overriding_format: str | None = None
    is_extension: bool = False
    is_force_refresh_account_data: bool = False


@dataclass(frozen=True, kw_only=True)
class FindContactWithNameInput(CrmInput):
    """`findContactWithName`: CRM records whose name matches `name` (as typed by the agent)."""

    name: str


@dataclass(frozen=True, kw_only=True)
class CreateContactInput(CrmInput):
    """`createContact`: a new CRM record for an unknown number."""

    phone_number: str
    new_contact_name: str
    new_contact_type: str | None = None
    additional_submission: AdditionalSubmission | None = None


@dataclass(frozen=True, kw_only=True)
class CallArtefacts:
    """The AI note, transcript and RingSense values of a call, when the extension has them."""

    ai_note: str | None = None
    transcript: str | None = None
    ring_sense_transcript: str | None = None
    ring_sense_summary: str | None = None
    ring_sense_ai_score: Any = None
    ring_sense_bulleted_summary: str | None = None
    ring_sense_link: str | None = None


@dataclass(frozen=True, kw_only=True)
class CreateCallLogInput(CrmInput):
    """`createCallLog`: log one call against `contact_info`.

    Attributes:
        contact_info: the contact the agent chose (`id`, `phone_number`, `type`, `name`).
        call_log: the RingCentral call (`logInfo`).
        note: the agent's note (from the request, or the server-side-logging note cache).
        artefacts: the AI note, transcript and RingSense values.
        composed_log_details: the body the server composed in the connector's log format, or ""
            for a `custom` format (the connector composes itself from the fields).
        additional_submission: the log form's extra fields, or None.
        voicemail_link, voicemail_message_id: a voicemail's recording and message, when it is one.
        hashed_account_id: the hashed RingCentral account id (the key of admin settings).
        is_from_sscl: the request comes from server-side call logging.
    """

    contact_info: ContactInfo
    call_log: CallRecord
    note: str | None = None
    artefacts: CallArtefacts = field(default_factory=lambda: CallArtefacts())
    composed_log_details: str = ""
    additional_submission: AdditionalSubmission | None = None
    voicemail_link: str | None = None
    voicemail_message_id: str | None = None
    hashed_account_id: str | None = None
    is_from_sscl: bool = False
    assigned_crm_user_id: str | None = None
    """Server-side logging (`isAssignedToUser`): the CRM user an admin mapped to the extension
    `adminAssignedUserRcId` (admin user mapping), who should own the log; None otherwise."""


@dataclass(frozen=True, kw_only=True)
class FindCreatedCallLogInput(CrmInput):
    """`findCreatedCallLog`: look for the log an earlier create of this call may have made.

    The server asks this before sending a create again whose earlier attempt may have reached the
    CRM (a timeout after sending, a crash before the CRM's answer was stored). `create` is the
    create as it was sent (same composed body, same contact, same call).
    """

    create: CreateCallLogInput


@dataclass(frozen=True, kw_only=True)
class GetCallLogInput(CrmInput):
    """`getCallLog`: read a logged call back (`call_log_id` is the CRM's own id)."""

    call_log_id: str
    telephony_session_id: str | None = None
    contact_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class UpdateCallLogInput(CrmInput):
    """`updateCallLog`: write the new state of a logged call.

    `composed_log_details` is the whole new body, composed once by the server from the body
    `get_call_log` read a moment ago (`existing_call_log_info.full_body`) with this update's items
    upserted, so text the agent typed in the CRM is in it: write it as it is. The other fields are
    this update's values, for CRMs that keep them in fields of their own (a duration field, a
    subject); each is None when the update does not change it.

    Attributes:
        existing_call_log: the stored link; the CRM id is `existing_call_log.third_party_log_id`.
        existing_call_log_info: what `get_call_log` returned just before, or None when the
            connector cannot read logs (`full_log_response` is the CRM's raw record).
    """

    existing_call_log: CallLogLink
    composed_log_details: str = ""
    existing_call_log_info: CallLogInfo | None = None
    subject: str | None = None
    note: str | None = None
    start_time: datetime | None = None
    duration: int | float | None = None
    result: str | None = None
    recording_link: str | None = None
    recording_download_link: str | None = None
    voicemail_link: str | None = None
    voicemail_message_id: str | None = None
    legs: tuple[Mapping[str, Any], ...] = ()
    artefacts: CallArtefacts = field(default_factory=lambda: CallArtefacts())
    additional_submission: AdditionalSubmission | None = None
    hashed_account_id: str | None = None
    is_from_sscl: bool = False
    assigned_crm_user_id: str | None = None
    """Server-side logging (`isAssignedToUser`): the CRM user an admin mapped to the extension
    `adminAssignedUserRcId` (admin user mapping), who should own the log; None otherwise."""

    @property
    def existing_call_log_details(self) -> Any:
        """The CRM's raw record from the read before this update (the reference's name), or None."""
        return self.existing_call_log_info.full_log_response if self.existing_call_log_info else None


@dataclass(frozen=True, kw_only=True)
class UpsertCallDispositionInput(CrmInput):
    """`upsertCallDisposition`: set the disposition fields (deal, lead, ...) of a logged call."""

    existing_call_log: CallLogLink
    dispositions: FormValues = field(default_factory=FormValues)


@dataclass(frozen=True, kw_only=True)
class CreateMessageLogInput(CrmInput):
    """`createMessageLog`: create the CRM log of a conversation day, or of a composed conversation.

    Exactly one of these is set:

    * `message`: the first message of a conversation day (SMS, MMS, voicemail or fax); `media`
      holds its attachment links;
    * `shared_sms_log_content`: a body the server composed (a shared-SMS conversation, or the
      messages an agent selected, which are then in `messages` too).

    Attributes:
        correspondents: for a group SMS, the cached CRM matches of the other participants.
        assignee_name, owner_name: shared-conversation people, when known.
    """

    contact_info: ContactInfo
    message: MessageRecord | None = None
    messages: tuple[MessageRecord, ...] = ()
    shared_sms_log_content: MessageLogContent | None = None
    media: MessageMedia = field(default_factory=MessageMedia)
    additional_submission: AdditionalSubmission | None = None
    correspondents: tuple[Sequence[Mapping[str, Any]], ...] = ()
    assignee_name: str | None = None
    owner_name: str | None = None
    hashed_account_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class UpdateMessageLogInput(CrmInput):
    """`updateMessageLog`: add a later message of the day to its log, or replace a composed one.

    `existing_message_log.third_party_log_id` is the CRM log; `message` (with `media`) or
    `shared_sms_log_content` is set, as for `CreateMessageLogInput`.
    """

    contact_info: ContactInfo
    existing_message_log: MessageLogLink
    message: MessageRecord | None = None
    shared_sms_log_content: MessageLogContent | None = None
    media: MessageMedia = field(default_factory=MessageMedia)
    additional_submission: AdditionalSubmission | None = None
    assignee_name: str | None = None
    owner_name: str | None = None


@dataclass(frozen=True, kw_only=True)
class FindCreatedMessageLogInput(CrmInput):
    """`findCreatedMessageLog`: look for the log an earlier message-log create may have made.

    Asked before a create is sent again whose earlier attempt may have reached the CRM (a timeout
    after sending, a crash before the CRM's answer was stored). `create` is the create as it was
    sent (same message or composed content, same contact).
    """

    create: CreateMessageLogInput


@dataclass(frozen=True, kw_only=True)
class FindMessageLogUpdateInput(CrmInput):
    """`findMessageLogUpdate`: whether an earlier add of `update.message` to its day's log
    (`update.existing_message_log`) reached the CRM, asked before it is sent again."""

    update: UpdateMessageLogInput


# -- sign-in and account inputs ---------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class OAuthInfoInput:
    """`getOauthInfo`: which OAuth client to use for a login or a refresh.

    `hostname`, `token_url` come from the login (or, on refresh, from the stored user).
    """

    hostname: str | None = None
    token_url: str | None = None
    rc_account_id: str | None = None
    proxy_id: str | None = None
    user_email: str | None = None


@dataclass(frozen=True, kw_only=True)
class GetUserInfoInput:
    """`getUserInfo`: who the credentials belong to (the login's final step).

    Attributes:
        auth_header: `Bearer <access token>` after the OAuth exchange, or `Basic <...>` for an API key.
        hostname: the CRM host the user typed (or the connector's placeholder, e.g. Pipedrive's `temp`).
        api_key: API-key logins: the key (after admin-managed values were applied).
        additional_info: API-key logins: the login form's other fields.
        query: OAuth logins: the callback's query parameters.
        tokens: OAuth logins: the token endpoint's whole answer.
    """

    auth_header: str
    platform: str
    hostname: str | None = None
    api_key: str | None = None
    additional_info: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    token_url: str | None = None
    api_url: str | None = None
    callback_uri: str | None = None
    query: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    tokens: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    proxy_id: str | None = None
    user_email: str | None = None


@dataclass(frozen=True, kw_only=True)
class OAuthOptionInput:
    """`getOverridingOAuthOption`: the login's authorization code and OAuth client."""

    code: str | None
    oauth_info: OAuthInfo
    state: str | None = None


@dataclass(frozen=True, kw_only=True)
class PostSaveUserInfoInput:
    """`postSaveUserInfo`: the user as saved; return the user info to answer the login with."""

    user_info: PlatformUserInfo
    user: User
    oauth_info: OAuthInfo | None = None


@dataclass(frozen=True, kw_only=True)
class UnauthorizeInput:
    """`unAuthorize`: revoke the user's credentials at the CRM (the server forgets them after)."""

    user: User


@dataclass(frozen=True, kw_only=True)
class AuthValidationInput:
    """`authValidation`: are the stored credentials still good? (refreshed first when OAuth)."""

    user: User


@dataclass(frozen=True, kw_only=True)
class GetLicenseStatusInput:
    """`getLicenseStatus`: the user's license in the CRM or the connector vendor's service."""

    user: User
    user_id: str
    platform: str


@dataclass(frozen=True, kw_only=True)
class RefreshAccessTokenInput:
    """`checkAndRefreshAccessToken`: refresh the user's token the connector's own way.

    `lock_timeout` is how long (seconds) the server would hold its own refresh lease.
    """

    user: User
    oauth_info: OAuthInfo
    lock_timeout: float


@dataclass(frozen=True, kw_only=True)
class UserSettingsInput:
    """`onUpdateUserSettings`: the settings the user submitted and the full map about to be saved."""

    user: User
    user_settings: Mapping[str, Any]
    updated_settings: Mapping[str, Any]


@dataclass(frozen=True, kw_only=True)
class ManagedAuthOptionsInput:
    """`getManagedAuthOptions`: options of a dynamic managed API-key field, given the account's values."""

    field_const: str
    account_values: Mapping[str, Any]


@dataclass(frozen=True, kw_only=True)
class ServerLoggingSettingsInput(CrmInput):
    """`getServerLoggingSettings`: the account's server-side logging settings (asked for by an
    admin; `user` is the admin's CRM user, signed in like any other call)."""


@dataclass(frozen=True, kw_only=True)
class UpdateServerLoggingSettingsInput(CrmInput):
    """`updateServerLoggingSettings`: store what an admin submitted (`user`: the admin's CRM user)."""

    additional_field_values: Mapping[str, Any]


# -- appointments (spec platform §9.3) --------------------------------------------------------------
@dataclass(frozen=True)
class AppointmentContactRef:
    """A contact to invite (`contacts` item): its CRM id and, when the extension sent it, its type."""

    id: str
    type: str | None = None


@dataclass(frozen=True)
class AppointmentRange:
    """The inclusive date range of `GET /appointments?startDate=&endDate=` (`YYYY-MM-DD`, UTC days)."""

    start_date: str
    end_date: str


@dataclass(frozen=True, kw_only=True)
class ListAppointmentsInput(CrmInput):
    """`listAppointments`: the user's appointments in `range`, or in the connector's default range."""

    range: AppointmentRange | None = None


@dataclass(frozen=True, kw_only=True)
class CreateAppointmentInput(CrmInput):
    """`createAppointment`, validated by the server (`title` non-empty, `duration_minutes` > 0,
    `start_time_utc` ISO 8601 with an offset)."""

    title: str
    summary: str
    start_time_utc: str
    duration_minutes: int
    contacts: tuple[AppointmentContactRef, ...] = ()


@dataclass(frozen=True, kw_only=True)
class UpdateAppointmentInput(CrmInput):
    """`updateAppointment`: change what the patch names; None means "not in the patch".

    `start_time_utc` and `duration_minutes` come together; `status` alone is what
    `POST /appointments/{id}/status` sends (lower-cased).
    """

    appointment_id: str
    title: str | None = None
    summary: str | None = None
    start_time_utc: str | None = None
    duration_minutes: int | None = None
    contacts: tuple[AppointmentContactRef, ...] | None = None
    status: str | None = None


@dataclass(frozen=True, kw_only=True)
class AppointmentInput(CrmInput):
    """`refreshAppointment`, `confirmAppointment`, `cancelAppointment`: one appointment by CRM id."""

    appointment_id: str
