"""A connector that fails while secrets are in scope, to prove that no log line ever shows them.

Load it with `APPCONNECT_EXTRA_CONNECTORS=tests.fakes.exploding_crm:create_connector` and point
`EXPLODING_CRM_SECRETS` at a JSON file holding `{"jwt": ...}` (the test writes it once it has logged
in). Every failure message carries the server's signing key, `HASH_KEY`, the user's API key and the
session JWT, bare and inside a URL, and the failing frames hold them in local variables:

* `POST /callLog`: the first call's `get_log_format_type` raises an unexpected `RuntimeError`
  (escapes to a 500: logged with its traceback by the app and by uvicorn), the second raises a
  `CrmUnavailable`, the later ones pass and `create_call_log` raises a `CrmUnavailable`;
* `GET /contact`: `find_contact` raises an unexpected `RuntimeError`.
"""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

from appconnect.connectors.base import BaseConnector, ConnectorContext, FindsContacts, LogsIn
from appconnect.connectors.inputs import (
    CreateCallLogInput,
    FindContactInput,
    GetUserInfoInput,
    UpdateCallLogInput,
)
from appconnect.connectors.types import (
    AuthType,
    CreateCallLogResult,
    FindContactResult,
    LogFormat,
    PlatformUserInfo,
    UpdateCallLogResult,
    UserInfoResult,
)
from appconnect.crm_http import CrmUnavailable
from appconnect.domain import User

PLATFORM = "explodingcrm"


class ExplodingCrmConnector(BaseConnector, LogsIn, FindsContacts):
    name = PLATFORM
    auth_type = AuthType.API_KEY
    log_format = LogFormat.PLAIN

    def __init__(self, context: ConnectorContext) -> None:
        super().__init__(context)
        self._settings = context.settings
        self._format_calls = itertools.count(1)
        self._api_key = ""

    def _secrets(self) -> dict[str, str]:
        path = os.environ.get("EXPLODING_CRM_SECRETS")
        stored = json.loads(Path(path).read_text(encoding="utf-8")) if path and Path(path).exists() else {}
        return {
            "signing_key": str(self._settings.app_server_secret_key),
            "hash_key": str(self._settings.hash_key),
            "api_key": self._api_key,
            "jwt": str(stored.get("jwt", "")),
        }

    def _message(self, what: str) -> str:
        held = self._secrets()
        url = f"https://crm.example.com/v1/me?api_key={held['api_key']}&jwtToken={held['jwt']}"
        bare = " ".join(held.values())
        return f"{what} GET {url} failed; held: {bare}"

    def get_basic_auth(self, api_key: str, /) -> str:
        self._api_key = api_key
        return super().get_basic_auth(api_key)

    async def get_user_info(self, login: GetUserInfoInput, /) -> UserInfoResult:
        self._api_key = login.api_key or ""
        return UserInfoResult(
            successful=True, platform_user_info=PlatformUserInfo(id="1-exploding", name="Agent")
        )

    def get_log_format_type(self, user: User | None = None, /) -> str:
        held = self._secrets()  # in this frame's locals when it raises
        call = next(self._format_calls)
        if call == 1:
            raise RuntimeError(self._message("unexpected failure"))
        if call == 2:
            url = f"https://crm.example.com/v1/me?api_key={held['api_key']}"
            raise CrmUnavailable(self._message("CRM unavailable"), platform=PLATFORM, method="GET", url=url)
        return str(self.log_format)

    async def find_contact(self, lookup: FindContactInput, /) -> FindContactResult:
        api_key = lookup.user.access_token
        raise RuntimeError(self._message(f"lookup exploded for {api_key}"))

    async def create_call_log(self, call: CreateCallLogInput, /) -> CreateCallLogResult:
        api_key = call.user.access_token
        raise CrmUnavailable(self._message(f"create refused for {api_key}"), platform=PLATFORM)

    async def update_call_log(self, call: UpdateCallLogInput, /) -> UpdateCallLogResult:
        return UpdateCallLogResult()


def create_connector(context: ConnectorContext) -> ExplodingCrmConnector:
    return ExplodingCrmConnector(context)
