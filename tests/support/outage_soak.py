"""The outage soak (issue 12), shared by the e2e tests and `benchmarks/outage_soak.py`.

An extension that never retries runs call lifecycles against the server (create while ringing,
the final duration and result, the recording link), `concurrency` at a time, while fake Pipedrive
has an outage for the middle third of them: it answers 503, or 429 with `Retry-After`, or (behind
`RefusingProxy`) refuses every connection. `soak` then waits for the outbox to drain and tallies
what Pipedrive holds: every call exactly once, with its final data and its recording link.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.e2e.conftest import call_record
from tests.fakes.pipedrive import FAKE_REDIRECT_URI, FakePipedrive

PIPEDRIVE_USER_ID = 1234  # tests.fakes.pipedrive.fixtures seeds this user
FAULTS = ("503", "429", "refused")


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

    async def outbox(self) -> dict[str, Any]:
        stats: dict[str, Any] = (await self.client.get("/health/ready")).json()["outbox"]
        return stats

    async def drained(self, seconds: float = 60.0) -> dict[str, Any]:
        """Wait until the outbox has nothing queued; its stats from `/health/ready`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while True:
            stats = await self.outbox()
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

    def activities_by_subject(self) -> dict[str, list[dict[str, Any]]]:
        by_subject: dict[str, list[dict[str, Any]]] = {}
        with self.pipedrive.state.lock:
            for activity in self.pipedrive.state.activities.values():
                by_subject.setdefault(activity["subject"], []).append(dict(activity))
        return by_subject

    async def matched(self, session_ids: list[str]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for start in range(0, len(session_ids), 5):
            batch = ",".join(session_ids[start : start + 5])
            answer = await self.client.get("/callLog", params={"sessionIds": batch}, headers=self.auth)
            for entry in answer.json()["logs"]:
                found[entry["sessionId"]] = entry.get("logId") if entry["matched"] else None
        return found

    async def assert_each_call_logged_once(self, session_ids: list[str]) -> None:
        tally = await self.tally(session_ids)
        assert tally.problems() == {}, tally.problems()

    async def tally(self, session_ids: list[str]) -> Tally:
        """What Pipedrive holds for these calls, against what each lifecycle sent."""
        matched = await self.matched(session_ids)
        by_subject = self.activities_by_subject()
        tally = Tally(calls=len(session_ids))
        for session_id in session_ids:
            activities = by_subject.get(f"Call {session_id}", [])
            if not activities:
                tally.never_logged.append(session_id)
                continue
            if len(activities) > 1:
                tally.duplicated.append(session_id)
            activity = activities[0]
            if matched.get(session_id) not in {str(a["id"]) for a in activities}:
                tally.not_matched.append(session_id)
            note = activity["note"]
            # 42 s, in Pipedrive's HH:MM, and the result line of the composed note
            if activity["duration"] != "00:01" or "Call connected" not in note or "42" not in note:
                tally.lost_final.append(session_id)
            if f"https://rec.example.com/{session_id}" not in note:
                tally.lost_recording.append(session_id)
        return tally


@dataclass
class Tally:
    """Per call: in Pipedrive exactly once, matched by `GET /callLog`, final data, recording."""

    calls: int
    never_logged: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    not_matched: list[str] = field(default_factory=list)
    lost_final: list[str] = field(default_factory=list)
    lost_recording: list[str] = field(default_factory=list)

    @property
    def logged_once(self) -> int:
        return self.calls - len(self.never_logged) - len(self.duplicated)

    def problems(self) -> dict[str, list[str]]:
        """Each kind of loss or duplicate with the calls it hit (empty: nothing lost)."""
        kinds = {
            "never logged": self.never_logged,
            "duplicated": self.duplicated,
            "not matched by GET /callLog": self.not_matched,
            "final duration/result lost": self.lost_final,
            "recording link lost": self.lost_recording,
        }
        return {kind: calls[:10] for kind, calls in kinds.items() if calls}


@dataclass(frozen=True)
class Outage:
    """How fake Pipedrive fails during the window, and how it recovers."""

    fault: str
    begin: Callable[[], None]
    end: Callable[[], None]


def outage(fault: str, pipedrive: FakePipedrive, proxy: RefusingProxy | None = None) -> Outage:
    """`503`, `429` (with `Retry-After: 1`) or `refused` (needs the server to call Pipedrive through
    `proxy`) on every API path of fake Pipedrive while the window lasts."""
    faults = pipedrive.faults
    if fault == "503":
        body = {"success": False, "error": "down"}
        return Outage(fault, lambda: faults.add(503, body=body, times=None, path="/api/*"), faults.clear)
    if fault == "429":
        return Outage(
            fault,
            lambda: faults.add(
                429, headers={"Retry-After": "1"}, body={"success": False}, times=None, path="/api/*"
            ),
            faults.clear,
        )
    if fault == "refused" and proxy is not None:
        return Outage(fault, proxy.refuse, proxy.accept)
    raise ValueError(f"no outage {fault!r} (one of {', '.join(FAULTS)}; refused needs a proxy)")


@dataclass
class SoakReport:
    """A soak's answers and outcome."""

    fault: str
    lifecycles: int
    answers: list[list[dict[str, Any]]]
    tally: Tally
    outbox: dict[str, Any]
    run_seconds: float
    drain_seconds: float

    @property
    def queued_answers(self) -> int:
        """Answers telling the extension its write is queued (the window did hit)."""
        return sum(1 for steps in self.answers for answer in steps if _queued(answer))

    @property
    def other_failures(self) -> list[dict[str, Any]]:
        """Any failed answer other than queued (one that would invite logging the call by hand)."""
        return [a for steps in self.answers for a in steps if a["successful"] is False and not _queued(a)]

    def lines(self) -> list[str]:
        tally = self.tally
        return [
            f"outage soak: {self.lifecycles} lifecycles, fault {self.fault} for the middle third",
            f"answers queued (successful false, 'written automatically'): {self.queued_answers}",
            f"other failed answers: {len(self.other_failures)}",
            f"calls logged exactly once: {tally.logged_once}/{tally.calls}",
            f"calls never logged: {len(tally.never_logged)}",
            f"duplicate activities (calls): {len(tally.duplicated)}",
            f"lost final duration/result: {len(tally.lost_final)}",
            f"lost recording links: {len(tally.lost_recording)}",
            f"not matched by GET /callLog: {len(tally.not_matched)}",
            f"dead jobs: {self.outbox.get('dead')}",
            f"lifecycles ran in: {self.run_seconds:.1f} s",
            f"time to drain after the last answer: {self.drain_seconds:.1f} s",
        ]


def _queued(answer: dict[str, Any]) -> bool:
    message = answer.get("returnMessage") or {}
    return answer["successful"] is False and "automatically" in str(message.get("message", ""))


async def soak(
    extension: Extension,
    lifecycles: int,
    window: Outage,
    *,
    concurrency: int = 16,
    drain_seconds: float = 60.0,
    burst_limit: int | None = None,
) -> SoakReport:
    """Run `lifecycles` (`concurrency` at a time), the outage covering the middle third; wait for
    the outbox to drain (at most `drain_seconds`); tally what Pipedrive holds.

    `burst_limit`: fake Pipedrive's requests per 2 s (Pipedrive's own is 80, the fake's default;
    each lifecycle costs about eight requests, so at 80 a soak's length is set by that limit).
    """
    if burst_limit is not None:
        with extension.pipedrive.state.lock:
            extension.pipedrive.state.rate_limit.limit = burst_limit
    session_ids = [f"soak-{n}" for n in range(lifecycles)]
    gate = asyncio.Semaphore(concurrency)
    started = 0

    async def one(session_id: str) -> list[dict[str, Any]]:
        nonlocal started
        async with gate:
            started += 1
            if started == lifecycles // 3:
                window.begin()
            if started == 2 * lifecycles // 3:
                window.end()
            return await extension.lifecycle(session_id)

    began = time.monotonic()
    try:
        answers = await asyncio.gather(*(one(session_id) for session_id in session_ids))
    finally:
        window.end()
    ran = time.monotonic()
    stats = await extension.drained(drain_seconds)
    drained = time.monotonic()
    return SoakReport(
        fault=window.fault,
        lifecycles=lifecycles,
        answers=list(answers),
        tally=await extension.tally(session_ids),
        outbox=stats,
        run_seconds=ran - began,
        drain_seconds=drained - ran,
    )


async def login(client: httpx.AsyncClient, pipedrive: FakePipedrive, hostname: str) -> dict[str, str]:
    """The extension's OAuth login, naming the company host the server is to call."""
    code = pipedrive.state.authorize(PIPEDRIVE_USER_ID)
    params = {
        "callbackUri": f"{FAKE_REDIRECT_URI}?code={code}&state=platform%3Dpipedrive",
        "hostname": hostname,
    }
    answer = await client.get("/oauth-callback", params=params)
    assert answer.status_code == 200 and "jwtToken" in answer.json(), answer.text
    return {"Authorization": f"Bearer {answer.json()['jwtToken']}"}
