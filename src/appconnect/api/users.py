"""User routes (spec platform §4): effective settings, saving settings, preload, refreshing user info."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import Field

from appconnect.api.deps import ContextDep, SessionDep, rc_access_token
from appconnect.api.responses import PLEASE_AUTHORIZE, plain, reply, result
from appconnect.contract import WireModel
from appconnect.services import users

router = APIRouter(tags=["users"])


class UserSettingsUpdate(WireModel):
    user_settings: Any = Field(default=None, alias="userSettings")
    setting_keys_to_remove: Any = Field(default=None, alias="settingKeysToRemove")


@router.get("/user/settings")
async def get_user_settings(
    request: Request, context: ContextDep, session: SessionDep, rcAccountId: str | None = None
) -> Response:
    if session.claims is None:
        return plain(PLEASE_AUTHORIZE, 400)
    answer = await users.effective_settings(
        context,
        user_id=session.claims.user_id,
        rc_access_token=rc_access_token(request),
        hashed_account_id=rcAccountId or None,
    )
    return reply(answer)


@router.post("/user/settings")
async def post_user_settings(body: UserSettingsUpdate, context: ContextDep, session: SessionDep) -> Response:
    if session.claims is None and not session.invalid_query_token:
        return plain(PLEASE_AUTHORIZE, 400)
    if session.claims is None or not session.claims.platform:
        return plain("Unknown platform", 400)
    answer = await users.update_settings(
        context,
        user_id=session.claims.user_id,
        platform=session.claims.platform,
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
async def refresh_user_info(context: ContextDep, session: SessionDep) -> Response:
    if session.claims is None:
        return plain("Invalid JWT token" if session.invalid_query_token else PLEASE_AUTHORIZE, 400)
    outcome = await users.refresh_user_info(
        context, user_id=session.claims.user_id, platform=session.platform or "Unknown"
    )
    return result(outcome.body, revoked=outcome.revoked)
