"""The Clio API v4 calls the connector makes, one method per endpoint, over the shared client.

Why a thin layer of its own: the connector reads like the workflow ("find the contact, then its
matters"), while this module knows Clio's paths, its `fields=` selections, its `{"data": ...}`
envelope and its paging (`meta.paging.next`). Every request goes through `appconnect.crm_http`
with the connector's host policy, so failures arrive typed (`CrmRateLimited` for a 429,
`CrmAuthExpired` for a 401, ...) and propagate to the services, which answer the contract's
messages. A `ClioApi` lives for one operation and remembers the last rate-limit headers Clio sent
(`extra_data_tracking`).

Example::

    api = ClioApi(http, settings, hostname="eu.app.clio.com", auth_header="Bearer ...")
    people = await api.contacts("+14155550100", fields="type,id,name,created_at,updated_at")
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import httpx

from appconnect.crm_http import CrmHttp, HostPolicy, join_url

from .settings import ClioSettings

__all__ = ["APPOINTMENT_FIELDS", "MATTER_FIELDS", "MAX_PAGES", "ClioApi", "Json"]

Json = dict[str, Any]
MATTER_FIELDS = "id,display_number,description,status"
APPOINTMENT_FIELDS = (
    "id,summary,description,start_at,end_at,attendees{id,name,type},external_properties,calendar_owner_id"
)
MAX_PAGES = 20
"""At most this many pages of one listing are read (Clio pages by 200): memory stays bounded."""
AROUND = timedelta(minutes=1)
"""How far from a call's start time a communication that may be its create is looked for."""


def _object(value: Any) -> Json:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Json]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def data_of(envelope: Mapping[str, Any]) -> Json:
    return _object(envelope.get("data"))


def items_of(envelope: Mapping[str, Any]) -> list[Json]:
    return _list(envelope.get("data"))


