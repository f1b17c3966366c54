"""Appointment routes (spec platform §9.3): `GET/POST /appointments`, `PATCH /appointments/{id}`,
`POST /appointments/{id}/status`, `GET /appointments/{id}/refresh`, `POST /appointments/{id}/confirm`,
`POST /appointments/{id}/cancel`.

The bodies are checked here against the contract's schemas (`AppointmentCreateRequest`,
`AppointmentPatchRequest`, `AppointmentStatusUpdateRequest`), wrapped or in the deprecated direct
form, unknown keys refused; a request that does not fit is answered 400 with the contract's
`{"error": "Invalid appointment ... request", "details": [{"path", "message"}]}` before any CRM is
asked. Everything else is `services.appointments`.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from appconnect.api.deps import ContextDep, CurrentSession, SessionRoute
from appconnect.api.responses import error_json, result
from appconnect.connectors.inputs import AppointmentContactRef, AppointmentRange, CreateAppointmentInput
from appconnect.domain import User
from appconnect.services import appointments
from appconnect.services.outcomes import Outcome

router = APIRouter(tags=["appointments"], route_class=SessionRoute)

# The contract's date-time pattern: a calendar-valid date, a time, and an explicit offset.
_ISO_WITH_OFFSET = re.compile(
    r"^(?:(?:\d\d[2468][048]|\d\d[13579][26]|\d\d0[48]|[02468][048]00|[13579][26]00)-02-29|\d{4}-"
    r"(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)|(?:02)-"
    r"(?:0[1-9]|1\d|2[0-8])))T(?:(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d+)?)?(?:Z|([+-]"
    r"(?:[01]\d|2[0-3]):[0-5]\d)))$"
)
_POSITIVE_ID = re.compile(r"^[1-9]\d*$")
_MAX_SAFE_INTEGER = 9007199254740991
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

CREATE_FIELDS = frozenset({"title", "summary", "startTimeUtc", "durationMinutes", "contacts"})
PATCH_FIELDS = frozenset({"title", "summary", "startTimeUtc", "startTime", "durationMinutes", "contacts"})

# The placeholder user a validation error never reaches: keeps CreateAppointmentInput the one shape.
_NOBODY = User(id="", platform="")


class Invalid(Exception):
    """One reason a request does not fit its schema."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


def _invalid(error: str, problem: Invalid) -> Response:
    return JSONResponse(
        {"error": error, "details": [{"path": problem.path, "message": problem.message}]}, status_code=400
    )


async def _json_object(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"null")
    except ValueError:
        raise Invalid("", "the body must be JSON") from None
    if not isinstance(body, dict):
        raise Invalid("", "the body must be a JSON object")
    return body


def _unwrap(body: dict[str, Any], wrapper: str) -> tuple[dict[str, Any], str]:
    if wrapper in body:
        extra = sorted(set(body) - {wrapper})
        if extra:
            raise Invalid(extra[0], "unknown property")
        inner = body[wrapper]
        if not isinstance(inner, dict):
            raise Invalid(wrapper, "must be an object")
        return inner, f"{wrapper}."
    return body, ""


def _string(value: Any, path: str, *, non_empty: bool = False) -> str:
    if not isinstance(value, str):
        raise Invalid(path, "must be a string")
    if non_empty and not value:
        raise Invalid(path, "must not be empty")
    return value


def _start(value: Any, path: str) -> str:
    text = _string(value, path)
    if not _ISO_WITH_OFFSET.match(text):
        raise Invalid(path, "must be an ISO 8601 date-time with a UTC offset")
    return text


