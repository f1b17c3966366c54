"""Nothing lost (issue 12): every CRM write the server accepts reaches Pipedrive once.

The real server on a real socket, fake Pipedrive over HTTPS with faults injected, and an
extension that never retries: after an outage (503, 429 with Retry-After, connections refused),
each call is in Pipedrive exactly once with its final duration and result and its recording link
(the soak driver is `tests/support/outage_soak.py`, shared with `benchmarks/outage_soak.py`).
Creates whose outcome is unknown (slower than the CRM timeout while Pipedrive still makes the
activity) end with exactly one activity, with or without a client retry.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from tests.fakes.pipedrive import FakePipedrive
from tests.fakes.pipedrive.fixtures import (  # noqa: F401 - fixtures
    PIPEDRIVE_USER_ID,
    fake_pipedrive_fixture,
    pipedrive_env_fixture,
)
from tests.support.outage_soak import FAULTS, Extension, RefusingProxy, login, outage, soak
from tests.support.processes import APPCONNECT, operator_env


@pytest.fixture
def start_extension(
    live_server: Any, pipedrive_env: FakePipedrive
) -> Callable[..., contextlib.AbstractAsyncContextManager[Extension]]:
    @contextlib.asynccontextmanager
    async def start(*, hostname: str | None = None, **overrides: Any) -> AsyncIterator[Extension]:
        person = pipedrive_env.state.add_person("Ann Example", "+1 (415) 555-0100")
        server = live_server(ssl_cert_file=pipedrive_env.ca_pem_path, **overrides)
        limits = httpx.Limits(max_connections=50)
        async with httpx.AsyncClient(base_url=server.url, timeout=60, limits=limits) as client:
            if hostname is not None:
                pipedrive_env.state.api_host = hostname
            auth = await login(client, pipedrive_env, hostname or pipedrive_env.hostname)
            yield Extension(client=client, auth=auth, pipedrive=pipedrive_env, person_id=int(person["id"]))

    return start


#: Fake Pipedrive's burst limit in the soaks (requests per 2 s; Pipedrive's is 80, at which 200
#: lifecycles take 45 s of requests alone): the soaks measure the outage, not the limit.
BURST = 400


@pytest.mark.parametrize("fault", FAULTS)
async def test_an_outage_in_the_middle_of_200_lifecycles_loses_nothing(
    fault: str, start_extension: Any, pipedrive_env: FakePipedrive, monkeypatch: pytest.MonkeyPatch
) -> None:
    """503, 429 with `Retry-After`, or refused connections for the middle third of 200 lifecycles
    of an extension that never retries: every call in Pipedrive once, final data and recording."""
    proxy: RefusingProxy | None = None
    overrides: dict[str, Any] = {}
    if fault == "refused":  # the API through a proxy that refuses connections during the window
        proxy = RefusingProxy(pipedrive_env.server.port).start()
        monkeypatch.setenv("PIPEDRIVE_API_BASE_URL", f"https://localhost:{proxy.port}")
        overrides = {"hostname": f"localhost:{proxy.port}", "crm_timeout_seconds": 2.0}
    try:
        async with start_extension(**overrides) as extension:
            report = await soak(extension, 200, outage(fault, extension.pipedrive, proxy), burst_limit=BURST)
    finally:
        if proxy is not None:
            proxy.stop()
    print(*report.lines(), sep="\n")  # shown with -s
    assert report.queued_answers > 0  # the window did hit
    assert report.other_failures == []  # never an error that invites logging the call again by hand
    assert report.outbox["dead"] == 0
    assert report.tally.problems() == {}
    assert report.tally.logged_once == 200


@pytest.mark.parametrize("client_retries", [False, True], ids=["no-retry", "retry"])
async def test_creates_slower_than_the_timeout_end_with_one_activity_each(
    start_extension: Any, client_retries: bool
) -> None:
    async with start_extension(crm_timeout_seconds=0.5) as extension:
        state = extension.pipedrive.state
        session_ids = [f"slow-{n}" for n in range(8)]
        state.slow_create_seconds, state.slow_creates = 0.9, len(session_ids)

        async def one(session_id: str) -> list[dict[str, Any]]:
            first = await extension.create(session_id)
            answers = [first]
            if client_retries:
                answers.append(await extension.create(session_id))
            answers.append(await extension.update(session_id, duration=42, result="Call connected"))
            answers.append(
                await extension.update(session_id, recordingLink=f"https://rec.example.com/{session_id}")
            )
            return answers

        answers = await asyncio.gather(*(one(session_id) for session_id in session_ids))
        assert all("automatically" in steps[0]["returnMessage"]["message"] for steps in answers)
        if client_retries:  # the retry while queued is told the same, and creates nothing
            assert all(steps[1] == steps[0] for steps in answers)
        await asyncio.sleep(1.0)  # the slow creates land in Pipedrive
        assert (await extension.drained())["dead"] == 0
        await extension.assert_each_call_logged_once(session_ids)
        assert len(extension.pipedrive.requests_to("POST", "/api/v2/activities")) == len(session_ids)


async def test_a_failed_lookup_of_an_uncertain_create_is_looked_up_again_never_sent_again(
    start_extension: Any,
) -> None:
    """The worker's lookup of a create that timed out meets a 503: the create is still unresolved,
    so the next attempt looks again (and finds it) rather than sending a second activity."""
    async with start_extension(crm_timeout_seconds=0.5) as extension:
        state = extension.pipedrive.state
        state.slow_create_seconds, state.slow_creates = 0.9, 1
        first = await extension.create("lookup-503")
        assert "automatically" in first["returnMessage"]["message"]
        extension.pipedrive.faults.add(
            503, body={"success": False}, times=1, method="GET", path="/api/v2/activities"
        )
        await asyncio.sleep(1.0)  # the slow create lands in Pipedrive
        assert (await extension.drained())["dead"] == 0
        lookups = extension.pipedrive.requests_to("GET", "/api/v2/activities")
        assert len(lookups) >= 2  # the one that met the 503, and the one that found the activity
        assert len(extension.pipedrive.requests_to("POST", "/api/v2/activities")) == 1
        [activity] = extension.activities_of("lookup-503")
        assert (await extension.matched(["lookup-503"]))["lookup-503"] == str(activity["id"])
        updated = await extension.update("lookup-503", duration=42, result="Call connected")
        assert updated["successful"] is True, updated


def _cli(settings: Any, *args: str) -> subprocess.CompletedProcess[str]:
    env = operator_env(
        DATABASE_URL=settings.database_url,
        APP_SERVER_SECRET_KEY=str(settings.app_server_secret_key),
        HASH_KEY=str(settings.hash_key),
        APPCONNECT_STATE_FILE=str(settings.state_file),
    )
    return subprocess.run([*APPCONNECT, "outbox", *args], env=env, capture_output=True, text=True, timeout=60)


async def test_a_dead_job_is_listed_retried_by_command_and_delivered(
    start_extension: Any, settings: Any
) -> None:
    async with start_extension(outbox_max_attempts=2) as extension:
        faults = extension.pipedrive.faults
        faults.add(503, body={"success": False}, times=None, method="POST", path="/api/v2/activities")
        queued = await extension.create("dead-1")
        assert "automatically" in queued["returnMessage"]["message"]
        for _ in range(100):  # the request's attempt and the worker's: then it is dead
            if (await extension.client.get("/health/ready")).json()["outbox"]["dead"] == 1:
                break
            await asyncio.sleep(0.05)
        faults.clear()
        listed = _cli(settings, "list", "--state", "dead", "--json")
        assert listed.returncode == 0, listed.stderr
        [job] = [json.loads(line) for line in listed.stdout.splitlines()]
        assert job["kind"] == "call_log.create" and job["state"] == "dead" and job["attempts"] == 2
        assert "CrmUnavailable" in job["lastError"] and "503" in job["lastError"]
        assert extension.activities_of("dead-1") == []
        assert not (await extension.matched(["dead-1"]))["dead-1"]
        retried = _cli(settings, "retry", str(job["id"]))
        assert retried.returncode == 0 and f"job {job['id']} queued" in retried.stdout
        await extension.drained()
        [activity] = extension.activities_of("dead-1")
        assert (await extension.matched(["dead-1"]))["dead-1"] == str(activity["id"])
        assert _cli(settings, "list").stdout.strip() == "the outbox is empty"
        missing = _cli(settings, "drop", str(job["id"]))
        assert missing.returncode == 1 and "no job" in missing.stderr


async def _dead_count(extension: Extension, dead: int) -> dict[str, Any]:
    """Poll `/health/ready` until `dead` jobs are dead; the outbox stats then."""
    for _ in range(200):
        stats: dict[str, Any] = (await extension.client.get("/health/ready")).json()["outbox"]
        if stats["dead"] == dead:
            return stats
        await asyncio.sleep(0.05)
    raise AssertionError(f"not {dead} dead jobs: {stats}")


async def test_updates_behind_a_dead_create_wait_and_its_retry_delivers_them_once(
    start_extension: Any, settings: Any
) -> None:
    async with start_extension(outbox_max_attempts=2) as extension:
        faults = extension.pipedrive.faults
        faults.add(503, body={"success": False}, times=None, path="/api/*")  # longer than 2 attempts
        answers = [
            await extension.create("held-1"),
            await extension.update("held-1", duration=42, result="Call connected"),
        ]
        await _dead_count(extension, 1)  # the create is dead ...
        answers.append(await extension.update("held-1", recordingLink="https://rec.example.com/held-1"))
        assert all("automatically" in answer["returnMessage"]["message"] for answer in answers), answers
        faults.clear()
        await asyncio.sleep(0.5)  # ten worker polls: the updates behind it stay queued, not dead
        stats = (await extension.client.get("/health/ready")).json()["outbox"]
        assert (stats["queued"], stats["dead"]) == (1, 1)
        listed = _cli(settings, "list", "--json")
        jobs = [json.loads(line) for line in listed.stdout.splitlines()]
        assert [(job["kind"], job["state"], job["attempts"]) for job in jobs] == [
            ("call_log.create", "dead", 2),
            ("call_log.update", "queued", 0),  # both updates, merged into one job
        ]
        assert extension.activities_of("held-1") == []
        retried = _cli(settings, "retry", str(jobs[0]["id"]))
        assert retried.returncode == 0, retried.stderr
        assert (await extension.drained())["dead"] == 0
        await extension.assert_each_call_logged_once(["held-1"])  # final data and recording, once
        [activity] = extension.activities_of("held-1")
        assert len(extension.pipedrive.requests_to("PATCH", f"/api/v2/activities/{activity['id']}")) == 1


async def test_consecutive_queued_updates_merge_into_one_write_of_the_same_note(start_extension: Any) -> None:
    """The final data, the recording, the agent's note and corrected final data, queued behind a
    create: one job, one PATCH, and the note one PATCH per update leaves (the last result wins)."""
    steps: list[dict[str, Any]] = [
        {"duration": 42, "result": "Call connected"},
        {"recordingLink": "https://rec.example.com/REC"},
        {"note": "Wants a quote by Tuesday"},
        {"duration": 125, "result": "Voicemail"},
    ]
    async with start_extension() as extension:
        assert (await extension.create("one-by-one"))["successful"] is True
        for step in steps:
            assert (await extension.update("one-by-one", **step))["successful"] is True
        faults = extension.pipedrive.faults
        faults.add(503, body={"success": False}, times=None, method="POST", path="/api/v2/activities")
        answers = [await extension.create("merged")]
        answers += [await extension.update("merged", **step) for step in steps]
        assert await extension.update("merged", **steps[1]) == answers[2]  # a retry: the same answer
        assert all("automatically" in answer["returnMessage"]["message"] for answer in answers), answers
        assert (await extension.outbox())["queued"] == 2  # the create, and one update job
        faults.clear()
        assert (await extension.drained())["dead"] == 0
        [reference] = extension.activities_of("one-by-one")
        [merged] = extension.activities_of("merged")
        assert merged["note"] == reference["note"].replace("one-by-one", "merged")
        assert "Voicemail" in merged["note"] and "Call connected" not in merged["note"]
        assert (
            "https://rec.example.com/REC" in merged["note"] and "Wants a quote by Tuesday" in merged["note"]
        )
        assert merged["duration"] == reference["duration"] != "00:01"  # 125 s, not 42 s
        assert len(extension.pipedrive.requests_to("PATCH", f"/api/v2/activities/{reference['id']}")) == 4
        assert len(extension.pipedrive.requests_to("PATCH", f"/api/v2/activities/{merged['id']}")) == 1


async def test_dropping_a_dead_create_drops_the_updates_of_its_call_behind_it(
    start_extension: Any, settings: Any
) -> None:
    async with start_extension(outbox_max_attempts=2) as extension:
        faults = extension.pipedrive.faults
        faults.add(503, body={"success": False}, times=None, method="POST", path="/api/v2/activities")
        await extension.create("gone-1")
        await _dead_count(extension, 1)
        await extension.update("gone-1", duration=42, result="Call connected")
        assert (await extension.create("gone-1"))["returnMessage"]["message"].startswith("The CRM is not")
        faults.clear()
        jobs = [json.loads(line) for line in _cli(settings, "list", "--json").stdout.splitlines()]
        [create, update] = [job for job in jobs if "gone-1" in job["orderKey"]]
        dropped = _cli(settings, "drop", str(create["id"]))
        assert dropped.returncode == 0, dropped.stderr
        assert (
            dropped.stdout.strip()
            == f"job {create['id']} dropped, with the jobs of its call behind it: {update['id']}"
        )
        await extension.drained()
        assert extension.activities_of("gone-1") == []  # given up, as the operator asked
        assert _cli(settings, "list").stdout.strip() == "the outbox is empty"


# -- dispositions ---------------------------------------------------------------------------------
async def _dispose(extension: Extension, session_id: str, deal_id: int) -> dict[str, Any]:
    answer = await extension.client.put(
        "/callDisposition",
        headers=extension.auth,
        json={"sessionId": session_id, "dispositions": {"deals": deal_id}},
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def _queued_jobs(extension: Extension) -> int:
    count: int = (await extension.client.get("/health/ready")).json()["outbox"]["queued"]
    return count


async def test_a_disposition_during_a_503_window_is_delivered_once_after_recovery(
    start_extension: Any,
) -> None:
    async with start_extension() as extension:
        state = extension.pipedrive.state
        deal = state.add_deal("Big deal", person_id=extension.person_id)
        assert (await extension.create("disp-1"))["successful"] is True
        [activity] = extension.activities_of("disp-1")
        extension.pipedrive.faults.add(503, body={"success": False}, times=None, path="/api/*")
        queued = await _dispose(extension, "disp-1", deal["id"])
        assert queued["successful"] is False and "automatically" in queued["returnMessage"]["message"]
        assert await _dispose(extension, "disp-1", deal["id"]) == queued  # a retry: the same answer
        assert await _queued_jobs(extension) == 1  # ... and nothing new
        assert state.activity(activity["id"])["deal_id"] is None
        extension.pipedrive.clear_requests()
        extension.pipedrive.faults.clear()
        assert (await extension.drained())["dead"] == 0
        assert state.activity(activity["id"])["deal_id"] == deal["id"]
        patches = extension.pipedrive.requests_to("PATCH", f"/api/v2/activities/{activity['id']}")
        assert len(patches) == 1  # delivered exactly once
        assert extension.activities_of("disp-1") == [state.activity(activity["id"])]


async def test_a_disposition_behind_a_queued_create_waits_for_it(start_extension: Any) -> None:
    async with start_extension() as extension:
        state = extension.pipedrive.state
        deal = state.add_deal("Big deal", person_id=extension.person_id)
        faults = extension.pipedrive.faults
        faults.add(503, body={"success": False}, times=None, method="POST", path="/api/v2/activities")
        created = await extension.create("disp-2")
        assert "automatically" in created["returnMessage"]["message"]
        queued = await _dispose(extension, "disp-2", deal["id"])
        assert queued["successful"] is False and "automatically" in queued["returnMessage"]["message"]
        assert await _dispose(extension, "disp-2", deal["id"]) == queued
        assert await _queued_jobs(extension) == 2  # the create, then the disposition behind it
        assert extension.activities_of("disp-2") == []
        faults.clear()
        assert (await extension.drained())["dead"] == 0
        [activity] = extension.activities_of("disp-2")
        assert activity["deal_id"] == deal["id"]
        paths = [(r.method, r.path) for r in extension.pipedrive.requests if r.path.startswith("/api/v2/act")]
        delivered_create = max(i for i, p in enumerate(paths) if p == ("POST", "/api/v2/activities"))
        disposition = paths.index(("PATCH", f"/api/v2/activities/{activity['id']}"))
        assert delivered_create < disposition  # it waited for the create
        assert paths.count(("PATCH", f"/api/v2/activities/{activity['id']}")) == 1
        assert (await extension.matched(["disp-2"]))["disp-2"] == str(activity["id"])
