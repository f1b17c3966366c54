"""Hot statements compiled once and run straight on a pooled driver connection.

Why: a statement through `AsyncConnection.execute` cost about 150 µs of CPU on SQLite (checkout
into a `Connection`, its begin/rollback events, the cache-key lookup, the execution context, the
`Result`), where the driver itself needs under 10 µs. A call lifecycle sends about twenty of them
(the user row on every request, the contact cache, the call-log reservation, the outbox), so that
machinery alone was over a tenth of the server's CPU under load (issue 11).

What stays the same: the SQL. A `Prepared` is an ordinary SQLAlchemy Core statement; it is compiled
by SQLAlchemy for the engine's dialect (once per dialect), with SQLAlchemy's own bind and result
processors for every column type (timestamps on SQLite, JSON), on the engine's own pool (the same
connections, autocommit, PRAGMAs and TLS settings). Driver errors are raised as SQLAlchemy's
exceptions (`IntegrityError`, `OperationalError`, ...), parameters hidden, and a connection that
was lost or interrupted is never handed out again.

What it refuses, when it is first compiled (its first run on a dialect) rather than by writing a
wrong row: statements that need SQLAlchemy's execution context (Python-side column defaults,
`expanding` IN lists, literal execution). Those stay on `Database.connect()`.

An engine with `before_cursor_execute` listeners (SQL instrumentation, the benchmark's statement
counter) runs prepared statements through `AsyncConnection.execute` instead, so every listener
still sees every statement with a real `Connection`.
"""

from __future__ import annotations

import collections
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exc
from sqlalchemy.engine import Dialect
from sqlalchemy.pool import Pool
from sqlalchemy.sql import Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

__all__ = ["Bound", "Prepared", "Ran"]

_REQUIRED: Any = object()


@dataclass(frozen=True, slots=True)
class Ran:
    """What a prepared statement gave back: its rows (attribute and index access) and rowcount."""

    rows: Sequence[Any]
    rowcount: int

    def first(self) -> Any | None:
        return self.rows[0] if self.rows else None

    def scalar(self) -> Any | None:
        """The first column of the first row, or None when there is no row."""
        return self.rows[0][0] if self.rows else None


