"""User routes (spec platform §4): effective settings, saving settings, preload, refreshing user info."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import Field

from appconnect.api.deps import (
    ContextDep,
    CurrentSession,
    CurrentSessionInvalidJwt,
    CurrentSessionUnknownPlatform,
    SessionRoute,
    rc_access_token,
)
from appconnect.api.responses import UNKNOWN_PLATFORM, plain, reply, result
from appconnect.contract import WireModel
from appconnect.services import users

router = APIRouter(tags=["users"], route_class=SessionRoute)


class UserSettingsUpdate(WireModel):
    user_settings: Any = Field(default=None, alias="userSettings")
    setting_keys_to_remove: Any = Field(default=None, alias="settingKeysToRemove")


@router.get("/user/settings")
async def get_user_settings(
    request: Request, context: ContextDep, session: CurrentSession, rcAccountId: str | None = None
) -> Response:
    answer = await users.effective_settings(
        context,
        user_id=session.user_id,
        rc_access_token=rc_access_token(request),
        hashed_account_id=rcAccountId or None,
    )
    return reply(answer)


@router.post("/user/settings")
async def post_user_settings(
    body: UserSettingsUpdate, context: ContextDep, session: CurrentSessionUnknownPlatform
) -> Response:
    if not session.platform:
        return plain(UNKNOWN_PLATFORM, 400)
    answer = await users.update_settings(
        context,
        user_id=session.user_id,
        platform=session.platform,
        user_settings=body.user_settings,
        keys_to_remove=body.setting_keys_to_remove,
    )
    return reply(answer)


@router.get("/user/preloadSettings")
async def preload_settings(request: Request, context: ContextDep, rcAccountId: str | None = None) -> Response:
    answer = await users.preload_settings(
        context, rc_access_token=rc_access_token(request), hashed_account_id=rcAccountId or None
    )
    return reply(answer)


@router.post("/user/refreshInfo")
async def refresh_user_info(context: ContextDep, session: CurrentSessionInvalidJwt) -> Response:
    outcome = await users.refresh_user_info(
        context, user_id=session.user_id, platform=session.platform or "Unknown"
    )
    return result(outcome.body, revoked=outcome.revoked)
