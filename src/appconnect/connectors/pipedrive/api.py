"""The Pipedrive REST calls the connector makes, one method per endpoint, over the shared client.

Why a thin layer of its own: the connector's methods read like the workflow ("find the person, then
their deals"), while this module knows Pipedrive's paths, query parameters, request bodies and its
response envelope (`{"success": true, "data": ..., "additional_data": ...}`). Every request goes
through `appconnect.crm_http`, so failures arrive as the server's typed errors (`CrmRateLimited`
for a 429, `CrmAuthExpired` for a 401, ...) and are left to propagate: the services turn them into
the contract's messages.

A `PipedriveApi` lives for one operation (one incoming request): it remembers the rate-limit
headers of the last answer, which the connector reports as `extra_data_tracking`.

Example (what `find_contact` does for one person)::

    api = PipedriveApi(http, settings, company_url="https://acme.pipedrive.com",
                       auth_header="Bearer ...")
    deals, leads = await both(api.open_deals(person_id), api.leads(person_id))
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from appconnect.crm_http import CrmHttp, join_url

from .settings import PipedriveSettings

__all__ = ["PipedriveApi", "RateLimitHeaders", "all_of", "both", "three"]

A = TypeVar("A")
B = TypeVar("B")
C = TypeVar("C")
T = TypeVar("T")

Json = dict[str, Any]


@dataclass(frozen=True)
class RateLimitHeaders:
    """Pipedrive's `x-ratelimit-*` headers of one answer, as sent (strings)."""

    remaining: str | None
    limit: str | None
    reset: str | None

    @classmethod
    def of(cls, response: httpx.Response) -> RateLimitHeaders | None:
        headers = response.headers
        found = cls(
            remaining=headers.get("x-ratelimit-remaining"),
            limit=headers.get("x-ratelimit-limit"),
            reset=headers.get("x-ratelimit-reset"),
        )
        return found if any((found.remaining, found.limit, found.reset)) else None

    def tracking(self) -> dict[str, str | None]:
        """The reference's `extraDataTracking` keys."""
        return {
            "ratelimitRemaining": self.remaining,
            "ratelimitAmount": self.limit,
            "ratelimitReset": self.reset,
        }


async def _resolve(awaitable: Awaitable[T]) -> T:
    return await awaitable


def _first_error(group: BaseExceptionGroup[BaseException]) -> BaseException:
    first = group.exceptions[0]
    return _first_error(first) if isinstance(first, BaseExceptionGroup) else first


async def all_of(calls: Sequence[Awaitable[T]]) -> list[T]:
    """Run independent calls concurrently; the first failure cancels the others and is raised as is.

    (A bare `asyncio.TaskGroup` would raise an `ExceptionGroup`, which the services could not map
    to the contract's messages.)
    """
    if not calls:
        return []
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(_resolve(call)) for call in calls]
    except BaseExceptionGroup as failure:
        raise _first_error(failure) from None
    return [task.result() for task in tasks]


async def both(first: Awaitable[A], second: Awaitable[B]) -> tuple[A, B]:
    """Two independent calls at once, typed (see `all_of`)."""
    results: list[Any] = await all_of([first, second])
    return results[0], results[1]


async def three(first: Awaitable[A], second: Awaitable[B], third: Awaitable[C]) -> tuple[A, B, C]:
    """Three independent calls at once, typed (see `all_of`)."""
    results: list[Any] = await all_of([first, second, third])
    return results[0], results[1], results[2]


def _object(value: Any) -> Json:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Json]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


