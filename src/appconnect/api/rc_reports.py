"""RingCentral admin token and call report routes (spec platform §5.5).

No JWT answers 400 `Invalid request`; an invalid legacy query token `User not found` (§10.2). The
reports also need the caller's RingCentral token with admin rights (quirk P-15).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from appconnect.api.deps import ContextDep, CurrentSessionInvalidRequest, SessionRoute, rc_access_token
from appconnect.api.responses import reply
from appconnect.services import debug_report, rc_reports

router = APIRouter(tags=["ringcentral"], route_class=SessionRoute)


@router.get("/ringcentral/oauth/callback")
async def ringcentral_oauth_callback(
    context: ContextDep, session: CurrentSessionInvalidRequest, code: str | None = None
) -> Response:
    return reply(await rc_reports.oauth_callback(context, user_id=session.user_id, code=code))


@router.get("/ringcentral/admin/report")
async def ringcentral_admin_report(
    request: Request,
    context: ContextDep,
    session: CurrentSessionInvalidRequest,
    timezone: str | None = None,
    timeFrom: str | None = None,
    timeTo: str | None = None,
    groupBy: str | None = None,
) -> Response:
    answer = await rc_reports.company_report(
        context,
        user_id=session.user_id,
        rc_access_token=rc_access_token(request),
        timezone=timezone,
        time_from=timeFrom,
        time_to=timeTo,
        group_by=groupBy,
    )
    return reply(answer)


@router.get("/ringcentral/admin/userReport")
async def ringcentral_user_report(
    request: Request,
    context: ContextDep,
    session: CurrentSessionInvalidRequest,
    rcExtensionId: str | None = None,
    timezone: str | None = None,
    timeFrom: str | None = None,
    timeTo: str | None = None,
) -> Response:
    answer = await rc_reports.user_report(
        context,
        user_id=session.user_id,
        rc_access_token=rc_access_token(request),
        rc_extension_id=rcExtensionId,
        time_from=timeFrom,
        time_to=timeTo,
    )
    return reply(answer)


@router.get("/debug/report/url")
async def debug_report_url(context: ContextDep, session: CurrentSessionInvalidRequest) -> Response:
    """JWT only, no user check (as the reference); an invalid query token is refused (quirk P-23)."""
    return reply(debug_report.upload_url(context.settings, user_id=session.user_id))
