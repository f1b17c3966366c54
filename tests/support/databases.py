"""Test databases: a fresh SQLite file per test, or a fresh PostgreSQL database per test.

Set `APPCONNECT_TEST_DATABASE_URL` to a PostgreSQL server URL (e.g.
`postgresql://postgres@127.0.0.1:5432/postgres`) to run the storage and e2e tests there; `.ci/run`
does so when a server answers on 127.0.0.1:5432.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

POSTGRES_ENV = "APPCONNECT_TEST_DATABASE_URL"


def postgres_server_url() -> str | None:
    url = os.environ.get(POSTGRES_ENV, "")
    return url if url.startswith(("postgres://", "postgresql")) else None


@contextmanager
def fresh_database_url(tmp_path: Path) -> Iterator[str]:
    """A database URL nobody else uses; dropped afterwards (PostgreSQL) or left in tmp (SQLite)."""
    server = postgres_server_url()
    if server is None:
        yield f"sqlite:///{tmp_path / 'appconnect.db'}"
        return
    import psycopg

    base = make_url(server.replace("postgres://", "postgresql://", 1)).set(drivername="postgresql")
    name = f"appconnect_t_{uuid.uuid4().hex[:12]}"
    admin_dsn = base.set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
