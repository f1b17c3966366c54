"""The `appconnect` command line: serve, migrate, check connectors, start a new one, tell the version.

Run `appconnect --help` for an overview and `appconnect serve --help` for the options.
"""

from __future__ import annotations

import asyncio
import gc
import os
import sys
from pathlib import Path
from typing import Any

import typer

from appconnect import __version__
from appconnect.config import ConfigurationError, Settings, load_settings, resolve_secrets
from appconnect.logging import configure_logging
from appconnect.startup import (
    EXIT_STARTUP_FAILURE,
    EXIT_WORKER_STARTUP_FAILURE,
    database_error,
    debug_requested,
    preflight,
    report,
)

app = typer.Typer(
    help=(
        "appconnect: the App Connect connector server.\n\n"
        "Quick start: `appconnect serve` runs the server on http://127.0.0.1:6066 with a local SQLite "
        "database and the built-in sample CRM; no configuration needed. Settings come from environment "
        "variables (see the README)."
    ),
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
WORKER_HEALTHCHECK_SECONDS = 30


def _print_version(value: bool) -> None:
    if value:
        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def _options(
    context: typer.Context,
    show_version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """The options of `appconnect` itself; each command has its own."""
    if context.invoked_subcommand != "serve":
        gc.enable()  # paused only for a launch that serves (see appconnect.__main__)


app.add_typer(db_app, name="db")


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigurationError as error:  # names the variable and the problem, in one line
        report(error, debug=debug_requested())
        raise typer.Exit(EXIT_STARTUP_FAILURE) from None


@app.command()
def serve(
    host: str | None = typer.Option(None, help="Interface to listen on (default: APP_HOST or 127.0.0.1)."),
    port: int | None = typer.Option(None, help="Port to listen on (default: PORT or 6066)."),
    workers: int = typer.Option(1, min=1, help="Worker processes; use PostgreSQL when more than one."),
    reload: bool = typer.Option(False, help="Restart on code changes (development only)."),
) -> None:
    """Run the server (checks the configuration and migrates the database first).

    Any start-up problem stops it with one line on stderr naming the setting, and exit status 2.
    """
    import uvicorn

    from appconnect.http_server import PROTOCOL_PATH

    settings = _settings()
    configure_logging(settings.log_level, json_lines=settings.is_prod)
    host = host or settings.host
    port = port or settings.port
    try:
        preflight(settings, host=host, port=port)  # before anything is written or logged
        secrets = resolve_secrets(settings)
        # Workers must share the secrets (and not race to generate them): hand them down explicitly.
        os.environ.setdefault("APP_SERVER_SECRET_KEY", secrets.app_server_secret_key)
        os.environ.setdefault("HASH_KEY", secrets.hash_key)
        if settings.auto_migrate:
            _upgrade(settings)
            os.environ["APPCONNECT_AUTO_MIGRATE"] = "false"  # done once here, not in every worker
    except Exception as error:
        report(error, debug=debug_requested(settings))
        raise typer.Exit(EXIT_STARTUP_FAILURE) from None
    options: dict[str, Any] = {
        "http": PROTOCOL_PATH,  # header and body deadlines for slow clients (each worker reads the settings)
        "host": host,
        "port": port,
        "log_config": None,
        "proxy_headers": True,
        "server_header": False,
        "ws": "none",  # no WebSocket route: spares every launch importing a WebSocket library
    }
    if workers > 1 or reload:
        gc.enable()  # this process supervises; the app starts (and settles) in others
    if workers > 1 and not reload:
        _serve_workers(workers, options)
        return
    try:
        uvicorn.run("appconnect.asgi:app", reload=reload, **options)
    except SystemExit as stopped:  # uvicorn's own start-up failure (3), e.g. the port was taken since
        if stopped.code == EXIT_WORKER_STARTUP_FAILURE:
            raise typer.Exit(EXIT_STARTUP_FAILURE) from None
        raise


def _serve_workers(workers: int, options: dict[str, Any]) -> None:
    """uvicorn's multi-process supervisor, run here so that a worker that failed to start (it
    printed its one line and exited 3) makes `serve` exit 2 rather than 0."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    # A worker must answer the supervisor's first ping within this many seconds, imports and start-up
    # included; uvicorn's 5 s kill and restart workers forever on a busy or small machine.
    config = uvicorn.Config(
        "appconnect.asgi:app",
        workers=workers,
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
        **options,
    )
    supervisor = Multiprocess(config, sockets=[config.bind_socket()])
    supervisor.run()
    if any(process.exitcode == EXIT_WORKER_STARTUP_FAILURE for process in supervisor.processes):
        raise typer.Exit(EXIT_STARTUP_FAILURE)


def _upgrade(settings: Settings) -> None:
    from appconnect.store import Database, upgrade

    async def run() -> None:
        database = Database(settings.database_url, ssl=settings.database_ssl)
        try:
            await upgrade(database)
        finally:
            await database.dispose()

    try:
        asyncio.run(run())
    except Exception as error:
        raise database_error(error, settings.database_url, "migrate") from error


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration to DATABASE_URL."""
    settings = _settings()
    configure_logging(settings.log_level)
    try:
        _upgrade(settings)
    except ConfigurationError as error:
        report(error, debug=debug_requested(settings))
        raise typer.Exit(EXIT_STARTUP_FAILURE) from None
    typer.echo("database is up to date")


@app.command("import-reference")
def import_reference(
    source: str = typer.Option(
        ...,
        "--from",
        help="The reference server's DATABASE_URL (only read, inside one read-only transaction).",
    ),
) -> None:
    """Copy a reference deployment's users, call and message logs, settings and account data.

    DATABASE_URL (appconnect's own database, new and empty or already ours) is migrated first;
    APP_SERVER_SECRET_KEY must be the reference's, so its sessions and encrypted values stay valid.
    Safe to run again: rows already here are kept. Prints what was copied and what was skipped.
    """
    from appconnect.store import Database, upgrade
    from appconnect.store.reference_import import ImportSourceError
    from appconnect.store.reference_import import import_reference as run_import

    settings = _settings()
    configure_logging("WARNING")

    async def run() -> list[str]:
        database = Database(settings.database_url, ssl=settings.database_ssl)
        try:
            try:
                await upgrade(database)
            except Exception as error:
                raise database_error(error, settings.database_url, "migrate") from error
            report = await run_import(
                source, database, server_secret=secrets.app_server_secret_key, ssl=settings.database_ssl
            )
            return report.lines()
        finally:
            await database.dispose()

    try:
        secrets = resolve_secrets(settings)
        lines = asyncio.run(run())
    except ImportSourceError as error:
        report(ConfigurationError(str(error)), debug=debug_requested(settings))
        raise typer.Exit(EXIT_STARTUP_FAILURE) from None
    except ConfigurationError as error:
        report(error, debug=debug_requested(settings))
        raise typer.Exit(EXIT_STARTUP_FAILURE) from None
    except Exception as error:  # the source could not be read: one line, without its password
        line = database_error(error, source, "read").args[0].replace("DATABASE_URL", "--from", 1)
        report(ConfigurationError(line), debug=debug_requested(settings))
        raise typer.Exit(EXIT_STARTUP_FAILURE) from None
    for line in lines:
        typer.echo(line)


@app.command()
def check(
    platform: str | None = typer.Option(
        None, help="Check only this platform (default: every registered one)."
    ),
    proxy: list[Path] = typer.Option(
        [],
        "--proxy",
        help="Validate this proxy connector configuration file offline (repeatable).",
    ),
) -> None:
    """Run the conformance kit's static checks on every registered connector; exit 1 on any failure.

    With `--proxy FILE`: validate that proxy configuration (schema, hosts, template inputs) and run
    the static checks on the connector it makes, without the server's configuration or network.
    """
    if proxy:
        from appconnect.connectors.proxy.checking import check_proxy_files

        lines, ok = check_proxy_files(proxy)
        for line in lines:
            typer.echo(line)
        raise typer.Exit(0 if ok else 1)
    from appconnect.app import build_registry
    from appconnect.connectors.registry import ManifestNotFound, RegistryError
    from appconnect.crm_http import CrmHttp
    from appconnect.testing import static_checks

    settings = _settings()
    configure_logging("WARNING")
    http = CrmHttp(
        timeout=settings.crm_timeout_seconds,
        ca_file=settings.ssl_cert_file,
        version=__version__,
        allow_private_networks=settings.private_networks_allowed,
    )
    try:
        try:
            registry = build_registry(settings, http, None)
        except (RegistryError, ConfigurationError) as error:
            typer.echo(f"FAIL registry: {error}")
            raise typer.Exit(1) from error
        names = registry.platforms()
        if platform is not None:
            if platform not in names:
                typer.echo(f"FAIL {platform}: not registered (registered: {', '.join(names) or 'none'})")
                raise typer.Exit(1)
            names = [platform]
        failed = False
        for name in names:
            try:
                manifest = registry.manifest(name)
            except ManifestNotFound:
                manifest = None
            for result in static_checks(name, registry.get(name), manifest):
                typer.echo(result.line)
                failed = failed or result.status == "fail"
        if failed:
            raise typer.Exit(1)
    finally:
        asyncio.run(http.aclose())


@app.command("proxy-schema")
def proxy_schema() -> None:
    """Print the JSON Schema of proxy connector configurations (for editors and CI of your own)."""
    import json

    from appconnect.connectors.proxy import proxy_config_schema

    typer.echo(json.dumps(proxy_config_schema(), indent=2, ensure_ascii=False))


@app.command()
def init(
    name: str = typer.Argument(..., help="Project name, e.g. my-crm (letters, digits, '-' or '_')."),
    directory: Path = typer.Option(
        Path("."), "--directory", "-d", help="Where to create the project folder (default: here)."
    ),
    force: bool = typer.Option(
        False, "--force", "-f", help="Write into an existing non-empty folder (other files are kept)."
    ),
) -> None:
    """Create a connector package from the bundled template (no network), then print the next steps."""
    from appconnect.scaffold import ScaffoldError, create_project, next_steps

    try:
        project = create_project(name, directory, force=force)
    except ScaffoldError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error
    typer.echo(next_steps(project))


outbox_app = typer.Typer(help="The outbox: CRM writes accepted and still owed.", no_args_is_help=True)
app.add_typer(outbox_app, name="outbox")


@app.command()
def worker(
    workers: int = typer.Option(1, min=1, help="Outbox workers in this process."),
) -> None:
    """Deliver queued CRM writes (the outbox) without serving HTTP; stops on Ctrl-C or SIGTERM.

    `appconnect serve` runs a worker itself unless APPCONNECT_OUTBOX_WORKER=false.
    """
    from appconnect.worker import run_worker

    settings = _settings()
    configure_logging(settings.log_level, json_lines=settings.is_prod)
    try:
        asyncio.run(run_worker(settings, workers=workers))
    except ConfigurationError as error:
        report(error, debug=debug_requested(settings))
        raise typer.Exit(EXIT_STARTUP_FAILURE) from None


@outbox_app.command("list")
def outbox_list(
    state: str | None = typer.Option(None, help="Only jobs in this state: queued or dead."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line."),
) -> None:
    """List the jobs with their attempts and last error (never their content)."""
    import json

    from appconnect.worker import list_jobs

    settings = _settings()
    configure_logging("WARNING")
    jobs = asyncio.run(list_jobs(settings, state=state))
    for job in jobs:
        if as_json:
            typer.echo(json.dumps(job.wire()))
        else:
            typer.echo(
                f"{job.id}\t{job.state}\t{job.kind}\t{job.platform}\tattempts={job.attempts}\t"
                f"{job.order_key}\t{job.last_error or ''}"
            )
    if not jobs and not as_json:
        typer.echo("the outbox is empty")


@outbox_app.command("retry")
def outbox_retry(
    job_id: int = typer.Argument(..., help="The job's id (from `appconnect outbox list`)."),
) -> None:
    """Queue a job again now (a dead one, or one waiting out its backoff)."""
    from appconnect.worker import change_job

    settings = _settings()
    configure_logging("WARNING")
    if not asyncio.run(change_job(settings, job_id, "retry")):
        typer.echo(f"no job {job_id} to retry (it may be running or delivered)", err=True)
        raise typer.Exit(1)
    typer.echo(f"job {job_id} queued")


@outbox_app.command("drop")
def outbox_drop(
    job_id: int = typer.Argument(..., help="The job's id (from `appconnect outbox list`)."),
) -> None:
    """Delete a job: the CRM write it owes is given up (a call's create: with the call's jobs behind it)."""
    from appconnect.worker import change_job

    settings = _settings()
    configure_logging("WARNING")
    dropped = asyncio.run(change_job(settings, job_id, "drop"))
    if not dropped:
        typer.echo(f"no job {job_id}", err=True)
        raise typer.Exit(1)
    behind = [str(other) for other in dropped if other != job_id]
    typer.echo(
        f"job {job_id} dropped"
        + (f", with the jobs of its call behind it: {' '.join(behind)}" if behind else "")
    )


@app.command()
def version() -> None:
    """Print the server version."""
    typer.echo(__version__)


def main() -> None:
    try:
        app()
    except ConfigurationError as error:
        typer.echo(f"error: {error}", err=True)
        sys.exit(2)


if __name__ == "__main__":  # pragma: no cover
    main()
