"""RingCentral admin token, call reports (spec platform §5.5).

An admin connects the server to RingCentral once (`GET /ringcentral/oauth/callback?code=`, the
RingCentral app of `RINGCENTRAL_CLIENT_ID` / `RINGCENTRAL_CLIENT_SECRET` at `RINGCENTRAL_SERVER`);
the account's admin token is stored encrypted and refreshed when it has expired, and the reports
read RingCentral's call analytics, call log and message store with it.

Quirks decided: the reports require the caller's RingCentral admin role (P-15); a failed code
exchange answers 400 (P-14, the reference never answers); the company report reads the talk-time
timer it asks for (`allCallsDuration`; the reference reads `allCalls`, which RingCentral does not
return, so its report always fails). Any other failure answers as the reference: the company
report `{"callLogStats": {}}`, the user report an empty body.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog

from appconnect.crm_http import HostPolicy, join_url
from appconnect.domain import User
from appconnect.security import hash_id
from appconnect.services.admin import require_admin
from appconnect.services.context import ServerContext
from appconnect.services.replies import Reply, error, text
from appconnect.store.admin_tokens import AdminTokens

log = structlog.get_logger(__name__)

TOKEN_PATH = "/restapi/oauth/token"
AGGREGATION_PATH = "/analytics/calls/v1/accounts/~/aggregation/fetch"
GROUP_KEYS = [
    "Company",
    "CompanyNumbers",
    "Users",
    "Queues",
    "IVRs",
    "IVAs",
    "SharedLines",
    "UserGroups",
    "Sites",
    "Departments",
]
NO_STATS: dict[str, Any] = {"callLogStats": {}}
ANSWERED_RESULTS = {"Call connected", "Accepted", "Answered Not Accepted"}
REFRESH_WAIT_SECONDS = 20.0
REFRESH_POLL_SECONDS = 0.25
MAX_PAGES = 50
"""Call log and message store pages (1000 / 100 records each) read for one user report at most."""


class NotConfigured(Exception):
    pass


def _configured(context: ServerContext) -> tuple[str, str, str]:
    settings = context.settings
    if not (
        settings.ringcentral_server and settings.ringcentral_client_id and settings.ringcentral_client_secret
    ):
        raise NotConfigured()
    return settings.ringcentral_server, settings.ringcentral_client_id, settings.ringcentral_client_secret


def _policy(base: str) -> HostPolicy:
    return HostPolicy.for_base_url(base, platform="RingCentral")


def redirect_uri(context: ServerContext) -> str:
    return f"{context.settings.app_server.rstrip('/')}/ringcentral/oauth/callback"


async def _token_request(context: ServerContext, form: Mapping[str, str]) -> AdminTokens:
    base, client_id, client_secret = _configured(context)
    basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
    response = await context.http.post(
        join_url(base, TOKEN_PATH),
        policy=_policy(base),
        headers={"Authorization": f"Basic {basic}", "Accept": "application/json"},
        data=dict(form),
    )
    body = response.json()
    if not isinstance(body, Mapping) or not isinstance(body.get("access_token"), str):
        raise ValueError("RingCentral answered without an access token")
    expires_in = body.get("expires_in")
    seconds = (
        float(expires_in) if isinstance(expires_in, int | float | str) and str(expires_in).isdigit() else None
    )
    return AdminTokens(
        access_token=body["access_token"],
        refresh_token=body.get("refresh_token") if isinstance(body.get("refresh_token"), str) else None,
        expires_at=datetime.now(UTC) + timedelta(seconds=seconds) if seconds is not None else None,
    )


async def _user(context: ServerContext, user_id: str) -> User | Reply:
    user = await context.store.users.get(user_id)
    return text("User not found") if user is None else user


async def oauth_callback(context: ServerContext, *, user_id: str, code: str | None) -> Reply:
    """`GET /ringcentral/oauth/callback?code=`: store the account's RingCentral admin token."""
    user = await _user(context, user_id)
    if isinstance(user, Reply):
        return user
    if not code:
        return error("Missing code")
    if not user.rc_account_id:
        return error("The user is not linked to a RingCentral account")
    try:
        tokens = await _token_request(
            context, {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri(context)}
        )
    except NotConfigured:
        return error("The RingCentral app is not configured on this server")
    except Exception as failure:
        log.warning("RingCentral admin token exchange failed", error_type=type(failure).__name__)
        return error("RingCentral token exchange failed")
    await context.store.admin_tokens.put(hash_id(user.rc_account_id, context.secrets.hash_key), tokens)
    return Reply({"successful": True})


