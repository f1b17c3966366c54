"""Crash: `kill -9` of the server's process group with creates in flight and updates queued.

`appconnect serve` runs in a process group of its own against fake Pipedrive. Updates are queued
(Pipedrive answers 503 on existing activities), creates are in flight (Pipedrive is slow to make
the activity, and makes it even though the caller is gone), then the whole group is killed.
Restarted on the same database, the server's worker takes over the creates whose lease expired,
finds the activities they made instead of making them again, and delivers every queued update:
each call exactly once in Pipedrive, with its final data.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import TEST_HASH_KEY, TEST_SECRET
from tests.e2e.conftest import call_record
from tests.e2e.test_pipedrive_flows import oauth_login
from tests.fakes.pipedrive import FakePipedrive
from tests.fakes.pipedrive.fixtures import fake_pipedrive_fixture  # noqa: F401 - fixture
from tests.support.processes import APPCONNECT, free_port, operator_env


@contextlib.contextmanager
def server_group(
    env: dict[str, str], cwd: Path, output: list[str]
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`appconnect serve` as the leader of a new process group; killed (the group) on the way out."""
    port = free_port()
    process = subprocess.Popen(
        [*APPCONNECT, "serve", "--port", str(port)],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )

    def collect() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)

    threading.Thread(target=collect, daemon=True).start()
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/isAlive", timeout=1).status_code == 200:
                    break
            assert process.poll() is None, "".join(output)
            time.sleep(0.1)
        yield url, process
    finally:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def _record(session_id: str) -> dict[str, Any]:
    return call_record(session_id, customSubject=f"Call {session_id}")


async def _final(client: httpx.AsyncClient, auth: dict[str, str], session_id: str) -> dict[str, Any]:
    answer = await client.patch(
        "/callLog",
        headers=auth,
        json={
            "sessionId": session_id,
            "duration": 42,
            "result": "Call connected",
            "recordingLink": f"https://rec.example.com/{session_id}",
        },
    )
    body: dict[str, Any] = answer.json()
    return body


async def test_kill_9_mid_flight_then_restart_delivers_every_write_once(
    fake_pipedrive: FakePipedrive, database_url: str, tmp_path: Path
) -> None:
    state = fake_pipedrive.state
    person = state.add_person("Ann Example", "+1 (415) 555-0100")
    env = operator_env(
        DATABASE_URL=database_url,
        APP_SERVER_SECRET_KEY=TEST_SECRET,
        HASH_KEY=TEST_HASH_KEY,
        SSL_CERT_FILE=fake_pipedrive.ca_pem_path,
        APPCONNECT_STATE_FILE=str(tmp_path / "state.json"),
        APPCONNECT_CRM_TIMEOUT="5",
        APPCONNECT_OUTBOX_LEASE_SECONDS="3",
        APPCONNECT_OUTBOX_POLL_SECONDS="0.1",
        APPCONNECT_OUTBOX_BACKOFF_SECONDS="0.1",
        APPCONNECT_OUTBOX_MAX_BACKOFF_SECONDS="1",
        LOG_LEVEL="WARNING",
        **fake_pipedrive.environment(),
    )
    output: list[str] = []
    created = [f"done-{n}" for n in range(6)]
    in_flight = [f"flight-{n}" for n in range(6)]
    body = {"contactId": person["id"], "note": "Hi"}
    with server_group(env, tmp_path, output) as (url, process):
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            auth = await oauth_login(client, fake_pipedrive)
            for session_id in created:
                answer = await client.post(
                    "/callLog", headers=auth, json={"logInfo": _record(session_id), **body}
                )
                assert answer.json()["successful"] is True, answer.text
            fake_pipedrive.faults.add(503, times=None, path="/api/v2/activities/*")  # reads and updates fail
            for session_id in created:
                queued = await _final(client, auth, session_id)
                assert "automatically" in queued["returnMessage"]["message"], queued
            state.slow_create_seconds, state.slow_creates = 1.5, len(in_flight)
            flights = [
                asyncio.create_task(
                    client.post("/callLog", headers=auth, json={"logInfo": _record(session_id), **body})
                )
                for session_id in in_flight
            ]
            for _ in range(100):  # every create has reached Pipedrive and waits there
                if len(fake_pipedrive.requests_to("POST", "/api/v2/activities")) == len(created) + len(
                    in_flight
                ):
                    break
                await asyncio.sleep(0.05)
            os.killpg(process.pid, signal.SIGKILL)
            results = await asyncio.gather(*flights, return_exceptions=True)
            assert all(isinstance(result, httpx.TransportError) for result in results), results
    fake_pipedrive.faults.clear()
    await asyncio.sleep(1.6)  # Pipedrive finishes the creates nobody waits for any more
    assert len(state.activities) == len(created) + len(in_flight)
    with server_group(env, tmp_path, output) as (url, _process):
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            auth = await oauth_login(client, fake_pipedrive)
            for session_id in in_flight:  # the calls end; their creates are still owed
                await _final(client, auth, session_id)
            for _ in range(300):
                stats = (await client.get("/health/ready")).json()["outbox"]
                if stats["queued"] == 0:
                    break
                await asyncio.sleep(0.1)
            assert stats == {"queued": 0, "dead": 0, "oldestAgeSeconds": None}, "".join(output)
            logs = []
            for batch in (created[:5], created[5:] + in_flight[:4], in_flight[4:]):
                answer = await client.get("/callLog", params={"sessionIds": ",".join(batch)}, headers=auth)
                logs += answer.json()["logs"]
    by_subject: dict[str, list[dict[str, Any]]] = {}
    for activity in state.activities.values():
        by_subject.setdefault(activity["subject"], []).append(activity)
    assert len(state.activities) == len(created) + len(in_flight)  # 0 duplicates
    matched = {entry["sessionId"]: entry.get("logId") for entry in logs if entry["matched"]}
    for session_id in created + in_flight:
        [activity] = by_subject[f"Call {session_id}"]
        assert matched[session_id] == str(activity["id"])
        assert activity["duration"] == "00:01"
        assert f"https://rec.example.com/{session_id}" in activity["note"], activity["note"]
        assert "Call connected" in activity["note"]
