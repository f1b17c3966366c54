"""Logging in to a CRM (OAuth and API key), logging out, and the small session routes.

Spec platform §3.2-§3.5, §3.9, §3.10. Decisions beyond the reference:

* **Hostname safety.** A CRM address the user supplies at login (`hostname`, `tokenUrl`,
  `apiUrl`) must match the connector's `allowed_hosts` (when it declares any) and, unless private
  networks are allowed (development), must not be or resolve to a loopback, private or link-local
  address. It is checked before anything is requested from any CRM, so a refused login sends
  nothing anywhere; the answer is the route's failure family with a message saying why.
* A database failure while saving the user answers with the database-failure message (quirk P-5).
* Logging out clears the stored credentials after the connector revoked them at the CRM
  (connectors never write the database themselves).
* `postSaveUserInfo` must return the user info; its return replaces it (a missing one fails the
  login, as in the reference).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import httpx
import structlog

from appconnect.connectors.base import (
    Connector,
    LogsIn,
    LogsOut,
    OverridesOAuthRequest,
    ReportsLicenseStatus,
    SavesUserInfo,
    UsesOAuth,
    ValidatesAuth,
)
from appconnect.connectors.inputs import (
    AuthValidationInput,
    GetLicenseStatusInput,
    GetUserInfoInput,
    OAuthInfoInput,
    OAuthOptionInput,
    PostSaveUserInfoInput,
    UnauthorizeInput,
)
from appconnect.connectors.types import OAuthInfo, PlatformUserInfo, message_to_wire
from appconnect.crm_http import CrmError, CrmRequestRefused, CrmUnavailable, HostPolicy
from appconnect.crm_http.policy import normalise_host
from appconnect.domain import User
from appconnect.security import hash_id
from appconnect.services import managed_auth, managed_oauth
from appconnect.services.auth import auth_type_of, needs_refresh, refresh_access_token
from appconnect.services.context import ServerContext
from appconnect.services.messages import (
    DATABASE_FAILED,
    SESSION_EXPIRED,
    missing_auth_fields,
    oauth_setup_failed,
    warning,
)
from appconnect.services.oauth import OAuthError, exchange_code, oauth_info_from, override_from
from appconnect.services.proxy_connectors import ensure_proxy_for_login
from appconnect.services.replies import Reply, error, text
from appconnect.services.ringcentral import RcIdentity, rc_identity

log = structlog.get_logger(__name__)

_KEEP: Any = object()  # "absent": leave the stored value as it is (spec §3.4)

LICENSE_NO_SESSION = "Invalid (Invalid user session)"
LICENSE_NO_USER = "Invalid (User not found)"
LICENSE_UNAVAILABLE = "Invalid (Connect to get license status)"


# -- hostname safety -------------------------------------------------------------------------------
def _as_url(value: str) -> str:
    stripped = value.strip()
    return stripped if "://" in stripped else f"https://{stripped}"


async def unsafe_host_reason(
    context: ServerContext, connector: Connector, platform: str, what: str, value: str | None
) -> str | None:
    """Why the user-supplied address `value` must not be used for `platform`, or None when it is fine.

    Nothing is sent: the check only looks at the allow-list and (in production) at the addresses
    the name resolves to, with the same guard every CRM request goes through.
    """
    if not value or not value.strip():
        return None
    url = _as_url(value)
    try:
        parsed = httpx.URL(url)
        host = normalise_host(parsed.host) if parsed.scheme in ("http", "https") else ""
    except (httpx.InvalidURL, TypeError):
        host = ""
    if not host:
        return f"The {what} {value!r} is not a valid address."
    patterns = tuple(connector.allowed_hosts) or ("*",)
    policy = HostPolicy(allowed_hosts=patterns, platform=platform)
    if not policy.allows(host):
        return f"The {what} {host} is not allowed for {platform}: it is not one of the connector's CRM hosts."
    try:
        await context.http.check_url(url, policy=policy)
    except CrmRequestRefused:
        return (
            f"The {what} {host} is not allowed for {platform}: "
            "private, loopback and link-local network addresses are refused."
        )
    except CrmUnavailable:
        return f"The {what} {host} could not be resolved."
    return None


async def _first_unsafe_host(
    context: ServerContext, connector: Connector, platform: str, addresses: Mapping[str, str | None]
) -> str | None:
    placeholders = set(connector.login_hostname_placeholders)
    for what, value in addresses.items():
        if what == "hostname" and value in placeholders:
            continue  # not an address: the connector resolves it, and that result is checked
        reason = await unsafe_host_reason(context, connector, platform, what, value)
        if reason is not None:
            log.warning("login refused: unsafe CRM address", platform=platform, field=what)
            return reason
    return None


# -- saving the user (§3.4) ------------------------------------------------------------------------
def merge_user_info(
    base: User,
    info: PlatformUserInfo,
    *,
    platform: str,
    hostname: Any = _KEEP,
    access_token: Any = _KEEP,
    refresh_token: Any = _KEEP,
    token_expiry: Any = _KEEP,
    rc_account_id: Any = _KEEP,
    hashed_rc_extension_id: Any = _KEEP,
    proxy_id: Any = _KEEP,
) -> User:
    """`base` updated with a login's values; `_KEEP` (absent) leaves a field as stored, None clears it."""
    changes: dict[str, Any] = {"platform": platform}
    for name, value in (
        ("hostname", hostname),
        ("access_token", access_token),
        ("refresh_token", refresh_token),
        ("token_expiry", token_expiry),
        ("rc_account_id", rc_account_id),
        ("hashed_rc_extension_id", hashed_rc_extension_id),
    ):
        if value is not _KEEP:
            changes[name] = value
    if info.timezone_name is not None:
        changes["timezone_name"] = info.timezone_name
    if info.timezone_offset is not None:
        changes["timezone_offset"] = str(info.timezone_offset)
    additional = {**base.platform_additional_info, **dict(info.platform_additional_info)}
    if proxy_id is not _KEEP:
        additional.pop("proxyId", None)
        if proxy_id:
            additional["proxyId"] = proxy_id
    changes["platform_additional_info"] = additional
    return replace(base, **changes)


