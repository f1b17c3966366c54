"""Nothing lost (issue 12): every CRM write the server accepts reaches Pipedrive once.

The real server on a real socket, fake Pipedrive over HTTPS with faults injected, and an
extension that never retries: after an outage (503, 429 with Retry-After, connections refused),
each call is in Pipedrive exactly once with its final duration and result and its recording link.
Creates whose outcome is unknown (slower than the CRM timeout while Pipedrive still makes the
activity) end with exactly one activity, with or without a client retry.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import struct
import subprocess
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import call_record
from tests.fakes.pipedrive import FAKE_REDIRECT_URI, FakePipedrive
from tests.fakes.pipedrive.fixtures import (  # noqa: F401 - fixtures
    PIPEDRIVE_USER_ID,
    fake_pipedrive_fixture,
    pipedrive_env_fixture,
)
from tests.support.processes import APPCONNECT, operator_env

ANN = "+14155550100"


class RefusingProxy:
    """A TCP forwarder in front of fake Pipedrive that can refuse connections (an outage in which
    no request reaches the CRM): while refusing, open connections are cut and every new one is
    reset before a byte is exchanged."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(128)
        self.port: int = self._listener.getsockname()[1]
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._refusing = False

    def start(self) -> RefusingProxy:
        threading.Thread(target=self._serve, daemon=True).start()
        return self

    def accept(self) -> None:
        self._refusing = False

    def refuse(self) -> None:
        self._refusing = True
        with self._lock:
            for connection in list(self._open):
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
            self._open.clear()

    def stop(self) -> None:
        self.refuse()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self._refusing:  # reset: the connection fails before anything is sent
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                client.close()
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
            with self._lock:
                self._open.discard(source)
            source.close()


@dataclass
class Extension:
    """An extension that never retries, logged in to the server."""

    client: httpx.AsyncClient
    auth: dict[str, str]
    pipedrive: FakePipedrive
    person_id: int

    async def create(self, session_id: str, **overrides: Any) -> dict[str, Any]:
        record = call_record(session_id, customSubject=f"Call {session_id}", **overrides)
        answer = await self.client.post(
            "/callLog", headers=self.auth, json={"logInfo": record, "contactId": self.person_id, "note": "Hi"}
        )
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    async def update(self, session_id: str, **fields: Any) -> dict[str, Any]:
        answer = await self.client.patch(
            "/callLog", headers=self.auth, json={"sessionId": session_id, **fields}
        )
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    async def lifecycle(self, session_id: str) -> list[dict[str, Any]]:
        """Create while ringing, the final duration and result, then the recording link."""
        return [
            await self.create(session_id),
            await self.update(session_id, duration=42, result="Call connected"),
            await self.update(session_id, recordingLink=f"https://rec.example.com/{session_id}"),
        ]

    async def drained(self, seconds: float = 60.0) -> dict[str, Any]:
        """Wait until the outbox has nothing queued; its stats from `/health/ready`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while True:
            stats: dict[str, Any] = (await self.client.get("/health/ready")).json()["outbox"]
            if stats["queued"] == 0:
                return stats
            assert loop.time() < deadline, f"the outbox did not drain: {stats}"
            await asyncio.sleep(0.1)

    def activities_of(self, session_id: str) -> list[dict[str, Any]]:
        with self.pipedrive.state.lock:
            return [
                dict(a)
                for a in self.pipedrive.state.activities.values()
                if a["subject"] == f"Call {session_id}"
            ]

    async def matched(self, session_ids: list[str]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for start in range(0, len(session_ids), 5):
            batch = ",".join(session_ids[start : start + 5])
            answer = await self.client.get("/callLog", params={"sessionIds": batch}, headers=self.auth)
            for entry in answer.json()["logs"]:
                found[entry["sessionId"]] = entry.get("logId") if entry["matched"] else None
        return found

    async def assert_each_call_logged_once(self, session_ids: list[str]) -> None:
        matched = await self.matched(session_ids)
        for session_id in session_ids:
            activities = self.activities_of(session_id)
            assert len(activities) == 1, (session_id, len(activities))
            [activity] = activities
            assert matched[session_id] == str(activity["id"]), session_id
            note = activity["note"]
            assert activity["duration"] == "00:01", session_id  # 42 s, in Pipedrive's HH:MM
            assert "Call connected" in note and "42" in note, (session_id, note)
            assert f"https://rec.example.com/{session_id}" in note, session_id


Start = Callable[..., Any]


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
            auth = await _login(client, pipedrive_env, hostname or pipedrive_env.hostname)
            yield Extension(client=client, auth=auth, pipedrive=pipedrive_env, person_id=int(person["id"]))

    return start


async def _login(client: httpx.AsyncClient, pipedrive: FakePipedrive, hostname: str) -> dict[str, str]:
    """The extension's OAuth login, naming the company host the server is to call."""
    code = pipedrive.state.authorize(PIPEDRIVE_USER_ID)
    params = {
        "callbackUri": f"{FAKE_REDIRECT_URI}?code={code}&state=platform%3Dpipedrive",
        "hostname": hostname,
    }
    answer = await client.get("/oauth-callback", params=params)
    assert answer.status_code == 200 and "jwtToken" in answer.json(), answer.text
    return {"Authorization": f"Bearer {answer.json()['jwtToken']}"}


