"""Bodies over `APPCONNECT_MAX_BODY_BYTES` are refused with 413, without being read, and store nothing.

The server runs as `appconnect serve` in its own process, so its memory can be watched (psutil) while
100 MB bodies are sent at it over raw sockets, with and without a JWT, with a `Content-Length` and
chunked, on every route that takes a body from the extension.
"""

from __future__ import annotations

import json
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from tests.e2e.conftest import call_record
from tests.support.processes import operator_env, serving

MB = 1024 * 1024
LIMIT = 10 * MB  # the default
HUNDRED_MB = 100 * MB
PIECE = b"A" * MB
LIMIT_MESSAGE = f"Request body too large: the limit is {LIMIT} bytes"


@dataclass
class Server:
    url: str
    port: int
    pid: int
    workdir: Path
    jwt: str


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("body-limit")
    with serving(workdir, operator_env()) as (url, process):
        login = httpx.post(f"{url}/apiKeyLogin", json={"platform": "sample", "apiKey": "agent-key"})
        assert login.status_code == 200, login.text
        port = int(url.rsplit(":", 1)[1])
        yield Server(url=url, port=port, pid=process.pid, workdir=workdir, jwt=login.json()["jwtToken"])


@dataclass
class Sent:
    status: int
    headers: bytes
    body: bytes
    bytes_sent: int
    peak_rss_growth: int


class _RssWatch:
    """Samples a process's resident memory in the background; `growth` is peak minus start."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.start = self.peak = int(self.process.memory_info().rss)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, int(self.process.memory_info().rss))
            time.sleep(0.01)

    def __enter__(self) -> _RssWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        time.sleep(0.2)  # catch a late peak
        self._stop.set()
        self._thread.join(timeout=5)

    @property
    def growth(self) -> int:
        return self.peak - self.start


def _body_pieces(route: str, session_id: str, size: int) -> tuple[bytes, int, bytes]:
    """(prefix, filler bytes, suffix) of a valid JSON body of exactly `size` bytes for `route`."""
    if route == "PATCH /callLog":
        head: dict[str, Any] = {"sessionId": session_id, "recordingLink": "https://rec.example.com/1"}
    elif route == "POST /messageLog":
        head = {
            "logInfo": {"conversationId": f"c-{session_id}", "conversationLogId": f"cl-{session_id}"},
            "contactId": "1",
        }
    else:
        head = {"logInfo": call_record(session_id), "contactId": "1"}
    prefix = json.dumps(head)[:-1].encode() + b', "note": "'
    suffix = b'"}'
    return prefix, size - len(prefix) - len(suffix), suffix


def _send(server: Server, route: str, session_id: str, *, jwt: bool, chunked: bool) -> Sent:
    method, path = route.split(" ")
    prefix, filler, suffix = _body_pieces(route, session_id, HUNDRED_MB)
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    if jwt:
        head += f"Authorization: Bearer {server.jwt}\r\n"
    head += "Transfer-Encoding: chunked\r\n" if chunked else f"Content-Length: {HUNDRED_MB}\r\n"
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=60)
    sent = 0

    def frame(data: bytes) -> bytes:
        return b"%x\r\n%s\r\n" % (len(data), data) if chunked else data

    def send_body() -> None:
        nonlocal sent
        pieces = [prefix, *([PIECE] * (filler // MB)), b"A" * (filler % MB), suffix]
        try:
            for piece in pieces:
                sock.sendall(frame(piece))
                sent += len(piece)
            if chunked:
                sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server stopped reading and closed: what we want

    with _RssWatch(server.pid) as watch:
        sock.sendall(head.encode() + b"\r\n")
        sender = threading.Thread(target=send_body, daemon=True)
        sender.start()
        response = b""
        try:
            while b"\r\n\r\n" not in response or not response.rstrip().endswith(b"}"):
                data = sock.recv(65536)
                if not data:
                    break
                response += data
        except OSError:
            pass
        sender.join(timeout=120)
        sock.close()
    status_line, _, rest = response.partition(b"\r\n")
    headers, _, body = rest.partition(b"\r\n\r\n")
    return Sent(int(status_line.split(b" ")[1]), headers.lower(), body, sent, watch.growth)


ROUTES = ["POST /callLog", "PATCH /callLog", "POST /messageLog"]


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize("jwt", [False, True], ids=["no-jwt", "jwt"])
@pytest.mark.parametrize("route", ROUTES)
def test_a_100_mb_body_is_refused_with_413_unread_and_in_bounded_memory(
    server: Server, route: str, jwt: bool, chunked: bool
) -> None:
    session_id = f"big-{route.split()[0]}-{jwt}-{chunked}"
    sent = _send(server, route, session_id, jwt=jwt, chunked=chunked)
    if not jwt and chunked:
        # No length to refuse up front: the session is checked first, before any of the body is read.
        assert (sent.status, sent.body) == (400, b"Please go to Settings and authorize CRM platform")
    else:
        assert sent.status == 413
        assert json.loads(sent.body) == {"error": LIMIT_MESSAGE}
    assert b"connection: close" in sent.headers  # the server stops reading this connection
    # Not read to the end: a declared length is refused before any of the body is read; a chunked
    # body is read up to the limit only (what else the client managed to send sat in socket buffers).
    assert sent.bytes_sent < 3 * LIMIT
    assert sent.peak_rss_growth < 40 * MB, f"server RSS grew by {sent.peak_rss_growth / MB:.0f} MB"


def _counts(workdir: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    for database, tables in (
        ("appconnect.db", ("call_logs", "message_logs")),
        ("appconnect-sample-crm.db", ("sample_call_activities", "sample_message_logs")),
    ):
        with sqlite3.connect(workdir / database) as connection:
            for table in tables:
                counts[table] = connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    return counts


def test_an_oversized_body_stores_nothing(server: Server) -> None:
    before = _counts(server.workdir)
    for route in ROUTES:
        for chunked in (False, True):
            assert _send(server, route, f"stored-{chunked}", jwt=True, chunked=chunked).status == 413
    auth = {"Authorization": f"Bearer {server.jwt}"}
    logs = httpx.get(f"{server.url}/callLog", headers=auth, params={"sessionIds": "stored-False,stored-True"})
    assert [log["matched"] for log in logs.json()["logs"]] == [False, False]
    assert _counts(server.workdir) == before  # no linkage, no message, nothing in the CRM


def test_a_body_at_the_limit_is_still_accepted(server: Server) -> None:
    auth = {"Authorization": f"Bearer {server.jwt}"}
    prefix, filler, suffix = _body_pieces("POST /callLog", "at-limit", LIMIT)
    body = prefix + b"B" * filler + suffix
    assert len(body) == LIMIT
    answer = httpx.post(
        f"{server.url}/callLog",
        headers={**auth, "Content-Type": "application/json"},
        content=body,
        timeout=60,
    )
    assert answer.status_code == 200 and answer.json()["successful"] is True, answer.text[:300]
