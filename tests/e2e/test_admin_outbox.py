"""The outbox through the admin routes: `GET /admin/outbox`, `POST /admin/outbox/{jobId}/retry`,
`DELETE /admin/outbox/{jobId}`.

The real server on a real socket, fake Pipedrive over HTTPS with faults injected (a create that
keeps meeting a 503 becomes a dead job), fake RingCentral answering who a token is: the admin
token has admin rights in account 9001, the agent token has not, and another account has its own
admin. The Pipedrive user logged in naming account 9001.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from appconnect.config import Settings
from appconnect.domain import User
from appconnect.store import Store
from appconnect.store.outbox import Job, JobSpec
from tests.conftest import TEST_SECRET
from tests.fakes.fixtures import FakeCrmFactory
from tests.fakes.pipedrive import FAKE_REDIRECT_URI, FakePipedrive
from tests.fakes.pipedrive.fixtures import (  # noqa: F401 - fixtures
    PIPEDRIVE_USER_ID,
    fake_pipedrive_fixture,
    pipedrive_env_fixture,
)
from tests.fakes.ringcentral import (
    ACCOUNT_ID,
    ADMIN_TOKEN,
    AGENT_TOKEN,
    OTHER_ACCOUNT_ADMIN_TOKEN,
    create_ringcentral_app,
)
from tests.support.outage_soak import Extension


@dataclass
class Admin:
    extension: Extension
    settings: Settings

    def headers(self, rc_token: str = ADMIN_TOKEN) -> dict[str, str]:
        return {**self.extension.auth, "X-RC-Access-Token": rc_token}

    async def list(self, rc_token: str = ADMIN_TOKEN, **params: str) -> httpx.Response:
        return await self.extension.client.get("/admin/outbox", params=params, headers=self.headers(rc_token))

    async def retry(self, job_id: object, rc_token: str = ADMIN_TOKEN) -> httpx.Response:
        return await self.extension.client.post(
            f"/admin/outbox/{job_id}/retry", headers=self.headers(rc_token)
        )

    async def drop(self, job_id: object, rc_token: str = ADMIN_TOKEN) -> httpx.Response:
        return await self.extension.client.delete(f"/admin/outbox/{job_id}", headers=self.headers(rc_token))

    async def stored(self, job_id: int) -> Job | None:
        store = Store.open(self.settings.database_url, TEST_SECRET)
        try:
            return await store.outbox.get(job_id)
        finally:
            await store.close()

    async def dead_create(self, session_id: str) -> int:
        """A create that meets 503s until its job is dead (two attempts); the job's id."""
        faults = self.extension.pipedrive.faults
        faults.add(503, body={"success": False}, times=None, method="POST", path="/api/v2/activities")
        queued = await self.extension.create(session_id)
        assert "automatically" in queued["returnMessage"]["message"]
        for _ in range(200):
            if (await self.extension.client.get("/health/ready")).json()["outbox"]["dead"] >= 1:
                break
            await asyncio.sleep(0.05)
        faults.clear()
        [job] = [
            job for job in (await self.list(state="dead")).json()["jobs"] if session_id in job["orderKey"]
        ]
        job_id: int = job["id"]
        return job_id


@pytest.fixture
async def admin(
    live_server: Any, pipedrive_env: FakePipedrive, fake_crm_factory: FakeCrmFactory, settings: Settings
) -> AsyncIterator[Admin]:
    ringcentral = fake_crm_factory(create_ringcentral_app())
    person = pipedrive_env.state.add_person("Ann Example", "+1 (415) 555-0100")
    server = live_server(
        ssl_cert_file=pipedrive_env.ca_pem_path,
        ringcentral_server=ringcentral.base_url,
        outbox_max_attempts=2,
    )
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
        code = pipedrive_env.state.authorize(PIPEDRIVE_USER_ID)
        answer = await client.get(
            "/oauth-callback",
            params={
                "callbackUri": f"{FAKE_REDIRECT_URI}?code={code}&state=platform%3Dpipedrive",
                "hostname": pipedrive_env.hostname,
                "rcAccountId": str(ACCOUNT_ID),
            },
        )
        assert answer.status_code == 200 and "jwtToken" in answer.json(), answer.text
        auth = {"Authorization": f"Bearer {answer.json()['jwtToken']}"}
        extension = Extension(client=client, auth=auth, pipedrive=pipedrive_env, person_id=int(person["id"]))
        yield Admin(extension=extension, settings=settings)


