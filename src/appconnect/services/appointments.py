"""Appointments (spec platform §9.3): list, create, patch, status, refresh, confirm, cancel.

Why a workflow of its own: every route has the same preamble (the user by id with a token, else
`User not found`; authenticate, revocation -> 401) and the same mapping of a connector's answer to
the contract (`{"successful": true, ...}` or `{"successful": false, "returnMessage"}`), and a CRM
failure becomes the operation's message (`createAppointment`, `updateAppointment` have their own
texts). The connector is asked only through its appointment protocols, via `CrmSession.run`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from appconnect.connectors.base import (
    CancelsAppointments,
    ConfirmsAppointments,
    Connector,
    CreatesAppointments,
    ListsAppointments,
    RefreshesAppointments,
    UpdatesAppointments,
)
from appconnect.connectors.inputs import (
    AppointmentContactRef,
    AppointmentInput,
    AppointmentRange,
    CreateAppointmentInput,
    CrmInput,
    ListAppointmentsInput,
    UpdateAppointmentInput,
)
from appconnect.connectors.types import AppointmentListResult, AppointmentResult, message_to_wire
from appconnect.domain import User
from appconnect.services.context import ServerContext
from appconnect.services.crm import CrmSession
from appconnect.services.messages import USER_NOT_FOUND, unsupported
from appconnect.services.outcomes import Answered, Outcome, fail

__all__ = [
    "AppointmentCreate",
    "AppointmentPatch",
    "InvalidConnectorAnswer",
    "cancel",
    "confirm",
    "create",
    "list_appointments",
    "refresh",
    "update",
]

InputT = TypeVar("InputT", bound=CrmInput)
ResultT = TypeVar("ResultT")

AppointmentCreate = CreateAppointmentInput
"""The create payload as the route validated it (the input without user and auth)."""


class AppointmentPatch:
    """A validated patch: the fields present (None: absent), before it meets a user."""

    def __init__(
        self,
        *,
        title: str | None = None,
        summary: str | None = None,
        start_time_utc: str | None = None,
        duration_minutes: int | None = None,
        contacts: tuple[AppointmentContactRef, ...] | None = None,
        status: str | None = None,
    ) -> None:
        self.title = title
        self.summary = summary
        self.start_time_utc = start_time_utc
        self.duration_minutes = duration_minutes
        self.contacts = contacts
        self.status = status


class InvalidConnectorAnswer(Exception):
    """The connector's answer does not fit the contract's schema: the route answers 400 `{error}`."""


async def _usable_user(context: ServerContext, user_id: str, platform: str) -> User | None:
    user = await context.store.users.get(user_id, platform)
    return user if user is not None and user.is_usable else None


async def _run(
    context: ServerContext,
    user: User,
    connector: Connector,
    operation: str,
    method: Callable[[InputT], Awaitable[ResultT]],
    build: Callable[[CrmSession], InputT],
) -> ResultT:
    crm = await CrmSession.open(context, connector, user, operation=operation)
    result, _ = await crm.run(method, build(crm))
    return result


def _list_body(result: AppointmentListResult) -> dict[str, Any]:
    if not result.successful:
        return _failure(result.return_message, "listAppointments")
    return {"successful": True, "appointments": [item.to_wire() for item in result.appointments]}


def _failure(message: Any, operation: str) -> dict[str, Any]:
    wire = message_to_wire(message)
    if wire is None:
        raise InvalidConnectorAnswer(f"{operation} failed without a returnMessage")
    return {"successful": False, "returnMessage": wire}


def _record_body(result: AppointmentResult, operation: str, *, record_required: bool) -> dict[str, Any]:
    """The contract's success body; `record_required` for update/refresh (the record is part of it)."""
    if not result.successful:
        return _failure(result.return_message, operation)
    appointment = result.appointment
    appointment_id = result.appointment_id
    if appointment_id is None and appointment is not None:
        appointment_id = appointment.id
    if appointment_id is None or appointment_id == "":
        raise InvalidConnectorAnswer(f"{operation} returned no appointment id")
    if record_required and appointment is None:
        raise InvalidConnectorAnswer(f"{operation} returned no appointment")
    body: dict[str, Any] = {"successful": True, "appointmentId": appointment_id}
    if appointment is not None:
        body["appointment"] = appointment.to_wire()
    message = message_to_wire(result.return_message)
    if message is not None:
        body["returnMessage"] = message
    if operation in ("confirmAppointment", "cancelAppointment") and appointment is None and message is None:
        raise InvalidConnectorAnswer(f"{operation} returned neither an appointment nor a message")
    return body


