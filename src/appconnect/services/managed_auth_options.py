"""`POST /admin/managedAuth/options` (spec platform §3.6): choices of a dynamic managed field.

A managed API-key field with `managedScope: "user"` and `managedFieldType: "dynamic"` has options
the connector computes from the account's values (`OffersManagedAuthOptions`), for example the CRM
users an admin picks from per extension. The connector is handed the stored org values of the
account-scoped, non-dynamic managed fields, overlaid with the request's `accountValues` (which are
never stored). Only an admin of the caller's RingCentral account may ask.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import structlog

from appconnect.connectors.base import OffersManagedAuthOptions
from appconnect.connectors.inputs import ManagedAuthOptionsInput
from appconnect.connectors.types import Option
from appconnect.services.admin import require_admin
from appconnect.services.context import ServerContext
from appconnect.services.managed_auth import PortalSource, field_definitions
from appconnect.services.messages import crm_failure_message
from appconnect.services.replies import Reply, error, text

log = structlog.get_logger(__name__)

MAX_OPTIONS = 10_000


def _valid(option: Any) -> bool:
    if not isinstance(option, Option):
        return False
    value_ok = isinstance(option.value, str | int | float) and not isinstance(option.value, bool)
    return value_ok and isinstance(option.label, str)


async def options(
    context: ServerContext,
    *,
    platform: str | None,
    field_const: Any,
    account_values: Any,
    rc_access_token: str | None,
    source: PortalSource,
) -> Reply:
    if not platform:
        return text("Missing platform name")
    if not field_const or not isinstance(field_const, str):
        return text("Missing managed auth field")
    identity = await require_admin(context, rc_access_token)
    if isinstance(identity, Reply):
        return identity
    if account_values is not None and not isinstance(account_values, Mapping):
        return error("accountValues must be an object")
    definitions = await field_definitions(context, platform, source, identity.account_id)
    wanted = next((item for item in definitions if item.const == field_const), None)
    if wanted is None or not (wanted.managed and wanted.user_scoped and wanted.field_type == "dynamic"):
        return error(f'Managed auth field "{field_const}" is not a dynamic user field')
    if not context.registry.has(platform):
        return Reply([])
    connector = context.registry.get(platform)
    if not isinstance(connector, OffersManagedAuthOptions):
        return Reply([])
    stored = await context.store.managed_auth.org_values(identity.account_id, platform)
    values: dict[str, Any] = {
        item.const: stored.fields[item.const]
        for item in definitions
        if item.managed
        and not item.user_scoped
        and item.field_type != "dynamic"
        and item.const in stored.fields
    }
    values.update(dict(account_values or {}))
    try:
        found = await connector.get_managed_auth_options(
            ManagedAuthOptionsInput(field_const=field_const, account_values=values)
        )
    except Exception as failure:  # the CRM's status is never shown, only the operation's message
        message = crm_failure_message(failure, operation="getManagedAuthOptions", platform=platform)
        log.warning("managed auth options failed", error_type=type(failure).__name__)
        return error(str(message.get("message")))
    if not isinstance(found, list | tuple) or len(found) > MAX_OPTIONS:
        return error("getManagedAuthOptions must return an array")
    for index, option in enumerate(found):
        if not _valid(option):
            return error(f"getManagedAuthOptions returned an invalid option at index {index}")
    return Reply([{"value": str(option.value), "label": option.label} for option in found])
