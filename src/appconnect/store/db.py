"""Database URLs, engines and sessions.

Operators of the reference write `DATABASE_URL` as `sqlite:///relative.db`, `sqlite:////abs.db`,
`postgres://...` or `postgresql://...`; SQLAlchemy needs an explicit async driver. `async_url`
turns any of those (or an explicit SQLAlchemy URL) into the async form we run on.
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import AsyncAdaptedQueuePool
from sqlalchemy.util import greenlet_spawn

import appconnect.store._sqlite  # noqa: F401 - registers the sqlite+appconnect dialect
from appconnect.store.prepared import Bound, Prepared, Ran, run_on_driver

_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
_LOOP_SQLITE = "sqlite+appconnect"  # registered by importing appconnect.store._sqlite
_SYNC_DRIVERS = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg"}


class DatabaseUrlError(ValueError):
    """DATABASE_URL names a database we do not support."""


def _parse(raw: str) -> URL:
    text = raw.strip()
    if text.startswith("postgres://"):
        text = "postgresql://" + text[len("postgres://") :]
    if text.startswith("sqlite:") and not text.startswith("sqlite:///") and not text.startswith("sqlite+"):
        # `sqlite:./db.sqlite` and `sqlite://./db.sqlite` (the reference's template) name a relative file.
        path = text[len("sqlite:") :].lstrip("/")
        text = "sqlite:///" + path
    try:
        return make_url(text)
    except Exception as error:  # SQLAlchemy raises ArgumentError with the URL inside; keep ours short
        raise DatabaseUrlError("DATABASE_URL is not a valid database URL") from error


def backend_name(raw: str) -> str:
    """`sqlite` or `postgresql`, from any accepted URL form."""
    name = _parse(raw).get_backend_name()
    if name not in _ASYNC_DRIVERS:
        raise DatabaseUrlError(f"DATABASE_URL names an unsupported database: {name}")
    return name


def async_url(raw: str) -> URL:
    """The URL with the async driver we use for its backend (an explicit async driver is kept)."""
    url = _parse(raw)
    backend = backend_name(raw)
    explicit_driver = "+" in url.drivername
    if backend == "postgresql" and explicit_driver and url.get_driver_name() in ("asyncpg", "psycopg"):
        return url
    return url.set(drivername=_ASYNC_DRIVERS[backend])


def sync_url(raw: str) -> URL:
    """The URL with a synchronous driver, for tools that need one."""
    url = _parse(raw)
    return url.set(drivername=_SYNC_DRIVERS[backend_name(raw)])


_LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")
_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")
DATABASE_SSL_ERROR = "must be true or false when set"


def parse_database_ssl(value: str | bool | None) -> bool | None:
    """`DATABASE_SSL` as the reference reads it: trimmed, case-insensitive `true/1/yes/on` or
    `false/0/no/off`; unset or empty is None (automatic). Anything else raises ValueError."""
    if value is None or isinstance(value, bool):
        return value
    text = value.strip().lower()
    if text == "":
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(DATABASE_SSL_ERROR)


def is_local_host(host: str | None) -> bool:
    """A host the reference connects to without TLS when `DATABASE_SSL` is unset (no host at all is
    a local Unix socket)."""
    if not host or host.startswith("/"):
        return True
    name = host.strip("[]").lower()
    return name in _LOCAL_HOSTS or name.endswith(".localhost")


_LIBPQ_TLS_KEYS = ("sslmode", "sslrootcert", "sslcert", "sslkey")
"""libpq's TLS words in a URL; asyncpg takes TLS as one `ssl` argument instead."""
_SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")


def postgres_connect_args(raw_url: str, ssl: bool | None = None) -> dict[str, Any]:
    """The TLS part of the driver's connect arguments for a PostgreSQL URL.

    Why: the reference connects to a remote PostgreSQL over TLS without verifying the certificate
    (managed databases such as Heroku's or Azure's require TLS and present certificates a default
    trust store does not know), and to a local one without TLS; `DATABASE_SSL` forces either way.
    An `sslmode` written in the URL (with `sslrootcert`, `sslcert`, `sslkey`) is the operator's
    most specific word and is followed as libpq would (`verify-full` with `sslrootcert=...` for a
    verified connection); so is asyncpg's own `ssl=` in the URL. Then `DATABASE_SSL` adds nothing.

    asyncpg (the default driver): `ssl` set to an SSL context, False, or an sslmode word.
    psycopg (libpq; named in the URL): `sslmode` `require` (TLS, not verified) or `disable`.
    """
    url = async_url(raw_url)
    if url.get_driver_name() == "asyncpg":
        return _asyncpg_tls(url, ssl)
    return _libpq_tls(url, ssl)


def _uses_tls(url: URL, ssl: bool | None) -> bool:
    return ssl if ssl is not None else not is_local_host(url.host)


def _libpq_tls(url: URL, ssl: bool | None) -> dict[str, Any]:
    if "sslmode" in url.query or "ssl" in url.query:
        return {}
    return {"sslmode": "require" if _uses_tls(url, ssl) else "disable"}


