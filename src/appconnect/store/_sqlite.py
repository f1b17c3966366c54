"""SQLite for the async engine without a thread hop per statement (dialect `sqlite+appconnect`).

Why: aiosqlite runs every DBAPI call (cursor, execute, fetch, close, commit, rollback) on its
connection's thread and hands the result back through the event loop. Under the lifecycle load of
issue 11 (1 worker, 64 concurrent calls) that machinery was the largest single cost of the server
(about 40% of its CPU samples: aiosqlite, the hand-overs in asyncio, the thread wake-ups).

How, without blocking the event loop:

* A statement runs on the loop's thread with SQLite's busy timeout at 0, so SQLite never *waits*
  there: on a page-cached WAL database a statement is CPU work of microseconds, like parsing JSON.
* When SQLite answers `SQLITE_BUSY` (another connection or process holds the write lock; nothing
  was changed), the statement is tried again after a short sleep on the event loop, until the
  busy timeout (`connect_args={"timeout": ...}`, 30 s by default) has passed; the loop goes on
  serving requests meanwhile, and a request cancelled while it waits leaves nothing running.
* Work that touches the disk synchronously stays off the loop: opening and closing connections
  (closing the last one checkpoints), and checkpoints. Automatic checkpoints are switched off on
  these connections; instead, after every `CHECKPOINT_EVERY` writes a passive checkpoint runs in a
  worker thread on a connection of its own. (With `synchronous=NORMAL` in WAL mode a commit only
  appends to the WAL, without fsync.)

Transactions are unchanged: `Database.transaction()` sends `BEGIN IMMEDIATE` (the write lock is
taken up front, waiting as above), so a busy answer never arrives in the middle of a transaction
that has already written. An explicit `sqlite+aiosqlite://` URL still gets aiosqlite, and in-memory
databases always do.
"""

from __future__ import annotations

import asyncio
import collections
import sqlite3
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import pool
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import URL

try:  # SQLAlchemy 2.1
    from sqlalchemy.util.concurrency import await_
except ImportError:  # pragma: no cover - SQLAlchemy 2.0
    from sqlalchemy.util.concurrency import await_only as await_  # type: ignore[attr-defined,no-redef,unused-ignore]

__all__ = ["CHECKPOINT_EVERY", "DIALECT_NAME", "LoopSQLiteConnection", "LoopSQLiteDialect"]

DIALECT_NAME = "sqlite.appconnect"
CHECKPOINT_EVERY = 500
"""Writes (autocommit statements and commits) between two background checkpoints, per process."""
_FIRST_RETRY_S = 0.001
_LONGEST_RETRY_S = 0.025
"""Pauses between attempts at a locked database: doubling from 1 ms to at most 25 ms (SQLite's own
busy handler sleeps 1, 2, 5, 10, 15, 20, 25 ms...)."""

T = TypeVar("T")


async def _done() -> None:
    """An awaitable that completes at once (see `LoopSQLiteCursor.execute`)."""


def _is_busy(error: sqlite3.OperationalError) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return bool(code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED))
    text = str(error)
    return "locked" in text or "busy" in text


class _Checkpointer:
    """Counts writes to one database file and runs a passive checkpoint in a thread now and then."""

    _by_file: dict[str, _Checkpointer] = {}  # noqa: RUF012 - a registry shared by the process
    _registry_lock = threading.Lock()

    def __init__(self, path: str) -> None:
        self._path = path
        self._writes = 0
        self._running = False
        self._tasks: set[asyncio.Future[None]] = set()

    @classmethod
    def of(cls, path: str) -> _Checkpointer:
        with cls._registry_lock:
            found = cls._by_file.get(path)
            if found is None:
                found = cls._by_file[path] = cls(path)
            return found

    def note_write(self) -> None:
        self._writes += 1
        if self._writes < CHECKPOINT_EVERY or self._running:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._writes = 0
        self._running = True
        future = loop.run_in_executor(None, self._checkpoint)
        self._tasks.add(future)
        future.add_done_callback(self._done)

    def _done(self, future: asyncio.Future[None]) -> None:
        self._tasks.discard(future)
        self._running = False
        if not future.cancelled():
            future.exception()  # a failed checkpoint is retried after the next CHECKPOINT_EVERY writes

    def _checkpoint(self) -> None:
        connection = sqlite3.connect(self._path, timeout=0)
        try:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        finally:
            connection.close()


