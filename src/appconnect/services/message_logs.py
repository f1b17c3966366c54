"""Message logging: SMS, MMS, voicemail, fax, group SMS and shared-SMS conversations (spec §4).

Three ways a request is logged:
* **conversation-day** (the default): the messages of one `conversationLogId` (a conversation on
  one day) go into one CRM log, created by the first new message and added to by every later one
  (`update_message_log`), oldest first;
* **selected messages** (`selectedMessageIds`): exactly the selected messages, composed into one
  new CRM log;
* **shared SMS** (a truthy `logInfo.owner.name`): one CRM log per conversation, rewritten whole
  from the thread's timeline on every request.

Guarantees beyond the reference (spec §6 P-4, P-8): each message is reserved in the database
before any CRM write, so a message sent twice (even concurrently, even to two server processes)
reaches the CRM once; the conversation-day log is reserved the same way, so two messages of one
day arriving together make one CRM log; a failed CRM call releases what it reserved and stores
nothing, except a write whose outcome is unknown: its reservations stay for the request's outbox
job, which looks the write up in the CRM before it sends anything again (`_reconcile`).
Lookups are scoped to the caller's platform (and, for `/messageLog/match`, user).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy.exc import SQLAlchemyError

from appconnect.compose import (
    LogFormat,
    MessageLogContent,
    MessageMedia,
    compose_message_log,
    compose_shared_sms_log,
    is_truthy,
    message_media,
)
from appconnect.connectors.base import FindsCreatedMessageLogs, LogsMessages
from appconnect.connectors.inputs import (
    CreateMessageLogInput,
    FindCreatedMessageLogInput,
    FindMessageLogUpdateInput,
    MessageRecord,
    UpdateMessageLogInput,
)
from appconnect.connectors.types import ContactInfo, CreateMessageLogResult, message_to_wire
from appconnect.contract import MessageLogMatchRequest, MessageLogRequest
from appconnect.crm_http import CrmUnavailable, CrmUncertain
from appconnect.domain import MessageLogLink, User
from appconnect.services.call_logs import COMPOSED_FORMATS, PENDING_POLL_SECONDS, submission
from appconnect.services.contacts import contact_cache_key
from appconnect.services.context import ServerContext
from appconnect.services.crm import CrmSession
from appconnect.services.identity import hashed_account_id
from appconnect.services.messages import (
    CONTACT_NOT_FOUND,
    DATABASE_FAILED,
    MESSAGE_LOG_PENDING,
    NO_MESSAGE_TO_LOG,
    unsupported,
    warning,
)
from appconnect.services.outbox import (
    CREATE_MESSAGE_LOG,
    Attempt,
    account_key,
    backoff_seconds,
    enqueue_behind,
    enqueue_leased,
    jobs_ahead,
    message_order_key,
    queued_outcome,
)
from appconnect.services.outcomes import Answered, Outcome
from appconnect.services.outcomes import fail as _fail
from appconnect.services.reservations import ConversationLogClaim, Held, MessagesClaim, NotRecorded, holding
from appconnect.store.message_logs import PENDING, ConversationReservation, MessageLogRepository
from appconnect.store.outbox import Job, JobSpec

log = structlog.get_logger(__name__)

OPERATION = "createMessageLog"


def _js_text(value: object) -> str:
    return "undefined" if value is None else str(value)


def _is_missing_contact(contact_id: object) -> bool:
    """Falsy, or numeric 0 (spec §6 P-5); the string "0" is a contact."""
    return not is_truthy(contact_id)


async def _usable_user(context: ServerContext, user_id: str | None, platform: str) -> User | None:
    if not user_id:
        return None
    user = await context.store.users.get(user_id, platform)
    return user if user is not None and user.is_usable else None


@dataclass(frozen=True)
class _Request:
    """What one POST /messageLog works with once the caller is authenticated (the CRM session apart:
    each connector call returns the session to use next)."""

    context: ServerContext
    connector: LogsMessages
    platform: str
    user_id: str
    request: MessageLogRequest
    contact: ContactInfo
    log_format: str
    hashed_account_id: str
    conversation_id: str | None
    conversation_log_id: str
    is_group: bool

    @property
    def repository(self) -> MessageLogRepository:
        return self.context.store.message_logs

    def key_of(self, message: Mapping[str, Any]) -> str:
        return str(message["id"])

    def link_for(self, message: Mapping[str, Any]) -> MessageLogLink:
        return MessageLogLink(
            id=self.key_of(message),
            platform=self.platform,
            conversation_id=self.conversation_id,
            conversation_log_id=self.conversation_log_id,
            third_party_log_id=None,
            user_id=self.user_id,
            state=PENDING,
        )

    @property
    def assignee_name(self) -> str | None:
        name = (self.request.log_info.assignee or {}).get("name")
        return str(name) if name else None

    @property
    def owner_name(self) -> str | None:
        name = (self.request.log_info.owner or {}).get("name")
        return str(name) if name else None

    def log_fields(self, conversation_log_id: str | None = None) -> dict[str, Any]:
        return {"conversation_log_id": conversation_log_id or self.conversation_log_id}

    def create_input(
        self,
        crm: CrmSession,
        *,
        message: MessageRecord | None = None,
        messages: tuple[MessageRecord, ...] = (),
        content: MessageLogContent | None = None,
        media: MessageMedia | None = None,
        correspondents: tuple[Sequence[Mapping[str, Any]], ...] = (),
        shared_sms: bool = False,
    ) -> CreateMessageLogInput:
        """The input of a `create_message_log`; shared SMS names no assignee or owner (spec §5.5)."""
        return CreateMessageLogInput(
            user=crm.user,
            auth_header=crm.auth_header,
            contact_info=self.contact,
            message=message,
            messages=messages,
            shared_sms_log_content=content,
            media=media or MessageMedia(),
            additional_submission=submission(self.request.additional_submission),
            correspondents=correspondents,
            assignee_name=None if shared_sms else self.assignee_name,
            owner_name=None if shared_sms else self.owner_name,
            hashed_account_id=self.hashed_account_id,
        )

    def update_input(
        self,
        crm: CrmSession,
        existing: MessageLogLink,
        *,
        message: MessageRecord | None = None,
        content: MessageLogContent | None = None,
        media: MessageMedia | None = None,
        shared_sms: bool = False,
    ) -> UpdateMessageLogInput:
        """The input of an `update_message_log` (see `create_input`)."""
        return UpdateMessageLogInput(
            user=crm.user,
            auth_header=crm.auth_header,
            contact_info=self.contact,
            existing_message_log=existing,
            message=message,
            shared_sms_log_content=content,
            media=media or MessageMedia(),
            additional_submission=submission(self.request.additional_submission),
            assignee_name=None if shared_sms else self.assignee_name,
            owner_name=None if shared_sms else self.owner_name,
        )


async def create_message_log(
    context: ServerContext,
    *,
    user_id: str | None,
    platform: str,
    request: MessageLogRequest,
    rc_account_id_header: str | None,
    job: Job | None = None,
) -> Outcome:
    """POST /messageLog: log the request's messages and answer the contract's body.

    Durable as a call-log create is: the request records a job, leased to it, before its first
    CRM write. A transient failure leaves the job queued (the extension is told the messages will
    be logged automatically); a write whose outcome is unknown (a timeout after sending, a 502/504
    after the POST) also keeps its reservations, and a crash leaves them with the leased job.

    With `job`, the outbox worker delivers it: what an earlier attempt may have written is
    resolved first (`_reconcile`: looked up, recorded when found), the messages logged meanwhile
    are skipped (they are reserved), the others are logged now.
    """
    connector = context.registry.get(platform)
    log_info = request.log_info
    if not log_info.messages:
        return _fail(NO_MESSAGE_TO_LOG)
    contact_number = log_info.correspondents[0].phone_number
    user = await _usable_user(context, user_id, platform)
    if user is None:
        if job is not None:
            await Attempt(context, job, inline=False).dead("user not found")
        return _fail(CONTACT_NOT_FOUND)
    try:
        crm = await CrmSession.open(context, connector, user, operation=OPERATION)
    except Answered as answered:
        if job is not None:
            return await Attempt(context, job, inline=False).failed(answered)
        return answered.outcome
    if _is_missing_contact(request.contact_id):
        return _fail(warning(f"Contact not found for number {_js_text(contact_number)}"))
    if not isinstance(connector, LogsMessages):
        log.warning("connector does not log messages", platform=platform)
        return _fail(unsupported(OPERATION, platform))
    is_group = len(log_info.correspondents) > 1
    suffix = f"-{request.contact_id}" if is_group else ""
    work = _Request(
        context=context,
        connector=connector,
        platform=platform,
        user_id=crm.user.id,
        request=request,
        contact=ContactInfo(
            id=request.contact_id,  # type: ignore[arg-type]  # checked by _is_missing_contact
            phone_number=contact_number,
            type=request.contact_type or "",
            name=request.contact_name or "",
        ),
        log_format=connector.get_log_format_type(crm.user),
        hashed_account_id=hashed_account_id(
            rc_account_id_header, log_info.account_id, context.secrets.hash_key
        ),
        conversation_id=None if log_info.conversation_id is None else f"{log_info.conversation_id}{suffix}",
        conversation_log_id=f"{log_info.conversation_log_id}{suffix}",
        is_group=is_group,
    )
    spec = JobSpec(
        kind=CREATE_MESSAGE_LOG,
        platform=platform,
        user_id=crm.user.id,
        order_key=message_order_key(platform, work.conversation_log_id),
        account_key=account_key(platform, crm.user.hostname, crm.user.id),
        payload={
            "request": request.model_dump(mode="json", by_alias=True, exclude_unset=True),
            "rcAccountId": rc_account_id_header,
        },
    )
    if job is None:
        if await jobs_ahead(context, spec.order_key):
            return await enqueue_behind(context, spec)  # after the queued messages of this conversation
        try:
            attempt = await enqueue_leased(context, spec)
        except SQLAlchemyError as error:
            log.error("recording the outbox job failed", platform=platform, error_type=type(error).__name__)
            return _fail(DATABASE_FAILED)
    else:
        attempt = Attempt(context, job, inline=False)
        if await _other_attempt_running(context, job):  # its reservations are not ours to resolve
            await context.store.outbox.reschedule(
                job.id,
                delay_seconds=backoff_seconds(context, 1, None),
                error="another attempt of this conversation is in flight",
                maybe_sent=job.maybe_sent,
            )
            return queued_outcome(CREATE_MESSAGE_LOG)
    try:
        async with asyncio.timeout(context.settings.outbox_lease_seconds * 0.9):
            if job is not None:
                # Always, not only when `maybe_sent`: an earlier attempt whose lookup failed (a
                # 503) was rescheduled as a certain failure, but left its reservations to resolve.
                crm = await _reconcile(work, crm)
            outcome = await _log_request(work, crm)
    except Answered as answered:
        return await attempt.failed(answered)
    except NotSentAgain:
        await attempt.dead("a message log may have reached the CRM and this connector cannot look it up")
        return queued_outcome(CREATE_MESSAGE_LOG)
    except TimeoutError as error:  # the attempt outlived its lease: what it wrote last is unknown
        failure = Answered(queued_outcome(CREATE_MESSAGE_LOG))
        failure.__cause__ = error
        return await attempt.failed(failure)
    except NotRecorded:
        return _fail(DATABASE_FAILED)  # the job stays leased: a worker looks the log up, never re-sends
    except SQLAlchemyError as error:
        log.error(
            "message log bookkeeping failed",
            platform=platform,
            conversation_log_id=work.conversation_log_id,
            error_type=type(error).__name__,
        )
        return _fail(DATABASE_FAILED)
    if outcome.body.get("returnMessage") == MESSAGE_LOG_PENDING:
        pending = Answered(outcome)  # another attempt is creating the day's log: try again later
        pending.__cause__ = CrmUnavailable("the conversation log is still being created")
        return await attempt.failed(pending)
    await attempt.delivered()
    return outcome


class NotSentAgain(Exception):
    """A message-log write that may have reached the CRM, for a connector that cannot look it up."""


def _is_unknown(error: BaseException | None) -> bool:
    """The CRM may have applied the write: a timeout after sending, or the attempt cut short."""
    return isinstance(error, CrmUncertain | TimeoutError | asyncio.CancelledError)


@asynccontextmanager
async def _kept_if_unknown(*claims: tuple[Held, Sequence[str] | None]) -> AsyncIterator[None]:
    """Around one CRM write: when its outcome is unknown, its reservations stay pending (not
    released) for the outbox job to resolve (`_reconcile`), so nothing can log them again meanwhile."""
    try:
        yield
    except (Answered, asyncio.CancelledError) as error:
        if _is_unknown(error.__cause__ if isinstance(error, Answered) else error):
            for held, keys in claims:
                held.keep(keys)
        raise


async def _other_attempt_running(context: ServerContext, job: Job) -> bool:
    """Another job of this conversation is being attempted now (a request's first attempt)."""
    moment = datetime.now(UTC)
    return any(
        other.id != job.id and other.lease_until is not None and other.lease_until > moment
        for other in await context.store.outbox.queued_for(job.order_key)
    )


async def _reconcile(work: _Request, crm: CrmSession) -> CrmSession:
    """Resolve the write an earlier attempt of this job may have made, before anything is sent.

    The job is the first of its conversation and no other attempt of it is running, so every
    pending reservation of the request's messages (and of its conversation log) is that
    attempt's: left by a write whose outcome is unknown, or by a process that died. Writes are
    made oldest message first, one at a time, so only the first pending one may have reached the
    CRM: it is looked up (`FindsCreatedMessageLogs`) and recorded when found; the others were
    never sent and are released, as is the first when it is not found (then it is sent again).

    Raises:
        NotSentAgain: a write may have reached the CRM and the connector has no lookup; the
            reservations are released (an operator's retry of the dead job sends them).
    """
    if work.request.selected_message_ids:
        return await _reconcile_selected(work, crm)
    if is_truthy((work.request.log_info.owner or {}).get("name")):
        return await _reconcile_shared_sms(work, crm)
    return await _reconcile_conversation_day(work, crm)


def _finder(work: _Request) -> FindsCreatedMessageLogs | None:
    connector = work.connector
    return connector if isinstance(connector, FindsCreatedMessageLogs) else None


async def _pending_of(work: _Request, messages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    keys = [work.key_of(message) for message in messages]
    pending = {
        link.id
        for link in await work.repository.by_ids(keys, platform=work.platform)
        if link.state == PENDING
    }
    return [message for message in messages if work.key_of(message) in pending]


async def _found_create(
    work: _Request, crm: CrmSession, create: CreateMessageLogInput
) -> tuple[str | None, CrmSession]:
    finder = _finder(work)
    if finder is None:
        raise NotSentAgain
    found, crm = await crm.run(
        finder.find_created_message_log,
        FindCreatedMessageLogInput(user=crm.user, auth_header=crm.auth_header, create=create),
        step="look up an earlier create",
        **work.log_fields(),
    )
    if found.log_id:
        log.info("outbox found the message log an earlier attempt created", **work.log_fields())
        return str(found.log_id), crm
    return None, crm


async def _reconcile_conversation_day(work: _Request, crm: CrmSession) -> CrmSession:
    repository = work.repository
    pending = await _pending_of(work, _messages_oldest_first(work))
    day = await repository.conversation_log(work.conversation_log_id, platform=work.platform)
    if not pending:
        if day is not None and day.state == PENDING:
            await repository.release_conversation_log(day)  # no message was being sent to it
        return crm
    first, rest = pending[0], [work.key_of(message) for message in pending[1:]]
    key = work.key_of(first)
    record = MessageRecord.of(first)
    media = message_media(first, rc_access_token=work.request.log_info.rc_access_token)
    try:
        if day is not None and day.state == PENDING:  # the create of the day's log may have landed
            correspondents = await _group_correspondents(work, crm) if work.is_group else ()
            create = work.create_input(crm, message=record, media=media, correspondents=correspondents)
            log_id, crm = await _found_create(work, crm, create)
            if log_id is not None:
                await repository.confirm_conversation_log(day, log_id)
                await repository.confirm_messages([key], platform=work.platform, third_party_log_id=log_id)
            else:
                await repository.release_conversation_log(day)
                rest.insert(0, key)
        elif day is not None and day.third_party_log_id:  # the message may have been added to it
            finder = _finder(work)
            if finder is None:
                raise NotSentAgain
            landed, crm = await crm.run(
                finder.find_message_log_update,
                FindMessageLogUpdateInput(
                    user=crm.user,
                    auth_header=crm.auth_header,
                    update=work.update_input(crm, day, message=record, media=media),
                ),
                step="look up an earlier add",
                **work.log_fields(),
            )
            if landed:
                log.info("outbox found the message an earlier attempt added", **work.log_fields())
                await repository.confirm_messages(
                    [key], platform=work.platform, third_party_log_id=str(day.third_party_log_id)
                )
            else:
                rest.insert(0, key)
        else:  # no day log was being created: nothing was sent
            rest.insert(0, key)
    except NotSentAgain:
        if day is not None and day.state == PENDING:
            await repository.release_conversation_log(day)
        await repository.release_messages([key, *rest], platform=work.platform)
        raise
    await repository.release_messages(rest, platform=work.platform)
    return crm


async def _reconcile_selected(work: _Request, crm: CrmSession) -> CrmSession:
    picked = _picked(work)
    pending = await _pending_of(work, picked)
    if not pending:
        return crm
    keys = [work.key_of(message) for message in pending]
    try:
        log_id, crm = await _found_create(work, crm, await _selected_create(work, crm, pending))
    except NotSentAgain:
        await work.repository.release_messages(keys, platform=work.platform)
        raise
    if log_id is not None:
        await work.repository.confirm_messages(keys, platform=work.platform, third_party_log_id=log_id)
    else:
        await work.repository.release_messages(keys, platform=work.platform)
    return crm


async def _reconcile_shared_sms(work: _Request, crm: CrmSession) -> CrmSession:
    """A shared conversation's log is rewritten whole by every request, so only its create needs
    resolving (a rewrite is simply sent again)."""
    conversation_log_id = str(work.request.log_info.conversation_log_id)
    repository = work.repository
    day = await repository.conversation_log(conversation_log_id, platform=work.platform)
    if day is None or day.state != PENDING:
        return crm
    try:
        log_id, crm = await _found_create(
            work, crm, work.create_input(crm, content=_shared_content(work, crm), shared_sms=True)
        )
    except NotSentAgain:
        await repository.release_conversation_log(day)
        raise
    if log_id is None:
        await repository.release_conversation_log(day)
        return crm
    await repository.confirm_conversation_log(day, log_id)
    await repository.add(_shared_link(work, log_id))
    return crm


async def _log_request(work: _Request, crm: CrmSession) -> Outcome:
    """The request's messages, logged the way the request asks (see the module docstring)."""
    if work.request.selected_message_ids:
        return await _log_selected(work, crm)
    if is_truthy((work.request.log_info.owner or {}).get("name")):
        return await _log_shared_sms(work, crm)
    return await _log_conversation_day(work, crm)


def _messages_oldest_first(work: _Request) -> list[dict[str, Any]]:
    """The request's messages as sent, oldest first (the received list reversed, never sorted).

    Group SMS suffixes each id with the contact id, and a message repeated inside one request is
    kept once.
    """
    ordered: list[dict[str, Any]] = []
    seen: set[str] = set()
    for record in reversed(work.request.log_info.messages):
        message = record.wire()
        if work.is_group:
            message["id"] = f"{message['id']}-{work.request.contact_id}"
        key = work.key_of(message)
        if key not in seen:
            seen.add(key)
            ordered.append(message)
    return ordered


async def _claim(
    work: _Request, messages: Sequence[dict[str, Any]]
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Reserve the messages nobody has logged yet.

    Returns:
        The messages this request now owns (oldest first), and the CRM log of every message that
        was already logged.
    """
    keys = [work.key_of(message) for message in messages]
    known = {link.id: link for link in await work.repository.by_ids(keys, platform=work.platform)}
    already = {
        key: str(link.third_party_log_id)
        for key, link in known.items()
        if link.state != PENDING and link.third_party_log_id
    }
    fresh = [message for message in messages if work.key_of(message) not in known]
    ours = await work.repository.reserve_messages([work.link_for(message) for message in fresh])
    return [message for message in fresh if work.key_of(message) in ours], already


def _answer(log_ids: list[str], return_message: Any, message_logs: dict[str, str]) -> Outcome:
    return Outcome(
        body={
            "successful": True,
            "returnMessage": return_message,
            "logIds": log_ids,
            "messageLogs": message_logs,
        }
    )


async def _settled_conversation_log(
    work: _Request, crm: CrmSession, conversation_log_id: str
) -> ConversationReservation | None:
    """The conversation-day log to write to: ours to create, or a created one to add to.

    Waits (bounded by `create_wait_seconds`) while another request is creating it, and takes over
    when that request gives up. None when it is still pending at the deadline.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + work.context.settings.create_wait_seconds
    while True:
        reservation: ConversationReservation = await work.repository.reserve_conversation_log(
            conversation_log_id,
            platform=work.platform,
            conversation_id=work.conversation_id,
            user_id=work.user_id,
        )
        if reservation.is_ours or reservation.link.state != PENDING:
            return reservation
        if loop.time() >= deadline:
            return None
        await asyncio.sleep(PENDING_POLL_SECONDS)


def _declined(created: CreateMessageLogResult) -> Outcome:
    """Creates returned no log id (e.g. no usable activity type) and nothing of the request was logged:
    `successful: false` with the connector's message, so the agent sees why."""
    return _fail(message_to_wire(created.return_message))


async def _log_conversation_day(work: _Request, crm: CrmSession) -> Outcome:
    """Spec §4.2: one CRM log per `conversationLogId`, created once, then added to.

    Messages are reserved up front; each is confirmed once its CRM write succeeded, and whatever is
    left when the request stops (a failure) or was declined (a create with no log id) is released
    for the next attempt.
    """
    repository, connector = work.repository, work.connector
    todo, message_logs = await _claim(work, _messages_oldest_first(work))
    log_ids: list[str] = []
    return_message: Any = None
    rc_access_token = work.request.log_info.rc_access_token
    correspondents = await _group_correspondents(work, crm) if work.is_group and todo else ()
    declined: CreateMessageLogResult | None = None
    claim = MessagesClaim(repository, work.platform, tuple(work.key_of(message) for message in todo))
    async with holding(claim, **work.log_fields()) as messages:
        for message in todo:
            key = work.key_of(message)
            record = MessageRecord.of(message)
            media = message_media(message, rc_access_token=rc_access_token)
            reservation = await _settled_conversation_log(work, crm, work.conversation_log_id)
            if reservation is None:
                return _fail(MESSAGE_LOG_PENDING)
            if reservation.is_ours:
                async with holding(
                    ConversationLogClaim(repository, reservation.link), **work.log_fields()
                ) as day:
                    async with _kept_if_unknown((day, None), (messages, [key])):
                        created, crm = await crm.run(
                            connector.create_message_log,
                            work.create_input(
                                crm, message=record, media=media, correspondents=correspondents
                            ),
                            **work.log_fields(),
                        )
                    if created.log_id:
                        await day.confirm(str(created.log_id))
                return_message = message_to_wire(created.return_message)
                if not created.log_id:
                    # Nothing is stored; the next message finds no log and creates one (spec §4.2).
                    declined = created
                    await messages.release(keys=[key])
                    continue
                crm_log_id = str(created.log_id)
            else:
                async with _kept_if_unknown((messages, [key])):
                    updated, crm = await crm.run(
                        connector.update_message_log,
                        work.update_input(crm, reservation.link, message=record, media=media),
                        **work.log_fields(),
                    )
                return_message = message_to_wire(updated.return_message)
                crm_log_id = str(reservation.link.third_party_log_id)
            await messages.confirm(crm_log_id, keys=[key])
            log_ids.append(key)
            message_logs[key] = crm_log_id
    if declined is not None and not log_ids:
        return _declined(declined)
    return _answer(log_ids, return_message, message_logs)


def _picked(work: _Request) -> list[dict[str, Any]]:
    """`selectedMessageIds`: the request's messages that were selected, oldest first."""
    wanted = {str(item) for item in work.request.selected_message_ids or ()}
    suffix = f"-{work.request.contact_id}" if work.is_group else ""
    return [
        message
        for message in _messages_oldest_first(work)
        if work.key_of(message).removesuffix(suffix) in wanted or work.key_of(message) in wanted
    ]


async def _selected_create(
    work: _Request, crm: CrmSession, todo: Sequence[dict[str, Any]]
) -> CreateMessageLogInput:
    """The create of one log composed of `todo` (the same for a retry or a lookup)."""
    token = work.request.log_info.rc_access_token
    content = compose_message_log(
        list(todo),
        log_format=work.log_format if work.log_format in COMPOSED_FORMATS else LogFormat.PLAIN,
        contact_name=work.contact.name,
        contact_number=work.contact.phone_number,
        timezone_offset=crm.user.timezone_offset,
        media={work.key_of(message): message_media(message, rc_access_token=token) for message in todo},
    )
    correspondents = await _group_correspondents(work, crm) if work.is_group else ()
    return work.create_input(
        crm,
        messages=tuple(MessageRecord.of(message) for message in todo),
        content=content,
        correspondents=correspondents,
    )


async def _log_selected(work: _Request, crm: CrmSession) -> Outcome:
    """`selectedMessageIds`: exactly those messages, composed into one new CRM log."""
    picked = _picked(work)
    if not picked:
        return _fail(NO_MESSAGE_TO_LOG)
    todo, message_logs = await _claim(work, picked)
    if not todo:
        return _answer([], None, message_logs)
    keys = [work.key_of(message) for message in todo]
    create = await _selected_create(work, crm, todo)
    async with holding(
        MessagesClaim(work.repository, work.platform, tuple(keys)), **work.log_fields()
    ) as held:
        async with _kept_if_unknown((held, None)):
            created, crm = await crm.run(work.connector.create_message_log, create, **work.log_fields())
        if created.log_id:
            await held.confirm(str(created.log_id))
    if not created.log_id:
        return _declined(created)
    crm_log_id = str(created.log_id)
    message_logs.update(dict.fromkeys(keys, crm_log_id))
    return _answer(keys, message_to_wire(created.return_message), message_logs)


def _shared_content(work: _Request, crm: CrmSession) -> MessageLogContent:
    log_info = work.request.log_info
    return compose_shared_sms_log(
        log_format=work.log_format,
        conversation=log_info.wire(),
        contact_name=work.contact.name,
        timezone_offset=crm.user.timezone_offset,
    )


def _shared_link(work: _Request, crm_log_id: str) -> MessageLogLink:
    """The row that says a shared conversation is logged (its id is the `conversationLogId`)."""
    log_info = work.request.log_info
    conversation_log_id = str(log_info.conversation_log_id)
    return MessageLogLink(
        id=conversation_log_id,
        platform=work.platform,
        conversation_id=None if log_info.conversation_id is None else str(log_info.conversation_id),
        conversation_log_id=conversation_log_id,
        third_party_log_id=crm_log_id,
        user_id=work.user_id,
    )


async def _log_shared_sms(work: _Request, crm: CrmSession) -> Outcome:
    """Spec §4.5: one CRM log per shared conversation, rewritten whole each time.

    A shared conversation has no single message, owner or assignee (spec §5.5), so none is passed.
    """
    log_info = work.request.log_info
    conversation_log_id = str(log_info.conversation_log_id)  # never group-suffixed (P-8)
    fields = work.log_fields(conversation_log_id)
    content = _shared_content(work, crm)
    reservation = await _settled_conversation_log(work, crm, conversation_log_id)
    if reservation is None:
        return _fail(MESSAGE_LOG_PENDING)
    if not reservation.is_ours:
        updated, crm = await crm.run(
            work.connector.update_message_log,
            work.update_input(crm, reservation.link, content=content, shared_sms=True),
            **fields,
        )
        crm_log_id = str(reservation.link.third_party_log_id)
        return _answer([], message_to_wire(updated.return_message), {conversation_log_id: crm_log_id})
    async with holding(ConversationLogClaim(work.repository, reservation.link), **fields) as held:
        async with _kept_if_unknown((held, None)):
            created, crm = await crm.run(
                work.connector.create_message_log,
                work.create_input(crm, content=content, shared_sms=True),
                **fields,
            )
        if created.log_id:
            await held.confirm(str(created.log_id))
    if not created.log_id:
        return _declined(created)
    crm_log_id = str(created.log_id)
    await work.repository.add(_shared_link(work, crm_log_id))
    return _answer(
        [conversation_log_id], message_to_wire(created.return_message), {conversation_log_id: crm_log_id}
    )


async def _group_correspondents(work: _Request, crm: CrmSession) -> tuple[Sequence[Mapping[str, Any]], ...]:
    """Other CRM contacts of a group SMS, from the contact cache (spec §4.1 step 8).

    For every correspondent whose cached match is not the logged contact, the whole cached list.
    """
    rc_account_id = crm.user.rc_account_id
    if not rc_account_id:
        return ()
    found: list[Sequence[Mapping[str, Any]]] = []
    for correspondent in work.request.log_info.correspondents:
        if not correspondent.phone_number:
            continue
        cached = await work.context.store.account_data.get(
            rc_account_id, work.platform, contact_cache_key(correspondent.phone_number)
        )
        if not isinstance(cached, list) or not cached:
            continue
        first = cached[0]
        if isinstance(first, Mapping) and first.get("name") != work.contact.name:
            found.append(cached)
    return tuple(found)


async def match_message_logs(
    context: ServerContext, *, user_id: str | None, platform: str, request: MessageLogMatchRequest
) -> Outcome:
    """POST /messageLog/match: which of the asked messages are logged, and to which CRM log.

    With `messageIds`, one entry per asked id, in the order asked; with only `conversationId`,
    every logged message of that conversation. Scoped to the caller's platform and user.
    """
    asked = request.requested_ids()
    try:
        links = await context.store.message_logs.logged(
            platform=platform,
            user_id=user_id,
            conversation_id=None if request.conversation_id is None else str(request.conversation_id),
            message_ids=asked or None,
        )
    except SQLAlchemyError as error:
        log.error("message log lookup failed", platform=platform, error_type=type(error).__name__)
        return _fail(DATABASE_FAILED)
    # A shared-SMS conversation row (id == conversationLogId) stands for no single message.
    found = {link.id: str(link.third_party_log_id) for link in links if link.id != link.conversation_log_id}
    if asked:
        logs = [
            {"messageId": item, "matched": True, "logId": found[item]}
            if item in found
            else {"messageId": item, "matched": False}
            for item in asked
        ]
    else:
        logs = [{"messageId": item, "matched": True, "logId": log_id} for item, log_id in found.items()]
    message_logs = {item: found[item] for item in (asked or found) if item in found}
    return Outcome(
        body={"successful": True, "logs": logs, "messageLogs": message_logs, "returnMessage": None}
    )