@dataclass(frozen=True, slots=True)
class Bound:
    """A prepared statement with its values: a write that is handed to the store to run together
    with another in one transaction (completing an outbox job records the CRM's log id)."""

    prepared: Prepared
    values: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class _Compiled:
    """A statement as one dialect's driver takes it."""

    sql: str
    names: tuple[str, ...]  # bind parameter names, in the driver's order when positional
    wire_names: tuple[str, ...]  # the names the driver sees (escaped), for named paramstyles
    defaults: tuple[Any, ...]  # a bindparam's own value, or _REQUIRED
    binders: tuple[Callable[[Any], Any] | None, ...]
    positional: bool
    row_type: Callable[[Sequence[Any]], Any]
    readers: tuple[Callable[[Any], Any] | None, ...] | None  # None: every column is taken as it comes
    sequence: Callable[[list[Any]], Sequence[Any]]

    def parameters(self, values: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        bound: list[Any] = []
        for name, default, binder in zip(self.names, self.defaults, self.binders, strict=True):
            value = values.get(name, default)
            if value is _REQUIRED:
                raise exc.ArgumentError(f"A value is required for bind parameter {name!r}")
            bound.append(value if binder is None else binder(value))
        if self.positional:
            return self.sequence(bound)
        return dict(zip(self.wire_names, bound, strict=True))

    def row(self, raw: Sequence[Any]) -> Any:
        readers = self.readers
        if readers is None:
            return self.row_type(raw)
        return self.row_type(
            [value if reader is None else reader(value) for reader, value in zip(readers, raw, strict=True)]
        )


class Prepared:
    """A Core statement to run through `Database.run` (see the module docstring)."""

    __slots__ = ("_by_dialect", "statement")

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._by_dialect: dict[tuple[str, str], _Compiled] = {}

    def compiled(self, dialect: Dialect) -> _Compiled:
        key = (dialect.name, dialect.driver)
        found = self._by_dialect.get(key)
        if found is None:
            found = self._by_dialect[key] = _compile(self.statement, dialect)
        return found


def _compile(statement: Executable, dialect: Dialect) -> _Compiled:
    if not isinstance(statement, ClauseElement):
        raise TypeError("a prepared statement is a SQLAlchemy Core statement")
    compiled = statement.compile(dialect=dialect)
    assert isinstance(compiled, SQLCompiler)
    if compiled.insert_prefetch or compiled.update_prefetch:
        missing = [column.key for column in (*compiled.insert_prefetch, *compiled.update_prefetch)]
        raise ValueError(f"prepared statements take every value explicitly; give {missing}")
    if compiled.literal_execute_params or compiled.post_compile_params:
        raise ValueError("prepared statements cannot expand IN lists or render literal values")
    by_name = {name: bind for bind, name in compiled.bind_names.items()}
    if compiled.positional:
        assert compiled.positiontup is not None
        names = tuple(compiled.positiontup)
    else:
        names = tuple(by_name)
    escaped = compiled.escaped_bind_names
    processors = compiled._bind_processors
    defaults = tuple(
        _REQUIRED if bind.required or bind.callable is not None else bind.effective_value
        for bind in (by_name[name] for name in names)
    )
    returned = list(getattr(statement, "exported_columns", ()) or ())
    readers = tuple(column.type.dialect_impl(dialect).result_processor(dialect, None) for column in returned)
    keys = [getattr(column, "key", None) or f"column_{index}" for index, column in enumerate(returned)]
    row_type: Callable[[Sequence[Any]], Any] = tuple
    if keys:
        row_class: Any = collections.namedtuple("PreparedRow", keys, rename=True)  # type: ignore[misc]
        row_type = row_class._make
    return _Compiled(
        sql=compiled.string,
        names=names,
        wire_names=tuple(escaped.get(name, name) for name in names),
        defaults=defaults,
        binders=tuple(_single(processors.get(name)) for name in names),
        positional=compiled.positional,
        row_type=row_type,
        readers=readers if any(readers) else None,
        sequence=dialect.execute_sequence_format,
    )


def _single(processor: Any) -> Callable[[Any], Any] | None:
    """A bind processor; SQLAlchemy gives a sequence of them only for tuple-valued parameters,
    which need an expanding IN (refused above)."""
    if processor is None or callable(processor):
        return typing.cast("Callable[[Any], Any] | None", processor)
    raise ValueError("prepared statements cannot bind tuple-valued parameters")


def run_on_driver(
    pool: Pool,
    dialect: Dialect,
    statements: Sequence[tuple[_Compiled, Mapping[str, Any]]],
    *,
    begin: str | None = None,
) -> list[Ran]:
    """Run compiled statements on one connection from `pool`, inside SQLAlchemy's greenlet (so the
    async drivers' adapters can await): each in autocommit, or with `begin` (`BEGIN`, `BEGIN
    IMMEDIATE`) all in one transaction, committed when every one succeeded, else rolled back."""
    parameters = [compiled.parameters(values) for compiled, values in statements]  # all, before any is sent
    pooled = pool.connect()
    cursor = None
    sql = begin or ""
    try:
        cursor = pooled.cursor()
        if begin is not None:
            cursor.execute(begin)
        ran: list[Ran] = []
        for (compiled, _values), bound in zip(statements, parameters, strict=True):
            sql = compiled.sql
            cursor.execute(sql, bound)
            raw_rows = cursor.fetchall() if cursor.description is not None else ()
            ran.append(Ran(rows=[compiled.row(raw) for raw in raw_rows], rowcount=cursor.rowcount))
        if begin is not None:
            sql = "COMMIT"
            cursor.execute(sql)
        return ran
    except dialect.loaded_dbapi.Error as error:
        lost = dialect.is_disconnect(error, pooled.dbapi_connection, cursor)
        if lost:
            pooled.invalidate(error)
            pool._invalidate(pooled, error)  # as SQLAlchemy does: the rest of the pool is suspect too
        elif begin is not None:
            _roll_back(pooled, cursor)
        raise exc.DBAPIError.instance(
            sql,
            None,
            error,
            dialect.loaded_dbapi.Error,
            hide_parameters=True,
            connection_invalidated=lost,
            dialect=dialect,
        ) from error
    except BaseException:
        pooled.invalidate()  # interrupted mid-statement (cancelled): its state is unknown
        raise
    finally:
        if cursor is not None and pooled.is_valid:  # an invalidated connection took its cursor along
            try:
                cursor.close()
            except Exception:
                pooled.invalidate()
        pooled.close()


def _roll_back(pooled: Any, cursor: Any) -> None:
    """End a failed transaction; a connection that cannot is never handed out again."""
    try:
        cursor.execute("ROLLBACK")
    except Exception:
        pooled.invalidate()
