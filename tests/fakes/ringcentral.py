"""A fake RingCentral platform: just the extension endpoint the server asks "who is this token?".

`GET /restapi/v1.0/account/~/extension/~` answers the extension of a known bearer token (below) and
401 for any other. Point the server at it with the `RINGCENTRAL_SERVER` setting.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

ACCOUNT_ID = 9001
ADMIN_TOKEN = "rc-admin-token"
AGENT_TOKEN = "rc-agent-token"
OTHER_ACCOUNT_ADMIN_TOKEN = "rc-other-admin-token"
ADMIN_EXTENSION_ID = 101
AGENT_EXTENSION_ID = 102

EXTENSIONS: dict[str, dict[str, Any]] = {
    ADMIN_TOKEN: {
        "id": ADMIN_EXTENSION_ID,
        "name": "Ada Admin",
        "account": {"id": ACCOUNT_ID},
        "permissions": {"admin": {"enabled": True}},
    },
    AGENT_TOKEN: {
        "id": AGENT_EXTENSION_ID,
        "contact": {"firstName": "Alan", "lastName": "Agent"},
        "account": {"id": ACCOUNT_ID},
        "permissions": {"admin": {"enabled": False}},
    },
    OTHER_ACCOUNT_ADMIN_TOKEN: {
        "id": 301,
        "name": "Other Admin",
        "account": {"id": 7777},
        "permissions": {"admin": {"enabled": True}},
    },
}


def create_ringcentral_app() -> Starlette:
    async def extension(request: Request) -> JSONResponse:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        found = EXTENSIONS.get(token) if scheme.lower() == "bearer" else None
        if found is None:
            return JSONResponse({"errorCode": "TokenInvalid", "message": "Invalid token"}, status_code=401)
        return JSONResponse(found)

    return Starlette(routes=[Route("/restapi/v1.0/account/~/extension/~", extension, methods=["GET"])])