async def test_an_admin_lists_a_dead_job_and_retrying_it_delivers_it(admin: Admin) -> None:
    job_id = await admin.dead_create("adm-1")
    listed = await admin.list()
    assert listed.status_code == 200, listed.text
    [job] = listed.json()["jobs"]
    assert listed.json()["successful"] is True
    assert (job["id"], job["kind"], job["state"], job["attempts"]) == (job_id, "call_log.create", "dead", 2)
    assert "CrmUnavailable" in job["lastError"] and "503" in job["lastError"]
    assert job["platform"] == "pipedrive" and job["dueInSeconds"] is None
    assert job["ageSeconds"] >= job["idleSeconds"] >= 0
    assert "payload" not in job and "Hi" not in listed.text  # never the note
    assert (await admin.list(state="queued")).json()["jobs"] == []
    bad = await admin.list(state="lost")
    assert (bad.status_code, bad.json()) == (400, {"error": "state must be one of: queued, dead"})
    assert admin.extension.activities_of("adm-1") == []

    retried = await admin.retry(job_id)
    assert retried.status_code == 200, retried.text
    assert retried.json()["successful"] is True
    assert retried.json()["job"] is None or retried.json()["job"]["state"] == "queued"
    await admin.extension.drained()
    [activity] = admin.extension.activities_of("adm-1")
    assert (await admin.extension.matched(["adm-1"]))["adm-1"] == str(activity["id"])
    assert (await admin.list()).json()["jobs"] == []
    gone = await admin.retry(job_id)  # delivered: the job is no more
    assert (gone.status_code, gone.json()) == (404, {"error": f"Outbox job {job_id} not found"})


async def test_an_admin_drops_a_dead_job_and_its_write_is_given_up(admin: Admin) -> None:
    job_id = await admin.dead_create("adm-2")
    dropped = await admin.drop(job_id)
    assert (dropped.status_code, dropped.json()) == (
        200,
        {"successful": True, "dropped": job_id, "droppedBehind": []},
    )
    assert await admin.stored(job_id) is None
    assert (await admin.list()).json()["jobs"] == []
    await asyncio.sleep(0.3)  # the worker has nothing to deliver
    assert admin.extension.activities_of("adm-2") == []
    again = await admin.drop(job_id)
    assert (again.status_code, again.json()) == (404, {"error": f"Outbox job {job_id} not found"})


async def _behind(admin: Admin, session_id: str) -> list[dict[str, Any]]:
    """An update and a disposition of a call whose create is dead: both queued behind it."""
    extension = admin.extension
    deal = extension.pipedrive.state.add_deal("Big deal", person_id=extension.person_id)
    answers = [
        await extension.update(session_id, duration=42, result="Call connected"),
        (
            await extension.client.put(
                "/callDisposition",
                headers=extension.auth,
                json={"sessionId": session_id, "dispositions": {"deals": deal["id"]}},
            )
        ).json(),
    ]
    assert all("automatically" in answer["returnMessage"]["message"] for answer in answers), answers
    await asyncio.sleep(0.3)  # six worker polls: they stay queued behind the dead create
    jobs: list[dict[str, Any]] = [
        job for job in (await admin.list()).json()["jobs"] if session_id in job["orderKey"]
    ]
    assert [(job["kind"], job["state"]) for job in jobs] == [
        ("call_log.create", "dead"),
        ("call_log.update", "queued"),
        ("call_log.disposition", "queued"),
    ]
    return jobs


