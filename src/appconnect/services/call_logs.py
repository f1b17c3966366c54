"""The call-log lifecycle: create once, update without losing anything, read back.

Guarantees beyond the reference (spec logging §6 P-1, P-4):
* a create reserves its linkage in the database before calling the CRM, so concurrent creates for
  one session (in any process) produce exactly one CRM activity; a failed create releases it;
* an update whose read of the current CRM body fails does not write anything (the CRM note stays
  as it was) and answers a clear message;
* an update for a session whose create is still in flight waits for it (bounded).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

import structlog
from sqlalchemy.exc import SQLAlchemyError

from appconnect.compose import UNSET, compose_call_log, parse_start_time
from appconnect.connectors.base import Connector, FindsCreatedCallLogs, ReadsCallLogs, SetsDispositions
from appconnect.connectors.inputs import (
    AdditionalSubmission,
    CallArtefacts,
    CallRecord,
    CreateCallLogInput,
    FindCreatedCallLogInput,
    FormValues,
    GetCallLogInput,
    UpdateCallLogInput,
    UpsertCallDispositionInput,
)
from appconnect.connectors.types import (
    CallLogInfo,
    ContactInfo,
    CreateCallLogResult,
    GetCallLogResult,
    message_to_wire,
)
from appconnect.contract import AiArtefacts, CreateCallLogRequest, DispositionRequest, UpdateCallLogRequest
from appconnect.domain import CallLogLink, User
from appconnect.services.context import ServerContext
from appconnect.services.crm import CrmSession
from appconnect.services.identity import extension_identity, hashed_account_id, identity_for_create
from appconnect.services.messages import (
    DATABASE_FAILED,
    USER_NOT_FOUND,
    ReturnMessageWire,
    crm_failure_message,
    unsupported,
    warning,
)
from appconnect.services.outbox import (
    CALL_DISPOSITION,
    CREATE_CALL_LOG,
    QUEUED_CALL,
    UPDATE_CALL_LOG,
    Attempt,
    accepted_keys,
    account_key,
    call_order_key,
    enqueue_behind,
    enqueue_leased,
    enqueue_leased_if_first,
    job_log,
    jobs_ahead,
    queued_outcome,
)
from appconnect.services.outcomes import Answered, Outcome
from appconnect.services.outcomes import fail as _fail
from appconnect.services.user_mapping import assigned_crm_user_id
from appconnect.store import ExtensionIdentity
from appconnect.store.call_logs import choose_link
from appconnect.store.outbox import QUEUED, Job, JobSpec

log = structlog.get_logger(__name__)

COMPOSED_FORMATS = ("text/plain", "text/html", "text/markdown")
MAX_SESSION_IDS = 5
PENDING_POLL_SECONDS = 0.05


def submission(values: Mapping[str, Any] | None) -> AdditionalSubmission | None:
    """The request's `additionalSubmission`, typed (None when the request had none)."""
    return AdditionalSubmission(values) if values is not None else None


def artefacts(request: AiArtefacts) -> CallArtefacts:
    """The AI note, transcript and RingSense values of a create or update request."""
    return CallArtefacts(**request.ai_artefacts())


def _text(value: object) -> str | None:
    return None if value is None or value == "" else str(value)


def _number(value: object) -> int | float | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _contact_number(log_info: dict[str, Any]) -> Any:
    side = log_info.get("from") if log_info.get("direction") == "Inbound" else log_info.get("to")
    return side.get("phoneNumber") if isinstance(side, dict) else None


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _is_missing_contact(contact_id: Any) -> bool:
    return not contact_id or (isinstance(contact_id, int | float) and contact_id == 0)


async def _usable_user(context: ServerContext, user_id: str | None, platform: str) -> User | None:
    if not user_id:
        return None
    user = await context.store.users.get(user_id, platform)
    return user if user is not None and user.is_usable else None


