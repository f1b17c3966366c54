"""`PipedriveConnector`: App Connect's interfaces implemented against Pipedrive's REST API.

Read this file as the worked example of an HTTP connector. Each method states the Pipedrive calls
it makes (the endpoints themselves are in `api.py`), runs the ones that do not depend on each other
concurrently (`both`, `three`, `all_of`), never repeats a call within one request, and lets
`appconnect.crm_http` errors propagate: the services map them to the contract's messages (a 429
becomes "Rate limit exceeded" with the reset time, a 401 triggers one token refresh). Every result
carries the last rate-limit headers Pipedrive sent as `extra_data_tracking`.

Logging in is OAuth 2: the server exchanges the code and refreshes tokens with `get_oauth_info`;
`get_user_info` asks Pipedrive who the user is; logout revokes both tokens. Call and message logs
are Pipedrive *activities* whose note is HTML (`log_format`): call notes are composed by the server
from the activity's current note item by item, so an agent's own edits in Pipedrive survive.
"""

from __future__ import annotations

import base64
import hmac
import html
import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from importlib.resources import files
from typing import TYPE_CHECKING, Any, ClassVar

import structlog

from appconnect.compose import MessageMedia, is_truthy
from appconnect.connectors.base import (
    AccountDataSource,
    BaseConnector,
    ConnectorContext,
    CreatesContacts,
    FindsContacts,
    FindsCreatedCallLogs,
    FindsCreatedMessageLogs,
    ListsUsers,
    LogsIn,
    LogsMessages,
    LogsOut,
    ReadsCallLogs,
    SearchesContactsByName,
    ServerServices,
    ServesRoutes,
    SetsDispositions,
    UsesOAuth,
)
from appconnect.connectors.inputs import (
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
    GetUserInfoInput,
    OAuthInfoInput,
    UnauthorizeInput,
    UpdateCallLogInput,
    UpdateMessageLogInput,
    UpsertCallDispositionInput,
)
from appconnect.connectors.types import (
    AuthType,
    CallLogInfo,
    Contact,
    ContactInfo,
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
    ReturnMessage,
    UnAuthorizeResult,
    UpdateCallLogResult,
    UpdateMessageLogResult,
    UserInfoResult,
)
from appconnect.crm_http import CrmBadRequest, CrmError, CrmRateLimited
from appconnect.domain import User

from .account_data import (
    ACTIVITY_TYPES,
    CALL_ACTIVITY_SETTING,
    SMS_ACTIVITY_SETTING,
    ActivityType,
    fetch_activity_types,
    resolve_activity_type,
)
from .api import Json, PipedriveApi, all_of, both, three
from .fields import (
    agent_note,
    assigned_owner_id,
    association,
    call_subject,
    disposition_changes,
    due_date_and_time,
    owner_id,
    pipedrive_duration,
    pipedrive_id,
)
from .messages import (
    add_message,
    fax_note,
    fax_subject,
    message_entry,
    sms_note,
    sms_subject,
    voicemail_note,
    voicemail_subject,
)
from .organizations import MISSING, OrganizationMemo
from .phones import EXTENSION_NOT_SUPPORTED, lookup_number, search_term
from .routes import build_router
from .settings import PipedriveSettings

if TYPE_CHECKING:
    from fastapi import APIRouter

__all__ = ["PipedriveConnector", "load_manifest"]

log = structlog.get_logger(__name__)

NO_CALL_TYPE = (
    'Call logging requires an active activity type containing the word "call" (case insensitive), '
    "or one explicitly assigned by an admin under Admin > Account settings."
)
NO_SMS_TYPE = (
    'Message logging requires an active activity type containing the word "sms" (case insensitive), '
    "or one explicitly assigned by an admin under Admin > Account settings."
)
TEMPORARY_HOSTNAME = "temp"
"""What the extension sends as `hostname` when it does not know the company yet (install from the
Marketplace): the company host then comes from Pipedrive's answer."""


