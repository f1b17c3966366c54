"""`appconnect serve` and `appconnect db upgrade` against a database that is not ours, and with
`DATABASE_SSL` / `sslmode`: one line, exit status 2, nothing written to the database.

The real command runs in a fresh directory, as an operator would. The database is a real SQLite
file, or a fresh PostgreSQL database when APPCONNECT_TEST_DATABASE_URL is set; the TLS cases need
the local PostgreSQL (which runs without TLS, so a required TLS connection must fail there).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from appconnect.store.db import sync_url
from tests.support.databases import postgres_server_url
from tests.support.processes import APPCONNECT, free_port, operator_env
from tests.support.reference_schema import REFERENCE_DDL, REFERENCE_TABLES

SECRETS = {"APP_SERVER_SECRET_KEY": "s" * 40, "HASH_KEY": "h" * 20}


def _run(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*APPCONNECT, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def _one_line(done: subprocess.CompletedProcess[str], *expected: str) -> str:
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr + done.stdout
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    for fragment in expected:
        assert fragment in lines[0], lines[0]
    return lines[0]


def _tables(url: str) -> list[str]:
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as connection:
            return sorted(inspect(connection).get_table_names())
    finally:
        engine.dispose()


def test_serve_and_db_upgrade_refuse_a_reference_database_in_one_line(
    database_url: str, tmp_path: Path
) -> None:
    engine = create_engine(sync_url(database_url))
    with engine.begin() as connection:
        for statement in REFERENCE_DDL:
            connection.execute(text(statement))
    engine.dispose()
    env = operator_env(DATABASE_URL=database_url, DATABASE_SSL="false", **SECRETS)

    serve = _run(tmp_path, env, "serve", "--port", str(free_port()))
    line = _one_line(serve, "error: DATABASE_URL holds tables that appconnect did not create (")
    assert "appconnect import-reference --from" in line
    upgrade = _run(tmp_path, env, "db", "upgrade")
    assert _one_line(upgrade) == line
    assert _tables(database_url) == sorted(REFERENCE_TABLES)  # not even alembic_version


needs_postgres = pytest.mark.skipif(postgres_server_url() is None, reason="needs the local PostgreSQL")


@needs_postgres
@pytest.mark.parametrize(
    "setting",
    [{"DATABASE_SSL": "true"}, {"DATABASE_SSL": " Yes "}, {"URL": "?sslmode=require"}],
    ids=["DATABASE_SSL=true", "DATABASE_SSL=yes", "sslmode=require"],
)
def test_required_tls_reaches_the_driver(database_url: str, tmp_path: Path, setting: dict[str, str]) -> None:
    url = database_url + setting.pop("URL", "")
    env = operator_env(DATABASE_URL=url, **setting, **SECRETS)
    done = _run(tmp_path, env, "db", "upgrade")
    _one_line(done, "error: DATABASE_URL: cannot migrate postgresql://", "SSL")
    assert _tables(database_url) == []


@needs_postgres
def test_a_local_server_without_tls_is_used_without_it(database_url: str, tmp_path: Path) -> None:
    for env in ({}, {"DATABASE_SSL": "0"}):
        done = _run(tmp_path, operator_env(DATABASE_URL=database_url, **env, **SECRETS), "db", "upgrade")
        assert done.returncode == 0, done.stderr
        assert "database is up to date" in done.stdout
    assert "alembic_version" in _tables(database_url)


def test_an_invalid_database_ssl_stops_start_up_in_one_line(tmp_path: Path) -> None:
    done = _run(tmp_path, operator_env(DATABASE_SSL="maybe", **SECRETS), "serve", "--port", str(free_port()))
    _one_line(done, "error: DATABASE_SSL: 'maybe' is invalid: must be true or false when set")
    assert list(tmp_path.iterdir()) == []
