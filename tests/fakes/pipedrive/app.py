"""Fake Pipedrive's HTTP API: every endpoint the connector uses, strict about what it accepts.

Answers use Pipedrive's envelopes (`{"success": true, "data": ..., "additional_data": ...}`, errors
as `{"success": false, "error": ..., "error_info": ...}`) and carry `x-ratelimit-*` headers. A request
Pipedrive would not accept (unknown path or method, unknown or missing query parameter, unknown
body field, a value of the wrong type, an inactive activity type, a deal that does not exist, ...)
is answered 400 *and* recorded in `state.rejections`, so a test can insist that the connector
never sent one. Bearer tokens must be issued, unexpired and unrevoked (else 401).

| Endpoint | Pipedrive API |
|---|---|
| `GET /v1/users/me`, `GET /v1/users`, `GET /api/v1/users` | v1 users |
| `GET /api/v2/persons/search`, `GET /api/v2/persons/{id}`, `POST /v1/persons` | persons |
| `GET /api/v2/deals`, `GET /v1/leads` | deals (v2), leads (v1) |
| `GET /v1/activityTypes` | activity types |
| `POST /api/v2/activities`, `GET`/`PATCH /api/v2/activities/{id}` | activities (v2) |
| `POST /oauth/token`, `POST /oauth/revoke` | the OAuth server |
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from collections.abc import Set as AbstractSet
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.pipedrive.state import PipedriveState, Record, _stamp

__all__ = ["create_pipedrive_app"]

ERROR_INFO = "Please check developers.pipedrive.com for more information about Pipedrive API."
_DATE = re.compile(r"\d{4}-\d\d-\d\d")
_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

ACTIVITY_FIELDS = {
    "subject",
    "type",
    "owner_id",
    "deal_id",
    "lead_id",
    "person_id",
    "org_id",
    "project_id",
    "due_date",
    "due_time",
    "duration",
    "busy",
    "done",
    "location",
    "participants",
    "attendees",
    "public_description",
    "priority",
    "note",
}
PERSON_CREATE_FIELDS = {
    "name",
    "owner_id",
    "org_id",
    "email",
    "phone",
    "visible_to",
    "marketing_status",
    "add_time",
    "label",
    "label_ids",
}


class Refused(Exception):
    """A request Pipedrive would answer 400 (or `status`) to."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