async def create_call_log(
    context: ServerContext,
    *,
    user_id: str | None,
    platform: str,
    request: CreateCallLogRequest,
    rc_account_id_header: str | None,
    is_from_sscl: bool,
    job: Job | None = None,
) -> Outcome:
    """POST /callLog, or (`job`) the outbox worker delivering one that was queued.

    The reservation and its outbox job are recorded before the CRM is called, so an accepted
    create is never lost: a transient failure leaves the job queued (the extension is told the
    log will be written automatically), a crash leaves it to a worker once its lease expires.
    """
    connector = context.registry.get(platform)
    log_info = request.log_info.wire()
    session_id = request.log_info.session_id
    who = identity_for_create(request, log_info, context.secrets.hash_key)
    order_key = call_order_key(platform, session_id, who)
    if job is None and await context.store.call_logs.existing(session_id, who, platform=platform) is not None:
        # A retry of a create the extension was told is queued (its reservation is held while it
        # waits) gets the same answer; a duplicate of a create still in its first attempt, or of
        # one made, is a duplicate.
        if await _held(context, order_key):
            return queued_outcome(CREATE_CALL_LOG)
        return _fail(warning(f"Existing log for session {session_id}", ttl=3000))
    user = await _usable_user(context, user_id, platform)
    if user is None:
        if job is not None:
            await Attempt(context, job, inline=False).dead("user not found")
        return _fail(USER_NOT_FOUND)
    note = request.note
    if context.settings.use_cache and is_from_sscl:
        note = await context.store.note_cache.get(session_id) or note
    try:
        crm = await CrmSession.open(context, connector, user, operation="createCallLog")
    except Answered as answered:
        if job is not None:
            return await Attempt(context, job, inline=False).failed(answered)
        return answered.outcome
    contact_number = _contact_number(log_info)
    if _is_missing_contact(request.contact_id):
        return _fail(warning(f"Contact not found for number {contact_number}"))
    contact = ContactInfo(
        id=request.contact_id,  # type: ignore[arg-type]  # checked by _is_missing_contact
        phone_number=contact_number,
        type=request.contact_type or "",
        name=request.contact_name or "",
    )
    log_format = connector.get_log_format_type(crm.user)
    voicemail: dict[str, Any] = _object(log_info.get("voicemail"))
    recording: dict[str, Any] = _object(log_info.get("recording"))
    voicemail_link = request.voicemail_link if request.voicemail_link is not None else voicemail.get("link")
    composed = ""
    if log_format in COMPOSED_FORMATS:
        composed = compose_call_log(
            log_format=log_format,
            existing_body="",
            call_log=log_info,
            contact_info={
                "id": contact.id,
                "phoneNumber": contact.phone_number,
                "type": contact.type,
                "name": contact.name,
            },
            user_settings=crm.user.user_settings,
            timezone_offset=crm.user.timezone_offset,
            note=note,
            subject=log_info.get("customSubject"),
            start_time=log_info.get("startTime"),
            duration=log_info.get("duration", UNSET),
            result=log_info.get("result"),
            recording_link=recording.get("link"),
            voicemail_link=voicemail_link,
            **request.ai_artefacts(),
        )
    record_id = str(log_info.get("telephonySessionId") or log_info.get("id") or session_id)
    if job is None:
        reservation = await context.store.call_logs.reserve(
            record_id=record_id,
            session_id=session_id,
            who=who,
            platform=platform,
            user_id=crm.user.id,
            contact_id=str(request.contact_id),
            checked=True,  # `existing` found nothing a moment ago
        )
        if not reservation.is_ours:
            return _fail(warning(f"Existing log for session {session_id}", ttl=3000))
        link = reservation.link
    else:
        held_link = await _job_reservation(
            context, job, record_id, session_id, who, platform, crm.user.id, request
        )
        if held_link is None:
            await context.store.outbox.complete(job.id)  # another create of this call already made it
            job_log("outbox job superseded", job)
            return _fail(warning(f"Existing log for session {session_id}", ttl=3000))
        link = held_link
    hashed_account = hashed_account_id(
        rc_account_id_header, log_info.get("accountId"), context.secrets.hash_key
    )
    call = CreateCallLogInput(
        user=crm.user,
        auth_header=crm.auth_header,
        contact_info=contact,
        call_log=CallRecord.of(log_info),
        note=note,
        artefacts=artefacts(request),
        composed_log_details=composed,
        additional_submission=submission(request.additional_submission),
        voicemail_link=_text(voicemail_link),
        voicemail_message_id=_text(
            request.voicemail_message_id
            if request.voicemail_message_id is not None
            else voicemail.get("messageId")
        ),
        hashed_account_id=hashed_account,
        is_from_sscl=is_from_sscl,
        assigned_crm_user_id=await assigned_crm_user_id(
            context, submission(request.additional_submission), hashed_account
        ),
    )
    if job is None:
        spec = JobSpec(
            kind=CREATE_CALL_LOG,
            platform=platform,
            user_id=crm.user.id,
            order_key=order_key,
            account_key=account_key(platform, crm.user.hostname, crm.user.id),
            payload={
                "request": request.model_dump(mode="json", by_alias=True, exclude_unset=True),
                "rcAccountId": rc_account_id_header,
                "isFromSscl": is_from_sscl,
            },
        )
        try:
            first = await enqueue_leased_if_first(context, spec)
            if first is None and await _held(context, order_key):
                # The call's earlier create is dead (its reservation was released): that job
                # holds the call, and the jobs behind it, for an operator's retry or drop.
                await context.store.call_logs.release(link)
                return queued_outcome(CREATE_CALL_LOG)
            attempt = first or await enqueue_leased(context, spec)
        except SQLAlchemyError as error:
            log.error(
                "recording the outbox job failed", session_id=session_id, error_type=type(error).__name__
            )
            await context.store.call_logs.release(link)
            return _fail(DATABASE_FAILED)
    else:
        attempt = Attempt(context, job, inline=False)
    calls = context.store.call_logs
    undo = (calls.release_statement(link),)
    try:
        async with asyncio.timeout(context.settings.outbox_lease_seconds * 0.9):
            result = await _create_or_find(crm, connector, call, reconcile=job is not None and job.maybe_sent)
    except LookupFailed as lookup:
        return await attempt.failed(lookup.answered, undo=undo, earlier_unresolved=True)
    except Answered as answered:
        return await attempt.failed(answered, undo=undo)
    except NotSentAgain:
        await attempt.dead(
            "the create may have reached the CRM and this connector cannot look it up; check the CRM, "
            "then drop this job (it is there) or retry it (it is not: the retry sends it)",
            undo=undo,
            retry_sends=True,
        )
        return _fail(QUEUED_CALL)
    except TimeoutError as error:  # the attempt outlived its lease: its outcome is unknown
        failure = Answered(_fail(QUEUED_CALL))
        failure.__cause__ = error
        return await attempt.failed(failure, undo=undo)
    if not result.log_id:
        await attempt.delivered(also=undo)  # the connector declined (no log id): nothing is owed
        return _fail(message_to_wire(result.return_message))
    try:
        await attempt.delivered(also=(calls.confirm_statement(link, str(result.log_id)),))
    except SQLAlchemyError as error:
        log.error(
            "CRM log written but not recorded",
            log_id=str(result.log_id),
            session_id=session_id,
            error_type=type(error).__name__,
        )  # the job stays (leased): a worker finds the activity by looking it up, never re-creates it
        return _fail(DATABASE_FAILED)
    return Outcome(
        body={
            "successful": True,
            "logId": result.log_id,
            "returnMessage": message_to_wire(result.return_message),
        }
    )


