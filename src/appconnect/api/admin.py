"""Admin routes (spec platform §5.1-§5.2, §3.6): admin settings and admin-managed login values.

Each route checks the App Connect session first (where it needs one), then the caller's RingCentral
admin role (403 `Admin validation failed`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import Field

from appconnect.api.deps import ContextDep, CurrentSessionUserNotFound, SessionRoute, rc_access_token
from appconnect.api.responses import reply
from appconnect.contract import WireModel
from appconnect.services import admin
from appconnect.services.managed_auth import PortalSource

router = APIRouter(tags=["admin"], route_class=SessionRoute)


class AdminSettingsUpdate(WireModel):
    admin_settings: Any = Field(default=None, alias="adminSettings")
    rc_access_token: Any = Field(default=None, alias="rcAccessToken")


class ManagedAuthUpdate(WireModel):
    scope: Any = None
    values: Any = None
    fields_to_remove: Any = Field(default=None, alias="fieldsToRemove")
    rc_extension_id: Any = Field(default=None, alias="rcExtensionId")
    rc_user_name: Any = Field(default=None, alias="rcUserName")
    rc_access_token: Any = Field(default=None, alias="rcAccessToken")


def _portal(connector_id: str | None, dev_rc_account_id: str | None, is_private: str | None) -> PortalSource:
    return PortalSource(
        connector_id=connector_id or None,
        dev_rc_account_id=dev_rc_account_id or None,
        is_private=is_private == "true",
    )


@router.post("/admin/settings")
async def post_admin_settings(body: AdminSettingsUpdate, request: Request, context: ContextDep) -> Response:
    answer = await admin.update_admin_settings(
        context,
        rc_access_token=rc_access_token(request, body.rc_access_token),
        admin_settings=body.admin_settings,
    )
    return reply(answer)


@router.get("/admin/settings")
async def get_admin_settings(
    request: Request, context: ContextDep, session: CurrentSessionUserNotFound
) -> Response:
    answer = await admin.admin_settings(
        context, user_id=session.user_id, rc_access_token=rc_access_token(request)
    )
    return reply(answer)


@router.get("/admin/managedAuth")
async def get_managed_auth(
    request: Request,
    context: ContextDep,
    session: CurrentSessionUserNotFound,
    connectorId: str | None = None,
    devRcAccountId: str | None = None,
    isPrivate: str | None = None,
) -> Response:
    answer = await admin.managed_auth_settings(
        context,
        user_id=session.user_id,
        rc_access_token=rc_access_token(request),
        source=_portal(connectorId, devRcAccountId, isPrivate),
    )
    return reply(answer)


@router.post("/admin/managedAuth")
async def post_managed_auth(
    body: ManagedAuthUpdate, request: Request, context: ContextDep, session: CurrentSessionUserNotFound
) -> Response:
    answer = await admin.update_managed_auth(
        context,
        user_id=session.user_id,
        rc_access_token=rc_access_token(request, body.rc_access_token),
        body=body.wire(),
    )
    return reply(answer)