async def test_an_admin_retries_a_dead_create_and_the_writes_behind_it_follow(admin: Admin) -> None:
    job_id = await admin.dead_create("adm-4")
    await _behind(admin, "adm-4")
    assert (await admin.retry(job_id)).status_code == 200
    assert (await admin.extension.drained())["dead"] == 0
    [activity] = admin.extension.activities_of("adm-4")
    assert activity["duration"] == "00:01" and "Call connected" in activity["note"]
    assert activity["deal_id"] is not None  # the disposition, applied after the create
    assert (await admin.extension.matched(["adm-4"]))["adm-4"] == str(activity["id"])


async def test_an_admin_drops_a_dead_create_with_the_writes_of_its_call_behind_it(admin: Admin) -> None:
    job_id = await admin.dead_create("adm-5")
    behind = [job["id"] for job in (await _behind(admin, "adm-5"))[1:]]
    dropped = await admin.drop(job_id)
    assert (dropped.status_code, dropped.json()) == (
        200,
        {"successful": True, "dropped": job_id, "droppedBehind": behind},
    )
    assert (await admin.list()).json()["jobs"] == []
    assert [await admin.stored(other) for other in behind] == [None, None]
    assert admin.extension.activities_of("adm-5") == []


@pytest.mark.parametrize("job_id", ["987654", "abc", "1.5", "99999999999999999999999"])
async def test_an_unknown_job_id_is_a_clear_404(admin: Admin, job_id: str) -> None:
    for answer in (await admin.retry(job_id), await admin.drop(job_id)):
        assert (answer.status_code, answer.json()) == (404, {"error": f"Outbox job {job_id} not found"})


@pytest.mark.parametrize(
    ("rc_token", "status", "text"),
    [
        (AGENT_TOKEN, 403, "Admin validation failed"),  # not an admin
        (OTHER_ACCOUNT_ADMIN_TOKEN, None, None),  # an admin, of another account
    ],
    ids=["non-admin", "other-account-admin"],
)
async def test_others_are_refused_and_nothing_changes(
    admin: Admin, rc_token: str, status: int | None, text: str | None
) -> None:
    job_id = await admin.dead_create("adm-3")
    before = await admin.stored(job_id)
    answers = [
        await admin.list(rc_token),
        await admin.retry(job_id, rc_token),
        await admin.drop(job_id, rc_token),
    ]
    if status is not None:
        assert [(a.status_code, a.text) for a in answers] == [(status, text)] * 3
    else:  # the job is not in that account: it is not listed, and it is not found
        assert (answers[0].status_code, answers[0].json()) == (200, {"successful": True, "jobs": []})
        for answer in answers[1:]:
            assert (answer.status_code, answer.json()) == (404, {"error": f"Outbox job {job_id} not found"})
    assert await admin.stored(job_id) == before
    await asyncio.sleep(0.3)
    assert admin.extension.activities_of("adm-3") == []


async def test_jobs_of_another_account_are_not_seen_or_touched(admin: Admin, settings: Settings) -> None:
    store = Store.open(settings.database_url, TEST_SECRET)
    try:
        await store.users.save(User(id="77-pipedrive", platform="pipedrive", rc_account_id="7777"))
        spec = JobSpec(
            kind="call_log.update",
            platform="pipedrive",
            user_id="77-pipedrive",
            order_key="call:pipedrive:other:101:",
            account_key="pipedrive:77-pipedrive",
            payload={"request": {"sessionId": "other"}},
        )
        other = await store.outbox.enqueue(spec)
        await store.outbox.kill(other.id, error="kept for its own admin")
        before = await store.outbox.get(other.id)
    finally:
        await store.close()
    assert (await admin.list()).json()["jobs"] == []
    for answer in (await admin.retry(other.id), await admin.drop(other.id)):
        assert (answer.status_code, answer.json()) == (404, {"error": f"Outbox job {other.id} not found"})
    assert await admin.stored(other.id) == before