async def _held(context: ServerContext, order_key: str) -> bool:
    """Whether a job of this call failed and still waits (queued with an error, or dead)."""
    return any(job.last_error is not None for job in await context.store.outbox.queued_for(order_key))


class NotSentAgain(Exception):
    """A create that may have reached the CRM, for a connector that cannot look it up."""


class LookupFailed(Exception):
    """The look-up of what an earlier attempt may have created failed: that attempt is unresolved."""

    def __init__(self, answered: Answered) -> None:
        super().__init__("the look-up of an earlier create failed")
        self.answered = answered


async def _create_or_find(
    crm: CrmSession, connector: Connector, call: CreateCallLogInput, *, reconcile: bool
) -> CreateCallLogResult:
    """The create, or (`reconcile`: an earlier attempt may have reached the CRM) the log that
    attempt made, found through the connector's lookup; only when it finds none is it sent again.

    Raises:
        Answered: the CRM failed the create.
        LookupFailed: the CRM failed the lookup (the earlier attempt is still unresolved).
        NotSentAgain: reconciliation is needed and the connector has no lookup.
    """
    session_id = call.call_log.session_id
    if reconcile:
        if not isinstance(connector, FindsCreatedCallLogs):
            raise NotSentAgain
        try:
            found, crm = await crm.run(
                connector.find_created_call_log,
                FindCreatedCallLogInput(user=crm.user, auth_header=crm.auth_header, create=call),
                session_id=session_id,
                step="look up an earlier create",
            )
        except Answered as answered:
            raise LookupFailed(answered) from answered
        if found.log_id:
            log.info("outbox found the call log an earlier attempt created", session_id=session_id)
            return found
    result, crm = await crm.run(connector.create_call_log, call, session_id=session_id)
    return result


