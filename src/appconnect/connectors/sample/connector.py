"""`SampleCrmConnector`: every logging interface, implemented against a CRM that lives in SQLite.

Read this file as the worked example of a connector. Each method does what a real connector does
(find the record, write the activity, read it back, map "not there" to a 404) with the HTTP call
replaced by a call to `SampleCrmStore`. Where a real CRM would differ, a comment says how.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Mapping
from importlib.resources import files
from typing import TYPE_CHECKING, Any, ClassVar

from appconnect.compose import (
    add_message_log_entry,
    compose_message_log,
    compose_message_log_entry,
    message_log_subject,
)
from appconnect.connectors.base import (
    BaseConnector,
    ConnectorContext,
    CreatesContacts,
    FindsContacts,
    LogsIn,
    LogsMessages,
    LogsOut,
    ReadsCallLogs,
    SearchesContactsByName,
    ServerServices,
    ServesRoutes,
    SetsDispositions,
)
from appconnect.connectors.inputs import (
    CreateCallLogInput,
    CreateContactInput,
    CreateMessageLogInput,
    FindContactInput,
    FindContactWithNameInput,
    GetCallLogInput,
    GetUserInfoInput,
    UnauthorizeInput,
    UpdateCallLogInput,
    UpdateMessageLogInput,
    UpsertCallDispositionInput,
)
from appconnect.connectors.sample.errors import SampleCrmNotFound
from appconnect.connectors.sample.pages import build_pages_router
from appconnect.connectors.sample.phones import query_keys
from appconnect.connectors.sample.storage import SampleCrmStore
from appconnect.connectors.types import (
    AuthType,
    CallLogInfo,
    Contact,
    CreateCallLogResult,
    CreateContactResult,
    CreateMessageLogResult,
    DispositionResult,
    FindContactResult,
    GetCallLogResult,
    LogFormat,
    PlatformUserInfo,
    ReturnMessage,
    UnAuthorizeResult,
    UpdateCallLogResult,
    UpdateMessageLogResult,
    UserInfoResult,
)

if TYPE_CHECKING:
    from fastapi import APIRouter

__all__ = ["DEFAULT_DATABASE_URL", "SampleCrmConnector", "extract_note", "load_manifest"]

DEFAULT_DATABASE_URL = "sqlite:///appconnect-sample-crm.db"

# The agent note of a plain-text body: from the first "- Note: " (or "- Agent notes: ") up to the
# next "- Label:" line, a final LF, or the end. The same rule the plain-text composer uses to
# replace the note, so what we read is exactly what an update would replace.
_NOTE = re.compile(r"- (?:Note|Agent notes): (.*?)(?=\n- [A-Z][A-Za-z\s/]*:|\n\Z|\Z)", re.DOTALL)


MANIFEST_SERVER_URL = "http://localhost:6066"


def load_manifest(server_url: str | None = None) -> dict[str, Any]:
    """The platform manifest fragment shipped beside this module (`manifest.json`).

    Its page links point at this server's own sample-CRM pages; `server_url` (the public URL of
    this server) replaces the default `http://localhost:6066` in them.
    """
    text = files("appconnect.connectors.sample").joinpath("manifest.json").read_text(encoding="utf-8")
    if server_url:
        text = text.replace(MANIFEST_SERVER_URL, server_url.rstrip("/"))
    manifest: dict[str, Any] = json.loads(text)
    return manifest


def extract_note(body: str | None) -> str:
    """The agent's note inside a plain-text call-log body, or "" when the body has none.

    >>> extract_note("- Note: call back Friday\\n- Session Id: 42\\n")
    'call back Friday'
    """
    if not body:
        return ""
    match = _NOTE.search(body)
    return match.group(1) if match else ""


def _api_key_from(auth_header: str) -> str:
    """The API key inside `Basic base64("<key>:")`, or "" when the header is not one."""
    scheme, _, token = auth_header.partition(" ")
    if scheme.lower() != "basic" or not token:
        return ""
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return ""
    return decoded.rpartition(":")[0] if ":" in decoded else decoded


def _wire_contact(contact: Mapping[str, Any], phone: str | None = None) -> Contact:
    return Contact(
        id=contact["id"],
        name=contact["name"],
        type=contact["type"],
        phone=phone or contact["phone"],
        company=contact["company"],
        email=contact["email"],
        created_date=contact["created_at"],
    )


def _text(value: Any) -> str | None:
    """A non-empty string form of a scalar id/number, else None."""
    if value is None or value == "":
        return None
    return str(value)


class SampleCrmConnector(
    BaseConnector,
    LogsIn,
    LogsOut,
    FindsContacts,
    SearchesContactsByName,
    CreatesContacts,
    ReadsCallLogs,
    SetsDispositions,
    LogsMessages,
    ServesRoutes,
):
    """A real connector whose CRM is a local SQLite database (see `SampleCrmStore`).

    Any non-empty API key logs in. All users share one sample CRM, like the users of one CRM
    account. Bodies arrive composed as plain text (`composed_log_details`) and are stored as is.
    """

    name: ClassVar[str] = "sample"
    auth_type: ClassVar[AuthType] = AuthType.API_KEY
    log_format: ClassVar[str] = LogFormat.PLAIN
    manifest: Mapping[str, Any] | None = load_manifest()

    def __init__(self, context: ConnectorContext | None = None, *, database_url: str | None = None) -> None:
        super().__init__(context)
        settings = context.settings if context is not None else None
        url = database_url or getattr(settings, "sample_crm_database_url", None) or DEFAULT_DATABASE_URL
        self.store = SampleCrmStore(url)
        public_url = getattr(settings, "public_server_url", None)
        self.manifest = load_manifest(public_url) if public_url else load_manifest()

    def routes(self, server: ServerServices, /) -> APIRouter:
        """The sample CRM's own pages (`/sample/...`), which the manifest's links open."""
        return build_pages_router(self.store)

    # -- lifecycle (called by the app; every method also starts the store on first use) ----------
    async def startup(self) -> None:
        """Open the database, creating and seeding it on first run."""
        await self.store.startup()

    async def shutdown(self) -> None:
        """Close the database connections."""
        await self.store.shutdown()

    # -- auth -----------------------------------------------------------------------------------
    async def get_user_info(self, login: GetUserInfoInput, /) -> UserInfoResult:
        """Accept any non-empty API key; the user id is derived from a hash of the key.

        A real connector calls the CRM's "who am I" endpoint with `auth_header` here.
        """
        key = (login.api_key or _api_key_from(login.auth_header)).strip()
        if not key:
            return UserInfoResult(
                successful=False,
                return_message=ReturnMessage(
                    "Could not connect to Sample CRM",
                    "warning",
                    3000,
                    details=ReturnMessage.detail_text("Details", "Enter any non-empty API key."),
                ),
            )
        user_id = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
        return UserInfoResult(
            successful=True,
            platform_user_info=PlatformUserInfo(
                id=f"{user_id}-sample",
                name="Sample CRM user",
                timezone_name="UTC",
                timezone_offset="+00:00",
                platform_additional_info={},
            ),
            return_message=ReturnMessage("Connected to Sample CRM.", "success", 1000),
        )

    async def unauthorize(self, logout: UnauthorizeInput, /) -> UnAuthorizeResult:
        """Nothing to revoke: the server forgets the stored key."""
        return UnAuthorizeResult(
            successful=True, return_message=ReturnMessage("Logged out of Sample CRM", "success", 1000)
        )

    # -- contacts -------------------------------------------------------------------------------
    async def find_contact(self, lookup: FindContactInput, /) -> FindContactResult:
        """Contacts owning `phone_number` (matching rule in `phones`), then the create-new option.

        `overriding_format` is not needed: numbers are normalised on both sides, where a CRM that
        stores numbers as typed must be searched once per format instead.
        """
        if lookup.is_extension:
            return FindContactResult(
                matched_contact_info=(),
                successful=False,
                return_message=ReturnMessage(
                    "Logging against internal extension number is not supported.", "warning", 3000
                ),
            )
        found = await self.store.find_contacts_by_keys(sorted(query_keys(lookup.phone_number)))
        matches = tuple(_wire_contact(contact, phone) for contact, phone in found)
        return FindContactResult(matched_contact_info=(*matches, Contact.create_new_placeholder()))

    async def find_contact_with_name(self, lookup: FindContactWithNameInput, /) -> FindContactResult:
        """Contacts whose name contains `name` (case-insensitive); no create-new option."""
        name = lookup.name
        if not name or not name.strip():
            return FindContactResult(matched_contact_info=())
        found = await self.store.find_contacts_by_name(name.strip())
        return FindContactResult(matched_contact_info=tuple(_wire_contact(contact) for contact in found))

    async def create_contact(self, new: CreateContactInput, /) -> CreateContactResult:
        """Create a contact with this number; an empty name is refused with a warning."""
        name = (new.new_contact_name or "").strip()
        if not name:
            return CreateContactResult(
                contact_info=None,
                return_message=ReturnMessage("Contact name is required", "warning", 3000),
            )
        contact = await self.store.create_contact(
            name=name, phone=new.phone_number or None, type_=new.new_contact_type or "Contact"
        )
        return CreateContactResult(
            contact_info=_wire_contact(contact),
            return_message=ReturnMessage(f"Contact created: {name}", "success", 2000),
        )

    # -- call logs ------------------------------------------------------------------------------
    async def create_call_log(self, call: CreateCallLogInput, /) -> CreateCallLogResult:
        """Create one call activity; the body is the server's composed plain-text log.

        Every call creates a new activity: preventing duplicates for one call is the server's job.
        """
        contact_info = call.contact_info
        contact_name = contact_info.name or await self._contact_name(contact_info.id) or ""
        direction = call.call_log.direction
        who = contact_name or contact_info.phone_number or "unknown contact"
        if direction in ("Inbound", "Outbound"):
            default_subject = f"{direction} call with {who}"
        else:
            default_subject = f"Call with {who}"
        activity = await self.store.create_call_activity(
            contact_id=_text(contact_info.id),
            contact_name=contact_name or None,
            phone_number=contact_info.phone_number,
            direction=direction,
            session_id=_text(call.call_log.session_id),
            subject=call.call_log.custom_subject or default_subject,
            body=call.composed_log_details or (f"- Note: {call.note}\n" if call.note else ""),
        )
        return CreateCallLogResult(
            log_id=str(activity["id"]), return_message=ReturnMessage("Call logged", "success", 2000)
        )

    async def get_call_log(self, lookup: GetCallLogInput, /) -> GetCallLogResult:
        """Read a call activity back; `full_body` is the base the server recomposes updates from.

        Raises:
            SampleCrmNotFound: `call_log_id` names no activity (a CRM's 404).
        """
        activity = await self.store.get_call_activity(lookup.call_log_id)
        if activity is None:
            raise SampleCrmNotFound("call activity", lookup.call_log_id)
        contact_name = activity["contact_name"] or await self._contact_name(
            activity["contact_id"] or lookup.contact_id
        )
        return GetCallLogResult(
            call_log_info=CallLogInfo(
                subject=activity["subject"],
                note=extract_note(activity["body"]),
                full_body=activity["body"],
                full_log_response=activity,
                contact_name=contact_name,
                dispositions=activity["dispositions"],
            )
        )

    async def update_call_log(self, call: UpdateCallLogInput, /) -> UpdateCallLogResult:
        """Write the recomposed body (when non-empty) and the subject (when given).

        The server composed `composed_log_details` from the body `get_call_log` returned, so text
        the agent typed into the CRM is already in it.

        Raises:
            SampleCrmNotFound: the linked activity does not exist (any more).
        """
        activity = await self.store.update_call_activity(
            call.existing_call_log.third_party_log_id,
            body=call.composed_log_details or None,
            subject=call.subject or None,
        )
        return UpdateCallLogResult(
            updated_note=extract_note(activity["body"]),
            return_message=ReturnMessage("Call log updated", "success", 2000),
        )

    async def upsert_call_disposition(self, change: UpsertCallDispositionInput, /) -> DispositionResult:
        """Merge `dispositions` into the activity's (a None value clears that field).

        Raises:
            SampleCrmNotFound: the linked activity does not exist (any more).
        """
        activity = await self.store.merge_dispositions(
            change.existing_call_log.third_party_log_id, dict(change.dispositions)
        )
        return DispositionResult(
            log_id=str(activity["id"]), return_message=ReturnMessage("Disposition updated", "success", 2000)
        )

    # -- message logs ---------------------------------------------------------------------------
    async def create_message_log(self, log: CreateMessageLogInput, /) -> CreateMessageLogResult:
        """Create one message log: a composed conversation, or a log holding its first message.

        `shared_sms_log_content` (a shared-SMS conversation, or the messages an agent selected,
        which then arrive in `messages` too) is stored as composed. Otherwise the log is written
        with `compose_message_log`: participants, then the first message's entry.
        """
        contact_info = log.contact_info
        contact_name = contact_info.name or await self._contact_name(contact_info.id) or ""
        who = contact_name or contact_info.phone_number or "unknown contact"
        content = log.shared_sms_log_content
        if content is not None:
            created = await self.store.create_message_log(
                contact_id=_text(contact_info.id),
                contact_name=contact_name or None,
                subject=content.subject or f"SMS conversation with {who}",
                body=content.body,
                message_ids=[item.id for item in log.messages if item.id],
            )
        else:
            message = log.message.raw if log.message is not None else {}
            composed = compose_message_log(
                [message],
                log_format=self.log_format,
                contact_name=contact_name,
                contact_number=contact_info.phone_number,
                timezone_offset=log.user.timezone_offset,
                media={_message_id(message): log.media},
                subject=message_log_subject(
                    message, contact_name=who, timezone_offset=log.user.timezone_offset
                ),
            )
            created = await self.store.create_message_log(
                contact_id=_text(contact_info.id),
                contact_name=contact_name or None,
                subject=composed.subject,
                body=composed.body,
                message_ids=[_message_id(message)] if _message_id(message) else [],
            )
        return CreateMessageLogResult(
            log_id=str(created["id"]), return_message=ReturnMessage("Message logged", "success", 1000)
        )

    async def update_message_log(self, log: UpdateMessageLogInput, /) -> UpdateMessageLogResult:
        """Add the new message's entry (once per message id), or replace a shared-SMS conversation.

        The entry goes in with `add_message_log_entry`, so the rest of the body, including
        anything typed into the CRM, stays as it is.

        Raises:
            SampleCrmNotFound: the linked message log does not exist (any more).
        """
        log_id = log.existing_message_log.third_party_log_id
        if log.shared_sms_log_content is not None:
            await self.store.replace_message_log(
                log_id,
                subject=_text(log.shared_sms_log_content.subject),
                body=log.shared_sms_log_content.body,
            )
        elif log.message is not None:
            message = log.message.raw
            contact_name = log.contact_info.name or await self._contact_name(log.contact_info.id) or ""
            entry = compose_message_log_entry(
                message,
                log_format=self.log_format,
                contact_name=contact_name,
                contact_number=log.contact_info.phone_number,
                timezone_offset=log.user.timezone_offset,
                media=log.media,
            )
            await self.store.append_message(
                log_id,
                message_id=_message_id(message),
                edit=lambda body: add_message_log_entry(body, entry, log_format=self.log_format),
            )
        elif await self.store.get_message_log(log_id) is None:
            raise SampleCrmNotFound("message log", log_id)
        return UpdateMessageLogResult(return_message=ReturnMessage("Message log updated", "success", 1000))

    # -- read helpers (tests, the e2e suite, and a look at what was logged) ----------------------
    async def list_contacts(self) -> list[dict[str, Any]]:
        """Every contact, oldest first, each with its `phone_numbers`."""
        return await self.store.list_contacts()

    async def list_call_activities(self) -> list[dict[str, Any]]:
        """Every call activity, oldest first."""
        return await self.store.list_call_activities()

    async def get_call_activity(self, activity_id: str | int) -> dict[str, Any] | None:
        """One call activity, or None."""
        return await self.store.get_call_activity(activity_id)

    async def edit_call_activity_body(self, activity_id: str | int, body: str) -> dict[str, Any]:
        """Replace an activity's body, as an agent editing the note in the CRM would.

        Raises:
            SampleCrmNotFound: no activity has this id.
        """
        return await self.store.update_call_activity(activity_id, body=body)

    async def list_message_logs(self) -> list[dict[str, Any]]:
        """Every message log, oldest first."""
        return await self.store.list_message_logs()

    async def _contact_name(self, contact_id: object) -> str | None:
        contact = await self.store.get_contact(contact_id)
        return str(contact["name"]) if contact is not None else None


def _message_id(message: Mapping[str, Any]) -> str:
    return str(message.get("id", ""))
