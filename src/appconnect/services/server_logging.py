"""Server-side call logging settings an account admin edits (spec platform §5.4).

The connector owns the settings (`LogsServerSide`); the server checks who asks and signs the call
in as the admin's CRM user. Decision where the reference is lax: both routes require the caller's
RingCentral admin role (§5.1, 403 `Admin validation failed`), which the reference skips here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import structlog

from appconnect.compose import is_truthy
from appconnect.connectors.base import Connector, LogsServerSide
from appconnect.connectors.inputs import ServerLoggingSettingsInput, UpdateServerLoggingSettingsInput
from appconnect.services.admin import user_and_admin
from appconnect.services.context import ServerContext
from appconnect.services.crm import CrmSession
from appconnect.services.outcomes import Answered
from appconnect.services.replies import Reply

log = structlog.get_logger(__name__)

MISSING_VALUES = "Missing additionalFieldValues"
UPDATE_FAILED: dict[str, Any] = {
    "successful": False,
    "returnMessage": {
        "messageType": "warning",
        "message": "Server logging settings update failed",
        "ttl": 5000,
    },
}


def values_missing(values: object) -> bool:
    """`additionalFieldValues` counts as missing when JavaScript would call it false (absent, null,
    "", 0, false), as the reference checks it."""
    return not is_truthy(values)


def _connector(context: ServerContext, platform: str | None) -> Connector | None:
    if not context.registry.has(platform or ""):
        return None
    return context.registry.get(platform or "")


async def settings(context: ServerContext, *, user_id: str, rc_access_token: str | None) -> Reply:
    """`GET /admin/serverLoggingSettings`: the connector's settings, `{}` when it has none."""
    checked = await user_and_admin(context, user_id, rc_access_token)
    if isinstance(checked, Reply):
        return checked
    user, _identity = checked
    connector = _connector(context, user.platform)
    if not isinstance(connector, LogsServerSide):
        return Reply({})
    try:
        crm = await CrmSession.open(context, connector, user, operation="getServerLoggingSettings")
        found, _crm = await crm.run(
            connector.get_server_logging_settings,
            ServerLoggingSettingsInput(user=crm.user, auth_header=crm.auth_header),
        )
    except Answered as answered:
        return Reply(answered.outcome.body, 401 if answered.outcome.revoked else 200)
    return Reply(dict(found))


async def update(context: ServerContext, *, user_id: str, rc_access_token: str | None, values: Any) -> Reply:
    """`POST /admin/serverLoggingSettings`: hand the admin's values to the connector.

    Any failure (the CRM, the connector, or values that are not an object) is the contract's 400
    `Server logging settings update failed` warning.
    """
    checked = await user_and_admin(context, user_id, rc_access_token)
    if isinstance(checked, Reply):
        return checked
    user, _identity = checked
    connector = _connector(context, user.platform)
    if not isinstance(connector, LogsServerSide):
        return Reply({})
    if not isinstance(values, Mapping):
        return Reply(UPDATE_FAILED, 400)
    try:
        crm = await CrmSession.open(context, connector, user, operation="updateServerLoggingSettings")
        saved, _crm = await crm.run(
            connector.update_server_logging_settings,
            UpdateServerLoggingSettingsInput(
                user=crm.user, auth_header=crm.auth_header, additional_field_values=dict(values)
            ),
        )
    except Answered as answered:
        log.info("server logging settings update failed", revoked=answered.outcome.revoked)
        return Reply(UPDATE_FAILED, 400)
    return Reply(dict(saved))
