"""Appointments as Clio calendar entries: list, create, update, refresh and cancel.

Why a module of its own: the calendar dialect (the user's writeable calendar, `start_at`/`end_at`,
attendees added and removed with `_destroy`, App Connect's values kept in `external_properties`)
is independent of contacts and logs. Clio has no appointment status, so a status-only change is
refused with the reference's message, and there is no confirmation (`confirmAppointment` is not
offered).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from appconnect.connectors.inputs import AppointmentContactRef, AppointmentRange
from appconnect.connectors.types import Appointment, AppointmentAttendee, ReturnMessage

from .api import ClioApi, Json

__all__ = [
    "LIST_FIELDS",
    "NOT_FOUND",
    "NO_CALENDAR",
    "NO_STATUS",
    "attendee_changes",
    "calendar_id",
    "from_entry",
    "in_range",
    "iso_utc",
    "listed",
]

LIST_FIELDS = "id,summary,start_at,end_at,description,attendees{id,name,type}"
NO_CALENDAR = ReturnMessage("No writeable calendar found in Clio.", "warning", 5000)
NOT_FOUND = ReturnMessage("Appointment not found in Clio.", "warning", 5000)
NO_STATUS = ReturnMessage("Clio does not support appointment status changes.", "warning", 5000)
CANCELLED = ReturnMessage("Appointment cancelled successfully.", "success", 5000)

PROPERTY_NAMES = {
    "participant_name": "rcAppointmentParticipantName",
    "contact_id": "rcAppointmentContactId",
    "contact_type": "rcAppointmentContactType",
    "status": "rcAppointmentStatus",
    "title": "rcAppointmentTitle",
}


def _parse(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def iso_utc(moment: datetime) -> str:
    """JavaScript's `toISOString()`: UTC with milliseconds and `Z`.

    >>> iso_utc(datetime(2026, 7, 20, 19, 0, tzinfo=UTC))
    '2026-07-20T19:00:00.000Z'
    """
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def end_of(start: str, duration_minutes: int) -> str | None:
    parsed = _parse(start)
    return iso_utc(parsed + timedelta(minutes=duration_minutes)) if parsed is not None else None


def _minutes(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return max(0, round((end - start).total_seconds() / 60))


def _properties(entry: Mapping[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    values = entry.get("external_properties")
    for item in values if isinstance(values, list) else []:
        if isinstance(item, Mapping) and item.get("name"):
            found[str(item["name"])] = str(item.get("value"))
    return found


def _attendees(entry: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    values = entry.get("attendees")
    return [item for item in values if isinstance(item, Mapping)] if isinstance(values, list) else []


def from_entry(entry: Mapping[str, Any]) -> Appointment:
    """A created, updated or refreshed calendar entry as an appointment (App Connect's own values
    from `external_properties` first, Clio's fields otherwise)."""
    props = _properties(entry)
    attendees = _attendees(entry)
    first = attendees[0] if attendees else {}
    start_text = entry.get("start_at") if isinstance(entry.get("start_at"), str) else None
    first_id = first.get("id")
    return Appointment(
        id=str(entry.get("id")),
        participant_name=props.get(PROPERTY_NAMES["participant_name"]) or first.get("name"),
        contact_id=props.get(PROPERTY_NAMES["contact_id"])
        or (str(first_id) if first_id is not None else None),
        contact_type=props.get(PROPERTY_NAMES["contact_type"]) or first.get("type"),
        attendee_ids=tuple(str(item["id"]) for item in attendees if item.get("id") is not None),
        title=props.get(PROPERTY_NAMES["title"]) or entry.get("summary"),
        summary=entry.get("description"),
        start_time_utc=start_text,
        duration_minutes=_minutes(_parse(entry.get("start_at")), _parse(entry.get("end_at"))),
        status=props.get(PROPERTY_NAMES["status"]) or "tentative",
    )


def listed(entry: Mapping[str, Any]) -> Appointment:
    """A calendar entry of the list (start in UTC, the list's fixed `scheduled` status)."""
    start, end = _parse(entry.get("start_at")), _parse(entry.get("end_at"))
    identifier = str(entry.get("id")) if entry.get("id") is not None else ""
    return Appointment(
        id=identifier,
        third_party_appointment_id=identifier,
        title=str(entry.get("summary") or ""),
        description=str(entry.get("description") or ""),
        participant_name="",
        start_time_utc=iso_utc(start) if start is not None else None,
        duration_minutes=_minutes(start, end) or 0,
        status="scheduled",
        contact_id="",
        attendees=tuple(
            AppointmentAttendee(id=item["id"], name=item.get("name"), type=item.get("type"))
            for item in _attendees(entry)
            if item.get("id") is not None
        ),
    )


def in_range(appointment: Appointment, span: AppointmentRange | None) -> bool:
    """Whether the appointment starts within the range's days (UTC, both ends inclusive)."""
    if span is None:
        return True
    start = _parse(appointment.start_time_utc)
    if start is None:
        return False
    first = datetime.combine(date.fromisoformat(span.start_date), time.min, UTC)
    last = datetime.combine(date.fromisoformat(span.end_date), time.max, UTC)
    return first <= start <= last


async def calendar_id(api: ClioApi) -> Any:
    """The user's own writeable calendar, else any writeable visible one (newest first), or None."""
    common = {
        "writeable": "true",
        "visible": "true",
        "order": "id(desc)",
        "limit": 1,
        "fields": "id,type,permission,visible",
    }
    own = await api.calendars({"owner": "true", **common, "type": "UserCalendar"})
    if own and own[0].get("id") is not None:
        return own[0]["id"]
    fallback = await api.calendars(common)
    return fallback[0].get("id") if fallback else None


def _as_int(value: str) -> int | None:
    try:
        return int(value)
    except ValueError:
        return None


def new_attendees(contacts: Sequence[AppointmentContactRef]) -> list[Json]:
    return [{"id": number, "type": "Contact"} for ref in contacts if (number := _as_int(ref.id)) is not None]


def attendee_changes(existing: Mapping[str, Any], contacts: Sequence[AppointmentContactRef]) -> list[Json]:
    """The `attendees` of a patch: existing attendees not wanted any more removed (`_destroy`),
    then the wanted ones."""
    wanted = new_attendees(contacts)
    wanted_ids = {str(item["id"]) for item in wanted}
    removed: list[Json] = []
    for item in _attendees(existing):
        number = _as_int(str(item.get("id"))) if item.get("id") is not None else None
        if number is not None and str(number) not in wanted_ids:
            removed.append({"id": number, "type": "Contact", "_destroy": True})
    changes: list[Json] = []
    seen: set[tuple[int, bool]] = set()
    for item in [*removed, *wanted]:
        key = (int(item["id"]), bool(item.get("_destroy")))
        if key not in seen:
            seen.add(key)
            changes.append(item)
    return changes
