"""Compose a call-log body from the call data, the user's settings and the body already in the CRM.

Creating and updating a call log use the same function: an update starts from the CRM's current
body, so only the items the request carries are rewritten and what the agent typed in the CRM
stays (spec §3.7). Items are applied one by one, in the reference's order, each only when its
input is present (JavaScript truthiness) and the user's setting allows it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from ._js import UNSET, is_truthy
from .dates import DEFAULT_LOG_DATE_FORMAT
from .fields import (
    upsert_call_date_time,
    upsert_call_duration,
    upsert_call_result,
    upsert_call_session_id,
    upsert_call_subject,
    upsert_contact_phone_number,
    upsert_rc_number_and_extension,
    upsert_rc_user_name,
    upsert_ring_sense_ai_score,
)
from .formats import LogFormat
from .links import upsert_call_recording, upsert_ring_sense_link, upsert_voicemail_recording
from .note import upsert_call_agent_note
from .sections import (
    upsert_ai_note,
    upsert_legs,
    upsert_ring_sense_bulleted_summary,
    upsert_ring_sense_summary,
    upsert_ring_sense_transcript,
    upsert_transcript,
)

__all__ = ["compose_call_log"]

_NO_MAPPING: Final[Mapping[str, Any]] = {}


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else _NO_MAPPING


class _Settings:
    """The user's settings map `{settingId: {"value": ...}}`; a nullish value means the default."""

    def __init__(self, user_settings: Mapping[str, Any] | None) -> None:
        self._settings = _mapping(user_settings)

    def value(self, key: str) -> object:
        return _mapping(self._settings.get(key)).get("value")

    def on(self, key: str, *, default: bool) -> bool:
        value = self.value(key)
        return default if value is None else is_truthy(value)


