"""Start-up mistakes stop `appconnect serve` with one line naming the setting, and exit status 2.

Each case runs the real command in a fresh directory, as an operator would, and asserts the whole
of stderr: exactly one line, `error: ...` naming the variable, no traceback (unless
`LOG_LEVEL=DEBUG`), and nothing written before the mistake was found. The connectors below are
loaded by the child processes through `APPCONNECT_EXTRA_CONNECTORS`.
"""

from __future__ import annotations

import multiprocessing
import os
import socket
import subprocess
import sys
from pathlib import Path
from types import MappingProxyType
from typing import ClassVar

import pytest

from appconnect.connectors import BaseConnector, CreateCallLogInput, UpdateCallLogInput
from appconnect.connectors.types import CreateCallLogResult, UpdateCallLogResult
from tests.support.processes import APPCONNECT, free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
SECRETS = {"APP_SERVER_SECRET_KEY": "s" * 40, "HASH_KEY": "h" * 20}


class _Crm(BaseConnector):
    name = "startcrm"
    manifest = MappingProxyType({"name": "startcrm", "auth": {"type": "apiKey"}})

    async def create_call_log(self, call: CreateCallLogInput, /) -> CreateCallLogResult:
        return CreateCallLogResult(log_id="1")

    async def update_call_log(self, call: UpdateCallLogInput, /) -> UpdateCallLogResult:
        return UpdateCallLogResult()


class CannotStart(_Crm):
    async def startup(self) -> None:
        raise RuntimeError("STARTCRM_TOKEN_FILE /nowhere/token does not exist")


class FailsInAWorker(_Crm):
    """Starts in `serve`'s own checks, fails in a uvicorn worker process (a database gone meanwhile)."""

    async def startup(self) -> None:
        if multiprocessing.parent_process() is not None:
            raise RuntimeError("STARTCRM_URL stopped answering")


class FailsTheSecondTime(_Crm):
    """Starts in `serve`'s own checks, fails when uvicorn's lifespan starts it in the same process."""

    starts: ClassVar[int] = 0

    async def startup(self) -> None:
        type(self).starts += 1
        if type(self).starts > 1:
            raise RuntimeError("STARTCRM_URL stopped answering")


def cannot_start() -> CannotStart:
    return CannotStart()


def fails_in_a_worker() -> FailsInAWorker:
    return FailsInAWorker()


def fails_the_second_time() -> FailsTheSecondTime:
    return FailsTheSecondTime()


def _env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG")}
    env["PYTHONPATH"] = str(REPO_ROOT)
    env.update(extra)
    return env