async def _save(context: ServerContext, info: PlatformUserInfo, **values: Any) -> User | None:
    """Insert or update the user row; None when the database failed (logged, never shown)."""
    try:
        existing = await context.store.users.get(info.id)
        base = existing or User(id=info.id, platform=values["platform"])
        return await context.store.users.save(merge_user_info(base, info, **values))
    except Exception as failure:
        log.error(
            "saving the user failed", platform=values.get("platform"), error_type=type(failure).__name__
        )
        return None


async def _post_save(
    connector: Connector, info: PlatformUserInfo, user: User, oauth_info: OAuthInfo | None
) -> PlatformUserInfo | None:
    if not isinstance(connector, SavesUserInfo):
        return info
    return await connector.post_save_user_info(
        PostSaveUserInfoInput(user_info=info, user=user, oauth_info=oauth_info)
    )


def _logged_in(context: ServerContext, info: PlatformUserInfo, platform: str, message: Any) -> Reply:
    return Reply(
        {
            "jwtToken": context.tokens.issue(str(info.id), platform),
            "name": info.name,
            "returnMessage": message_to_wire(message),
        }
    )


# -- GET /oauth-callback (§3.2) --------------------------------------------------------------------
def _query_param(uri: str, name: str) -> str | None:
    for key, value in parse_qsl(urlsplit(uri).query, keep_blank_values=True):
        if key == name:
            return value
    return None


def _legacy_platform(*sources: str | None) -> str | None:
    for source in sources:
        if source and "platform=" in source:
            return source.split("platform=")[1] or None
    return None


