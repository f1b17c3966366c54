"""`appconnect serve` in a process of its own, as an operator runs it (CLI and multi-worker tests)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

APPCONNECT = [sys.executable, "-m", "appconnect"]


def operator_env(**extra: str) -> dict[str, str]:
    """A minimal environment, as on a fresh machine, plus `extra` (no settings leak in from ours)."""
    keep = ("PATH", "HOME", "LANG", "SSL_CERT_FILE", "PYTHONPATH")
    return {**{key: value for key, value in os.environ.items() if key in keep}, **extra}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(
    cwd: Path,
    env: Mapping[str, str],
    *extra_args: str,
    output: list[str] | None = None,
    command: Sequence[str] = (*APPCONNECT, "serve"),
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """Start `appconnect serve` (or `command`, which takes `--port`) on a free port, wait until
    `/isAlive` answers, stop it afterwards.

    The server's output (stdout and stderr) is read all along, so a chatty server never blocks on a
    full pipe; pass `output` to receive its lines (complete once the block has exited).
    """
    port = free_port()
    process = subprocess.Popen(
        [*command, "--port", str(port), *extra_args],
        cwd=cwd,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = output if output is not None else []
    reader = threading.Thread(target=_collect, args=(process, lines), daemon=True)
    reader.start()
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{url}/isAlive", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None:
                reader.join(timeout=10)
                raise AssertionError("".join(lines) or "server exited")
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
        reader.join(timeout=10)


def _collect(process: subprocess.Popen[str], lines: list[str]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)
