"""Turning App Connect's call and message data into Pipedrive's activity fields, and back.

Pure functions, no I/O: the rules a reader most likely wants to check against Pipedrive's API
reference (duration as `HH:MM`, due date and time in UTC, integer deal ids and UUID lead ids, the
agent's note inside the HTML body) live here, each with an example.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from appconnect.compose import parse_start_time

__all__ = [
    "AGENT_NOTE_END",
    "AGENT_NOTE_START",
    "agent_note",
    "assigned_owner_id",
    "association",
    "call_subject",
    "disposition_changes",
    "due_date_and_time",
    "owner_id",
    "pipedrive_duration",
    "pipedrive_id",
]

AGENT_NOTE_START: Final = "<b>Agent notes</b>"
AGENT_NOTE_END: Final = "<b>Call details</b>"
_DIGITS: Final = re.compile(r"\d+")


def is_truthy(value: object) -> bool:
    """JavaScript truthiness for request values (`"0"`, `[]` and `{}` are truthy)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value == value and value != 0
    if isinstance(value, str):
        return value != ""
    return value is not None


def pipedrive_duration(seconds: object) -> str:
    """A call duration in Pipedrive's `HH:MM`, counting the minute in progress (as the reference does).

    Anything but a number (e.g. `"pending"` while the call is still going) is `00:00`. The
    reference's rule can print a minute of 60 (`00:60` for 3599 s), which Pipedrive refuses; here
    full hours carry over instead.

    >>> [pipedrive_duration(seconds) for seconds in (300, 4500, 3599, "pending")]
    ['00:06', '01:16', '01:00', '00:00']
    """
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds != seconds:
        return "00:00"
    total_minutes = int(max(seconds, 0) // 60) + 1
    hours, minutes = divmod(total_minutes, 60)
    return f"{hours:02d}:{minutes:02d}"


def due_date_and_time(start_time: object) -> tuple[str, str] | None:
    """Pipedrive's `due_date` (`YYYY-MM-DD`) and `due_time` (`HH:MM`), both in UTC.

    >>> due_date_and_time("2026-07-14T05:00:00+02:00")
    ('2026-07-14', '03:00')
    >>> due_date_and_time(1784084400000)
    ('2026-07-15', '03:00')
    """
    instant = parse_start_time(start_time)
    if instant is None:
        return None
    return instant.strftime("%Y-%m-%d"), instant.strftime("%H:%M")


def pipedrive_id(value: object) -> int | str | None:
    """A record id for Pipedrive's JSON: integers stay integers (digit strings become them), UUIDs
    (lead ids) stay strings, anything falsy is None.

    >>> [pipedrive_id(value) for value in ("201", 7, "adf2b9b0-5c4f-11ee-8c99-0242ac120002", "")]
    [201, 7, 'adf2b9b0-5c4f-11ee-8c99-0242ac120002', None]
    """
    if not is_truthy(value) or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = str(value).strip()
    return int(text) if _DIGITS.fullmatch(text) else text


def association(additional_submission: Mapping[str, Any] | None) -> dict[str, Any]:
    """The deal or lead an activity belongs to, from the log form's `deals` / `leads` fields.

    A deal wins over a lead (the manifest warns the agent). Nothing chosen: no field at all, so an
    activity is never sent `deal_id: ""`, which Pipedrive's API v2 refuses.

    >>> association({"deals": "201", "leads": "a-lead"}), association({"leads": "a-lead"}), association(None)
    ({'deal_id': 201}, {'lead_id': 'a-lead'}, {})
    """
    submission = additional_submission or {}
    deal = pipedrive_id(submission.get("deals"))
    if deal is not None:
        return {"deal_id": deal}
    lead = pipedrive_id(submission.get("leads"))
    return {"lead_id": str(lead)} if lead is not None else {}


def disposition_changes(dispositions: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The activity fields a disposition sets: one association, the other cleared; None for neither.

    >>> disposition_changes({"deals": 201}), disposition_changes({"leads": "a-lead"}), disposition_changes({})
    ({'deal_id': 201, 'lead_id': None}, {'lead_id': 'a-lead', 'deal_id': None}, None)
    """
    chosen = dispositions or {}
    deal = pipedrive_id(chosen.get("deals"))
    if deal is not None:
        return {"deal_id": deal, "lead_id": None}
    lead = pipedrive_id(chosen.get("leads"))
    if lead is not None:
        return {"lead_id": str(lead), "deal_id": None}
    return None


def owner_id(user_id: str) -> int | None:
    """The Pipedrive user id inside our user id `<pipedriveUserId>-pipedrive`.

    >>> owner_id("12345-pipedrive")
    12345
    """
    head = user_id.split("-", 1)[0]
    return int(head) if _DIGITS.fullmatch(head) else None


def assigned_owner_id(crm_user_id: str | None) -> int | None:
    """The Pipedrive user an admin mapped to the call's extension (`Number(crmUserId)`), if any.

    >>> assigned_owner_id("808"), assigned_owner_id(None), assigned_owner_id("not-a-number")
    (808, None, None)
    """
    text = (crm_user_id or "").strip()
    return int(text) if _DIGITS.fullmatch(text) and int(text) > 0 else None


def call_subject(call_log: Mapping[str, Any], contact_name: str) -> str:
    """The activity subject: the agent's custom subject, else `<Direction> Call to/from <contact>`.

    >>> call_subject({"direction": "Outbound"}, "Ann"), call_subject({"customSubject": "Renewal"}, "Ann")
    ('Outbound Call to Ann', 'Renewal')
    """
    custom = call_log.get("customSubject")
    if custom is not None:
        return str(custom)
    direction = call_log.get("direction")
    preposition = "to" if direction == "Outbound" else "from"
    return f"{direction} Call {preposition} {contact_name}"


def agent_note(body: str | None) -> str:
    """The agent's note inside an HTML call-log body (between `Agent notes` and `Call details`).

    >>> agent_note("<b>Agent notes</b><br>Call back<br><br><b>Call details</b><br>...")
    'Call back'
    """
    if not body or AGENT_NOTE_START not in body:
        return ""
    after = body.split(AGENT_NOTE_START, 1)[1]
    return after.split(AGENT_NOTE_END, 1)[0].replace("<br>", "")
