"""The outbox worker: delivers the CRM writes the server accepted but could not complete yet.

It runs inside `appconnect serve` (one per server process, started by the app's lifespan) or
alone (`appconnect worker`). Any number of workers, in any number of processes and machines,
share one queue: jobs are claimed with a lease in the database (`OutboxRepository.claim`), never
through process memory. A job is delivered by the same workflow that accepted it
(`services.call_logs`, `services.message_logs`), told which job it is running, so a delivered
write is exactly what the request would have written.

Besides jobs, the worker sweeps pending call-log reservations that no job delivers and that are
older than their stale limit (a process died between reserving and recording the job: nothing
was sent), so they stop blocking the next create of that call.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Any

import structlog

from appconnect.contract import (
    CreateCallLogRequest,
    DispositionRequest,
    MessageLogRequest,
    UpdateCallLogRequest,
)
from appconnect.services.context import ServerContext
from appconnect.services.outbox import (
    CALL_DISPOSITION,
    CREATE_CALL_LOG,
    CREATE_MESSAGE_LOG,
    UPDATE_CALL_LOG,
    describe,
    job_log,
)
from appconnect.store.models import OutboxJobRow
from appconnect.store.outbox import Job

log = structlog.get_logger("appconnect.outbox")

SWEEP_EVERY_SECONDS = 30.0


async def deliver(context: ServerContext, job: Job) -> None:
    """Run one claimed job through its workflow (which settles the job itself)."""
    from appconnect.services import call_logs, message_logs  # the workflows import this package

    payload: dict[str, Any] = job.payload
    common: dict[str, Any] = {
        "user_id": job.user_id,
        "platform": job.platform,
        "rc_account_id_header": payload.get("rcAccountId"),
        "job": job,
    }
    if job.kind == CREATE_CALL_LOG:
        await call_logs.create_call_log(
            context,
            request=CreateCallLogRequest.model_validate(payload["request"]),
            is_from_sscl=bool(payload.get("isFromSscl")),
            **common,
        )
    elif job.kind == UPDATE_CALL_LOG:
        await call_logs.update_call_log(
            context,
            request=UpdateCallLogRequest.model_validate(payload["request"]),
            is_from_sscl=bool(payload.get("isFromSscl")),
            **common,
        )
    elif job.kind == CALL_DISPOSITION:
        await call_logs.upsert_call_disposition(
            context,
            user_id=job.user_id,
            platform=job.platform,
            request=DispositionRequest.model_validate(payload["request"]),
            job=job,
        )
    elif job.kind == CREATE_MESSAGE_LOG:
        await message_logs.create_message_log(
            context, request=MessageLogRequest.model_validate(payload["request"]), **common
        )
    else:
        await context.store.outbox.kill(job.id, error=f"unknown job kind {job.kind!r}")


class OutboxWorker:
    """Polls the outbox, delivering due jobs `batch` at a time (concurrently, one per call)."""

    def __init__(self, context: ServerContext, *, name: str | None = None) -> None:
        self.context = context
        self.owner = name or f"worker:{uuid.uuid4().hex[:12]}"
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()
        self.delivered = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name=f"appconnect-outbox-{self.owner}")

    async def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    def wake(self) -> None:
        """Look for work now rather than at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        settings = self.context.settings
        log.info("outbox worker started", owner=self.owner)
        loop = asyncio.get_running_loop()
        next_sweep = loop.time()
        while not self._stopping.is_set():
            try:
                if loop.time() >= next_sweep:
                    await self.sweep()
                    next_sweep = loop.time() + SWEEP_EVERY_SECONDS
                count = await self.run_once()
            except Exception as error:  # the database went away for a moment: try again later
                log.warning("outbox poll failed", owner=self.owner, error=describe(error))
                count = 0
            if count >= settings.outbox_batch:
                continue  # more may be due
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=settings.outbox_poll_seconds)

    async def run_once(self) -> int:
        """Claim and deliver one batch; how many jobs were claimed."""
        settings = self.context.settings
        jobs = await self.context.store.outbox.claim(
            self.owner, limit=settings.outbox_batch, lease_seconds=settings.outbox_lease_seconds
        )
        if jobs:
            await asyncio.gather(*(self._deliver(job) for job in jobs))
        return len(jobs)

    async def _deliver(self, job: Job) -> None:
        job_log("outbox job claimed", job, owner=self.owner, maybe_sent=job.maybe_sent)
        try:
            await deliver(self.context, job)
            self.delivered += 1
        except Exception as error:  # a bug or the database: the job waits and is tried again
            log.error("outbox delivery failed", job_id=job.id, kind=job.kind, error=describe(error))
            with contextlib.suppress(Exception):
                await self.context.store.outbox.reschedule(
                    job.id,
                    delay_seconds=self.context.settings.outbox_backoff_seconds,
                    error=describe(error),
                    maybe_sent=True,
                )

    async def sweep(self) -> None:
        swept = await self.context.store.call_logs.sweep_stale_without_job(
            OutboxJobRow.__table__  # type: ignore[arg-type]
        )
        if swept:
            log.info("outbox swept stale reservations without a job", count=swept)
