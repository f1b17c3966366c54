"""Durable CRM writes: what a workflow does with a write the CRM cannot take right now.

Every call-log create and update (and every message log that meets a CRM outage) is a job in the
outbox (`appconnect.store.outbox`) before, or at the moment, it fails:

* a call-log create or update enqueues its job, leased to the request, *before* calling the CRM,
  so a crash mid-call leaves a job that a worker takes over once the lease expires;
* the request then makes the first attempt itself; success completes the job in the same
  transaction as the state it delivers (the CRM id on the reservation);
* a transient failure (429, 5xx, connection refused, a timeout whose outcome is unknown) leaves
  the job queued with a backoff, and the extension is told the CRM is not answering and the log
  will be written automatically (`QUEUED_CALL`);
* any other failure deletes the job (a request) or makes it dead (a worker): the error is final.

`Attempt.failed` is that decision, shared by the routes and the worker.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog

from appconnect.crm_http import CrmRateLimited, CrmUnavailable, CrmUncertain
from appconnect.services.context import ServerContext
from appconnect.services.messages import warning
from appconnect.services.outcomes import Answered, Outcome
from appconnect.services.outcomes import fail as _fail
from appconnect.store.call_logs import ExtensionIdentity
from appconnect.store.outbox import Job, JobSpec, OutboxRepository
from appconnect.store.prepared import Bound

log = structlog.get_logger("appconnect.outbox")

CREATE_CALL_LOG = "call_log.create"
UPDATE_CALL_LOG = "call_log.update"
CALL_DISPOSITION = "call_log.disposition"
CREATE_MESSAGE_LOG = "message_log.create"

#: Jobs whose timed-out attempt may have written to the CRM: they settle before they are looked up.
UNCERTAIN_CREATES = frozenset({CREATE_CALL_LOG, CREATE_MESSAGE_LOG})
#: Kinds the later jobs of their order key cannot be delivered without: dropping one drops those.
CARRIES_LATER = frozenset({CREATE_CALL_LOG})

QUEUED_CALL = warning(
    "The CRM is not answering right now. This call log is saved and will be written to the CRM "
    "automatically; there is no need to log it again.",
    ttl=5000,
)
QUEUED_MESSAGES = warning(
    "The CRM is not answering right now. These messages are saved and will be logged to the CRM "
    "automatically; there is no need to log them again.",
    ttl=5000,
)

#: Who leases a job to run its first attempt inside a request (one id per process).
PROCESS_ID = uuid.uuid4().hex[:12]
REQUEST_LEASE_OWNER = f"request:{PROCESS_ID}"


def call_order_key(platform: str, session_id: str, who: ExtensionIdentity) -> str:
    """The order key of one call session's jobs (matches `CallLogRepository.sweep_stale_without_job`)."""
    return f"call:{platform}:{session_id}:{who.extension_number}:{who.hashed_extension_id}"


def message_order_key(platform: str, conversation_log_id: str) -> str:
    return f"msg:{platform}:{conversation_log_id}"


def account_key(platform: str, hostname: str | None, user_id: str) -> str:
    """One CRM account: a 429 pauses the jobs of this key only."""
    return f"{platform}:{hostname or user_id}"


def is_transient(error: BaseException | None) -> bool:
    """A failure the CRM may not repeat later: rate limits, outages, unknown outcomes."""
    return isinstance(error, CrmUnavailable | CrmRateLimited | CrmUncertain | TimeoutError)


def backoff_seconds(context: ServerContext, attempts: int, error: BaseException | None) -> float:
    """Exponential with full jitter in [half, whole], at least what `Retry-After` asked for."""
    settings = context.settings
    ceiling = min(
        settings.outbox_max_backoff_seconds, settings.outbox_backoff_seconds * 2 ** max(attempts - 1, 0)
    )
    delay = ceiling * (0.5 + random.random() / 2)
    retry_after = getattr(error, "retry_after", None)
    if isinstance(retry_after, int | float) and retry_after > 0:
        delay = max(delay, float(retry_after))
    return float(delay)