def _error(message: str, status: int, headers: Mapping[str, str] | None = None) -> JSONResponse:
    body = {
        "success": False,
        "error": message,
        "error_info": ERROR_INFO,
        "data": None,
        "additional_data": None,
    }
    if status == 401:
        body["errorCode"] = 401
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class _Api:
    """The handlers, over one `PipedriveState`."""

    def __init__(self, state: PipedriveState) -> None:
        self.state = state
        self._later: set[asyncio.Future[Any]] = set()  # slow creates still running

    # -- request checks -----------------------------------------------------------------------
    @staticmethod
    def query(
        request: Request, allowed: AbstractSet[str], required: AbstractSet[str] = frozenset()
    ) -> dict[str, str]:
        keys = list(request.query_params.keys())
        unknown = sorted(set(keys) - allowed)
        if unknown:
            raise Refused(f"unknown query parameter(s): {', '.join(unknown)}")
        if len(keys) != len(set(keys)):
            raise Refused("repeated query parameter")
        missing = sorted(required - set(keys))
        if missing:
            raise Refused(f"missing query parameter(s): {', '.join(missing)}")
        return dict(request.query_params)

    @staticmethod
    async def json_body(
        request: Request, allowed: AbstractSet[str], *, required: AbstractSet[str] = frozenset()
    ) -> dict[str, Any]:
        if not request.headers.get("content-type", "").startswith("application/json"):
            raise Refused("the body must be JSON")
        try:
            body = json.loads(await request.body())
        except ValueError:
            raise Refused("the body is not valid JSON") from None
        if not isinstance(body, dict):
            raise Refused("the body must be a JSON object")
        unknown = sorted(set(body) - allowed)
        if unknown:
            raise Refused(f"unknown field(s): {', '.join(unknown)}")
        missing = sorted(required - set(body))
        if missing:
            raise Refused(f"missing field(s): {', '.join(missing)}")
        return body

    @staticmethod
    async def form_body(
        request: Request, allowed: AbstractSet[str], required: AbstractSet[str]
    ) -> dict[str, str]:
        if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            raise Refused("the body must be form-encoded")
        pairs = parse_qsl((await request.body()).decode(), keep_blank_values=True)
        form = dict(pairs)
        if len(form) != len(pairs):
            raise Refused("repeated form field")
        unknown = sorted(set(form) - allowed)
        if unknown:
            raise Refused(f"unknown form field(s): {', '.join(unknown)}")
        missing = sorted(name for name in required if not form.get(name))
        if missing:
            raise Refused(f"missing form field(s): {', '.join(missing)}")
        return form

    def bearer_user(self, request: Request) -> int:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        user_id = self.state.user_of(token.strip()) if scheme.lower() == "bearer" else None
        if user_id is None:
            raise Refused("unauthorized access", 401)
        return user_id

    def app_client(self, request: Request) -> None:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        try:
            pair = (
                base64.b64decode(encoded.strip(), validate=True).decode() if scheme.lower() == "basic" else ""
            )
        except (binascii.Error, UnicodeDecodeError):
            pair = ""
        if pair != f"{self.state.client_id}:{self.state.client_secret}":
            raise Refused("invalid_client", 401)

    @staticmethod
    def item_id(request: Request) -> int:
        raw = request.path_params["id"]
        if not raw.isdigit():
            raise Refused(f"invalid id {raw!r}")
        return int(raw)

    # -- users --------------------------------------------------------------------------------
    async def me(self, request: Request) -> Any:
        self.query(request, set())
        with self.state.lock:
            return {"success": True, "data": dict(self.state.users[self.bearer_user(request)])}

    async def users(self, request: Request) -> Any:
        self.bearer_user(request)
        self.query(request, set())
        with self.state.lock:
            return {"success": True, "data": [dict(user) for user in self.state.users.values()]}

    # -- persons ------------------------------------------------------------------------------
    def _search_item(self, person: Record) -> Record:
        organization = self.state.organizations.get(person.get("org_id") or -1)
        return {
            "result_score": 1.0,
            "item": {
                "id": person["id"],
                "type": "person",
                "name": person["name"],
                "phones": [phone["value"] for phone in person["phones"]],
                "emails": [email["value"] for email in person["emails"]],
                "visible_to": person["visible_to"],
                "owner": {"id": person["owner_id"]},
                "organization": (
                    {
                        "id": organization["id"],
                        "name": organization["name"],
                        "address": organization["address"],
                    }
                    if organization
                    else None
                ),
                "custom_fields": [],
                "notes": [],
            },
        }

    async def search_persons(self, request: Request) -> Any:
        self.bearer_user(request)
        query = self.query(
            request,
            {"term", "fields", "exact_match", "organization_id", "include_fields", "limit", "cursor"},
            {"term"},
        )
        term, exact = query["term"], query.get("exact_match") == "true"
        if len(term) < (1 if exact else 2):
            raise Refused("term must be at least 2 characters long")
        fields = set((query.get("fields") or "custom_fields,email,notes,phone,name").split(","))
        if not fields <= {"custom_fields", "email", "notes", "phone", "name"}:
            raise Refused(f"invalid fields {query['fields']!r}")

        def matches(person: Record) -> bool:
            found = False
            if "name" in fields:
                name = person["name"].lower()
                found = name == term.lower() if exact else term.lower() in name
            if "phone" in fields and _digits(term):
                digits = [_digits(phone["value"]) for phone in person["phones"]]
                wanted = _digits(term)
                found = found or any(wanted == d if exact else wanted in d for d in digits)
            return found

        with self.state.lock:
            items = [self._search_item(person) for person in self.state.persons.values() if matches(person)]
        return {"success": True, "data": {"items": items}, "additional_data": {"next_cursor": None}}

    async def person(self, request: Request) -> Any:
        self.bearer_user(request)
        self.query(request, {"include_fields", "custom_fields"})
        with self.state.lock:
            person = self.state.persons.get(self.item_id(request))
            if person is None:
                raise Refused("Person not found", 404)
            return {"success": True, "data": dict(person)}

    async def create_person(self, request: Request) -> Any:
        owner = self.bearer_user(request)
        self.query(request, set())
        body = await self.json_body(request, PERSON_CREATE_FIELDS, required={"name"})
        if not isinstance(body["name"], str) or not body["name"].strip():
            raise Refused("name must be a non-empty string")
        phones = body.get("phone", [])
        if isinstance(phones, str):
            phones = [phones] if phones else []
        if not isinstance(phones, list) or not all(isinstance(phone, str | dict) for phone in phones):
            raise Refused("phone must be a string or a list")
        numbers = [phone if isinstance(phone, str) else str(phone.get("value")) for phone in phones]
        person = self.state.add_person(body["name"], numbers, org_id=body.get("org_id"), owner_id=owner)
        v1 = {
            "id": person["id"],
            "name": person["name"],
            "first_name": person["first_name"],
            "last_name": person["last_name"],
            "phone": [
                {"label": "work", "value": number, "primary": i == 0} for i, number in enumerate(numbers)
            ],
            "email": [{"label": "", "value": "", "primary": True}],
            "org_id": person["org_id"],
            "owner_id": {"id": owner},
            "add_time": person["add_time"].replace("T", " ").rstrip("Z"),
            "update_time": person["update_time"].replace("T", " ").rstrip("Z"),
            "active_flag": True,
        }
        return JSONResponse({"success": True, "data": v1, "related_objects": {}}, status_code=201)

    # -- deals and leads ----------------------------------------------------------------------
    async def deals(self, request: Request) -> Any:
        self.bearer_user(request)
        query = self.query(
            request,
            {
                "filter_id",
                "ids",
                "owner_id",
                "person_id",
                "org_id",
                "pipeline_id",
                "stage_id",
                "status",
                "updated_since",
                "updated_until",
                "sort_by",
                "sort_direction",
                "include_fields",
                "custom_fields",
                "limit",
                "cursor",
            },
        )
        statuses = set((query.get("status") or "open,won,lost").split(","))
        if not statuses <= {"open", "won", "lost", "deleted"}:
            raise Refused(f"invalid status {query['status']!r}")
        person = query.get("person_id")
        if person is not None and not person.isdigit():
            raise Refused("person_id must be an integer")
        with self.state.lock:
            found = [
                dict(deal)
                for deal in self.state.deals.values()
                if deal["status"] in statuses and (person is None or deal["person_id"] == int(person))
            ]
        return {"success": True, "data": found, "additional_data": {"next_cursor": None}}

    async def leads(self, request: Request) -> Any:
        self.bearer_user(request)
        query = self.query(
            request,
            {
                "limit",
                "start",
                "archived_status",
                "owner_id",
                "person_id",
                "organization_id",
                "filter_id",
                "sort",
            },
        )
        archived = query.get("archived_status", "all")
        if archived not in {"archived", "not_archived", "all"}:
            raise Refused(f"invalid archived_status {archived!r}")
        person = query.get("person_id")
        if person is not None and not person.isdigit():
            raise Refused("person_id must be an integer")
        with self.state.lock:
            found = [
                dict(lead)
                for lead in self.state.leads.values()
                if (person is None or lead["person_id"] == int(person))
                and (archived == "all" or lead["is_archived"] == (archived == "archived"))
            ]
        pagination = {"start": 0, "limit": 100, "more_items_in_collection": False}
        return {"success": True, "data": found, "additional_data": {"pagination": pagination}}

    # -- activities ---------------------------------------------------------------------------
    async def activity_types(self, request: Request) -> Any:
        self.bearer_user(request)
        self.query(request, set())
        with self.state.lock:
            return {"success": True, "data": [dict(kind) for kind in self.state.activity_types]}

    def _check_activity(self, body: Mapping[str, Any], merged: Mapping[str, Any]) -> None:
        """Each field of `body` as Pipedrive validates it; `merged` is the activity after the change."""
        state = self.state
        checks: dict[str, Callable[[Any], bool]] = {
            "subject": lambda v: isinstance(v, str),
            "type": lambda v: (
                isinstance(v, str)
                and any(t["key_string"] == v and t["active_flag"] for t in state.activity_types)
            ),
            "owner_id": lambda v: _is_int(v) and v in state.users,
            "deal_id": lambda v: v is None or (_is_int(v) and v in state.deals),
            "lead_id": lambda v: (
                v is None or (isinstance(v, str) and bool(_UUID.fullmatch(v)) and v in state.leads)
            ),
            "person_id": lambda v: v is None or (_is_int(v) and v in state.persons),
            "org_id": lambda v: v is None or (_is_int(v) and v in state.organizations),
            "due_date": lambda v: isinstance(v, str) and bool(_DATE.fullmatch(v)),
            "due_time": lambda v: isinstance(v, str) and bool(_TIME.fullmatch(v)),
            "duration": lambda v: isinstance(v, str) and bool(_TIME.fullmatch(v)),
            "done": lambda v: isinstance(v, bool),
            "busy": lambda v: isinstance(v, bool),
            "note": lambda v: isinstance(v, str),
            "participants": lambda v: (
                isinstance(v, list)
                and all(
                    isinstance(p, dict)
                    and set(p) <= {"person_id", "primary"}
                    and _is_int(p.get("person_id"))
                    and p["person_id"] in state.persons
                    and isinstance(p.get("primary", False), bool)
                    for p in v
                )
            ),
        }
        for name, value in body.items():
            check = checks.get(name)
            if check is not None and not check(value):
                raise Refused(f"invalid value for {name}: {value!r}")
        if merged.get("deal_id") is not None and merged.get("lead_id") is not None:
            raise Refused("an activity cannot belong to a deal and a lead")

    def _stored_activity(self, body: Mapping[str, Any], owner: int) -> Record:
        moment = _stamp(self.state.now())
        participants = body.get("participants") or []
        primary = next((p["person_id"] for p in participants if p.get("primary")), None)
        activity: Record = {
            "id": self.state.next_id(),
            "subject": "",
            "type": "call",
            "owner_id": owner,
            "creator_user_id": owner,
            "is_deleted": False,
            "add_time": moment,
            "update_time": moment,
            "deal_id": None,
            "lead_id": None,
            "person_id": primary,
            "org_id": None,
            "project_id": None,
            "due_date": None,
            "due_time": None,
            "duration": None,
            "busy": False,
            "done": False,
            "marked_as_done_time": None,
            "location": None,
            "participants": participants,
            "attendees": None,
            "public_description": None,
            "priority": None,
            "note": None,
        }
        activity.update(body)
        if body.get("done"):
            activity["marked_as_done_time"] = moment
        return activity

    async def create_activity(self, request: Request) -> Any:
        owner = self.bearer_user(request)
        self.query(request, set())
        body = await self.json_body(request, ACTIVITY_FIELDS, required={"subject", "type"})
        with self.state.lock:
            slow = self.state.slow_creates > 0
            self.state.slow_creates -= 1 if slow else 0
        if slow:  # its own task: the activity is created even if the client disconnects meanwhile
            pending = asyncio.ensure_future(self._create_later(body, owner, self.state.slow_create_seconds))
            self._later.add(pending)
            pending.add_done_callback(self._later.discard)
            return await asyncio.shield(pending)
        return self._create(body, owner)

    async def _create_later(self, body: Mapping[str, Any], owner: int, seconds: float) -> Any:
        await asyncio.sleep(seconds)
        return self._create(body, owner)

    def _create(self, body: Mapping[str, Any], owner: int) -> Any:
        with self.state.lock:
            self._check_activity(body, body)
            activity = self._stored_activity(body, owner)
            self.state.activities[activity["id"]] = activity
            return {"success": True, "data": dict(activity)}

    async def list_activities(self, request: Request) -> Any:
        """`GET /api/v2/activities` with the filters the connector uses (one page, newest first)."""
        self.bearer_user(request)
        query = self.query(request, {"person_id", "owner_id", "sort_by", "sort_direction", "limit", "cursor"})
        if query.get("sort_by", "id") not in {"id", "update_time", "add_time"}:
            raise Refused("invalid sort_by")
        if query.get("sort_direction", "asc") not in {"asc", "desc"}:
            raise Refused("invalid sort_direction")
        limit = query.get("limit", "100")
        if not limit.isdigit() or not 1 <= int(limit) <= 500:
            raise Refused("invalid limit")
        for name in ("person_id", "owner_id"):
            if name in query and not query[name].isdigit():
                raise Refused(f"invalid {name}")
        with self.state.lock:
            found = [
                dict(activity)
                for activity in self.state.activities.values()
                if not activity["is_deleted"]
                and ("person_id" not in query or activity.get("person_id") == int(query["person_id"]))
                and ("owner_id" not in query or activity.get("owner_id") == int(query["owner_id"]))
            ]
        key = query.get("sort_by", "id")
        found.sort(key=lambda activity: (str(activity.get(key)), activity["id"]))
        if query.get("sort_direction") == "desc":
            found.reverse()
        return {"success": True, "data": found[: int(limit)], "additional_data": {"next_cursor": None}}

    async def activity(self, request: Request) -> Any:
        self.bearer_user(request)
        self.query(request, {"include_fields"})
        with self.state.lock:
            activity = self.state.activities.get(self.item_id(request))
            if activity is None or activity["is_deleted"]:
                raise Refused("Activity not found", 404)
            return {"success": True, "data": dict(activity)}

    async def update_activity(self, request: Request) -> Any:
        self.bearer_user(request)
        self.query(request, set())
        body = await self.json_body(request, ACTIVITY_FIELDS)
        if not body:
            raise Refused("nothing to update")
        activity_id = self.item_id(request)
        with self.state.lock:
            slow = self.state.slow_updates > 0
            self.state.slow_updates -= 1 if slow else 0
        if slow:  # as a slow create: applied even if the client disconnects meanwhile
            pending = asyncio.ensure_future(
                self._update_later(activity_id, body, self.state.slow_update_seconds)
            )
            self._later.add(pending)
            pending.add_done_callback(self._later.discard)
            return await asyncio.shield(pending)
        return self._update(activity_id, body)

    async def _update_later(self, activity_id: int, body: Mapping[str, Any], seconds: float) -> Any:
        await asyncio.sleep(seconds)
        return self._update(activity_id, body)

    def _update(self, activity_id: int, body: Mapping[str, Any]) -> Any:
        with self.state.lock:
            activity = self.state.activities.get(activity_id)
            if activity is None or activity["is_deleted"]:
                raise Refused("Activity not found", 404)
            self._check_activity(body, {**activity, **body})
            activity.update(body)
            activity["update_time"] = _stamp(self.state.now())
            return {"success": True, "data": dict(activity)}

    # -- OAuth --------------------------------------------------------------------------------
    async def token(self, request: Request) -> Any:
        self.app_client(request)
        self.query(request, set())
        grant = await self.form_body(
            request, {"grant_type", "code", "redirect_uri", "refresh_token"}, {"grant_type"}
        )
        kind = grant["grant_type"]
        if kind == "authorization_code":
            if set(grant) != {"grant_type", "code", "redirect_uri"}:
                raise Refused("authorization_code needs exactly code and redirect_uri")
            if grant["redirect_uri"] != self.state.redirect_uri:
                return self._oauth_error("invalid_grant", "redirect_uri does not match")
            with self.state.lock:
                user_id = self.state.codes.pop(grant["code"], None)
            if user_id is None:
                return self._oauth_error("invalid_grant", "Invalid authorization code")
            access, refresh = self.state.issue_tokens(user_id)
        elif kind == "refresh_token":
            if set(grant) != {"grant_type", "refresh_token"}:
                raise Refused("refresh_token needs exactly refresh_token")
            with self.state.lock:
                stored = self.state.refresh_tokens.get(grant["refresh_token"])
                if stored is None or stored.revoked:
                    return self._oauth_error("invalid_grant", "Invalid refresh token")
                access, refresh = self.state.issue_tokens(stored.user_id, grant["refresh_token"])
        else:
            raise Refused(f"unsupported grant_type {kind!r}")
        return {
            "access_token": access,
            "token_type": "Bearer",
            "refresh_token": refresh,
            "scope": "base,activities:full,contacts:full,deals:full,leads:full,users:read",
            "expires_in": int(self.state.access_token_lifetime),
            "api_domain": f"https://{self.state.api_host or 'localhost'}",
        }

    @staticmethod
    def _oauth_error(code: str, description: str) -> JSONResponse:
        return JSONResponse(
            {"success": False, "error": code, "error_description": description}, status_code=400
        )

    async def revoke(self, request: Request) -> Any:
        self.app_client(request)
        self.query(request, set())
        form = await self.form_body(request, {"token", "token_type_hint"}, {"token"})
        if form.get("token_type_hint", "refresh_token") not in {"refresh_token", "access_token"}:
            raise Refused("invalid token_type_hint")
        self.state.revoke(form["token"])
        return Response(status_code=200)