class LoopSQLiteCursor:
    """A sqlite3 cursor whose statements never wait on the event loop (see the module docstring).

    Rows are fetched as part of `execute` (as SQLAlchemy's aiosqlite adapter does), so no statement
    is left half-stepped, holding a read snapshot, after the connection goes back to the pool.
    """

    def __init__(self, connection: LoopSQLiteConnection) -> None:
        self._connection = connection
        self._cursor = connection.raw.cursor()
        self._rows: collections.deque[Any] = collections.deque()
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1

    def _run(self, method: Callable[..., Any], statement: str, parameters: Any) -> None:
        self._connection.run(method, statement, parameters)
        cursor = self._cursor
        self.description = cursor.description
        self.rowcount = cursor.rowcount
        self.lastrowid = cursor.lastrowid
        self._rows = (
            collections.deque(cursor.fetchall()) if cursor.description is not None else collections.deque()
        )
        self._connection.after_statement(statement)
        # SQLAlchemy's AsyncConnection.execute insists that the driver awaited something; awaiting
        # a finished coroutine costs two greenlet switches and no trip through the event loop.
        await_(_done())

    def execute(self, statement: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> LoopSQLiteCursor:
        self._run(self._cursor.execute, statement, parameters)
        return self

    def executemany(self, statement: str, parameters: Sequence[Any]) -> LoopSQLiteCursor:
        self._run(self._cursor.executemany, statement, parameters)
        return self

    def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    def fetchmany(self, size: int | None = None) -> list[Any]:
        count = size if size is not None else self.arraysize
        return [self._rows.popleft() for _ in range(min(count, len(self._rows)))]

    def fetchall(self) -> list[Any]:
        rows = list(self._rows)
        self._rows.clear()
        return rows

    def close(self) -> None:
        self._rows.clear()
        self._cursor.close()

    async def _async_soft_close(self) -> None:
        """SQLAlchemy's asyncio result calls this; the rows are already in memory."""

    def __iter__(self) -> Any:
        while self._rows:
            yield self._rows.popleft()


class LoopSQLiteConnection:
    """A sqlite3 connection (busy timeout 0) that waits for locks by sleeping on the event loop."""

    waits_for_locks_itself = True  # store.db leaves the busy timeout to this class (see `run`)

    def __init__(self, raw: sqlite3.Connection, *, path: str, wait_seconds: float) -> None:
        self.raw = raw
        self._wait_ms = int(wait_seconds * 1000)
        self._checkpointer = _Checkpointer.of(path) if path else None

    def run(self, method: Callable[..., T], *arguments: Any) -> T:
        try:
            return method(*arguments)
        except sqlite3.OperationalError as error:
            if not _is_busy(error) or self._wait_ms <= 0:
                raise
            return await_(self._retry_while_busy(method, arguments, error))

    async def _retry_while_busy(
        self, method: Callable[..., T], arguments: tuple[Any, ...], error: sqlite3.OperationalError
    ) -> T:
        """Try again, sleeping on the event loop between attempts, until the lock is free or the
        busy timeout has passed (then SQLite's own "database is locked" error is raised).

        Why not SQLite's busy handler in a worker thread: a request cancelled meanwhile (its
        deadline, a client gone) would close or reuse the connection while the thread still runs a
        statement on it, which crashes the process; `sqlite3_interrupt` does not end a busy wait.
        Between two attempts nothing runs on the connection, so a cancellation is always safe.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._wait_ms / 1000
        delay = _FIRST_RETRY_S
        while (remaining := deadline - loop.time()) > 0:
            await asyncio.sleep(min(delay, remaining))
            delay = min(delay * 2, _LONGEST_RETRY_S)
            try:
                return method(*arguments)
            except sqlite3.OperationalError as again:
                if not _is_busy(again):
                    raise
                error = again
        raise error

    def after_statement(self, statement: str) -> None:
        if self._checkpointer is None:
            return
        head = statement.lstrip()[:6].upper()
        writes = head in ("INSERT", "UPDATE", "DELETE", "REPLAC") and not self.raw.in_transaction
        if writes or head == "COMMIT":
            self._checkpointer.note_write()

    # -- DBAPI connection -------------------------------------------------------------------------
    def cursor(self) -> LoopSQLiteCursor:
        return LoopSQLiteCursor(self)

    def execute(self, statement: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> LoopSQLiteCursor:
        return self.cursor().execute(statement, parameters)

    def commit(self) -> None:
        was_open = self.raw.in_transaction
        self.run(self.raw.commit)
        if was_open and self._checkpointer is not None:
            self._checkpointer.note_write()

    def rollback(self) -> None:
        self.run(self.raw.rollback)

    def close(self) -> None:
        # Closing the last connection to a WAL database checkpoints it (fsync): not on the loop.
        try:
            await_(asyncio.to_thread(self.raw.close))
        except Exception:  # outside a greenlet (interpreter shutdown, garbage collection)
            self.raw.close()

    def create_function(self, *arguments: Any, **options: Any) -> None:
        self.raw.create_function(*arguments, **options)

    @property
    def isolation_level(self) -> str | None:
        return self.raw.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        self.raw.isolation_level = value  # type: ignore[assignment]  # None or a BEGIN mode

    @property
    def in_transaction(self) -> bool:
        return self.raw.in_transaction


def _open(database: str, wait_seconds: float, options: dict[str, Any]) -> sqlite3.Connection:
    raw: sqlite3.Connection = sqlite3.connect(
        database, timeout=wait_seconds, check_same_thread=False, **options
    )
    try:
        raw.execute("PRAGMA wal_autocheckpoint=0")  # checkpoints run in a thread (_Checkpointer)
        raw.execute("PRAGMA busy_timeout=0")  # waits happen on the loop (LoopSQLiteConnection.run)
    except BaseException:
        raw.close()
        raise
    return raw


class LoopSQLiteDialect(SQLiteDialect_pysqlite):
    """pysqlite's dialect, usable by `create_async_engine`: statements run in the calling greenlet."""

    driver = "appconnect"
    is_async = True
    supports_statement_cache = True

    @classmethod
    def get_pool_class(cls, url: URL) -> type[pool.Pool]:
        return pool.AsyncAdaptedQueuePool

    def connect(self, *cargs: Any, **cparams: Any) -> LoopSQLiteConnection:  # type: ignore[override]
        database = str(cargs[0] if cargs else cparams.pop("database"))
        wait_seconds = float(cparams.pop("timeout", 5.0))
        cparams.pop("check_same_thread", None)
        raw: sqlite3.Connection = await_(asyncio.to_thread(_open, database, wait_seconds, cparams))
        path = "" if database == ":memory:" or cparams.get("uri") else database
        return LoopSQLiteConnection(raw, path=path, wait_seconds=wait_seconds)


registry.register(DIALECT_NAME, __name__, "LoopSQLiteDialect")