async def _admin_token(context: ServerContext, hashed_account_id: str) -> str:
    """The stored admin token, refreshed (and stored again) when it has expired.

    RingCentral refresh tokens work once, so one request (of any worker) refreshes, holding a lease
    row in the database (`rc-admin:<account>`); the others wait for the new token and use it.
    """
    tokens = await context.store.admin_tokens.get(hashed_account_id)
    if tokens is None:
        raise LookupError("no RingCentral admin token for this account")
    if not tokens.expired() or not tokens.refresh_token:
        return tokens.access_token
    leases, lease_key, owner = (
        context.store.refresh_locks,
        f"rc-admin:{hashed_account_id}",
        secrets.token_hex(8),
    )
    for _ in range(int(REFRESH_WAIT_SECONDS / REFRESH_POLL_SECONDS)):
        if await leases.try_acquire(lease_key, owner, REFRESH_WAIT_SECONDS):
            break
        await asyncio.sleep(REFRESH_POLL_SECONDS)
        current = await context.store.admin_tokens.get(hashed_account_id)
        if current is not None and not current.expired():
            return current.access_token  # another request refreshed it
    else:
        raise TimeoutError("waited too long for another refresh of the RingCentral admin token")
    outcome = "failed"
    try:
        current = await context.store.admin_tokens.get(hashed_account_id) or tokens
        if not current.expired() or not current.refresh_token:
            outcome = "refreshed"
            return current.access_token
        refreshed = await _token_request(
            context, {"grant_type": "refresh_token", "refresh_token": current.refresh_token}
        )
        if refreshed.refresh_token is None:
            refreshed = AdminTokens(refreshed.access_token, current.refresh_token, refreshed.expires_at)
        await context.store.admin_tokens.put(hashed_account_id, refreshed)
        outcome = "refreshed"
        return refreshed.access_token
    finally:
        await leases.release(lease_key, owner, outcome)


async def _admin_account(
    context: ServerContext, user_id: str, rc_access_token: str | None
) -> tuple[str, str] | Reply:
    """(hashed account id, admin token) for an admin caller, else the answer to send."""
    user = await _user(context, user_id)
    if isinstance(user, Reply):
        return user
    identity = await require_admin(context, rc_access_token)
    if isinstance(identity, Reply):
        return identity
    hashed = identity.hashed_account_id(context.secrets.hash_key)
    _configured(context)
    return hashed, await _admin_token(context, hashed)


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _count(value: Any) -> int | float:
    number = _number(value)
    return int(number) if number.is_integer() else number


