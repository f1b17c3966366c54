"""Login and logout routes (API-key flow)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Header, Response
from fastapi.responses import JSONResponse
from pydantic import Field

from appconnect.api.deps import ContextDep, SessionDep
from appconnect.api.responses import PLEASE_AUTHORIZE, plain, result
from appconnect.contract import WireModel
from appconnect.services import login

router = APIRouter(tags=["auth"])


class ApiKeyLoginRequest(WireModel):
    platform: str | None = None
    api_key: str | None = Field(default=None, alias="apiKey")
    hostname: str | None = None
    additional_info: dict[str, Any] | None = Field(default=None, alias="additionalInfo")


@router.post("/apiKeyLogin")
async def api_key_login(
    body: ApiKeyLoginRequest, context: ContextDep, rc_extension_id: str | None = Header(default=None)
) -> Response:
    if not body.platform:
        return plain("Missing platform name", 400)
    status, payload = await login.api_key_login(
        context,
        platform=body.platform,
        api_key=body.api_key,
        hostname=body.hostname,
        additional_info=body.additional_info,
        hashed_rc_extension_id=rc_extension_id,
    )
    return JSONResponse(payload, status_code=status)


@router.post("/unAuthorize")
async def unauthorize(context: ContextDep, session: SessionDep) -> Response:
    if session.claims is None:
        return plain(PLEASE_AUTHORIZE if not session.invalid_query_token else "User not found", 400)
    outcome = await login.unauthorize(
        context, user_id=session.claims.user_id, platform=session.platform or ""
    )
    if outcome is None:
        return plain("User not found", 400)
    return result(outcome.body)
