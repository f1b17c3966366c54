"""The authenticate preamble every CRM workflow runs (spec logging §2.1).

Loads nothing itself: it takes the user and the connector, and returns the `Authorization`
header value the connector should send, refreshing an expired OAuth token first. A refresh the CRM
refuses (`invalid_grant`) revokes the session; the caller answers 401 `CRM_SESSION_REVOKED`.
This is the simple, single-process refresh; the database-locked version comes with the auth work.
"""

from __future__ import annotations

import base64
import inspect
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog

from appconnect.crm_http import CrmBadRequest, CrmError, HostPolicy
from appconnect.domain import User
from appconnect.services.context import ServerContext

log = structlog.get_logger(__name__)

EXPIRY_MARGIN = timedelta(minutes=2)


@dataclass(frozen=True)
class Authenticated:
    """The outcome of the preamble: a header (and the possibly refreshed user), or a revocation."""

    user: User
    auth_header: str
    revoked: bool = False


async def maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


def proxy_config_of(user: User) -> Any:
    return None  # declarative (proxy) connectors are not part of this server yet


async def authenticate(context: ServerContext, connector: Any, user: User) -> Authenticated:
    """Build the auth header for `user`, refreshing an expired OAuth token when needed."""
    get_auth_type = getattr(connector, "get_auth_type", None)
    auth_type = (
        str(await maybe_await(get_auth_type(proxy_config=proxy_config_of(user)))) if get_auth_type else ""
    )
    if auth_type == "apiKey":
        basic = await maybe_await(connector.get_basic_auth(api_key=user.access_token or ""))
        return Authenticated(user=user, auth_header=f"Basic {basic}")
    if auth_type == "oauth":
        if _expired(user):
            refreshed = await refresh_oauth_token(context, connector, user)
            if refreshed is None:
                return Authenticated(user=user, auth_header="", revoked=True)
            user = refreshed
        return Authenticated(user=user, auth_header=f"Bearer {user.access_token}")
    return Authenticated(user=user, auth_header="")


def _expired(user: User) -> bool:
    if user.token_expiry is None:
        return False
    expiry = user.token_expiry if user.token_expiry.tzinfo else user.token_expiry.replace(tzinfo=UTC)
    return expiry - EXPIRY_MARGIN <= datetime.now(UTC)


async def refresh_oauth_token(context: ServerContext, connector: Any, user: User) -> User | None:
    """Exchange the refresh token; None when the CRM refused it (the session is revoked).

    Other failures (network, 5xx) raise, so the operation fails with its own message and the
    stored credentials stay for a later try.
    """
    info = await maybe_await(
        connector.get_oauth_info(
            token_url=user.platform_additional_info.get("tokenUrl"), hostname=user.hostname, proxy_config=None
        )
    )
    if not user.refresh_token:
        return None
    headers = {"Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded"}
    form = {"grant_type": "refresh_token", "refresh_token": user.refresh_token}
    if info.client_secret:
        pair = f"{info.client_id}:{info.client_secret}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
    else:
        form["client_id"] = info.client_id
    policy = HostPolicy.for_base_url(info.access_token_uri, platform=user.platform)
    try:
        response = await context.http.request(
            "POST", info.access_token_uri, policy=policy, headers=headers, data=form
        )
    except CrmBadRequest as error:  # 400 invalid_grant and friends: the grant is gone
        log.warning("token refresh refused", platform=user.platform, status=error.status)
        return None
    except CrmError as error:
        if error.status in (401, 403):
            log.warning("token refresh refused", platform=user.platform, status=error.status)
            return None
        raise
    payload = response.json()
    expires_in = payload.get("expires_in")
    expiry = (
        datetime.now(UTC) + timedelta(seconds=float(expires_in))
        if isinstance(expires_in, int | float | str) and str(expires_in).replace(".", "", 1).isdigit()
        else None
    )
    return await context.store.users.update_tokens(
        user,
        access_token=payload.get("access_token"),
        refresh_token=payload.get("refresh_token") or user.refresh_token,
        token_expiry=expiry,
    )
