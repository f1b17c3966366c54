"""A user's settings (with the account admin's merged over them) and the connector's user refresh.

Spec platform §4. The settings map is `{<settingId>: {value, customizable, isRemoved, defaultValue,
options}}`. An admin entry with `customizable: false` is read-only (the admin's entry wins), one with
`isRemoved: true` is hidden; anything else lets the user's value through. Values are decided with
JavaScript truthiness, as the reference does, so both servers merge a stored map the same way.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import structlog

from appconnect.compose import is_truthy
from appconnect.connectors.base import RefreshesUserInfo, WatchesUserSettings
from appconnect.connectors.inputs import CrmInput, UserSettingsInput
from appconnect.connectors.types import message_to_wire
from appconnect.services.context import ServerContext
from appconnect.services.crm import CrmSession
from appconnect.services.login import merge_user_info
from appconnect.services.messages import USER_NOT_FOUND, crm_failure_message
from appconnect.services.outcomes import Answered, Outcome
from appconnect.services.replies import Reply, error, text
from appconnect.services.ringcentral import rc_identity

log = structlog.get_logger(__name__)

PLUGIN_PREFIX = "plugin_"
_USER_FIELDS = ("value", "defaultValue", "options")


def _as_map(value: Any) -> Mapping[str, Any] | None:
    return value if isinstance(value, Mapping) else None


def _merge_plugin(entry: dict[str, Any], admin_entry: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The nested rule for `plugin_*` settings: admin config fields that are not customizable, or that
    fill a value the user left empty, replace the user's; None drops the whole entry."""
    user_value = _as_map(entry.get("value"))
    mine = _as_map(user_value.get("config")) if user_value is not None else None
    if not mine:
        mine = None
    admin_value = _as_map(admin_entry.get("value")) if admin_entry is not None else None
    theirs = _as_map(admin_value.get("config")) if admin_value is not None else None
    if mine is not None and theirs is not None:
        config = copy.deepcopy(dict(mine))
        for key, field in config.items():
            admin_field = _as_map(theirs.get(key))
            user_field = _as_map(field) or {}
            if admin_field is not None and (
                not is_truthy(admin_field.get("customizable"))
                or (not is_truthy(user_field.get("value")) and is_truthy(admin_field.get("value")))
            ):
                config[key] = copy.deepcopy(dict(admin_field))
            elif isinstance(field, dict):
                customizable = admin_field.get("customizable") if admin_field is not None else None
                field["customizable"] = True if customizable is None else customizable
    elif mine is None:
        if theirs is None:
            return None
        config = copy.deepcopy(dict(theirs))
    else:
        return entry
    return {**entry, "value": {**(user_value or {}), "config": config}}


