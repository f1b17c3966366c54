"""Start-up checks that fail in one line.

Why: an operator who mistypes `DATABASE_URL` or `PORT` should read one line naming the variable
and what is wrong, not a hundred lines of SQLAlchemy or uvicorn traceback. `appconnect serve`
runs `preflight` in its own process before it migrates or starts uvicorn, so every configuration
mistake is found before anything else is logged. What can only fail later, inside the ASGI
server (the app factory in a worker, a connector's `startup()` in the lifespan), is caught by
`serve_app`, the wrapper that `appconnect.asgi` hands to uvicorn: it prints the same one line and
ends the process, instead of letting uvicorn print the lifespan traceback.

Every failure is a `ConfigurationError` whose message is that line; `report` prints it as
`error: <line>` on stderr, with the traceback only when `LOG_LEVEL=DEBUG`. Exit status 2.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import multiprocessing
import os
import socket
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from appconnect.config import ConfigurationError, Settings

if TYPE_CHECKING:
    from appconnect.connectors.registry import ConnectorRegistry

EXIT_STARTUP_FAILURE = 2
#: What a uvicorn worker process exits with instead: uvicorn's own "failed before serving" code,
#: so its supervisor stops the server rather than restarting the worker forever.
EXIT_WORKER_STARTUP_FAILURE = 3
DATABASE_HINT = "use sqlite:///appconnect.db, sqlite:////absolute/path.db or postgresql://user@host/db"


def one_line(error: BaseException) -> str:
    """The first line of an error's message (the driver's message for a wrapped database error)."""
    inner = getattr(error, "orig", None) or error
    text = str(inner).strip() or type(inner).__name__
    return text.splitlines()[0].strip()


def report(error: BaseException, *, debug: bool = False, stream: Any = None) -> None:
    """Print `error: <line>` (and, when debugging, the traceback) on stderr."""
    out = stream or sys.stderr
    if debug:
        traceback.print_exception(error, file=out)
    line = str(error) if isinstance(error, ConfigurationError) else f"start-up failed: {one_line(error)}"
    out.write(f"error: {line.splitlines()[0] if line else type(error).__name__}\n")
    out.flush()


def debug_requested(settings: Settings | None = None) -> bool:
    """`LOG_LEVEL=DEBUG`, read from the settings, or from the environment when they did not load."""
    level = settings.log_level if settings is not None else os.environ.get("LOG_LEVEL", "")
    return level.strip().upper() == "DEBUG"


# -- checks ---------------------------------------------------------------------------------------
def check_database_url(raw: str, variable: str = "DATABASE_URL") -> None:
    """The URL names a database we support and, for a SQLite file, a directory that exists."""
    from appconnect.store.db import DatabaseUrlError, async_url

    try:
        url = async_url(raw)
    except DatabaseUrlError as error:
        message = str(error).replace("DATABASE_URL", variable, 1)
        raise ConfigurationError(f"{message} ({DATABASE_HINT})") from error
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        directory = Path(url.database).parent
        if not directory.is_dir():
            raise ConfigurationError(
                f"{variable}: the directory {str(directory) or '.'} of the SQLite file {url.database} "
                "does not exist; create it or point the URL elsewhere"
            )


def check_listen_address(host: str, port: int) -> None:
    """`APP_HOST`/`PORT` can be listened on (checked, then released, before uvicorn binds it)."""
    if not 0 < port < 65536:
        raise ConfigurationError(f"PORT: {port} is not a port number (1-65535)")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except OSError as error:
        raise ConfigurationError(f"APP_HOST: {host!r} is not an address to listen on: {error}") from error
    family, kind, proto, _name, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            probe.bind(address)
        except OSError as error:
            raise ConfigurationError(
                f"PORT: cannot listen on {host}:{port}: {error.strerror or error}"
            ) from error


def database_error(error: BaseException, raw_url: str, doing: str = "connect to") -> ConfigurationError:
    """A database failure as one line naming `DATABASE_URL` (without its password)."""
    from appconnect.store.db import DatabaseUrlError, async_url
    from appconnect.store.ownership import ForeignDatabaseError

    if isinstance(error, ConfigurationError):
        return error
    if isinstance(error, ForeignDatabaseError):  # already one line naming DATABASE_URL and the remedy
        return ConfigurationError(str(error))
    if isinstance(error, DatabaseUrlError):
        return ConfigurationError(f"{error} ({DATABASE_HINT})")
    try:
        shown = async_url(raw_url).set(drivername=async_url(raw_url).get_backend_name())
        where = shown.render_as_string(hide_password=True)
    except Exception:
        where = "the database"
    return ConfigurationError(f"DATABASE_URL: cannot {doing} {where}: {one_line(error)}")


def connector_start_error(name: str, error: BaseException) -> ConfigurationError:
    """A connector's `startup()` failed: one line naming it."""
    return ConfigurationError(f"connector {name!r} could not start: {one_line(error)}")


async def check_database_reachable(raw_url: str, ssl: bool | None = None) -> None:
    """Open one connection and run `SELECT 1` (PostgreSQL; a SQLite file is checked statically, so
    that nothing is created before the other checks passed)."""
    from sqlalchemy import text

    from appconnect.store import Database, backend_name

    if backend_name(raw_url) == "sqlite":
        return  # building the engine would create the file
    database = Database(raw_url, ssl=ssl)
    try:
        async with database.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as error:
        raise database_error(error, raw_url) from error
    finally:
        await database.dispose()


