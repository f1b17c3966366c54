"""Call-log linkages, and the reservation that makes a CRM create happen exactly once.

A create first *reserves* its linkage (an insert-or-nothing on the unique identity key
`(session_id, extension_number, hashed_extension_id)`), calls the CRM only if the reservation is
its own, then confirms it with the CRM's log id or releases it on failure. Every process and
machine sharing the database therefore agrees on a single winner without any in-memory lock.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    bindparam,
    delete,
    exists,
    literal,
    or_,
    select,
    update,
)

from appconnect.domain import CallLogLink
from appconnect.store.db import Database
from appconnect.store.models import CallLogRow
from appconnect.store.prepared import Bound, Prepared
from appconnect.store.upserts import PerDialect

PENDING = "pending"
CREATED = "created"
_TABLE: Table = typing.cast(Table, CallLogRow.__table__)
_C = _TABLE.c  # Core columns: ORM attributes would make these selects ORM statements


@dataclass(frozen=True)
class ExtensionIdentity:
    """Which RingCentral extension a linkage belongs to (`E` and `H` of the spec, both may be "")."""

    extension_number: str = ""
    hashed_extension_id: str = ""


@dataclass(frozen=True)
class Reservation:
    """The outcome of `reserve`: either our own pending link, or the link that already exists."""

    link: CallLogLink
    is_ours: bool


def _to_link(row: Any) -> CallLogLink:
    """A linkage from an ORM row, or a Core or prepared row of `select(CallLogRow.__table__)` (all
    have the same attributes)."""
    return CallLogLink(
        id=row.id,
        session_id=row.session_id,
        extension_number=row.extension_number,
        hashed_extension_id=row.hashed_extension_id,
        platform=row.platform,
        third_party_log_id=row.third_party_log_id,
        user_id=row.user_id,
        contact_id=row.contact_id,
        state=row.state,
    )


def _qualifies(link: CallLogLink, who: ExtensionIdentity) -> bool:
    e, h = who.extension_number, who.hashed_extension_id
    row_unhashed = not link.hashed_extension_id
    if h:
        return (
            link.hashed_extension_id == h
            or (bool(e) and link.extension_number == e and row_unhashed)
            or (link.extension_number == "" and row_unhashed)
        )
    if e:
        return link.extension_number == e
    return True


def choose_link(links: Iterable[CallLogLink], who: ExtensionIdentity) -> CallLogLink | None:
    """Pick the one linkage a request means, by the spec's deterministic rule (§2.2).

    With a hashed extension id: an exact hash match first, then a legacy row with the same
    extension number, then a legacy row without any identity. Otherwise the first by
    (hash, extension number).
    """
    candidates = [link for link in links if _qualifies(link, who)]
    if not candidates:
        return None
    if who.hashed_extension_id:

        def rank(link: CallLogLink) -> int:
            if link.hashed_extension_id == who.hashed_extension_id:
                return 0
            return 1 if link.extension_number == who.extension_number else 2

        return min(candidates, key=rank)
    return min(candidates, key=lambda link: (link.hashed_extension_id, link.extension_number))


def _candidates_query(by_platform: bool, by_user: bool) -> Select[Any]:
    query = select(_TABLE).where(_C.session_id.in_(bindparam("session_ids", expanding=True)))
    if by_platform:
        query = query.where(_C.platform == bindparam("platform"))
    if by_user:
        query = query.where(_C.user_id == bindparam("user_id"))
    return query


# The hot statements are prepared once (`store/prepared.py`): building a statement and its cache
# key on every call, and running it through a `Connection`, cost several times the query itself.
_CANDIDATES = {(p, u): _candidates_query(p, u) for p in (False, True) for u in (False, True)}


def _one_session_query(by_platform: bool, by_user: bool) -> Prepared:
    """`_candidates_query` for one session id, the case of every call-log request but a batch read."""
    query = select(_TABLE).where(_C.session_id == bindparam("session_id"))
    if by_platform:
        query = query.where(_C.platform == bindparam("platform"))
    if by_user:
        query = query.where(_C.user_id == bindparam("user_id"))
    return Prepared(query)


_ONE_SESSION = {(p, u): _one_session_query(p, u) for p in (False, True) for u in (False, True)}
_EXISTING = Prepared(
    select(_TABLE).where(
        _C.session_id == bindparam("session_id"),
        _C.platform == bindparam("platform"),
        or_(_C.state != PENDING, _C.updated_at >= bindparam("cutoff", type_=_C.updated_at.type)),
    )
)
_RESERVED_COLUMNS = (
    "id",
    "session_id",
    "extension_number",
    "hashed_extension_id",
    "platform",
    "user_id",
    "contact_id",
    "third_party_log_id",
    "state",
)


def _reserve_statement(insert: Any) -> Prepared:
    """Insert-or-nothing on the identity key, for one dialect's `insert` (ON CONFLICT is dialect syntax)."""
    values = {name: bindparam(name, type_=_C[name].type) for name in _RESERVED_COLUMNS}
    return Prepared(insert(_TABLE).values(values).on_conflict_do_nothing().returning(_C.id))


