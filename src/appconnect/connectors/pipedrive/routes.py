"""`GET` and `DELETE /pipedrive-redirect`: the Pipedrive app's callback page and its uninstall hook.

Why the connector serves routes: a Pipedrive app has one registered callback URL, which is both
where the browser lands after authorizing (GET, an HTML page the extension reads the `code` from)
and where Pipedrive announces that a user uninstalled the app (DELETE, authenticated with the app's
own client id and secret as HTTP Basic). The uninstall revokes the user's tokens at Pipedrive and
deletes the user here.

| Request | Answer |
|---|---|
| `GET` | 200, the HTML page |
| `DELETE` without the app's credentials | 401 `Unauthorized` |
| `DELETE` with no `user_id` in the body | 400 `Missing user_id` |
| `DELETE` for a user (numeric Pipedrive id or our `<id>-pipedrive`), or an unknown one | 200 `User deleted` |
| `DELETE` whose revocation fails | 500 `{"error": "Internal server error"}` (no detail: could hold tokens) |
"""

from __future__ import annotations

import json
from importlib.resources import files
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response

from appconnect.connectors.base import ServerServices
from appconnect.connectors.inputs import UnauthorizeInput
from appconnect.domain import User

if TYPE_CHECKING:
    from .connector import PipedriveConnector

__all__ = ["REDIRECT_PATH", "build_router", "redirect_page"]

log = structlog.get_logger(__name__)

REDIRECT_PATH = "/pipedrive-redirect"
USER_ID_SUFFIX = "-pipedrive"


def redirect_page() -> str:
    """The callback page shipped beside this module (`redirect.html`)."""
    return files("appconnect.connectors.pipedrive").joinpath("redirect.html").read_text(encoding="utf-8")


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw:
        return {}
    try:
        parsed = json.loads(raw)
    except ValueError:
        return dict(parse_qsl(raw.decode("utf-8", errors="replace"), keep_blank_values=True))
    return parsed if isinstance(parsed, dict) else {}


async def _pipedrive_user(server: ServerServices, user_id: str) -> User | None:
    """Pipedrive sends its numeric user id; we store `<id>-pipedrive`. Either finds the user."""
    candidates = [user_id] if user_id.endswith(USER_ID_SUFFIX) else [f"{user_id}{USER_ID_SUFFIX}", user_id]
    for candidate in candidates:
        user = await server.find_user(candidate, "pipedrive")
        if user is not None:
            return user
    return None


def build_router(connector: PipedriveConnector, server: ServerServices) -> APIRouter:
    """The two routes; `server` looks users up and deletes them (the connector never sees the store)."""
    router = APIRouter(tags=["pipedrive"], include_in_schema=False)
    page = redirect_page()

    @router.get(REDIRECT_PATH)
    async def callback_page() -> HTMLResponse:
        return HTMLResponse(page)

    @router.delete(REDIRECT_PATH)
    async def uninstall(request: Request) -> Response:
        if not connector.is_app_authorization(request.headers.get("authorization")):
            return PlainTextResponse("Unauthorized", status_code=401)
        user_id = (await _body(request)).get("user_id")
        if user_id is None or user_id == "":
            return PlainTextResponse("Missing user_id", status_code=400)
        try:
            user = await _pipedrive_user(server, str(user_id))
            if user is not None:
                await connector.unauthorize(UnauthorizeInput(user=user))
                await server.delete_user(user.id)
        except Exception as failure:
            log.error("Pipedrive uninstall failed", error_type=type(failure).__name__)
            return JSONResponse({"error": "Internal server error"}, status_code=500)
        return PlainTextResponse("User deleted")

    return router
