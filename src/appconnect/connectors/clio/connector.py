"""`ClioConnector`: App Connect's interfaces against Clio Manage's API v4, in four regions.

Calls and messages are Clio *communications* (`PhoneCommunication`) between the contact and the
user, linked to the matter the agent chose; each call also gets a *time entry* (an activity of type
`TimeEntry`) when the user's settings ask for it, and outbound SMS too when SMS time tracking is
on. Contacts are Clio's people and companies, matched by every spelling the user's
`overridingFormat` describes (`phone_search_terms`), each offered with its matters (as client and
through relationships; closed ones only when the user asked to see them). Fax documents are
uploaded into Clio (on the matter, else the contact). Appointments are calendar entries
(`appointments.py`).

Bodies are plain text (`log_format`). Call bodies are composed by the server from the body
`get_call_log` read, item by item, so lines an agent typed in Clio survive every update.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from importlib.resources import files
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import structlog

from appconnect.connectors.base import (
    BaseConnector,
    CancelsAppointments,
    ConnectorContext,
    CreatesAppointments,
    CreatesContacts,
    FindsContacts,
    FindsCreatedCallLogs,
    ListsAppointments,
    ListsUsers,
    LogsIn,
    LogsMessages,
    LogsOut,
    ReadsCallLogs,
    RefreshesAppointments,
    RefreshesUserInfo,
    SearchesContactsByName,
    SetsDispositions,
    UpdatesAppointments,
    UsesOAuth,
)
from appconnect.connectors.inputs import (
    AdditionalSubmission,
    AppointmentInput,
    CreateAppointmentInput,
    CreateCallLogInput,
    CreateContactInput,
    CreateMessageLogInput,
    CrmInput,
    FindContactInput,
    FindContactWithNameInput,
    FindCreatedCallLogInput,
    GetCallLogInput,
    GetUserInfoInput,
    ListAppointmentsInput,
    OAuthInfoInput,
    UnauthorizeInput,
    UpdateAppointmentInput,
    UpdateCallLogInput,
    UpdateMessageLogInput,
    UpsertCallDispositionInput,
)
from appconnect.connectors.phone_formats import phone_search_terms
from appconnect.connectors.types import (
    AppointmentListResult,
    AppointmentResult,
    AuthType,
    CallLogInfo,
    Contact,
    CreateCallLogResult,
    CreateContactResult,
    CreateMessageLogResult,
    CrmUser,
    DispositionResult,
    FindContactResult,
    GetCallLogResult,
    LogFormat,
    OAuthInfo,
    PlatformUserInfo,
    RefreshUserInfoResult,
    ReturnMessage,
    UnAuthorizeResult,
    UpdateCallLogResult,
    UpdateMessageLogResult,
    UserInfoResult,
)
from appconnect.crm_http import CrmAuthExpired, CrmError, CrmNotFound
from appconnect.domain import User

from . import appointments as calendar
from . import messages as texts
from .api import ClioApi, Json
from .settings import REGIONS, ClioSettings, bare_host, region_of

__all__ = ["ClioConnector", "load_manifest"]

logger = structlog.get_logger(__name__)

BILLABLE_OPTIONS = (
    {"const": "billable", "title": "Billable"},
    {"const": "non-billable", "title": "Non-billable"},
)
CONTACT_FIELDS = "type,id,name,created_at,updated_at"
NAME_SEARCH_FIELDS = "id,name,created_at,updated_at,primary_email_address,primary_phone_number"
NOTE_LINE = "- (?:Note|Agent notes): "


def load_manifest(settings: ClioSettings) -> dict[str, Any]:
    """The platform manifest fragment (`manifest.json`) with this server's OAuth apps filled in:
    the US app by default, each other region's through the manifest's hostname overrides."""
    text = files("appconnect.connectors.clio").joinpath("manifest.json").read_text(encoding="utf-8")
    manifest: dict[str, Any] = json.loads(text)
    manifest["auth"]["oauth"].update(
        authUrl=settings.authorize_uri(REGIONS["us"]),
        clientId=settings.credentials["us"].client_id,
        redirectUri=settings.redirect_uri,
    )
    manifest["override"] = [
        {
            "triggerType": "hostname",
            "triggerValue": region.host,
            "overrideObjects": [
                {"path": "auth.oauth.authUrl", "value": settings.authorize_uri(region)},
                {"path": "auth.oauth.clientId", "value": settings.credentials[key].client_id},
            ],
        }
        for key, region in REGIONS.items()
        if key != "us"
    ]
    return manifest


def _offset_of(zone_name: object) -> str | None:
    """`±HH:MM` of an IANA zone now (`America/New_York` -> `-05:00` in winter), None if unknown."""
    if not isinstance(zone_name, str) or not zone_name:
        return None
    try:
        offset = datetime.now(ZoneInfo(zone_name)).utcoffset()
    except (ZoneInfoNotFoundError, ValueError):
        return None
    if offset is None:
        return None
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _iso(value: object) -> str:
    if isinstance(value, datetime):
        return calendar.iso_utc(value)
    if isinstance(value, str) and value:
        try:
            return calendar.iso_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            return value
    return calendar.iso_utc(datetime.now(UTC))


def _crm_user_id(user: User) -> str:
    """Clio's own user id: App Connect's id is `<clio id>-clio`."""
    return user.id.split("-", 1)[0]


def _log_id(third_party_log_id: object) -> str:
    return str(third_party_log_id).split(".", 1)[0]


def _truthy_setting(value: object, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, str):
        return value.lower() == "true"
    return bool(value)


def _matter(additional: AdditionalSubmission | None) -> Json | None:
    value = additional.get("matters") if additional is not None else None
    return {"id": value} if value not in (None, "") else None


def _non_billable(user: User, additional: AdditionalSubmission | None) -> bool:
    """Precedence as the reference: the form's `nonBillable`, its `billableStatus`, then the
    user's default (anything but `billable`/false counts as non-billable)."""
    if additional is not None and "nonBillable" in additional:
        return bool(additional.get("nonBillable"))
    if additional is not None and "billableStatus" in additional:
        return additional.get("billableStatus") != "billable"
    default = user.setting("clioDefaultNonBillableTick")
    return not (default == "billable" or default is False)


