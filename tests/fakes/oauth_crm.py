"""A fake OAuth 2 CRM (authorization code + rotating refresh tokens) and a connector for it.

The CRM keeps real OAuth state: codes are single use, access tokens can be expired or revoked on
demand, and every refresh *rotates* the refresh token (the old one then answers `invalid_grant`), as
many CRMs do. So a server that refreshed twice for one user would be caught twice: by the refresh
count and by the second refresh failing.

Routes:

* `POST /oauth/token`   client auth by HTTP Basic; `authorization_code` or `refresh_token` grants
* `POST /oauth/revoke`  form `token`: revokes that user's access and refresh tokens
* `GET  /me`            the user of the bearer token
* `GET  /contacts`      `?phone=`: contacts with that phone (bearer token)
* `POST /activities`, `GET|PUT /activities/{id}`: call logs (bearer token)

The connector is registered in-process by tests (`OAuthCrmConnector(context, base_url)`) or, for a
server started as a separate process, through
`APPCONNECT_EXTRA_CONNECTORS=tests.fakes.oauth_crm:create_connector` with the CRM's base URL in
`APPCONNECT_TEST_OAUTH_CRM_URL`.
"""

from __future__ import annotations

import base64
import itertools
import os
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from appconnect.connectors.base import (
    BaseConnector,
    ConnectorContext,
    FindsContacts,
    LogsIn,
    LogsOut,
    ReadsCallLogs,
    ReportsLicenseStatus,
    UsesOAuth,
    ValidatesAuth,
)
from appconnect.connectors.inputs import (
    AuthValidationInput,
    CreateCallLogInput,
    FindContactInput,
    GetCallLogInput,
    GetLicenseStatusInput,
    GetUserInfoInput,
    OAuthInfoInput,
    UnauthorizeInput,
    UpdateCallLogInput,
)
from appconnect.connectors.types import (
    AuthType,
    AuthValidationResult,
    CallLogInfo,
    Contact,
    CreateCallLogResult,
    FindContactResult,
    GetCallLogResult,
    LicenseStatus,
    LogFormat,
    OAuthInfo,
    PlatformUserInfo,
    ReturnMessage,
    UnAuthorizeResult,
    UpdateCallLogResult,
    UserInfoResult,
)
from appconnect.crm_http import HostPolicy, join_url

CLIENT_ID = "oauth-crm-client"
CLIENT_SECRET = "oauth-crm-secret"
REDIRECT_URI = "https://client.example.com/redirect.html"
BASE_URL_ENV = "APPCONNECT_TEST_OAUTH_CRM_URL"
PLATFORM = "oauthcrm"


@dataclass
class _Grant:
    user_id: str
    active: bool = True


@dataclass
class OAuthCrmState:
    """Everything the fake CRM knows; safe to inspect from the test thread."""

    login_expires_in: int = 3600
    refresh_expires_in: int = 3600
    users: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {"u-1": {"id": "u-1", "name": "Ada Lovelace", "timezone": "Europe/London"}}
    )
    contacts: list[dict[str, Any]] = field(
        default_factory=lambda: [{"id": 7, "name": "Ann Example", "phone": "+14155550100"}]
    )
    codes: dict[str, str] = field(default_factory=dict)
    access_tokens: dict[str, _Grant] = field(default_factory=dict)
    refresh_tokens: dict[str, _Grant] = field(default_factory=dict)
    activities: dict[int, dict[str, Any]] = field(default_factory=dict)
    revoked: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _ids: Any = field(default_factory=lambda: itertools.count(1), repr=False)

    def issue_code(self, user_id: str = "u-1") -> str:
        code = secrets.token_urlsafe(8)
        with self._lock:
            self.codes[code] = user_id
        return code

    def _issue(self, user_id: str, expires_in: int) -> dict[str, Any]:
        access, refresh = "at-" + secrets.token_urlsafe(12), "rt-" + secrets.token_urlsafe(12)
        self.access_tokens[access] = _Grant(user_id)
        self.refresh_tokens[refresh] = _Grant(user_id)
        return {
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": expires_in,
            "token_type": "Bearer",
        }

    def expire(self, access_token: str) -> None:
        """The CRM stops accepting this access token (as if its real expiry had passed)."""
        with self._lock:
            self.access_tokens[access_token].active = False

    def user_for(self, authorization: str | None) -> str | None:
        scheme, _, token = (authorization or "").partition(" ")
        with self._lock:
            grant = self.access_tokens.get(token) if scheme.lower() == "bearer" else None
            return grant.user_id if grant is not None and grant.active else None


