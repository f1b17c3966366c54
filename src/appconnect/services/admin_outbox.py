"""The outbox seen by an account admin: list the CRM writes owed, retry or drop one.

The same actions as `appconnect outbox list | retry | drop`, for an admin who has no shell on the
server. Guarded as every `/admin/*` route (session, user, RingCentral admin role), and scoped: an
admin sees and acts on the jobs of the session's CRM platform whose user belongs to the admin's
RingCentral account (`users.rc_account_id`), plus the session user's own jobs when that user has no
recorded account (a login that named none) or the admin's. A job outside that view
answers exactly as a job that does not exist (404), so ids of other accounts are not revealed.
Never the payload: it holds the agent's notes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import structlog

from appconnect.domain import User
from appconnect.services import outbox
from appconnect.services.admin import user_and_admin
from appconnect.services.context import ServerContext
from appconnect.services.replies import Reply, error
from appconnect.services.ringcentral import RcIdentity
from appconnect.store.outbox import DEAD, QUEUED, Job

log = structlog.get_logger("appconnect.outbox")

STATES = (QUEUED, DEAD)
LIST_LIMIT = 500


def job_view(job: Job, moment: datetime) -> dict[str, Any]:
    """`Job.wire()` plus its ages in seconds: since accepted (or last retried), since its last
    change, and until its next attempt (queued jobs only)."""
    view = job.wire()
    view["ageSeconds"] = round(max((moment - job.created_at).total_seconds(), 0.0), 3)
    view["idleSeconds"] = round(max((moment - job.updated_at).total_seconds(), 0.0), 3)
    view["dueInSeconds"] = (
        round(max((job.run_after - moment).total_seconds(), 0.0), 3) if job.state == QUEUED else None
    )
    return view


def _not_found(job_id: str) -> Reply:
    return error(f"Outbox job {job_id} not found", 404)


def _own(user: User, identity: RcIdentity) -> str | None:
    """The session user's id, when its own jobs are in this admin's view."""
    return user.id if user.rc_account_id in (None, "", identity.account_id) else None


async def _scoped_job(context: ServerContext, job_id: str, user: User, identity: RcIdentity) -> Job | None:
    if not job_id.isdigit() or len(job_id) > 18:
        return None
    return await context.store.outbox.get_of_account(
        int(job_id), platform=user.platform, rc_account_id=identity.account_id, user_id=_own(user, identity)
    )


async def list_jobs(
    context: ServerContext, *, user_id: str, rc_access_token: str | None, state: str | None
) -> Reply:
    """`GET /admin/outbox[?state=queued|dead]`: `{successful, jobs: [...]}`, oldest first."""
    checked = await user_and_admin(context, user_id, rc_access_token)
    if isinstance(checked, Reply):
        return checked
    user, identity = checked
    if state is not None and state not in STATES:
        return error(f"state must be one of: {', '.join(STATES)}")
    jobs = await context.store.outbox.jobs_of_account(
        platform=user.platform,
        rc_account_id=identity.account_id,
        user_id=_own(user, identity),
        state=state,
        limit=LIST_LIMIT,
    )
    moment = datetime.now(UTC)
    return Reply({"successful": True, "jobs": [job_view(job, moment) for job in jobs]})


async def retry_job(
    context: ServerContext, *, user_id: str, rc_access_token: str | None, job_id: str
) -> Reply:
    """`POST /admin/outbox/{jobId}/retry`: queue the job again now, attempts reset (a dead one too).

    A job being attempted right now (its lease is live) is left alone: 409.
    """
    checked = await user_and_admin(context, user_id, rc_access_token)
    if isinstance(checked, Reply):
        return checked
    user, identity = checked
    job = await _scoped_job(context, job_id, user, identity)
    if job is None:
        return _not_found(job_id)
    if not await context.store.outbox.retry(job.id):
        again = await context.store.outbox.get(job.id)
        if again is None:
            return _not_found(job_id)  # delivered or dropped meanwhile
        return error(f"Outbox job {job_id} is being delivered right now", 409)
    log.info("outbox job retried by an admin", job_id=job.id, kind=job.kind, order_key=job.order_key)
    retried = await context.store.outbox.get(job.id)
    view = job_view(retried, datetime.now(UTC)) if retried is not None else None
    return Reply({"successful": True, "job": view})


async def drop_job(
    context: ServerContext, *, user_id: str, rc_access_token: str | None, job_id: str
) -> Reply:
    """`DELETE /admin/outbox/{jobId}`: delete the job; its CRM write is given up.

    A call's create takes the jobs of that call behind it along (`droppedBehind`, their ids).
    """
    checked = await user_and_admin(context, user_id, rc_access_token)
    if isinstance(checked, Reply):
        return checked
    user, identity = checked
    job = await _scoped_job(context, job_id, user, identity)
    dropped = [] if job is None else await outbox.drop_job(context.store.outbox, job, by="an admin")
    if job is None or not dropped:
        return _not_found(job_id)
    behind = [other for other in dropped if other != job.id]
    return Reply({"successful": True, "dropped": job.id, "droppedBehind": behind})
