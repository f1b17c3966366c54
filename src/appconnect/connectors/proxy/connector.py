"""The proxy (declarative) connector: one implementation driven by a validated `ProxyConfig`.

Why a class per configuration: the server learns what a connector can do from the protocols it
satisfies (`isinstance(connector, FindsContacts)`), and `/implementedInterfaces` reports the same.
So each operation is a small mixin, and `proxy_connector_class(config)` combines exactly the
mixins of the operations the file declares: an undeclared operation is an interface the connector
does not have, not a method that answers "Not supported". (`createCallLog` and `updateCallLog` are
required by the schema, as by every connector.)

Every request is built by `ProxyConnector._request` from the operation's templates (§8.4) and sent
through the server's one `CrmHttp`, with a host policy allowing only the base URL's host.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import phonenumbers
import structlog

from appconnect.compose import MessageLogContent
from appconnect.compose.message_log import (
    compose_message_log,
    compose_message_log_entry,
    message_log_subject,
)
from appconnect.connectors.base import (
    BaseConnector,
    ConnectorContext,
    CreatesContacts,
    FindsContacts,
    ListsUsers,
    LogsIn,
    LogsMessages,
    LogsOut,
    OverridesOAuthRequest,
    ReadsCallLogs,
    ReportsLicenseStatus,
    SearchesContactsByName,
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
    GetCallLogInput,
    GetLicenseStatusInput,
    GetUserInfoInput,
    OAuthInfoInput,
    OAuthOptionInput,
    UnauthorizeInput,
    UpdateCallLogInput,
    UpdateMessageLogInput,
    UpsertCallDispositionInput,
)
from appconnect.connectors.proxy.config import ProxyConfig
from appconnect.connectors.proxy.templates import (
    UNDEFINED,
    get_by_path,
    join_url,
    js_string,
    render_deep,
    render_template_string,
    render_url,
    without_undefined,
)
from appconnect.connectors.types import (
    CallLogInfo,
    Contact,
    CreateCallLogResult,
    CreateContactResult,
    CreateMessageLogResult,
    CrmUser,
    DispositionResult,
    FindContactResult,
    GetCallLogResult,
    LicenseStatus,
    OAuthInfo,
    OAuthTokenRequestOverride,
    PlatformUserInfo,
    ReturnMessage,
    UnAuthorizeResult,
    UpdateCallLogResult,
    UpdateMessageLogResult,
    UserInfoResult,
)
from appconnect.crm_http import CrmError, HostPolicy
from appconnect.domain import User

__all__ = ["ProxyConnector", "proxy_connector_class"]

log = structlog.get_logger(__name__)

NOT_SUPPORTED = ReturnMessage("Not supported", "warning", 2000)


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _header_text(value: str) -> str:
    """A header value as HTTP allows it: a caller's line breaks (header injection) become spaces."""
    return value.replace("\r", " ").replace("\n", " ").replace("\x00", " ")


def _text_or_none(value: Any) -> str | None:
    """The text of a truthy value (`123` -> "123"), else None: how the reference reads ids."""
    if not value or value is UNDEFINED:
        return None
    return js_string(value)


def _or(value: Any, default: Any) -> Any:
    return default if not value or value is UNDEFINED else value


def _user_context(user: User | None, api_key: str | None) -> dict[str, Any]:
    token = (user.access_token if user is not None else None) or api_key or ""
    if user is None:
        return {"accessToken": token}
    return {
        "accessToken": token,
        "id": user.id.split("-", 1)[0],
        "hostname": user.hostname,
        "timezoneName": user.timezone_name,
        "timezoneOffset": user.timezone_offset,
        "platform": user.platform,
        "platformAdditionalInfo": dict(user.platform_additional_info),
        "refreshToken": user.refresh_token,
        "tokenExpiry": _iso(user.token_expiry),
    }


def _parsed_phone(number: str) -> dict[str, Any]:
    """What templates see as `parsedPhoneNumber`: the parse of the number, first space made `+`."""
    text = number.replace(" ", "+", 1)
    try:
        parsed = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return {"valid": False, "number": {"input": text}}
    region = phonenumbers.region_code_for_number(parsed)
    return {
        "valid": phonenumbers.is_valid_number(parsed),
        "regionCode": region,
        "countryCode": parsed.country_code,
        "number": {
            "input": text,
            "e164": phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164),
            "international": phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL),
            "national": phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL),
            "significant": phonenumbers.national_significant_number(parsed),
        },
    }