async def list_appointments(
    context: ServerContext, *, user_id: str, platform: str, date_range: AppointmentRange | None
) -> Outcome:
    connector = context.registry.get(platform)
    user = await _usable_user(context, user_id, platform)
    if user is None:
        return fail(USER_NOT_FOUND)
    if not isinstance(connector, ListsAppointments):
        return fail(unsupported("listAppointments", platform))
    try:
        result = await _run(
            context,
            user,
            connector,
            "listAppointments",
            connector.list_appointments,
            lambda crm: ListAppointmentsInput(user=crm.user, auth_header=crm.auth_header, range=date_range),
        )
    except Answered as answered:
        return answered.outcome
    return Outcome(body=_list_body(result))


async def create(
    context: ServerContext, *, user_id: str, platform: str, payload: AppointmentCreate
) -> Outcome:
    connector = context.registry.get(platform)
    user = await _usable_user(context, user_id, platform)
    if user is None:
        return fail(USER_NOT_FOUND)
    if not isinstance(connector, CreatesAppointments):
        return fail(unsupported("createAppointment", platform))
    try:
        result = await _run(
            context,
            user,
            connector,
            "createAppointment",
            connector.create_appointment,
            lambda crm: CreateAppointmentInput(
                user=crm.user,
                auth_header=crm.auth_header,
                title=payload.title,
                summary=payload.summary,
                start_time_utc=payload.start_time_utc,
                duration_minutes=payload.duration_minutes,
                contacts=payload.contacts,
            ),
        )
    except Answered as answered:
        return answered.outcome
    return Outcome(body=_record_body(result, "createAppointment", record_required=False))


async def update(
    context: ServerContext, *, user_id: str, platform: str, appointment_id: str, patch: AppointmentPatch
) -> Outcome:
    connector = context.registry.get(platform)
    user = await _usable_user(context, user_id, platform)
    if user is None:
        return fail(USER_NOT_FOUND)
    if not isinstance(connector, UpdatesAppointments):
        return fail(unsupported("updateAppointment", platform))
    try:
        result = await _run(
            context,
            user,
            connector,
            "updateAppointment",
            connector.update_appointment,
            lambda crm: UpdateAppointmentInput(
                user=crm.user,
                auth_header=crm.auth_header,
                appointment_id=appointment_id,
                title=patch.title,
                summary=patch.summary,
                start_time_utc=patch.start_time_utc,
                duration_minutes=patch.duration_minutes,
                contacts=patch.contacts,
                status=patch.status,
            ),
        )
    except Answered as answered:
        return answered.outcome
    return Outcome(body=_record_body(result, "updateAppointment", record_required=True))


async def refresh(context: ServerContext, *, user_id: str, platform: str, appointment_id: str) -> Outcome:
    connector = context.registry.get(platform)
    user = await _usable_user(context, user_id, platform)
    if user is None:
        return fail(USER_NOT_FOUND)
    if not isinstance(connector, RefreshesAppointments):
        return fail(unsupported("refreshAppointment", platform))
    try:
        result = await _run(
            context,
            user,
            connector,
            "refreshAppointment",
            connector.refresh_appointment,
            lambda crm: AppointmentInput(
                user=crm.user, auth_header=crm.auth_header, appointment_id=appointment_id
            ),
        )
    except Answered as answered:
        return answered.outcome
    return Outcome(body=_record_body(result, "refreshAppointment", record_required=True))


async def confirm(context: ServerContext, *, user_id: str, platform: str, appointment_id: str) -> Outcome:
    connector = context.registry.get(platform)
    user = await _usable_user(context, user_id, platform)
    if user is None:
        return fail(USER_NOT_FOUND)
    if not isinstance(connector, ConfirmsAppointments):
        return fail(unsupported("confirmAppointment", platform))
    try:
        result = await _run(
            context,
            user,
            connector,
            "confirmAppointment",
            connector.confirm_appointment,
            lambda crm: AppointmentInput(
                user=crm.user, auth_header=crm.auth_header, appointment_id=appointment_id
            ),
        )
    except Answered as answered:
        return answered.outcome
    return Outcome(body=_record_body(result, "confirmAppointment", record_required=False))


async def cancel(context: ServerContext, *, user_id: str, platform: str, appointment_id: str) -> Outcome:
    connector = context.registry.get(platform)
    user = await _usable_user(context, user_id, platform)
    if user is None:
        return fail(USER_NOT_FOUND)
    if not isinstance(connector, CancelsAppointments):
        return fail(unsupported("cancelAppointment", platform))
    try:
        result = await _run(
            context,
            user,
            connector,
            "cancelAppointment",
            connector.cancel_appointment,
            lambda crm: AppointmentInput(
                user=crm.user, auth_header=crm.auth_header, appointment_id=appointment_id
            ),
        )
    except Answered as answered:
        return answered.outcome
    return Outcome(body=_record_body(result, "cancelAppointment", record_required=False))
