"""The `appconnect` command as an operator runs it: a fresh directory, no configuration."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.processes import APPCONNECT, free_port, serving


def _clean_env(**extra: str) -> dict[str, str]:
    keep = {
        key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG", "SSL_CERT_FILE")
    }
    return {**keep, **extra}


def _run(command: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """A command run to its end in *cwd*, with only the operator's basic environment and *env*."""
    return subprocess.run(command, cwd=cwd, env=_clean_env(**env), capture_output=True, text=True, timeout=60)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str], Path]]:
    with serving(tmp_path, _clean_env()) as (url, process):
        yield url, process, tmp_path


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
    done = _run([*APPCONNECT, "serve", "--port", str(free_port())], tmp_path, IS_PROD="true", HASH_KEY="h")
    assert done.returncode == 2
    assert (
        done.stderr.strip().splitlines()[-1] == "error: APP_SERVER_SECRET_KEY must be set when IS_PROD=true"
    )
    assert not (tmp_path / "appconnect.db").exists()


def test_db_upgrade_version_and_help(tmp_path: Path) -> None:
    upgrade = _run([*APPCONNECT, "db", "upgrade"], tmp_path)
    assert upgrade.returncode == 0, upgrade.stderr
    assert "database is up to date" in upgrade.stdout and (tmp_path / "appconnect.db").exists()
    version = subprocess.run([*APPCONNECT, "version"], capture_output=True, text=True, timeout=30)
    assert version.returncode == 0 and version.stdout.strip()
    helped = subprocess.run([*APPCONNECT, "--help"], capture_output=True, text=True, timeout=30)
    assert "serve" in helped.stdout and "db" in helped.stdout


LAUNCH_PROBE = """
import gc, json, sys
import typer, uvicorn
from appconnect.__main__ import main

seen = {}
uvicorn.run = lambda target, **options: seen.update(serving=[gc.isenabled(), options.get("ws")])
echo = typer.echo
typer.echo = lambda *args, **kwargs: (seen.update(command=gc.isenabled()), echo(*args, **kwargs))
for argv in (["appconnect", "serve", "--port", sys.argv[1]], ["appconnect", "version"]):
    sys.argv = argv
    try:
        main()
    except SystemExit as exited:  # the command line ends with sys.exit, as a launch does
        assert exited.code in (0, None), exited.code
    seen["after " + argv[1]] = gc.isenabled()
print(json.dumps(seen))
"""


def test_a_launch_pauses_the_collector_only_until_it_serves(tmp_path: Path) -> None:
    """`appconnect serve` builds its long-lived heap with the cyclic collector paused; the served
    app resumes it (tests/unit/test_startup_gc.py), any other command runs with it, and so does the
    process once the command is done."""
    done = _run([sys.executable, "-c", LAUNCH_PROBE, str(free_port())], tmp_path)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {
        "serving": [False, "none"],  # paused up to the ASGI server, which serves no WebSocket
        "after serve": True,
        "command": True,
        "after version": True,
    }
    assert (tmp_path / "appconnect.db").exists()  # the launch went through its checks and migration
