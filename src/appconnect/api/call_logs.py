"""Call-log routes: POST/PATCH/GET /callLog, PUT /callDisposition, POST /callLog/cacheNote."""

from __future__ import annotations

from fastapi import APIRouter, Response

from appconnect.api.deps import (
    ContextDep,
    CurrentSession,
    CurrentSessionInvalidJwt,
    LoggingCallerDep,
    SessionRoute,
)
from appconnect.api.responses import result
from appconnect.contract import (
    CacheNoteRequest,
    CreateCallLogRequest,
    DispositionRequest,
    UpdateCallLogRequest,
)
from appconnect.services import call_logs

router = APIRouter(tags=["call logs"], route_class=SessionRoute)


@router.post("/callLog")
async def create_call_log(
    body: CreateCallLogRequest, context: ContextDep, session: CurrentSession, caller: LoggingCallerDep
) -> Response:
    outcome = await call_logs.create_call_log(
        context,
        user_id=session.user_id,
        platform=session.platform,
        request=body,
        rc_account_id_header=caller.rc_account_id,
        is_from_sscl=caller.is_from_sscl,
    )
    return result(outcome.body, revoked=outcome.revoked)


@router.patch("/callLog")
async def update_call_log(
    body: UpdateCallLogRequest, context: ContextDep, session: CurrentSession, caller: LoggingCallerDep
) -> Response:
    outcome = await call_logs.update_call_log(
        context,
        user_id=session.user_id,
        platform=session.platform,
        request=body,
        rc_account_id_header=caller.rc_account_id,
        is_from_sscl=caller.is_from_sscl,
    )
    return result(outcome.body, revoked=outcome.revoked)


@router.get("/callLog")
async def get_call_log(
    context: ContextDep,
    session: CurrentSession,
    sessionIds: str | None = None,
    extensionNumber: str | None = None,
    hashedExtensionId: str | None = None,
    requireDetails: str | None = None,
) -> Response:
    outcome = await call_logs.get_call_logs(
        context,
        user_id=session.user_id,
        platform=session.platform,
        session_ids=sessionIds,
        extension_number=extensionNumber,
        hashed_extension_id=hashedExtensionId,
        require_details=requireDetails == "true",
    )
    return result(outcome.body, revoked=outcome.revoked)


@router.put("/callDisposition")
async def put_call_disposition(
    body: DispositionRequest, context: ContextDep, session: CurrentSessionInvalidJwt
) -> Response:
    outcome = await call_logs.upsert_call_disposition(
        context, user_id=session.user_id, platform=session.platform, request=body
    )
    return result(outcome.body, revoked=outcome.revoked)


@router.post("/callLog/cacheNote")
async def cache_note(body: CacheNoteRequest, context: ContextDep, session: CurrentSession) -> Response:
    outcome = await call_logs.cache_note(
        context, session_id=body.session_id, note=body.note, platform=session.platform
    )
    return result(outcome.body)
