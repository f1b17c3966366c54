"""Connector account data (spec platform §6.5): e.g. Pipedrive's activity types, kept per account.

A connector declares keys in its `account_data` table (`AccountDataSource(fetch, ttl_seconds)`).
Values live in the `account_data` table per RingCentral account and platform, so every worker and
every user of the account reads one copy: fresh values are served from there, stale or forced ones
are fetched again, and a failed fetch falls back to the stale value so a log (or the admin page)
keeps working while the CRM is unreachable. Connectors read it through their input's
`account_data` (`StoredAccountData`); admins through `GET /accountData`.

A user without a RingCentral account id has no shared copy: connectors then get a fresh value on
every read (Quirk PD-6 fixed), while `GET /accountData` answers the reference's error.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import structlog

from appconnect.services.account_store import StoredAccountData
from appconnect.services.auth import Authenticated, SessionRevoked, call_with_auth
from appconnect.services.context import ServerContext
from appconnect.services.crm import CrmSession
from appconnect.services.messages import USER_NOT_FOUND, warning
from appconnect.services.outcomes import REVOKED, Answered, Outcome
from appconnect.services.replies import Reply, error

log = structlog.get_logger(__name__)


async def get_account_data(
    context: ServerContext, *, user_id: str, platform: str, keys: Sequence[str], force_refresh: bool
) -> Reply | Outcome:
    """`GET /accountData`: the values of `keys` for the caller's account, cached or fetched."""
    connector = context.registry.get(platform)
    user = await context.store.users.get(user_id, platform)
    if user is None or not user.is_usable:
        return Outcome(body={"successful": False, "returnMessage": USER_NOT_FOUND})
    unknown = [key for key in keys if key not in connector.account_data]
    if unknown:
        message = warning(f"Unknown account data key(s): {', '.join(unknown)}")
        return Reply({"successful": False, "returnMessage": message}, 400)
    try:
        crm = await CrmSession.open(context, connector, user, operation="getAccountData")
    except Answered as answered:
        return answered.outcome
    if not user.rc_account_id:
        key = keys[0]
        return error(f"Cannot resolve account data '{key}': user has no rcAccountId")
    data: dict[str, Any] = {}
    auth = crm.auth
    for key in keys:

        async def read(signed_in: Authenticated, key: str = key) -> Any:
            return await StoredAccountData(context, connector, signed_in).get(
                key, force_refresh=force_refresh
            )

        try:
            data[key], auth = await call_with_auth(context, connector, auth, read)
        except SessionRevoked:
            return REVOKED
        except Exception as failure:
            log.warning(
                "account data unavailable", platform=platform, key=key, error_type=type(failure).__name__
            )
            return error(str(failure))
    return Outcome(body={"successful": True, "data": data})