async def _job_reservation(
    context: ServerContext,
    job: Job,
    record_id: str,
    session_id: str,
    who: ExtensionIdentity,
    platform: str,
    user_id: str,
    request: CreateCallLogRequest,
) -> CallLogLink | None:
    """The pending reservation a queued create delivers (taken again if it was released, e.g.
    for a dead job retried by an operator); None when the call is logged already."""
    link = CallLogLink(
        id=record_id,
        session_id=session_id,
        extension_number=who.extension_number,
        hashed_extension_id=who.hashed_extension_id,
        platform=platform,
        third_party_log_id=None,
        user_id=user_id,
        contact_id=str(request.contact_id),
        state="pending",
    )
    current = await context.store.call_logs.get_exact(link)
    if current is not None:
        return current if current.state == "pending" else None
    reservation = await context.store.call_logs.reserve(
        record_id=record_id,
        session_id=session_id,
        who=who,
        platform=platform,
        user_id=user_id,
        contact_id=str(request.contact_id),
    )
    return reservation.link if reservation.is_ours else None


async def _first_update_attempt(
    context: ServerContext,
    session_id: str,
    who: ExtensionIdentity,
    *,
    platform: str,
    user_id: str | None,
    spec_for: Callable[[User], JobSpec],
) -> tuple[CallLogLink, User, Attempt] | None:
    """The path of nearly every update, in three statements: the call's log is made, its user is
    there, and nothing of the call is queued or in flight (the job is recorded only if the call
    has no job at all, in one statement). None: something else holds (a create in flight or
    queued, jobs waiting, no log, no user), and the caller takes the careful path, which looks."""
    link = await context.store.call_logs.find(session_id, who, platform=platform, user_id=user_id)
    if link is None or link.state == "pending":
        return None
    user = await _usable_user(context, user_id, platform)
    if user is None:
        return None
    attempt = await enqueue_leased_if_first(context, spec_for(user))
    return None if attempt is None else (link, user, attempt)


async def _settled_link(
    context: ServerContext, session_id: str, who: ExtensionIdentity, *, platform: str, user_id: str | None
) -> CallLogLink | None:
    """The created linkage for a session, waiting (bounded) while its create is in flight."""
    deadline = asyncio.get_running_loop().time() + context.settings.create_wait_seconds
    while True:
        link = await context.store.call_logs.find(session_id, who, platform=platform, user_id=user_id)
        if link is None or link.state != "pending":
            return link
        if asyncio.get_running_loop().time() >= deadline:
            return link
        await asyncio.sleep(PENDING_POLL_SECONDS)