def load_manifest(settings: PipedriveSettings) -> dict[str, Any]:
    """The platform manifest fragment (`manifest.json`) with this server's OAuth app filled in."""
    text = files("appconnect.connectors.pipedrive").joinpath("manifest.json").read_text(encoding="utf-8")
    manifest: dict[str, Any] = json.loads(text)
    manifest["auth"]["oauth"].update(
        authUrl=settings.authorize_uri, clientId=settings.client_id, redirectUri=settings.redirect_uri
    )
    return manifest


def _options(records: Sequence[Json]) -> list[dict[str, Any]]:
    """Deals or leads as the log form's selection options."""
    return [{"const": record.get("id"), "title": record.get("title")} for record in records]


def _contact(person: Json, phone: str | None, deals: Sequence[Json], leads: Sequence[Json]) -> Contact:
    additional: dict[str, Any] = {}
    if deals:
        additional["deals"] = _options(deals)
    if leads:
        additional["leads"] = _options(leads)
    organization = person.get("organization")
    organization_name = organization.get("name") if isinstance(organization, dict) else None
    return Contact(
        id=person["id"],
        name=str(person.get("name") or ""),
        type="contact",
        phone=phone,
        company=organization_name,
        # The reference's `organization?.name ?? ''`: always present, empty without an organization.
        organization=organization_name if isinstance(organization_name, str) else "",
        created_date=person.get("add_time"),
        most_recent_activity_date=person.get("update_time"),
        additional_info=additional,
    )


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


_TAG = re.compile(r"<[^>]*>")


def _note_text(note: str) -> str:
    """A note's text without markup or spacing (Pipedrive may re-serialise the HTML it stores)."""
    return " ".join(html.unescape(_TAG.sub(" ", note)).split())


def _without_none(body: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if value is not None}


def _done_activity(
    *,
    user: User,
    contact_info: ContactInfo,
    person: Mapping[str, Any],
    activity_type: str,
    subject: str,
    note: str,
    start_time: object,
    additional_submission: Mapping[str, Any] | None,
    duration: str | None = None,
    assigned_owner: str | None = None,
) -> dict[str, Any]:
    """The body of `POST /api/v2/activities` for a logged call or message: done, due when it began,
    with the contact as primary participant and the person's organization and chosen deal or lead.
    The owner is the admin-assigned user (server-side logging with user mapping), else the agent."""
    due = due_date_and_time(start_time)
    return _without_none(
        {
            "owner_id": assigned_owner_id(assigned_owner) or owner_id(user.id),
            "subject": subject,
            "type": activity_type,
            "duration": duration,
            "note": note,
            "done": True,
            "due_date": due[0] if due else None,
            "due_time": due[1] if due else None,
            "participants": [{"person_id": pipedrive_id(contact_info.id), "primary": True}],
            "org_id": person.get("org_id") or None,
            **association(additional_submission),
        }
    )


