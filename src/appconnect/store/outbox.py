"""The outbox: CRM writes the server accepted and still owes, kept in the server's own database.

Written plainly on SQLAlchemy Core rather than with a queue library: a job must be recorded in
the same database (and, where it matters, the same transaction) as the reservation it belongs to,
on SQLite and on PostgreSQL alike, and no maintained Python queue library enqueues inside our own
SQLAlchemy transaction on both (they bring their own connection, broker or PostgreSQL-only schema).

Lifecycle of a job::

    enqueue (leased by the request that runs the first attempt, or free for a worker)
      -> claim (a worker takes the lease; PostgreSQL: FOR UPDATE SKIP LOCKED)
      -> complete (row deleted, in one transaction with the state it delivers, e.g. the CRM id)
       | reschedule (lease dropped, `run_after` pushed back)
       | kill (state `dead`: kept for an operator; `retry` queues it again, `drop` deletes it)

Jobs of one `order_key` (one call session, one conversation day) are claimed one at a time in id
order: a job is claimable only when no job of its key, queued *or dead*, has a lower id. A dead
job therefore holds the jobs behind it (they stay queued, visible and counted) until an operator
retries it (then they follow it, in order) or drops it. A lease that expired belongs to a process
that died; the job is claimable again, with `maybe_sent` set.
"""

from __future__ import annotations

import functools
import hashlib
import json
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Delete,
    Table,
    Update,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.orm import aliased

from appconnect.store.db import Database
from appconnect.store.models import OutboxJobRow, UserRow
from appconnect.store.prepared import Bound, Prepared

QUEUED = "queued"
DEAD = "dead"
_TABLE: Table = typing.cast(Table, OutboxJobRow.__table__)
_C = _TABLE.c


# The statements of every write, built once with bound parameters (building one, and its cache
# key, costs more than running it): see `store/call_logs.py`.
_COLUMNS = (
    "kind",
    "platform",
    "user_id",
    "order_key",
    "account_key",
    "dedupe_key",
    "payload",
    "state",
    "attempts",
    "maybe_sent",
    "run_after",
    "lease_owner",
    "lease_until",
    "last_error",
    "created_at",
    "updated_at",
)
_BOUND = {name: bindparam(name, type_=_C[name].type) for name in _COLUMNS}
_INSERT = insert(_TABLE).values(_BOUND).returning(_C.id)
_INSERT_FIRST = (
    insert(_TABLE)
    .from_select(
        list(_COLUMNS),
        select(*(_BOUND[name].label(name) for name in _COLUMNS)).where(
            ~exists().where(_C.order_key == bindparam("order_key", type_=_C.order_key.type))
        ),
    )
    .returning(_C.id)
)
_DELETE = delete(_TABLE).where(_C.id == bindparam("job_id", type_=_C.id.type))
# What runs on its own, outside a transaction, on every call: prepared (`store/prepared.py`).
_RUN_INSERT = Prepared(_INSERT)
_RUN_INSERT_FIRST = Prepared(_INSERT_FIRST)
_RUN_DELETE = Prepared(_DELETE)


@functools.lru_cache(maxsize=32)  # keyed by the module-level statements of the repositories
def _deleting_the_job(delivers: Prepared) -> Prepared:
    """PostgreSQL: `delivers` (an UPDATE or DELETE) with a CTE that deletes the job (`job_id`)."""
    statement = typing.cast(Update | Delete, delivers.statement)
    return Prepared(statement.add_cte(_DELETE.cte("completed_job")))


def now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite hands timestamps back naive (they are stored in UTC)."""
    if moment is None:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def dedupe_key(kind: str, order_key: str, payload: dict[str, Any]) -> str:
    """The same request sent again makes the same key (a retry while queued adds nothing)."""
    text = json.dumps([kind, order_key, payload], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class JobSpec:
    """What to enqueue: the write (`kind` + `payload`, enough to redo it) and its keys."""

    kind: str
    platform: str
    user_id: str
    order_key: str
    account_key: str
    payload: dict[str, Any]

    @property
    def dedupe_key(self) -> str:
        return dedupe_key(self.kind, self.order_key, self.payload)


@dataclass(frozen=True)
class Job:
    """One stored job. `maybe_sent`: an earlier attempt may have reached the CRM."""

    id: int
    kind: str
    platform: str
    user_id: str
    order_key: str
    account_key: str
    dedupe_key: str
    payload: dict[str, Any]
    state: str
    attempts: int
    maybe_sent: bool
    run_after: datetime
    lease_owner: str | None
    lease_until: datetime | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime

    def wire(self) -> dict[str, Any]:
        """What an operator sees (`appconnect outbox list`): never the payload (it holds notes)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "platform": self.platform,
            "userId": self.user_id,
            "orderKey": self.order_key,
            "state": self.state,
            "attempts": self.attempts,
            "runAfter": self.run_after.isoformat(),
            "leaseUntil": self.lease_until.isoformat() if self.lease_until else None,
            "lastError": self.last_error,
            "createdAt": self.created_at.isoformat(),
        }


