"""Slow clients are cut off: headers and bodies that do not arrive in time close the connection.

`appconnect serve` runs in its own process with short deadlines (2 s for headers, 3 s for a body),
and raw sockets play the slow clients: one header line, or one body byte, every half second.
"""

from __future__ import annotations

import json
import select
import socket
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from appconnect.http_server import PROTOCOL_PATH
from tests.support.processes import operator_env, serving

HEADER_TIMEOUT = 2.0
BODY_TIMEOUT = 3.0
MARGIN = 3.0  # a shared 2-CPU machine: timers fire late, never early
TRICKLE_EVERY = 0.5


@dataclass
class Server:
    url: str
    port: int


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = operator_env(
        APPCONNECT_HEADER_TIMEOUT=str(HEADER_TIMEOUT), APPCONNECT_BODY_TIMEOUT=str(BODY_TIMEOUT)
    )
    with serving(tmp_path_factory.mktemp("slow-clients"), env) as (url, _process):
        yield Server(url=url, port=int(url.rsplit(":", 1)[1]))


def _connect(server: Server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=10)


@dataclass
class Trickled:
    closed: bool
    seconds: float
    received: bytes


def _trickle(sock: socket.socket, first: bytes, piece: bytes, give_up: float = 20.0) -> Trickled:
    """Send `first`, then `piece` every half second, until the server closes (or `give_up`)."""
    started = time.monotonic()
    received = b""
    sock.sendall(first)
    while time.monotonic() - started < give_up:
        readable, _, _ = select.select([sock], [], [], TRICKLE_EVERY)
        try:
            if readable:
                data = sock.recv(65536)
                if not data:
                    return Trickled(True, time.monotonic() - started, received)
                received += data
            else:
                sock.sendall(piece)
        except OSError:  # reset or broken pipe: closed as well
            return Trickled(True, time.monotonic() - started, received)
    return Trickled(False, time.monotonic() - started, received)


def _read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before a response: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed inside a response body"
        body += chunk
    return int(lines[0].split(" ")[1]), headers, body


def _login_request(body: bytes, *, length: int | None = None) -> bytes:
    head = (
        "POST /apiKeyLogin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body) if length is None else length}\r\n\r\n"
    )
    return head.encode() + body


LOGIN = json.dumps({"platform": "sample", "apiKey": "slow-client-key"}).encode()


def test_a_client_trickling_header_lines_is_cut_off(server: Server) -> None:
    with _connect(server) as sock:
        outcome = _trickle(sock, b"POST /apiKeyLogin HTTP/1.1\r\nHost: 127.0.0.1\r\n", b"X-Slow: 1\r\n")
    assert outcome.closed, f"still open after {outcome.seconds:.1f} s"
    assert HEADER_TIMEOUT - 0.5 <= outcome.seconds <= HEADER_TIMEOUT + MARGIN
    assert outcome.received.startswith(b"HTTP/1.1 408 ")


