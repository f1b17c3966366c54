"""Message-log routes: POST /messageLog and POST /messageLog/match."""

from __future__ import annotations

from fastapi import APIRouter, Response

from appconnect.api.deps import ContextDep, CurrentSession, LoggingCallerDep, SessionRoute
from appconnect.api.responses import result
from appconnect.contract import MessageLogMatchRequest, MessageLogRequest
from appconnect.services import message_logs

router = APIRouter(tags=["message logs"], route_class=SessionRoute)


@router.post("/messageLog")
async def create_message_log(
    body: MessageLogRequest, context: ContextDep, session: CurrentSession, caller: LoggingCallerDep
) -> Response:
    outcome = await message_logs.create_message_log(
        context,
        user_id=session.user_id,
        platform=session.platform,
        request=body,
        rc_account_id_header=caller.rc_account_id,
    )
    return result(outcome.body, revoked=outcome.revoked)


@router.post("/messageLog/match")
async def match_message_logs(
    body: MessageLogMatchRequest, context: ContextDep, session: CurrentSession
) -> Response:
    outcome = await message_logs.match_message_logs(
        context, user_id=session.user_id, platform=session.platform, request=body
    )
    return result(outcome.body)
