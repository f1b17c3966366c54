"""A tiny generic fake CRM: a contacts store behind a bearer token (or Pipedrive-style ``api_token``).

Routes (all JSON; every response carries ``x-ratelimit-limit/remaining/reset``):

* ``GET  /v1/ping``                  no auth; ``{"ok": true}``
* ``GET  /v1/contacts[?phone=...]``  list (filtered by exact phone)
* ``POST /v1/contacts``              ``{"name", "phone"}`` → 201 with the stored contact
* ``GET  /v1/contacts/{id}``         one contact or 404
* ``PATCH /v1/contacts/{id}``        merge fields
* ``DELETE /v1/contacts/{id}``       204
"""

from __future__ import annotations

import itertools
import threading
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

__all__ = ["GENERIC_CRM_TOKEN", "ContactStore", "create_generic_crm_app"]

GENERIC_CRM_TOKEN = "generic-crm-test-token"
RATE_LIMIT = 100


class ContactStore:
    """Thread-safe in-memory contacts (the test thread may inspect it while the server runs)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self.contacts: dict[int, dict[str, Any]] = {}
        self.calls = 0

    def add(self, name: str, phone: str | None = None, **extra: Any) -> dict[str, Any]:
        with self._lock:
            contact_id = next(self._ids)
            contact = {"id": contact_id, "name": name, "phone": phone, **extra}
            self.contacts[contact_id] = contact
            return dict(contact)

    def tick(self) -> int:
        with self._lock:
            self.calls += 1
            return max(0, RATE_LIMIT - self.calls)


def create_generic_crm_app(*, token: str = GENERIC_CRM_TOKEN, store: ContactStore | None = None) -> Starlette:
    """Build the app; its store is ``app.state.store``."""
    contacts = store if store is not None else ContactStore()

    def respond(content: Any, status: int = 200) -> Response:
        headers = {
            "x-ratelimit-limit": str(RATE_LIMIT),
            "x-ratelimit-remaining": str(contacts.tick()),
            "x-ratelimit-reset": "2",
        }
        if status == 204:
            return Response(status_code=204, headers=headers)
        return JSONResponse(content, status_code=status, headers=headers)

    def authorised(request: Request) -> bool:
        return (
            request.headers.get("authorization") == f"Bearer {token}"
            or request.query_params.get("api_token") == token
        )

    def unauthorised() -> Response:
        return respond({"success": False, "error": "unauthorized"}, 401)

    async def ping(request: Request) -> Response:
        return respond({"ok": True})

    async def list_contacts(request: Request) -> Response:
        if not authorised(request):
            return unauthorised()
        phone = request.query_params.get("phone")
        items = [c for c in contacts.contacts.values() if phone is None or c.get("phone") == phone]
        return respond({"success": True, "data": items})

    async def create_contact(request: Request) -> Response:
        if not authorised(request):
            return unauthorised()
        try:
            payload = await request.json()
        except ValueError:
            return respond({"success": False, "error": "invalid JSON"}, 400)
        if not isinstance(payload, dict) or not payload.get("name"):
            return respond({"success": False, "error": "name is required"}, 400)
        return respond({"success": True, "data": contacts.add(**payload)}, 201)

    async def one_contact(request: Request) -> Response:
        if not authorised(request):
            return unauthorised()
        contact_id = request.path_params["contact_id"]
        contact = contacts.contacts.get(contact_id)
        if contact is None:
            return respond({"success": False, "error": "not found"}, 404)
        if request.method == "DELETE":
            contacts.contacts.pop(contact_id, None)
            return respond(None, 204)
        if request.method == "PATCH":
            payload = await request.json()
            contact.update({k: v for k, v in payload.items() if k != "id"})
        return respond({"success": True, "data": contact})

    app = Starlette(
        routes=[
            Route("/v1/ping", ping, methods=["GET"]),
            Route("/v1/contacts", list_contacts, methods=["GET"]),
            Route("/v1/contacts", create_contact, methods=["POST"]),
            Route("/v1/contacts/{contact_id:int}", one_contact, methods=["GET", "PATCH", "DELETE"]),
        ]
    )
    app.state.store = contacts
    return app