async def update_call_log(
    context: ServerContext,
    *,
    user_id: str | None,
    platform: str,
    request: UpdateCallLogRequest,
    rc_account_id_header: str | None,
    is_from_sscl: bool,
    job: Job | None = None,
) -> Outcome:
    """PATCH /callLog, or (`job`) the outbox worker delivering one that was queued.

    An update of a call whose create (or an earlier update) is still queued is queued behind it;
    otherwise its job is recorded before the CRM is called, as for a create.
    """
    connector = context.registry.get(platform)
    who = extension_identity(
        extension_number=request.extension_number,
        hashed_extension_id=request.hashed_extension_id,
        rc_extension_id=request.rc_extension_id,
        hash_key=context.secrets.hash_key,
    )
    order_key = call_order_key(platform, request.session_id, who)

    def spec_for(user: User) -> JobSpec:
        return JobSpec(
            kind=UPDATE_CALL_LOG,
            platform=platform,
            user_id=user.id,
            order_key=order_key,
            account_key=account_key(platform, user.hostname, user.id),
            payload={
                "request": request.model_dump(mode="json", by_alias=True, exclude_unset=True),
                "rcAccountId": rc_account_id_header,
                "isFromSscl": is_from_sscl,
            },
        )

    ready = (
        None
        if job is not None
        else await _first_update_attempt(
            context, request.session_id, who, platform=platform, user_id=user_id, spec_for=spec_for
        )
    )
    if ready is not None:
        link, user, attempt = ready
    else:
        if job is None and await jobs_ahead(context, order_key, poll_seconds=PENDING_POLL_SECONDS):
            behind_user = await _usable_user(context, user_id, platform)
            if behind_user is None:
                return _fail(USER_NOT_FOUND)
            spec = spec_for(behind_user)
            if await _merged_behind(context, connector, behind_user, spec):
                return queued_outcome(UPDATE_CALL_LOG)
            return await enqueue_behind(context, spec)
        settled = await _settled_link(context, request.session_id, who, platform=platform, user_id=user_id)
        if settled is None or settled.state == "pending":
            message = (
                warning(f"Cannot find call log for session {request.session_id}", ttl=3000)
                if settled is None
                else warning("The call log is still being created. Please try again.", ttl=3000)
            )
            if job is not None:
                await Attempt(context, job, inline=False).dead(message["message"])
            return _fail(message)
        found_user = await _usable_user(context, user_id, platform)
        if found_user is None:
            if job is not None:
                await Attempt(context, job, inline=False).dead("user not found")
            return _fail(USER_NOT_FOUND)
        link, user = settled, found_user
        attempt = (
            await enqueue_leased(context, spec_for(user))
            if job is None
            else Attempt(context, job, inline=False)
        )
    hashed_account = hashed_account_id(rc_account_id_header, request.account_id, context.secrets.hash_key)
    try:
        crm = await CrmSession.open(context, connector, user, operation="updateCallLog")
        log_format = connector.get_log_format_type(crm.user)
        existing: CallLogInfo | None = None
        composed = ""
        if log_format in COMPOSED_FORMATS:
            if isinstance(connector, ReadsCallLogs):
                # A failed read answers here: composing from an empty body would blank the CRM note.
                current, crm = await crm.run(
                    connector.get_call_log,
                    GetCallLogInput(
                        user=crm.user,
                        auth_header=crm.auth_header,
                        call_log_id=str(link.third_party_log_id),
                        telephony_session_id=link.id,
                        contact_id=link.contact_id,
                    ),
                    session_id=request.session_id,
                    step="read before update",
                )
                existing = current.call_log_info
            composed = _compose_steps(job, request, link, existing, crm.user, log_format)
        result, crm = await crm.run(
            connector.update_call_log,
            UpdateCallLogInput(
                user=crm.user,
                auth_header=crm.auth_header,
                existing_call_log=link,
                composed_log_details=composed,
                existing_call_log_info=existing,
                subject=request.subject,
                note=request.note,
                start_time=parse_start_time(request.start_time),
                duration=_number(request.duration),
                result=request.result,
                recording_link=request.recording_link,
                recording_download_link=request.recording_download_link,
                voicemail_link=request.voicemail_link,
                voicemail_message_id=_text(request.voicemail_message_id),
                legs=tuple(leg for leg in request.legs or () if isinstance(leg, Mapping)),
                artefacts=artefacts(request),
                additional_submission=submission(request.additional_submission),
                hashed_account_id=hashed_account,
                is_from_sscl=is_from_sscl,
                assigned_crm_user_id=await assigned_crm_user_id(
                    context, submission(request.additional_submission), hashed_account
                ),
            ),
            session_id=request.session_id,
        )
    except Answered as answered:
        return await attempt.failed(answered)
    await attempt.delivered()
    body: dict[str, Any] = {
        "successful": True,
        "logId": link.third_party_log_id,
        "updatedNote": result.updated_note,
        "returnMessage": message_to_wire(result.return_message),
    }
    return Outcome(body={key: value for key, value in body.items() if value is not None or key == "logId"})