def _form(body: bytes) -> dict[str, str]:
    return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))


def create_oauth_crm_app(state: OAuthCrmState) -> Starlette:
    """The fake CRM's ASGI app over `state`."""

    def oauth_error(code: str, status: int = 400) -> JSONResponse:
        return JSONResponse({"error": code, "error_description": f"{code} (fake CRM)"}, status_code=status)

    async def token(request: Request) -> Response:
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("authorization") != expected:
            return oauth_error("invalid_client", 401)
        form = _form(await request.body())
        with state._lock:
            if form.get("grant_type") == "authorization_code":
                user_id = state.codes.pop(form.get("code", ""), None)
                if user_id is None or form.get("redirect_uri") != REDIRECT_URI:
                    return oauth_error("invalid_grant")
                return JSONResponse(state._issue(user_id, state.login_expires_in))
            if form.get("grant_type") == "refresh_token":
                grant = state.refresh_tokens.get(form.get("refresh_token", ""))
                if grant is None or not grant.active:
                    return oauth_error("invalid_grant")
                grant.active = False  # rotation: a refresh token works once
                return JSONResponse(state._issue(grant.user_id, state.refresh_expires_in))
        return oauth_error("unsupported_grant_type")

    async def revoke(request: Request) -> Response:
        token_value = _form(await request.body()).get("token", "")
        with state._lock:
            grant = state.access_tokens.get(token_value)
            if grant is not None:
                for grants in (state.access_tokens, state.refresh_tokens):
                    for other in grants.values():
                        if other.user_id == grant.user_id:
                            other.active = False
                state.revoked.append(token_value)
        return Response(status_code=200)

    def unauthorized() -> JSONResponse:
        return JSONResponse({"error": "invalid_token"}, status_code=401)

    async def me(request: Request) -> Response:
        user_id = state.user_for(request.headers.get("authorization"))
        return JSONResponse(state.users[user_id]) if user_id else unauthorized()

    async def contacts(request: Request) -> Response:
        if not state.user_for(request.headers.get("authorization")):
            return unauthorized()
        phone = request.query_params.get("phone")
        return JSONResponse([contact for contact in state.contacts if contact["phone"] == phone])

    async def create_activity(request: Request) -> Response:
        if not state.user_for(request.headers.get("authorization")):
            return unauthorized()
        data = await request.json()
        with state._lock:
            activity = {"id": next(state._ids), **data}
            state.activities[activity["id"]] = activity
        return JSONResponse(activity, status_code=201)

    async def activity(request: Request) -> Response:
        if not state.user_for(request.headers.get("authorization")):
            return unauthorized()
        found = state.activities.get(int(request.path_params["id"]))
        if found is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        if request.method == "PUT":
            found.update(await request.json())
        return JSONResponse(found)

    return Starlette(
        routes=[
            Route("/oauth/token", token, methods=["POST"]),
            Route("/oauth/revoke", revoke, methods=["POST"]),
            Route("/me", me, methods=["GET"]),
            Route("/contacts", contacts, methods=["GET"]),
            Route("/activities", create_activity, methods=["POST"]),
            Route("/activities/{id:int}", activity, methods=["GET", "PUT"]),
        ]
    )