def _run(
    cwd: Path, env: dict[str, str], *args: str, command: list[str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*(command or [*APPCONNECT, "serve"]), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _assert_one_line(done: subprocess.CompletedProcess[str], *expected: str) -> str:
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr + done.stdout
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    line = lines[0]
    assert line.startswith("error: "), line
    for text in expected:
        assert text in line, line
    return line


def _broken_plugin(root: Path) -> Path:
    """An installed-looking connector package (a dist-info with an entry point on PYTHONPATH) whose
    manifest.json is not valid JSON."""
    package = root / "brokenmanifest_connector"
    package.mkdir(parents=True)
    (package / "manifest.json").write_text('{"name": "brokenmanifest",', encoding="utf-8")
    (package / "__init__.py").write_text(
        "import json, pathlib\n"
        "MANIFEST = json.loads((pathlib.Path(__file__).parent / 'manifest.json').read_text())\n"
        "def create_connector(context):\n    raise AssertionError('never reached')\n",
        encoding="utf-8",
    )
    info = root / "appconnect_brokenmanifest-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: appconnect-brokenmanifest\nVersion: 0.1.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        "[appconnect.connectors]\nbrokenmanifest = brokenmanifest_connector:create_connector\n",
        encoding="utf-8",
    )
    return root


CASES: dict[str, tuple[dict[str, str], tuple[str, ...]]] = {
    "unsupported database": ({"DATABASE_URL": "mysql://db/x"}, ("DATABASE_URL", "unsupported database")),
    "malformed database url": (
        {"DATABASE_URL": "postgresql://u@host:notaport/db"},
        ("DATABASE_URL is not a valid database URL",),
    ),
    "bad extra connector module": (
        {"APPCONNECT_EXTRA_CONNECTORS": "tests.e2e.no_such_module:factory"},
        ("APPCONNECT_EXTRA_CONNECTORS", "tests.e2e.no_such_module:factory", "No module named"),
    ),
    "bad extra connector syntax": (
        {"APPCONNECT_EXTRA_CONNECTORS": "tests.e2e.test_startup_errors"},
        ("APPCONNECT_EXTRA_CONNECTORS", "'module:factory'"),
    ),
    "port not a number": ({"PORT": "abc"}, ("PORT: 'abc' is not a whole number",)),
    "port out of range": ({"PORT": "70000"}, ("PORT: 70000 is not a port number",)),
    "is_prod not a boolean": ({"IS_PROD": "maybe"}, ("IS_PROD: 'maybe' is not a boolean",)),
    "unknown log level": ({"LOG_LEVEL": "LOUD"}, ("LOG_LEVEL: 'LOUD'", "DEBUG, INFO, WARN")),
    "unknown connector name": (
        {"APPCONNECT_CONNECTORS": "sample,nosuchcrm"},
        ("APPCONNECT_CONNECTORS: no connector named 'nosuchcrm'", "installed: clio, pipedrive, sample"),
    ),
    "a connector that cannot start": (
        {"APPCONNECT_EXTRA_CONNECTORS": "tests.e2e.test_startup_errors:cannot_start"},
        ("connector 'startcrm' could not start", "STARTCRM_TOKEN_FILE"),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_configuration_mistake_is_one_line_and_exit_status_2(case: str, tmp_path: Path) -> None:
    env, expected = CASES[case]
    done = _run(tmp_path, _env(**env), *([] if "PORT" in env else ["--port", str(free_port())]))
    _assert_one_line(done, *expected)
    written = {path.name for path in tmp_path.iterdir()}
    if case == "a connector that cannot start":  # the sample CRM, started before it, made its database
        written.discard("appconnect-sample-crm.db")
    assert written == set()  # found before anything was written: no database, no secrets


def test_a_missing_sqlite_directory_is_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "data" / "appconnect.db"
    for variable in ("DATABASE_URL", "SAMPLE_CRM_DATABASE_URL"):
        done = _run(tmp_path, _env(**{variable: f"sqlite:///{missing}"}), "--port", str(free_port()))
        _assert_one_line(done, f"{variable}: the directory {missing.parent}", "does not exist")
    assert list(tmp_path.iterdir()) == []


def test_an_unreachable_database_is_one_line_without_its_password(tmp_path: Path) -> None:
    url = f"postgresql://appconnect:hunter2secret@127.0.0.1:{free_port()}/appconnect"
    done = _run(tmp_path, _env(DATABASE_URL=url), "--port", str(free_port()))
    line = _assert_one_line(done, "DATABASE_URL: cannot connect to postgresql://appconnect:***@127.0.0.1")
    assert "hunter2secret" not in line
    assert list(tmp_path.iterdir()) == []


def test_a_taken_port_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = _run(tmp_path, _env(), "--port", str(port))
    _assert_one_line(done, f"PORT: cannot listen on 127.0.0.1:{port}")


def test_an_installed_connector_whose_manifest_does_not_load_stops_start_up(tmp_path: Path) -> None:
    plugins = _broken_plugin(tmp_path / "plugins")
    workdir = tmp_path / "work"
    workdir.mkdir()
    env = _env(PYTHONPATH=os.pathsep.join([str(plugins), str(REPO_ROOT)]))
    done = _run(workdir, env, "--port", str(free_port()))
    _assert_one_line(done, "connector 'brokenmanifest'", "could not be loaded", "APPCONNECT_CONNECTORS")
    # Leaving it out is the way past it.
    named = _run(workdir, {**env, "APPCONNECT_CONNECTORS": "brokenmanifest"}, "--port", str(free_port()))
    _assert_one_line(named, "connector 'brokenmanifest'", "could not be loaded")
    assert list(workdir.iterdir()) == []


def test_debug_shows_the_traceback_too(tmp_path: Path) -> None:
    done = _run(
        tmp_path,
        _env(LOG_LEVEL="DEBUG", APPCONNECT_EXTRA_CONNECTORS="tests.e2e.no_such_module:factory"),
        "--port",
        str(free_port()),
    )
    assert done.returncode == 2
    assert "Traceback (most recent call last)" in done.stderr
    assert done.stderr.splitlines()[-1].startswith("error: APPCONNECT_EXTRA_CONNECTORS: ")


def test_a_lifespan_failure_inside_uvicorn_is_one_line(tmp_path: Path) -> None:
    """Past `serve`'s own checks: the connector fails when uvicorn's lifespan starts it."""
    env = _env(
        APPCONNECT_EXTRA_CONNECTORS="tests.e2e.test_startup_errors:fails_the_second_time",
        APPCONNECT_AUTO_MIGRATE="false",
        **SECRETS,
    )
    done = _run(tmp_path, env, "--port", str(free_port()))
    _assert_one_line(done, "connector 'startcrm' could not start: STARTCRM_URL stopped answering")


def test_a_worker_that_cannot_start_stops_serve_with_status_2(tmp_path: Path) -> None:
    env = _env(APPCONNECT_EXTRA_CONNECTORS="tests.e2e.test_startup_errors:fails_in_a_worker", **SECRETS)
    done = _run(tmp_path, env, "--port", str(free_port()), "--workers", "2")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert errors and set(errors) == {
        "error: connector 'startcrm' could not start: STARTCRM_URL stopped answering"
    }


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {"APPCONNECT_EXTRA_CONNECTORS": "tests.e2e.no_such_module:factory"},
            "APPCONNECT_EXTRA_CONNECTORS: ",
        ),
        (
            {"APPCONNECT_EXTRA_CONNECTORS": "tests.e2e.test_startup_errors:cannot_start", **SECRETS},
            "connector 'startcrm' could not start",
        ),
        ({"PORT": "abc"}, "PORT: 'abc' is not a whole number"),
    ],
)
def test_uvicorn_run_directly_on_the_asgi_app_also_fails_in_one_line(
    env: dict[str, str], expected: str, tmp_path: Path
) -> None:
    uvicorn = [sys.executable, "-m", "uvicorn", "appconnect.asgi:app"]
    done = _run(
        tmp_path, _env(APPCONNECT_AUTO_MIGRATE="false", **env), "--port", str(free_port()), command=uvicorn
    )
    _assert_one_line(done, expected)