async def _run_with_window(
    extension: Extension,
    count: int,
    *,
    begin: Callable[[], None],
    end: Callable[[], None],
    concurrency: int = 16,
) -> list[list[dict[str, Any]]]:
    """`count` lifecycles, `concurrency` at a time; the fault window covers the middle third."""
    session_ids = [f"soak-{n}" for n in range(count)]
    gate = asyncio.Semaphore(concurrency)
    started = 0

    async def one(session_id: str) -> list[dict[str, Any]]:
        nonlocal started
        async with gate:
            started += 1
            if started == count // 3:
                begin()
            if started == 2 * count // 3:
                end()
            return await extension.lifecycle(session_id)

    answers = await asyncio.gather(*(one(session_id) for session_id in session_ids))
    end()
    return answers


def _queued(answers: list[list[dict[str, Any]]]) -> int:
    return sum(
        1
        for steps in answers
        for answer in steps
        if answer["successful"] is False and "automatically" in answer["returnMessage"]["message"]
    )


async def test_a_503_window_in_the_middle_of_200_lifecycles_loses_nothing(start_extension: Any) -> None:
    async with start_extension() as extension:
        faults = extension.pipedrive.faults
        answers = await _run_with_window(
            extension,
            200,
            begin=lambda: faults.add(
                503, body={"success": False, "error": "down"}, times=None, path="/api/*"
            ),
            end=faults.clear,
        )
        assert _queued(answers) > 0  # the window did hit
        others = [
            a
            for steps in answers
            for a in steps
            if a["successful"] is False and "automatically" not in str(a)
        ]
        assert others == []  # never an error that invites logging the call again by hand
        stats = await extension.drained()
        assert stats["dead"] == 0
        await extension.assert_each_call_logged_once([f"soak-{n}" for n in range(200)])


async def test_a_429_window_with_retry_after_loses_nothing(start_extension: Any) -> None:
    async with start_extension() as extension:
        faults = extension.pipedrive.faults
        answers = await _run_with_window(
            extension,
            60,
            begin=lambda: faults.add(
                429, headers={"Retry-After": "1"}, body={"success": False}, times=None, path="/api/*"
            ),
            end=faults.clear,
            concurrency=8,
        )
        assert _queued(answers) > 0
        assert (await extension.drained())["dead"] == 0
        await extension.assert_each_call_logged_once([f"soak-{n}" for n in range(60)])


async def test_a_window_of_refused_connections_loses_nothing(
    start_extension: Any, pipedrive_env: FakePipedrive, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = RefusingProxy(pipedrive_env.server.port).start()
    monkeypatch.setenv("PIPEDRIVE_API_BASE_URL", f"https://localhost:{proxy.port}")  # the API via the proxy
    try:
        async with start_extension(hostname=f"localhost:{proxy.port}", crm_timeout_seconds=2.0) as extension:
            answers = await _run_with_window(
                extension, 60, begin=proxy.refuse, end=proxy.accept, concurrency=8
            )
            assert _queued(answers) > 0
            assert (await extension.drained())["dead"] == 0
            await extension.assert_each_call_logged_once([f"soak-{n}" for n in range(60)])
    finally:
        proxy.stop()


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
        assert (stats["queued"], stats["dead"]) == (2, 1)
        listed = _cli(settings, "list", "--json")
        jobs = [json.loads(line) for line in listed.stdout.splitlines()]
        assert [(job["kind"], job["state"], job["attempts"]) for job in jobs] == [
            ("call_log.create", "dead", 2),
            ("call_log.update", "queued", 0),
            ("call_log.update", "queued", 0),
        ]
        assert extension.activities_of("held-1") == []
        retried = _cli(settings, "retry", str(jobs[0]["id"]))
        assert retried.returncode == 0, retried.stderr
        assert (await extension.drained())["dead"] == 0
        await extension.assert_each_call_logged_once(["held-1"])  # final data and recording, once
        [activity] = extension.activities_of("held-1")
        assert len(extension.pipedrive.requests_to("PATCH", f"/api/v2/activities/{activity['id']}")) == 2


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
