"""API-key login and logout (the basic flow; managed auth and OAuth come with the auth work)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import structlog

from appconnect.connectors.types import UserInfoResult, message_to_wire
from appconnect.domain import User
from appconnect.services.auth import maybe_await
from appconnect.services.call_logs import Outcome
from appconnect.services.context import ServerContext

log = structlog.get_logger(__name__)


async def api_key_login(
    context: ServerContext,
    *,
    platform: str,
    api_key: str | None,
    hostname: str | None,
    additional_info: dict[str, Any] | None,
    hashed_rc_extension_id: str | None,
) -> tuple[int, dict[str, Any]]:
    """Verify the key with the CRM (`get_user_info`), save the user, and issue a session JWT."""
    connector = context.registry.get(platform)
    info = dict(additional_info or {})
    if "apiKey" not in info and api_key:
        info["apiKey"] = api_key
    resolved_key = info.get("apiKey") or api_key or ""
    basic = await maybe_await(connector.get_basic_auth(api_key=resolved_key))
    result: UserInfoResult = await connector.get_user_info(
        auth_header=f"Basic {basic}",
        hostname=hostname,
        platform=platform,
        additional_info=info,
        api_key=resolved_key,
        proxy_id=None,
    )
    if not result.successful or result.platform_user_info is None:
        return 400, {"returnMessage": message_to_wire(result.return_message)}
    platform_user = result.platform_user_info
    existing = await context.store.users.get(platform_user.id)
    base = existing or User(id=platform_user.id, platform=platform)
    user = replace(
        base,
        platform=platform,
        hostname=hostname if hostname is not None else base.hostname,
        timezone_name=platform_user.timezone_name or base.timezone_name,
        timezone_offset=(
            str(platform_user.timezone_offset)
            if platform_user.timezone_offset is not None
            else base.timezone_offset
        ),
        access_token=platform_user.overriding_api_key or resolved_key,
        platform_additional_info={
            **base.platform_additional_info,
            **dict(platform_user.platform_additional_info),
        },
        hashed_rc_extension_id=hashed_rc_extension_id or base.hashed_rc_extension_id,
    )
    await context.store.users.save(user)
    return 200, {
        "jwtToken": context.tokens.issue(user.id, platform),
        "name": platform_user.name,
        "returnMessage": message_to_wire(result.return_message),
    }


async def unauthorize(context: ServerContext, *, user_id: str, platform: str) -> Outcome | None:
    """Log the user out at the CRM (when the connector can) and forget the credentials."""
    user = await context.store.users.get(user_id)
    if user is None:
        return None
    connector = context.registry.get(platform or user.platform)
    message: Any = None
    revoke = getattr(connector, "unauthorize", None)
    if revoke is not None:
        result = await revoke(user=user)
        message = message_to_wire(result.return_message) if result is not None else None
    await context.store.users.update_tokens(user, access_token="", refresh_token=None, token_expiry=None)
    body: dict[str, Any] = {"successful": True}
    body["returnMessage"] = message or {"message": "Logged out", "messageType": "success", "ttl": 1000}
    return Outcome(body=body)