class PipedriveConnector(
    BaseConnector,
    UsesOAuth,
    LogsIn,
    LogsOut,
    FindsContacts,
    SearchesContactsByName,
    CreatesContacts,
    ReadsCallLogs,
    FindsCreatedCallLogs,
    FindsCreatedMessageLogs,
    SetsDispositions,
    LogsMessages,
    ListsUsers,
    ServesRoutes,
):
    """Pipedrive: OAuth login, persons with their open deals and leads, activities for calls and messages.

    Settings are read once, at construction (see `settings.py`). The activity-type list is the
    RingCentral account's data, kept by the server (`account_data.py`).
    """

    name: ClassVar[str] = "pipedrive"
    auth_type: ClassVar[AuthType] = AuthType.OAUTH
    log_format: ClassVar[str] = LogFormat.HTML
    login_hostname_placeholders = (TEMPORARY_HOSTNAME,)

    def __init__(self, context: ConnectorContext | None = None) -> None:
        super().__init__(context)
        self.settings = PipedriveSettings.from_context(context)
        # Both are class-level defaults on BaseConnector; Pipedrive's depend on this instance's
        # settings (the configured hosts) and HTTP client (the activity-type fetch).
        self.allowed_hosts = self.settings.allowed_hosts
        self.account_data = {ACTIVITY_TYPES: AccountDataSource(fetch=self.fetch_activity_types)}
        self.manifest = load_manifest(self.settings)
        self.organizations = OrganizationMemo()

    def _api(self, user: User | None, auth_header: str) -> PipedriveApi:
        company = self.settings.company_url(user.hostname) if user is not None and user.hostname else None
        return PipedriveApi(self.http, self.settings, company_url=company, auth_header=auth_header)

    def routes(self, server: ServerServices, /) -> APIRouter:
        """`GET` and `DELETE /pipedrive-redirect`: the app's callback page and its uninstall hook."""
        return build_router(self, server)

    # -- OAuth -----------------------------------------------------------------------------------
    async def get_oauth_info(self, login: OAuthInfoInput, /) -> OAuthInfo:
        """The OAuth app from settings; without a client id and secret, logins are refused clearly."""
        if not (self.settings.client_id and self.settings.client_secret):
            return OAuthInfo(
                fail_message="Pipedrive is not set up on this server: PIPEDRIVE_CLIENT_ID and "
                "PIPEDRIVE_CLIENT_SECRET are missing."
            )
        return OAuthInfo(
            client_id=self.settings.client_id,
            client_secret=self.settings.client_secret,
            access_token_uri=self.settings.access_token_uri,
            redirect_uri=self.settings.redirect_uri,
            authorization_uri=self.settings.authorize_uri,
        )

    def app_authorization(self) -> str | None:
        """`Basic base64(client_id:client_secret)`: how the app itself authenticates (revoke, uninstall)."""
        if not (self.settings.client_id and self.settings.client_secret):
            return None
        pair = f"{self.settings.client_id}:{self.settings.client_secret}".encode()
        return "Basic " + base64.b64encode(pair).decode("ascii")

    def is_app_authorization(self, header: str | None) -> bool:
        """Whether a request (Pipedrive's uninstall call) carries this app's credentials."""
        expected = self.app_authorization()
        return bool(expected and header) and hmac.compare_digest(str(header), str(expected))

    async def get_user_info(self, login: GetUserInfoInput, /) -> UserInfoResult:
        """`GET /v1/users/me` on the global API: who connected, their company and time zone.

        With the temporary hostname `temp`, the company host is Pipedrive's `<company_domain>.pipedrive.com`.
        """
        api = self._api(None, login.auth_header)
        try:
            me = await api.me(global_api=True)
        except CrmError as failure:
            log.warning("Pipedrive user lookup failed", status=failure.status)
            return UserInfoResult.could_not_load("Pipedrive")
        domain = me.get("company_domain")
        offset = me.get("timezone_offset")
        return UserInfoResult(
            successful=True,
            platform_user_info=PlatformUserInfo(
                id=f"{me.get('id')}-pipedrive",
                name=str(me.get("name") or ""),
                timezone_name=me.get("timezone_name"),
                timezone_offset=str(offset) if offset is not None else None,
                platform_additional_info={
                    "companyId": me.get("company_id"),
                    "companyName": me.get("company_name"),
                    "companyDomain": domain,
                },
                overriding_hostname=(
                    f"{domain}.pipedrive.com" if login.hostname == TEMPORARY_HOSTNAME else None
                ),
            ),
            return_message=ReturnMessage("Connected to Pipedrive.", "success", 1000),
        )

    async def unauthorize(self, logout: UnauthorizeInput, /) -> UnAuthorizeResult:
        """Revoke the refresh and the access token at Pipedrive (both at once).

        The server forgets the stored tokens afterwards; a failed revocation raises and nothing is
        forgotten, so logging out can be retried.
        """
        authorization = self.app_authorization()
        user = logout.user
        tokens = [token for token in (user.refresh_token, user.access_token) if token]
        if authorization is not None and tokens:
            api = self._api(None, authorization)
            await all_of([api.revoke(token) for token in tokens])
        return UnAuthorizeResult(return_message=ReturnMessage("Logged out of Pipedrive", "success", 1000))

    # -- contacts --------------------------------------------------------------------------------
    async def _with_deals_and_leads(
        self, api: PipedriveApi, persons: Sequence[Json], phone: str | None
    ) -> list[Contact]:
        """Each person with their open deals and leads: all lookups of all persons at once."""

        async def leads_or_none(person_id: Any) -> list[Json]:
            # Leads need their own permission in Pipedrive: a refusal leaves the contact without
            # leads rather than failing the lookup. A rate limit still fails it.
            try:
                return await api.leads(person_id)
            except CrmRateLimited:
                raise
            except CrmError as failure:
                log.info("Pipedrive leads lookup failed", status=failure.status)
                return []

        async def enrich(person: Json) -> Contact:
            deals, leads = await both(api.open_deals(person["id"]), leads_or_none(person["id"]))
            return _contact(person, phone, deals, leads)

        return await all_of([enrich(person) for person in persons if person.get("id") is not None])

    def _remember_organizations(self, user: User, persons: Sequence[Json]) -> None:
        for person in persons:
            self.organizations.remember_search_item(user.id, person)

    async def _person_for_log(self, api: PipedriveApi, user: User, person_id: Any) -> Json:
        """The person as the activity body needs it (`org_id`): from the memo of this process's
        last lookup when it has one (see `organizations.py`), else `GET /api/v2/persons/{id}`."""
        org_id = self.organizations.get(user.id, person_id)
        if org_id is not MISSING:
            return {"id": person_id, "org_id": org_id}
        return await api.person(person_id)

    async def find_contact(self, lookup: FindContactInput, /) -> FindContactResult:
        """Persons whose phone matches (`/api/v2/persons/search`), each with open deals and leads,
        then the "Create new contact..." option. Extension numbers are refused with a warning.

        Pipedrive matches the digits anywhere in a stored number, so one search with the national
        number finds every spelling and `overriding_format` is not needed.
        """
        number = lookup_number(lookup.phone_number)
        term = search_term(number)
        if lookup.is_extension or term is None:
            return FindContactResult(
                matched_contact_info=(),
                successful=False,
                return_message=ReturnMessage(EXTENSION_NOT_SUPPORTED, "warning", 3000),
            )
        api = self._api(lookup.user, lookup.auth_header)
        persons = await api.search_persons(term, field="phone")
        self._remember_organizations(lookup.user, persons)
        contacts = await self._with_deals_and_leads(api, persons, number)
        return FindContactResult(
            matched_contact_info=(*contacts, Contact.create_new_placeholder()),
            extra_data_tracking=api.tracking(),
        )

    async def find_contact_with_name(self, lookup: FindContactWithNameInput, /) -> FindContactResult:
        """Persons whose name matches, each with open deals and leads (no create-new option).

        Pipedrive's search needs two characters at least; a shorter name finds nobody without asking.
        """
        term = (lookup.name or "").strip()
        if len(term) < 2:
            return FindContactResult(matched_contact_info=())
        api = self._api(lookup.user, lookup.auth_header)
        persons = await api.search_persons(term, field="name")
        self._remember_organizations(lookup.user, persons)
        contacts = await self._with_deals_and_leads(api, persons, None)
        return FindContactResult(matched_contact_info=tuple(contacts), extra_data_tracking=api.tracking())

    async def create_contact(self, new: CreateContactInput, /) -> CreateContactResult:
        """`POST /v1/persons` with the name and number."""
        api = self._api(new.user, new.auth_header)
        person = await api.create_person(name=new.new_contact_name, phone=new.phone_number)
        self.organizations.remember_person(new.user.id, person)
        return CreateContactResult(
            contact_info=Contact(id=person["id"], name=str(person.get("name") or new.new_contact_name)),
            return_message=ReturnMessage("Contact created.", "success", 2000),
            extra_data_tracking=api.tracking(),
        )

    async def get_user_list(self, admin: CrmInput, /) -> Sequence[CrmUser]:
        """The company's users that are not deleted (`GET /api/v1/users`), for admin user mapping."""
        users = await self._api(admin.user, admin.auth_header).users()
        return [
            CrmUser(id=member.get("id") or "", name=str(member.get("name") or ""), email=member.get("email"))
            for member in users
            if not member.get("is_deleted")
        ]

    # -- activity types (account data) -----------------------------------------------------------
    async def fetch_activity_types(self, request: CrmInput, /) -> list[ActivityType]:
        """The server's fetch for `activityTypes` (spec platform §6.5): the active types, fresh."""
        return await fetch_activity_types(self._api(request.user, request.auth_header))

    @staticmethod
    def _configured_type(user: User, setting_id: str) -> str | None:
        """The activity type an admin chose (the user's effective settings carry admin values)."""
        configured = user.setting(setting_id)
        return str(configured) if configured else None

    async def _activity_type(self, request: CrmInput, setting_id: str, keyword: str) -> str | None:
        return await resolve_activity_type(
            request.account_data, configured=self._configured_type(request.user, setting_id), keyword=keyword
        )

    async def _create_typed_activity(
        self, api: PipedriveApi, request: CrmInput, body: dict[str, Any], setting_id: str, keyword: str
    ) -> Json | None:
        """`POST /api/v2/activities`; when Pipedrive refuses it (400), refresh the activity types
        once and retry once with the type resolved from the fresh list.

        A type deactivated since the list was stored is the usual cause, so the retry is with the
        type Pipedrive has now. None: no usable type is left (nothing was written).
        """
        try:
            return await api.create_activity(body)
        except CrmBadRequest as refusal:
            if refusal.status != 400:
                raise
            fresh = await resolve_activity_type(
                request.account_data,
                configured=self._configured_type(request.user, setting_id),
                keyword=keyword,
                refresh_first=True,
            )
            if fresh is None:
                return None
            if fresh == body["type"]:
                if "type" in (refusal.body or "").lower():
                    return None  # Pipedrive still refuses the only type it lists: tell the user why
                raise
            log.info("Pipedrive refused the activity type; retrying with the refreshed list", keyword=keyword)
            return await api.create_activity({**body, "type": fresh})

    # -- call logs -------------------------------------------------------------------------------
    async def create_call_log(self, call: CreateCallLogInput, /) -> CreateCallLogResult:
        """One done activity for the call: the person's organization (known from the lookup, or read)
        and the call activity type are looked up at once, then `POST /api/v2/activities` with the
        composed HTML note."""
        no_type = CreateCallLogResult(log_id=None, return_message=ReturnMessage(NO_CALL_TYPE, "error", 2000))
        api = self._api(call.user, call.auth_header)
        person, activity_type = await both(
            self._person_for_log(api, call.user, call.contact_info.id),
            self._activity_type(call, CALL_ACTIVITY_SETTING, "call"),
        )
        if activity_type is None:
            return no_type
        body = _done_activity(
            user=call.user,
            contact_info=call.contact_info,
            person=person,
            activity_type=activity_type,
            subject=call_subject(call.call_log.raw, call.contact_info.name),
            note=call.composed_log_details,
            start_time=call.call_log.start_time,
            additional_submission=call.additional_submission,
            duration=pipedrive_duration(call.call_log.raw.get("duration")),
            assigned_owner=call.assigned_crm_user_id,
        )
        activity = await self._create_typed_activity(api, call, body, CALL_ACTIVITY_SETTING, "call")
        if activity is None:
            return no_type
        return CreateCallLogResult(
            log_id=activity["id"],
            return_message=ReturnMessage("Call logged", "success", 2000),
            extra_data_tracking=api.tracking(),
        )

    async def find_created_call_log(self, lookup: FindCreatedCallLogInput, /) -> CreateCallLogResult:
        """The activity an earlier `create_call_log` of this call made, if Pipedrive has it.

        Pipedrive has no idempotency key, so the activity is recognised by what the create wrote:
        the person's recent activities of this owner are read (`GET /api/v2/activities`) and the
        one with the same subject, due date and time and note text is the call's.
        """
        call = lookup.create
        api = self._api(call.user, call.auth_header)
        due = due_date_and_time(call.call_log.start_time)
        subject = call_subject(call.call_log.raw, call.contact_info.name)
        wanted_note = _note_text(call.composed_log_details)
        person_id = pipedrive_id(call.contact_info.id)
        if person_id is None:
            return CreateCallLogResult(log_id=None)
        for activity in await api.person_activities(person_id, owner_id=owner_id(call.user.id)):
            if activity.get("is_deleted"):
                continue
            if activity.get("subject") != subject:
                continue
            if due and (activity.get("due_date"), activity.get("due_time")) != (due[0], due[1]):
                continue
            if _note_text(str(activity.get("note") or "")) != wanted_note:
                continue
            return CreateCallLogResult(
                log_id=activity["id"],
                return_message=ReturnMessage("Call logged", "success", 2000),
                extra_data_tracking=api.tracking(),
            )
        return CreateCallLogResult(log_id=None, extra_data_tracking=api.tracking())

    async def get_call_log(self, lookup: GetCallLogInput, /) -> GetCallLogResult:
        """`GET /api/v2/activities/{id}`: the whole note (the base of every update), the agent's
        note inside it, and the deal or lead it is linked to."""
        api = self._api(lookup.user, lookup.auth_header)
        envelope = await api.activity(lookup.call_log_id)
        activity = _mapping(envelope.get("data"))
        body = str(activity.get("note") or "")
        persons = _mapping(_mapping(envelope.get("related_objects")).get("person"))
        first_person = _mapping(next(iter(persons.values()), None))
        return GetCallLogResult(
            call_log_info=CallLogInfo(
                subject=activity.get("subject"),
                note=agent_note(body),
                full_body=body,
                full_log_response=dict(activity),
                contact_name=str(first_person.get("name") or "Unknown"),
                dispositions={"deals": activity.get("deal_id"), "leads": activity.get("lead_id")},
            ),
            extra_data_tracking=api.tracking(),
        )

    async def update_call_log(self, call: UpdateCallLogInput, /) -> UpdateCallLogResult:
        """`PATCH /api/v2/activities/{id}` with the new note, subject and duration.

        The server composed `composed_log_details` from the note `get_call_log` just read, item by
        item, so text the agent typed in Pipedrive stays. An empty body is never sent, so an update
        can never blank the note.
        """
        api = self._api(call.user, call.auth_header)
        changes: dict[str, Any] = {}
        if call.composed_log_details:
            changes["note"] = call.composed_log_details
        if call.subject:
            changes["subject"] = call.subject
        if is_truthy(call.duration):
            changes["duration"] = pipedrive_duration(call.duration)
        assigned = assigned_owner_id(call.assigned_crm_user_id)
        if assigned is not None:
            changes["owner_id"] = assigned
        if changes:
            await api.update_activity(str(call.existing_call_log.third_party_log_id), changes)
        return UpdateCallLogResult(
            updated_note=call.composed_log_details,
            return_message=ReturnMessage("Call log updated.", "success", 2000),
            extra_data_tracking=api.tracking(),
        )

    async def upsert_call_disposition(self, change: UpsertCallDispositionInput, /) -> DispositionResult:
        """Link the call's activity to a deal (clearing any lead) or to a lead (clearing any deal)."""
        changes = disposition_changes(change.dispositions)
        if changes is None:
            return DispositionResult(log_id=None)
        api = self._api(change.user, change.auth_header)
        log_id = change.existing_call_log.third_party_log_id
        await api.update_activity(str(log_id), changes)
        return DispositionResult(log_id=log_id, extra_data_tracking=api.tracking())

    # -- message logs ----------------------------------------------------------------------------
    async def create_message_log(self, log: CreateMessageLogInput, /) -> CreateMessageLogResult:
        """A done activity for the first message of a conversation day (SMS, voicemail or fax), or
        for a centrally composed log (`shared_sms_log_content`).

        The person (for the organization), the SMS activity type and, for an SMS, the agent's name
        (`/v1/users/me`) are looked up at once, then `POST /api/v2/activities`.
        """
        no_type = CreateMessageLogResult(
            log_id=None, return_message=ReturnMessage(NO_SMS_TYPE, "error", 2000)
        )
        api = self._api(log.user, log.auth_header)
        is_sms = _is_sms(log)
        activity_type_lookup = self._activity_type(log, SMS_ACTIVITY_SETTING, "sms")
        me: Json = {}
        if is_sms:
            person, activity_type, me = await three(
                self._person_for_log(api, log.user, log.contact_info.id), activity_type_lookup, api.me()
            )
        else:
            person, activity_type = await both(
                self._person_for_log(api, log.user, log.contact_info.id), activity_type_lookup
            )
        if activity_type is None:
            return no_type
        subject, note, created = _message_content(log, me)
        body = _done_activity(
            user=log.user,
            contact_info=log.contact_info,
            person=person,
            activity_type=activity_type,
            subject=subject,
            note=note,
            start_time=created,
            additional_submission=log.additional_submission,
        )
        activity = await self._create_typed_activity(api, log, body, SMS_ACTIVITY_SETTING, "sms")
        if activity is None:
            return no_type
        return CreateMessageLogResult(
            log_id=activity["id"],
            return_message=ReturnMessage("Message logged", "success", 1000),
            extra_data_tracking=api.tracking(),
        )

    async def find_created_message_log(self, lookup: FindCreatedMessageLogInput, /) -> CreateMessageLogResult:
        """The activity an earlier `create_message_log` made, if Pipedrive has it.

        As for calls (`find_created_call_log`), the activity is recognised by what the create
        wrote: among the person's activities of this owner (`GET /api/v2/activities`), the one with
        the same subject, due date and time and note text. The note is the one the create wrote:
        nothing is added to a day's log before its create is confirmed.
        """
        create = lookup.create
        api = self._api(create.user, create.auth_header)
        person_id = pipedrive_id(create.contact_info.id)
        if person_id is None:
            return CreateMessageLogResult(log_id=None)
        activities_lookup = api.person_activities(person_id, owner_id=owner_id(create.user.id))
        me: Json = {}
        if _is_sms(create):
            me, activities = await both(api.me(), activities_lookup)
        else:
            activities = await activities_lookup
        subject, note, created = _message_content(create, me)
        wanted_note = _note_text(note)
        due = due_date_and_time(created) if _first_message(create).get("creationTime") else None
        for activity in activities:
            if activity.get("is_deleted") or activity.get("subject") != subject:
                continue
            if due and (activity.get("due_date"), activity.get("due_time")) != due:
                continue
            if _note_text(str(activity.get("note") or "")) != wanted_note:
                continue
            return CreateMessageLogResult(
                log_id=activity["id"],
                return_message=ReturnMessage("Message logged", "success", 1000),
                extra_data_tracking=api.tracking(),
            )
        return CreateMessageLogResult(log_id=None, extra_data_tracking=api.tracking())

    async def find_message_log_update(self, lookup: FindMessageLogUpdateInput, /) -> bool:
        """Whether the day's activity already holds the message an earlier `update_message_log`
        added: its note (`GET /api/v2/activities/{id}`) contains that message's entry (a composed
        log: the note is that content).

        Pipedrive keeps no message ids, so two messages of one day with the same sender, minute,
        text and links read as one: the second is then taken as already added (never added twice).
        """
        update = lookup.update
        api = self._api(update.user, update.auth_header)
        activity_id = str(update.existing_message_log.third_party_log_id)
        if update.shared_sms_log_content is not None:
            envelope = await api.activity(activity_id)
            note = str(_mapping(envelope.get("data")).get("note") or "")
            return _note_text(note) == _note_text(update.shared_sms_log_content.body)
        me, envelope = await both(api.me(), api.activity(activity_id))
        note = str(_mapping(envelope.get("data")).get("note") or "")
        return _note_text(_message_entry(update, me)) in _note_text(note)

    async def update_message_log(self, log: UpdateMessageLogInput, /) -> UpdateMessageLogResult:
        """Add a later message of the same conversation day to its activity (the agent's name and the
        activity's note are read at once, then `PATCH`), or replace a centrally composed log."""
        api = self._api(log.user, log.auth_header)
        activity_id = str(log.existing_message_log.third_party_log_id)
        if log.shared_sms_log_content is not None:
            note = log.shared_sms_log_content.body
        else:
            me, envelope = await both(api.me(), api.activity(activity_id))
            entry = _message_entry(log, me)
            note = add_message(str(_mapping(envelope.get("data")).get("note") or ""), entry)
        await api.update_activity(activity_id, {"note": note, **association(log.additional_submission)})
        return UpdateMessageLogResult(extra_data_tracking=api.tracking())


