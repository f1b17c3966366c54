"""Admin-managed OAuth (spec platform §3.7): an account's own OAuth client for a CRM.

An admin stages the client (`POST /admin/managedOAuth/cache`, any platform, 24 hours); the next
OAuth login of that RingCentral account uses it, and when that login succeeds the staged values
become the account's client for the platform. The OAuth callback and every token refresh of a user
of that account then use the account's client instead of the server's.

Decisions: the managed values are laid over the connector's own `getOauthInfo` answer, field by
field (the reference replaces it whole, so a client configured without, say, a token URL cannot
work); the client secret is never sent back, not even to an admin (`pendingValues` shows it masked).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from appconnect.connectors.types import OAuthInfo
from appconnect.services.admin import require_admin
from appconnect.services.context import ServerContext
from appconnect.services.managed_auth import mask
from appconnect.services.replies import Reply, error, text
from appconnect.services.ringcentral import rc_identity
from appconnect.store.managed_oauth import kept_fields

SUCCESS = {"successful": True}
_INFO_FIELDS = {
    "clientId": "client_id",
    "clientSecret": "client_secret",
    "accessTokenUri": "access_token_uri",
    "authorizationUri": "authorization_uri",
    "redirectUri": "redirect_uri",
    "scopes": "scopes",
    "hostname": "hostname",
}


@dataclass(frozen=True)
class ManagedClient:
    values: Mapping[str, str]
    pending: bool

    def apply(self, info: OAuthInfo) -> OAuthInfo:
        """`info` with every managed field in place of the connector's (and no connector failure:
        the admin's client is what the login uses)."""
        fields = {_INFO_FIELDS[name]: value for name, value in self.values.items() if name in _INFO_FIELDS}
        return replace(info, fail_message=None, **fields)


async def resolve(context: ServerContext, platform: str, rc_account_id: str | None) -> ManagedClient | None:
    """The account's client for `platform`, else the pending one, else None."""
    if not rc_account_id:
        return None
    repository = context.store.managed_oauth
    account = await repository.account_values(rc_account_id, platform)
    if account:
        return ManagedClient(account, pending=False)
    pending = await repository.pending_values(rc_account_id)
    return ManagedClient(pending, pending=True) if pending else None


async def account_client(
    context: ServerContext, platform: str, rc_account_id: str | None
) -> ManagedClient | None:
    """The account's own client for `platform` (token refreshes: never the pending values)."""
    if not rc_account_id:
        return None
    account = await context.store.managed_oauth.account_values(rc_account_id, platform)
    return ManagedClient(account, pending=False) if account else None


async def promote(context: ServerContext, platform: str, rc_account_id: str, client: ManagedClient) -> None:
    if client.pending:
        await context.store.managed_oauth.promote(rc_account_id, platform, client.values)


def _public(values: Mapping[str, str], *, secret: bool) -> dict[str, str]:
    shown = {name: value for name, value in values.items() if name != "clientSecret"}
    if secret and "clientSecret" in values:
        shown["clientSecret"] = mask(values["clientSecret"])
    return shown


async def state(context: ServerContext, *, platform: str, rc_access_token: str) -> Reply:
    """`GET /oauthManagedAuthState`."""
    try:
        identity = await rc_identity(context, rc_access_token)
    except Exception as failure:
        return error(str(failure) or type(failure).__name__)
    repository = context.store.managed_oauth
    account = await repository.account_values(identity.account_id, platform)
    pending = await repository.pending_values(identity.account_id)
    body: dict[str, Any] = {
        "isAdmin": identity.is_admin,
        "hasAccountOAuth": bool(account),
        "hasPendingOAuth": bool(pending),
    }
    if account:
        body["oauthValues"] = _public(account, secret=False)
    elif pending and identity.is_admin:
        body["pendingValues"] = _public(pending, secret=True)
    return Reply(body)


async def stage(context: ServerContext, *, rc_access_token: str | None, values: Any) -> Reply:
    """`POST /admin/managedOAuth/cache`: replace the pending values."""
    identity = await require_admin(context, rc_access_token)
    if isinstance(identity, Reply):
        return identity
    if not isinstance(values, Mapping):
        return error("values must be an object")
    if any(not isinstance(values[name], str | int | float | None) for name in values if name in _INFO_FIELDS):
        return error("values must hold text")
    kept = kept_fields(values)
    if not kept:
        return error("values must hold at least one OAuth field")
    await context.store.managed_oauth.put_pending(identity.account_id, kept)
    return Reply(SUCCESS)


async def unstage(context: ServerContext, *, rc_access_token: str | None) -> Reply:
    """`DELETE /admin/managedOAuth/cache`."""
    identity = await require_admin(context, rc_access_token)
    if isinstance(identity, Reply):
        return identity
    await context.store.managed_oauth.delete_pending(identity.account_id)
    return Reply(SUCCESS)


async def forget(context: ServerContext, *, rc_access_token: str | None, platform: str | None) -> Reply:
    """`DELETE /admin/managedOAuth/account?platform=`: the account's client and the pending one."""
    identity = await require_admin(context, rc_access_token)
    if isinstance(identity, Reply):
        return identity
    if not platform:
        return text("Missing platform name")
    await context.store.managed_oauth.delete_account(identity.account_id, platform)
    await context.store.managed_oauth.delete_pending(identity.account_id)
    return Reply(SUCCESS)
