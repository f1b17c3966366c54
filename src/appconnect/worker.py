"""`appconnect worker` and `appconnect outbox ...`: the outbox outside a serving process.

`run_worker` builds the same server context as the app's lifespan (database, connectors, the one
outbound HTTP client) without serving HTTP, and runs outbox workers until interrupted; operators
who want delivery in separate processes run it and set `APPCONNECT_OUTBOX_WORKER=false` on the
servers. The `outbox` commands read and change the queue directly in the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import structlog

from appconnect import __version__
from appconnect.config import Settings, resolve_secrets
from appconnect.crm_http import CrmHttp
from appconnect.security import SessionTokens
from appconnect.services.context import ServerContext
from appconnect.services.outbox import drop_job
from appconnect.services.outbox_worker import OutboxWorker
from appconnect.store import Store, upgrade
from appconnect.store.outbox import Job

log = structlog.get_logger("appconnect.outbox")


@asynccontextmanager
async def server_context(settings: Settings) -> AsyncIterator[ServerContext]:
    """The context a serving process has, for work done outside a request."""
    from appconnect.app import build_registry

    http = CrmHttp(
        timeout=settings.crm_timeout_seconds,
        ca_file=settings.ssl_cert_file,
        version=__version__,
        allow_private_networks=settings.private_networks_allowed,
    )
    registry = build_registry(settings, http, None)
    secrets = resolve_secrets(settings)
    store = Store.open(settings.database_url, secrets.app_server_secret_key)
    connectors = [registry.get(name) for name in registry.platforms()]
    try:
        if settings.auto_migrate:
            await upgrade(store.database)
        for connector in connectors:
            await connector.startup()
        yield ServerContext(
            settings=settings,
            secrets=secrets,
            store=store,
            registry=registry,
            tokens=SessionTokens(secrets.app_server_secret_key),
            http=http,
        )
    finally:
        for connector in connectors:
            with contextlib.suppress(Exception):
                await connector.shutdown()
        await http.aclose()
        await store.close()


async def run_worker(settings: Settings, *, workers: int = 1) -> None:
    """Run `workers` outbox workers in this process until SIGINT/SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    async with server_context(settings) as context:
        running = [OutboxWorker(context) for _ in range(workers)]
        for worker in running:
            worker.start()
        log.info("appconnect worker ready", workers=workers, database=context.store.database.backend)
        await stop.wait()
        for worker in running:
            await worker.stop()


async def list_jobs(settings: Settings, *, state: str | None) -> list[Job]:
    store = Store.open(settings.database_url, resolve_secrets(settings).app_server_secret_key)
    try:
        return await store.outbox.jobs(state=state)
    finally:
        await store.close()


async def change_job(settings: Settings, job_id: int, action: str) -> list[int]:
    """`retry` or `drop` one job; the ids changed ([] when there was no such job to change).

    A dropped call-log create takes the jobs of its call behind it along (`services.outbox.drop_job`).
    """
    store = Store.open(settings.database_url, resolve_secrets(settings).app_server_secret_key)
    try:
        job = await store.outbox.get(job_id)
        if job is None:
            return []
        if action == "drop":
            return await drop_job(store.outbox, job, by="an operator")
        if not await store.outbox.retry(job_id):
            return []
        fields: dict[str, Any] = {"job_id": job.id, "kind": job.kind, "order_key": job.order_key}
        log.info("outbox job retried by an operator", **fields)
        return [job_id]
    finally:
        await store.close()
