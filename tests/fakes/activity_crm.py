"""A fake CRM of call activities (subject + note), and a connector that talks to it over HTTP.

Used by the end-to-end tests that need a CRM which can fail on demand (429, 401, 500, timeouts):
the connector goes through `appconnect.crm_http` like any real connector, so the server's whole
error path (classification, messages, no linkage for a failed create, no blank note after a failed
read) is exercised over real sockets.

Routes (API key in `x-api-key`):

* `POST  /activities`       `{"subject", "note", "contactId"}` -> 201 `{"id", ...}`
* `GET   /activities/{id}`  the activity or 404
* `PUT   /activities/{id}`  `{"subject"?, "note"?}` merged
"""

from __future__ import annotations

import itertools
import threading
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from appconnect.connectors.base import BaseConnector, ConnectorContext, LogsIn, ReadsCallLogs
from appconnect.connectors.inputs import (
    CreateCallLogInput,
    GetCallLogInput,
    GetUserInfoInput,
    UpdateCallLogInput,
)
from appconnect.connectors.types import (
    AuthType,
    CallLogInfo,
    CreateCallLogResult,
    GetCallLogResult,
    LogFormat,
    PlatformUserInfo,
    UpdateCallLogResult,
    UserInfoResult,
)
from appconnect.crm_http import HostPolicy, join_url
from appconnect.domain import User

API_KEY = "activity-crm-key"


class ActivityStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self.activities: dict[int, dict[str, Any]] = {}

    def create(self, data: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            activity = {"id": next(self._ids), **data}
            self.activities[activity["id"]] = activity
            return dict(activity)

    def update(self, activity_id: int, data: dict[str, Any]) -> dict[str, Any] | None:
        with self._lock:
            if activity_id not in self.activities:
                return None
            self.activities[activity_id].update(data)
            return dict(self.activities[activity_id])


def create_activity_crm_app(store: ActivityStore) -> Starlette:
    def authorized(request: Request) -> bool:
        return request.headers.get("x-api-key") == API_KEY

    async def create(request: Request) -> JSONResponse:
        if not authorized(request):
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        return JSONResponse(store.create(await request.json()), status_code=201)

    async def read(request: Request) -> JSONResponse:
        if not authorized(request):
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        activity = store.activities.get(int(request.path_params["id"]))
        return JSONResponse(activity) if activity else JSONResponse({"error": "not found"}, status_code=404)

    async def update(request: Request) -> JSONResponse:
        if not authorized(request):
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        activity = store.update(int(request.path_params["id"]), await request.json())
        return JSONResponse(activity) if activity else JSONResponse({"error": "not found"}, status_code=404)

    return Starlette(
        routes=[
            Route("/activities", create, methods=["POST"]),
            Route("/activities/{id:int}", read, methods=["GET"]),
            Route("/activities/{id:int}", update, methods=["PUT"]),
        ]
    )


class ActivityCrmConnector(BaseConnector, LogsIn, ReadsCallLogs):
    """An HTML-format connector writing whole composed bodies, as Pipedrive does."""

    name = "activitycrm"
    auth_type = AuthType.API_KEY
    log_format = LogFormat.HTML

    def __init__(self, context: ConnectorContext, base_url: str) -> None:
        super().__init__(context)
        self.base_url = base_url
        self.policy = HostPolicy.for_base_url(base_url, platform=self.name)

    def _headers(self, user: User) -> dict[str, str]:
        return {"x-api-key": user.access_token or ""}

    async def get_user_info(self, login: GetUserInfoInput, /) -> UserInfoResult:
        if login.api_key != API_KEY:
            return UserInfoResult(successful=False)
        return UserInfoResult(
            successful=True, platform_user_info=PlatformUserInfo(id="1-activitycrm", name="Agent")
        )

    async def create_call_log(self, call: CreateCallLogInput, /) -> CreateCallLogResult:
        response = await self.http.post(
            join_url(self.base_url, "/activities"),
            policy=self.policy,
            headers=self._headers(call.user),
            json={
                "subject": call.call_log.custom_subject or "Call",
                "note": call.composed_log_details,
                "contactId": call.contact_info.id,
            },
        )
        return CreateCallLogResult(log_id=response.json()["id"])

    async def get_call_log(self, lookup: GetCallLogInput, /) -> GetCallLogResult:
        response = await self.http.get(
            join_url(self.base_url, f"/activities/{lookup.call_log_id}"),
            policy=self.policy,
            headers=self._headers(lookup.user),
        )
        activity = response.json()
        return GetCallLogResult(
            call_log_info=CallLogInfo(
                subject=activity["subject"],
                note=activity["note"],
                full_body=activity["note"],
                full_log_response=activity,
            )
        )

    async def update_call_log(self, call: UpdateCallLogInput, /) -> UpdateCallLogResult:
        changes: dict[str, Any] = {"note": call.composed_log_details}
        if call.subject:
            changes["subject"] = call.subject
        await self.http.put(
            join_url(self.base_url, f"/activities/{call.existing_call_log.third_party_log_id}"),
            policy=self.policy,
            headers=self._headers(call.user),
            json=changes,
        )
        return UpdateCallLogResult(updated_note=call.composed_log_details)