class OAuthCrmConnector(
    BaseConnector,
    UsesOAuth,
    LogsIn,
    LogsOut,
    ValidatesAuth,
    ReportsLicenseStatus,
    FindsContacts,
    ReadsCallLogs,
):
    """An OAuth connector for the fake CRM; `contact.additional_info["pid"]` names the serving process."""

    name = PLATFORM
    auth_type = AuthType.OAUTH
    log_format = LogFormat.PLAIN
    allowed_hosts = ("127.0.0.1", "localhost", "*.oauth-crm.test")

    def __init__(self, context: ConnectorContext, base_url: str) -> None:
        super().__init__(context)
        self.base_url = base_url
        self.policy = HostPolicy.for_base_url(base_url, platform=self.name)

    def _url(self, path: str) -> str:
        return join_url(self.base_url, path)

    async def get_oauth_info(self, login: OAuthInfoInput, /) -> OAuthInfo:
        return OAuthInfo(
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            access_token_uri=self._url("/oauth/token"),
            redirect_uri=REDIRECT_URI,
        )

    async def get_user_info(self, login: GetUserInfoInput, /) -> UserInfoResult:
        headers = {"Authorization": login.auth_header}
        data = (await self.http.get(self._url("/me"), policy=self.policy, headers=headers)).json()
        return UserInfoResult(
            successful=True,
            platform_user_info=PlatformUserInfo(
                id=f"{data['id']}-{self.name}",
                name=data["name"],
                timezone_name=data["timezone"],
                platform_additional_info={"crmUserId": data["id"]},
            ),
            return_message=ReturnMessage("Connected to OAuth CRM.", "success", 1000),
        )

    async def unauthorize(self, logout: UnauthorizeInput, /) -> UnAuthorizeResult:
        await self.http.post(
            self._url("/oauth/revoke"), policy=self.policy, data={"token": logout.user.access_token or ""}
        )
        return UnAuthorizeResult(return_message=ReturnMessage("Logged out of OAuth CRM", "success", 1000))

    async def auth_validation(self, check: AuthValidationInput, /) -> AuthValidationResult:
        return AuthValidationResult(
            successful=True,
            status=200,
            return_message=ReturnMessage("Authentication is valid.", "success", 1000),
        )

    async def get_license_status(self, query: GetLicenseStatusInput, /) -> LicenseStatus:
        return LicenseStatus(is_license_valid=True, license_status="Basic", extra={"userId": query.user_id})

    async def find_contact(self, lookup: FindContactInput, /) -> FindContactResult:
        response = await self.http.get(
            self._url("/contacts"),
            policy=self.policy,
            headers={"Authorization": lookup.auth_header},
            params={"phone": lookup.phone_number},
        )
        pid = {"pid": os.getpid()}
        return FindContactResult(
            matched_contact_info=tuple(
                Contact(id=item["id"], name=item["name"], phone=item["phone"], additional_info=pid)
                for item in response.json()
            )
        )

    async def create_call_log(self, call: CreateCallLogInput, /) -> CreateCallLogResult:
        response = await self.http.post(
            self._url("/activities"),
            policy=self.policy,
            headers={"Authorization": call.auth_header},
            json={"contactId": call.contact_info.id, "note": call.composed_log_details},
        )
        return CreateCallLogResult(log_id=response.json()["id"])

    async def get_call_log(self, lookup: GetCallLogInput, /) -> GetCallLogResult:
        response = await self.http.get(
            self._url(f"/activities/{lookup.call_log_id}"),
            policy=self.policy,
            headers={"Authorization": lookup.auth_header},
        )
        note = response.json()["note"]
        return GetCallLogResult(call_log_info=CallLogInfo(note=note, full_body=note))

    async def update_call_log(self, call: UpdateCallLogInput, /) -> UpdateCallLogResult:
        await self.http.put(
            self._url(f"/activities/{call.existing_call_log.third_party_log_id}"),
            policy=self.policy,
            headers={"Authorization": call.auth_header},
            json={"note": call.composed_log_details},
        )
        return UpdateCallLogResult(updated_note=call.composed_log_details)


def create_connector(context: ConnectorContext) -> OAuthCrmConnector:
    """Factory for `APPCONNECT_EXTRA_CONNECTORS`: the CRM's base URL comes from the environment."""
    return OAuthCrmConnector(context, os.environ[BASE_URL_ENV])


def callback_query(code: str, *, hostname: str | None = None) -> dict[str, str]:
    """The query the extension sends to `/oauth-callback` after the CRM redirected with `code`."""
    query = {"callbackUri": f"{REDIRECT_URI}?code={code}&state=platform%3D{PLATFORM}"}
    if hostname is not None:
        query["hostname"] = hostname
    return query


def refresh_requests(crm: Any) -> list[Any]:
    """The refresh-token grants the fake CRM received (a `FakeCrmServer` running this app)."""
    return [
        request
        for request in crm.requests_to("POST", "/oauth/token")
        if _form(request.body).get("grant_type") == "refresh_token"
    ]