async def oauth_callback(
    context: ServerContext, *, query: Mapping[str, str], hashed_rc_extension_id: str | None
) -> Reply:
    """Exchange the CRM's code for tokens, ask the CRM who the user is, save them, issue a JWT."""
    callback_uri = query.get("callbackUri")
    code = query.get("code")
    if not callback_uri or callback_uri == "undefined":
        if not code:
            return text("Missing callbackUri")
        callback_uri = f"{context.settings.app_server.rstrip('/')}/oauth-callback?code={quote(code)}"
    elif code and "code=" not in callback_uri:
        callback_uri += ("&" if "?" in callback_uri else "?") + "code=" + quote(code)
    raw_state = _query_param(callback_uri, "state") or query.get("state")
    state = dict(parse_qsl(unquote(raw_state or ""), keep_blank_values=True))
    platform = state.get("platform") or _legacy_platform(callback_uri, raw_state)
    if not platform:
        return text("Missing platform name")
    await ensure_proxy_for_login(context, platform, query.get("proxyId") or None)
    connector = context.registry.get(platform)
    hostname = query.get("hostname") or state.get("hostname") or None
    token_url = query.get("tokenUrl") or None
    api_url = query.get("apiUrl") or None
    refused = await _first_unsafe_host(
        context, connector, platform, {"hostname": hostname, "token URL": token_url, "API URL": api_url}
    )
    if refused is not None:
        return Reply({"returnMessage": warning(refused)})
    rc_account_id = query.get("rcAccountId") or None
    proxy_id = query.get("proxyId") or None
    if not isinstance(connector, UsesOAuth) or not isinstance(connector, LogsIn):
        return error(f"{platform} does not support OAuth login")
    try:
        info = oauth_info_from(
            await connector.get_oauth_info(
                OAuthInfoInput(
                    token_url=token_url,
                    hostname=hostname,
                    rc_account_id=rc_account_id,
                    proxy_id=proxy_id,
                    user_email=query.get("userEmail"),
                )
            )
        )
        managed = await managed_oauth.resolve(context, platform, rc_account_id)  # spec §3.7
        if managed is not None:
            info = managed.apply(info)
        if info.fail_message:
            return Reply({"returnMessage": oauth_setup_failed(info.fail_message)})
        resolved_hostname = info.hostname or hostname
        resolved_token_url = info.access_token_uri or token_url
        override = None
        if isinstance(connector, OverridesOAuthRequest):
            override = override_from(
                await connector.get_overriding_oauth_option(
                    OAuthOptionInput(
                        code=_query_param(callback_uri, "code"), oauth_info=info, state=raw_state
                    )
                )
            )
        tokens = await exchange_code(
            context.http, info, callback_uri=callback_uri, platform=platform, override=override
        )
        result = await connector.get_user_info(
            GetUserInfoInput(
                auth_header=f"Bearer {tokens.access_token}",
                platform=platform,
                hostname=resolved_hostname,
                token_url=resolved_token_url,
                api_url=api_url,
                callback_uri=callback_uri,
                query=dict(query),
                tokens=dict(tokens.raw),
                proxy_id=proxy_id,
                user_email=query.get("userEmail"),
            )
        )
        if not result.successful or result.platform_user_info is None:
            return Reply({"returnMessage": message_to_wire(result.return_message)})
        platform_user = result.platform_user_info
        if platform_user.overriding_hostname:
            refused = await _first_unsafe_host(
                context, connector, platform, {"CRM hostname": platform_user.overriding_hostname}
            )
            if refused is not None:
                return Reply({"returnMessage": warning(refused)})
        user = await _save(
            context,
            platform_user,
            platform=platform,
            hostname=platform_user.overriding_hostname or resolved_hostname or _KEEP,
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            token_expiry=tokens.expires_at,
            rc_account_id=rc_account_id if rc_account_id is not None else _KEEP,
            hashed_rc_extension_id=hashed_rc_extension_id if hashed_rc_extension_id is not None else _KEEP,
            proxy_id=proxy_id,
        )
        if user is None:
            return Reply({"returnMessage": DATABASE_FAILED})
        if managed is not None and rc_account_id:
            await managed_oauth.promote(context, platform, rc_account_id, managed)
        saved_info = await _post_save(connector, platform_user, user, info)
    except (OAuthError, CrmError) as failure:
        log.warning("OAuth login failed", platform=platform, error_type=type(failure).__name__)
        return error(str(failure))
    except Exception as failure:
        log.warning("OAuth login failed", platform=platform, error_type=type(failure).__name__)
        return error(str(failure) or type(failure).__name__)
    if saved_info is None:
        return Reply({"returnMessage": message_to_wire(result.return_message)})
    return _logged_in(context, saved_info, platform, result.return_message)


# -- POST /apiKeyLogin (§3.5, §3.6) ----------------------------------------------------------------
async def api_key_login(
    context: ServerContext,
    *,
    platform: str,
    api_key: str | None,
    hostname: str | None,
    additional_info: Any,
    proxy_id: str | None,
    hashed_rc_extension_id: str | None,
    rc_access_token: str | None,
    portal: managed_auth.PortalSource,
) -> Reply:
    """Verify the key with the CRM (`get_user_info`), save the user, and issue a session JWT."""
    await ensure_proxy_for_login(context, platform, proxy_id)  # a Developer Portal proxy
    connector = context.registry.get(platform)
    refused = await _first_unsafe_host(context, connector, platform, {"hostname": hostname})
    if refused is not None:
        return Reply({"returnMessage": warning(refused)}, 400)
    if not isinstance(connector, LogsIn):
        return error(f"{platform} does not implement getUserInfo")
    submitted = dict(additional_info) if isinstance(additional_info, Mapping) else {}
    identity: RcIdentity | None = None
    try:
        if rc_access_token:
            identity = await rc_identity(context, rc_access_token)
        info = dict(submitted)
        if "apiKey" not in info and api_key:
            info["apiKey"] = api_key
        managed: managed_auth.LoginFields | None = None
        if identity is not None and identity.account_id:
            managed = await managed_auth.resolve_login_fields(context, platform, identity, info, portal)
            if managed.missing:
                return Reply({"returnMessage": missing_auth_fields(managed.missing)}, 400)
            info = managed.additional_info
        resolved_key = info.get("apiKey") if info.get("apiKey") is not None else api_key
        basic = connector.get_basic_auth(str(resolved_key or ""))
        result = await connector.get_user_info(
            GetUserInfoInput(
                auth_header=f"Basic {basic}",
                platform=platform,
                hostname=hostname,
                api_key=None if resolved_key is None else str(resolved_key),
                additional_info=info,
                proxy_id=proxy_id,
            )
        )
        if not result.successful or result.platform_user_info is None:
            if managed is not None and managed.has_managed and identity is not None:
                await context.store.managed_auth.mark_login_failure(
                    identity.account_id, platform, identity.extension_id
                )
            return Reply({"returnMessage": message_to_wire(result.return_message)}, 400)
        platform_user = result.platform_user_info
        if identity is not None and identity.account_id:
            await context.store.managed_auth.clear_login_failure(
                identity.account_id, platform, identity.extension_id
            )
        user = await _save(
            context,
            platform_user,
            platform=platform,
            hostname=hostname if hostname is not None else _KEEP,
            access_token=platform_user.overriding_api_key or resolved_key,
            rc_account_id=identity.account_id if identity is not None and identity.account_id else None,
            hashed_rc_extension_id=hashed_rc_extension_id if hashed_rc_extension_id is not None else _KEEP,
            proxy_id=proxy_id,
        )
        if user is None:
            return Reply({"returnMessage": DATABASE_FAILED}, 400)
        saved_info = await _post_save(connector, platform_user, user, None)
        if saved_info is None:
            return Reply({"returnMessage": message_to_wire(result.return_message)}, 400)
        if managed is not None and managed.has_managed and identity is not None and identity.is_admin:
            await managed_auth.persist_submitted_values(
                context, platform, identity, managed.fields, submitted
            )
    except Exception as failure:
        log.warning("API key login failed", platform=platform, error_type=type(failure).__name__)
        return error(str(failure) or type(failure).__name__)
    return _logged_in(context, saved_info, platform, result.return_message)


