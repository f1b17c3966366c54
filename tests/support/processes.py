"""`appconnect serve` in a process of its own, as an operator runs it (CLI and multi-worker tests)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

APPCONNECT = [sys.executable, "-m", "appconnect"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(
    cwd: Path, env: Mapping[str, str], *extra_args: str
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """Start `appconnect serve` on a free port, wait until `/isAlive` answers, stop it afterwards."""
    port = free_port()
    process = subprocess.Popen(
        [*APPCONNECT, "serve", "--port", str(port), *extra_args],
        cwd=cwd,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{url}/isAlive", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None:
                raise AssertionError(process.stdout.read() if process.stdout else "server exited")
            time.sleep(0.1)
        else:
            raise AssertionError("the server did not answer /isAlive in time")
        yield url, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