def _duration(value: Any, path: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= _MAX_SAFE_INTEGER:
        raise Invalid(path, "must be a positive integer")
    return value


def _contact_id(value: Any, path: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= _MAX_SAFE_INTEGER:
        return str(value)
    if isinstance(value, str) and _POSITIVE_ID.match(value):
        return value
    raise Invalid(path, "must be a positive contact id")


def _contacts(value: Any, path: str) -> tuple[AppointmentContactRef, ...]:
    if not isinstance(value, list):
        raise Invalid(path, "must be an array")
    refs: list[AppointmentContactRef] = []
    for index, item in enumerate(value):
        where = f"{path}.{index}"
        if isinstance(item, dict):
            unknown = sorted(set(item) - {"id", "type", "contactType"})
            if unknown:
                raise Invalid(f"{where}.{unknown[0]}", "unknown property")
            if "id" not in item:
                raise Invalid(f"{where}.id", "is required")
            kind = item.get("type", item.get("contactType"))
            for key in ("type", "contactType"):
                if key in item:
                    _string(item[key], f"{where}.{key}")
            refs.append(AppointmentContactRef(id=_contact_id(item["id"], f"{where}.id"), type=kind))
        else:
            refs.append(AppointmentContactRef(id=_contact_id(item, where)))
    return tuple(refs)


def _known(payload: dict[str, Any], allowed: frozenset[str], prefix: str) -> None:
    unknown = sorted(set(payload) - allowed)
    if unknown:
        raise Invalid(f"{prefix}{unknown[0]}", "unknown property")


def parse_create(body: dict[str, Any]) -> CreateAppointmentInput:
    """The create payload (wrapped in `payload` or direct), or `Invalid`."""
    payload, prefix = _unwrap(body, "payload")
    _known(payload, CREATE_FIELDS, prefix)
    for required in ("title", "summary", "startTimeUtc", "durationMinutes"):
        if required not in payload:
            raise Invalid(f"{prefix}{required}", "is required")
    return CreateAppointmentInput(
        user=_NOBODY,
        auth_header="",
        title=_string(payload["title"], f"{prefix}title", non_empty=True),
        summary=_string(payload["summary"], f"{prefix}summary"),
        start_time_utc=_start(payload["startTimeUtc"], f"{prefix}startTimeUtc"),
        duration_minutes=_duration(payload["durationMinutes"], f"{prefix}durationMinutes"),
        contacts=_contacts(payload["contacts"], f"{prefix}contacts") if "contacts" in payload else (),
    )


def parse_patch(body: dict[str, Any]) -> appointments.AppointmentPatch:
    """The patch (wrapped in `patch` or direct), or `Invalid`: at least one of title, summary,
    contacts, or the pair start time + duration (`startTimeUtc`, legacy `startTime`)."""
    patch, prefix = _unwrap(body, "patch")
    _known(patch, PATCH_FIELDS, prefix)
    if "startTimeUtc" in patch and "startTime" in patch:
        raise Invalid(f"{prefix}startTime", "send startTimeUtc or startTime, not both")
    start_key = "startTimeUtc" if "startTimeUtc" in patch else "startTime" if "startTime" in patch else None
    if (start_key is None) != ("durationMinutes" not in patch):
        missing = "durationMinutes" if start_key is not None else "startTimeUtc"
        raise Invalid(f"{prefix}{missing}", "start time and durationMinutes go together")
    if not patch:
        raise Invalid(prefix.rstrip("."), "at least one of title, summary, contacts or the start time")
    return appointments.AppointmentPatch(
        title=_string(patch["title"], f"{prefix}title", non_empty=True) if "title" in patch else None,
        summary=_string(patch["summary"], f"{prefix}summary") if "summary" in patch else None,
        start_time_utc=_start(patch[start_key], f"{prefix}{start_key}") if start_key else None,
        duration_minutes=_duration(patch["durationMinutes"], f"{prefix}durationMinutes")
        if start_key
        else None,
        contacts=_contacts(patch["contacts"], f"{prefix}contacts") if "contacts" in patch else None,
    )


def parse_status(body: dict[str, Any]) -> str:
    """`{"status": non-empty}`, lower-cased, or `Invalid`."""
    _known(body, frozenset({"status"}), "")
    if "status" not in body:
        raise Invalid("status", "is required")
    return _string(body["status"], "status", non_empty=True).lower()


def parse_range(start: str | None, end: str | None) -> AppointmentRange | None:
    """Both dates or neither; valid `YYYY-MM-DD`, start not after end."""
    if start is None and end is None:
        return None
    parsed: dict[str, date] = {}
    for name, value in (("startDate", start), ("endDate", end)):
        if value is None or not _DATE.match(value):
            raise Invalid(name, "must be a date (YYYY-MM-DD)")
        try:
            parsed[name] = date.fromisoformat(value)
        except ValueError:
            raise Invalid(name, "must be a date (YYYY-MM-DD)") from None
    if parsed["startDate"] > parsed["endDate"]:
        raise Invalid("endDate", "must not be before startDate")
    return AppointmentRange(start_date=str(start), end_date=str(end))


def _answer(outcome: Outcome) -> Response:
    return result(outcome.body, revoked=outcome.revoked)


async def _guarded(call: Any) -> Response:
    try:
        return _answer(await call)
    except appointments.InvalidConnectorAnswer as wrong:
        return error_json(str(wrong))


@router.get("/appointments")
async def list_appointments(
    context: ContextDep,
    session: CurrentSession,
    startDate: str | None = None,
    endDate: str | None = None,
) -> Response:
    try:
        date_range = parse_range(startDate, endDate)
    except Invalid as problem:
        return _invalid("Invalid appointment date range", problem)
    return await _guarded(
        appointments.list_appointments(
            context, user_id=session.user_id, platform=session.platform, date_range=date_range
        )
    )


@router.post("/appointments")
async def create_appointment(request: Request, context: ContextDep, session: CurrentSession) -> Response:
    try:
        payload = parse_create(await _json_object(request))
    except Invalid as problem:
        return _invalid("Invalid appointment create request", problem)
    return await _guarded(
        appointments.create(context, user_id=session.user_id, platform=session.platform, payload=payload)
    )


@router.patch("/appointments/{appointmentId}")
async def update_appointment(
    appointmentId: str, request: Request, context: ContextDep, session: CurrentSession
) -> Response:
    try:
        patch = parse_patch(await _json_object(request))
    except Invalid as problem:
        return _invalid("Invalid appointment patch request", problem)
    return await _guarded(
        appointments.update(
            context,
            user_id=session.user_id,
            platform=session.platform,
            appointment_id=appointmentId,
            patch=patch,
        )
    )


@router.post("/appointments/{appointmentId}/status")
async def set_appointment_status(
    appointmentId: str, request: Request, context: ContextDep, session: CurrentSession
) -> Response:
    try:
        status = parse_status(await _json_object(request))
    except Invalid as problem:
        return _invalid("Invalid appointment status request", problem)
    return await _guarded(
        appointments.update(
            context,
            user_id=session.user_id,
            platform=session.platform,
            appointment_id=appointmentId,
            patch=appointments.AppointmentPatch(status=status),
        )
    )


@router.get("/appointments/{appointmentId}/refresh")
async def refresh_appointment(appointmentId: str, context: ContextDep, session: CurrentSession) -> Response:
    return await _guarded(
        appointments.refresh(
            context, user_id=session.user_id, platform=session.platform, appointment_id=appointmentId
        )
    )


@router.post("/appointments/{appointmentId}/confirm")
async def confirm_appointment(appointmentId: str, context: ContextDep, session: CurrentSession) -> Response:
    return await _guarded(
        appointments.confirm(
            context, user_id=session.user_id, platform=session.platform, appointment_id=appointmentId
        )
    )


@router.post("/appointments/{appointmentId}/cancel")
async def cancel_appointment(appointmentId: str, context: ContextDep, session: CurrentSession) -> Response:
    return await _guarded(
        appointments.cancel(
            context, user_id=session.user_id, platform=session.platform, appointment_id=appointmentId
        )
    )