Handler = Callable[[Request], Awaitable[Any]]


def create_pipedrive_app(state: PipedriveState) -> Starlette:
    """The fake's ASGI app; serve it with `FakeCrmServer` (see `FakePipedrive`)."""
    api = _Api(state)

    def endpoint(
        handlers: Mapping[str, Handler], *, oauth: bool = False
    ) -> Callable[[Request], Awaitable[Response]]:
        """One path: its handler per method, the host check, latency, rate limit and error answers."""

        async def answer(request: Request) -> Response:
            headers: dict[str, str] = {}
            with state.lock:
                state.in_flight += 1
                state.max_in_flight = max(state.max_in_flight, state.in_flight)
            try:
                path = request.url.path
                delay = next((s for prefix, s in state.latency.items() if path.startswith(prefix)), 0.0)
                if delay:
                    await asyncio.sleep(delay)
                handler = handlers.get(request.method)
                if handler is None:
                    raise Refused(f"method {request.method} is not supported here")
                host, expected = (
                    request.headers.get("host", ""),
                    state.oauth_host if oauth else state.api_host,
                )
                if expected is not None and host != expected:
                    raise Refused(f"called on host {host!r}, expected {expected!r}")
                if not oauth:
                    allowed, headers = state.spend_request()
                    if not allowed:
                        return _error("Request over limit", 429, headers)
                result = await handler(request)
                response = result if isinstance(result, Response) else JSONResponse(result)
                for name, value in headers.items():
                    response.headers[name] = value
                return response
            except Refused as refused:
                if refused.status == 400:
                    state.reject(request.method, request.url.path, refused.reason)
                return _error(refused.reason, refused.status, headers)
            finally:
                with state.lock:
                    state.in_flight -= 1

        return answer

    async def unknown(request: Request) -> Response:
        state.reject(request.method, request.url.path, "no such endpoint")
        return _error("Unknown method .", 400)

    every = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    paths: dict[str, Mapping[str, Handler]] = {
        "/v1/users/me": {"GET": api.me},
        "/v1/users": {"GET": api.users},
        "/api/v1/users": {"GET": api.users},
        "/api/v2/persons/search": {"GET": api.search_persons},
        "/api/v2/persons/{id}": {"GET": api.person},
        "/v1/persons": {"POST": api.create_person},
        "/api/v2/deals": {"GET": api.deals},
        "/v1/leads": {"GET": api.leads},
        "/v1/activityTypes": {"GET": api.activity_types},
        "/api/v2/activities": {"POST": api.create_activity, "GET": api.list_activities},
        "/api/v2/activities/{id}": {"GET": api.activity, "PATCH": api.update_activity},
    }
    routes = [Route(path, endpoint(handlers), methods=every) for path, handlers in paths.items()]
    routes += [
        Route("/oauth/token", endpoint({"POST": api.token}, oauth=True), methods=every),
        Route("/oauth/revoke", endpoint({"POST": api.revoke}, oauth=True), methods=every),
        Route("/{path:path}", unknown, methods=every),
    ]
    app = Starlette(routes=routes)
    app.state.pipedrive = state
    return app