def queued_outcome(kind: str) -> Outcome:
    return _fail(QUEUED_MESSAGES if kind == CREATE_MESSAGE_LOG else QUEUED_CALL)


def job_log(event: str, job: Job, *, routine: bool = False, **fields: Any) -> None:
    """One structured line per state change of a job (never its payload: it holds notes).

    `routine`: a request's own first attempt being recorded and delivered, the path of every
    write while the CRM answers. Those two lines are DEBUG (an INFO line for each would double a
    call's log volume and say nothing the access line does not); every other change is INFO.
    """
    (log.debug if routine else log.info)(
        event,
        job_id=job.id,
        kind=job.kind,
        platform=job.platform,
        order_key=job.order_key,
        attempts=job.attempts,
        **fields,
    )


def describe(error: BaseException | None) -> str:
    """A job's last error, safe to show: CrmError messages carry no secrets or bodies."""
    if error is None:
        return "unknown error"
    return f"{type(error).__name__}: {error}"[:500]


@dataclass(frozen=True)
class Attempt:
    """One attempt at a job, by a request (`inline`) or by a worker."""

    context: ServerContext
    job: Job
    inline: bool

    @property
    def jobs(self) -> Any:
        return self.context.store.outbox

    async def delivered(self, *, also: tuple[Bound, ...] = ()) -> None:
        await self.jobs.complete(self.job.id, also=also)
        job_log("outbox job delivered", self.job, routine=self.inline, inline=self.inline)

    async def failed(
        self,
        answered: Answered,
        *,
        undo: tuple[Bound, ...] = (),
        retry_blocked: bool = False,
        earlier_unresolved: bool = False,
    ) -> Outcome:
        """Settle a failed attempt and say what the extension is told.

        Transient: the job waits (backoff, `Retry-After`, the account paused on a 429) and the
        answer is `QUEUED_*`, unless it is past its attempts or age: then it is dead. Otherwise
        the job is deleted (a request: the extension shows the error) or dead (a worker), with
        `undo` (release the reservation) in the same transaction.

        `earlier_unresolved`: this attempt failed before it could tell whether an earlier one
        reached the CRM (its lookup failed), so the job stays `maybe_sent` and the next attempt
        looks again before it sends anything.
        """
        error = answered.__cause__
        job = self.job
        if is_transient(error) and not retry_blocked:
            age = (datetime.now(UTC) - job.created_at).total_seconds()
            settings = self.context.settings
            if job.attempts < settings.outbox_max_attempts and age < settings.outbox_max_age_seconds:
                delay = backoff_seconds(self.context, job.attempts, error)
                if job.kind in UNCERTAIN_CREATES and isinstance(error, CrmUncertain | TimeoutError):
                    # A create that timed out may still be applied by the CRM: give it time to
                    # land before it is looked up (and, if not found, sent again). A CRM that is
                    # slower than its timeout is slow by more than a scheduling hiccup: wait the
                    # configured settling time, never less than the timeout itself.
                    delay = max(delay, settings.outbox_uncertain_wait_seconds, settings.crm_timeout_seconds)
                await self.jobs.reschedule(
                    job.id,
                    delay_seconds=delay,
                    error=describe(error),
                    maybe_sent=earlier_unresolved or isinstance(error, CrmUncertain | TimeoutError),
                )
                if isinstance(error, CrmRateLimited):
                    await self.jobs.pause_account(job.account_key, seconds=delay)
                job_log("outbox job queued", job, delay_seconds=round(delay, 3), error=describe(error))
                return queued_outcome(job.kind)
        if self.inline:
            await self.jobs.complete(job.id, also=undo)
            job_log("outbox job abandoned", job, error=describe(error))
        else:
            await self.jobs.kill(job.id, error=describe(error), also=undo)
            job_log("outbox job dead", job, error=describe(error))
        return answered.outcome

    async def dead(self, reason: str, *, undo: tuple[Bound, ...] = (), retry_sends: bool = False) -> None:
        """Give up on a job for a reason that is not a CRM error (user gone, no lookup possible).

        `retry_sends`: the job died because only a person can tell whether an earlier attempt
        reached the CRM (the connector cannot look it up); an operator's `retry` is that person's
        answer "it did not", so the retried job sends without looking (it is no longer `maybe_sent`).
        """
        if self.inline:
            await self.jobs.complete(self.job.id, also=undo)
            job_log("outbox job abandoned", self.job, error=reason)
        else:
            await self.jobs.kill(
                self.job.id, error=reason, also=undo, maybe_sent=False if retry_sends else None
            )
            job_log("outbox job dead", self.job, error=reason)


