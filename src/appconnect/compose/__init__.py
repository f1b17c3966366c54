"""Call-log bodies for CRMs: compose them once, then edit single items without losing user edits.

Why this exists: a call is logged in several steps (the note at hang-up, the final duration and
result, the recording minutes later, AI summaries later still), and between the steps the agent may
edit the note in the CRM. So the server never rewrites a body wholesale. `compose_call_log` starts
from the body the CRM holds now and applies one upsert per item; each `upsert_*` helper finds its
item by label, replaces the first occurrence, or adds it, and leaves all other text alone. The text
rules match the Node.js reference byte for byte (spec §3), because bodies written by either server
must keep round-tripping through the same rules, quirks included (R-5 to R-9).

Connector authors can call the `upsert_*` helpers on a body they hold themselves. The package is
pure: no I/O, and it imports nothing else from `appconnect`.

Values are inserted without HTML escaping, as the reference does (spec §6 P-10): a connector that
renders HTML bodies should treat notes, subjects and transcripts as untrusted text.

Message logs have their own helpers (spec §4): `compose_message_log`, `compose_message_log_entry`
and `add_message_log_entry` for the conversation-day record of SMS, MMS, voicemail and fax, and
`compose_shared_sms_log` for shared-SMS conversations, which are rewritten whole. Those two escape
caller text in HTML bodies.
"""

from __future__ import annotations

from ._content import MessageLogContent, escape_html
from ._js import UNSET, Unset, is_truthy
from .call_log import compose_call_log
from .dates import DEFAULT_LOG_DATE_FORMAT, OffsetMode, format_date_time, parse_offset, parse_start_time
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
from .formatting import format_call_journey, format_duration, format_party
from .links import upsert_call_recording, upsert_ring_sense_link, upsert_voicemail_recording
from .message_log import (
    MessageMedia,
    add_message_log_entry,
    compose_message_log,
    compose_message_log_entry,
    message_log_subject,
    message_media,
)
from .moment_format import MomentValue, format_moment
from .note import upsert_call_agent_note
from .sections import (
    upsert_ai_note,
    upsert_legs,
    upsert_ring_sense_bulleted_summary,
    upsert_ring_sense_summary,
    upsert_ring_sense_transcript,
    upsert_transcript,
)
from .shared_sms import compose_shared_sms_log, count_shared_sms_entities, gather_shared_sms_participants

__all__ = [
    "DEFAULT_LOG_DATE_FORMAT",
    "UNSET",
    "LogFormat",
    "MessageLogContent",
    "MessageMedia",
    "MomentValue",
    "OffsetMode",
    "Unset",
    "add_message_log_entry",
    "compose_call_log",
    "compose_message_log",
    "compose_message_log_entry",
    "compose_shared_sms_log",
    "count_shared_sms_entities",
    "escape_html",
    "format_call_journey",
    "format_date_time",
    "format_duration",
    "format_moment",
    "format_party",
    "gather_shared_sms_participants",
    "is_truthy",
    "message_log_subject",
    "message_media",
    "parse_offset",
    "parse_start_time",
    "upsert_ai_note",
    "upsert_call_agent_note",
    "upsert_call_date_time",
    "upsert_call_duration",
    "upsert_call_recording",
    "upsert_call_result",
    "upsert_call_session_id",
    "upsert_call_subject",
    "upsert_contact_phone_number",
    "upsert_legs",
    "upsert_rc_number_and_extension",
    "upsert_rc_user_name",
    "upsert_ring_sense_ai_score",
    "upsert_ring_sense_bulleted_summary",
    "upsert_ring_sense_link",
    "upsert_ring_sense_summary",
    "upsert_ring_sense_transcript",
    "upsert_transcript",
    "upsert_voicemail_recording",
]
