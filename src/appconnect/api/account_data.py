"""`GET /accountData`: connector account data for admin pages (e.g. Pipedrive activity types)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from appconnect.api.deps import ContextDep, SessionDep
from appconnect.api.responses import PLEASE_AUTHORIZE, plain, reply, result
from appconnect.services import account_data
from appconnect.services.replies import Reply

router = APIRouter(tags=["account data"])


@router.get("/accountData")
async def get_account_data(
    context: ContextDep,
    session: SessionDep,
    keys: str | None = None,
    forceRefresh: str | None = None,
) -> Response:
    wanted = [key.strip() for key in (keys or "").split(",") if key.strip()]
    if not wanted:
        return plain("Missing keys", 400)
    if session.claims is None:
        return plain(PLEASE_AUTHORIZE, 400)
    answer = await account_data.get_account_data(
        context,
        user_id=session.claims.user_id,
        platform=session.platform or "",
        keys=wanted,
        force_refresh=forceRefresh == "true",
    )
    if isinstance(answer, Reply):
        return reply(answer)
    return result(answer.body, revoked=answer.revoked)
