"""Request bodies of the HTTP contract, as pydantic models (camelCase on the wire).

Only the fields the server itself relies on are typed strictly (`logInfo`, `sessionId`, ...): a
missing or mistyped one is a 400 naming the field. Everything else is accepted as sent and passed
through to connectors unchanged, including fields this server does not know yet.

A call log is refused before any CRM is called when it cannot be written truthfully: a start time
the composer cannot read (it would write `Invalid date`), a duration that is not a number of
seconds (it would write `Duration: abc`), or a new call with neither party.
"""

from __future__ import annotations

import contextlib
import math
import re
from typing import Annotated, Any, Final, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    model_validator,
)
from pydantic_core import PydanticCustomError

from appconnect.compose import parse_start_time


class WireModel(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    def wire(self) -> dict[str, Any]:
        """The object as received (aliases, unknown fields kept, unset fields left out)."""
        return self.model_dump(by_alias=True, exclude_unset=True)


IdLike = StrictStr | StrictInt

PENDING_DURATION = "pending"
"""What the extension sends as `duration` while the call is still going on."""
# A decimal numeral, as JavaScript's `Number()` reads one (surrounding whitespace allowed).
_DECIMAL_SECONDS: Final = re.compile(r"\s*\+?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*", re.ASCII)


def _check_start_time(value: Any) -> Any:
    """A start time is epoch milliseconds (a number) or a date-time string the composer reads
    (ISO-8601, RFC 2822); `null` means "not known" and is left out of the log."""
    if value is None:
        return value
    readable = (isinstance(value, str) or _is_number(value)) and parse_start_time(value) is not None
    if not readable:
        raise PydanticCustomError(
            "start_time", "must be an ISO-8601 date-time or epoch milliseconds (a number)"
        )
    return value


def _check_duration(value: Any) -> Any:
    """A duration is a number of seconds or `"pending"`; `null` is written as `0 seconds`.

    A numeric string (`"300"`) is read as its number, as the reference's composer reads it, and
    passed on as that number so that every connector sees the same value (the reference's
    Pipedrive connector would otherwise record `00:00` beside a note saying `5 minutes`).
    """
    if value is None or value == PENDING_DURATION:
        return value
    seconds = math.nan
    if _is_number(value) or (isinstance(value, str) and _DECIMAL_SECONDS.fullmatch(value)):
        with contextlib.suppress(OverflowError):  # an integer beyond any float: not a duration
            seconds = float(value)
    if math.isfinite(seconds) and seconds >= 0:
        if not isinstance(value, str):
            return value
        return int(seconds) if seconds.is_integer() else seconds
    raise PydanticCustomError("duration", 'must be a number of seconds (0 or more) or "pending"')


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


StartTime = Annotated[StrictStr | StrictInt | float | None, BeforeValidator(_check_start_time)]
Duration = Annotated[StrictInt | float | StrictStr | None, BeforeValidator(_check_duration)]


class CallRecord(WireModel):
    """`logInfo` of POST /callLog: the RingCentral call record."""

    session_id: StrictStr = Field(alias="sessionId", min_length=1)
    telephony_session_id: StrictStr | None = Field(default=None, alias="telephonySessionId")
    id: IdLike | None = None
    account_id: IdLike | None = Field(default=None, alias="accountId")
    direction: str | None = None
    start_time: StartTime = Field(default=None, alias="startTime")
    duration: Duration = None
    result: str | None = None
    from_: dict[str, Any] | None = Field(default=None, alias="from")
    to: dict[str, Any] | None = None
    recording: dict[str, Any] | None = None
    voicemail: dict[str, Any] | None = None
    legs: list[Any] | None = None
    custom_subject: str | None = Field(default=None, alias="customSubject")
    extension_number: IdLike | None = Field(default=None, alias="extensionNumber")
    hashed_extension_id: StrictStr | None = Field(default=None, alias="hashedExtensionId")
    rc_extension_id: IdLike | None = Field(default=None, alias="rcExtensionId")

    @model_validator(mode="after")
    def _needs_a_party(self) -> CallRecord:
        # Without either party there is no contact number and no RingCentral user to write.
        if self.from_ is None and self.to is None:
            raise PydanticCustomError("call_parties", "from or to is required")
        return self


class AiArtefacts(WireModel):
    ai_note: str | None = Field(default=None, alias="aiNote")
    transcript: str | None = None
    ring_sense_transcript: str | None = Field(default=None, alias="ringSenseTranscript")
    ring_sense_summary: str | None = Field(default=None, alias="ringSenseSummary")
    ring_sense_ai_score: Any = Field(default=None, alias="ringSenseAIScore")
    ring_sense_bulleted_summary: str | None = Field(default=None, alias="ringSenseBulletedSummary")
    ring_sense_link: str | None = Field(default=None, alias="ringSenseLink")
    voicemail_link: str | None = Field(default=None, alias="voicemailLink")
    voicemail_message_id: IdLike | None = Field(default=None, alias="voicemailMessageId")
    additional_submission: dict[str, Any] | None = Field(default=None, alias="additionalSubmission")

    def ai_artefacts(self) -> dict[str, Any]:
        """The AI note, transcript and RingSense values, as the composer's and connectors' keywords."""
        return {
            "ai_note": self.ai_note,
            "transcript": self.transcript,
            "ring_sense_transcript": self.ring_sense_transcript,
            "ring_sense_summary": self.ring_sense_summary,
            "ring_sense_ai_score": self.ring_sense_ai_score,
            "ring_sense_bulleted_summary": self.ring_sense_bulleted_summary,
            "ring_sense_link": self.ring_sense_link,
        }


class CreateCallLogRequest(AiArtefacts):
    log_info: CallRecord = Field(alias="logInfo")
    contact_id: IdLike | None = Field(default=None, alias="contactId")
    contact_type: str | None = Field(default=None, alias="contactType")
    contact_name: str | None = Field(default=None, alias="contactName")
    note: str | None = None
    extension_number: IdLike | None = Field(default=None, alias="extensionNumber")
    hashed_extension_id: StrictStr | None = Field(default=None, alias="hashedExtensionId")
    rc_extension_id: IdLike | None = Field(default=None, alias="rcExtensionId")


class UpdateCallLogRequest(AiArtefacts):
    session_id: StrictStr = Field(alias="sessionId", min_length=1)
    extension_number: IdLike | None = Field(default=None, alias="extensionNumber")
    hashed_extension_id: StrictStr | None = Field(default=None, alias="hashedExtensionId")
    rc_extension_id: IdLike | None = Field(default=None, alias="rcExtensionId")
    account_id: IdLike | None = Field(default=None, alias="accountId")
    subject: str | None = None
    note: str | None = None
    start_time: StartTime = Field(default=None, alias="startTime")
    duration: Duration = None
    result: str | None = None
    direction: str | None = None
    from_: dict[str, Any] | None = Field(default=None, alias="from")
    to: dict[str, Any] | None = None
    legs: list[Any] | None = None
    recording_link: str | None = Field(default=None, alias="recordingLink")
    recording_download_link: str | None = Field(default=None, alias="recordingDownloadLink")


class DispositionRequest(WireModel):
    session_id: StrictStr = Field(alias="sessionId", min_length=1)
    extension_number: IdLike | None = Field(default=None, alias="extensionNumber")
    hashed_extension_id: StrictStr | None = Field(default=None, alias="hashedExtensionId")
    dispositions: dict[str, Any] | None = None
    additional_submission: dict[str, Any] | None = Field(default=None, alias="additionalSubmission")


class CacheNoteRequest(WireModel):
    session_id: StrictStr = Field(alias="sessionId", min_length=1)
    note: str | None = None


class CreateContactRequest(WireModel):
    phone_number: StrictStr = Field(alias="phoneNumber", min_length=1)
    new_contact_name: StrictStr = Field(alias="newContactName")
    new_contact_type: str | None = Field(default=None, alias="newContactType")
    additional_submission: dict[str, Any] | None = Field(default=None, alias="additionalSubmission")


NonEmptyStr = Annotated[StrictStr, Field(min_length=1)]
MessageId = NonEmptyStr | StrictInt
MessageType = Literal["SMS", "MMS", "Pager", "Text", "VoiceMail", "Fax"]


class RcMessage(WireModel):
    """One RingCentral Message Store record of `logInfo.messages` (passed to connectors as sent).

    `id` is required (it is the de-duplication key) and `type`, when given, must be a RingCentral
    message type; every other field passes through unchecked.
    """

    id: MessageId
    type: MessageType | None = None


class Correspondent(WireModel):
    phone_number: str | None = Field(default=None, alias="phoneNumber")
    name: str | None = None


class MessageConversation(WireModel):
    """`logInfo` of POST /messageLog: the messages of one conversation, newest first."""

    messages: list[RcMessage]
    correspondents: list[Correspondent] = Field(min_length=1)
    conversation_id: IdLike | None = Field(default=None, alias="conversationId")
    conversation_log_id: MessageId = Field(alias="conversationLogId")
    owner: dict[str, Any] | None = None
    assignee: dict[str, Any] | None = None
    entities: list[dict[str, Any]] | None = None
    creation_time: Any = Field(default=None, alias="creationTime")
    rc_access_token: str | None = Field(default=None, alias="rcAccessToken", repr=False)
    account_id: IdLike | None = Field(default=None, alias="accountId")


class MessageLogRequest(WireModel):
    log_info: MessageConversation = Field(alias="logInfo")
    contact_id: IdLike | None = Field(default=None, alias="contactId")
    contact_type: str | None = Field(default=None, alias="contactType")
    contact_name: str | None = Field(default=None, alias="contactName")
    additional_submission: dict[str, Any] | None = Field(default=None, alias="additionalSubmission")
    selected_message_ids: list[MessageId] | None = Field(default=None, alias="selectedMessageIds")


class MessageLogMatchRequest(WireModel):
    """POST /messageLog/match: which of these messages (or of this conversation) are logged.

    `messageIds` is a list or a comma-separated string; at least one of the two fields is required.
    """

    conversation_id: IdLike | None = Field(default=None, alias="conversationId")
    message_ids: list[MessageId] | StrictStr | None = Field(default=None, alias="messageIds")

    @model_validator(mode="after")
    def _needs_a_scope(self) -> MessageLogMatchRequest:
        if self.conversation_id in (None, "") and not self.requested_ids():
            raise ValueError("conversationId or messageIds is required")
        return self

    def requested_ids(self) -> list[str]:
        """The message ids asked about, as strings, in the order given."""
        if self.message_ids is None:
            return []
        raw = self.message_ids.split(",") if isinstance(self.message_ids, str) else self.message_ids
        return [text for text in (str(item).strip() for item in raw) if text]