def _unverified_context() -> Any:
    import ssl as ssl_module

    context = ssl_module.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl_module.CERT_NONE
    return context


def _asyncpg_tls(url: URL, ssl: bool | None) -> dict[str, Any]:
    if "ssl" in url.query:
        return {}  # asyncpg's own word, passed on as it is
    mode = url.query.get("sslmode")
    if mode is None:
        return {"ssl": _unverified_context() if _uses_tls(url, ssl) else False}
    return {"ssl": _asyncpg_ssl_of_sslmode(str(mode), url)}


def _asyncpg_ssl_of_sslmode(mode: str, url: URL) -> Any:
    """libpq's `sslmode` (and certificate files) as asyncpg's `ssl` argument."""
    import ssl as ssl_module

    if mode not in _SSLMODES:
        raise DatabaseUrlError(f"DATABASE_URL: sslmode must be one of {', '.join(_SSLMODES)}")
    if mode == "disable":
        return False

    def _file(key: str) -> str | None:
        value = url.query.get(key)
        return None if value is None else str(value)

    root, cert, key = _file("sslrootcert"), _file("sslcert"), _file("sslkey")
    if mode == "require" and root is not None:
        mode = "verify-ca"  # libpq: a root certificate given with `require` is verified
    if mode in ("verify-ca", "verify-full"):
        context = ssl_module.create_default_context(cafile=root)
        context.check_hostname = mode == "verify-full"
    elif cert is None:
        return mode  # allow, prefer, require: asyncpg knows these words (not verified)
    else:
        context = _unverified_context()
    if cert is not None:
        context.load_cert_chain(cert, key)
    return context


def driver_url(url: URL) -> URL:
    """The URL as the driver takes it: asyncpg gets TLS through `postgres_connect_args`."""
    if url.get_driver_name() == "asyncpg":
        return url.difference_update_query(_LIBPQ_TLS_KEYS)
    return url


def libpq_conninfo_of(raw_url: str, ssl: bool | None = None) -> tuple[str, dict[str, Any]]:
    """A libpq connection string (and TLS arguments) for psycopg, from any PostgreSQL URL: the
    change feed's LISTEN connection, whatever driver the pool uses."""
    url = async_url(raw_url).set(drivername="postgresql")
    url = url.difference_update_query(["prepared_statement_cache_size"])  # asyncpg's alone
    asyncpg_ssl = url.query.get("ssl")
    if asyncpg_ssl is not None:
        word = str(asyncpg_ssl).lower()
        sslmode = {"true": "require", "1": "require", "false": "disable", "0": "disable"}.get(word, word)
        url = url.difference_update_query(["ssl"]).update_query_dict({"sslmode": sslmode})
    return url.render_as_string(hide_password=False), _libpq_tls(url, ssl)


POOL_SIZE = 10
"""Connections each process keeps open. The pool never opens more (no overflow): a connection
opened for a burst and closed right after costs more than waiting a moment for a pooled one
(SQLite: a thread and four PRAGMAs; PostgreSQL: a backend process and an authentication)."""


def create_engine(
    raw_url: str, *, autocommit: bool = False, ssl: bool | None = None, **kwargs: Any
) -> AsyncEngine:
    """An async engine tuned for its backend (SQLite: WAL, busy timeout, foreign keys).

    Connections are kept in a fixed-size pool and not pinged on checkout (a connection the server
    dropped fails its statement, and SQLAlchemy then discards the whole pool). `autocommit=True`
    puts every connection in driver-level autocommit: a statement outside `Database.transaction`
    is its own transaction and nothing else is sent (no BEGIN, COMMIT or ROLLBACK around reads).
    `ssl` is `DATABASE_SSL` (None: automatic, see `postgres_connect_args`).

    Parameters never appear in SQL logs or in the text of SQL errors (`hide_parameters`): they
    carry ciphertexts, phone numbers and note text.
    """
    url = async_url(raw_url)
    kwargs = {**kwargs, "hide_parameters": True}
    if autocommit:
        kwargs.setdefault("isolation_level", "AUTOCOMMIT")
    if url.get_backend_name() == "sqlite":
        create_private_sqlite_file(url.database)
        if url.database not in (None, "", ":memory:"):
            if "+" not in _parse(raw_url).drivername:  # no driver named: ours (store/_sqlite.py)
                url = url.set(drivername=_LOOP_SQLITE)
            kwargs.setdefault("poolclass", AsyncAdaptedQueuePool)
            kwargs.setdefault("pool_size", POOL_SIZE)
            kwargs.setdefault("max_overflow", 0)
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)
        _tune_sqlite(engine)
        return engine
    kwargs.setdefault("pool_size", POOL_SIZE)
    kwargs.setdefault("max_overflow", 0)
    kwargs["connect_args"] = {**postgres_connect_args(raw_url, ssl), **kwargs.get("connect_args", {})}
    return create_async_engine(driver_url(url), **kwargs)


