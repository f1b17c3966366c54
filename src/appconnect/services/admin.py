"""Account admin routes: admin settings and admin-managed login values (spec platform §5.1-§5.2, §3.6).

Every admin request re-checks RingCentral with the caller's RingCentral token (`rc_identity`); the
data it reads or writes always belongs to that token's account, never to an account named in the
request. Quirks P-10 and P-11 decided: only `userSettings`, `customAdapter` and `userMappings` can
be written, and the RingCentral admin tokens are never sent to the browser.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import structlog

from appconnect.domain import User
from appconnect.services import managed_auth
from appconnect.services.context import ServerContext
from appconnect.services.replies import Reply, error, text
from appconnect.services.ringcentral import ADMIN_VALIDATION_FAILED, RcIdentity, rc_identity

log = structlog.get_logger(__name__)

WRITABLE_ADMIN_FIELDS = {
    "userSettings": "user_settings",
    "customAdapter": "custom_adapter",
    "userMappings": "user_mappings",
}
NO_ADMIN_SETTINGS: dict[str, Any] = {"customConnector": None, "userSettings": {}}


async def require_admin(context: ServerContext, rc_access_token: str | None) -> RcIdentity | Reply:
    """The caller's RingCentral identity when it is an account admin, else the answer to send."""
    try:
        identity = await rc_identity(context, rc_access_token)
    except Exception as failure:
        return error(str(failure) or type(failure).__name__)
    if not identity.is_admin:
        log.info("admin validation failed")
        return text(ADMIN_VALIDATION_FAILED, 403)
    return identity


async def user_and_admin(
    context: ServerContext, user_id: str, rc_access_token: str | None
) -> tuple[User, RcIdentity] | Reply:
    user = await context.store.users.get(user_id)
    if user is None:
        return text("User not found")
    identity = await require_admin(context, rc_access_token)
    if isinstance(identity, Reply):
        return identity
    return user, identity


async def update_admin_settings(
    context: ServerContext, *, rc_access_token: str | None, admin_settings: Any
) -> Reply:
    """`POST /admin/settings`: replace the given top-level fields of the account's admin config."""
    identity = await require_admin(context, rc_access_token)
    if isinstance(identity, Reply):
        return identity
    if not isinstance(admin_settings, Mapping):
        return error("adminSettings must be an object")
    ignored = sorted(key for key in admin_settings if key not in WRITABLE_ADMIN_FIELDS)
    if ignored:
        log.warning("admin settings fields ignored", fields=ignored)
    fields = {
        column: admin_settings[key] for key, column in WRITABLE_ADMIN_FIELDS.items() if key in admin_settings
    }
    await context.store.admin_configs.upsert(identity.hashed_account_id(context.secrets.hash_key), **fields)
    return text("Admin settings updated", 200)


async def admin_settings(context: ServerContext, *, user_id: str, rc_access_token: str | None) -> Reply:
    """`GET /admin/settings`: the account's admin config without the RingCentral admin tokens."""
    checked = await user_and_admin(context, user_id, rc_access_token)
    if isinstance(checked, Reply):
        return checked
    _user, identity = checked
    row = await context.store.admin_configs.get_public(identity.hashed_account_id(context.secrets.hash_key))
    return Reply(row if row is not None else dict(NO_ADMIN_SETTINGS))


async def managed_auth_settings(
    context: ServerContext, *, user_id: str, rc_access_token: str | None, source: managed_auth.PortalSource
) -> Reply:
    """`GET /admin/managedAuth`."""
    checked = await user_and_admin(context, user_id, rc_access_token)
    if isinstance(checked, Reply):
        return checked
    user, identity = checked
    return await managed_auth.admin_view(context, user, identity, source)


async def update_managed_auth(
    context: ServerContext, *, user_id: str, rc_access_token: str | None, body: Mapping[str, Any]
) -> Reply:
    """`POST /admin/managedAuth`."""
    checked = await user_and_admin(context, user_id, rc_access_token)
    if isinstance(checked, Reply):
        return checked
    user, identity = checked
    return await managed_auth.admin_update(
        context,
        user,
        identity,
        scope=body.get("scope"),
        values=body.get("values"),
        fields_to_remove=body.get("fieldsToRemove"),
        rc_extension_id=body.get("rcExtensionId"),
        rc_user_name=body.get("rcUserName"),
    )


async def managed_auth_state(
    context: ServerContext, *, platform: str, rc_access_token: str | None, source: managed_auth.PortalSource
) -> Reply:
    """`GET /apiKeyManagedAuthState`: identities come from the RingCentral token only."""
    try:
        identity = await rc_identity(context, rc_access_token)
        state = await managed_auth.login_state(context, platform, identity, source)
    except Exception as failure:
        return error(str(failure) or type(failure).__name__)
    return Reply(state)