def compose_update(
    request: UpdateCallLogRequest,
    link: CallLogLink,
    existing: CallLogInfo | None,
    user: User,
    log_format: str,
    *,
    body: str | None = None,
) -> str:
    """The whole new body of an update: the CRM's current body (or `body`, the one an earlier
    update of a merged job composed) with this update's items upserted.

    The one place an update body is composed; connectors receive it as `composed_log_details`.
    """
    if body is not None:
        existing_body = body
    else:
        existing_body = (existing.full_body or existing.note or "") if existing is not None else ""
    return compose_call_log(
        log_format=log_format,
        existing_body=existing_body,
        call_log={
            "sessionId": link.session_id,
            "startTime": request.start_time,
            "duration": request.duration,
            "result": request.result,
            "direction": request.direction,
            "from": request.from_,
            "to": request.to,
            "legs": request.legs or [],
        },
        contact_info=None,
        user_settings=user.user_settings,
        timezone_offset=user.timezone_offset,
        note=request.note,
        subject=request.subject,
        start_time=request.start_time,
        duration=request.duration if "duration" in request.model_fields_set else UNSET,
        result=request.result,
        recording_link=request.recording_link,
        voicemail_link=request.voicemail_link,
        **request.ai_artefacts(),
    )


#: Update fields a later update of the same call replaces, in the CRM body (item by item) and in
#: the connector's fields: consecutive queued updates that carry only these (and the fields that
#: name the call, equal in both) are merged into one job (`_merged_behind`).
MERGEABLE_UPDATE_FIELDS = frozenset(
    {"duration", "result", "recordingLink", "recordingDownloadLink", "note", "subject", "startTime"}
)
SAME_CALL_FIELDS = frozenset(
    {
        "sessionId",
        "extensionNumber",
        "hashedExtensionId",
        "rcExtensionId",
        "accountId",
        "direction",
        "from",
        "to",
    }
)


def merge_updates(earlier: dict[str, Any], later: dict[str, Any], later_key: str) -> dict[str, Any] | None:
    """The payload of one update job delivering queued update `earlier` then `later` (payloads),
    or None when they cannot be merged (other fields, another call or account, another source).

    The merged job keeps each request as a step: the worker composes the steps one after another
    on the body it reads, exactly as applying them one by one would, and writes that body once;
    the connector's fields take each field's last value (`request`): the last final duration and
    result win, a recording link or note that only the earlier one carries survives.
    """
    if any(earlier.get(key) != later.get(key) for key in ("rcAccountId", "isFromSscl")):
        return None
    first: dict[str, Any] = earlier["request"]
    second: dict[str, Any] = later["request"]
    allowed = MERGEABLE_UPDATE_FIELDS | SAME_CALL_FIELDS
    if not set(first) <= allowed or not set(second) <= allowed:
        return None
    if any(first[key] != second[key] for key in SAME_CALL_FIELDS & set(first) & set(second)):
        return None
    return {
        **earlier,
        "request": {**first, **second},
        "steps": [*earlier.get("steps", [first]), second],
        "mergedKeys": [*earlier.get("mergedKeys", []), later_key],
    }


