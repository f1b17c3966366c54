"""Typed inputs and results of the connector API.

Results are frozen dataclasses; `to_wire()` gives the camelCase JSON the extension expects, so a
connector never builds wire dicts by hand. Example:

    >>> Contact(id=7, name="Ann", type="Person", phone="+14155550100").to_wire()["phone"]
    '+14155550100'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

MessageType = Literal["success", "warning", "error", "info", "danger"]


class AuthType(StrEnum):
    OAUTH = "oauth"
    API_KEY = "apiKey"


class LogFormat(StrEnum):
    PLAIN = "text/plain"
    HTML = "text/html"
    MARKDOWN = "text/markdown"
    CUSTOM = "custom"


@dataclass(frozen=True)
class ReturnMessage:
    """The toast the extension shows. `details` are `{"title", "items": [{"id", "type", "text"}]}`."""

    message: str
    message_type: MessageType = "success"
    ttl: int = 3000
    details: tuple[Mapping[str, Any], ...] | None = None
    extra: Mapping[str, Any] | None = None

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {"message": self.message, "messageType": self.message_type}
        if self.details is not None:
            wire["details"] = [dict(detail) for detail in self.details]
        wire["ttl"] = self.ttl
        if self.extra:
            wire.update(self.extra)
        return wire

    @staticmethod
    def detail_text(title: str, text: str, *, item_id: str | int = "1") -> tuple[Mapping[str, Any], ...]:
        """One details section with one text item, the shape most messages use."""
        return ({"title": title, "items": [{"id": item_id, "type": "text", "text": text}]},)


def message_to_wire(message: ReturnMessage | Mapping[str, Any] | str | None) -> Any:
    """Wire form of a connector's return message (typed, already a dict, or absent)."""
    if isinstance(message, ReturnMessage):
        return message.to_wire()
    if isinstance(message, Mapping):
        return dict(message)
    return message


@dataclass(frozen=True)
class Contact:
    """A CRM record matching a phone number or name (`matchedContactInfo` item)."""

    id: str | int
    name: str
    type: str | None = None
    phone: str | None = None
    title: str | None = None
    company: str | None = None
    email: str | None = None
    created_date: str | None = None
    most_recent_activity_date: str | None = None
    organization: str | None = None
    """The contact's organization name; a connector that knows organizations sends `""` for none."""
    additional_info: Mapping[str, Any] | None = None
    is_new_contact: bool = False

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {"id": self.id, "name": self.name}
        optional = {
            "type": self.type,
            "phone": self.phone,
            "title": self.title,
            "company": self.company,
            "email": self.email,
            "createdDate": self.created_date,
            "mostRecentActivityDate": self.most_recent_activity_date,
            "organization": self.organization,
            "additionalInfo": dict(self.additional_info) if self.additional_info is not None else None,
        }
        wire.update({key: value for key, value in optional.items() if value is not None})
        if self.is_new_contact:
            wire["isNewContact"] = True
        return wire

    @classmethod
    def create_new_placeholder(cls, additional_info: Mapping[str, Any] | None = None) -> Contact:
        """The synthetic "Create new contact..." option the extension offers after real matches."""
        return cls(
            id="createNewContact",
            name="Create new contact...",
            additional_info=additional_info,
            is_new_contact=True,
        )


@dataclass(frozen=True)
class ContactInfo:
    """The contact a call log is about, as the core passes it to `create_call_log`."""

    id: str | int
    phone_number: str | None
    type: str = ""
    name: str = ""


@dataclass(frozen=True)
class PlatformUserInfo:
    """Who the CRM says the user is (`getUserInfo`); `id` must be unique across connectors."""

    id: str
    name: str
    timezone_name: str | None = None
    timezone_offset: str | int | None = None
    platform_additional_info: Mapping[str, Any] = field(default_factory=dict)
    overriding_hostname: str | None = None
    overriding_api_key: str | None = None


@dataclass(frozen=True)
class OAuthInfo:
    """The connector's OAuth client (`getOauthInfo`).

    A connector that cannot build a client for this login returns only `fail_message`; the
    extension shows it and nothing is requested from the CRM.
    """

    client_id: str = ""
    client_secret: str | None = None
    access_token_uri: str = ""
    redirect_uri: str | None = None
    authorization_uri: str | None = None
    scopes: str | None = None
    hostname: str | None = None
    fail_message: str | None = None


