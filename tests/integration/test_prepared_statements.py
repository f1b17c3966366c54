"""Prepared statements (`store/prepared.py`) give what SQLAlchemy's own execution gives, on the real
database: the same rows and types, the same exceptions with parameters hidden, connections back in
the pool, and nothing a statement needs silently dropped. A SQLite file, or PostgreSQL when
APPCONNECT_TEST_DATABASE_URL is set."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    event,
    exc,
    func,
    insert,
    select,
    update,
)

from appconnect.store.db import Database
from appconnect.store.prepared import Bound, Prepared

_METADATA = MetaData()
_THINGS = Table(
    "prepared_things",
    _METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("payload", JSON),
    Column("flag", Boolean),
    Column("seen_at", DateTime(timezone=True)),
    Column("kind", String(16), default="plain"),  # a Python-side default
    Column("created_at", DateTime(timezone=True), server_default=func.now()),
)
_T = _THINGS.c

_ADD = Prepared(
    insert(_THINGS)
    .values(
        name=bindparam("name"),
        payload=bindparam("payload", type_=_T.payload.type),
        flag=bindparam("flag", type_=_T.flag.type),
        seen_at=bindparam("seen_at", type_=_T.seen_at.type),
        kind=bindparam("kind"),
    )
    .returning(_T.id)
)
_BY_NAME = Prepared(select(_THINGS).where(_T.name == bindparam("name")))
_SINCE = Prepared(select(_T.name).where(_T.seen_at >= bindparam("since", type_=_T.seen_at.type)))
_RENAME = Prepared(update(_THINGS).where(_T.name == bindparam("old")).values(name=bindparam("new")))
_LIMITED = Prepared(select(_T.name).where(_T.flag == bindparam("flag", value=True)))  # a default value


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    opened = Database(database_url)
    async with opened.engine.begin() as connection:
        await connection.run_sync(_METADATA.create_all)
    yield opened
    async with opened.engine.begin() as connection:
        await connection.run_sync(_METADATA.drop_all)
    await opened.dispose()


@contextmanager
def instrumented(database: Database) -> Iterator[list[str]]:
    """An engine with a `before_cursor_execute` listener (SQL instrumentation): what it sees."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen.append(statement)

    engine = database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def _add(database: Database, name: str, **values: Any) -> int:
    row = {
        "name": name,
        "payload": {"a": [1, 2]},
        "flag": True,
        "seen_at": datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
        "kind": "k",
    }
    row.update(values)
    new_id = (await database.run(_ADD, row)).scalar()
    assert isinstance(new_id, int)
    return new_id


async def test_a_prepared_row_reads_back_with_every_type_as_sqlalchemy_reads_it(database: Database) -> None:
    new_id = await _add(database, "one", payload={"nested": {"x": None}, "list": [1, "two"]}, flag=False)

    ran = (await database.run(_BY_NAME, {"name": "one"})).first()
    async with database.connect() as connection:  # SQLAlchemy's own execution: the oracle
        core = (await connection.execute(_BY_NAME.statement, {"name": "one"})).one()

    assert ran is not None
    assert ran.id == new_id == core.id
    assert ran.payload == {"nested": {"x": None}, "list": [1, "two"]} == core.payload
    assert ran.flag is False and core.flag is False
    assert _aware(ran.seen_at) == datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC) == _aware(core.seen_at)
    assert ran.kind == "k" and isinstance(ran.created_at, datetime)
    assert tuple(ran) == tuple(core)


async def test_a_row_written_by_sqlalchemy_reads_the_same_through_a_prepared_statement(
    database: Database,
) -> None:
    async with database.connect() as connection:
        await connection.execute(
            insert(_THINGS).values(
                name="core", payload=[3], flag=True, seen_at=datetime(2025, 5, 6, tzinfo=UTC)
            )
        )
    ran = (await database.run(_BY_NAME, {"name": "core"})).first()
    assert ran is not None
    assert (ran.payload, ran.flag, ran.kind) == ([3], True, "plain")
    assert _aware(ran.seen_at) == datetime(2025, 5, 6, tzinfo=UTC)


async def test_timestamp_parameters_compare_in_the_database_as_sqlalchemy_binds_them(
    database: Database,
) -> None:
    moment = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    await _add(database, "before", seen_at=moment - timedelta(seconds=1))
    await _add(database, "at", seen_at=moment)
    await _add(database, "after", seen_at=moment + timedelta(days=1))

    names = sorted(row.name for row in (await database.run(_SINCE, {"since": moment})).rows)
    assert names == ["after", "at"]


async def test_rowcount_missing_rows_and_none_values(database: Database) -> None:
    await _add(database, "old", payload=None, seen_at=None)
    assert (await database.run(_RENAME, {"old": "old", "new": "new"})).rowcount == 1
    assert (await database.run(_RENAME, {"old": "absent", "new": "x"})).rowcount == 0
    assert (await database.run(_BY_NAME, {"name": "old"})).first() is None
    assert (await database.run(_BY_NAME, {"name": "old"})).scalar() is None
    renamed = (await database.run(_BY_NAME, {"name": "new"})).first()
    assert renamed is not None and renamed.seen_at is None
    assert renamed.payload is None  # JSON null and SQL NULL both read back as None


async def test_a_bindparam_value_is_the_default_and_a_given_value_wins(database: Database) -> None:
    await _add(database, "yes", flag=True)
    await _add(database, "no", flag=False)
    assert [row.name for row in (await database.run(_LIMITED)).rows] == ["yes"]
    assert [row.name for row in (await database.run(_LIMITED, {"flag": False})).rows] == ["no"]


