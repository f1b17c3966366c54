"""The sample CRM's own database: contacts, call activities and message logs in SQLite.

It is deliberately separate from the server's database (its own file, its own `MetaData`, tables
prefixed `sample_`): it stands in for a remote CRM, so the server's migrations never see it and it
can be deleted to start over. The default file is `appconnect-sample-crm.db`
(`SAMPLE_CRM_DATABASE_URL`).

Concurrency: several requests (and several worker processes) may use the file at once. The engine
comes from `appconnect.store.db.create_engine` (WAL, 30 s busy timeout). Every transaction is short,
and every one that writes starts with `BEGIN IMMEDIATE`, taking SQLite's write lock up front: a
read-modify-write (appending a message, merging dispositions) then cannot lose a concurrent update
or fail half-way with `SQLITE_BUSY`. Table creation and seeding happen in one such transaction,
so workers starting together create and seed exactly once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    event,
    func,
    inspect,
    select,
    update,
)
from sqlalchemy.engine import Connection, CursorResult
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from appconnect.connectors.sample.errors import SampleCrmNotFound
from appconnect.connectors.sample.phones import normalise_number, stored_keys
from appconnect.store.db import create_engine

__all__ = ["SEED_CONTACTS", "SampleCrmStore", "metadata"]

metadata = MetaData()

contacts = Table(
    "sample_contacts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(255), nullable=False),
    Column("type", String(64), nullable=False),
    Column("phone", String(32), nullable=True, comment="primary number: E.164, or digits"),
    Column("company", String(255), nullable=True),
    Column("email", String(255), nullable=True),
    Column("created_at", String(32), nullable=False),
    sqlite_autoincrement=True,
)

contact_phones = Table(
    "sample_contact_phones",
    metadata,
    Column("contact_id", Integer, ForeignKey("sample_contacts.id", ondelete="CASCADE"), primary_key=True),
    Column("match_key", String(32), primary_key=True),
    Column("phone", String(32), nullable=False),
)
Index("ix_sample_contact_phones_match_key", contact_phones.c.match_key)

call_activities = Table(
    "sample_call_activities",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("contact_id", String(64), nullable=True),
    Column("contact_name", String(255), nullable=True),
    Column("phone_number", String(32), nullable=True),
    Column("direction", String(16), nullable=True),
    Column("session_id", String(64), nullable=True),
    Column("subject", String(1024), nullable=False),
    Column("body", Text, nullable=False),
    Column("dispositions", JSON, nullable=True),
    Column("created_at", String(32), nullable=False),
    Column("updated_at", String(32), nullable=False),
    sqlite_autoincrement=True,
)

message_logs = Table(
    "sample_message_logs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("contact_id", String(64), nullable=True),
    Column("contact_name", String(255), nullable=True),
    Column("subject", String(1024), nullable=False),
    Column("body", Text, nullable=False),
    Column("message_ids", JSON, nullable=False, comment="ids of the messages already in the body"),
    Column("created_at", String(32), nullable=False),
    Column("updated_at", String(32), nullable=False),
    sqlite_autoincrement=True,
)

#: Contacts a new sample CRM starts with (name, phone, company, email).
SEED_CONTACTS: tuple[tuple[str, str, str, str], ...] = (
    ("Ann Example", "+14155550100", "Example Inc.", "ann@example.com"),
    ("Bob Sample", "+14155550101", "Sample Corp.", "bob@example.org"),
    ("Carol Demo", "+442071234567", "Demo Ltd", "carol@example.net"),
)

_BEGIN_OPTION = "sample_crm_begin"


def _now() -> str:
    """The current UTC time as ISO 8601 with milliseconds and a `Z`, like most CRM APIs."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def record_id(value: object) -> int | None:
    """The integer id a CRM id string names, or None when it cannot be one of ours.

    >>> record_id("42"), record_id(42), record_id("abc"), record_id(None)
    (42, 42, None, None)
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    return int(text) if text.isascii() and text.isdigit() else None


def _row(mapping: Mapping[Any, Any]) -> dict[str, Any]:
    return {str(key): value for key, value in mapping.items()}


def _inserted_id(result: CursorResult[Any]) -> int:
    primary_key = result.inserted_primary_key
    if primary_key is None:  # pragma: no cover - SQLite always reports the new rowid
        raise RuntimeError("the database did not report the new row's id")
    return int(primary_key[0])


class SampleCrmStore:
    """Data access for the sample CRM; every method opens and closes its own short transaction.

    The engine is created, and the tables created and seeded, on first use (or by `startup()`).
    """

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self._engine: AsyncEngine | None = None
        self._writer: AsyncEngine | None = None
        self._init_lock = asyncio.Lock()

    # -- lifecycle ------------------------------------------------------------------------------
    async def startup(self) -> None:
        """Create the engine, the tables and the seed contacts (idempotent, safe across processes)."""
        if self._engine is not None:
            return
        async with self._init_lock:
            if self._engine is not None:
                return
            engine = create_engine(self.database_url)
            _control_transactions(engine)
            writer = engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
            try:
                async with writer.begin() as connection:
                    existed = await connection.run_sync(lambda sync: inspect(sync).has_table(contacts.name))
                    await connection.run_sync(metadata.create_all)
                    if not existed:
                        for name, phone, company, email in SEED_CONTACTS:
                            await _insert_contact(
                                connection,
                                name=name,
                                type_="Contact",
                                phone=phone,
                                company=company,
                                email=email,
                            )
            except BaseException:
                await engine.dispose()
                raise
            self._engine, self._writer = engine, writer

    async def shutdown(self) -> None:
        """Close every pooled connection; the next use starts the store again."""
        async with self._init_lock:
            engine, self._engine, self._writer = self._engine, None, None
            if engine is not None:
                await engine.dispose()

    @asynccontextmanager
    async def _read(self) -> AsyncIterator[AsyncConnection]:
        await self.startup()
        assert self._engine is not None
        async with self._engine.begin() as connection:
            yield connection

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[AsyncConnection]:
        await self.startup()
        assert self._writer is not None
        async with self._writer.begin() as connection:
            yield connection

    # -- contacts -------------------------------------------------------------------------------
    async def create_contact(
        self,
        *,
        name: str,
        phone: str | None,
        type_: str = "Contact",
        company: str | None = None,
        email: str | None = None,
    ) -> dict[str, Any]:
        """Insert a contact (its number normalised) and return it."""
        async with self._write() as connection:
            contact_id = await _insert_contact(
                connection, name=name, type_=type_, phone=phone, company=company, email=email
            )
            contact = await _contacts_by_id(connection, [contact_id])
        return contact[0]

    async def get_contact(self, contact_id: object) -> dict[str, Any] | None:
        """The contact with this id, or None."""
        key = record_id(contact_id)
        if key is None:
            return None
        async with self._read() as connection:
            found = await _contacts_by_id(connection, [key])
        return found[0] if found else None

    async def list_contacts(self) -> list[dict[str, Any]]:
        """Every contact, oldest first, each with its `phone_numbers`."""
        async with self._read() as connection:
            ids = (await connection.execute(select(contacts.c.id).order_by(contacts.c.id))).scalars().all()
            return await _contacts_by_id(connection, list(ids))

    async def find_contacts_by_keys(self, keys: Sequence[str]) -> list[tuple[dict[str, Any], str]]:
        """Contacts owning a number with one of these match keys, with the number that matched."""
        if not keys:
            return []
        async with self._read() as connection:
            rows = await connection.execute(
                select(contact_phones.c.contact_id, contact_phones.c.phone)
                .where(contact_phones.c.match_key.in_(list(keys)))
                .order_by(contact_phones.c.contact_id, contact_phones.c.phone)
            )
            matched: dict[int, str] = {}
            for contact_id, phone in rows:
                matched.setdefault(contact_id, phone)
            found = await _contacts_by_id(connection, list(matched))
        return [(contact, matched[contact["id"]]) for contact in found]

    async def find_contacts_by_name(self, name: str) -> list[dict[str, Any]]:
        """Contacts whose name contains `name`, ignoring case (LIKE wildcards in `name` are literal)."""
        async with self._read() as connection:
            ids = (
                await connection.execute(
                    select(contacts.c.id)
                    .where(func.lower(contacts.c.name).contains(name.lower(), autoescape=True))
                    .order_by(contacts.c.id)
                )
            ).scalars()
            return await _contacts_by_id(connection, list(ids))

    # -- call activities ------------------------------------------------------------------------
    async def create_call_activity(
        self,
        *,
        contact_id: str | None,
        contact_name: str | None,
        phone_number: str | None,
        direction: str | None,
        session_id: str | None,
        subject: str,
        body: str,
    ) -> dict[str, Any]:
        """Insert one call activity and return it."""
        now = _now()
        async with self._write() as connection:
            result = await connection.execute(
                call_activities.insert().values(
                    contact_id=contact_id,
                    contact_name=contact_name,
                    phone_number=phone_number,
                    direction=direction,
                    session_id=session_id,
                    subject=subject,
                    body=body,
                    dispositions=None,
                    created_at=now,
                    updated_at=now,
                )
            )
            activity_id = _inserted_id(result)
            return await _require(connection, call_activities, activity_id, "call activity")

    async def get_call_activity(self, activity_id: object) -> dict[str, Any] | None:
        """The call activity with this id, or None."""
        key = record_id(activity_id)
        if key is None:
            return None
        async with self._read() as connection:
            return await _fetch(connection, call_activities, key)

    async def list_call_activities(self) -> list[dict[str, Any]]:
        """Every call activity, oldest first."""
        async with self._read() as connection:
            rows = await connection.execute(select(call_activities).order_by(call_activities.c.id))
            return [_row(row) for row in rows.mappings()]

    async def update_call_activity(
        self, activity_id: object, *, body: str | None = None, subject: str | None = None
    ) -> dict[str, Any]:
        """Replace the body and/or subject (None keeps the current value); returns the activity.

        Raises:
            SampleCrmNotFound: no call activity has this id.
        """
        key = _require_id(activity_id, "call activity")
        values: dict[str, Any] = {"updated_at": _now()}
        if body is not None:
            values["body"] = body
        if subject is not None:
            values["subject"] = subject
        async with self._write() as connection:
            result = await connection.execute(
                update(call_activities).where(call_activities.c.id == key).values(**values)
            )
            if result.rowcount == 0:
                raise SampleCrmNotFound("call activity", activity_id)
            return await _require(connection, call_activities, key, "call activity")

    async def merge_dispositions(
        self, activity_id: object, dispositions: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Set the given disposition fields (a None value removes one); returns the activity.

        Raises:
            SampleCrmNotFound: no call activity has this id.
        """
        key = _require_id(activity_id, "call activity")
        async with self._write() as connection:
            activity = await _require(connection, call_activities, key, "call activity")
            merged = dict(activity["dispositions"] or {})
            for field, value in dispositions.items():
                if value is None:
                    merged.pop(field, None)
                else:
                    merged[field] = value
            await connection.execute(
                update(call_activities)
                .where(call_activities.c.id == key)
                .values(dispositions=merged, updated_at=_now())
            )
            return await _require(connection, call_activities, key, "call activity")

    # -- message logs ---------------------------------------------------------------------------
    async def create_message_log(
        self,
        *,
        contact_id: str | None,
        contact_name: str | None,
        subject: str,
        body: str,
        message_ids: Sequence[str],
    ) -> dict[str, Any]:
        """Insert one message log and return it."""
        now = _now()
        async with self._write() as connection:
            result = await connection.execute(
                message_logs.insert().values(
                    contact_id=contact_id,
                    contact_name=contact_name,
                    subject=subject,
                    body=body,
                    message_ids=list(message_ids),
                    created_at=now,
                    updated_at=now,
                )
            )
            return await _require(connection, message_logs, _inserted_id(result), "message log")

    async def append_message(
        self, log_id: object, *, message_id: str, edit: Callable[[str], str]
    ) -> tuple[dict[str, Any], bool]:
        """Add a message to a log unless its id is already there: the body becomes `edit(body)`.

        The read, the edit and the write happen in one write transaction, so concurrent additions
        to one log neither lose a message nor add one twice.

        Returns:
            The message log, and whether the message was added.

        Raises:
            SampleCrmNotFound: no message log has this id.
        """
        key = _require_id(log_id, "message log")
        async with self._write() as connection:
            log = await _require(connection, message_logs, key, "message log")
            ids = [str(item) for item in log["message_ids"] or []]
            if message_id in ids:
                return log, False
            await connection.execute(
                update(message_logs)
                .where(message_logs.c.id == key)
                .values(body=edit(str(log["body"] or "")), message_ids=[*ids, message_id], updated_at=_now())
            )
            return await _require(connection, message_logs, key, "message log"), True

    async def replace_message_log(self, log_id: object, *, subject: str | None, body: str) -> dict[str, Any]:
        """Replace the body (and the subject when given); returns the message log.

        Raises:
            SampleCrmNotFound: no message log has this id.
        """
        key = _require_id(log_id, "message log")
        values: dict[str, Any] = {"body": body, "updated_at": _now()}
        if subject:
            values["subject"] = subject
        async with self._write() as connection:
            result = await connection.execute(
                update(message_logs).where(message_logs.c.id == key).values(**values)
            )
            if result.rowcount == 0:
                raise SampleCrmNotFound("message log", log_id)
            return await _require(connection, message_logs, key, "message log")

    async def get_message_log(self, log_id: object) -> dict[str, Any] | None:
        """The message log with this id, or None."""
        key = record_id(log_id)
        if key is None:
            return None
        async with self._read() as connection:
            return await _fetch(connection, message_logs, key)

    async def list_message_logs(self) -> list[dict[str, Any]]:
        """Every message log, oldest first."""
        async with self._read() as connection:
            rows = await connection.execute(select(message_logs).order_by(message_logs.c.id))
            return [_row(row) for row in rows.mappings()]