def _submission(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return dict(value) if value is not None else None


def _contact_context(contact: Any) -> dict[str, Any]:
    return {"id": contact.id, "name": contact.name, "type": contact.type, "phoneNumber": contact.phone_number}


def _artefacts(artefacts: Any) -> dict[str, Any]:
    return {
        "aiNote": artefacts.ai_note,
        "transcript": artefacts.transcript,
        "ringSenseTranscript": artefacts.ring_sense_transcript,
        "ringSenseSummary": artefacts.ring_sense_summary,
        "ringSenseAIScore": artefacts.ring_sense_ai_score,
        "ringSenseBulletedSummary": artefacts.ring_sense_bulleted_summary,
        "ringSenseLink": artefacts.ring_sense_link,
    }


class ProxyConnector(BaseConnector):
    """The operations every proxy connector has; see `proxy_connector_class` for the rest."""

    name: ClassVar[str] = "proxy"
    config: ClassVar[ProxyConfig]

    def __init__(self, context: ConnectorContext | None = None) -> None:
        super().__init__(context)
        allow_private = None
        if context is not None and context.http is not None:
            allow_private = context.http.allow_private_networks
        self.policy: HostPolicy = self.config.policy(allow_private=allow_private)
        self.manifest = self.config.manifest()
        self.allowed_hosts = self.policy.allowed_hosts

    def get_auth_type(self, user: User | None = None, /) -> str:
        return self.config.auth_type

    def get_log_format_type(self, user: User | None = None, /) -> str:
        return self.config.log_format

    # -- the request (§8.4) -------------------------------------------------------------------
    def _auth_value(
        self, auth: Mapping[str, Any], context: Mapping[str, Any], auth_header: str | None
    ) -> str | None:
        template = auth.get("credentialTemplate")
        scheme = auth.get("scheme")
        if template:
            credential = js_string(render_template_string(template, context))
            if auth.get("encode") != "none":
                credential = base64.b64encode(credential.encode()).decode("ascii")
            return f"{scheme} {credential}" if scheme else credential
        if auth_header:
            return auth_header
        if auth.get("type") == "oauth":
            return f"{scheme or 'Bearer'} {js_string(get_by_path(context, 'user.accessToken'))}"
        return None

    def build_request(
        self,
        operation: str,
        inputs: Mapping[str, Any],
        *,
        user: User | None,
        auth_header: str | None,
    ) -> dict[str, Any] | None:
        """The request an operation sends (`method`, `url`, `headers`, `params`, `json`), or None
        when the configuration does not declare it. Pure: nothing is sent."""
        spec = self.config.operations.get(operation)
        if spec is None:
            return None
        api_key = inputs.get("apiKey") if isinstance(inputs.get("apiKey"), str) else None
        user_context = _user_context(user, api_key)
        context: dict[str, Any] = {
            **inputs,
            "user": user_context,
            "apiKey": user_context["accessToken"],
            "secretKey": self.config.secret_key,
        }
        if auth_header:
            context["authHeader"] = auth_header
        defaults = self.config.raw["requestDefaults"]
        headers: dict[str, str] = {}
        for source in (defaults.get("defaultHeaders") or {}, spec.get("headers") or {}):
            for key, value in render_deep(source, context).items():
                if value is not UNDEFINED and value is not None:
                    headers[key] = _header_text(js_string(value))
        auth = spec.get("auth") or self.config.auth
        header_name = str(auth.get("headerName") or "Authorization")
        value = self._auth_value(auth, context, auth_header)
        if value is not None:
            headers[header_name] = _header_text(value)
        params = {
            key: js_string(item)
            for key, item in render_deep(spec.get("query") or {}, context).items()
            if item is not UNDEFINED and item is not None
        }
        method = str(spec.get("method") or "GET").upper()
        body = without_undefined(render_deep(spec.get("body"), context)) if spec.get("body") else None
        if not body and method in ("GET", "DELETE"):
            body = None
        url = join_url(self.config.base_url, render_url(str(spec.get("url") or ""), context))
        return {"method": method, "url": url, "headers": headers, "params": params, "json": body}

    async def _request(
        self,
        operation: str,
        inputs: Mapping[str, Any],
        *,
        user: User | None,
        auth_header: str | None,
    ) -> dict[str, Any] | None:
        """Send the operation; `{"body": <response JSON>}` to resolve response paths against, or None
        when the configuration does not declare it. CRM failures are logged (host only) and re-raised."""
        request = self.build_request(operation, inputs, user=user, auth_header=auth_header)
        if request is None:
            return None
        started = time.perf_counter()
        try:
            response = await self.http.request(
                request["method"],
                request["url"],
                policy=self.policy,
                headers=request["headers"],
                params=request["params"] or None,
                json=request["json"],
                timeout=self.config.timeout_seconds,
            )
        except CrmError as error:
            log.warning(
                "proxy.request_failed",
                proxy_operation=operation,
                connector_name=self.config.name,
                proxy_id=(user.platform_additional_info.get("proxyId") if user is not None else None),
                method=request["method"],
                target_host=self.policy.allowed_hosts[0],
                status=error.status if error.status is not None else "unknown",
                error=type(error).__name__,
                duration_ms=round((time.perf_counter() - started) * 1000, 1),
                upstream_request_id=error.headers.get("x-request-id"),
            )
            raise
        try:
            body: Any = response.json() if response.content else None
        except ValueError:
            body = response.text
        return {"body": body}

    def _mapping(self, operation: str) -> Mapping[str, Any]:
        spec = self.config.operations.get(operation) or {}
        mapping: Mapping[str, Any] = spec.get("responseMapping") or {}
        return mapping

    # -- required: call logs --------------------------------------------------------------------
    async def create_call_log(self, call: CreateCallLogInput, /) -> CreateCallLogResult:
        record = call.call_log
        start = record.start_time
        duration = record.duration if isinstance(record.duration, int | float) else 0
        end = start + timedelta(seconds=duration) if start is not None else None
        direction = record.direction or ""
        subject = record.custom_subject or (
            f"{direction} Call {'to' if direction == 'Outbound' else 'from'} {call.contact_info.name}"
        )
        inputs = {
            "contactInfo": _contact_context(call.contact_info),
            "callLog": dict(record.raw),
            "note": call.note,
            "additionalSubmission": _submission(call.additional_submission),
            **_artefacts(call.artefacts),
            "voicemailLink": call.voicemail_link,
            "voicemailMessageId": call.voicemail_message_id,
            "composedLogDetails": call.composed_log_details,
            "hashedAccountId": call.hashed_account_id,
            "isFromSSCL": call.is_from_sscl,
            "subject": subject,
            "startTime": _iso(start),
            "endTime": _iso(end),
        }
        answer = await self._request("createCallLog", inputs, user=call.user, auth_header=call.auth_header)
        if answer is None:
            return CreateCallLogResult(log_id=None, return_message=NOT_SUPPORTED)
        log_id = _text_or_none(get_by_path(answer, self._mapping("createCallLog").get("idPath") or "body.id"))
        return CreateCallLogResult(
            log_id=log_id, return_message=ReturnMessage("Call logged", "success", 2000)
        )

    async def update_call_log(self, call: UpdateCallLogInput, /) -> UpdateCallLogResult:
        start = call.start_time
        end = start + timedelta(seconds=call.duration or 0) if start is not None else None
        link = call.existing_call_log
        inputs = {
            "thirdPartyLogId": link.third_party_log_id,
            "existingCallLog": {
                "id": link.id,
                "sessionId": link.session_id,
                "thirdPartyLogId": link.third_party_log_id,
                "contactId": link.contact_id,
            },
            "recordingLink": call.recording_link,
            "recordingDownloadLink": call.recording_download_link,
            "voicemailLink": call.voicemail_link,
            "voicemailMessageId": call.voicemail_message_id,
            "subject": call.subject,
            "note": call.note,
            "startTime": _iso(start),
            "endTime": _iso(end),
            "duration": call.duration,
            "result": call.result,
            "legs": [dict(leg) for leg in call.legs],
            **_artefacts(call.artefacts),
            "additionalSubmission": _submission(call.additional_submission),
            "composedLogDetails": call.composed_log_details,
            "existingCallLogDetails": call.existing_call_log_details,
            "hashedAccountId": call.hashed_account_id,
            "isFromSSCL": call.is_from_sscl,
        }
        answer = await self._request("updateCallLog", inputs, user=call.user, auth_header=call.auth_header)
        if answer is None:
            return UpdateCallLogResult(return_message=NOT_SUPPORTED)
        return UpdateCallLogResult(
            updated_note=None, return_message=ReturnMessage("Call log updated.", "success", 3000)
        )


# -- one mixin per optional operation --------------------------------------------------------------
class _GetUserInfo(ProxyConnector, LogsIn):
    async def get_user_info(self, login: GetUserInfoInput, /) -> UserInfoResult:
        additional = {
            key: value for key, value in login.additional_info.items() if key not in ("password", "apiKey")
        }
        inputs = {
            "additionalInfo": dict(login.additional_info),
            "apiKey": login.api_key,
            "hostname": login.hostname,
            "platform": login.platform,
            "userEmail": login.user_email,
        }
        answer = await self._request("getUserInfo", inputs, user=None, auth_header=login.auth_header)
        if answer is None:  # pragma: no cover - the mixin exists only when the operation does
            return UserInfoResult(successful=False)
        scope = {**answer, **{k: v for k, v in inputs.items() if k != "userEmail"}}
        mapping = self._mapping("getUserInfo")
        raw_id = get_by_path(scope, mapping.get("idPath"))
        if not raw_id or raw_id is UNDEFINED or isinstance(raw_id, dict | list):
            return UserInfoResult(
                successful=False,
                return_message=ReturnMessage(
                    f"Could not load user information from {login.platform}.", "warning", 3000
                ),
            )
        name = get_by_path(scope, mapping["namePath"]) if mapping.get("namePath") else UNDEFINED
        timezone = (
            get_by_path(scope, mapping["timezoneNamePath"]) if mapping.get("timezoneNamePath") else None
        )
        override = (
            get_by_path(scope, mapping["overridingApiKeyPath"])
            if mapping.get("overridingApiKeyPath")
            else None
        )
        for key, path in (mapping.get("platformAdditionalInfoPaths") or {}).items():
            value = get_by_path(scope, path)
            if value not in (None, "", UNDEFINED):
                additional[key] = value
        message = get_by_path(scope, mapping["messagePath"]) if mapping.get("messagePath") else None
        return UserInfoResult(
            successful=True,
            platform_user_info=PlatformUserInfo(
                id=f"{js_string(raw_id)}-{login.platform}",
                name=js_string(_or(name, raw_id)),
                timezone_name=_text_or_none(timezone),
                platform_additional_info=additional,
                overriding_api_key=_text_or_none(override),
            ),
            return_message=ReturnMessage(
                js_string(_or(message, f"Connected to {login.platform}.")), "success", 1000
            ),
        )


def _contacts(answer: Mapping[str, Any], mapping: Mapping[str, Any]) -> tuple[Contact, ...]:
    items = get_by_path(answer, mapping.get("listPath") or "body")
    if not isinstance(items, list):
        return ()
    paths = mapping.get("item") or {}

    def field(item: Any, key: str, default: str) -> Any:
        return get_by_path(item, paths.get(key) or default)

    contacts = []
    for item in items:
        contact_id = field(item, "idPath", "id")
        if contact_id in (None, "", UNDEFINED) or isinstance(contact_id, dict | list | bool):
            continue
        additional = (
            get_by_path(item, paths["additionalInfoPath"]) if paths.get("additionalInfoPath") else None
        )
        contacts.append(
            Contact(
                id=contact_id,
                name=js_string(_or(field(item, "namePath", "name"), "")),
                phone=_text_or_none(field(item, "phonePath", "phone")),
                type=js_string(_or(field(item, "typePath", "type"), "Contact")),
                title=js_string(_or(field(item, "titlePath", "title"), "")),
                company=js_string(_or(field(item, "companyPath", "company"), "")),
                created_date=_text_or_none(field(item, "createdDatePath", "createdDate")),
                most_recent_activity_date=_text_or_none(
                    field(item, "mostRecentActivityDatePath", "mostRecentActivityDate")
                ),
                additional_info=additional if isinstance(additional, Mapping) else None,
            )
        )
    return tuple(contacts)


class _FindContact(ProxyConnector, FindsContacts):
    async def find_contact(self, lookup: FindContactInput, /) -> FindContactResult:
        inputs = {
            "phoneNumber": lookup.phone_number,
            "parsedPhoneNumber": _parsed_phone(lookup.phone_number),
            "overridingFormat": lookup.overriding_format,
            "isExtension": lookup.is_extension,
        }
        answer = await self._request("findContact", inputs, user=lookup.user, auth_header=lookup.auth_header)
        mapping = self._mapping("findContact")
        found = _contacts(answer, mapping) if answer is not None and mapping else ()
        return FindContactResult(
            matched_contact_info=(*found, Contact.create_new_placeholder()),
            return_message=ReturnMessage(f"Found {len(found)} contacts", "success", 3000),
        )


class _FindContactWithName(ProxyConnector, SearchesContactsByName):
    async def find_contact_with_name(self, lookup: FindContactWithNameInput, /) -> FindContactResult:
        answer = await self._request(
            "findContactWithName", {"name": lookup.name}, user=lookup.user, auth_header=lookup.auth_header
        )
        mapping = self._mapping("findContactWithName")
        found = _contacts(answer, mapping) if answer is not None and mapping else ()
        return FindContactResult(
            matched_contact_info=found,
            return_message=ReturnMessage(f"Found {len(found)} contacts", "success", 3000),
        )


class _CreateContact(ProxyConnector, CreatesContacts):
    async def create_contact(self, new: CreateContactInput, /) -> CreateContactResult:
        inputs = {
            "phoneNumber": new.phone_number,
            "newContactName": new.new_contact_name,
            "newContactType": new.new_contact_type,
            "additionalSubmission": _submission(new.additional_submission),
        }
        answer = await self._request("createContact", inputs, user=new.user, auth_header=new.auth_header)
        mapping = self._mapping("createContact")
        message = ReturnMessage("Contact created", "success", 2000)
        contact_id = (
            get_by_path(answer, mapping["idPath"]) if answer is not None and mapping.get("idPath") else None
        )
        if contact_id in (None, "", UNDEFINED) or isinstance(contact_id, dict | list | bool):
            return CreateContactResult(contact_info=None, return_message=message)
        return CreateContactResult(
            contact_info=Contact(
                id=contact_id,
                name=js_string(_or(get_by_path(answer, mapping.get("namePath") or "body.name"), "")),
                type=js_string(_or(get_by_path(answer, mapping.get("typePath") or "body.type"), "Contact")),
            ),
            return_message=message,
        )


class _GetCallLog(ProxyConnector, ReadsCallLogs):
    async def get_call_log(self, lookup: GetCallLogInput, /) -> GetCallLogResult:
        inputs = {"thirdPartyLogId": lookup.call_log_id, "contactId": lookup.contact_id}
        answer = await self._request("getCallLog", inputs, user=lookup.user, auth_header=lookup.auth_header)
        if answer is None:  # pragma: no cover
            return GetCallLogResult(call_log_info=None, return_message=NOT_SUPPORTED)
        mapping = self._mapping("getCallLog")

        def text(key: str, default: str) -> str | None:
            value = get_by_path(answer, mapping.get(key) or default)
            return None if value is None or value is UNDEFINED else js_string(value)

        return GetCallLogResult(
            call_log_info=CallLogInfo(
                subject=text("subjectPath", "body.subject"),
                note=text("notePath", "body.note"),
                full_body=text("fullBodyPath", "body.note"),
                full_log_response=answer["body"],
            ),
            return_message=ReturnMessage("Call log fetched.", "success", 3000),
        )


class _UpsertCallDisposition(ProxyConnector, SetsDispositions):
    async def upsert_call_disposition(self, change: UpsertCallDispositionInput, /) -> DispositionResult:
        link = change.existing_call_log
        inputs = {
            "existingCallLog": {
                "id": link.id,
                "sessionId": link.session_id,
                "thirdPartyLogId": link.third_party_log_id,
                "contactId": link.contact_id,
            },
            "dispositions": change.dispositions.raw,
            "thirdPartyLogId": link.third_party_log_id,
        }
        await self._request("upsertCallDisposition", inputs, user=change.user, auth_header=change.auth_header)
        return DispositionResult(
            log_id=link.third_party_log_id,
            return_message=ReturnMessage("Disposition updated", "success", 2000),
        )


def _message_context(message: Any) -> dict[str, Any] | None:
    return dict(message.raw) if message is not None else None


class _LogsMessages(ProxyConnector, LogsMessages):
    def _composed(
        self, log_input: CreateMessageLogInput | UpdateMessageLogInput
    ) -> tuple[MessageLogContent, str]:
        """The composed log (subject, whole body) and the entry of this message, in the log format.

        Empty for a `custom` format; a shared or selected conversation arrives composed already."""
        if log_input.shared_sms_log_content is not None:
            return log_input.shared_sms_log_content, ""
        message = log_input.message
        if message is None or self.config.log_format == "custom":
            return MessageLogContent(subject="", body=""), ""
        contact = log_input.contact_info
        who = contact.name or contact.phone_number or "unknown contact"
        offset = log_input.user.timezone_offset
        composed = compose_message_log(
            [message.raw],
            log_format=self.config.log_format,
            contact_name=contact.name,
            contact_number=contact.phone_number,
            timezone_offset=offset,
            media={message.id: log_input.media},
            subject=message_log_subject(message.raw, contact_name=who, timezone_offset=offset),
        )
        entry = compose_message_log_entry(
            message.raw,
            log_format=self.config.log_format,
            contact_name=contact.name,
            contact_number=contact.phone_number,
            timezone_offset=offset,
            media=log_input.media,
        )
        return composed, entry

    async def create_message_log(self, log_input: CreateMessageLogInput, /) -> CreateMessageLogResult:
        media = log_input.media
        message = log_input.message
        content, entry = self._composed(log_input)
        inputs = {
            "contactInfo": _contact_context(log_input.contact_info),
            "message": _message_context(message),
            "additionalSubmission": _submission(log_input.additional_submission),
            "recordingLink": media.recording_link,
            "faxDocLink": media.fax_doc_link,
            "faxDownloadLink": media.fax_download_link,
            "imageLink": media.image_link,
            "videoLink": media.video_link,
            "creationTime": _iso(_parse_time(message.creation_time))
            if message is not None
            else _iso(datetime.now(UTC)),
            "composedLogDetails": content.body,
            "composedLogEntry": entry,
            "subject": content.subject,
        }
        answer = await self._request(
            "createMessageLog", inputs, user=log_input.user, auth_header=log_input.auth_header
        )
        if answer is None:
            return CreateMessageLogResult(log_id=None, return_message=NOT_SUPPORTED)
        log_id = _text_or_none(
            get_by_path(answer, self._mapping("createMessageLog").get("idPath") or "body.id")
        )
        return CreateMessageLogResult(
            log_id=log_id, return_message=ReturnMessage("Message logged", "success", 1000)
        )

    async def update_message_log(self, log_input: UpdateMessageLogInput, /) -> UpdateMessageLogResult:
        media = log_input.media
        message = log_input.message
        link = log_input.existing_message_log
        content, entry = self._composed(log_input)
        inputs = {
            "contactInfo": _contact_context(log_input.contact_info),
            "existingMessageLog": {
                "id": link.id,
                "conversationId": link.conversation_id,
                "conversationLogId": link.conversation_log_id,
                "thirdPartyLogId": link.third_party_log_id,
            },
            "thirdPartyLogId": link.third_party_log_id,
            "message": _message_context(message),
            "additionalSubmission": _submission(log_input.additional_submission),
            "imageLink": media.image_link,
            "videoLink": media.video_link,
            "creationTime": _iso(_parse_time(message.creation_time))
            if message is not None
            else _iso(datetime.now(UTC)),
            "composedLogDetails": content.body,
            "composedLogEntry": entry,
            "subject": content.subject,
        }
        answer = await self._request(
            "updateMessageLog", inputs, user=log_input.user, auth_header=log_input.auth_header
        )
        if answer is None:
            return UpdateMessageLogResult(return_message=NOT_SUPPORTED)
        return UpdateMessageLogResult(return_message=ReturnMessage("Message log updated", "success", 3000))


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


class _GetUserList(ProxyConnector, ListsUsers):
    async def get_user_list(self, admin: CrmInput, /) -> Sequence[CrmUser]:
        answer = await self._request("getUserList", {}, user=admin.user, auth_header=admin.auth_header)
        mapping = self._mapping("getUserList")
        if answer is None or not mapping.get("listPath"):
            return []
        items = get_by_path(answer, mapping["listPath"])
        if not isinstance(items, list):
            return []
        users = []
        for item in items:
            user_id = get_by_path(item, mapping.get("idPath") or "id")
            if user_id in (None, "", UNDEFINED) or isinstance(user_id, dict | list | bool):
                continue
            email = get_by_path(item, mapping.get("emailPath") or "email")
            users.append(
                CrmUser(
                    id=user_id,
                    name=js_string(get_by_path(item, mapping.get("namePath") or "name")),
                    email=_text_or_none(email),
                )
            )
        return users


class _GetLicenseStatus(ProxyConnector, ReportsLicenseStatus):
    async def get_license_status(self, query: GetLicenseStatusInput, /) -> LicenseStatus:
        if not query.user.access_token:
            return LicenseStatus(is_license_valid=False, license_status="Invalid (User not found)")
        inputs = {"userId": query.user_id, "platform": query.platform}
        answer = await self._request("getLicenseStatus", inputs, user=query.user, auth_header=None)
        mapping = self._mapping("getLicenseStatus")
        scope = answer or {}
        valid = get_by_path(scope, mapping.get("isLicenseValidPath") or "body.isLicenseValid")
        status = get_by_path(scope, mapping.get("licenseStatusPath") or "body.licenseStatus")
        description = get_by_path(
            scope, mapping.get("licenseStatusDescriptionPath") or "body.licenseStatusDescription"
        )
        return LicenseStatus(
            is_license_valid=valid is True,
            license_status=js_string(status),
            license_status_description=js_string(description),
        )


class _UnAuthorize(ProxyConnector, LogsOut):
    async def unauthorize(self, logout: UnauthorizeInput, /) -> UnAuthorizeResult:
        await self._request("unAuthorize", {}, user=logout.user, auth_header=None)
        return UnAuthorizeResult(successful=True, return_message=ReturnMessage("Logged out", "success", 1000))


class _OAuth(ProxyConnector, UsesOAuth):
    async def get_oauth_info(self, login: OAuthInfoInput, /) -> OAuthInfo:
        auth = self.config.auth
        token_url = login.token_url or str(auth.get("tokenUrl") or "")
        if login.hostname:
            token_url = token_url.replace("{hostname}", login.hostname)
        return OAuthInfo(
            client_id=str(auth.get("clientId") or ""),
            client_secret=self.config.client_secret,
            access_token_uri=token_url,
            redirect_uri=auth.get("redirectUri"),
            authorization_uri=auth.get("authorizationUri"),
            scopes=auth.get("scopes"),
        )


class _OAuthInBody(ProxyConnector, OverridesOAuthRequest):
    async def get_overriding_oauth_option(
        self, login: OAuthOptionInput, /
    ) -> OAuthTokenRequestOverride | None:
        body = {
            "client_id": login.oauth_info.client_id,
            "client_secret": login.oauth_info.client_secret or "",
        }
        if login.state:
            body["state"] = login.state
        return OAuthTokenRequestOverride(headers={"Authorization": None}, body=body)


_MIXINS: dict[str, type[ProxyConnector]] = {
    "getUserInfo": _GetUserInfo,
    "findContact": _FindContact,
    "findContactWithName": _FindContactWithName,
    "createContact": _CreateContact,
    "getCallLog": _GetCallLog,
    "upsertCallDisposition": _UpsertCallDisposition,
    "createMessageLog": _LogsMessages,
    "updateMessageLog": _LogsMessages,
    "getUserList": _GetUserList,
    "getLicenseStatus": _GetLicenseStatus,
    "unAuthorize": _UnAuthorize,
}


def proxy_connector_class(config: ProxyConfig) -> type[ProxyConnector]:
    """The connector class of one configuration: `ProxyConnector` plus one mixin per declared operation.

    Example::

        connector = proxy_connector_class(load_proxy_config("mycrm.json"))(context)
        isinstance(connector, FindsContacts)   # True only if the file declares findContact
    """
    bases: list[type[ProxyConnector]] = []
    for operation in config.operations:
        mixin = _MIXINS.get(operation)
        if mixin is not None and mixin not in bases:
            bases.append(mixin)
    if config.auth_type == "oauth":
        bases.append(_OAuth)
        if config.auth.get("tokenEndpointAuthMethod") == "client_secret_post":
            bases.append(_OAuthInBody)
    attributes = {
        "name": config.name,
        "config": config,
        "__doc__": f"Proxy connector {config.name} ({config.source}).",
    }
    cls: type[ProxyConnector] = type(f"ProxyConnector_{config.name}", (*bases, ProxyConnector), attributes)
    return cls