def _job(row: Any) -> Job:
    return Job(
        id=row.id,
        kind=row.kind,
        platform=row.platform,
        user_id=row.user_id,
        order_key=row.order_key,
        account_key=row.account_key,
        dedupe_key=row.dedupe_key,
        payload=row.payload,
        state=row.state,
        attempts=row.attempts,
        maybe_sent=bool(row.maybe_sent),
        run_after=_aware(row.run_after) or now(),
        lease_owner=row.lease_owner,
        lease_until=_aware(row.lease_until),
        last_error=row.last_error,
        created_at=_aware(row.created_at) or now(),
        updated_at=_aware(row.updated_at) or now(),
    )


@dataclass(frozen=True)
class QueueStats:
    """What `/health/ready` reports."""

    queued: int
    dead: int
    oldest_age_seconds: float | None


class OutboxRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    def _values(self, spec: JobSpec, lease_owner: str | None, lease_seconds: float) -> dict[str, Any]:
        moment = now()
        return {
            "kind": spec.kind,
            "platform": spec.platform,
            "user_id": spec.user_id,
            "order_key": spec.order_key,
            "account_key": spec.account_key,
            "dedupe_key": spec.dedupe_key,
            "payload": spec.payload,
            "state": QUEUED,
            "attempts": 1 if lease_owner else 0,
            "maybe_sent": bool(lease_owner),
            "run_after": moment,
            "lease_owner": lease_owner,
            "lease_until": moment + timedelta(seconds=lease_seconds) if lease_owner else None,
            "last_error": None,
            "created_at": moment,
            "updated_at": moment,
        }

    async def enqueue(
        self,
        spec: JobSpec,
        *,
        lease_owner: str | None = None,
        lease_seconds: float = 0.0,
        also: Sequence[Bound] = (),
    ) -> Job:
        """Record a job (and run `also` in the same transaction).

        With `lease_owner`, the caller runs the first attempt itself right away: the job is leased
        to it (`maybe_sent`, one attempt counted), so no worker runs it meanwhile, and a worker
        takes it over (looking the create up first) if the caller dies.
        """
        values = self._values(spec, lease_owner, lease_seconds)
        if also:
            job_id = (await self._db.run_together([*also, Bound(_RUN_INSERT, values)]))[-1].scalar()
        else:  # one statement is atomic on its own: no BEGIN/COMMIT round trips
            job_id = (await self._db.run(_RUN_INSERT, values)).scalar()
        assert job_id is not None  # RETURNING of an INSERT ... VALUES always gives the row
        return Job(id=job_id, **values)

    async def enqueue_first(self, spec: JobSpec, *, lease_owner: str, lease_seconds: float) -> Job | None:
        """`enqueue` leased to the caller, only if its order key has no job at all (else None).

        The hot path of an update: one INSERT ... SELECT ... WHERE NOT EXISTS decides "nothing of
        this call is owed or in flight" and records the job, where a look (`queued_for`) and an
        insert were two round trips. A None sends the caller to the careful path, which looks.
        """
        values = self._values(spec, lease_owner, lease_seconds)
        job_id = (await self._db.run(_RUN_INSERT_FIRST, values)).scalar()
        return None if job_id is None else Job(id=job_id, **values)

    async def get(self, job_id: int) -> Job | None:
        async with self._db.connect() as connection:
            row = (await connection.execute(select(_TABLE).where(_C.id == job_id))).first()
        return None if row is None else _job(row)

    async def queued_for(self, order_key: str) -> list[Job]:
        """The jobs still owed for one call session or conversation day, queued or dead, in the
        order they run (a dead job holds those behind it: a new write of that key queues behind)."""
        query = select(_TABLE).where(_C.order_key == order_key).order_by(_C.id)
        async with self._db.connect() as connection:
            return [_job(row) for row in (await connection.execute(query)).all()]

    async def jobs(self, *, state: str | None = None, limit: int = 200) -> list[Job]:
        query = select(_TABLE).order_by(_C.id).limit(limit)
        if state is not None:
            query = query.where(_C.state == state)
        async with self._db.connect() as connection:
            return [_job(row) for row in (await connection.execute(query)).all()]

    async def jobs_of_account(
        self,
        *,
        platform: str,
        rc_account_id: str,
        user_id: str | None,
        state: str | None = None,
        limit: int = 200,
    ) -> list[Job]:
        """An account admin's view: jobs of `platform` whose user belongs to RingCentral account
        `rc_account_id`, and those of `user_id` (the admin's own; None: none beyond the account's)."""
        query = select(_TABLE).where(self._of_account(platform, rc_account_id, user_id))
        if state is not None:
            query = query.where(_C.state == state)
        async with self._db.connect() as connection:
            rows = (await connection.execute(query.order_by(_C.id).limit(limit))).all()
        return [_job(row) for row in rows]

    async def get_of_account(
        self, job_id: int, *, platform: str, rc_account_id: str, user_id: str | None
    ) -> Job | None:
        """One job, when it is in that admin's view (see `jobs_of_account`), else None."""
        query = select(_TABLE).where(_C.id == job_id, self._of_account(platform, rc_account_id, user_id))
        async with self._db.connect() as connection:
            row = (await connection.execute(query)).first()
        return None if row is None else _job(row)

    @staticmethod
    def _of_account(platform: str, rc_account_id: str, user_id: str | None) -> Any:
        users: Table = typing.cast(Table, UserRow.__table__)
        in_account = _C.user_id.in_(select(users.c.id).where(users.c.rc_account_id == rc_account_id))
        return and_(
            _C.platform == platform, in_account if user_id is None else or_(_C.user_id == user_id, in_account)
        )

    async def claim(self, owner: str, *, limit: int, lease_seconds: float) -> list[Job]:
        """Lease up to `limit` runnable jobs to `owner`; the jobs as they were before the claim.

        Runnable: queued, due, not leased (or the lease expired), and first of its order key (no
        job of that key, queued or dead, has a lower id: a dead job holds the jobs behind it).
        PostgreSQL skips rows another worker is claiming (`FOR UPDATE SKIP LOCKED`); SQLite takes
        the database write lock for the transaction, which serializes claims across processes.
        """
        moment = now()
        earlier = aliased(_TABLE)
        query = (
            select(_TABLE)
            .where(
                _C.state == QUEUED,
                _C.run_after <= moment,
                or_(_C.lease_until.is_(None), _C.lease_until < moment),
                ~exists().where(and_(earlier.c.order_key == _C.order_key, earlier.c.id < _C.id)),
            )
            .order_by(_C.id)
            .limit(limit)
        )
        async with self._db.connect() as connection:  # idle queue: a plain read, no write lock taken
            if (await connection.execute(query.with_only_columns(_C.id).limit(1))).first() is None:
                return []
        if self._db.backend == "postgresql":
            query = query.with_for_update(skip_locked=True, of=_TABLE)
        async with self._db.transaction() as session:
            jobs = [_job(row) for row in (await session.execute(query)).all()]
            if jobs:
                await session.execute(
                    update(_TABLE)
                    .where(_C.id.in_([job.id for job in jobs]))
                    .values(
                        lease_owner=owner,
                        lease_until=moment + timedelta(seconds=lease_seconds),
                        attempts=_C.attempts + 1,
                        maybe_sent=True,
                        updated_at=moment,
                    )
                )
        return [Job(**{**job.__dict__, "attempts": job.attempts + 1, "lease_owner": owner}) for job in jobs]

    async def merge_into(self, job_id: int, *, payload: dict[str, Any]) -> bool:
        """Replace the payload of a queued job that no attempt holds and that is still the last
        of its order key (a later write merged into it); False when that no longer holds (a
        worker claimed it meanwhile, or something queued behind it): queue the write instead."""
        later = aliased(_TABLE)
        async with self._db.connect() as connection:
            result = await connection.execute(
                update(_TABLE)
                .where(
                    _C.id == job_id,
                    _C.state == QUEUED,
                    _C.lease_until.is_(None),
                    ~exists().where(and_(later.c.order_key == _C.order_key, later.c.id > _C.id)),
                )
                .values(payload=payload, updated_at=now())
            )
        return bool(getattr(result, "rowcount", 0))

    async def complete(self, job_id: int, *, also: Sequence[Bound] = ()) -> None:
        """The job is delivered: delete it, and run `also` (e.g. record the CRM id) in one transaction.

        Fewest round trips that keep it atomic: the DELETE alone, or on PostgreSQL one statement
        whose CTE deletes the job while the main statement (one `also` UPDATE or DELETE of another
        table) delivers its state; otherwise BEGIN, the statements, COMMIT.
        """
        key = {"job_id": job_id}
        if not also:
            await self._db.run(_RUN_DELETE, key)
            return
        [only, *rest] = also
        if (
            not rest
            and self._db.backend == "postgresql"
            and isinstance(only.prepared.statement, Update | Delete)
        ):
            await self._db.run(_deleting_the_job(only.prepared), {**only.values, **key})
            return
        await self._db.run_together([*also, Bound(_RUN_DELETE, key)])

    async def reschedule(self, job_id: int, *, delay_seconds: float, error: str, maybe_sent: bool) -> None:
        """Give the lease back and try again after `delay_seconds`."""
        moment = now()
        async with self._db.connect() as connection:
            await connection.execute(
                update(_TABLE)
                .where(_C.id == job_id)
                .values(
                    run_after=moment + timedelta(seconds=delay_seconds),
                    lease_owner=None,
                    lease_until=None,
                    last_error=error[:2000],
                    maybe_sent=maybe_sent,
                    updated_at=moment,
                )
            )

    async def pause_account(self, account_key: str, *, seconds: float) -> int:
        """A 429 from one CRM account: its queued jobs wait (other accounts' jobs do not).

        Best effort by design: on PostgreSQL a job another transaction holds (a worker claiming
        it, a request settling it, another 429's pause) is skipped rather than waited for. A
        multi-row UPDATE that waits locks rows in no fixed order, and two of them at once, or one
        beside a claim, deadlock; a skipped job meets the same 429 itself and waits then.
        """
        until = now() + timedelta(seconds=seconds)
        due = select(_C.id).where(_C.account_key == account_key, _C.state == QUEUED, _C.run_after < until)
        if self._db.backend == "postgresql":
            due = due.order_by(_C.id).with_for_update(skip_locked=True)
        async with self._db.transaction() as session:
            result = await session.execute(update(_TABLE).where(_C.id.in_(due)).values(run_after=until))
        return int(getattr(result, "rowcount", 0) or 0)

    async def kill(
        self, job_id: int, *, error: str, also: Sequence[Bound] = (), maybe_sent: bool | None = None
    ) -> None:
        """The job is dead: kept, with its last error, until an operator retries or drops it.

        `maybe_sent` (when given) is what a retried job assumes about earlier attempts."""
        moment = now()
        values: dict[str, Any] = {
            "state": DEAD,
            "lease_owner": None,
            "lease_until": None,
            "last_error": error[:2000],
            "updated_at": moment,
        }
        if maybe_sent is not None:
            values["maybe_sent"] = maybe_sent
        async with self._db.transaction() as session:
            for bound in also:
                await session.execute(bound.prepared.statement, dict(bound.values))
            await session.execute(update(_TABLE).where(_C.id == job_id).values(**values))

    async def retry(self, job_id: int) -> bool:
        """Queue a job again now (a dead one, or one waiting out its backoff), attempts reset.

        The jobs of its order key behind it (held while it was dead) get a fresh age with it, so
        they are not given up for the time they waited.
        """
        moment = now()
        async with self._db.transaction() as session:
            order_key = (
                await session.execute(
                    update(_TABLE)
                    .where(_C.id == job_id, or_(_C.state == DEAD, _C.lease_until.is_(None)))
                    .values(state=QUEUED, run_after=moment, attempts=0, created_at=moment, updated_at=moment)
                    .returning(_C.order_key)
                )
            ).scalar_one_or_none()
            if order_key is None:
                return False
            await session.execute(
                update(_TABLE)
                .where(_C.order_key == order_key, _C.id > job_id, _C.state == QUEUED)
                .values(created_at=moment)
            )
        return True

    async def drop(self, job_id: int, *, with_later: bool = False) -> list[int]:
        """Delete a job, and (`with_later`) the jobs of its order key behind it, which cannot be
        delivered without it (the updates of a call whose create is given up). The ids deleted,
        in order; [] when there was no such job."""
        async with self._db.transaction() as session:
            order_key = (
                await session.execute(select(_C.order_key).where(_C.id == job_id))
            ).scalar_one_or_none()
            if order_key is None:
                return []
            which = _C.id == job_id
            if with_later:
                which = or_(which, and_(_C.order_key == order_key, _C.id > job_id))
            ids = (await session.execute(delete(_TABLE).where(which).returning(_C.id))).scalars().all()
        return sorted(int(i) for i in ids)

    async def stats(self) -> QueueStats:
        async with self._db.connect() as connection:
            rows = (
                await connection.execute(
                    select(_C.state, func.count(), func.min(_C.created_at)).group_by(_C.state)
                )
            ).all()
        by_state = {row[0]: (int(row[1]), _aware(row[2])) for row in rows}
        queued, oldest = by_state.get(QUEUED, (0, None))
        dead, _ = by_state.get(DEAD, (0, None))
        age = (now() - oldest).total_seconds() if oldest is not None else None
        return QueueStats(queued=queued, dead=dead, oldest_age_seconds=age)
