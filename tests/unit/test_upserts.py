"""Upserts per dialect: their own ON CONFLICT, built once, and PostgreSQL's never loaded on SQLite."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.sqlite.base import SQLiteDialect
from sqlalchemy.engine import Dialect

from appconnect.store.upserts import PerDialect, dialect_insert

_ROWS = Table("rows", MetaData(), Column("id", Integer, primary_key=True), Column("name", String))


def _upsert(insert: Any) -> Any:
    statement = insert(_ROWS).values(id=1, name="a")
    return statement.on_conflict_do_update(index_elements=["id"], set_={"name": statement.excluded.name})


@pytest.mark.parametrize(
    ("backend", "dialect"), [("postgresql", postgresql.base.PGDialect), ("sqlite", SQLiteDialect)]
)
def test_each_backend_gets_its_own_on_conflict(backend: str, dialect: type[Dialect]) -> None:
    sql = str(_upsert(dialect_insert(backend)).compile(dialect=dialect()))

    assert "ON CONFLICT (id) DO UPDATE SET name = excluded.name" in sql


def test_an_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="no upsert for the 'mysql' backend"):
        dialect_insert("mysql")


def test_a_statement_is_built_once_per_backend_on_first_use() -> None:
    built: list[Any] = []

    def build(insert: Any) -> Any:
        built.append(insert)
        return _upsert(insert)

    statements = PerDialect(build)
    assert built == []
    first = statements["sqlite"]

    assert statements["sqlite"] is first
    assert statements["postgresql"] is not first
    assert built == [dialect_insert("sqlite"), dialect_insert("postgresql")]


PROBE = """
import json, sys
from appconnect.config import load_settings
from appconnect.app import create_app
create_app(load_settings())
print(json.dumps(sorted(name for name in sys.modules if name.startswith("sqlalchemy.dialects.postgresql"))))
"""


def test_a_server_on_sqlite_never_loads_the_postgresql_dialect(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
