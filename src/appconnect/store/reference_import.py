"""Copy a running reference deployment's data into appconnect's own tables (`import-reference`).

Why: an operator switching from the reference server has agents signed in, calls and messages
linked to CRM activities, admin and user settings. Without their rows every agent would sign in
again and every call logged before the switch would be logged a second time. The reference's
tables (`users`, `callLogs`, `messageLogs`, `adminConfigs`, `accountData`, `cache`) map onto ours
one to one; the user id (the JWT's `id`) is the same key on both sides, so the sessions the
extension holds keep working as long as `APP_SERVER_SECRET_KEY` is the same.

Guarantees:
* the source is only read, inside one read-only transaction (PostgreSQL: `REPEATABLE READ`,
  `READ ONLY`, so the copy is one consistent snapshot; SQLite: `PRAGMA query_only`);
* every row is inserted only when its key is not there yet, so running it again changes nothing
  and a row appconnect has changed since (a refreshed token) is never overwritten with an older
  one; each batch commits on its own;
* CRM tokens (plain text in the reference, quirk P-4) and the RingCentral admin tokens are
  encrypted with our `SecretBox`; the reference's encrypted managed-auth and managed-OAuth values
  are decrypted with its scheme and re-sealed in ours;
* rows are streamed in batches, so memory does not grow with the source's size;
* every row not copied is counted with its reason.
"""

from __future__ import annotations

import json
import typing
from collections import Counter
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, event, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from appconnect.security import SecretBox
from appconnect.security.reference_encoding import (
    ReferenceDecodingError,
    is_reference_sealed,
    open_reference_sealed,
)
from appconnect.store.db import Database, async_url, backend_name, driver_url, postgres_connect_args
from appconnect.store.models import (
    AccountDataRow,
    AdminConfigRow,
    CacheRow,
    CallLogRow,
    MessageConversationLogRow,
    MessageLogRow,
    UserRow,
)
from appconnect.store.upserts import dialect_insert

BATCH = 500
SEALED_VERSION = 2  # the managed-value wrapper of appconnect.store.managed_auth
NOT_CARRIED_OVER = {
    "callDownLists": "call-down lists are not carried over",
    "llmSessions": "MCP sessions are not carried over",
}


class ImportSourceError(RuntimeError):
    """The source is not a reference server's database (or cannot be read); one line."""


class _Skip(Exception):
    """This row is not copied; the message is the reason."""


@dataclass
class TableReport:
    """What happened to one reference table."""

    name: str
    read: int = 0
    imported: int = 0
    already_present: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    absent: bool = False
    not_carried_over: str | None = None

    def line(self) -> str:
        if self.absent:
            return f"{self.name}: not in the source database"
        if self.not_carried_over is not None:
            return f"{self.name}: {self.read} rows not imported ({self.not_carried_over})"
        skipped = sum(self.skipped.values())
        line = (
            f"{self.name}: {self.read} read, {self.imported} imported, "
            f"{self.already_present} already present, {skipped} skipped"
        )
        if skipped:
            reasons = "; ".join(f"{count} {reason}" for reason, count in sorted(self.skipped.items()))
            line += f" ({reasons})"
        return line


@dataclass
class ImportReport:
    tables: list[TableReport] = field(default_factory=list)

    def table(self, name: str) -> TableReport:
        return next(report for report in self.tables if report.name == name)

    def lines(self) -> list[str]:
        return [report.line() for report in self.tables]


