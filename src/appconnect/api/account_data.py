"""`GET /accountData`: connector account data for admin pages (e.g. Pipedrive activity types)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from appconnect.api.deps import ContextDep, CurrentSession, SessionRoute
from appconnect.api.responses import plain, reply, result
from appconnect.services import account_data
from appconnect.services.replies import Reply

router = APIRouter(tags=["account data"], route_class=SessionRoute)


@router.get("/accountData")
async def get_account_data(
    context: ContextDep,
    session: CurrentSession,
    keys: str | None = None,
    forceRefresh: str | None = None,
) -> Response:
    wanted = [key.strip() for key in (keys or "").split(",") if key.strip()]
    if not wanted:
        return plain("Missing keys", 400)
    answer = await account_data.get_account_data(
        context,
        user_id=session.user_id,
        platform=session.platform,
        keys=wanted,
        force_refresh=forceRefresh == "true",
    )
    if isinstance(answer, Reply):
        return reply(answer)
    return result(answer.body, revoked=answer.revoked)
