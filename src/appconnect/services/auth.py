"""The authenticate preamble every CRM workflow runs, and the OAuth token refresh that happens once.

`authenticate` turns a stored user into the `Authorization` value a connector sends (spec platform
§3.1): `Basic …` for API-key connectors, `Bearer …` for OAuth ones, refreshing an access token
that expires within two minutes first. `call_with_auth` runs one connector call and, when the CRM
answers 401 on an OAuth connection, refreshes the token and retries the call once.

Exactly one refresh, across processes (spec platform §3.8, quirk P-7)
--------------------------------------------------------------------
Many requests for one user can find the token stale at the same moment, in several worker
processes or machines sharing the database. They coordinate through a lease row
(`store.refresh_locks`), not process memory:

* the request that takes the lease re-reads the user (another process may have refreshed
  meanwhile), asks the CRM only if the stored token is still the stale one, saves the new tokens
  and releases the lease with its outcome;
* the others poll the user row and return as soon as its access token differs from the stale one
  they started with; when the holder ends without a new token they adopt its outcome (`revoked`,
  `failed`) instead of asking the CRM again.

No transaction stays open across the HTTP call (SQLite writers are never blocked while the CRM
answers), and a lease whose holder died expires a little after the CRM timeout.

A refresh the CRM refuses with `invalid_grant` revokes the session (routes answer 401
`CRM_SESSION_REVOKED`) and leaves the stored credentials untouched, so a later attempt can still
succeed; any other failure (network, 5xx) raises and the operation fails with its usual message.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import structlog

from appconnect.connectors.base import Connector, RefreshesTokensItself, UsesOAuth
from appconnect.connectors.inputs import OAuthInfoInput, RefreshAccessTokenInput
from appconnect.connectors.types import OAuthInfo
from appconnect.crm_http import CrmAuthExpired
from appconnect.domain import User
from appconnect.services import managed_oauth
from appconnect.services.context import ServerContext
from appconnect.services.oauth import OAuthError, oauth_info_from, refresh_tokens
from appconnect.store.refresh_locks import FAILED, REFRESHED, REVOKED

log = structlog.get_logger(__name__)

T = TypeVar("T")

EXPIRY_MARGIN = timedelta(minutes=2)
LEASE_GRACE_SECONDS = 10.0
_FIRST_POLL_SECONDS = 0.02
_MAX_POLL_SECONDS = 0.25


class SessionRevoked(Exception):
    """The CRM refused the refresh token: the user must connect again (401 `CRM_SESSION_REVOKED`)."""


class TokenRefreshFailed(Exception):
    """Another request's refresh of this token failed for a transient reason, or waiting for it timed out."""


@dataclass(frozen=True)
class Authenticated:
    """The outcome of the preamble: a header (and the possibly refreshed user), or a revocation."""

    user: User
    auth_header: str
    revoked: bool = False
    auth_type: str = ""


def auth_type_of(connector: Connector, user: User | None = None) -> str:
    return str(connector.get_auth_type(user))


async def oauth_info_for(connector: Connector, user: User) -> OAuthInfo:
    """The connector's OAuth client for a stored user (token URL and hostname from the user row).

    Raises:
        TypeError: the connector is not an OAuth connector (`UsesOAuth`).
    """
    if not isinstance(connector, UsesOAuth):
        raise TypeError(f"{connector.name} does not implement getOauthInfo")
    info = await connector.get_oauth_info(
        OAuthInfoInput(
            token_url=user.platform_additional_info.get("tokenUrl"),
            hostname=user.hostname,
            rc_account_id=user.rc_account_id,
            proxy_id=user.platform_additional_info.get("proxyId"),
        )
    )
    return oauth_info_from(info)


async def client_for(context: ServerContext, connector: Connector, user: User) -> OAuthInfo:
    """The OAuth client to refresh `user`'s token with: the connector's, or the client an admin of
    the user's RingCentral account configured for this platform (spec platform §3.7)."""
    info = await oauth_info_for(connector, user)
    managed = await managed_oauth.account_client(context, user.platform or "", user.rc_account_id)
    return info if managed is None else managed.apply(info)


async def authenticate(context: ServerContext, connector: Connector, user: User) -> Authenticated:
    """Build the auth header for `user`, refreshing an OAuth token that is about to expire."""
    auth_type = auth_type_of(connector, user)
    if auth_type == "apiKey":
        basic = connector.get_basic_auth(user.access_token or "")
        return Authenticated(user=user, auth_header=f"Basic {basic}", auth_type=auth_type)
    if auth_type == "oauth":
        if needs_refresh(user):
            refreshed = await refresh_access_token(context, connector, user)
            if refreshed is None:
                return Authenticated(user=user, auth_header="", revoked=True, auth_type=auth_type)
            user = refreshed
        return Authenticated(user=user, auth_header=f"Bearer {user.access_token}", auth_type=auth_type)
    return Authenticated(user=user, auth_header="", auth_type=auth_type)


def needs_refresh(user: User, now: datetime | None = None) -> bool:
    """Both tokens present and the access token expires within two minutes (unknown expiry: never)."""
    if not (user.access_token and user.refresh_token) or user.token_expiry is None:
        return False
    expiry = user.token_expiry if user.token_expiry.tzinfo else user.token_expiry.replace(tzinfo=UTC)
    return expiry - EXPIRY_MARGIN <= (now or datetime.now(UTC))