async def _merged_behind(context: ServerContext, connector: Connector, user: User, spec: JobSpec) -> bool:
    """Merge update `spec` into the last queued job of its call when that is an update no attempt
    holds and `merge_updates` allows it; whether the write is owed now (merged, or there already).

    Only for a connector whose updates recompose the body it reads (`ReadsCallLogs`, a composed
    format): there, composing the steps on one read gives the body that one write per update
    would have left.
    """
    if (
        not isinstance(connector, ReadsCallLogs)
        or connector.get_log_format_type(user) not in COMPOSED_FORMATS
    ):
        return False
    queued = await context.store.outbox.queued_for(spec.order_key)
    if not queued:
        return False
    if any(spec.dedupe_key in accepted_keys(job) for job in queued):
        return True  # the same request again: nothing new
    last = queued[-1]
    if last.kind != UPDATE_CALL_LOG or last.state != QUEUED or last.lease_until is not None:
        return False
    if last.user_id != spec.user_id:
        return False
    merged = merge_updates(last.payload, spec.payload, spec.dedupe_key)
    if merged is None or not await context.store.outbox.merge_into(last.id, payload=merged):
        return False
    job_log("outbox job merged", last, updates=len(merged["steps"]))
    return True


def _compose_steps(
    job: Job | None,
    request: UpdateCallLogRequest,
    link: CallLogLink,
    existing: CallLogInfo | None,
    user: User,
    log_format: str,
) -> str:
    """The body an update job writes: its request's, or a merged job's steps composed in turn."""
    steps: list[dict[str, Any]] = job.payload.get("steps", []) if job is not None else []
    if not steps:
        return compose_update(request, link, existing, user, log_format)
    body: str | None = None
    for step in steps:
        body = compose_update(
            UpdateCallLogRequest.model_validate(step), link, existing, user, log_format, body=body
        )
    return body or ""


async def get_call_logs(
    context: ServerContext,
    *,
    user_id: str | None,
    platform: str,
    session_ids: str | None,
    extension_number: str | None,
    hashed_extension_id: str | None,
    require_details: bool,
) -> Outcome:
    connector = context.registry.get(platform)
    user = await _usable_user(context, user_id, platform)
    if user is None or not session_ids:
        return _fail(None)
    requested = session_ids.split(",")[:MAX_SESSION_IDS]
    who = extension_identity(
        extension_number=extension_number, hashed_extension_id=hashed_extension_id, hash_key=None
    )
    links = [
        link
        for link in await context.store.call_logs.candidates(requested, platform=platform, user_id=user.id)
        if link.state == "created"
    ]
    chosen = {sid: choose_link([link for link in links if link.session_id == sid], who) for sid in requested}
    if not require_details:
        logs = [
            {"sessionId": link.session_id, "matched": True, "logId": link.third_party_log_id}
            if (link := chosen[sid]) is not None
            else {"sessionId": sid, "matched": False}
            for sid in requested
        ]
        return Outcome(body={"successful": True, "logs": logs, "returnMessage": None})
    if not isinstance(connector, ReadsCallLogs):
        return _fail(unsupported("getCallLog", platform))
    try:
        crm = await CrmSession.open(context, connector, user, operation="getCallLog")
    except Answered as answered:
        return answered.outcome
    reader = connector

    async def read(link: CallLogLink) -> GetCallLogResult:
        lookup = GetCallLogInput(
            user=crm.user,
            auth_header=crm.auth_header,
            call_log_id=str(link.third_party_log_id),
            telephony_session_id=link.id,
            contact_id=link.contact_id,
        )
        result, _ = await crm.run(reader.get_call_log, lookup, session_id=link.session_id)
        return result

    to_read = {sid: link for sid, link in chosen.items() if link is not None and not _numeric_zero(sid)}
    try:  # independent reads run concurrently; one failure fails the request, as the contract says
        results = dict(
            zip(to_read, await asyncio.gather(*(read(link) for link in to_read.values())), strict=True)
        )
    except Answered as answered:
        return answered.outcome
    entries: list[dict[str, Any]] = []
    return_message: Any = None
    for sid in requested:
        link = to_read.get(sid)
        if link is None:
            entries.append({"sessionId": sid, "matched": False})
            continue
        result = results[sid]
        info = result.call_log_info
        entry: dict[str, Any] = {
            "sessionId": link.session_id,
            "matched": True,
            "logId": link.third_party_log_id,
        }
        entry["logData"] = info.to_wire() if info is not None else None
        entries.append(entry)
        if result.return_message is not None:
            return_message = message_to_wire(result.return_message)
    body: dict[str, Any] = {"successful": True, "logs": entries}
    if return_message is not None:
        body["returnMessage"] = return_message
    return Outcome(body=body)


