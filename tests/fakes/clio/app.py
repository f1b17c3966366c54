"""Fake Clio's HTTP API: every endpoint the connector uses, strict about what it accepts.

Answers use Clio's envelope (`{"data": ...}`, listings with `meta.paging.next`), honour `fields=`
(top-level names; `matter{...}` and `attendees{...}` select the nested record), and carry
`x-ratelimit-*` headers. A request Clio would refuse (unknown path, method, query parameter or body
field, a value of the wrong type, a matter or contact that does not exist) is answered 400 or 422
*and* recorded in `state.rejections`, so a test can insist that the connector never sent one.
Bearer tokens must be issued, unexpired and not deauthorized (else 401).

| Endpoint | Clio API |
|---|---|
| `POST /oauth/token`, `POST /oauth/deauthorize` | OAuth (any region's app) |
| `GET /api/v4/users/who_am_i.json`, `GET /api/v4/users.json` | users |
| `GET /api/v4/contacts.json`, `GET /api/v4/contacts/{id}.json`, `POST /api/v4/contacts.json` | contacts |
| `GET /api/v4/matters.json`, `GET /api/v4/relationships.json` (paged) | matters |
| `POST`/`GET /api/v4/communications.json`, `GET`/`PATCH .../communications/{id}.json` | communications |
| `POST /api/v4/activities.json`, `GET /api/v4/activities`, `PATCH .../activities/{id}.json` | time entries |
| `POST /api/v4/documents`, `PUT /upload/{uuid}`, `PATCH /api/v4/documents/{id}` | documents |
| `GET /api/v4/calendars.json`, calendar entries (`GET`, `POST`, `PATCH`, `DELETE`) | calendar |
| `GET /media/{name}` | RingCentral's media server (a fax PDF), for the upload |
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from collections.abc import Set as AbstractSet
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.clio.state import REGION_CLIENTS, ClioState, Record, stamp

__all__ = ["create_clio_app"]

_ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
_DATE = re.compile(r"^\d{4}-\d\d-\d\d$")
PUT_HEADER = ("x-amz-server-side-encryption", "AES256")


class Refused(Exception):
    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _selected(fields: str | None) -> dict[str, str | None]:
    """`id,matter{id,status}` -> {"id": None, "matter": "id,status"}."""
    chosen: dict[str, str | None] = {}
    depth, current, nested = 0, "", ""
    for char in (fields or "") + ",":
        if char == "{":
            depth += 1
            if depth == 1:
                continue
        elif char == "}":
            depth -= 1
            if depth == 0:
                continue
        if depth == 0 and char == ",":
            if current:
                chosen[current] = nested or None
            current, nested = "", ""
        elif depth == 0:
            current += char
        else:
            nested += char
    return chosen


def select(record: Mapping[str, Any], fields: str | None) -> Record:
    chosen = _selected(fields)
    if not chosen:
        chosen = {"id": None, "etag": None}
    out: Record = {}
    for name, nested in chosen.items():
        value = record.get(name)
        if nested and isinstance(value, dict):
            value = select(value, nested)
        elif nested and isinstance(value, list):
            value = [select(item, nested) if isinstance(item, dict) else item for item in value]
        out[name] = value
    return out


class _Api:
    def __init__(self, state: ClioState) -> None:
        self.state = state

    # -- checks ---------------------------------------------------------------------------------
    @staticmethod
    def query(
        request: Request, allowed: AbstractSet[str], required: AbstractSet[str] = frozenset()
    ) -> dict[str, str]:
        keys = list(request.query_params.keys())
        unknown = sorted(set(keys) - allowed)
        if unknown:
            raise Refused(f"unknown query parameter(s): {', '.join(unknown)}")
        missing = sorted(required - set(keys))
        if missing:
            raise Refused(f"missing query parameter(s): {', '.join(missing)}")
        return dict(request.query_params)

    @staticmethod
    async def data(
        request: Request, allowed: AbstractSet[str], required: AbstractSet[str] = frozenset()
    ) -> Record:
        if not request.headers.get("content-type", "").startswith("application/json"):
            raise Refused("the body must be JSON")
        try:
            body = json.loads(await request.body())
        except ValueError:
            raise Refused("the body is not valid JSON") from None
        if not isinstance(body, dict) or set(body) != {"data"} or not isinstance(body["data"], dict):
            raise Refused('the body must be {"data": {...}}')
        data: Record = body["data"]
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise Refused(f"unknown field(s): {', '.join(unknown)}", 422)
        missing = sorted(required - set(data))
        if missing:
            raise Refused(f"missing field(s): {', '.join(missing)}", 422)
        return data

    def bearer(self, request: Request) -> int:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        with self.state.lock:
            stored = self.state.access_tokens.get(token.strip()) if scheme == "Bearer" else None
            if stored is None or stored.revoked or stored.expires_at <= self.state.now():
                raise Refused("invalid_token", 401)
            return stored.user_id

    def record_id(self, request: Request, table: Mapping[int, Record], what: str) -> int:
        raw = str(request.path_params["id"])
        if not raw.isdigit():
            raise Refused(f"invalid {what} id {raw!r}")
        if int(raw) not in table:
            raise Refused(f"{what} {raw} not found", 404)
        return int(raw)

    def page(self, request: Request, items: list[Record], fields: str | None) -> Record:
        offset = int(request.query_params.get("page_token") or 0)
        size = self.state.page_size
        body: Record = {"data": [select(item, fields) for item in items[offset : offset + size]]}
        paging: Record = {}
        if offset + size < len(items):
            params = {k: v for k, v in request.query_params.items() if k != "page_token"}
            params["page_token"] = str(offset + size)
            paging["next"] = (
                f"{request.url.scheme}://{request.url.netloc}{request.url.path}?{urlencode(params)}"
            )
        body["meta"] = {"paging": paging, "records": len(items)}
        return body

    def party(self, value: Any, where: str) -> None:
        if not isinstance(value, list) or len(value) != 1 or not isinstance(value[0], dict):
            raise Refused(f"{where} must be a list of one party", 422)
        party = value[0]
        if set(party) != {"id", "type"} or party["type"] not in ("User", "Contact"):
            raise Refused(f"{where}: a party is {{id, type: User|Contact}}", 422)
        table: Mapping[Any, Record] = self.state.users if party["type"] == "User" else self.state.contacts
        if int(str(party["id"])) not in table:
            raise Refused(f"{where}: {party['type']} {party['id']} not found", 422)

    def matter_ref(self, value: Any) -> None:
        if (
            not isinstance(value, dict)
            or set(value) != {"id"}
            or int(str(value["id"])) not in self.state.matters
        ):
            raise Refused(f"matter {value!r} not found", 422)

    # -- OAuth ----------------------------------------------------------------------------------
    async def token(self, request: Request) -> Any:
        self.query(request, set())
        form = dict(parse_qsl((await request.body()).decode()))
        client_id, client_secret = form.pop("client_id", None), form.pop("client_secret", None)
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "basic":
            try:
                client_id, _, client_secret = base64.b64decode(encoded, validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                raise Refused("invalid_client", 401) from None
        region = next(
            (key for key, pair in REGION_CLIENTS.items() if pair == (client_id, client_secret)), None
        )
        if region is None:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        kind = form.get("grant_type")
        with self.state.lock:
            self.state.token_requests.append({"grant_type": kind, "region": region})
            if kind == "authorization_code":
                if set(form) != {"grant_type", "code", "redirect_uri"}:
                    raise Refused("authorization_code needs code and redirect_uri")
                if form["redirect_uri"] != self.state.redirect_uri:
                    return JSONResponse({"error": "invalid_grant"}, status_code=400)
                granted = self.state.codes.pop(form["code"], None)
            elif kind == "refresh_token":
                if set(form) != {"grant_type", "refresh_token"}:
                    raise Refused("refresh_token needs refresh_token")
                granted = self.state.refresh_tokens.get(form["refresh_token"])
            else:
                raise Refused(f"unsupported grant_type {kind!r}")
        if granted is None or granted[1] != region:
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        access, refresh = self.state.issue_tokens(granted[0], region)
        return {
            "access_token": access,
            "token_type": "bearer",
            "refresh_token": refresh,
            "expires_in": int(self.state.access_token_lifetime),
        }

    async def deauthorize(self, request: Request) -> Any:
        self.bearer(request)
        form = dict(parse_qsl((await request.body()).decode()))
        if set(form) != {"token"}:
            raise Refused("deauthorize takes exactly token")
        with self.state.lock:
            stored = self.state.access_tokens.get(form["token"])
            if stored is None:
                raise Refused("unknown token")
            stored.revoked = True
            self.state.deauthorized.append(form["token"])
        return Response(status_code=200)

    # -- users ----------------------------------------------------------------------------------
    async def who_am_i(self, request: Request) -> Any:
        params = self.query(request, {"fields"})
        with self.state.lock:
            return {"data": select(self.state.users[self.bearer(request)], params.get("fields"))}

    async def users(self, request: Request) -> Any:
        params = self.query(request, {"enabled", "order", "fields"})
        if params.get("order") not in (None, "name(asc)"):
            raise Refused("unsupported order")
        with self.state.lock:
            listed = sorted(self.state.users.values(), key=lambda user: str(user["name"]))
        return self.page(request, listed, params.get("fields"))

    # -- contacts and matters -------------------------------------------------------------------
    async def contacts(self, request: Request) -> Any:
        params = self.query(request, {"query", "fields", "page_token"}, {"query"})
        term = params["query"].lower()
        with self.state.lock:
            found = [
                contact
                for contact in self.state.contacts.values()
                if term in str(contact["name"]).lower()
                or any(term in str(phone["number"]).lower() for phone in contact["phone_numbers"])
                or term in str(contact.get("primary_email_address") or "").lower()
            ]
        return self.page(request, found, params.get("fields"))

    async def contact(self, request: Request) -> Any:
        params = self.query(request, {"fields"})
        contact_id = self.record_id(request, self.state.contacts, "contact")
        return {"data": select(self.state.contacts[contact_id], params.get("fields"))}

    async def create_contact(self, request: Request) -> Any:
        self.query(request, {"fields"})
        data = await self.data(
            request, {"name", "type", "phone_numbers", "email_addresses"}, {"name", "type"}
        )
        if not isinstance(data["name"], str) or not data["name"].strip():
            raise Refused("name can't be blank", 422)
        if data["type"] not in ("Person", "Company"):
            raise Refused("type must be Person or Company", 422)
        phones = data.get("phone_numbers", [])
        for phone in phones:
            if (
                not isinstance(phone, dict)
                or set(phone) - {"name", "number", "default_number"}
                or not phone.get("number")
            ):
                raise Refused("phone_numbers items are {name, number, default_number}", 422)
        contact = self.state.add_contact(
            data["name"], *(phone["number"] for phone in phones), kind=data["type"]
        )
        return JSONResponse({"data": select(contact, "id,name,type")}, status_code=201)

    async def matters(self, request: Request) -> Any:
        params = self.query(request, {"client_id", "fields", "page_token"}, {"client_id"})
        with self.state.lock:
            found = [m for m in self.state.matters.values() if str(m["client_id"]) == params["client_id"]]
        return self.page(request, found, params.get("fields"))

    async def relationships(self, request: Request) -> Any:
        params = self.query(request, {"contact_id", "fields", "page_token"}, {"contact_id"})
        with self.state.lock:
            found = [
                {"id": rel["id"], "matter": self.state.matters[rel["matter_id"]]}
                for rel in self.state.relationships
                if str(rel["contact_id"]) == params["contact_id"]
            ]
        return self.page(request, found, params.get("fields"))

    # -- communications and time entries --------------------------------------------------------
    COMMUNICATION_FIELDS = frozenset(
        {
            "subject",
            "body",
            "type",
            "received_at",
            "senders",
            "receivers",
            "notification_event_subscribers",
            "matter",
        }
    )

    def check_communication(self, data: Record, *, creating: bool) -> None:
        if creating and data.get("type") != "PhoneCommunication":
            raise Refused("type must be PhoneCommunication", 422)
        for name in ("subject", "body"):
            if name in data and not isinstance(data[name], str):
                raise Refused(f"{name} must be text", 422)
        if "received_at" in data and not _ISO.match(str(data["received_at"])):
            raise Refused("received_at must be ISO 8601", 422)
        for side in ("senders", "receivers"):
            if side in data:
                self.party(data[side], side)
        if "matter" in data:
            self.matter_ref(data["matter"])

    async def create_communication(self, request: Request) -> Any:
        self.query(request, {"fields"})
        data = await self.data(
            request, self.COMMUNICATION_FIELDS, {"subject", "body", "type", "senders", "receivers"}
        )
        self.check_communication(data, creating=True)
        record = {"id": self.state.next_id(), **data, "created_at": stamp()}
        with self.state.lock:
            self.state.communications[record["id"]] = record
            slow = self.state.slow_creates > 0
            self.state.slow_creates -= 1 if slow else 0
        if slow:
            await asyncio.sleep(self.state.slow_create_seconds)
        return JSONResponse({"data": select(record, "id")}, status_code=201)

    async def communications(self, request: Request) -> Any:
        """`GET /api/v4/communications.json?contact_id=&received_since=&received_before=`: the
        contact's communications (as sender or receiver), received within the bounds (inclusive)."""
        params = self.query(
            request,
            {"contact_id", "received_since", "received_before", "type", "fields", "page_token"},
            {"contact_id"},
        )
        bounds = []
        for name in ("received_since", "received_before"):
            value = params.get(name)
            if value is not None and not _ISO.match(value):
                raise Refused(f"{name} must be ISO 8601")
            bounds.append(_instant(value) if value is not None else None)
        since, before = bounds
        with self.state.lock:
            found = []
            for record in self.state.communications.values():
                parties = [*record.get("senders", []), *record.get("receivers", [])]
                if not any(p["type"] == "Contact" and str(p["id"]) == params["contact_id"] for p in parties):
                    continue
                if "type" in params and record.get("type") != params["type"]:
                    continue
                received = _instant(record.get("received_at") or record["created_at"])
                if (since is not None and received < since) or (before is not None and received > before):
                    continue
                found.append(record)
        return self.page(request, found, params.get("fields"))

    async def communication(self, request: Request) -> Any:
        params = self.query(request, {"fields"})
        record_id = self.record_id(request, self.state.communications, "communication")
        return {"data": select(self.state.communications[record_id], params.get("fields"))}

    async def update_communication(self, request: Request) -> Any:
        self.query(request, {"fields"})
        record_id = self.record_id(request, self.state.communications, "communication")
        data = await self.data(request, self.COMMUNICATION_FIELDS - {"type"})
        if not data:
            raise Refused("nothing to update", 422)
        self.check_communication(data, creating=False)
        with self.state.lock:
            self.state.communications[record_id].update(data)
            return {"data": select(self.state.communications[record_id], "id")}

    async def create_activity(self, request: Request) -> Any:
        self.query(request, {"fields"})
        data = await self.data(
            request,
            {"type", "quantity", "date", "non_billable", "note", "communication", "matter"},
            {"type", "quantity", "date"},
        )
        if data["type"] != "TimeEntry":
            raise Refused("type must be TimeEntry", 422)
        if (
            not isinstance(data["quantity"], int | float)
            or isinstance(data["quantity"], bool)
            or data["quantity"] < 0
        ):
            raise Refused("quantity must be a number of seconds", 422)
        if not (_ISO.match(str(data["date"])) or _DATE.match(str(data["date"]))):
            raise Refused("date must be a date", 422)
        if "non_billable" in data and not isinstance(data["non_billable"], bool):
            raise Refused("non_billable must be a boolean", 422)
        communication = data.get("communication")
        if communication is not None and (
            not isinstance(communication, dict)
            or int(str(communication.get("id"))) not in self.state.communications
        ):
            raise Refused("communication not found", 422)
        if "matter" in data:
            self.matter_ref(data["matter"])
        record = {"id": self.state.next_id(), **data}
        with self.state.lock:
            self.state.activities[record["id"]] = record
        return JSONResponse({"data": select(record, "id")}, status_code=201)

    async def time_entries(self, request: Request) -> Any:
        params = self.query(request, {"communication_id", "fields"}, {"communication_id"})
        with self.state.lock:
            found = [
                entry
                for entry in self.state.activities.values()
                if str((entry.get("communication") or {}).get("id")) == params["communication_id"]
            ]
        return self.page(request, found, params.get("fields"))

    async def update_activity(self, request: Request) -> Any:
        self.query(request, {"fields"})
        record_id = self.record_id(request, self.state.activities, "activity")
        data = await self.data(request, {"quantity", "note", "date", "non_billable"})
        if "quantity" in data and (
            not isinstance(data["quantity"], int | float) or isinstance(data["quantity"], bool)
        ):
            raise Refused("quantity must be a number", 422)
        with self.state.lock:
            self.state.activities[record_id].update(data)
        return {"data": {"id": record_id}}

    # -- documents ------------------------------------------------------------------------------
    async def create_document(self, request: Request) -> Any:
        params = self.query(request, {"fields"})
        data = await self.data(request, {"name", "parent", "received_at"}, {"name", "parent"})
        parent = data["parent"]
        if (
            not isinstance(parent, dict)
            or set(parent) != {"id", "type"}
            or parent["type"] not in ("Matter", "Contact")
        ):
            raise Refused("parent is {id, type: Matter|Contact}", 422)
        table: Mapping[int, Record] = (
            self.state.matters if parent["type"] == "Matter" else self.state.contacts
        )
        if int(str(parent["id"])) not in table:
            raise Refused("parent not found", 422)
        uuid = self.state.new_document_uuid()
        base = f"{request.url.scheme}://{request.url.netloc}"
        document = {
            "id": self.state.next_id(),
            "name": data["name"],
            "parent": parent,
            "received_at": data.get("received_at"),
            "content": None,
            "latest_document_version": {
                "uuid": uuid,
                "put_url": f"{base}/upload/{uuid}",
                "put_headers": [{"name": PUT_HEADER[0], "value": PUT_HEADER[1]}],
                "fully_uploaded": False,
            },
        }
        with self.state.lock:
            self.state.documents[document["id"]] = document
        return JSONResponse({"data": select(document, params.get("fields"))}, status_code=201)

    async def upload(self, request: Request) -> Any:
        uuid = request.path_params["uuid"]
        if "authorization" in request.headers:
            raise Refused("the upload URL is pre-signed: no Authorization header")
        if request.headers.get(PUT_HEADER[0]) != PUT_HEADER[1]:
            raise Refused("put_headers were not sent", 403)
        with self.state.lock:
            document = next(
                (d for d in self.state.documents.values() if d["latest_document_version"]["uuid"] == uuid),
                None,
            )
            if document is None:
                raise Refused("no such upload", 404)
            document["content"] = await request.body()
        return Response(status_code=200)

    async def complete_document(self, request: Request) -> Any:
        params = self.query(request, {"fields"})
        record_id = self.record_id(request, self.state.documents, "document")
        data = await self.data(request, {"uuid", "fully_uploaded"}, {"uuid", "fully_uploaded"})
        with self.state.lock:
            document = self.state.documents[record_id]
            version = document["latest_document_version"]
            if data["uuid"] != version["uuid"] or data["fully_uploaded"] is not True:
                raise Refused("uuid does not match the version", 422)
            version["fully_uploaded"] = document["content"] is not None
            return {"data": select(document, params.get("fields"))}

    async def media(self, request: Request) -> Any:
        name = request.path_params["name"]
        if "access_token" not in request.query_params:
            raise Refused("RingCentral media needs access_token", 401)
        with self.state.lock:
            content = self.state.media.get(name)
        if content is None:
            raise Refused("no such media", 404)
        return Response(content, media_type="application/pdf")

    # -- calendar -------------------------------------------------------------------------------
    async def calendars(self, request: Request) -> Any:
        params = self.query(request, {"owner", "writeable", "visible", "type", "order", "limit", "fields"})
        with self.state.lock:
            found = [
                calendar
                for calendar in self.state.calendars.values()
                if (params.get("owner") != "true" or calendar["permission"] == "owner")
                and (params.get("writeable") != "true" or calendar["permission"] in ("owner", "editor"))
                and (params.get("type") in (None, calendar["type"]))
            ]
        found.sort(key=lambda calendar: -int(calendar["id"]))
        return {"data": [select(c, params.get("fields")) for c in found[: int(params.get("limit") or 200)]]}

    ENTRY_FIELDS = frozenset(
        {
            "calendar_owner",
            "summary",
            "description",
            "start_at",
            "end_at",
            "send_email_notification",
            "attendees",
        }
    )

    def check_entry(self, data: Record, existing: Record | None) -> list[Record] | None:
        for name in ("start_at", "end_at"):
            if name in data and not _ISO.match(str(data[name])):
                raise Refused(f"{name} must be ISO 8601", 422)
        start = data.get("start_at", existing["start_at"] if existing else None)
        end = data.get("end_at", existing["end_at"] if existing else None)
        if start and end and datetime.fromisoformat(str(end)) < datetime.fromisoformat(str(start)):
            raise Refused("end_at must be after start_at", 422)
        if "attendees" not in data:
            return None
        attendees = list(existing["attendees"]) if existing else []
        for item in data["attendees"]:
            if (
                not isinstance(item, dict)
                or set(item) - {"id", "type", "_destroy"}
                or not _int(item.get("id"))
            ):
                raise Refused("attendees are {id (integer), type, _destroy?}", 422)
            if item["type"] != "Contact" or item["id"] not in self.state.contacts:
                raise Refused(f"attendee {item['id']} not found", 422)
            if item.get("_destroy"):
                attendees = [a for a in attendees if a["id"] != item["id"]]
            elif all(a["id"] != item["id"] for a in attendees):
                contact = self.state.contacts[item["id"]]
                attendees.append({"id": item["id"], "name": contact["name"], "type": "Contact"})
        return attendees

    async def calendar_entries(self, request: Request) -> Any:
        params = self.query(request, {"fields", "page_token"})
        with self.state.lock:
            found = list(self.state.calendar_entries.values())
        return self.page(request, found, params.get("fields"))

    async def calendar_entry(self, request: Request) -> Any:
        params = self.query(request, {"fields"})
        record_id = self.record_id(request, self.state.calendar_entries, "calendar entry")
        return {"data": select(self.state.calendar_entries[record_id], params.get("fields"))}

    async def create_calendar_entry(self, request: Request) -> Any:
        params = self.query(request, {"fields"})
        data = await self.data(
            request, self.ENTRY_FIELDS, {"calendar_owner", "summary", "start_at", "end_at"}
        )
        owner = data["calendar_owner"]
        if not isinstance(owner, dict) or owner.get("id") not in self.state.calendars:
            raise Refused("calendar_owner not found", 422)
        attendees = self.check_entry(data, None) or []
        entry = self.state.add_calendar_entry(
            data["summary"],
            data["start_at"],
            data["end_at"],
            description=data.get("description", ""),
            attendees=attendees,
            calendar_owner_id=owner["id"],
        )
        return JSONResponse({"data": select(entry, params.get("fields"))}, status_code=201)

    async def update_calendar_entry(self, request: Request) -> Any:
        params = self.query(request, {"fields"})
        record_id = self.record_id(request, self.state.calendar_entries, "calendar entry")
        data = await self.data(request, self.ENTRY_FIELDS - {"calendar_owner"} | {"external_properties"})
        with self.state.lock:
            entry = self.state.calendar_entries[record_id]
            attendees = self.check_entry(data, entry)
            entry.update({key: value for key, value in data.items() if key != "attendees"})
            if attendees is not None:
                entry["attendees"] = attendees
            return {"data": select(entry, params.get("fields"))}

    async def delete_calendar_entry(self, request: Request) -> Any:
        self.query(request, set())
        record_id = self.record_id(request, self.state.calendar_entries, "calendar entry")
        with self.state.lock:
            del self.state.calendar_entries[record_id]
        return Response(status_code=204)


