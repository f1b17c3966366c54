"""Admin user mapping with Pipedrive end to end (spec platform §5.3, pipedrive §5.4, §7).

The admin's RingCentral token is checked by the fake RingCentral; the CRM users come from fake
Pipedrive's `GET /api/v1/users`; the mapping is stored on the account's admin config; and a call
logged by server-side logging (`isAssignedToUser`) becomes an activity owned by the mapped user.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from appconnect.config import Settings
from appconnect.security import hash_id
from appconnect.store import Store
from tests.conftest import TEST_HASH_KEY, TEST_SECRET
from tests.e2e.test_pipedrive_flows import oauth_login
from tests.fakes.fixtures import FakeCrmFactory
from tests.fakes.pipedrive import FakePipedrive
from tests.fakes.pipedrive.fixtures import (  # noqa: F401 - fixtures
    fake_pipedrive_fixture,
    pipedrive_env_fixture,
)
from tests.fakes.ringcentral import ACCOUNT_ID, ADMIN_TOKEN, AGENT_TOKEN, create_ringcentral_app

HASHED_ACCOUNT = hash_id(ACCOUNT_ID, TEST_HASH_KEY)
CASEY = 77882
EXTENSIONS = [
    {"id": 555, "name": "Casey P.", "email": "casey.pipeline@example.test", "extensionNumber": "105"},
    {"id": "556", "firstName": "Jordan", "lastName": "Lee"},
    {"id": 557},  # no name, no e-mail: never matched (quirk P-13)
]


@dataclass
class Admin:
    client: httpx.AsyncClient
    auth: dict[str, str]
    pipedrive: FakePipedrive
    settings: Settings

    async def stored_mappings(self) -> list[Any] | None:
        store = Store.open(self.settings.database_url, TEST_SECRET)
        try:
            return await store.admin_configs.get_user_mappings(HASHED_ACCOUNT)
        finally:
            await store.close()

    async def map(self, path: str = "/admin/userMapping", token: str = ADMIN_TOKEN, **body: Any) -> Any:
        payload = {"rcExtensionList": EXTENSIONS, **body}
        return await self.client.post(path, headers={**self.auth, "X-RC-Access-Token": token}, json=payload)


@pytest.fixture
async def admin(
    live_server: Any, settings: Settings, pipedrive_env: FakePipedrive, fake_crm_factory: FakeCrmFactory
) -> AsyncIterator[Admin]:
    state = pipedrive_env.state
    state.add_user("Casey Pipeline", user_id=CASEY, email="casey.pipeline@example.test")
    state.add_user("Gone User", user_id=77883, email="gone@example.test", is_deleted=True)
    ringcentral = fake_crm_factory(create_ringcentral_app())
    server = live_server(ssl_cert_file=pipedrive_env.ca_pem_path, ringcentral_server=ringcentral.base_url)
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        auth = await oauth_login(client, pipedrive_env)
        yield Admin(client=client, auth=auth, pipedrive=pipedrive_env, settings=settings)


def _item(crm_id: int, name: str, email: str, rc_users: list[dict[str, Any]]) -> dict[str, Any]:
    return {"crmUser": {"id": crm_id, "name": name, "email": email}, "rcUser": rc_users}


CASEY_EXT = {
    "extensionId": "555",
    "name": "Casey P.",
    "extensionNumber": "105",
    "email": "casey.pipeline@example.test",
}
JORDAN_EXT = {"extensionId": "556", "name": "Jordan Lee", "extensionNumber": "", "email": ""}


async def test_crm_users_are_matched_by_email_or_name_and_stored(admin: Admin) -> None:
    jordan_email = admin.pipedrive.state.users[1234]["email"]
    answer = await admin.map()
    assert answer.status_code == 200, answer.text
    assert answer.json() == [
        _item(1234, "Jordan Lee", jordan_email, [JORDAN_EXT]),
        _item(CASEY, "Casey Pipeline", "casey.pipeline@example.test", [CASEY_EXT]),
    ]
    assert await admin.stored_mappings() == [
        {"crmUserId": "1234", "rcExtensionId": ["556"]},
        {"crmUserId": str(CASEY), "rcExtensionId": ["555"]},
    ]
    assert len(admin.pipedrive.requests_to("GET", "/api/v1/users")) == 1


async def test_stored_mappings_win_and_reinitialize_starts_afresh(admin: Admin) -> None:
    # An admin mapped Casey to two extensions by hand (a legacy row holds a single string id).
    legacy = [
        {"crmUserId": CASEY, "rcExtensionId": ["557", 555]},
        {"crmUserId": "1234", "rcExtensionId": "557"},
    ]
    store = Store.open(admin.settings.database_url, TEST_SECRET)
    try:
        await store.admin_configs.upsert(HASHED_ACCOUNT, user_mappings=legacy)
    finally:
        await store.close()
    no_name = {"extensionId": "557", "name": "", "extensionNumber": "", "email": ""}
    kept = await admin.map()
    assert [item["rcUser"] for item in kept.json()] == [[no_name], [CASEY_EXT, no_name]]
    assert await admin.stored_mappings() == [
        {"crmUserId": str(CASEY), "rcExtensionId": ["557", "555"]},
        {"crmUserId": "1234", "rcExtensionId": ["557"]},
    ]
    fresh = await admin.map("/admin/reinitializeUserMapping")
    assert fresh.status_code == 200
    assert [item["rcUser"] for item in fresh.json()] == [[JORDAN_EXT], [CASEY_EXT]]
    assert await admin.stored_mappings() == [
        {"crmUserId": "1234", "rcExtensionId": ["556"]},
        {"crmUserId": str(CASEY), "rcExtensionId": ["555"]},
    ]


@pytest.mark.parametrize("path", ["/admin/userMapping", "/admin/reinitializeUserMapping"])
async def test_a_non_admin_or_bad_input_changes_nothing(admin: Admin, path: str) -> None:
    refused = await admin.map(path, token=AGENT_TOKEN)
    assert (refused.status_code, refused.text) == (403, "Admin validation failed")
    unknown = await admin.map(path, token="not-a-token")
    assert unknown.status_code == 400 and "error" in unknown.json()
    for bad in ("nope", [{"name": "no id"}], [{"id": {"nested": 1}}]):
        answer = await admin.map(path, rcExtensionList=bad)
        assert answer.status_code == 400 and answer.json()["error"].startswith("rcExtensionList"), bad
    assert await admin.stored_mappings() is None
    assert admin.pipedrive.requests_to("GET", "/api/v1/users") == []


async def test_a_pipedrive_failure_is_a_message_and_stores_nothing(admin: Admin) -> None:
    admin.pipedrive.faults.add(500, method="GET", path="/api/v1/users", times=2)
    answer = await admin.map()
    assert answer.status_code == 200
    assert answer.json()["successful"] is False and answer.json()["returnMessage"]["messageType"] == "warning"
    assert await admin.stored_mappings() is None


async def test_server_side_logging_assigns_the_call_to_the_mapped_owner(admin: Admin) -> None:
    await admin.map()
    state = admin.pipedrive.state
    ann = state.add_person("Ann Example", "+1 (415) 555-0100")
    answer = await admin.client.post(
        "/callLog",
        headers={**admin.auth, "User-Agent": "SSCL", "rc-account-id": HASHED_ACCOUNT},
        json={
            "logInfo": {
                "sessionId": "sscl-1",
                "telephonySessionId": "tel-sscl-1",
                "id": "rc-sscl-1",
                "direction": "Inbound",
                "startTime": "2026-07-14T10:00:00.000Z",
                "duration": 30,
                "result": "Call connected",
                "from": {"phoneNumber": "+14155550100", "name": "Ann Example"},
                "to": {"phoneNumber": "+16505550199", "extensionNumber": "105"},
            },
            "contactId": ann["id"],
            "contactName": "Ann Example",
            "contactType": "contact",
            "additionalSubmission": {"isAssignedToUser": True, "adminAssignedUserRcId": "555"},
        },
    )
    assert answer.json()["successful"] is True, answer.text
    assert state.activity(answer.json()["logId"])["owner_id"] == CASEY

    unmapped = await admin.client.post(
        "/callLog",
        headers={**admin.auth, "User-Agent": "SSCL", "rc-account-id": HASHED_ACCOUNT},
        json={
            "logInfo": {
                "sessionId": "sscl-2",
                "id": "rc-sscl-2",
                "direction": "Inbound",
                "startTime": "2026-07-14T11:00:00.000Z",
                "duration": 30,
                "from": {"phoneNumber": "+14155550100"},
                "to": {"phoneNumber": "+16505550199"},
            },
            "contactId": ann["id"],
            "contactName": "Ann Example",
            "additionalSubmission": {"isAssignedToUser": True, "adminAssignedUserRcId": "999"},
        },
    )
    assert unmapped.json()["successful"] is True, unmapped.text
    assert state.activity(unmapped.json()["logId"])["owner_id"] == 1234  # the agent, as without mapping
