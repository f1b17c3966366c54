"""Contact routes: GET/POST /contact and GET /custom/contact/search."""

from __future__ import annotations

from fastapi import APIRouter, Response

from appconnect.api.deps import ContextDep, CurrentSession, CurrentSessionInvalidJwt, SessionRoute
from appconnect.api.responses import error_json, result
from appconnect.contract import CreateContactRequest
from appconnect.services import contacts

router = APIRouter(tags=["contacts"], route_class=SessionRoute)


@router.get("/contact")
async def find_contact(
    context: ContextDep,
    session: CurrentSession,
    phoneNumber: str | None = None,
    overridingFormat: str | None = None,
    isExtension: str | None = None,
    isForceRefreshAccountData: str | None = None,
) -> Response:
    if not phoneNumber:
        return error_json("phoneNumber is required")
    outcome = await contacts.find_contact(
        context,
        user_id=session.user_id,
        platform=session.platform,
        phone_number=phoneNumber.replace(" ", "+", 1),  # a `+` that arrived URL-decoded as a space
        overriding_format=overridingFormat,
        is_extension=isExtension == "true",
        force_refresh=isForceRefreshAccountData == "true",
    )
    return result(outcome.body, revoked=outcome.revoked)


@router.post("/contact")
async def create_contact(
    body: CreateContactRequest, context: ContextDep, session: CurrentSession
) -> Response:
    outcome = await contacts.create_contact(
        context, user_id=session.user_id, platform=session.platform, request=body
    )
    return result(outcome.body, revoked=outcome.revoked)


@router.get("/custom/contact/search")
async def search_contacts(context: ContextDep, session: CurrentSessionInvalidJwt, name: str = "") -> Response:
    outcome = await contacts.find_contact_with_name(
        context, user_id=session.user_id, platform=session.platform, name=name
    )
    return result(outcome.body, revoked=outcome.revoked)