def create_clio_app(state: ClioState) -> Starlette:
    api = _Api(state)
    public = {"/oauth/token", "/media/{name}", "/upload/{uuid}"}

    def handle(
        path: str, method: Callable[[Request], Awaitable[Any]]
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                if path not in public and path != "/oauth/deauthorize":
                    api.bearer(request)
                answer = await method(request)
            except Refused as refused:
                if refused.status not in (401, 404):
                    with state.lock:
                        state.rejections.append(f"{request.method} {request.url.path}: {refused.reason}")
                body = {"error": {"type": "InvalidRequest", "message": refused.reason}}
                return JSONResponse(body, status_code=refused.status)
            response = answer if isinstance(answer, Response) else JSONResponse(answer)
            if path.startswith("/api/"):
                with state.lock:
                    state.remaining = max(0, state.remaining - 1)
                    remaining = state.remaining
                response.headers["x-ratelimit-limit"] = str(state.rate_limit)
                response.headers["x-ratelimit-remaining"] = str(remaining)
                response.headers["x-ratelimit-reset"] = "60"
            return response

        return endpoint

    routes = [
        ("/oauth/token", api.token, ["POST"]),
        ("/oauth/deauthorize", api.deauthorize, ["POST"]),
        ("/api/v4/users/who_am_i.json", api.who_am_i, ["GET"]),
        ("/api/v4/users.json", api.users, ["GET"]),
        ("/api/v4/contacts.json", api.contacts, ["GET"]),
        ("/api/v4/contacts.json", api.create_contact, ["POST"]),
        ("/api/v4/contacts/{id}.json", api.contact, ["GET"]),
        ("/api/v4/matters.json", api.matters, ["GET"]),
        ("/api/v4/relationships.json", api.relationships, ["GET"]),
        ("/api/v4/communications.json", api.create_communication, ["POST"]),
        ("/api/v4/communications.json", api.communications, ["GET"]),
        ("/api/v4/communications/{id}.json", api.communication, ["GET"]),
        ("/api/v4/communications/{id}.json", api.update_communication, ["PATCH"]),
        ("/api/v4/activities.json", api.create_activity, ["POST"]),
        ("/api/v4/activities", api.time_entries, ["GET"]),
        ("/api/v4/activities/{id}.json", api.update_activity, ["PATCH"]),
        ("/api/v4/documents", api.create_document, ["POST"]),
        ("/api/v4/documents/{id}", api.complete_document, ["PATCH"]),
        ("/upload/{uuid}", api.upload, ["PUT"]),
        ("/media/{name}", api.media, ["GET"]),
        ("/api/v4/calendars.json", api.calendars, ["GET"]),
        ("/api/v4/calendar_entries.json", api.calendar_entries, ["GET"]),
        ("/api/v4/calendar_entries.json", api.create_calendar_entry, ["POST"]),
        ("/api/v4/calendar_entries/{id}.json", api.calendar_entry, ["GET"]),
        ("/api/v4/calendar_entries/{id}.json", api.update_calendar_entry, ["PATCH"]),
        ("/api/v4/calendar_entries/{id}.json", api.delete_calendar_entry, ["DELETE"]),
    ]

    async def unknown(request: Request) -> Response:
        with state.lock:
            state.rejections.append(f"{request.method} {request.url.path}: no such endpoint")
        return JSONResponse({"error": {"type": "NotFound", "message": "no such endpoint"}}, status_code=404)

    every = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    return Starlette(
        routes=[
            *(Route(path, handle(path, method), methods=verbs) for path, method, verbs in routes),
            Route("/{rest:path}", unknown, methods=every),
        ]
    )
