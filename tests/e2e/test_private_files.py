"""What `appconnect serve` writes to disk is readable by its owner only."""

from __future__ import annotations

import stat
from pathlib import Path

import httpx

from tests.support.processes import operator_env, serving


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_fresh_serve_creates_its_files_0600_and_its_directory_0700(tmp_path: Path) -> None:
    workdir = tmp_path / "fresh"
    workdir.mkdir(mode=0o755)
    with serving(workdir, operator_env()) as (url, _process):
        login = httpx.post(f"{url}/apiKeyLogin", json={"platform": "sample", "apiKey": "any-key"})
        assert login.status_code == 200, login.text
        databases = sorted(workdir.glob("*.db*"))  # ours and the sample CRM's, with -wal/-shm
        names = {path.name for path in databases}
        assert {"appconnect.db", "appconnect-sample-crm.db"} <= names
        assert {"appconnect.db-wal", "appconnect-sample-crm.db-wal"} <= names  # WAL files while serving
        assert {path.name: _mode(path) for path in databases} == {name: 0o600 for name in names}
    assert _mode(workdir / ".appconnect") == 0o700
    assert _mode(workdir / ".appconnect" / "state.json") == 0o600
