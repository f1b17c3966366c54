"""A small fake REST CRM for the proxy connector: people and activities behind an API key.

It validates requests as a strict CRM would (the key as `Authorization: Bearer <key>`, JSON bodies
with the fields it needs, ids that exist) and keeps its state in `app.state.store` for the test to
inspect. Routes, all under `/api`:

* `GET   /api/me`                          `{"user": {"id", "name", "timezone", "role"}}`
* `GET   /api/people?phone=`               `{"people": [...]}` (exact phone match)
* `GET   /api/people/search?q=`            `{"people": [...]}` (case-insensitive name part)
* `POST  /api/people`                      `{"name", "phone", "kind"}` -> 201 the person
* `POST  /api/activities`                  `{"person_id", "subject", "body", "kind", ...}`
  -> 201 `{"activity": {...}}`
* `GET   /api/activities/{id}`             `{"activity": {...}}`
* `PATCH /api/activities/{id}`             merges `subject`, `body`, `ended_at`, `outcome`, `deal`;
  `append_body` adds a line to `body`
* `GET   /api/users`                       `{"records": [...]}`
"""

from __future__ import annotations

import itertools
import threading
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

__all__ = ["REST_CRM_KEY", "RestCrmStore", "create_rest_crm_app"]

REST_CRM_KEY = "rest-crm-key-123"


class RestCrmStore:
    """Thread-safe state: people and activities (the test thread reads it while the server runs)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._ids = itertools.count(100)
        self.people: dict[int, dict[str, Any]] = {}
        self.activities: dict[int, dict[str, Any]] = {}

    def add_person(self, name: str, phone: str, kind: str = "Lead") -> dict[str, Any]:
        with self.lock:
            person_id = next(self._ids)
            person = {
                "id": person_id,
                "name": name,
                "phone": phone,
                "kind": kind,
                "created_at": "2026-01-05T09:00:00Z",
            }
            self.people[person_id] = person
            return dict(person)

    def add_activity(self, fields: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            activity_id = next(self._ids)
            activity = {"id": activity_id, **fields}
            self.activities[activity_id] = activity
            return dict(activity)


def create_rest_crm_app(*, key: str = REST_CRM_KEY, store: RestCrmStore | None = None) -> Starlette:
    """Build the app; its state is `app.state.store`."""
    crm = store if store is not None else RestCrmStore()

    def refused(request: Request) -> Response | None:
        if request.headers.get("authorization") != f"Bearer {key}":
            return JSONResponse({"error": "invalid api key"}, status_code=401)
        return None

    async def payload(request: Request) -> dict[str, Any] | Response:
        if not request.headers.get("content-type", "").startswith("application/json"):
            return JSONResponse({"error": "send JSON"}, status_code=415)
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"error": "invalid JSON"}, status_code=400)
        if not isinstance(body, dict):
            return JSONResponse({"error": "a JSON object is required"}, status_code=400)
        return body

    async def me(request: Request) -> Response:
        if (answer := refused(request)) is not None:
            return answer
        return JSONResponse(
            {"user": {"id": 42, "name": "Agent Smith", "timezone": "Europe/London", "role": "admin"}}
        )

    async def people(request: Request) -> Response:
        if (answer := refused(request)) is not None:
            return answer
        phone = request.query_params.get("phone")
        if not phone:
            return JSONResponse({"error": "phone is required"}, status_code=400)
        with crm.lock:
            found = [dict(p) for p in crm.people.values() if p["phone"] == phone]
        return JSONResponse({"people": found})

    async def search(request: Request) -> Response:
        if (answer := refused(request)) is not None:
            return answer
        term = request.query_params.get("q", "").lower()
        with crm.lock:
            found = [dict(p) for p in crm.people.values() if term and term in p["name"].lower()]
        return JSONResponse({"people": found})

    async def create_person(request: Request) -> Response:
        if (answer := refused(request)) is not None:
            return answer
        body = await payload(request)
        if isinstance(body, Response):
            return body
        if not body.get("name") or not body.get("phone"):
            return JSONResponse({"error": "name and phone are required"}, status_code=422)
        return JSONResponse(
            crm.add_person(str(body["name"]), str(body["phone"]), str(body.get("kind") or "Lead")),
            status_code=201,
        )

    async def create_activity(request: Request) -> Response:
        if (answer := refused(request)) is not None:
            return answer
        body = await payload(request)
        if isinstance(body, Response):
            return body
        person_id = body.get("person_id")
        if isinstance(person_id, str) and person_id.isdigit():
            person_id = int(person_id)
            body["person_id"] = person_id
        with crm.lock:
            known = person_id in crm.people
        if not isinstance(person_id, int) or not known:
            return JSONResponse({"error": f"unknown person {person_id!r}"}, status_code=422)
        if not body.get("subject") or body.get("kind") not in ("call", "sms"):
            return JSONResponse({"error": "subject and kind (call or sms) are required"}, status_code=422)
        return JSONResponse({"activity": crm.add_activity(body)}, status_code=201)

    async def one_activity(request: Request) -> Response:
        if (answer := refused(request)) is not None:
            return answer
        activity_id = int(request.path_params["activity_id"])
        with crm.lock:
            activity = crm.activities.get(activity_id)
        if activity is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        if request.method == "PATCH":
            body = await payload(request)
            if isinstance(body, Response):
                return body
            allowed = {"subject", "body", "append_body", "ended_at", "outcome", "deal", "duration"}
            unknown = set(body) - allowed
            if unknown:
                return JSONResponse({"error": f"unknown fields {sorted(unknown)}"}, status_code=422)
            with crm.lock:
                appended = body.pop("append_body", None)
                activity.update({k: v for k, v in body.items() if v is not None})
                if appended:
                    activity["body"] = f"{activity.get('body') or ''}\n{appended}"
        with crm.lock:
            return JSONResponse({"activity": dict(activity)})

    async def users(request: Request) -> Response:
        if (answer := refused(request)) is not None:
            return answer
        return JSONResponse(
            {
                "records": [
                    {"user": {"id": 42}, "profile": {"name": "Agent Smith"}, "email": "agent@example.com"}
                ]
            }
        )

    app = Starlette(
        routes=[
            Route("/api/me", me, methods=["GET"]),
            Route("/api/people", people, methods=["GET"]),
            Route("/api/people/search", search, methods=["GET"]),
            Route("/api/people", create_person, methods=["POST"]),
            Route("/api/activities", create_activity, methods=["POST"]),
            Route("/api/activities/{activity_id:int}", one_activity, methods=["GET", "PATCH"]),
            Route("/api/users", users, methods=["GET"]),
        ]
    )
    app.state.store = crm
    return app