def _call_communication(call: CreateCallLogInput) -> Json:
    """The `PhoneCommunication` a call's create writes (also what finds it again)."""
    contact = call.contact_info
    outbound = call.call_log.direction == "Outbound"
    me = {"id": call.assigned_crm_user_id or _crm_user_id(call.user), "type": "User"}
    them = {"id": contact.id, "type": "Contact"}
    direction = call.call_log.direction
    communication: Json = {
        "subject": call.call_log.custom_subject
        or f"[Call] {direction} Call {'to' if outbound else 'from'} {contact.name} [{contact.phone_number}]",
        "body": call.composed_log_details or "No details available",
        "type": "PhoneCommunication",
        "received_at": _iso(call.call_log.start_time),
        "senders": [me if outbound else them],
        "receivers": [them if outbound else me],
        "notification_event_subscribers": [{"user_id": _crm_user_id(call.user)}],
    }
    matter = _matter(call.additional_submission)
    if matter is not None:
        communication["matter"] = matter
    return communication


def _time_entry(call: CreateCallLogInput, communication_id: object) -> Json:
    """The `TimeEntry` of a call's communication: its duration, on the same matter."""
    entry: Json = {
        "communication": {"id": communication_id},
        "quantity": call.call_log.duration or 0,
        "date": _iso(call.call_log.start_time),
        "type": "TimeEntry",
        "non_billable": _non_billable(call.user, call.additional_submission),
        "note": call.composed_log_details or "No details available",
    }
    matter = _matter(call.additional_submission)
    if matter is not None:
        entry["matter"] = matter
    return entry


def _matter_option(matter: Mapping[str, Any], *, with_status: bool) -> dict[str, Any]:
    description = matter.get("description")
    return {
        "const": matter.get("id"),
        "title": matter.get("display_number"),
        "description": f"{matter.get('status')} - {description}" if with_status else description,
        "status": matter.get("status"),
    }


def _settings_of(user: User, names: Sequence[str]) -> dict[str, Any]:
    return {name: user.setting(name) for name in names}