# -- values -----------------------------------------------------------------------------------------
def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _json(value: Any) -> Any:
    """JSON columns: objects from PostgreSQL, text from SQLite."""
    if isinstance(value, str | bytes):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _moment(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)
    raw = str(value).strip().replace(" +", "+").replace(" -", "-").replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class _Resealer:
    """Replaces every reference-sealed value inside a JSON document by one sealed with ours."""

    def __init__(self, box: SecretBox, server_secret: str) -> None:
        self._box = box
        self._secret = server_secret

    def __call__(self, value: Any) -> Any:
        if is_reference_sealed(value):
            try:
                opened = open_reference_sealed(value, self._secret)
            except ReferenceDecodingError as error:
                raise _Skip("an encrypted value does not decrypt with APP_SERVER_SECRET_KEY") from error
            return {
                "version": SEALED_VERSION,
                "encrypted": True,
                "value": self._box.encrypt(json.dumps(opened)),
            }
        if isinstance(value, Mapping):
            return {key: self(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self(item) for item in value]
        return value


# -- the source -------------------------------------------------------------------------------------
def _source_engine(raw_url: str, ssl: bool | None) -> AsyncEngine:
    url = async_url(raw_url)
    if url.get_backend_name() == "postgresql":
        return create_async_engine(
            driver_url(url),
            poolclass=NullPool,
            hide_parameters=True,
            connect_args=postgres_connect_args(raw_url, ssl),
        )
    engine = create_async_engine(url, poolclass=NullPool, hide_parameters=True)

    @event.listens_for(engine.sync_engine, "connect")
    def _read_only(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA query_only = ON")  # any write on this connection fails
        cursor.close()

    return engine


async def _columns(connection: AsyncConnection) -> dict[str, set[str]]:
    def read(sync: Any) -> dict[str, set[str]]:
        from sqlalchemy import inspect

        inspector = inspect(sync)
        return {
            name: {column["name"] for column in inspector.get_columns(name)}
            for name in inspector.get_table_names()
        }

    return await connection.run_sync(read)


async def _stream(
    connection: AsyncConnection,
    table: str,
    wanted: tuple[str, ...],
    present: set[str],
    order: tuple[str, ...],
) -> AsyncIterator[list[dict[str, Any]]]:
    """The source rows in batches; a column the source's (older) schema lacks reads as None."""
    chosen = [name for name in wanted if name in present]
    columns = ", ".join(f'"{name}"' for name in chosen)
    ordering = ", ".join(f'"{name}"' for name in order if name in present)
    statement = text(f'SELECT {columns} FROM "{table}"' + (f" ORDER BY {ordering}" if ordering else ""))
    result = await connection.stream(statement)
    async for partition in result.mappings().partitions(BATCH):
        yield [{name: row.get(name) for name in wanted} for row in partition]


# -- the mapping of each table ----------------------------------------------------------------------
Mapper = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class _Plan:
    source: str
    columns: tuple[str, ...]
    order: tuple[str, ...]
    target: type[Any]
    mapper: Mapper


def _timestamps(row: dict[str, Any]) -> dict[str, Any]:
    now = datetime.now(UTC)
    created = _moment(row.get("createdAt")) or now
    return {"created_at": created, "updated_at": _moment(row.get("updatedAt")) or created}


def _plans(box: SecretBox, reseal: _Resealer) -> list[_Plan]:
    def user(row: dict[str, Any]) -> dict[str, Any]:
        if not row["id"]:
            raise _Skip("no id")
        return {
            "id": str(row["id"]),
            "rc_account_id": _text(row["rcAccountId"]),
            "hostname": _text(row["hostname"]),
            "timezone_name": _text(row["timezoneName"]),
            "timezone_offset": _text(row["timezoneOffset"]),
            "platform": _text(row["platform"]),
            "access_token": box.encrypt_optional(_text(row["accessToken"])),
            "refresh_token": box.encrypt_optional(_text(row["refreshToken"])),
            "token_expiry": _moment(row["tokenExpiry"]),
            "platform_additional_info": reseal(_json(row["platformAdditionalInfo"])),
            "hashed_rc_extension_id": _text(row["hashedRcExtensionId"]),
            "user_settings": _json(row["userSettings"]),
            **_timestamps(row),
        }

    def call_log(row: dict[str, Any]) -> dict[str, Any]:
        if not row["id"] or not row["sessionId"]:
            raise _Skip("no call id or session id")
        if not row["thirdPartyLogId"]:
            raise _Skip("no CRM log id")
        return {
            "id": str(row["id"]),
            "session_id": str(row["sessionId"]),
            "extension_number": str(row["extensionNumber"] or ""),
            "hashed_extension_id": str(row["hashedExtensionId"] or ""),
            "platform": _text(row["platform"]),
            "third_party_log_id": str(row["thirdPartyLogId"]),
            "user_id": _text(row["userId"]),
            "contact_id": _text(row["contactId"]),
            "state": "created",
            **_timestamps(row),
        }

    def message_log(row: dict[str, Any]) -> dict[str, Any]:
        if not row["id"]:
            raise _Skip("no message id")
        if not row["thirdPartyLogId"]:
            raise _Skip("no CRM log id")
        return {
            "id": str(row["id"]),
            "platform": str(row["platform"] or ""),
            "conversation_id": _text(row["conversationId"]),
            "conversation_log_id": _text(row["conversationLogId"]),
            "third_party_log_id": str(row["thirdPartyLogId"]),
            "user_id": _text(row["userId"]),
            "state": "created",
            **_timestamps(row),
        }

    def admin_config(row: dict[str, Any]) -> dict[str, Any]:
        if not row["id"]:
            raise _Skip("no id")
        return {
            "id": str(row["id"]),
            "user_settings": _json(row["userSettings"]),
            "custom_adapter": _json(row["customAdapter"]),
            "admin_access_token": box.encrypt_optional(_text(row["adminAccessToken"])),
            "admin_refresh_token": box.encrypt_optional(_text(row["adminRefreshToken"])),
            "admin_token_expiry": _moment(row["adminTokenExpiry"]),
            "user_mappings": _json(row["userMappings"]),
            **_timestamps(row),
        }

    def account_data(row: dict[str, Any]) -> dict[str, Any]:
        if row["rcAccountId"] is None or row["platformName"] is None or row["dataKey"] is None:
            raise _Skip("incomplete key")
        return {
            "rc_account_id": str(row["rcAccountId"]),
            "platform_name": str(row["platformName"]),
            "data_key": str(row["dataKey"]),
            "data": reseal(_json(row["data"])),
            **_timestamps(row),
        }

    def cache(row: dict[str, Any]) -> dict[str, Any]:
        if not row["id"]:
            raise _Skip("no id")
        expiry = _moment(row["expiry"])
        if expiry is not None and expiry <= datetime.now(UTC):
            raise _Skip("expired")
        return {
            "id": str(row["id"]),
            "status": _text(row["status"]),
            "user_id": _text(row["userId"]),
            "cache_key": _text(row["cacheKey"]),
            "data": reseal(_json(row["data"])),
            "expiry": expiry,
            **_timestamps(row),
        }

    stamps = ("createdAt", "updatedAt")
    return [
        _Plan(
            "users",
            (
                "id", "rcAccountId", "hostname", "timezoneName", "timezoneOffset", "platform",
                "accessToken", "refreshToken", "tokenExpiry", "platformAdditionalInfo",
                "hashedRcExtensionId", "userSettings", *stamps,
            ),
            ("id",),
            UserRow,
            user,
        ),
        _Plan(
            "callLogs",
            (
                "id", "sessionId", "extensionNumber", "hashedExtensionId", "platform",
                "thirdPartyLogId", "userId", "contactId", *stamps,
            ),
            ("createdAt", "id", "sessionId", "extensionNumber", "hashedExtensionId"),
            CallLogRow,
            call_log,
        ),
        _Plan(
            "messageLogs",
            ("id", "platform", "conversationId", "conversationLogId", "thirdPartyLogId", "userId", *stamps),
            ("createdAt", "id"),
            MessageLogRow,
            message_log,
        ),
        _Plan(
            "adminConfigs",
            (
                "id", "userSettings", "customAdapter", "adminAccessToken", "adminRefreshToken",
                "adminTokenExpiry", "userMappings", *stamps,
            ),
            ("id",),
            AdminConfigRow,
            admin_config,
        ),
        _Plan(
            "accountData",
            ("rcAccountId", "platformName", "dataKey", "data", *stamps),
            ("rcAccountId", "platformName", "dataKey"),
            AccountDataRow,
            account_data,
        ),
        _Plan(
            "cache",
            ("id", "status", "userId", "cacheKey", "data", "expiry", *stamps),
            ("id",),
            CacheRow,
            cache,
        ),
    ]  # fmt: skip


# -- the import -------------------------------------------------------------------------------------
async def _copy(
    source: AsyncConnection, present: set[str], plan: _Plan, destination: Database, report: TableReport
) -> None:
    insert = dialect_insert(destination.backend)
    table: Table = plan.target.__table__
    async for batch in _stream(source, plan.source, plan.columns, present, plan.order):
        report.read += len(batch)
        values: list[dict[str, Any]] = []
        for row in batch:
            try:
                values.append(plan.mapper(row))
            except _Skip as skipped:
                report.skipped[str(skipped)] += 1
        if not values:
            continue
        async with destination.transaction() as session:  # one batch, committed together
            for value in values:
                statement = insert(table).values(**value).on_conflict_do_nothing()
                # RETURNING tells inserted from kept on both backends (a driver's rowcount may not).
                done = await session.execute(statement.returning(*table.primary_key.columns))
                if done.first() is not None:
                    report.imported += 1
                else:
                    report.already_present += 1


async def _seed_conversation_logs(destination: Database) -> None:
    """One conversation-day log per imported conversation (as migration 0002 seeds them)."""
    insert = dialect_insert(destination.backend)
    m = MessageLogRow.__table__.c
    grouped = (
        select(
            m.conversation_log_id,
            m.platform,
            func.min(m.conversation_id),
            func.min(m.third_party_log_id),
            func.min(m.user_id),
            text("'created'"),
            func.min(m.created_at),
            func.max(m.updated_at),
        )
        .where(m.conversation_log_id.is_not(None), m.third_party_log_id.is_not(None), m.state == "created")
        .group_by(m.conversation_log_id, m.platform)
    )
    target = typing.cast(Table, MessageConversationLogRow.__table__)
    statement = (
        insert(target)
        .from_select(
            [
                "conversation_log_id",
                "platform",
                "conversation_id",
                "third_party_log_id",
                "user_id",
                "state",
                "created_at",
                "updated_at",
            ],
            grouped,
        )
        .on_conflict_do_nothing()
    )
    async with destination.transaction() as session:
        await session.execute(statement)


async def import_reference(
    source_url: str, destination: Database, *, server_secret: str, ssl: bool | None = None
) -> ImportReport:
    """Copy the reference's rows into `destination` (already migrated); see the module's docstring.

    Raises:
        ImportSourceError: the source cannot be read or holds no reference `users` table.
    """
    try:
        backend_name(source_url)
    except ValueError as error:
        raise ImportSourceError(f"--from: {error}".replace("DATABASE_URL", "the URL")) from error
    box = SecretBox.from_server_secret(server_secret)
    plans = _plans(box, _Resealer(box, server_secret))
    report = ImportReport()
    engine = _source_engine(source_url, ssl)
    try:
        async with engine.connect() as raw:
            options: dict[str, Any] = {}
            if engine.url.get_backend_name() == "postgresql":
                options = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
            source = await raw.execution_options(**options)
            async with source.begin():
                tables = await _columns(source)
                if "accessToken" not in tables.get("users", set()):
                    raise ImportSourceError(
                        "--from: that database has no reference `users` table (with `accessToken`); "
                        "is it a reference server's DATABASE_URL?"
                    )
                for plan in plans:
                    table_report = TableReport(plan.source)
                    report.tables.append(table_report)
                    if plan.source not in tables:
                        table_report.absent = True
                        continue
                    await _copy(source, tables[plan.source], plan, destination, table_report)
                for name, why in NOT_CARRIED_OVER.items():
                    if name in tables:
                        count = (await source.execute(text(f'SELECT COUNT(*) FROM "{name}"'))).scalar_one()
                        report.tables.append(TableReport(name, read=int(count), not_carried_over=why))
                await source.rollback()  # nothing was written; end the read-only snapshot
    finally:
        await engine.dispose()
    await _seed_conversation_logs(destination)
    return report
