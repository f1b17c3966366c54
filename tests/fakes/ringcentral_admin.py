"""A fake RingCentral for the admin token and reports: OAuth token endpoint, call analytics,
per-extension call log and message store, plus the extension endpoint of `tests.fakes.ringcentral`.

It keeps state like RingCentral: the codes it would issue, the tokens it issued (access tokens
can be expired), and the call records. It validates like RingCentral: the token endpoint needs the
app's Basic client credentials and a known code or refresh token; the data endpoints need a live
access token it issued. Lists are paged (`navigation.nextPage`).
"""

from __future__ import annotations

import base64
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.ringcentral import create_ringcentral_app

CLIENT_ID = "rc-app-client-id"
CLIENT_SECRET = "rc-app-client-secret-0123456789"


@dataclass
class RingCentralState:
    codes: set[str] = field(default_factory=set)
    access_tokens: set[str] = field(default_factory=set)
    refresh_tokens: set[str] = field(default_factory=set)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    aggregation_requests: list[dict[str, Any]] = field(default_factory=list)
    aggregation_records: list[dict[str, Any]] = field(default_factory=list)
    calls: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def issue_code(self) -> str:
        code = f"code-{secrets.token_hex(4)}"
        with self.lock:
            self.codes.add(code)
        return code

    def expire_access_tokens(self) -> None:
        with self.lock:
            self.access_tokens.clear()


def _client_ok(request: Request) -> bool:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    return scheme.lower() == "basic" and encoded.strip() == expected


def create_ringcentral_admin_app(state: RingCentralState) -> Starlette:
    def bearer_ok(request: Request) -> bool:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and token in state.access_tokens

    async def token(request: Request) -> JSONResponse:
        fields = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
        state.token_requests.append(fields)
        if not _client_ok(request):
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        with state.lock:
            if fields.get("grant_type") == "authorization_code" and fields.get("code") in state.codes:
                state.codes.discard(fields["code"])
            elif (
                fields.get("grant_type") == "refresh_token"
                and fields.get("refresh_token") in state.refresh_tokens
            ):
                state.refresh_tokens.discard(fields["refresh_token"])
            else:
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            access, refresh = f"rc-at-{secrets.token_hex(6)}", f"rc-rt-{secrets.token_hex(6)}"
            state.access_tokens.add(access)
            state.refresh_tokens.add(refresh)
        return JSONResponse(
            {"access_token": access, "refresh_token": refresh, "expires_in": 3600, "token_type": "bearer"}
        )

    async def aggregation(request: Request) -> JSONResponse:
        if not bearer_ok(request):
            return JSONResponse({"errorCode": "TokenInvalid"}, status_code=401)
        body = await request.json()
        state.aggregation_requests.append(body)
        group = (body.get("grouping") or {}).get("groupBy")
        if not isinstance(group, str) or "timeSettings" not in body:
            return JSONResponse({"errorCode": "InvalidParameter"}, status_code=400)
        return JSONResponse({"data": {"groupedBy": group, "records": state.aggregation_records}})

    def paged(records: list[dict[str, Any]], request: Request) -> JSONResponse:
        page = int(request.query_params.get("page", "1"))
        per_page = int(request.query_params.get("perPage", "100"))
        chunk = records[(page - 1) * per_page : page * per_page]
        navigation: dict[str, Any] = {}
        if page * per_page < len(records):
            navigation["nextPage"] = {"uri": f"page={page + 1}"}
        return JSONResponse({"records": chunk, "navigation": navigation})

    async def call_log(request: Request) -> JSONResponse:
        if not bearer_ok(request):
            return JSONResponse({"errorCode": "TokenInvalid"}, status_code=401)
        return paged(state.calls.get(request.path_params["extension"], []), request)

    async def message_store(request: Request) -> JSONResponse:
        if not bearer_ok(request):
            return JSONResponse({"errorCode": "TokenInvalid"}, status_code=401)
        return paged(state.messages.get(request.path_params["extension"], []), request)

    return Starlette(
        routes=[
            *create_ringcentral_app().routes,
            Route("/restapi/oauth/token", token, methods=["POST"]),
            Route("/analytics/calls/v1/accounts/~/aggregation/fetch", aggregation, methods=["POST"]),
            Route("/restapi/v1.0/account/~/extension/{extension}/call-log", call_log, methods=["GET"]),
            Route(
                "/restapi/v1.0/account/~/extension/{extension}/message-store", message_store, methods=["GET"]
            ),
        ]
    )