class ClioConnector(
    BaseConnector,
    UsesOAuth,
    LogsIn,
    LogsOut,
    FindsContacts,
    SearchesContactsByName,
    CreatesContacts,
    ReadsCallLogs,
    FindsCreatedCallLogs,
    SetsDispositions,
    LogsMessages,
    ListsUsers,
    RefreshesUserInfo,
    ListsAppointments,
    CreatesAppointments,
    UpdatesAppointments,
    RefreshesAppointments,
    CancelsAppointments,
):
    """Clio: OAuth per region, contacts with matters, communications with time entries, documents
    and calendar entries. Settings are read once, at construction (`settings.py`)."""

    name: ClassVar[str] = "clio"
    auth_type: ClassVar[AuthType] = AuthType.OAUTH
    log_format: ClassVar[str] = LogFormat.PLAIN

    def __init__(self, context: ConnectorContext | None = None) -> None:
        super().__init__(context)
        self.settings = ClioSettings.from_context(context)
        self.allowed_hosts = self.settings.allowed_hosts
        self.manifest = load_manifest(self.settings)

    def _api(self, request: CrmInput) -> ClioApi:
        return ClioApi(
            self.http, self.settings, hostname=request.user.hostname, auth_header=request.auth_header
        )

    # -- OAuth and the user ----------------------------------------------------------------------
    async def get_oauth_info(self, login: OAuthInfoInput, /) -> OAuthInfo:
        """The OAuth app of the region the hostname names (`eu.`, `ca.`, `au.`, else the US)."""
        region = region_of(login.hostname)
        credentials = self.settings.credentials[region.key]
        if not (credentials.client_id and credentials.client_secret):
            return OAuthInfo(
                fail_message=f"Clio ({region.host}) is not set up on this server: "
                f"{region.prefix}CLIENT_ID and {region.prefix}CLIENT_SECRET are missing."
            )
        return OAuthInfo(
            client_id=credentials.client_id,
            client_secret=credentials.client_secret,
            access_token_uri=self.settings.token_uri(login.hostname),
            redirect_uri=self.settings.redirect_uri,
            authorization_uri=self.settings.authorize_uri(region),
        )

    async def get_user_info(self, login: GetUserInfoInput, /) -> UserInfoResult:
        """`GET /api/v4/users/who_am_i.json?fields=id,name,time_zone` on the login host."""
        api = ClioApi(self.http, self.settings, hostname=login.hostname, auth_header=login.auth_header)
        try:
            me = await api.who_am_i("id,name,time_zone")
        except (CrmError, ValueError) as failure:
            logger.warning("Clio user lookup failed", status=getattr(failure, "status", None))
            return UserInfoResult.could_not_load("Clio")
        zone = me.get("time_zone")
        return UserInfoResult(
            successful=True,
            platform_user_info=PlatformUserInfo(
                id=f"{me.get('id')}-clio",
                name=str(me.get("name") or ""),
                timezone_name=zone if isinstance(zone, str) else None,
                timezone_offset=_offset_of(zone) or "+00:00",
                platform_additional_info={},
                overriding_hostname=bare_host(login.hostname) or None,
            ),
            return_message=ReturnMessage("Connected to Clio.", "success", 1000),
        )

    async def refresh_user_info(self, user: CrmInput, /) -> RefreshUserInfoResult:
        """Nothing to refresh in Clio (the reference answers success)."""
        return RefreshUserInfoResult(
            successful=True, return_message=ReturnMessage("User info refreshed", "success", 1000)
        )

    async def unauthorize(self, logout: UnauthorizeInput, /) -> UnAuthorizeResult:
        """`POST /oauth/deauthorize` with the access token (a token Clio already refuses counts as
        revoked); the server forgets the tokens afterwards."""
        user = logout.user
        if user.access_token:
            api = ClioApi(
                self.http, self.settings, hostname=user.hostname, auth_header=f"Bearer {user.access_token}"
            )
            try:
                await api.deauthorize(str(user.access_token))
            except CrmAuthExpired:
                logger.info("Clio token already revoked at logout")
        return UnAuthorizeResult(return_message=ReturnMessage("Logged out of Clio", "success", 1000))

    async def get_user_list(self, admin: CrmInput, /) -> Sequence[CrmUser]:
        """The firm's enabled users, by name, for admin user mapping."""
        users = await self._api(admin).users()
        return [
            CrmUser(
                id=member.get("id") or "",
                name=str(member.get("name") or f"{member.get('first_name')} {member.get('last_name')}"),
                email=member.get("email"),
            )
            for member in users
        ]

    # -- contacts --------------------------------------------------------------------------------
    async def _matters(
        self, api: ClioApi, contact_id: Any, *, see_closed: bool, with_status: bool
    ) -> list[Json]:
        as_client = await api.client_matters(contact_id)
        related = [
            item["matter"]
            for item in await api.related_matters(contact_id)
            if isinstance(item.get("matter"), dict)
        ]
        options = [_matter_option(matter, with_status=with_status) for matter in (*as_client, *related)]
        return [option for option in options if see_closed or option["status"] != "Closed"]

    async def find_contact(self, lookup: FindContactInput, /) -> FindContactResult:
        """People and companies matching the number in each spelling of `overriding_format`
        (`GET /api/v4/contacts.json?query=`), each with its matters, then "Create new contact...".

        Extensions are never searched (`successful: false`, no message, as the reference).
        """
        if lookup.is_extension:
            return FindContactResult(matched_contact_info=(), successful=False)
        user = lookup.user
        api = self._api(lookup)
        terms = phone_search_terms(lookup.phone_number, lookup.overriding_format)
        see_closed = _truthy_setting(user.setting("clioSeeClosedMatters"), False)
        log_time_entry = user.setting("clioDefaultTimeEntryTick")
        found: list[Contact] = []
        for term in terms:
            for record in await api.contacts(term, fields=CONTACT_FIELDS):
                if any(contact.id == record.get("id") for contact in found):
                    continue
                matters = await self._matters(api, record.get("id"), see_closed=see_closed, with_status=True)
                additional: dict[str, Any] = {
                    "logTimeEntry": True if log_time_entry is None else log_time_entry,
                    "billableStatus": list(BILLABLE_OPTIONS),
                }
                if matters:
                    additional = {"matters": matters, **additional}
                found.append(
                    Contact(
                        id=record["id"],
                        name=str(record.get("name") or ""),
                        type=record.get("type"),
                        phone=terms[0],
                        created_date=record.get("created_at"),
                        most_recent_activity_date=record.get("updated_at"),
                        additional_info=additional,
                    )
                )
        return FindContactResult(
            matched_contact_info=(*found, Contact.create_new_placeholder({"logTimeEntry": True})),
            extra_data_tracking=api.tracking(),
        )

    async def find_contact_with_name(self, lookup: FindContactWithNameInput, /) -> FindContactResult:
        """Contacts whose name matches (Clio searches first, last and full names), with their open
        matters; those with an email first."""
        api = self._api(lookup)
        log_time_entry = lookup.user.setting("clioDefaultTimeEntryTick")
        found: list[Contact] = []
        for record in await api.contacts(lookup.name, fields=NAME_SEARCH_FIELDS):
            matters = await self._matters(api, record.get("id"), see_closed=False, with_status=False)
            additional: dict[str, Any] = {"logTimeEntry": True if log_time_entry is None else log_time_entry}
            if matters:
                additional = {"matters": matters, **additional, "billableStatus": list(BILLABLE_OPTIONS)}
            found.append(
                Contact(
                    id=record["id"],
                    name=str(record.get("name") or ""),
                    type="contact",
                    phone=str(record.get("primary_phone_number") or ""),
                    email=str(record.get("primary_email_address") or ""),
                    created_date=record.get("created_at"),
                    most_recent_activity_date=record.get("updated_at"),
                    additional_info=additional,
                )
            )
        found.sort(key=lambda contact: 0 if (contact.email or "").strip() else 1)
        return FindContactResult(matched_contact_info=tuple(found), extra_data_tracking=api.tracking())

    async def create_contact(self, new: CreateContactInput, /) -> CreateContactResult:
        """`POST /api/v4/contacts.json`: a Person (or Company) with the number as default Work phone."""
        kind = (new.new_contact_type or "Person").strip().capitalize()
        api = self._api(new)
        person = await api.create_contact(
            {
                "name": new.new_contact_name,
                "type": kind if kind in ("Person", "Company") else "Person",
                "phone_numbers": [{"name": "Work", "number": new.phone_number, "default_number": True}],
            }
        )
        return CreateContactResult(
            contact_info=Contact(id=person["id"], name=str(person.get("name") or new.new_contact_name)),
            return_message=ReturnMessage("Contact created.", "success", 2000),
            extra_data_tracking=api.tracking(),
        )

    # -- call logs -------------------------------------------------------------------------------
    def _time_entries_enabled(self, user: User) -> bool:
        return _truthy_setting(user.setting("clioTimeEntriesEnabled"), True)

    async def create_call_log(self, call: CreateCallLogInput, /) -> CreateCallLogResult:
        """A `PhoneCommunication` between the contact and the user (direction decides who sent it),
        on the chosen matter; then, unless the user turned them off, its time entry. A call that
        server-side logging assigns to a mapped Clio user (`isAssignedToUser`) has that user as
        its User party."""
        api = self._api(call)
        created = await api.create_communication(_call_communication(call))
        if self._time_entries_enabled(call.user):
            await api.create_activity(_time_entry(call, created["id"]))
        return CreateCallLogResult(
            log_id=created["id"],
            return_message=ReturnMessage("Call logged", "success", 2000),
            extra_data_tracking=api.tracking(),
        )

    async def find_created_call_log(self, lookup: FindCreatedCallLogInput, /) -> CreateCallLogResult:
        """The communication an earlier `create_call_log` of this call made, if Clio has it.

        Clio has no idempotency key, so the communication is recognised by what the create wrote:
        among the contact's phone communications received within a minute of the call's start
        time, the one with the same subject and body. If the earlier attempt stopped before its
        time entry, the entry is written now, so the call ends up as one create would have left it.
        """
        call = lookup.create
        wanted = _call_communication(call)
        api = self._api(call)
        candidates = await api.phone_communications_around(
            call.contact_info.id, str(wanted["received_at"]), fields="id,subject,body,received_at"
        )
        for candidate in candidates:
            if (candidate.get("subject"), candidate.get("body")) != (wanted["subject"], wanted["body"]):
                continue
            if self._time_entries_enabled(call.user) and not await api.time_entries_of(candidate["id"]):
                await api.create_activity(_time_entry(call, candidate["id"]))
            return CreateCallLogResult(
                log_id=candidate["id"],
                return_message=ReturnMessage("Call logged", "success", 2000),
                extra_data_tracking=api.tracking(),
            )
        return CreateCallLogResult(log_id=None, extra_data_tracking=api.tracking())

    async def get_call_log(self, lookup: GetCallLogInput, /) -> GetCallLogResult:
        """The communication (its whole body, the base of every update), its contact's name and matter."""
        api = self._api(lookup)
        record = await api.communication(
            _log_id(lookup.call_log_id), fields="subject,body,matter,senders,receivers,id"
        )
        body = str(record.get("body") or "")
        match = re.search(NOTE_LINE + r"([\s\S]*?)(?=\n- [A-Z][a-zA-Z\s/]*:|\n$|$)", body)
        parties = [
            party
            for party in (*(record.get("senders") or []), *(record.get("receivers") or []))
            if isinstance(party, Mapping) and party.get("type") != "User"
        ]
        name = "Unknown"
        if parties:
            contact = await api.contact(str(parties[0].get("id")), fields="name")
            name = str(contact.get("name") or "Unknown")
        matter = record.get("matter")
        return GetCallLogResult(
            call_log_info=CallLogInfo(
                subject=record.get("subject"),
                note=match.group(1).strip() if match else None,
                full_body=body,
                full_log_response=dict(record),
                contact_name=name,
                dispositions={"matters": matter.get("id") if isinstance(matter, Mapping) else None},
            ),
            extra_data_tracking=api.tracking(),
        )

    async def update_call_log(self, call: UpdateCallLogInput, /) -> UpdateCallLogResult:
        """`PATCH` the communication with the recomposed body (never an empty one), subject and
        start; with a duration, its time entry's quantity and note too."""
        api = self._api(call)
        log_id = _log_id(call.existing_call_log.third_party_log_id)
        changes: Json = {}
        if call.composed_log_details:
            changes["body"] = call.composed_log_details
        if call.subject:
            changes["subject"] = call.subject
        if call.start_time is not None:
            changes["received_at"] = _iso(call.start_time)
        if call.assigned_crm_user_id:
            changes.update(await self._reassigned_parties(api, log_id, call.assigned_crm_user_id))
        if call.duration and self._time_entries_enabled(call.user):
            entries = await api.time_entries_of(log_id)
            if entries:
                timer: Json = {"quantity": call.duration, "note": call.composed_log_details}
                if call.start_time is not None:
                    timer["date"] = _iso(call.start_time)
                await api.update_activity(entries[0]["id"], timer)
        if changes:
            await api.update_communication(log_id, changes)
        return UpdateCallLogResult(
            updated_note=call.composed_log_details,
            return_message=ReturnMessage("Call log updated.", "success", 2000),
            extra_data_tracking=api.tracking(),
        )

    @staticmethod
    async def _reassigned_parties(api: ClioApi, log_id: str, assignee: str) -> Json:
        """The communication's User party (sender or receiver, by direction) set to `assignee`."""
        record = await api.communication(log_id, fields="senders,receivers")
        changes: Json = {}
        for side in ("senders", "receivers"):
            parties = record.get(side) or []
            if parties and isinstance(parties[0], Mapping) and parties[0].get("type") == "User":
                changes[side] = [{"id": assignee, "type": "User"}]
        return changes

    async def upsert_call_disposition(self, change: UpsertCallDispositionInput, /) -> DispositionResult:
        """Link the communication to the chosen matter (nothing to do without one)."""
        matter = change.dispositions.get("matters")
        if matter in (None, ""):
            return DispositionResult(log_id=None)
        api = self._api(change)
        log_id = _log_id(change.existing_call_log.third_party_log_id)
        await api.update_communication(log_id, {"matter": {"id": matter}})
        return DispositionResult(log_id=log_id, extra_data_tracking=api.tracking())

    # -- message logs ----------------------------------------------------------------------------
    async def _sms_time_entry(
        self, api: ClioApi, log: CreateMessageLogInput | UpdateMessageLogInput, communication_id: Any
    ) -> None:
        """An outbound SMS's time entry when SMS time tracking is on; its failure never fails the log."""
        user, message = log.user, log.message
        if message is None or message.direction != "Outbound":
            return
        if not _truthy_setting(user.setting("smsTimeTrackingEnabled"), False):
            return
        entry = texts.sms_time_entry(
            message.raw,
            _settings_of(user, ("smsTimeTrackingMinimumDuration", "smsTimeTrackingDefaultBillable")),
            contact_name=log.contact_info.name,
            offset=user.timezone_offset,
        )
        entry["communication"] = {"id": communication_id}
        matter = _matter(log.additional_submission)
        if matter is not None:
            entry["matter"] = matter
        try:
            await api.create_activity(entry)
        except CrmAuthExpired:
            raise
        except CrmError as failure:
            logger.warning("Clio SMS time entry failed", status=failure.status)

    async def _store_document(self, api: ClioApi, link: str, document: Json) -> str | None:
        """Download the file at `link` from RingCentral, create `document` in Clio, upload the file
        to its `put_url`, mark it uploaded; the document's id, or None."""
        content = await api.download(link)
        created = await api.create_document(document)
        version = created.get("latest_document_version")
        version = version if isinstance(version, Mapping) else {}
        headers = {
            str(item.get("name")): str(item.get("value"))
            for item in version.get("put_headers") or []
            if isinstance(item, Mapping)
        }
        await api.upload(str(version.get("put_url")), headers, content)
        completed = await api.complete_document(created["id"], str(version.get("uuid")))
        latest = completed.get("latest_document_version")
        if isinstance(latest, Mapping) and latest.get("fully_uploaded"):
            return str(created["id"])
        return None

    async def _upload_document(
        self,
        api: ClioApi,
        log: CreateMessageLogInput | UpdateMessageLogInput,
        raw: Mapping[str, Any],
        *,
        link: str,
        name: str,
        what: str,
    ) -> str | None:
        """A message's file (a fax, an MMS image) as a document on the matter, else the contact.

        A failure other than the user's expired token is logged and answered None: the message is
        then logged with a link instead."""
        matter = log.additional_submission.get("matters") if log.additional_submission else None
        document: Json = {
            "name": name,
            "parent": {
                "id": matter if matter not in (None, "") else log.contact_info.id,
                "type": "Matter" if matter not in (None, "") else "Contact",
            },
            "received_at": _iso(raw.get("creationTime")),
        }
        try:
            return await self._store_document(api, link, document)
        except CrmAuthExpired:
            raise
        except (CrmError, ValueError, KeyError) as failure:
            logger.warning(
                f"Clio {what} upload failed",
                status=getattr(failure, "status", None),
                error=type(failure).__name__,
            )
            return None

    def _document_url(self, user: User, document_id: str) -> str:
        return f"https://{bare_host(user.hostname)}/nc/#/documents/{document_id}/details"

    async def _message_text(
        self, api: ClioApi, log: CreateMessageLogInput | UpdateMessageLogInput, raw: Mapping[str, Any]
    ) -> str:
        """The message's text. An MMS image is uploaded into Clio as a document (on the matter,
        else the contact) and linked, as the reference does; if that fails, the link is the
        token-free media-reader one (the reference writes the download link, which carries the
        RingCentral access token, into the CRM). A video is linked."""
        subject = log.message.subject if log.message is not None else None
        media = log.media
        if media.image_download_link and media.image_content_type:
            extension = media.image_content_type.split("/", 1)[-1]
            name = texts.document_name(raw, "Image Message", log.contact_info.name, extension)
            document_id = await self._upload_document(
                api, log, raw, link=media.image_download_link, name=name, what="image"
            )
            if document_id is not None:
                return texts.message_text(subject, self._document_url(log.user, document_id))
            return texts.message_text(subject, media.image_link, failed_upload=True)
        return texts.message_text(subject, media.image_link or media.video_link)

    async def create_message_log(self, log: CreateMessageLogInput, /) -> CreateMessageLogResult:
        """A `PhoneCommunication` from the contact to the user for the conversation day (SMS),
        a voicemail, a fax (its PDF uploaded into Clio), or a centrally composed log."""
        user, contact = log.user, log.contact_info
        api = self._api(log)
        me = await api.who_am_i("name")
        user_name = str(me.get("name") or "")
        message = log.message or next(iter(log.messages), None)
        raw: Mapping[str, Any] = message.raw if message is not None else {}
        created = raw.get("creationTime")
        offset = user.timezone_offset
        shared = log.shared_sms_log_content
        media = log.media
        if shared is not None and shared.subject and shared.body:
            subject, body = shared.subject, shared.body
        elif media.recording_link:
            subject = texts.voicemail_subject(contact.name, created, offset)
            body = texts.voicemail_body(media.recording_link)
        elif media.fax_doc_link:
            subject = texts.fax_subject(contact.name, created)
            document_id = None
            if media.fax_download_link:
                name = texts.document_name(raw, "Fax", contact.name, "pdf")
                document_id = await self._upload_document(
                    api, log, raw, link=media.fax_download_link, name=name, what="fax"
                )
            if document_id is not None:
                body = texts.fax_uploaded_body(
                    message=raw, document_url=self._document_url(user, document_id)
                )
            else:
                body = texts.fax_failed_body(media.fax_doc_link)
        else:
            subject = texts.sms_subject(contact.name, created, offset)
            body = texts.sms_body(
                raw,
                text=await self._message_text(api, log, raw),
                contact_name=contact.name,
                contact_number=contact.phone_number,
                user_name=user_name,
                offset=offset,
                other_participants=[
                    str((group[0] if group else {}).get("name") or "Unknown") for group in log.correspondents
                ],
            )
        received = created
        communication: Json = {
            "subject": subject,
            "body": body,
            "type": "PhoneCommunication",
            "received_at": _iso(received),
            "senders": [{"id": contact.id, "type": "Contact"}],
            "receivers": [{"id": _crm_user_id(user), "type": "User"}],
            "notification_event_subscribers": [{"user_id": _crm_user_id(user)}],
        }
        matter = _matter(log.additional_submission)
        if matter is not None:
            communication["matter"] = matter
        created_log = await api.create_communication(communication)
        await self._sms_time_entry(api, log, created_log["id"])
        return CreateMessageLogResult(
            log_id=created_log["id"],
            return_message=ReturnMessage("Message logged", "success", 1000),
            extra_data_tracking=api.tracking(),
        )

    async def update_message_log(self, log: UpdateMessageLogInput, /) -> UpdateMessageLogResult:
        """Insert a later message of the day before `END` (the count raised), or replace a
        centrally composed log; then the SMS time entry, if on."""
        api = self._api(log)
        log_id = _log_id(log.existing_message_log.third_party_log_id)
        shared = log.shared_sms_log_content
        if shared is not None and shared.body:
            body = shared.body
        else:
            record = await api.communication(log_id, fields="body")
            me = await api.who_am_i("name")
            raw: Mapping[str, Any] = log.message.raw if log.message is not None else {}
            line = texts.message_line(
                raw,
                contact_name=log.contact_info.name,
                contact_number=log.contact_info.phone_number,
                user_name=str(me.get("name") or ""),
                offset=log.user.timezone_offset,
            )
            text = await self._message_text(api, log, raw)
            body = texts.add_message(str(record.get("body") or ""), f"{line}\n{text}\n\n")
        await api.update_communication(log_id, {"body": body})
        await self._sms_time_entry(api, log, log_id)
        return UpdateMessageLogResult(extra_data_tracking=api.tracking())

    # -- appointments ----------------------------------------------------------------------------
    async def list_appointments(self, query: ListAppointmentsInput, /) -> AppointmentListResult:
        """The user's calendar entries, those starting in the range's days when one is given."""
        entries = await self._api(query).calendar_entries(calendar.LIST_FIELDS)
        found = (calendar.listed(entry) for entry in entries)
        return AppointmentListResult(
            appointments=tuple(item for item in found if calendar.in_range(item, query.range))
        )

    async def create_appointment(self, new: CreateAppointmentInput, /) -> AppointmentResult:
        """A calendar entry on the user's writeable calendar, the contacts as attendees, no email."""
        api = self._api(new)
        calendar_id = await calendar.calendar_id(api)
        if calendar_id is None:
            return AppointmentResult(successful=False, return_message=calendar.NO_CALENDAR)
        attendees = calendar.new_attendees(new.contacts)
        body: Json = {
            "calendar_owner": {"id": calendar_id},
            "summary": new.title,
            "description": new.summary,
            "start_at": new.start_time_utc,
            "end_at": calendar.end_of(new.start_time_utc, new.duration_minutes),
            "send_email_notification": False,
        }
        if attendees:
            body["attendees"] = attendees
        appointment = calendar.from_entry(await api.create_calendar_entry(body))
        return AppointmentResult(appointment=appointment, appointment_id=appointment.id)

    async def _existing(self, api: ClioApi, appointment_id: str) -> Json | None:
        try:
            entry = await api.calendar_entry(appointment_id)
        except CrmNotFound:
            return None
        return entry or None

    async def update_appointment(self, change: UpdateAppointmentInput, /) -> AppointmentResult:
        """`PATCH` the entry with what the patch names; attendees no longer wanted are removed.
        A status-only change is refused: Clio calendar entries have no status."""
        mutates = any(
            value is not None
            for value in (change.title, change.summary, change.start_time_utc, change.contacts)
        )
        if change.status is not None and not mutates:
            return AppointmentResult(successful=False, return_message=calendar.NO_STATUS)
        api = self._api(change)
        existing = await self._existing(api, change.appointment_id)
        if existing is None:
            return AppointmentResult(successful=False, return_message=calendar.NOT_FOUND)
        data: Json = {}
        if change.title is not None:
            data["summary"] = change.title
        if change.summary is not None:
            data["description"] = change.summary
        if change.start_time_utc is not None:
            data["start_at"] = change.start_time_utc
            data["end_at"] = calendar.end_of(change.start_time_utc, change.duration_minutes or 0)
        if change.contacts is not None:
            data["attendees"] = calendar.attendee_changes(existing, change.contacts)
        appointment = calendar.from_entry(await api.update_calendar_entry(change.appointment_id, data))
        return AppointmentResult(appointment=appointment, appointment_id=appointment.id)

    async def refresh_appointment(self, target: AppointmentInput, /) -> AppointmentResult:
        """The calendar entry as Clio holds it now."""
        existing = await self._existing(self._api(target), target.appointment_id)
        if existing is None:
            return AppointmentResult(successful=False, return_message=calendar.NOT_FOUND)
        appointment = calendar.from_entry(existing)
        return AppointmentResult(appointment=appointment, appointment_id=appointment.id)

    async def cancel_appointment(self, target: AppointmentInput, /) -> AppointmentResult:
        """`DELETE` the calendar entry."""
        await self._api(target).delete_calendar_entry(target.appointment_id)
        return AppointmentResult(appointment_id=target.appointment_id, return_message=calendar.CANCELLED)
