"""Connector account data (`GET /accountData`, spec platform §6.5): e.g. Pipedrive's activity types.

A connector declares keys in its `account_data` table (`AccountDataSource(fetch, ttl_seconds)`).
Values are cached per RingCentral account and platform in the `account_data` table: fresh values
are served from there, stale or forced ones are fetched again, and a failed fetch falls back to the
stale value so the admin page keeps its options while the CRM is unreachable.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import structlog

from appconnect.domain import User
from appconnect.services.auth import SessionRevoked, call_with_auth
from appconnect.services.context import ServerContext
from appconnect.services.messages import USER_NOT_FOUND, warning
from appconnect.services.outcomes import REVOKED, Answered, Outcome, authenticated
from appconnect.services.replies import Reply, error

log = structlog.get_logger(__name__)


def _plain(value: Any) -> Any:
    """JSON-ready form of what a fetch returned (dataclasses and tuples included)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain(dataclasses.asdict(value))
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _age_seconds(written_at: datetime) -> float:
    moment = written_at if written_at.tzinfo else written_at.replace(tzinfo=UTC)
    return (datetime.now(UTC) - moment).total_seconds()


async def get_account_data(
    context: ServerContext, *, user_id: str, platform: str, keys: Sequence[str], force_refresh: bool
) -> Reply | Outcome:
    """The values of `keys` for the caller's account, from the cache or fetched from the CRM."""
    connector = context.registry.get(platform)
    user = await context.store.users.get(user_id, platform)
    if user is None or not user.is_usable:
        return Outcome(body={"successful": False, "returnMessage": USER_NOT_FOUND})
    sources: Mapping[str, Any] = getattr(connector, "account_data", None) or {}
    unknown = [key for key in keys if key not in sources]
    if unknown:
        message = warning(f"Unknown account data key(s): {', '.join(unknown)}")
        return Reply({"successful": False, "returnMessage": message}, 400)
    try:
        auth = await authenticated(context, connector, user, operation="getAccountData", platform=platform)
    except Answered as answered:
        return answered.outcome
    data: dict[str, Any] = {}
    for key in keys:
        try:
            data[key] = await _value(context, connector, auth, user, key, sources[key], force_refresh)
        except SessionRevoked:
            return REVOKED
        except Exception as failure:
            log.warning(
                "account data unavailable", platform=platform, key=key, error_type=type(failure).__name__
            )
            return error(str(failure))
    return Outcome(body={"successful": True, "data": data})


async def _value(
    context: ServerContext,
    connector: Any,
    auth: Any,
    user: User,
    key: str,
    source: Any,
    force_refresh: bool,
) -> Any:
    if not user.rc_account_id:
        raise LookupError(f"Cannot resolve account data '{key}': user has no rcAccountId")
    platform = user.platform
    cached = await context.store.account_data.get_with_time(user.rc_account_id, platform, key)
    if cached is not None and not force_refresh and _age_seconds(cached[1]) <= source.ttl_seconds:
        return cached[0]
    try:
        value = _plain(
            await call_with_auth(
                context, connector, auth, lambda a: source.fetch(user=a.user, auth_header=a.auth_header)
            )
        )
    except Exception:
        if cached is not None:
            return cached[0]  # a stale value beats none while the CRM is unreachable
        raise
    await context.store.account_data.put(user.rc_account_id, platform, key, value)
    return value
