"""Contact routes: GET/POST /contact and GET /custom/contact/search."""

from __future__ import annotations

from fastapi import APIRouter, Response

from appconnect.api.deps import ContextDep, SessionDep
from appconnect.api.responses import PLEASE_AUTHORIZE, error_json, plain, result
from appconnect.contract import CreateContactRequest
from appconnect.services import contacts

router = APIRouter(tags=["contacts"])


@router.get("/contact")
async def find_contact(
    context: ContextDep,
    session: SessionDep,
    phoneNumber: str | None = None,
    overridingFormat: str | None = None,
    isExtension: str | None = None,
    isForceRefreshAccountData: str | None = None,
) -> Response:
    if session.claims is None:
        return plain(PLEASE_AUTHORIZE, 400)
    if not phoneNumber:
        return error_json("phoneNumber is required")
    outcome = await contacts.find_contact(
        context,
        user_id=session.claims.user_id,
        platform=session.platform or "",
        phone_number=phoneNumber.replace(" ", "+", 1),  # a `+` that arrived URL-decoded as a space
        overriding_format=overridingFormat,
        is_extension=isExtension == "true",
        force_refresh=isForceRefreshAccountData == "true",
    )
    return result(outcome.body, revoked=outcome.revoked)


@router.post("/contact")
async def create_contact(body: CreateContactRequest, context: ContextDep, session: SessionDep) -> Response:
    if session.claims is None:
        return plain(PLEASE_AUTHORIZE, 400)
    outcome = await contacts.create_contact(
        context, user_id=session.claims.user_id, platform=session.platform or "", request=body
    )
    return result(outcome.body, revoked=outcome.revoked)


@router.get("/custom/contact/search")
async def search_contacts(context: ContextDep, session: SessionDep, name: str = "") -> Response:
    if session.claims is None:
        return plain("Invalid JWT token" if session.invalid_query_token else PLEASE_AUTHORIZE, 400)
    outcome = await contacts.find_contact_with_name(
        context, user_id=session.claims.user_id, platform=session.platform or "", name=name
    )
    return result(outcome.body, revoked=outcome.revoked)
