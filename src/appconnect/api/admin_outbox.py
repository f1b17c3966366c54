"""Admin routes for the outbox (ours, not in the reference contract): list, retry, drop jobs.

Thin: the session is checked first (before anything else), then `services.admin_outbox` checks
the user and the caller's RingCentral admin role, as every `/admin/*` route does.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from appconnect.api.deps import ContextDep, CurrentSessionUserNotFound, SessionRoute, rc_access_token
from appconnect.api.responses import reply
from appconnect.services import admin_outbox

router = APIRouter(tags=["admin"], route_class=SessionRoute)


@router.get("/admin/outbox")
async def get_outbox(
    request: Request, context: ContextDep, session: CurrentSessionUserNotFound, state: str | None = None
) -> Response:
    answer = await admin_outbox.list_jobs(
        context, user_id=session.user_id, rc_access_token=rc_access_token(request), state=state
    )
    return reply(answer)


@router.post("/admin/outbox/{jobId}/retry")
async def retry_outbox_job(
    jobId: str, request: Request, context: ContextDep, session: CurrentSessionUserNotFound
) -> Response:
    answer = await admin_outbox.retry_job(
        context, user_id=session.user_id, rc_access_token=rc_access_token(request), job_id=jobId
    )
    return reply(answer)


@router.delete("/admin/outbox/{jobId}")
async def drop_outbox_job(
    jobId: str, request: Request, context: ContextDep, session: CurrentSessionUserNotFound
) -> Response:
    answer = await admin_outbox.drop_job(
        context, user_id=session.user_id, rc_access_token=rc_access_token(request), job_id=jobId
    )
    return reply(answer)