def check_connectors(settings: Settings) -> None:
    """Every connector loads (`APPCONNECT_CONNECTORS`, entry points, `APPCONNECT_EXTRA_CONNECTORS`)
    and, once `DATABASE_URL` answered, starts: each `startup()` runs once here and is shut down
    again (they are idempotent; the lifespan starts them for real), so a connector that cannot
    start fails before the database is migrated."""
    from appconnect import __version__
    from appconnect.app import build_registry
    from appconnect.crm_http import CrmHttp

    http = CrmHttp(
        timeout=settings.crm_timeout_seconds,
        ca_file=settings.ssl_cert_file,
        version=__version__,
        allow_private_networks=settings.private_networks_allowed,
    )

    async def start_and_stop(registry: ConnectorRegistry) -> None:
        for name in registry.platforms():
            connector = registry.get(name)
            try:
                await connector.startup()
            except Exception as error:
                raise connector_start_error(name, error) from error
            finally:
                await connector.shutdown()

    async def run() -> None:
        try:
            registry = build_registry(settings, http)
            if registry.has("sample"):
                check_database_url(settings.sample_crm_database_url, "SAMPLE_CRM_DATABASE_URL")
            await check_database_reachable(settings.database_url, settings.database_ssl)
            await start_and_stop(registry)
        finally:
            await http.aclose()

    asyncio.run(run())


def preflight(settings: Settings, *, host: str, port: int) -> None:
    """Everything `appconnect serve` can check before it writes or logs anything.

    Raises:
        ConfigurationError: the first problem, as one line naming the variable.
    """
    check_database_url(settings.database_url)
    if settings.is_prod:
        from appconnect.config import resolve_secrets

        resolve_secrets(settings)  # in production a missing secret raises; nothing is generated
    check_listen_address(host, port)
    check_connectors(settings)  # loads them, checks the database is reachable, then starts them


# -- inside the ASGI server -------------------------------------------------------------------------
def _exit_code() -> int:
    in_worker = multiprocessing.parent_process() is not None
    return EXIT_WORKER_STARTUP_FAILURE if in_worker else EXIT_STARTUP_FAILURE


def _fail_now(error: BaseException, debug: bool) -> None:
    report(error, debug=debug)
    for handler in logging.getLogger().handlers:
        handler.flush()
    os._exit(_exit_code())  # not SystemExit: uvicorn would print the traceback of that, too


class _ExitOnStartupFailure:
    """Pure ASGI wrapper: a failed lifespan start-up prints one line and ends the process.

    Until start-up completes, uvicorn's INFO chatter ("Started server process", "Waiting for
    application startup.") is held back so that a failure is the only line; it resumes at
    "Application startup complete.".
    """

    def __init__(self, app: ASGIApp, *, debug: bool) -> None:
        self.app = app
        self.debug = debug
        self._uvicorn_log = logging.getLogger("uvicorn.error")
        if not debug:
            self._uvicorn_log.setLevel(logging.WARNING)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def watched_send(message: Message) -> None:
            if message["type"] == "lifespan.startup.failed":
                error = sys.exc_info()[1] or RuntimeError(str(message.get("message") or "start-up failed"))
                _fail_now(error, self.debug)
            if message["type"] == "lifespan.startup.complete":
                self._uvicorn_log.setLevel(logging.NOTSET)
                settle_garbage_collector()
            await send(message)

        await self.app(scope, receive, watched_send)


#: The cyclic collector's first-generation threshold in a served process (CPython's default is 700).
YOUNG_GENERATION_THRESHOLD = 20_000


def settle_garbage_collector() -> None:
    """Once start-up is done, move what it built out of the collector's reach, and collect less often.

    Why: everything imported and built at start-up (modules, the app, connectors, the pool) lives as
    long as the process, yet the cyclic collector traverses it again on every older-generation pass,
    and a request allocates enough short-lived containers to trigger a first-generation pass every
    few hundred objects. Freezing the start-up heap and raising the young threshold cut the
    collector's share of a call's CPU without changing what is freed: reference counting still frees
    almost everything at once; only cycles wait a little longer.

    After a launch that paused the collector (`appconnect.__main__`), the heap is frozen as it is:
    a full collection first would cost 45 to 75 ms of the launch to free about 2,000 objects (well
    under a megabyte) left over from the start-up checks. Where the collector kept running (an app
    served inside another process), whatever that process left unreachable is collected first, so
    that none of it is frozen for good. Either way the collector runs from here on.
    """
    if gc.isenabled():
        gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, old)
    gc.enable()


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic collector paused while the app is imported and built (see `appconnect.__main__`),
    then left as it was: still paused under `appconnect serve`, running again in a worker process
    that uvicorn started."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def serve_app(factory: Callable[[Settings], ASGIApp] | None = None) -> ASGIApp:
    """The app built from the environment, for an ASGI server (`appconnect.asgi:app`).

    A configuration or factory error prints one line and exits (status 2; 3 in a uvicorn worker
    process, so that its supervisor gives up); so does a failed lifespan start-up, later.
    """
    from appconnect.config import load_settings
    from appconnect.logging import configure_logging

    settings: Settings | None = None
    try:
        with collector_paused():
            settings = load_settings()
            configure_logging(settings.log_level, json_lines=settings.is_prod)
            if factory is None:
                from appconnect.app import create_app

                factory = create_app
            app = factory(settings)
    except Exception as error:
        report(error, debug=debug_requested(settings))
        raise SystemExit(_exit_code()) from None
    return _ExitOnStartupFailure(app, debug=debug_requested(settings))
