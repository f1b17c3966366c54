"""OAuth 2 with a connector's token endpoint: the code exchange at login and the token refresh.

Behaviour follows the `client-oauth2` library the reference uses (spec platform §3.3, §3.8):

* code exchange: the callback URI's path must match the configured redirect URI's, its query must
  carry `code` (an `error` there is raised as is); `POST` a form `code`, `grant_type`,
  `redirect_uri` with HTTP Basic client authentication (or `client_id` in the form when there is no
  secret), with the connector's `OAuthTokenRequestOverride` merged over those defaults;
* refresh: `POST` a form `refresh_token`, `grant_type=refresh_token`; a response without a new
  refresh token keeps the old one;
* a response is JSON or a form string; one with an `error` field is an :class:`OAuthError` whose
  `code` tells `invalid_grant` (the grant is gone: revoke the session) from anything else.

All requests go through the one outbound client, so the host allow-list and the private-network
guard apply to token endpoints too.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from appconnect.connectors.types import OAuthInfo, OAuthTokenRequestOverride
from appconnect.crm_http import CrmError, CrmHttp, HostPolicy

FORM_HEADERS = {
    "Accept": "application/json, application/x-www-form-urlencoded",
    "Content-Type": "application/x-www-form-urlencoded",
}


class OAuthError(Exception):
    """The token endpoint (or the callback URI) reported an OAuth error; `code` is its `error`."""

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.status = status

    @property
    def is_invalid_grant(self) -> bool:
        return (self.code or "").lower() == "invalid_grant"


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str | None
    expires_at: datetime | None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)


def oauth_info_from(value: Any) -> OAuthInfo:
    """The connector's `get_oauth_info` answer as `OAuthInfo` (a camelCase mapping is accepted too)."""
    if isinstance(value, OAuthInfo):
        return value
    if not isinstance(value, Mapping):
        raise TypeError("get_oauth_info must return OAuthInfo")
    return OAuthInfo(
        client_id=str(value.get("clientId") or ""),
        client_secret=value.get("clientSecret"),
        access_token_uri=str(value.get("accessTokenUri") or ""),
        redirect_uri=value.get("redirectUri"),
        authorization_uri=value.get("authorizationUri"),
        scopes=value.get("scopes"),
        hostname=value.get("hostname"),
        fail_message=value.get("failMessage"),
    )


def override_from(value: Any) -> OAuthTokenRequestOverride | None:
    if value is None or isinstance(value, OAuthTokenRequestOverride):
        return value
    if isinstance(value, Mapping):
        return OAuthTokenRequestOverride(
            headers=dict(value.get("headers") or {}),
            query=dict(value.get("query") or {}),
            body=dict(value.get("body") or {}),
        )
    raise TypeError("get_overriding_oauth_option must return OAuthTokenRequestOverride")


def client_basic_auth(client_id: str, client_secret: str | None) -> str:
    pair = f"{client_id}:{client_secret or ''}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")


def callback_code(callback_uri: str, info: OAuthInfo) -> str:
    """The authorization code inside the URI the CRM redirected to, after client-oauth2's checks."""
    parts = urlsplit(callback_uri)
    if info.redirect_uri:
        expected = urlsplit(info.redirect_uri).path
        if parts.path != expected:
            raise OAuthError(f"Redirected path should match configured path, but got: {parts.path}")
    if not parts.query:
        raise OAuthError(f"Unable to process uri: {callback_uri}")
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    if query.get("error"):
        raise OAuthError(query.get("error_description") or query["error"], code=query["error"])
    if not query.get("code"):
        raise OAuthError("Missing code, unable to request token")
    return query["code"]


def _parse_body(text: str) -> dict[str, Any]:
    try:
        parsed = json.loads(text)
    except ValueError:
        return dict(parse_qsl(text.strip(), keep_blank_values=True))
    return parsed if isinstance(parsed, dict) else {}


def _error_from(payload: Mapping[str, Any], status: int | None) -> OAuthError:
    code = str(payload.get("error"))
    description = payload.get("error_description")
    return OAuthError(str(description) if description else code, code=code, status=status)


def _expiry(payload: Mapping[str, Any], now: datetime) -> datetime | None:
    expires_in = payload.get("expires_in")
    try:
        seconds = float(expires_in) if isinstance(expires_in, int | float | str) else None
    except ValueError:
        seconds = None
    return now + timedelta(seconds=seconds) if seconds is not None else None


async def _post_token_request(
    http: CrmHttp,
    url: str,
    *,
    platform: str,
    headers: Mapping[str, str],
    form: Mapping[str, Any],
    params: Mapping[str, Any] | None = None,
) -> TokenSet:
    policy = HostPolicy.for_base_url(url, platform=platform)
    now = datetime.now(UTC)
    try:
        response = await http.request("POST", url, policy=policy, headers=headers, data=form, params=params)
    except CrmError as failure:
        payload = _parse_body(failure.body or "")
        if payload.get("error"):
            raise _error_from(payload, failure.status) from failure
        raise
    payload = _parse_body(response.text)
    if payload.get("error"):
        raise _error_from(payload, response.status_code)
    access_token = payload.get("access_token")
    if not access_token:
        raise OAuthError(f"{platform} token endpoint returned no access token", status=response.status_code)
    refresh_token = payload.get("refresh_token")
    return TokenSet(
        access_token=str(access_token),
        refresh_token=str(refresh_token) if refresh_token else None,
        expires_at=_expiry(payload, now),
        raw=payload,
    )


async def exchange_code(
    http: CrmHttp,
    info: OAuthInfo,
    *,
    callback_uri: str,
    platform: str,
    override: OAuthTokenRequestOverride | None = None,
) -> TokenSet:
    """Trade the code in `callback_uri` for tokens at `info.access_token_uri`."""
    code = callback_code(callback_uri, info)
    headers: dict[str, str | None] = dict(FORM_HEADERS)
    form: dict[str, Any] = {"code": code, "grant_type": "authorization_code"}
    if info.redirect_uri:
        form["redirect_uri"] = info.redirect_uri
    if info.client_secret:
        headers["Authorization"] = client_basic_auth(info.client_id, info.client_secret)
    else:
        form["client_id"] = info.client_id
    params: dict[str, Any] = {}
    if override is not None:
        headers.update(override.headers)
        form.update(override.body)
        params.update(override.query)
    sent_headers = {name: value for name, value in headers.items() if value}
    return await _post_token_request(
        http, info.access_token_uri, platform=platform, headers=sent_headers, form=form, params=params or None
    )


async def refresh_tokens(http: CrmHttp, info: OAuthInfo, *, refresh_token: str, platform: str) -> TokenSet:
    """A new token set for `refresh_token`; the old refresh token is kept when none comes back.

    Raises:
        OAuthError: the endpoint answered an OAuth error (`is_invalid_grant`: the grant is gone).
        CrmError: any other failure (network, 5xx): transient, the stored tokens stay valid.
    """
    headers = {**FORM_HEADERS, "Authorization": client_basic_auth(info.client_id, info.client_secret)}
    form = {"refresh_token": refresh_token, "grant_type": "refresh_token"}
    tokens = await _post_token_request(
        http, info.access_token_uri, platform=platform, headers=headers, form=form
    )
    if tokens.refresh_token is None:
        return TokenSet(tokens.access_token, refresh_token, tokens.expires_at, tokens.raw)
    return tokens
