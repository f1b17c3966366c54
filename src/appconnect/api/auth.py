"""Login, logout and session routes (spec platform §3): OAuth and API-key login, managed auth state."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Header, Request, Response
from pydantic import Field

from appconnect.api.deps import (
    ContextDep,
    CurrentSessionInvalidJwt,
    CurrentSessionUserNotFound,
    SessionDep,
    SessionRoute,
    rc_access_token,
)
from appconnect.api.responses import INVALID_JWT, plain, reply
from appconnect.compose import is_truthy
from appconnect.contract import WireModel
from appconnect.services import admin, login
from appconnect.services.managed_auth import PortalSource

router = APIRouter(tags=["auth"], route_class=SessionRoute)


class ApiKeyLoginRequest(WireModel):
    platform: str | None = None
    api_key: str | None = Field(default=None, alias="apiKey")
    hostname: str | None = None
    additional_info: Any = Field(default=None, alias="additionalInfo")
    proxy_id: str | None = Field(default=None, alias="proxyId")
    connector_id: str | int | None = Field(default=None, alias="connectorId")
    dev_rc_account_id: str | int | None = Field(default=None, alias="devRcAccountId")
    is_private: Any = Field(default=None, alias="isPrivate")
    rc_access_token: Any = Field(default=None, alias="rcAccessToken")


def _text_or_none(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


@router.get("/oauth-callback")
async def oauth_callback(
    request: Request, context: ContextDep, rc_extension_id: str | None = Header(default=None)
) -> Response:
    query = {key: value for key, value in request.query_params.items()}
    return reply(await login.oauth_callback(context, query=query, hashed_rc_extension_id=rc_extension_id))


@router.post("/apiKeyLogin")
async def api_key_login(
    body: ApiKeyLoginRequest,
    request: Request,
    context: ContextDep,
    rc_extension_id: str | None = Header(default=None),
) -> Response:
    if not body.platform:
        return plain("Missing platform name", 400)
    answer = await login.api_key_login(
        context,
        platform=body.platform,
        api_key=body.api_key,
        hostname=body.hostname,
        additional_info=body.additional_info,
        proxy_id=body.proxy_id,
        hashed_rc_extension_id=rc_extension_id,
        rc_access_token=rc_access_token(request, body.rc_access_token),
        portal=PortalSource(
            connector_id=_text_or_none(body.connector_id),
            dev_rc_account_id=_text_or_none(body.dev_rc_account_id),
            is_private=is_truthy(body.is_private),
        ),
    )
    return reply(answer)


@router.post("/unAuthorize")
async def unauthorize(context: ContextDep, session: CurrentSessionUserNotFound) -> Response:
    return reply(await login.unauthorize(context, user_id=session.user_id, platform=session.platform))


@router.get("/authValidation")
async def auth_validation(context: ContextDep, session: CurrentSessionInvalidJwt) -> Response:
    return reply(await login.auth_validation(context, user_id=session.user_id, platform=session.platform))


@router.get("/licenseStatus")
async def license_status(context: ContextDep, session: SessionDep) -> Response:
    if session.invalid_query_token:
        return plain(INVALID_JWT, 400)
    return reply(
        await login.license_status(context, user_id=session.user_id, platform=session.platform or "")
    )


@router.get("/hostname")
async def hostname(context: ContextDep, session: CurrentSessionUserNotFound) -> Response:
    return reply(await login.stored_hostname(context, user_id=session.user_id))


@router.get("/userInfoHash")
async def user_info_hash(
    context: ContextDep, extensionId: str | None = None, accountId: str | None = None
) -> Response:
    return reply(login.user_info_hash(context, extension_id=extensionId, account_id=accountId))


@router.get("/apiKeyManagedAuthState")
async def api_key_managed_auth_state(
    request: Request,
    context: ContextDep,
    platform: str | None = None,
    connectorId: str | None = None,
    devRcAccountId: str | None = None,
    isPrivate: str | None = None,
) -> Response:
    if not platform:
        return plain("Missing platform name", 400)
    token = rc_access_token(request)
    if not token:
        return plain("Missing RingCentral access token", 400)
    source = PortalSource(
        connector_id=connectorId or None,
        dev_rc_account_id=devRcAccountId or None,
        is_private=isPrivate == "true",
    )
    return reply(
        await admin.managed_auth_state(context, platform=platform, rc_access_token=token, source=source)
    )