# -- session utility routes (§3.9) -----------------------------------------------------------------
async def unauthorize(context: ServerContext, *, user_id: str, platform: str) -> Reply:
    """Revoke at the CRM (connector), then forget the credentials; the JWT itself stays valid."""
    user = await context.store.users.get(user_id)
    if user is None:
        return text("User not found")
    connector = context.registry.get(platform or user.platform)
    message: Any = None
    try:
        if isinstance(connector, LogsOut):
            result = await connector.unauthorize(UnauthorizeInput(user=user))
            message = message_to_wire(result.return_message)
    except Exception as failure:
        log.warning("logout failed at the CRM", platform=user.platform, error_type=type(failure).__name__)
        return error(str(failure) or type(failure).__name__)
    await context.store.users.update_tokens(user, access_token="", refresh_token=None, token_expiry=None)
    return Reply(message)


async def auth_validation(context: ServerContext, *, user_id: str, platform: str) -> Reply:
    user = await context.store.users.get(user_id, platform)
    if user is None:
        return Reply({"successful": False})
    connector = context.registry.get(platform)
    if not isinstance(connector, ValidatesAuth):
        return error(f"authValidation is not implemented for {platform}")
    try:
        if auth_type_of(connector, user) == "oauth" and user.access_token:
            refreshed = await refresh_access_token(context, connector, user) if needs_refresh(user) else user
            if refreshed is None:
                return Reply({"successful": False, "returnMessage": SESSION_EXPIRED})
            user = refreshed
        result = await connector.auth_validation(AuthValidationInput(user=user))
    except Exception as failure:
        return error(str(failure) or type(failure).__name__)
    return Reply({"successful": result.successful, "returnMessage": message_to_wire(result.return_message)})


def _license(status: str) -> dict[str, Any]:
    return {"isLicenseValid": False, "licenseStatus": status, "licenseStatusDescription": ""}


async def license_status(context: ServerContext, *, user_id: str | None, platform: str) -> Reply:
    if user_id is None:
        return Reply(_license(LICENSE_NO_SESSION))
    try:
        user = await context.store.users.get(user_id)
        if user is None:
            return Reply(_license(LICENSE_NO_USER))
        connector = context.registry.get(platform)
        if not isinstance(connector, ReportsLicenseStatus):
            return Reply(_license(LICENSE_UNAVAILABLE))
        result = await connector.get_license_status(
            GetLicenseStatusInput(user=user, user_id=user_id, platform=platform)
        )
    except Exception:
        return Reply(_license(LICENSE_UNAVAILABLE))
    return Reply(result.to_wire())


async def stored_hostname(context: ServerContext, *, user_id: str) -> Reply:
    try:
        user = await context.store.users.get(user_id)
    except Exception as failure:
        return error(type(failure).__name__, 500)
    if user is None:
        return text("User not found")
    return Reply(user.hostname or "")


def user_info_hash(context: ServerContext, *, extension_id: str | None, account_id: str | None) -> Reply:
    key = context.secrets.hash_key
    return Reply({"extensionId": hash_id(extension_id, key), "accountId": hash_id(account_id, key)})