def merge_settings(
    admin_settings: Mapping[str, Any] | None, user_settings: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The effective settings: the admin's map (when the account has one) merged over the user's.

    >>> merge_settings({"a": {"value": 1, "customizable": False}}, {"a": {"value": 2}})
    {'a': {'value': 1, 'customizable': False}}
    """
    if admin_settings is None:
        return dict(user_settings or {})
    if user_settings is None:
        return {}
    merged: dict[str, Any] = {}
    keys = [*admin_settings, *(key for key in user_settings if key not in admin_settings)]
    for key in keys:
        admin_entry = _as_map(admin_settings.get(key))
        user_entry = _as_map(user_settings.get(key))
        if admin_entry is not None and is_truthy(admin_entry.get("isRemoved")):
            continue
        user_may_choose = admin_entry is None or is_truthy(admin_entry.get("customizable"))
        if user_may_choose and user_entry is not None:
            entry = {
                "customizable": True,
                **{name: user_entry[name] for name in _USER_FIELDS if name in user_entry},
            }
            shown = _merge_plugin(entry, admin_entry) if key.startswith(PLUGIN_PREFIX) else entry
            if shown is not None:
                merged[key] = shown
        elif key in admin_settings:
            merged[key] = admin_settings[key]
    return merged


async def _admin_user_settings(
    context: ServerContext, rc_access_token: str | None, hashed_account_id: str | None
) -> dict[str, Any] | None:
    """The account admin's settings map, or None (no account given, no row, or any lookup error)."""
    if not rc_access_token and not hashed_account_id:
        return None
    try:
        key = hashed_account_id or (await rc_identity(context, rc_access_token)).hashed_account_id(
            context.secrets.hash_key
        )
        return await context.store.admin_configs.get_user_settings(key)
    except Exception as failure:
        log.warning("admin settings lookup failed; using the user's own", error_type=type(failure).__name__)
        return None


async def effective_settings(
    context: ServerContext, *, user_id: str, rc_access_token: str | None, hashed_account_id: str | None
) -> Reply:
    """`GET /user/settings`."""
    user = await context.store.users.get(user_id)
    if user is None:
        return text("User not found")
    admin = await _admin_user_settings(context, rc_access_token, hashed_account_id)
    return Reply(merge_settings(admin, user.user_settings))


async def preload_settings(
    context: ServerContext, *, rc_access_token: str | None, hashed_account_id: str | None
) -> Reply:
    """`GET /user/preloadSettings`: the admin's settings before the user connected a CRM."""
    if not rc_access_token and not hashed_account_id:
        return text("Cannot find rc user login")
    try:
        key = hashed_account_id or (await rc_identity(context, rc_access_token)).hashed_account_id(
            context.secrets.hash_key
        )
        settings = await context.store.admin_configs.get_user_settings(key)
    except Exception as failure:
        return error(str(failure) or type(failure).__name__)
    return Reply({"userSettings": settings} if settings is not None else {})


async def update_settings(
    context: ServerContext,
    *,
    user_id: str,
    platform: str,
    user_settings: Any,
    keys_to_remove: Any,
) -> Reply:
    """`POST /user/settings`: replace the submitted entries, drop the listed keys, save.

    With an `on_update_user_settings` hook the connector decides whether to save; the answer is then
    `{}` (plus the hook's `returnMessage`), as the extension expects.
    """
    user = await context.store.users.get(user_id)
    if user is None:
        return text("User not found")
    if user_settings is not None and not isinstance(user_settings, Mapping):
        return error("userSettings must be an object")  # quirk P-8
    submitted = dict(user_settings or {})
    updated = {**user.user_settings, **submitted}
    for key in keys_to_remove if isinstance(keys_to_remove, list) else []:
        if isinstance(key, str) and is_truthy(updated.get(key)):
            del updated[key]
    connector = context.registry.get(platform)
    if isinstance(connector, WatchesUserSettings):
        body: dict[str, Any] = {}
        try:
            result = await connector.on_update_user_settings(
                UserSettingsInput(user=user, user_settings=submitted, updated_settings=updated)
            )
            if result.successful:
                await context.store.users.update_settings(user.id, updated)
        except Exception as failure:
            log.warning("user settings update failed", platform=platform, error_type=type(failure).__name__)
            return Reply({})
        if result.return_message is not None:
            body["returnMessage"] = message_to_wire(result.return_message)
        return Reply(body)
    try:
        await context.store.users.update_settings(user.id, updated)
    except Exception as failure:
        log.warning("user settings update failed", platform=platform, error_type=type(failure).__name__)
        return Reply({})
    return Reply({"userSettings": updated})


async def refresh_user_info(context: ServerContext, *, user_id: str, platform: str) -> Outcome:
    """`POST /user/refreshInfo`: let the connector re-read the user from the CRM, store what changed."""
    connector = context.registry.get(platform)
    if not isinstance(connector, RefreshesUserInfo):
        return Outcome(body={"successful": True})
    user = await context.store.users.get(user_id, platform)
    if user is None or not user.is_usable:
        return Outcome(body={"successful": False, "returnMessage": USER_NOT_FOUND})
    try:
        crm = await CrmSession.open(context, connector, user, operation="refreshUserInfo")
        result, crm = await crm.run(  # a revoked session answers 401 like every route (quirk P-9)
            connector.refresh_user_info, CrmInput(user=crm.user, auth_header=crm.auth_header)
        )
        if result.platform_user_info is not None:
            current = await context.store.users.get(user_id) or crm.user
            changes = result.platform_user_info
            await context.store.users.save(
                merge_user_info(
                    current,
                    changes,
                    platform=current.platform,
                    hostname=changes.overriding_hostname or current.hostname,
                )
            )
    except Answered as answered:
        return answered.outcome
    except Exception as failure:  # storing what changed failed
        return Outcome(
            body={
                "successful": False,
                "returnMessage": crm_failure_message(failure, operation="refreshUserInfo", platform=platform),
            }
        )
    return Outcome(
        body={"successful": result.successful, "returnMessage": message_to_wire(result.return_message)}
    )
