"""The `appconnect` command as an operator runs it: a fresh directory, no configuration."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

APPCONNECT = [sys.executable, "-m", "appconnect"]


def _clean_env(**extra: str) -> dict[str, str]:
    keep = {
        key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG", "SSL_CERT_FILE")
    }
    return {**keep, **extra}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str], Path]]:
    port = _free_port()
    process = subprocess.Popen(
        [*APPCONNECT, "serve", "--port", str(port)],
        cwd=tmp_path,
        env=_clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{url}/isAlive", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None:
                raise AssertionError(process.stdout.read() if process.stdout else "server exited")
            time.sleep(0.1)
        yield url, process, tmp_path
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_serve_works_on_a_fresh_directory_with_no_configuration(
    served: tuple[str, subprocess.Popen[str], Path],
) -> None:
    url, _process, workdir = served
    assert httpx.get(f"{url}/isAlive").text == "OK"
    manifest = httpx.get(f"{url}/crmManifest", params={"platformName": "sample"}).json()
    assert manifest["platforms"]["sample"]["displayName"]
    login = httpx.post(f"{url}/apiKeyLogin", json={"platform": "sample", "apiKey": "any"})
    assert login.status_code == 200 and login.json()["jwtToken"]
    assert (workdir / "appconnect.db").exists()
    assert (workdir / ".appconnect" / "state.json").exists()  # generated development secrets


def test_production_mode_refuses_to_start_without_secrets(tmp_path: Path) -> None:
    done = subprocess.run(
        [*APPCONNECT, "serve", "--port", str(_free_port())],
        cwd=tmp_path,
        env=_clean_env(IS_PROD="true", HASH_KEY="h"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert (
        done.stderr.strip().splitlines()[-1] == "error: APP_SERVER_SECRET_KEY must be set when IS_PROD=true"
    )
    assert not (tmp_path / "appconnect.db").exists()


def test_db_upgrade_version_and_help(tmp_path: Path) -> None:
    upgrade = subprocess.run(
        [*APPCONNECT, "db", "upgrade"],
        cwd=tmp_path,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert upgrade.returncode == 0, upgrade.stderr
    assert "database is up to date" in upgrade.stdout and (tmp_path / "appconnect.db").exists()
    version = subprocess.run([*APPCONNECT, "version"], capture_output=True, text=True, timeout=30)
    assert version.returncode == 0 and version.stdout.strip()
    helped = subprocess.run([*APPCONNECT, "--help"], capture_output=True, text=True, timeout=30)
    assert "serve" in helped.stdout and "db" in helped.stdout