class ClioApi:
    """The endpoints the connector uses, for one user's region and one operation."""

    def __init__(
        self, http: CrmHttp, settings: ClioSettings, *, hostname: str | None, auth_header: str
    ) -> None:
        self._http = http
        self._settings = settings
        self._policy: HostPolicy = settings.host_policy
        self._root = settings.api_root(hostname)
        self._auth_header = auth_header
        self.rate_limit: dict[str, str | None] | None = None

    def tracking(self) -> dict[str, Any]:
        """`extra_data_tracking`: the reference's keys for Clio's last `x-ratelimit-*` headers."""
        return dict(self.rate_limit) if self.rate_limit is not None else {}

    def _remember(self, response: httpx.Response) -> None:
        headers = response.headers
        found = {
            "ratelimitRemaining": headers.get("x-ratelimit-remaining"),
            "ratelimitAmount": headers.get("x-ratelimit-limit"),
            "ratelimitReset": headers.get("x-ratelimit-reset"),
        }
        if any(found.values()):
            self.rate_limit = found

    async def _send(
        self,
        method: str,
        path_or_url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
    ) -> Json:
        url = path_or_url if "://" in path_or_url else join_url(self._root, path_or_url)
        response = await self._http.request(
            method,
            url,
            policy=self._policy,
            headers={"Authorization": self._auth_header, "Accept": "application/json"},
            params=params,
            json=json,
            data=data,
        )
        self._remember(response)
        try:
            return _object(response.json())
        except ValueError:
            return {}

    # -- users ----------------------------------------------------------------------------------
    async def who_am_i(self, fields: str) -> Json:
        """`GET /api/v4/users/who_am_i.json?fields=`: the connected user."""
        return data_of(await self._send("GET", "/api/v4/users/who_am_i.json", params={"fields": fields}))

    async def users(self) -> list[Json]:
        """`GET /api/v4/users.json?enabled=true&order=name(asc)&fields=id,name,email`."""
        params = {"enabled": "true", "order": "name(asc)", "fields": "id,name,email"}
        return items_of(await self._send("GET", "/api/v4/users.json", params=params))

    # -- contacts and matters -------------------------------------------------------------------
    async def contacts(self, query: str, *, fields: str) -> list[Json]:
        """`GET /api/v4/contacts.json?query=&fields=`: people and companies matching `query`."""
        params = {"query": query, "fields": fields}
        return items_of(await self._send("GET", "/api/v4/contacts.json", params=params))

    async def contact(self, contact_id: str | int, *, fields: str) -> Json:
        """`GET /api/v4/contacts/{id}.json?fields=`."""
        return data_of(
            await self._send("GET", f"/api/v4/contacts/{contact_id}.json", params={"fields": fields})
        )

    async def create_contact(self, body: Mapping[str, Any]) -> Json:
        """`POST /api/v4/contacts.json`."""
        return data_of(await self._send("POST", "/api/v4/contacts.json", json={"data": dict(body)}))

    async def client_matters(self, contact_id: str | int) -> list[Json]:
        """`GET /api/v4/matters.json?client_id=&fields=`: matters the contact is the client of."""
        params = {"client_id": contact_id, "fields": MATTER_FIELDS}
        return items_of(await self._send("GET", "/api/v4/matters.json", params=params))

    async def related_matters(self, contact_id: str | int) -> list[Json]:
        """`GET /api/v4/relationships.json?contact_id=&fields=matter{...}`, every page
        (`meta.paging.next`, at most `MAX_PAGES`): the matters the contact is related to."""
        params = {"contact_id": contact_id, "fields": f"matter{{{MATTER_FIELDS}}}"}
        return await self._every_page("/api/v4/relationships.json", params)

    async def _every_page(self, target: str, params: Mapping[str, Any] | None) -> list[Json]:
        """Every page of a listing (`meta.paging.next`, at most `MAX_PAGES`)."""
        found: list[Json] = []
        for _ in range(MAX_PAGES):
            envelope = await self._send("GET", target, params=params)
            found.extend(items_of(envelope))
            following = _object(_object(envelope.get("meta")).get("paging")).get("next")
            if not isinstance(following, str) or not following:
                break
            target, params = following, None
        return found

    # -- communications and time entries --------------------------------------------------------
    async def create_communication(self, body: Mapping[str, Any]) -> Json:
        """`POST /api/v4/communications.json`."""
        return data_of(await self._send("POST", "/api/v4/communications.json", json={"data": dict(body)}))

    async def phone_communications_around(
        self, contact_id: str | int, received_at: str, *, fields: str
    ) -> list[Json]:
        """`GET /api/v4/communications.json?contact_id=&received_since=&received_before=&type=`,
        every page: the contact's phone communications received within `AROUND` of `received_at`
        (an ISO instant; the window does not rest on whether Clio's bounds are inclusive)."""
        at = datetime.fromisoformat(received_at.replace("Z", "+00:00"))
        params = {
            "contact_id": contact_id,
            "received_since": (at - AROUND).isoformat(),
            "received_before": (at + AROUND).isoformat(),
            "type": "PhoneCommunication",
            "fields": fields,
        }
        return await self._every_page("/api/v4/communications.json", params)

    async def communication(self, communication_id: str, *, fields: str) -> Json:
        """`GET /api/v4/communications/{id}.json?fields=`."""
        path = f"/api/v4/communications/{communication_id}.json"
        return data_of(await self._send("GET", path, params={"fields": fields}))

    async def update_communication(self, communication_id: str, changes: Mapping[str, Any]) -> Json:
        """`PATCH /api/v4/communications/{id}.json` with only the fields to change."""
        path = f"/api/v4/communications/{communication_id}.json"
        return data_of(await self._send("PATCH", path, json={"data": dict(changes)}))

    async def create_activity(self, body: Mapping[str, Any]) -> Json:
        """`POST /api/v4/activities.json` (a `TimeEntry`)."""
        return data_of(await self._send("POST", "/api/v4/activities.json", json={"data": dict(body)}))

    async def time_entries_of(self, communication_id: str | int) -> list[Json]:
        """`GET /api/v4/activities?communication_id=&fields=quantity,id`."""
        params = {"communication_id": communication_id, "fields": "quantity,id"}
        return items_of(await self._send("GET", "/api/v4/activities", params=params))

    async def update_activity(self, activity_id: str | int, changes: Mapping[str, Any]) -> Json:
        """`PATCH /api/v4/activities/{id}.json`."""
        path = f"/api/v4/activities/{activity_id}.json"
        return data_of(await self._send("PATCH", path, json={"data": dict(changes)}))

    # -- documents ------------------------------------------------------------------------------
    async def create_document(self, body: Mapping[str, Any]) -> Json:
        """`POST /api/v4/documents?fields=id,latest_document_version{uuid,put_url,put_headers}`."""
        params = {"fields": "id,latest_document_version{uuid,put_url,put_headers}"}
        return data_of(
            await self._send("POST", "/api/v4/documents", params=params, json={"data": dict(body)})
        )

    async def complete_document(self, document_id: str | int, uuid: str) -> Json:
        """`PATCH /api/v4/documents/{id}?fields=id,latest_document_version{fully_uploaded}`."""
        params = {"fields": "id,latest_document_version{fully_uploaded}"}
        body = {"data": {"uuid": uuid, "fully_uploaded": True}}
        return data_of(
            await self._send("PATCH", f"/api/v4/documents/{document_id}", params=params, json=body)
        )

    async def download(self, url: str) -> bytes:
        """The file at `url` (a RingCentral media link carrying its own token; no Clio token)."""
        response = await self._http.request("GET", url, policy=self._settings.media_policy)
        return response.content

    async def upload(self, put_url: str, headers: Mapping[str, str], content: bytes) -> None:
        """`PUT` the file to the `put_url` Clio issued, with its `put_headers` (no Clio token)."""
        await self._http.request(
            "PUT", put_url, policy=self._settings.media_policy, headers=dict(headers), content=content
        )

    # -- calendar -------------------------------------------------------------------------------
    async def calendars(self, params: Mapping[str, Any]) -> list[Json]:
        """`GET /api/v4/calendars.json` with the filters given."""
        return items_of(await self._send("GET", "/api/v4/calendars.json", params=params))

    async def calendar_entries(self, fields: str) -> list[Json]:
        """`GET /api/v4/calendar_entries.json?fields=`."""
        return items_of(await self._send("GET", "/api/v4/calendar_entries.json", params={"fields": fields}))

    async def calendar_entry(self, entry_id: str) -> Json:
        """`GET /api/v4/calendar_entries/{id}.json?fields=...`."""
        path = f"/api/v4/calendar_entries/{entry_id}.json"
        return data_of(await self._send("GET", path, params={"fields": APPOINTMENT_FIELDS}))

    async def create_calendar_entry(self, body: Mapping[str, Any]) -> Json:
        """`POST /api/v4/calendar_entries.json?fields=...`."""
        params = {"fields": APPOINTMENT_FIELDS}
        envelope = await self._send(
            "POST", "/api/v4/calendar_entries.json", params=params, json={"data": dict(body)}
        )
        return data_of(envelope)

    async def update_calendar_entry(self, entry_id: str, changes: Mapping[str, Any]) -> Json:
        """`PATCH /api/v4/calendar_entries/{id}.json?fields=...`."""
        path = f"/api/v4/calendar_entries/{entry_id}.json"
        params = {"fields": APPOINTMENT_FIELDS}
        return data_of(await self._send("PATCH", path, params=params, json={"data": dict(changes)}))

    async def delete_calendar_entry(self, entry_id: str) -> None:
        """`DELETE /api/v4/calendar_entries/{id}.json`."""
        await self._send("DELETE", f"/api/v4/calendar_entries/{entry_id}.json")

    # -- OAuth ----------------------------------------------------------------------------------
    async def deauthorize(self, access_token: str) -> None:
        """`POST /oauth/deauthorize` (form `token`) with the user's own bearer token."""
        await self._send("POST", "/oauth/deauthorize", data={"token": access_token})