def company_stats(records: Sequence[Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """Per group: counts, answered share of inbound calls, talk time (pure)."""
    stats: list[dict[str, Any]] = []
    keys: list[str] = []
    for record in records:
        info = record.get("info") if isinstance(record, Mapping) else None
        name = info.get("name") if isinstance(info, Mapping) else None
        if not name:
            continue
        counters = record.get("counters") or {}
        timers = record.get("timers") or {}
        direction = (counters.get("callsByDirection") or {}).get("values") or {}
        response = (counters.get("callsByResponse") or {}).get("values") or {}
        inbound, outbound = _count(direction.get("inbound")), _count(direction.get("outbound"))
        answered = _count(response.get("answered"))
        talk = _number((timers.get("allCallsDuration") or {}).get("values"))
        calls = inbound + outbound
        keys.append(str(name))
        stats.append(
            {
                "name": name,
                "inboundCallCount": inbound,
                "outboundCallCount": outbound,
                "answeredCallCount": answered,
                "answeredCallPercentage": "0%" if not inbound else f"{answered / inbound * 100:.2f}%",
                "totalTalkTime": 0 if not talk else f"{talk:.2f}",
                "averageTalkTime": 0 if not talk or not calls else f"{talk / calls:.2f}",
            }
        )
    return stats, keys


async def company_report(
    context: ServerContext,
    *,
    user_id: str,
    rc_access_token: str | None,
    timezone: str | None,
    time_from: str | None,
    time_to: str | None,
    group_by: str | None,
) -> Reply:
    """`GET /ringcentral/admin/report`."""
    try:
        checked = await _admin_account(context, user_id, rc_access_token)
        if isinstance(checked, Reply):
            return checked
        _hashed, token = checked
        base = context.settings.ringcentral_server
        group = group_by if group_by and group_by != "undefined" else GROUP_KEYS[0]
        response = await context.http.post(
            join_url(base, AGGREGATION_PATH),
            policy=_policy(base),
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            json={
                "grouping": {"groupBy": group},
                "timeSettings": {
                    "timeZone": timezone,
                    "timeRange": {"timeFrom": time_from, "timeTo": time_to},
                },
                "responseOptions": {
                    "counters": {
                        "callsByDirection": {"aggregationType": "Sum"},
                        "callsByResponse": {"aggregationType": "Sum"},
                    },
                    "timers": {"allCallsDuration": {"aggregationType": "Sum"}},
                },
            },
        )
        data = (response.json() or {}).get("data") or {}
        stats, keys = company_stats(data.get("records") or [])
    except Exception as failure:
        log.warning("admin report failed", error_type=type(failure).__name__)
        return Reply(dict(NO_STATS))
    return Reply(
        {"callLogStats": stats, "itemKeys": keys, "groupedBy": data.get("groupedBy"), "groupKeys": GROUP_KEYS}
    )


async def _records(context: ServerContext, token: str, path: str, params: dict[str, Any]) -> list[Any]:
    base = context.settings.ringcentral_server
    records: list[Any] = []
    for page in range(1, MAX_PAGES + 1):
        response = await context.http.get(
            join_url(base, path),
            policy=_policy(base),
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            params={**params, "page": page},
        )
        body = response.json() or {}
        records.extend(record for record in body.get("records") or [] if isinstance(record, Mapping))
        if not (body.get("navigation") or {}).get("nextPage"):
            break
    return records


def user_stats(calls: Sequence[Mapping[str, Any]], messages: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One extension's call and SMS counts; talk time in whole minutes (pure)."""
    inbound = sum(1 for call in calls if call.get("direction") == "Inbound")
    outbound = sum(1 for call in calls if call.get("direction") == "Outbound")
    answered = sum(
        1 for call in calls if call.get("direction") == "Inbound" and call.get("result") in ANSWERED_RESULTS
    )
    total = round(sum(_number(call.get("duration")) for call in calls) / 60)
    return {
        "callLogStats": {
            "inboundCallCount": inbound,
            "outboundCallCount": outbound,
            "answeredCallCount": answered,
            "answeredCallPercentage": "0%" if not answered else f"{answered / (inbound or 1) * 100:.2f}%",
            "totalTalkTime": total,
            "averageTalkTime": round(total / (inbound + outbound)) if inbound + outbound else 0,
        },
        "smsLogStats": {
            "smsSentCount": sum(1 for sms in messages if sms.get("direction") == "Outbound"),
            "smsReceivedCount": sum(1 for sms in messages if sms.get("direction") == "Inbound"),
        },
    }


async def user_report(
    context: ServerContext,
    *,
    user_id: str,
    rc_access_token: str | None,
    rc_extension_id: str | None,
    time_from: str | None,
    time_to: str | None,
) -> Reply:
    """`GET /ringcentral/admin/userReport`."""
    extension = rc_extension_id or "~"
    if not extension.isalnum() and extension != "~":
        return error("rcExtensionId must be an extension id")
    try:
        checked = await _admin_account(context, user_id, rc_access_token)
        if isinstance(checked, Reply):
            return checked
        _hashed, token = checked
        span = {key: value for key, value in (("dateFrom", time_from), ("dateTo", time_to)) if value}
        calls = await _records(
            context,
            token,
            f"/restapi/v1.0/account/~/extension/{extension}/call-log",
            {**span, "view": "Simple", "perPage": 1000},
        )
        messages = await _records(
            context,
            token,
            f"/restapi/v1.0/account/~/extension/{extension}/message-store",
            {**span, "perPage": 100},
        )
    except Exception as failure:
        log.warning("user report failed", error_type=type(failure).__name__)
        return Reply(None)
    return Reply(user_stats(calls, messages))