async def call_with_auth(
    context: ServerContext,
    connector: Connector,
    auth: Authenticated,
    call: Callable[[Authenticated], Awaitable[T]],
) -> tuple[T, Authenticated]:
    """Run one connector call; on a CRM 401 refresh the OAuth token and retry it once.

    `call` receives the `Authenticated` to use (user and header). Returns the call's result and
    the `Authenticated` it succeeded with: the refreshed one after a retry, so later calls of the
    same request use the new token.

    Raises:
        SessionRevoked: the CRM refused the refresh token (answer 401 `CRM_SESSION_REVOKED`).
        CrmAuthExpired: the retry was answered 401 too, or a retry is not possible (API key, no
            refresh token, or the connector's `refresh_on_unauthorized` is off).
    """
    try:
        return await call(auth), auth
    except CrmAuthExpired as error:
        if not _may_retry_after_unauthorized(connector, auth):
            raise
        log.info("CRM answered 401; refreshing the token once", platform=auth.user.platform)
        refreshed = await refresh_access_token(context, connector, auth.user, after_unauthorized=True)
        if refreshed is None:
            raise SessionRevoked() from error
        if refreshed.access_token == auth.user.access_token:
            raise
    retried = replace(auth, user=refreshed, auth_header=f"Bearer {refreshed.access_token}")
    return await call(retried), retried


def _may_retry_after_unauthorized(connector: Connector, auth: Authenticated) -> bool:
    return auth.auth_type == "oauth" and bool(auth.user.refresh_token) and connector.refresh_on_unauthorized


async def refresh_access_token(
    context: ServerContext, connector: Connector, user: User, *, after_unauthorized: bool = False
) -> User | None:
    """A user whose access token is fresh, or None when the CRM revoked the grant.

    `user` carries the stale token this request saw. `after_unauthorized` means the CRM rejected
    that token, so it is refreshed even when its recorded expiry is still ahead.
    """
    if isinstance(connector, RefreshesTokensItself):  # the connector refreshes its own way (§3.8 step 1)
        return await connector.check_and_refresh_access_token(
            RefreshAccessTokenInput(
                user=user,
                oauth_info=await client_for(context, connector, user),
                lock_timeout=_lease_seconds(context),
            )
        )
    return await _refresh_once(context, connector, user, after_unauthorized=after_unauthorized)


def _lease_seconds(context: ServerContext) -> float:
    return float(context.settings.crm_timeout_seconds) + LEASE_GRACE_SECONDS


def _still_stale(current: User, stale_token: str | None, after_unauthorized: bool) -> bool:
    return current.access_token == stale_token and (after_unauthorized or needs_refresh(current))


async def _refresh_once(
    context: ServerContext, connector: Connector, user: User, *, after_unauthorized: bool
) -> User | None:
    users, leases = context.store.users, context.store.refresh_locks
    owner = uuid.uuid4().hex
    lease_seconds = _lease_seconds(context)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 2 * lease_seconds
    stale_token = user.access_token
    waited_for: str | None = None
    pause = _FIRST_POLL_SECONDS
    while True:
        current = await users.get_stored(user.id)
        if current is None or not current.access_token:
            return None  # logged out (or deleted) meanwhile: the session is gone
        if not _still_stale(current, stale_token, after_unauthorized):
            return current
        lease = await leases.get(user.id)
        if lease is not None and lease.owner == waited_for and lease.finished:
            # The refresh we waited for has ended: adopt its outcome rather than asking the CRM again.
            if lease.outcome == REVOKED:
                return None
            if lease.outcome == FAILED:
                raise TokenRefreshFailed("the token refresh failed; please try again")
            # Refreshed: `current` may have been read just before the holder saved; read again.
            latest = await users.get_stored(user.id)
            return latest if latest is not None and latest.access_token else None
        if (lease is None or lease.finished or lease.expired()) and await leases.try_acquire(
            user.id, owner, lease_seconds
        ):
            return await _refresh_holding_lease(
                context, connector, user.id, owner, stale_token, after_unauthorized
            )
        if lease is not None and not lease.finished:
            waited_for = lease.owner
        if loop.time() >= deadline:
            raise TokenRefreshFailed("timed out waiting for another request to refresh the token")
        await asyncio.sleep(pause)
        pause = min(pause * 2, _MAX_POLL_SECONDS)


async def _refresh_holding_lease(
    context: ServerContext,
    connector: Connector,
    user_id: str,
    owner: str,
    stale_token: str | None,
    after_unauthorized: bool,
) -> User | None:
    users, leases = context.store.users, context.store.refresh_locks
    outcome = FAILED
    try:
        current = await users.get_stored(
            user_id
        )  # re-read: someone may have refreshed before we got the lease
        if current is None or not current.access_token:
            outcome = REVOKED
            return None
        if not _still_stale(current, stale_token, after_unauthorized) or not current.refresh_token:
            outcome = REFRESHED
            return current
        info = await client_for(context, connector, current)
        try:
            tokens = await refresh_tokens(
                context.http, info, refresh_token=current.refresh_token, platform=current.platform
            )
        except OAuthError as error:
            if not error.is_invalid_grant:
                raise
            reloaded = await users.get_stored(user_id)
            if (
                reloaded is not None
                and reloaded.access_token
                and reloaded.refresh_token != current.refresh_token
            ):
                outcome = REFRESHED  # refreshed elsewhere (e.g. outside the lease) with a newer grant
                return reloaded
            log.warning("refresh token refused by the CRM; session revoked", platform=current.platform)
            outcome = REVOKED
            return None
        saved = await users.update_tokens(
            current,
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            token_expiry=tokens.expires_at,
        )
        log.info("access token refreshed", platform=current.platform)
        outcome = REFRESHED
        return saved
    finally:
        await leases.release(user_id, owner, outcome)