def create_private_sqlite_file(database: str | None) -> None:
    """Create a missing SQLite database file readable and writable by its owner only (0600).

    SQLite would create it 0644; it holds encrypted tokens, phone numbers and notes. The `-wal`
    and `-shm` files SQLite creates later take the database file's mode. An existing file is left
    as it is, and a missing directory is left for SQLite to report when it connects.
    """
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    try:
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError:  # FileExistsError (nothing to do) or a missing directory (SQLite says so)
        return


def _tune_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        if not getattr(dbapi_connection, "waits_for_locks_itself", False):  # ours: without blocking the loop
            cursor.execute("PRAGMA busy_timeout=30000")
        if engine.url.database not in (None, "", ":memory:"):
            _enable_wal(cursor)
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def _enable_wal(cursor: Any) -> None:
    """Switch a file database to WAL once (the mode is stored in the file).

    Several processes opening a brand-new file at the same moment can see SQLITE_BUSY on the
    switch itself (SQLite does not always apply the busy timeout to it), so retry briefly.
    """
    cursor.execute("PRAGMA journal_mode")
    if str(cursor.fetchone()[0]).lower() == "wal":
        return
    for attempt in range(50):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except Exception as error:  # sqlite3.OperationalError, wrapped by the async adapter
            if "locked" not in str(error) and "busy" not in str(error):
                raise
            time.sleep(0.02 * (attempt + 1))
    cursor.execute("PRAGMA journal_mode=WAL")


class Database:
    """An engine plus its session factory; one per process.

    Connections are in autocommit mode: `sessions()` and `connect()` suit reads and single-statement
    writes (each statement is atomic on its own), `transaction()` is for several statements that
    must commit together. A read therefore costs exactly its one statement on the wire.
    """

    def __init__(self, raw_url: str, *, ssl: bool | None = None, **engine_kwargs: Any) -> None:
        self.raw_url = raw_url
        self.ssl = ssl
        self.engine = create_engine(raw_url, autocommit=True, ssl=ssl, **engine_kwargs)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite: take the write lock up front (waiting out the busy timeout) instead of failing
        # with SQLITE_BUSY when a read inside the transaction is followed by a write.
        self._begin = "BEGIN IMMEDIATE" if self.backend == "sqlite" else "BEGIN"

    @property
    def backend(self) -> str:
        return self.engine.url.get_backend_name()

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[AsyncConnection]:
        """A pooled connection in autocommit mode (Core statements, no ORM)."""
        async with self.engine.connect() as connection:
            yield connection

    async def run(self, prepared: Prepared, values: Mapping[str, Any] | None = None) -> Ran:
        """One hot statement in autocommit, on a pooled driver connection (`store/prepared.py`)."""
        [ran] = await self._run([Bound(prepared, values or {})], begin=None)
        return ran

    async def run_together(self, statements: Sequence[Bound]) -> list[Ran]:
        """Prepared statements in one transaction: all committed, or (on any error) none."""
        return await self._run(statements, begin=self._begin)

    async def _run(self, statements: Sequence[Bound], *, begin: str | None) -> list[Ran]:
        sync_engine = self.engine.sync_engine
        if sync_engine.dispatch.before_cursor_execute:  # instrumented: every listener sees them
            return await self._run_instrumented(statements, together=begin is not None)
        dialect = sync_engine.dialect
        compiled = [(bound.prepared.compiled(dialect), bound.values) for bound in statements]
        return await greenlet_spawn(run_on_driver, sync_engine.pool, dialect, compiled, begin=begin)

    async def _run_instrumented(self, statements: Sequence[Bound], *, together: bool) -> list[Ran]:
        """`_run` through SQLAlchemy's own execution, so SQL listeners get a real `Connection`."""

        async def each(connection: Any) -> list[Ran]:
            ran = []
            for bound in statements:
                result = await connection.execute(bound.prepared.statement, dict(bound.values))
                ran.append(Ran(rows=result.all() if result.returns_rows else [], rowcount=result.rowcount))
            return ran

        if together:
            async with self.transaction() as session:
                return await each(session)
        async with self.engine.connect() as connection:
            return await each(connection)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction: committed on success, rolled back on error."""
        # BEGIN, COMMIT and ROLLBACK are sent explicitly: the connection is in autocommit mode, so
        # the driver would not send them (and asyncpg's adapter ignores commit() without its own
        # transaction object).
        async with self.sessions() as session:
            connection = await session.connection()
            await connection.exec_driver_sql(self._begin)
            try:
                yield session
                await session.flush()
                await connection.exec_driver_sql("COMMIT")
            except BaseException:
                try:
                    await connection.exec_driver_sql("ROLLBACK")
                except Exception:
                    await connection.invalidate()  # state unknown: never hand it out again
                raise

    def libpq_conninfo(self) -> tuple[str, dict[str, Any]] | None:
        """The libpq URL and connect arguments for a psycopg connection outside the pool (the
        change feed's LISTEN); None unless this is PostgreSQL."""
        if self.backend != "postgresql":
            return None
        return libpq_conninfo_of(self.raw_url, self.ssl)

    async def dispose(self) -> None:
        await self.engine.dispose()