def compose_call_log(
    *,
    log_format: str = LogFormat.PLAIN,
    existing_body: str = "",
    call_log: Mapping[str, Any] | None,
    contact_info: Mapping[str, Any] | None,
    user_settings: Mapping[str, Any] | None,
    timezone_offset: str | float | None,
    note: object = None,
    subject: object = None,
    start_time: object = None,
    duration: object = UNSET,
    result: object = None,
    recording_link: object = None,
    voicemail_link: object = None,
    ai_note: object = None,
    transcript: object = None,
    ring_sense_transcript: object = None,
    ring_sense_summary: object = None,
    ring_sense_ai_score: object = None,
    ring_sense_bulleted_summary: object = None,
    ring_sense_link: object = None,
) -> str:
    """Return the call-log body with every present, enabled item written into `existing_body`.

    Args:
        log_format: `text/plain` (the default), `text/html` or `text/markdown` (see
            `LogFormat`); any other format returns `""`.
        existing_body: the body in the CRM (empty when creating). Text outside the items stays.
        call_log: RingCentral call data with camelCase keys: `sessionId`, `direction`,
            `startTime`, `from`, `to`, `legs`.
        contact_info: the CRM contact; only `phoneNumber` is read. Updates pass `None`.
        user_settings: the user's stored settings, `{settingId: {"value": ...}}`.
        timezone_offset: the user's stored `timezoneOffset` (see `parse_offset`).
        note: the agent's note.
        subject: the call subject, written as `Summary`.
        start_time: the start time; falls back to `call_log["startTime"]`.
        duration: seconds. Leave it UNSET when the request had no duration: `None` (JSON null)
            and `0` still write `0 seconds`.
        result: the call result.
        recording_link: the call recording URL (or a placeholder until it exists).
        voicemail_link: the voicemail recording URL.
        ai_note: the AI-generated note.
        transcript: the call transcript.
        ring_sense_transcript: the RingSense (ACE) transcript.
        ring_sense_summary: the RingSense (ACE) summary.
        ring_sense_ai_score: the RingSense (ACE) call score.
        ring_sense_bulleted_summary: the RingSense (ACE) bulleted summary.
        ring_sense_link: the RingSense (ACE) recording link.

    Returns:
        The new body. Values are inserted as given, without HTML escaping (spec §6 P-10).

    Example:
        >>> body = compose_call_log(
        ...     log_format=LogFormat.PLAIN,
        ...     call_log={"sessionId": "42", "startTime": "2024-01-15T10:30:00Z"},
        ...     contact_info=None,
        ...     user_settings={"addCallSessionId": {"value": True}},
        ...     timezone_offset="+01:00",
        ...     note="Wants a quote",
        ...     subject="Call with Ann",
        ...     duration=125,
        ... )
        >>> print(body, end="")
        - Note: Wants a quote
        - Session Id: 42
        - Summary: Call with Ann
        - Date/Time: 2024-01-15 11:30:00 AM
        - Duration: 2 minutes, 5 seconds

        Updating that body later keeps the agent's own lines:

        >>> edited = body + "Customer asked for a quote\\n"
        >>> print(compose_call_log(
        ...     log_format=LogFormat.PLAIN, existing_body=edited, call_log=None, contact_info=None,
        ...     user_settings={}, timezone_offset=None, recording_link="https://rec/1",
        ... ), end="")
        - Note: Wants a quote
        - Session Id: 42
        - Summary: Call with Ann
        - Date/Time: 2024-01-15 11:30:00 AM
        - Duration: 2 minutes, 5 seconds
        Customer asked for a quote
        - Call recording link: https://rec/1
    """
    try:
        fmt = LogFormat(log_format)
    except ValueError:
        return ""
    call = _mapping(call_log)
    settings = _Settings(user_settings)
    inbound = call.get("direction") == "Inbound"
    caller, callee = _mapping(call.get("from")), _mapping(call.get("to"))
    body = existing_body or ""

    if settings.on("addCallLogNote", default=True):
        body = upsert_call_agent_note(body, note, log_format=fmt)
    if settings.on("addCallSessionId", default=False):
        body = upsert_call_session_id(body, call.get("sessionId"), log_format=fmt)
    if is_truthy(settings.value("addRingCentralUserName")):
        body = upsert_rc_user_name(body, (callee if inbound else caller).get("name"), log_format=fmt)
    if settings.on("addRingCentralNumber", default=False):
        number = (callee if inbound else caller).get("phoneNumber")
        if is_truthy(number):
            # Quirk R-5, kept: the extension comes from the other party than the number.
            extension = (caller if inbound else callee).get("extensionNumber")
            body = upsert_rc_number_and_extension(
                body, number, extension="" if extension is None else extension, log_format=fmt
            )
    if settings.on("addCallLogSubject", default=True):
        body = upsert_call_subject(body, subject, log_format=fmt)
    if settings.on("addCallLogContactNumber", default=False):
        body = upsert_contact_phone_number(
            body, _mapping(contact_info).get("phoneNumber"), log_format=fmt, direction=call.get("direction")
        )
    if settings.on("addCallLogDateTime", default=True):
        date_format = settings.value("logDateFormat")
        body = upsert_call_date_time(
            body,
            start_time if is_truthy(start_time) else call.get("startTime"),
            log_format=fmt,
            timezone_offset=timezone_offset,
            log_date_format=DEFAULT_LOG_DATE_FORMAT if date_format is None else date_format,
        )
    if settings.on("addCallLogDuration", default=True):
        body = upsert_call_duration(body, duration, log_format=fmt)
    if settings.on("addCallLogResult", default=True):
        body = upsert_call_result(body, result, log_format=fmt)
    if settings.on("addCallLogRecording", default=True):
        body = upsert_call_recording(body, recording_link, log_format=fmt)
        body = upsert_voicemail_recording(body, voicemail_link, log_format=fmt)
    if settings.on("addCallLogAiNote", default=True):
        body = upsert_ai_note(body, ai_note, log_format=fmt)
    if settings.on("addCallLogTranscript", default=True):
        body = upsert_transcript(body, transcript, log_format=fmt)
    if settings.on("addCallLogRingSenseRecordingTranscript", default=True):
        body = upsert_ring_sense_transcript(body, ring_sense_transcript, log_format=fmt)
    if settings.on("addCallLogRingSenseRecordingSummary", default=True):
        body = upsert_ring_sense_summary(body, ring_sense_summary, log_format=fmt)
    if settings.on("addCallLogRingSenseRecordingAIScore", default=True):
        body = upsert_ring_sense_ai_score(body, ring_sense_ai_score, log_format=fmt)
    if settings.on("addCallLogRingSenseRecordingBulletedSummary", default=True):
        body = upsert_ring_sense_bulleted_summary(body, ring_sense_bulleted_summary, log_format=fmt)
    if settings.on("addCallLogRingSenseRecordingLink", default=True):
        body = upsert_ring_sense_link(body, ring_sense_link, log_format=fmt)
    if settings.on("addCallLogLegs", default=True):
        body = upsert_legs(body, call.get("legs"), log_format=fmt)
    return body