def _control_transactions(engine: AsyncEngine) -> None:
    """Let us emit BEGIN ourselves, so writers can say `BEGIN IMMEDIATE` (see the module docstring)."""

    @event.listens_for(engine.sync_engine, "connect")
    def _driver_autocommit(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def _require_id(value: object, kind: str) -> int:
    key = record_id(value)
    if key is None:
        raise SampleCrmNotFound(kind, value)
    return key


async def _fetch(connection: AsyncConnection, table: Table, key: int) -> dict[str, Any] | None:
    row = (await connection.execute(select(table).where(table.c.id == key))).mappings().first()
    return _row(row) if row is not None else None


async def _require(connection: AsyncConnection, table: Table, key: Any, kind: str) -> dict[str, Any]:
    found = await _fetch(connection, table, int(key))
    if found is None:
        raise SampleCrmNotFound(kind, key)
    return found


async def _insert_contact(
    connection: AsyncConnection,
    *,
    name: str,
    type_: str,
    phone: str | None,
    company: str | None,
    email: str | None,
) -> int:
    normalised = normalise_number(phone) if phone else None
    result = await connection.execute(
        contacts.insert().values(
            name=name,
            type=type_,
            phone=normalised or None,
            company=company,
            email=email,
            created_at=_now(),
        )
    )
    contact_id = _inserted_id(result)
    if phone and normalised:
        keys = stored_keys(normalised) | stored_keys(phone)
        await connection.execute(
            contact_phones.insert(),
            [{"contact_id": contact_id, "match_key": key, "phone": normalised} for key in sorted(keys)],
        )
    return contact_id


async def _contacts_by_id(connection: AsyncConnection, ids: Sequence[int]) -> list[dict[str, Any]]:
    """The contacts with these ids in the given order, each with a `phone_numbers` list."""
    if not ids:
        return []
    rows = await connection.execute(select(contacts).where(contacts.c.id.in_(list(ids))))
    by_id = {row["id"]: _row(row) for row in rows.mappings()}
    phones = await connection.execute(
        select(contact_phones.c.contact_id, contact_phones.c.phone)
        .where(contact_phones.c.contact_id.in_(list(by_id)))
        .distinct()
        .order_by(contact_phones.c.contact_id, contact_phones.c.phone)
    )
    for contact in by_id.values():
        contact["phone_numbers"] = []
    for contact_id, phone in phones:
        by_id[contact_id]["phone_numbers"].append(phone)
    return [by_id[contact_id] for contact_id in ids if contact_id in by_id]
