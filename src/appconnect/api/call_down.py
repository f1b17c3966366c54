"""Call-down list routes (spec platform §9.1): the signed-in user's call-back entries.

Every route needs the App Connect JWT; an invalid legacy query token is answered
`{"error": "Unauthorized"}` as the reference does.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import Field

from appconnect.api.deps import ContextDep, CurrentSessionCallDown, SessionRoute
from appconnect.api.responses import reply
from appconnect.contract import WireModel
from appconnect.services import call_down

router = APIRouter(tags=["call down"], route_class=SessionRoute)


class CallDownCreate(WireModel):
    contact_id: Any = Field(default=None, alias="contactId")
    contact_type: Any = Field(default=None, alias="contactType")
    scheduled_at: Any = Field(default=None, alias="scheduledAt")
    contact_name: Any = Field(default=None, alias="contactName")
    phone_number: Any = Field(default=None, alias="phoneNumber")
    note: Any = None


class CallDownPatch(CallDownCreate):
    status: Any = None
    last_call_at: Any = Field(default=None, alias="lastCallAt")


@router.get("/calldown")
async def list_call_down(
    context: ContextDep, session: CurrentSessionCallDown, status: str | None = None
) -> Response:
    return reply(await call_down.entries(context, user_id=session.user_id, status=status))


@router.post("/calldown")
async def create_call_down(
    body: CallDownCreate, context: ContextDep, session: CurrentSessionCallDown
) -> Response:
    return reply(await call_down.create(context, user_id=session.user_id, body=body.wire()))


@router.patch("/calldown/{id}")
async def update_call_down(
    id: str,  # the contract names the path parameter `id`
    body: CallDownPatch,
    context: ContextDep,
    session: CurrentSessionCallDown,
) -> Response:
    answer = await call_down.update(context, user_id=session.user_id, entry_id=id, body=body.wire())
    return reply(answer)


@router.delete("/calldown/{id}")
async def delete_call_down(
    id: str,  # the contract names the path parameter `id`
    context: ContextDep,
    session: CurrentSessionCallDown,
) -> Response:
    return reply(await call_down.remove(context, user_id=session.user_id, entry_id=id))