class PipedriveApi:
    """The endpoints the connector uses, for one user's company and one operation.

    `company_url` is the company's API (`https://acme.pipedrive.com`); the global API and the OAuth
    server come from `settings`.
    """

    def __init__(
        self,
        http: CrmHttp,
        settings: PipedriveSettings,
        *,
        company_url: str | None,
        auth_header: str,
    ) -> None:
        self._http = http
        self._settings = settings
        self._policy = settings.host_policy()
        self._company_url = company_url
        self._auth_header = auth_header
        self.rate_limit: RateLimitHeaders | None = None

    # -- plumbing -----------------------------------------------------------------------------
    def tracking(self) -> dict[str, Any]:
        """`extra_data_tracking` for the operation: the last rate-limit headers Pipedrive sent."""
        return self.rate_limit.tracking() if self.rate_limit is not None else {}

    def _url(self, path: str, base: str | None = None) -> str:
        root = base or self._company_url
        if not root:
            raise ValueError("the Pipedrive user has no company hostname")
        return join_url(root, path)

    async def _send(
        self,
        method: str,
        path: str,
        *,
        base: str | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> Json:
        response = await self._http.request(
            method,
            self._url(path, base),
            policy=self._policy,
            headers={"Authorization": self._auth_header, "Accept": "application/json"},
            params=params,
            json=json,
        )
        self.rate_limit = RateLimitHeaders.of(response) or self.rate_limit
        try:
            return _object(response.json())
        except ValueError:
            return {}

    # -- users --------------------------------------------------------------------------------
    async def me(self, *, global_api: bool = False) -> Json:
        """`GET /v1/users/me`: the connected user, on the global API at login (the company host may
        not be known yet) and on the company's host afterwards."""
        base = self._settings.api_base_url if global_api else None
        return _object((await self._send("GET", "/v1/users/me", base=base)).get("data"))

    async def users(self) -> list[Json]:
        """`GET /api/v1/users`: every user of the company (deleted ones included)."""
        return _list((await self._send("GET", "/api/v1/users")).get("data"))

    # -- persons, deals, leads ----------------------------------------------------------------
    async def search_persons(self, term: str, *, field: str) -> list[Json]:
        """`GET /api/v2/persons/search?term=&fields=`: the matching persons (`item` of each result)."""
        envelope = await self._send("GET", "/api/v2/persons/search", params={"term": term, "fields": field})
        items = _list(_object(envelope.get("data")).get("items"))
        return [_object(result.get("item")) for result in items if result.get("item")]

    async def person(self, person_id: str | int) -> Json:
        """`GET /api/v2/persons/{id}`."""
        return _object((await self._send("GET", f"/api/v2/persons/{person_id}")).get("data"))

    async def create_person(self, *, name: str, phone: str) -> Json:
        """`POST /v1/persons` with `{name, phone}`."""
        body = {"name": name, "phone": phone}
        return _object((await self._send("POST", "/v1/persons", json=body)).get("data"))

    async def open_deals(self, person_id: str | int) -> list[Json]:
        """`GET /api/v2/deals?person_id=&status=open`."""
        params = {"person_id": person_id, "status": "open"}
        return _list((await self._send("GET", "/api/v2/deals", params=params)).get("data"))

    async def leads(self, person_id: str | int) -> list[Json]:
        """`GET /v1/leads?person_id=` (leads are still on API v1)."""
        return _list((await self._send("GET", "/v1/leads", params={"person_id": person_id})).get("data"))

    # -- activities ---------------------------------------------------------------------------
    async def activity_types(self) -> list[Json]:
        """`GET /v1/activityTypes`: the company's activity types, inactive ones included."""
        return _list((await self._send("GET", "/v1/activityTypes")).get("data"))

    async def create_activity(self, body: Mapping[str, Any]) -> Json:
        """`POST /api/v2/activities`."""
        return _object((await self._send("POST", "/api/v2/activities", json=dict(body))).get("data"))

    async def person_activities(self, person_id: str | int, *, owner_id: int | None = None) -> list[Json]:
        """`GET /api/v2/activities?person_id=`: the person's newest activities (one page)."""
        params: dict[str, Any] = {
            "person_id": person_id,
            "sort_by": "add_time",
            "sort_direction": "desc",
            "limit": 100,
        }
        if owner_id is not None:
            params["owner_id"] = owner_id
        return _list((await self._send("GET", "/api/v2/activities", params=params)).get("data"))

    async def activity(self, activity_id: str | int) -> Json:
        """`GET /api/v2/activities/{id}`: the whole envelope (callers read `data`)."""
        return await self._send("GET", f"/api/v2/activities/{activity_id}")

    async def update_activity(self, activity_id: str | int, changes: Mapping[str, Any]) -> Json:
        """`PATCH /api/v2/activities/{id}` with only the fields to change."""
        envelope = await self._send("PATCH", f"/api/v2/activities/{activity_id}", json=dict(changes))
        return _object(envelope.get("data"))

    # -- OAuth ----------------------------------------------------------------------------------
    async def revoke(self, token: str) -> None:
        """`POST <OAuth>/oauth/revoke` (form `token`), authenticated as the OAuth app (HTTP Basic)."""
        await self._http.request(
            "POST",
            self._settings.revoke_uri,
            policy=self._policy,
            headers={"Authorization": self._auth_header},
            data={"token": token},
        )
