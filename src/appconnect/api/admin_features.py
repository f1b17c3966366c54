"""More admin routes (spec platform §5.3, §5.4, §3.6): user mapping, server-side logging settings,
managed-auth options.

Each route checks the App Connect session first (where it needs one, before the body is read),
then the user, then the caller's RingCentral admin role (403 `Admin validation failed`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import Field

from appconnect.api.deps import (
    ContextDep,
    CurrentSession,
    CurrentSessionUserNotFound,
    RequireSession,
    SessionRoute,
    TokenPresented,
    rc_access_token,
)
from appconnect.api.responses import plain, reply, result
from appconnect.contract import WireModel
from appconnect.services import managed_auth_options, managed_oauth, server_logging, user_mapping
from appconnect.services.managed_auth import PortalSource
from appconnect.services.outcomes import Outcome
from appconnect.services.replies import Reply

router = APIRouter(tags=["admin"], route_class=SessionRoute)


class UserMappingRequest(WireModel):
    rc_extension_list: Any = Field(default=None, alias="rcExtensionList")
    rc_access_token: Any = Field(default=None, alias="rcAccessToken")


class ServerLoggingUpdate(WireModel):
    additional_field_values: Any = Field(default=None, alias="additionalFieldValues")
    rc_access_token: Any = Field(default=None, alias="rcAccessToken")


def _answer(answer: Reply | Outcome) -> Response:
    if isinstance(answer, Outcome):
        return result(answer.body, revoked=answer.revoked)
    return reply(answer)


async def _map(
    body: UserMappingRequest, request: Request, context: ContextDep, user_id: str, *, reinitialize: bool
) -> Response:
    answer = await user_mapping.map_users(
        context,
        user_id=user_id,
        rc_access_token=rc_access_token(request, body.rc_access_token),
        rc_extension_list=body.rc_extension_list,
        reinitialize=reinitialize,
    )
    return _answer(answer)


@router.post("/admin/userMapping")
async def post_user_mapping(
    body: UserMappingRequest, request: Request, context: ContextDep, session: CurrentSessionUserNotFound
) -> Response:
    return await _map(body, request, context, session.user_id, reinitialize=False)


@router.post("/admin/reinitializeUserMapping")
async def reinitialize_user_mapping(
    body: UserMappingRequest, request: Request, context: ContextDep, session: CurrentSessionUserNotFound
) -> Response:
    return await _map(body, request, context, session.user_id, reinitialize=True)


@router.get("/admin/serverLoggingSettings")
async def get_server_logging_settings(
    request: Request, context: ContextDep, session: CurrentSession
) -> Response:
    answer = await server_logging.settings(
        context, user_id=session.user_id, rc_access_token=rc_access_token(request)
    )
    return reply(answer)


@router.post("/admin/serverLoggingSettings")
async def post_server_logging_settings(
    request: Request, context: ContextDep, _token: TokenPresented, body: ServerLoggingUpdate | None = None
) -> Response:
    # The reference's order: a token was sent, then the body (none at all counts as `{}`), then the
    # token is verified.
    body = body or ServerLoggingUpdate()
    if server_logging.values_missing(body.additional_field_values):
        return plain(server_logging.MISSING_VALUES, 400)
    session = await RequireSession()(request)
    answer = await server_logging.update(
        context,
        user_id=session.user_id,
        rc_access_token=rc_access_token(request, body.rc_access_token),
        values=body.additional_field_values,
    )
    return reply(answer)


class ManagedAuthOptionsRequest(WireModel):
    field_const: Any = Field(default=None, alias="fieldConst")
    account_values: Any = Field(default=None, alias="accountValues")
    rc_access_token: Any = Field(default=None, alias="rcAccessToken")


@router.post("/admin/managedAuth/options")
async def post_managed_auth_options(
    body: ManagedAuthOptionsRequest,
    request: Request,
    context: ContextDep,
    platform: str | None = None,
    connectorId: str | None = None,
    devRcAccountId: str | None = None,
    isPrivate: str | None = None,
) -> Response:
    answer = await managed_auth_options.options(
        context,
        platform=platform,
        field_const=body.field_const,
        account_values=body.account_values,
        rc_access_token=rc_access_token(request, body.rc_access_token),
        source=PortalSource(
            connector_id=connectorId or None,
            dev_rc_account_id=devRcAccountId or None,
            is_private=isPrivate == "true",
        ),
    )
    return reply(answer)


class ManagedOAuthValues(WireModel):
    values: Any = None
    rc_access_token: Any = Field(default=None, alias="rcAccessToken")


@router.get("/oauthManagedAuthState")
async def oauth_managed_auth_state(
    request: Request, context: ContextDep, platform: str | None = None
) -> Response:
    if not platform:
        return plain("Missing platform name", 400)
    token = rc_access_token(request)
    if not token:
        return plain("Missing RingCentral access token", 400)
    return reply(await managed_oauth.state(context, platform=platform, rc_access_token=token))


@router.post("/admin/managedOAuth/cache")
async def stage_managed_oauth(body: ManagedOAuthValues, request: Request, context: ContextDep) -> Response:
    answer = await managed_oauth.stage(
        context, rc_access_token=rc_access_token(request, body.rc_access_token), values=body.values
    )
    return reply(answer)


@router.delete("/admin/managedOAuth/cache")
async def unstage_managed_oauth(request: Request, context: ContextDep) -> Response:
    return reply(await managed_oauth.unstage(context, rc_access_token=rc_access_token(request)))


@router.delete("/admin/managedOAuth/account")
async def forget_managed_oauth(
    request: Request, context: ContextDep, platform: str | None = None
) -> Response:
    answer = await managed_oauth.forget(context, rc_access_token=rc_access_token(request), platform=platform)
    return reply(answer)