@dataclass(frozen=True)
class UserInfoResult:
    successful: bool
    platform_user_info: PlatformUserInfo | None = None
    return_message: ReturnMessage | None = None

    @classmethod
    def could_not_load(cls, crm_name: str) -> UserInfoResult:
        """The reference's answer when the CRM will not say who signed in: the warning "Could not
        load user information" with a detail naming `crm_name` and what to check there.

        Example::

            except CrmError:
                return UserInfoResult.could_not_load("Pipedrive")
        """
        details = (
            f"{crm_name} was unable to fetch information for the currently logged in user. Please check "
            f"your permissions in {crm_name} and make sure you have permission to access and read user "
            "information."
        )
        return cls(
            successful=False,
            return_message=ReturnMessage(
                "Could not load user information",
                "warning",
                3000,
                details=ReturnMessage.detail_text("Details", details),
            ),
        )


@dataclass(frozen=True)
class FindContactResult:
    matched_contact_info: tuple[Contact, ...] = ()
    successful: bool = True
    return_message: ReturnMessage | None = None
    extra_data_tracking: Mapping[str, Any] | None = None

    @property
    def has_real_match(self) -> bool:
        return any(not contact.is_new_contact for contact in self.matched_contact_info)


@dataclass(frozen=True)
class CreateContactResult:
    contact_info: Contact | None
    return_message: ReturnMessage | None = None
    extra_data_tracking: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class CreateCallLogResult:
    log_id: str | int | None
    return_message: ReturnMessage | None = None
    extra_data_tracking: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class UpdateCallLogResult:
    updated_note: str | None = None
    return_message: ReturnMessage | None = None
    extra_data_tracking: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class CallLogInfo:
    """A CRM call log read back. `full_body` is the whole body: the base every update edits."""

    subject: str | None = None
    note: str | None = None
    full_body: str | None = None
    full_log_response: Any = None
    contact_name: str | None = None
    dispositions: Mapping[str, Any] | None = None

    def to_wire(self) -> dict[str, Any]:
        wire = {
            "subject": self.subject,
            "note": self.note,
            "fullBody": self.full_body,
            "fullLogResponse": self.full_log_response,
            "contactName": self.contact_name,
            "dispositions": dict(self.dispositions) if self.dispositions is not None else None,
        }
        return {key: value for key, value in wire.items() if value is not None}


@dataclass(frozen=True)
class GetCallLogResult:
    call_log_info: CallLogInfo | None
    return_message: ReturnMessage | None = None
    extra_data_tracking: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class DispositionResult:
    log_id: str | int | None
    return_message: ReturnMessage | None = None
    extra_data_tracking: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class CreateMessageLogResult:
    log_id: str | int | None
    return_message: ReturnMessage | None = None
    extra_data_tracking: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class UpdateMessageLogResult:
    return_message: ReturnMessage | None = None
    extra_data_tracking: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class UnAuthorizeResult:
    successful: bool = True
    return_message: ReturnMessage | None = None


@dataclass(frozen=True)
class OAuthTokenRequestOverride:
    """`getOverridingOAuthOption`: changes to the code-for-token request of one login.

    `headers`, `query` and `body` are merged over the defaults (`query` is appended to the token
    URL). A header whose value is None or "" is not sent, e.g. `{"Authorization": None}` for a CRM
    that wants the client credentials in the body instead of HTTP Basic.
    """

    headers: Mapping[str, str | None] = field(default_factory=dict)
    query: Mapping[str, Any] = field(default_factory=dict)
    body: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AuthValidationResult:
    """`authValidation`: are the stored CRM credentials still good? `status` is the CRM's answer."""

    successful: bool
    status: int | None = None
    return_message: ReturnMessage | None = None


@dataclass(frozen=True)
class LicenseStatus:
    """`getLicenseStatus`: sent to the extension as is (`extra` adds connector-defined fields)."""

    is_license_valid: bool
    license_status: str
    license_status_description: str = ""
    extra: Mapping[str, Any] | None = None

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {
            "isLicenseValid": self.is_license_valid,
            "licenseStatus": self.license_status,
            "licenseStatusDescription": self.license_status_description,
        }
        if self.extra:
            wire.update(self.extra)
        return wire