_RESERVE = PerDialect(_reserve_statement)
_BY_KEY = (
    _C.id == bindparam("key_id"),
    _C.session_id == bindparam("key_session_id"),
    _C.extension_number == bindparam("key_extension_number"),
    _C.hashed_extension_id == bindparam("key_hashed_extension_id"),
)
_CONFIRM = Prepared(
    update(_TABLE).where(*_BY_KEY).values(third_party_log_id=bindparam("third_party_log_id"), state=CREATED)
)
_RELEASE = Prepared(delete(_TABLE).where(*_BY_KEY, _C.state == PENDING))


def _key_values(link: CallLogLink) -> dict[str, str]:
    """The values of `_BY_KEY` for one linkage."""
    return {
        "key_id": link.id,
        "key_session_id": link.session_id,
        "key_extension_number": link.extension_number,
        "key_hashed_extension_id": link.hashed_extension_id,
    }


class CallLogRepository:
    def __init__(self, database: Database, *, stale_after: timedelta = timedelta(minutes=5)) -> None:
        self._db = database
        self._stale_after = stale_after

    async def candidates(
        self, session_ids: Sequence[str], *, platform: str | None, user_id: str | None = None
    ) -> list[CallLogLink]:
        """All linkages of these sessions on `platform` (and of `user_id`, when given)."""
        shape = (platform is not None, user_id is not None)
        if len(session_ids) == 1:
            one = {"session_id": session_ids[0], "platform": platform, "user_id": user_id}
            return [_to_link(row) for row in (await self._db.run(_ONE_SESSION[shape], one)).rows]
        batch = {"session_ids": list(session_ids), "platform": platform, "user_id": user_id}
        async with self._db.connect() as connection:
            return [_to_link(row) for row in (await connection.execute(_CANDIDATES[shape], batch)).all()]

    async def find(
        self,
        session_id: str,
        who: ExtensionIdentity,
        *,
        platform: str | None,
        user_id: str | None = None,
    ) -> CallLogLink | None:
        return choose_link(await self.candidates([session_id], platform=platform, user_id=user_id), who)

    async def existing(self, session_id: str, who: ExtensionIdentity, *, platform: str) -> CallLogLink | None:
        """The linkage that makes a new create a duplicate: any created one, or a live reservation.

        A pending reservation older than `stale_after` (its creator died mid-create) does not
        count: `reserve` takes it over.
        """
        cutoff = datetime.now(UTC) - self._stale_after
        values = {"session_id": session_id, "platform": platform, "cutoff": cutoff}
        rows = (await self._db.run(_EXISTING, values)).rows
        return choose_link([_to_link(row) for row in rows], who)

    async def reserve(
        self,
        *,
        record_id: str,
        session_id: str,
        who: ExtensionIdentity,
        platform: str,
        user_id: str,
        contact_id: str,
        checked: bool = False,
    ) -> Reservation:
        """Claim the right to create the CRM log for this session and identity.

        Returns `is_ours=False` with the existing link when another request (in any process) got
        there first. A pending reservation older than `stale_after` (its creator died) is taken
        over. `checked=True` says the caller has just looked with `existing` and found nothing,
        so the first attempt goes straight to the insert (one round trip fewer on every create).
        """
        look_first = not checked
        for _attempt in range(3):
            if look_first:
                existing = await self.find(session_id, who, platform=platform)
                if existing is not None:
                    if existing.state == PENDING and await self._reclaim_if_stale(existing):
                        continue
                    return Reservation(link=existing, is_ours=False)
            look_first = True
            values = {
                "id": record_id,
                "session_id": session_id,
                "extension_number": who.extension_number,
                "hashed_extension_id": who.hashed_extension_id,
                "platform": platform,
                "user_id": user_id,
                "contact_id": contact_id,
                "third_party_log_id": None,
                "state": PENDING,
            }
            # One statement: atomic on its own.
            inserted = (await self._db.run(_RESERVE[self._db.backend], values)).first() is not None
            if inserted:
                link = CallLogLink(**values)  # type: ignore[arg-type]
                return Reservation(link=link, is_ours=True)
            holder = await self._holder_of_key(session_id, who)
            if holder is not None:
                if holder.state == PENDING and await self._reclaim_if_stale(holder):
                    continue
                return Reservation(link=holder, is_ours=False)
        raise RuntimeError(f"could not reserve the call log of session {session_id}")

    async def _holder_of_key(self, session_id: str, who: ExtensionIdentity) -> CallLogLink | None:
        """The row holding the unique identity key, whatever its platform."""
        query = select(_TABLE).where(
            _C.session_id == session_id,
            _C.extension_number == who.extension_number,
            _C.hashed_extension_id == who.hashed_extension_id,
        )
        async with self._db.connect() as connection:
            row = (await connection.execute(query)).first()
            return None if row is None else _to_link(row)

    async def _reclaim_if_stale(self, link: CallLogLink) -> bool:
        cutoff = datetime.now(UTC) - self._stale_after
        async with self._db.connect() as connection:
            result = await connection.execute(
                delete(_TABLE).where(*self._key(link), _C.state == PENDING, _C.updated_at < cutoff)
            )
            return (getattr(result, "rowcount", 0) or 0) > 0

    async def confirm(self, link: CallLogLink, third_party_log_id: str) -> CallLogLink:
        """Record the CRM's log id on our reservation."""
        await self._db.run(_CONFIRM, self.confirm_statement(link, third_party_log_id).values)
        return CallLogLink(**{**link.__dict__, "third_party_log_id": third_party_log_id, "state": CREATED})

    async def release(self, link: CallLogLink) -> None:
        """Drop a reservation whose CRM create failed, so nothing points at a log that does not exist."""
        await self._db.run(_RELEASE, _key_values(link))

    @staticmethod
    def confirm_statement(link: CallLogLink, third_party_log_id: str) -> Bound:
        """`confirm` as a statement, to run in one transaction with the outbox job it completes."""
        return Bound(_CONFIRM, {**_key_values(link), "third_party_log_id": third_party_log_id})

    @staticmethod
    def release_statement(link: CallLogLink) -> Bound:
        """`release` as a statement (see `confirm_statement`)."""
        return Bound(_RELEASE, _key_values(link))

    async def sweep_stale_without_job(self, job_table: Table) -> int:
        """Delete pending reservations older than `stale_after` that no outbox job delivers.

        A create enqueues its job right after reserving and before calling the CRM, so such a
        row belongs to a process that died in between: nothing was sent, and the row only blocks.
        """
        cutoff = datetime.now(UTC) - self._stale_after
        owned = exists().where(
            job_table.c.order_key
            == literal("call:")
            + _C.platform
            + literal(":")
            + _C.session_id
            + literal(":")
            + _C.extension_number
            + literal(":")
            + _C.hashed_extension_id
        )
        async with self._db.connect() as connection:
            result = await connection.execute(
                delete(_TABLE).where(_C.state == PENDING, _C.updated_at < cutoff, ~owned)
            )
        return int(getattr(result, "rowcount", 0) or 0)

    async def get_exact(self, link: CallLogLink) -> CallLogLink | None:
        async with self._db.sessions() as session:
            row = (await session.scalars(select(CallLogRow).where(*self._key(link)))).first()
            return None if row is None else _to_link(row)

    async def insert_created(self, link: CallLogLink) -> None:
        """Insert a finished linkage directly (imports, development mock routes)."""
        async with self._db.transaction() as session:
            session.add(
                CallLogRow(
                    id=link.id,
                    session_id=link.session_id,
                    extension_number=link.extension_number,
                    hashed_extension_id=link.hashed_extension_id,
                    platform=link.platform,
                    third_party_log_id=link.third_party_log_id,
                    user_id=link.user_id,
                    contact_id=link.contact_id,
                    state=CREATED,
                )
            )

    async def count(self, *, platform: str | None = None) -> int:
        query = select(CallLogRow.id)
        if platform is not None:
            query = query.where(CallLogRow.platform == platform)
        async with self._db.sessions() as session:
            return len((await session.scalars(query)).all())

    @staticmethod
    def _key(link: CallLogLink) -> tuple[ColumnElement[bool], ...]:
        return (
            _C.id == link.id,
            _C.session_id == link.session_id,
            _C.extension_number == link.extension_number,
            _C.hashed_extension_id == link.hashed_extension_id,
        )
