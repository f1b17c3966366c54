"""Call-down lists (spec platform §9.1): schedule, list, update and delete call-back entries.

The reference stores whatever it is sent and lets the database complain; here every field is checked
first, so a bad value is a 400 `{"error": ...}` naming the field and nothing is written. Decisions
where the reference is silent or quirky:

* a date is ISO-8601 / RFC 2822 text or epoch milliseconds; anything else is refused (the reference
  would store an invalid date or fail inside the database);
* `contactName`, `phoneNumber` and `note` are accepted and not stored, as in the reference;
* a user holds at most `MAX_ENTRIES_PER_USER` entries, so that `GET /calldown` (which the contract
  does not paginate) stays bounded.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from appconnect.compose import parse_start_time
from appconnect.services.context import ServerContext
from appconnect.services.replies import Reply, error
from appconnect.store.call_down import CallDownListFull, NewCallDownItem, StatusFilter

MAX_ENTRIES_PER_USER = 2000
NOT_FOUND = "Not found"
NO_VALID_FIELDS = "No valid fields to update"
PATCHABLE = {
    "contactId": "contact_id",
    "contactType": "contact_type",
    "status": "status",
    "scheduledAt": "scheduled_at",
    "lastCallAt": "last_call_at",
}
_LENGTHS = {"contact_id": 255, "contact_type": 64, "status": 32}
UNSTORED = ("contactName", "phoneNumber", "note")
_NOT_CALLED = {"not called", "not_called", "notcalled"}


class _Invalid(ValueError):
    pass


def status_filter(status: str | None) -> StatusFilter:
    """`called`; `not called` / `not_called` / `notcalled` (any case); anything else means all."""
    wanted = (status or "").strip().lower()
    if wanted == "called":
        return "called"
    if wanted in _NOT_CALLED:
        return "not_called"
    return None


def _text(field: str, value: Any, *, numbers: bool = False) -> str | None:
    if value is None:
        return None
    if numbers and isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        kind = "a string or a number" if numbers else "a string"
        raise _Invalid(f"{field} must be {kind}")
    limit = _LENGTHS[PATCHABLE[field]]
    if len(value) > limit:
        raise _Invalid(f"{field} must be at most {limit} characters")
    return value


def _date(field: str, value: Any) -> datetime | None:
    """A falsy value means "no date" (the reference parses dates only when truthy)."""
    if not value:
        return None
    moment = parse_start_time(value)
    if moment is None:
        raise _Invalid(f"{field} must be an ISO-8601 date-time or epoch milliseconds")
    return moment


def _column_value(field: str, value: Any) -> Any:
    if field in ("scheduledAt", "lastCallAt"):
        return _date(field, value)
    return _text(field, value, numbers=field == "contactId")


async def create(context: ServerContext, *, user_id: str, body: Mapping[str, Any]) -> Reply:
    """`POST /calldown`."""
    if await context.store.users.get(user_id) is None:
        return error("User not found")
    try:
        contact_type = _text("contactType", body.get("contactType"))
        item = NewCallDownItem(
            contact_id=_text("contactId", body.get("contactId"), numbers=True),
            contact_type=contact_type or "contact",
            scheduled_at=_date("scheduledAt", body.get("scheduledAt")),
        )
    except _Invalid as invalid:
        return error(str(invalid))
    try:
        entry_id = await context.store.call_down.create(user_id, item, limit=MAX_ENTRIES_PER_USER)
    except CallDownListFull as full:
        return error(str(full))
    return Reply({"successful": True, "id": entry_id})


async def entries(context: ServerContext, *, user_id: str, status: str | None) -> Reply:
    """`GET /calldown?status=`."""
    items = await context.store.call_down.list(user_id, status_filter(status))
    return Reply({"successful": True, "items": items})


async def update(context: ServerContext, *, user_id: str, entry_id: str, body: Mapping[str, Any]) -> Reply:
    """`PATCH /calldown/{id}`: the persisted fields; at least one field the handler knows (an
    unstored display field alone only touches `updatedAt`)."""
    try:
        values = {
            column: _column_value(field, body[field]) for field, column in PATCHABLE.items() if field in body
        }
    except _Invalid as invalid:
        return error(str(invalid))
    if not values and not any(field in body for field in UNSTORED):
        return error(NO_VALID_FIELDS)
    if "status" in values and values["status"] is None:
        return error("status must be a string")
    if not await context.store.call_down.update(user_id, entry_id, values):
        return error(NOT_FOUND)
    return Reply({"successful": True})


async def remove(context: ServerContext, *, user_id: str, entry_id: str) -> Reply:
    """`DELETE /calldown/{id}`."""
    if not await context.store.call_down.delete(user_id, entry_id):
        return error(NOT_FOUND)
    return Reply({"successful": True})