@dataclass(frozen=True)
class RefreshUserInfoResult:
    """`refreshUserInfo`. Connectors never write the database: profile changes the CRM reported
    (timezone, `platform_additional_info`, `overriding_hostname`) come back in `platform_user_info`
    and the server stores them."""

    successful: bool
    return_message: ReturnMessage | None = None
    platform_user_info: PlatformUserInfo | None = None


@dataclass(frozen=True)
class UpdateUserSettingsResult:
    """`onUpdateUserSettings`: the new settings are stored only when `successful`."""

    successful: bool
    return_message: ReturnMessage | None = None


@dataclass(frozen=True)
class CrmUser:
    """One user of the CRM (`getUserList`), for mapping RingCentral extensions to CRM users."""

    id: str | int
    name: str
    email: str | None = None

    def to_wire(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "email": self.email}


@dataclass(frozen=True)
class Option:
    """One choice of a dynamic option list (`getManagedAuthOptions`): `{"value", "label"}` on the wire."""

    value: str | int
    label: str

    def to_wire(self) -> dict[str, Any]:
        return {"value": self.value, "label": self.label}


# -- appointments (spec platform §9.3) --------------------------------------------------------------
@dataclass(frozen=True)
class AppointmentAttendee:
    """One attendee of an appointment (`attendees` item): the CRM contact or user invited."""

    id: str | int
    name: str | None = None
    type: str | None = None
    status: str | None = None
    email: str | None = None

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {"id": self.id}
        optional = {"name": self.name, "type": self.type, "status": self.status, "email": self.email}
        wire.update({key: value for key, value in optional.items() if value is not None})
        return wire


@dataclass(frozen=True)
class Appointment:
    """An appointment as the extension shows it (the contract's `IdentifiedAppointment`).

    Fields left None are not sent; `extra` adds connector-specific keys (the contract allows them).

    >>> Appointment(id="7", title="Intake", start_time_utc="2026-07-20T19:00:00.000Z").to_wire()
    {'id': '7', 'title': 'Intake', 'startTimeUtc': '2026-07-20T19:00:00.000Z'}
    """

    id: str | int
    third_party_appointment_id: str | int | None = None
    title: str | None = None
    description: str | None = None
    summary: str | None = None
    participant_name: str | None = None
    start_time_utc: str | None = None
    duration_minutes: int | float | None = None
    status: str | None = None
    contact_id: str | None = None
    contact_type: str | None = None
    attendees: tuple[AppointmentAttendee, ...] | None = None
    attendee_ids: tuple[str, ...] | None = None
    extra: Mapping[str, Any] | None = None

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {"id": self.id}
        optional = {
            "thirdPartyAppointmentId": self.third_party_appointment_id,
            "title": self.title,
            "description": self.description,
            "summary": self.summary,
            "participantName": self.participant_name,
            "startTimeUtc": self.start_time_utc,
            "durationMinutes": self.duration_minutes,
            "status": self.status,
            "contactId": self.contact_id,
            "contactType": self.contact_type,
            "attendees": [attendee.to_wire() for attendee in self.attendees]
            if self.attendees is not None
            else None,
            "attendeeIds": list(self.attendee_ids) if self.attendee_ids is not None else None,
        }
        wire.update({key: value for key, value in optional.items() if value is not None})
        if self.extra:
            wire.update(self.extra)
        return wire


@dataclass(frozen=True)
class AppointmentListResult:
    """`listAppointments`: the appointments in the requested range (or the connector's default)."""

    appointments: tuple[Appointment, ...] = ()
    successful: bool = True
    return_message: ReturnMessage | None = None


@dataclass(frozen=True)
class AppointmentResult:
    """`createAppointment`, `updateAppointment`, `refreshAppointment`, `confirmAppointment`,
    `cancelAppointment`: the appointment now (when the CRM returned it), or why not.

    `successful=False` with a `return_message` is the connector saying no (answered with 200);
    `appointment_id` defaults to the appointment's id.
    """

    successful: bool = True
    appointment: Appointment | None = None
    appointment_id: str | int | None = None
    return_message: ReturnMessage | None = None