def test_a_connection_that_sends_nothing_is_cut_off(server: Server) -> None:
    with _connect(server) as sock:
        outcome = _trickle(sock, b"", b"")
    assert outcome.closed and outcome.seconds <= HEADER_TIMEOUT + MARGIN
    assert outcome.received.startswith(b"HTTP/1.1 408 ")


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_a_client_trickling_its_body_is_cut_off(server: Server, framing: str) -> None:
    if framing == "chunked":
        head = (
            b"POST /apiKeyLogin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        first, piece = head + b"1\r\n{\r\n", b"1\r\n \r\n"
    else:
        first, piece = _login_request(b"{", length=1000), b" "
    with _connect(server) as sock:
        outcome = _trickle(sock, first, piece)
    assert outcome.closed, f"still open after {outcome.seconds:.1f} s"
    assert BODY_TIMEOUT - 0.5 <= outcome.seconds <= BODY_TIMEOUT + MARGIN
    assert outcome.received.startswith(b"HTTP/1.1 408 ")
    assert b"did not arrive in time" in outcome.received


def test_normal_requests_on_a_kept_alive_connection_still_work(server: Server) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET /isAlive HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert _read_response(sock)[::2] == (200, b"OK")
        time.sleep(HEADER_TIMEOUT + 1)  # idle past the header deadline, within uvicorn's keep-alive (5 s)
        sock.sendall(_login_request(LOGIN))
        status, headers, body = _read_response(sock)
        assert status == 200 and json.loads(body)["jwtToken"], body
        assert headers.get("connection") != "close"
        # A request arriving in pieces, each well within the deadlines, is served too.
        request = _login_request(LOGIN)
        for start in range(0, len(request), 40):
            sock.sendall(request[start : start + 40])
            time.sleep(0.05)
        assert _read_response(sock)[0] == 200
        sock.sendall(b"GET /isAlive HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert _read_response(sock)[::2] == (200, b"OK")


def test_many_trickling_connections_are_closed_and_the_server_keeps_answering(server: Server) -> None:
    count = 200
    sockets = [_connect(server) for _ in range(count)]
    try:
        for index, sock in enumerate(sockets):
            if index % 2:  # half start a request line, half send nothing at all
                sock.sendall(b"GET /isAlive HTTP/1.1\r\n")
        open_sockets = set(sockets)
        started = time.monotonic()
        answered_meanwhile = False
        while open_sockets and time.monotonic() - started < HEADER_TIMEOUT + MARGIN + 2:
            if not answered_meanwhile and time.monotonic() - started > HEADER_TIMEOUT / 2:
                answered_meanwhile = httpx.get(f"{server.url}/isAlive", timeout=5).text == "OK"
            readable, _, _ = select.select(list(open_sockets), [], [], TRICKLE_EVERY)
            for sock in readable:
                try:
                    while sock.recv(65536):
                        pass
                except OSError:
                    pass
                open_sockets.discard(sock)
            for sock in list(open_sockets):
                try:
                    sock.sendall(b"X")
                except OSError:
                    open_sockets.discard(sock)
        assert not open_sockets, f"{len(open_sockets)} of {count} connections still open"
        assert answered_meanwhile
        assert httpx.get(f"{server.url}/isAlive", timeout=5).text == "OK"
    finally:
        for sock in sockets:
            sock.close()


def test_every_worker_process_applies_the_deadlines(tmp_path: Path) -> None:
    env = operator_env(APPCONNECT_HEADER_TIMEOUT=str(HEADER_TIMEOUT))
    with serving(tmp_path, env, "--workers", "2") as (url, _process):
        workers = Server(url=url, port=int(url.rsplit(":", 1)[1]))
        connections = [_connect(workers) for _ in range(4)]  # spread over the workers by the kernel
        outcomes = [_trickle(sock, b"GET /isAlive HTTP/1.1\r\n", b"X-Slow: 1\r\n") for sock in connections]
        for sock in connections:
            sock.close()
    assert all(outcome.closed and outcome.received.startswith(b"HTTP/1.1 408 ") for outcome in outcomes)
    assert all(outcome.seconds <= HEADER_TIMEOUT + MARGIN for outcome in outcomes)


def test_another_asgi_server_gets_the_deadlines_from_the_protocol_option(tmp_path: Path) -> None:
    """Run under plain uvicorn (not `appconnect serve`), the app has the deadlines when uvicorn is
    given the protocol, as the README's production checklist says."""
    env = operator_env(
        APPCONNECT_HEADER_TIMEOUT=str(HEADER_TIMEOUT), DATABASE_URL=f"sqlite:///{tmp_path}/app.db"
    )
    uvicorn = [sys.executable, "-m", "uvicorn", "appconnect.asgi:app", "--http", PROTOCOL_PATH]
    with serving(tmp_path, env, command=uvicorn) as (url, _process):
        plain = Server(url=url, port=int(url.rsplit(":", 1)[1]))
        with _connect(plain) as sock:
            outcome = _trickle(sock, b"GET /isAlive HTTP/1.1\r\n", b"X-Slow: 1\r\n")
    assert outcome.closed and outcome.received.startswith(b"HTTP/1.1 408 ")
    assert outcome.seconds <= HEADER_TIMEOUT + MARGIN