async def enqueue_leased(context: ServerContext, spec: JobSpec) -> Attempt:
    """Record a job this request attempts right away (see the module docstring)."""
    job = await context.store.outbox.enqueue(
        spec, lease_owner=REQUEST_LEASE_OWNER, lease_seconds=context.settings.outbox_lease_seconds
    )
    job_log("outbox job recorded", job, routine=True)
    return Attempt(context=context, job=job, inline=True)


async def enqueue_leased_if_first(context: ServerContext, spec: JobSpec) -> Attempt | None:
    """`enqueue_leased`, when nothing of its call is owed or in flight (else None: look first)."""
    job = await context.store.outbox.enqueue_first(
        spec, lease_owner=REQUEST_LEASE_OWNER, lease_seconds=context.settings.outbox_lease_seconds
    )
    if job is None:
        return None
    job_log("outbox job recorded", job, routine=True)
    return Attempt(context=context, job=job, inline=True)


async def jobs_ahead(context: ServerContext, order_key: str, *, poll_seconds: float = 0.05) -> bool:
    """Whether jobs of this call or conversation are queued or dead; waits (bounded by
    `create_wait_seconds`) while one is being attempted (its lease is live), so a write that
    arrives during another's first attempt runs right after it rather than being queued. Jobs
    waiting out a backoff are not waited for, nor a dead one: the write queues behind it, held
    until an operator retries or drops it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + context.settings.create_wait_seconds
    while True:
        queued = await context.store.outbox.queued_for(order_key)
        if not queued:
            return False
        moment = datetime.now(UTC)
        running = any(job.lease_until is not None and job.lease_until > moment for job in queued)
        if not running or loop.time() >= deadline:
            return True
        await asyncio.sleep(poll_seconds)


def accepted_keys(job: Job) -> set[str]:
    """The dedupe keys of the requests a job delivers (its own, and those merged into it)."""
    return {job.dedupe_key, *job.payload.get("mergedKeys", ())}


async def enqueue_behind(context: ServerContext, spec: JobSpec) -> Outcome:
    """Queue a write behind the jobs of its call or conversation (no attempt now).

    The same request already queued (an extension's retry) adds nothing.
    """
    queued = await context.store.outbox.queued_for(spec.order_key)
    if not any(spec.dedupe_key in accepted_keys(job) for job in queued):
        job = await context.store.outbox.enqueue(spec)
        job_log("outbox job queued behind", job, ahead=len(queued))
    return queued_outcome(spec.kind)


async def drop_job(jobs: OutboxRepository, job: Job, *, by: str) -> list[int]:
    """An operator (`by`: "an operator", "an admin") gives up a job; the ids dropped, in order.

    A call's create takes the jobs of that call behind it along (its updates and dispositions
    have no log to apply to without it); any other job is dropped alone.
    """
    dropped = await jobs.drop(job.id, with_later=job.kind in CARRIES_LATER)
    if dropped:
        behind = [job_id for job_id in dropped if job_id != job.id]
        log.info(
            f"outbox job dropped by {by}",
            job_id=job.id,
            kind=job.kind,
            order_key=job.order_key,
            dropped_behind=behind,
        )
    return dropped