async def test_a_missing_value_is_refused_before_anything_is_sent(database: Database) -> None:
    with pytest.raises(exc.ArgumentError, match="'name'"):
        await database.run(_BY_NAME, {})
    assert database.engine.sync_engine.pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_a_constraint_violation_is_sqlalchemys_integrity_error_without_the_values(
    database: Database,
) -> None:
    await _add(database, "unique-name")
    with pytest.raises(exc.IntegrityError) as raised:
        await _add(database, "unique-name", payload={"secret": "sk-live-do-not-print"})
    assert "sk-live-do-not-print" not in str(raised.value)
    assert "prepared_things" in str(raised.value)  # the statement is named, its values are not
    assert database.engine.sync_engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    assert (await database.run(_BY_NAME, {"name": "unique-name"})).first() is not None  # still usable


async def test_connections_go_back_to_the_pool_and_are_reused(database: Database) -> None:
    opened: list[int] = []
    engine = database.engine.sync_engine

    def record(*_args: Any) -> None:
        opened.append(1)

    async def burst() -> None:
        await asyncio.gather(*(database.run(_BY_NAME, {"name": f"n{i}"}) for i in range(50)))

    await burst()  # fills the pool
    event.listen(engine, "connect", record)
    try:
        await burst()
    finally:
        event.remove(engine, "connect", record)
    assert opened == []
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_an_instrumented_engine_sees_every_prepared_statement_with_the_same_result(
    database: Database,
) -> None:
    await _add(database, "seen")
    with instrumented(database) as seen:
        row = (await database.run(_BY_NAME, {"name": "seen"})).first()
        count = (await database.run(_RENAME, {"old": "seen", "new": "seen-2"})).rowcount
    assert len(seen) == 2 and seen[0].lstrip().upper().startswith("SELECT")
    assert row is not None and row.name == "seen" and row.payload == {"a": [1, 2]}
    assert count == 1


def test_statements_that_need_sqlalchemys_execution_context_are_refused_when_compiled(
    database: Database,
) -> None:
    dialect = database.engine.sync_engine.dialect
    python_default = Prepared(insert(_THINGS).values(name=bindparam("name")))  # `kind` has a Python default
    with pytest.raises(ValueError, match="kind"):
        python_default.compiled(dialect)
    expanding = Prepared(select(_T.id).where(_T.name.in_(bindparam("names", expanding=True))))
    with pytest.raises(ValueError, match="IN lists"):
        expanding.compiled(dialect)


async def _through_core(database: Database, prepared: Prepared, values: dict[str, Any]) -> None:
    async with database.connect() as connection:
        await connection.execute(prepared.statement, values)


@pytest.mark.parametrize("path", ["prepared", "core"])
async def test_a_cancelled_statement_leaves_no_connection_in_an_unknown_state(
    database: Database, path: str
) -> None:
    """Cancelled while it waits (PostgreSQL: a slow query; SQLite: another connection's write lock),
    through a prepared statement or SQLAlchemy's own execution: the process goes on (a SQLite wait
    in a worker thread once crashed it here), and so does the pool."""

    def attempt(prepared: Prepared, values: dict[str, Any]) -> Any:
        if path == "prepared":
            return database.run(prepared, values)
        return _through_core(database, prepared, values)

    if database.backend == "postgresql":
        slow = Prepared(select(func.pg_sleep(bindparam("seconds", type_=Integer))))
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(attempt(slow, {"seconds": 5}), timeout=0.2)
    else:
        await _add(database, "locked")
        holder = sqlite3.connect(str(database.engine.url.database))
        holder.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(attempt(_RENAME, {"old": "locked", "new": "x"}), timeout=0.2)
            await asyncio.sleep(0.3)  # what a thread left running would do meanwhile
        finally:
            holder.rollback()
            holder.close()
    assert database.engine.sync_engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    assert (await database.run(_RENAME, {"old": "locked", "new": "free"})).rowcount == int(
        database.backend == "sqlite"
    )


async def test_statements_run_together_commit_together(database: Database) -> None:
    await _add(database, "a")
    ran = await database.run_together(
        [Bound(_RENAME, {"old": "a", "new": "b"}), Bound(_BY_NAME, {"name": "b"})]
    )
    assert ran[0].rowcount == 1
    row = ran[1].first()
    assert row is not None and row.name == "b"
    assert (await database.run(_BY_NAME, {"name": "b"})).first() is not None


async def test_statements_run_together_leave_nothing_when_a_later_one_fails(database: Database) -> None:
    await _add(database, "first")
    await _add(database, "taken")
    with pytest.raises(exc.IntegrityError):
        await database.run_together(
            [
                Bound(_RENAME, {"old": "first", "new": "renamed"}),
                Bound(_RENAME, {"old": "renamed", "new": "taken"}),
            ]
        )
    assert (await database.run(_BY_NAME, {"name": "renamed"})).first() is None  # rolled back
    assert (await database.run(_BY_NAME, {"name": "first"})).first() is not None
    assert database.engine.sync_engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    with pytest.raises(exc.ArgumentError):  # a missing value: refused before BEGIN is sent
        await database.run_together([Bound(_RENAME, {"old": "first", "new": "x"}), Bound(_BY_NAME, {})])
    assert (await database.run(_BY_NAME, {"name": "first"})).first() is not None


async def test_statements_run_together_on_an_instrumented_engine_are_one_transaction(
    database: Database,
) -> None:
    await _add(database, "first")
    await _add(database, "taken")
    with instrumented(database) as seen, pytest.raises(exc.IntegrityError):
        await database.run_together(
            [
                Bound(_RENAME, {"old": "first", "new": "renamed"}),
                Bound(_RENAME, {"old": "renamed", "new": "taken"}),
            ]
        )
    assert [statement.split()[0].upper() for statement in seen][:3] == ["BEGIN", "UPDATE", "UPDATE"]
    assert (await database.run(_BY_NAME, {"name": "first"})).first() is not None