def _media_links(media: MessageMedia) -> dict[str, str | None]:
    """Links worth a line under a message (never the download links: they carry a token)."""
    return {
        "Voicemail recording link": media.recording_link,
        "Fax document link": media.fax_doc_link,
        "Image": media.image_link,
        "Video": media.video_link,
    }


def _first_message(log: CreateMessageLogInput) -> Mapping[str, Any]:
    first = log.message or next(iter(log.messages), None)
    return first.raw if first is not None else {}


def _is_sms(log: CreateMessageLogInput) -> bool:
    """An SMS note (not a voicemail, fax or composed log): it names the agent (`/v1/users/me`)."""
    media = log.media
    return log.shared_sms_log_content is None and not media.recording_link and not media.fax_doc_link


def _message_content(log: CreateMessageLogInput, me: Json) -> tuple[str, str, object]:
    """The subject, note and start time of the activity `create_message_log` makes (`me`: the
    agent, for an SMS)."""
    first_raw = _first_message(log)
    media = log.media
    shared = log.shared_sms_log_content
    created = first_raw.get("creationTime") or datetime.now(UTC).isoformat()
    offset = log.user.timezone_offset
    name, number = log.contact_info.name, log.contact_info.phone_number
    if shared is not None:
        return shared.subject, shared.body, created
    if media.recording_link:
        subject = voicemail_subject(name, created, offset)
        return subject, voicemail_note(subject, media.recording_link), created
    if media.fax_doc_link:
        subject = fax_subject(name, created, offset)
        return subject, fax_note(subject, media.fax_doc_link), created
    subject = sms_subject(name, created, offset)
    note = sms_note(
        subject=subject,
        message=first_raw,
        contact_name=name,
        contact_number=number,
        user_name=str(me.get("name") or ""),
        user_offset=offset,
        other_participants=[
            str(_mapping(group[0] if group else None).get("name") or "Unknown")
            for group in log.correspondents
        ],
        links=_media_links(media),
    )
    return subject, note, created


def _message_entry(log: UpdateMessageLogInput, me: Json) -> str:
    """The list item `update_message_log` adds for `log.message`."""
    return message_entry(
        log.message.raw if log.message is not None else {},
        contact_name=log.contact_info.name,
        contact_number=log.contact_info.phone_number,
        user_name=str(me.get("name") or ""),
        user_offset=log.user.timezone_offset,
        links=_media_links(log.media),
    )