def _numeric_zero(session_id: str) -> bool:
    try:
        return float(session_id) == 0
    except ValueError:
        return session_id == ""


async def upsert_call_disposition(
    context: ServerContext,
    *,
    user_id: str | None,
    platform: str,
    request: DispositionRequest,
    job: Job | None = None,
) -> Outcome:
    """PUT/POST /callDisposition, or (`job`) the outbox worker delivering one that was queued.

    Durable as an update is: a disposition of a call whose create or update is still queued is
    queued behind it (it needs the CRM id the create brings), otherwise its job is recorded before
    the CRM is called, so a transient CRM failure leaves it queued rather than lost.
    """
    connector = context.registry.get(platform)
    who = extension_identity(
        extension_number=request.extension_number,
        hashed_extension_id=request.hashed_extension_id,
        hash_key=None,
    )
    order_key = call_order_key(platform, request.session_id, who)

    def spec_for(user: User) -> JobSpec:
        return JobSpec(
            kind=CALL_DISPOSITION,
            platform=platform,
            user_id=user.id,
            order_key=order_key,
            account_key=account_key(platform, user.hostname, user.id),
            payload={"request": request.model_dump(mode="json", by_alias=True, exclude_unset=True)},
        )

    async def give_up(message: ReturnMessageWire) -> Outcome:
        if job is not None:
            await Attempt(context, job, inline=False).dead(str(message.get("message")))
        return _fail(message)

    if job is None and await jobs_ahead(context, order_key, poll_seconds=PENDING_POLL_SECONDS):
        user = await context.store.users.get(user_id, platform) if user_id else None
        if user is None:
            return _fail(warning("Cannot find user", ttl=3000))
        if not isinstance(connector, SetsDispositions):
            return _fail(unsupported("upsertCallDisposition", platform))
        return await enqueue_behind(context, spec_for(user))
    link = await _settled_link(context, request.session_id, who, platform=platform, user_id=user_id)
    if link is None or link.state != "created":
        return await give_up(warning("Cannot find log", ttl=3000))
    user = await context.store.users.get(user_id, platform) if user_id else None
    if user is None:
        return await give_up(warning("Cannot find user", ttl=3000))
    if not isinstance(connector, SetsDispositions):
        return await give_up(unsupported("upsertCallDisposition", platform))
    attempt = (
        await enqueue_leased(context, spec_for(user)) if job is None else Attempt(context, job, inline=False)
    )
    try:
        crm = await CrmSession.open(context, connector, user, operation="upsertCallDisposition")
        result, crm = await crm.run(
            connector.upsert_call_disposition,
            UpsertCallDispositionInput(
                user=crm.user,
                auth_header=crm.auth_header,
                existing_call_log=link,
                dispositions=FormValues(request.dispositions),
            ),
            session_id=request.session_id,
        )
    except Answered as answered:
        return await attempt.failed(answered)
    await attempt.delivered()
    body: dict[str, Any] = {"successful": bool(result.log_id)}
    if result.return_message is not None:
        body["returnMessage"] = message_to_wire(result.return_message)
    return Outcome(body=body)


async def cache_note(context: ServerContext, *, session_id: str, note: str | None, platform: str) -> Outcome:
    try:
        await context.store.note_cache.put(session_id, note)
    except Exception as error:
        return _fail(crm_failure_message(error, operation="saveNoteCache", platform=platform))
    return Outcome(body={"successful": True, "returnMessage": "Note cache saved"})
