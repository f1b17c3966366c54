"""`appconnect import-reference`: a reference deployment's data taken over, the extension answered as before.

A second fresh database gets the reference's schema (tests/support/reference_schema.py, written from
its model definitions) and rows made here, in the reference's own forms: plain-text CRM tokens,
managed-auth values sealed with the reference's AES-CBC scheme, camelCase columns. The real command
imports them (twice); then the real app serves on a real socket and the extension's requests are
answered as the reference would have: its JWT verifies, a call logged before the switch is found
and not logged again, the settings are the same. The source is compared row for row before and after.

Both databases are PostgreSQL when APPCONNECT_TEST_DATABASE_URL is set (CI), SQLite files otherwise.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt as pyjwt
import pytest
from sqlalchemy import create_engine, text

from appconnect.config import Settings
from appconnect.security import hash_id
from appconnect.store import Store
from appconnect.store.db import sync_url
from tests.conftest import TEST_HASH_KEY, TEST_SECRET
from tests.e2e.conftest import call_record
from tests.support.databases import fresh_database_url
from tests.support.processes import APPCONNECT, operator_env
from tests.support.reference_cipher import reference_encode
from tests.support.reference_schema import REFERENCE_DDL

USER = "7001-sample"
RC_ACCOUNT = "400123"
HASHED_ACCOUNT = hash_id(RC_ACCOUNT, TEST_HASH_KEY)
T0 = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)


def reference_sealed(value: Any) -> dict[str, Any]:
    return {"version": 1, "encrypted": True, "value": reference_encode(json.dumps(value), TEST_SECRET)}


def reference_jwt(user_id: str, platform: str) -> str:
    """A session as the reference issued it: HS256 over {id, platform, iat, exp} with the raw secret."""
    now = int(time.time())
    payload = {"id": user_id, "platform": platform, "iat": now, "exp": now + 1_209_600}
    return pyjwt.encode(payload, TEST_SECRET, algorithm="HS256")


ACCOUNT_DATA = '"accountData" ("rcAccountId", "platformName", "dataKey", "data", "createdAt", "updatedAt")'
CACHE = '"cache" ("id", "status", "userId", "cacheKey", "data", "expiry", "createdAt", "updatedAt")'
ROWS: list[tuple[str, dict[str, Any]]] = [
    (
        'INSERT INTO "users" ("id", "rcAccountId", "hostname", "timezoneName", "timezoneOffset", "platform",'
        ' "accessToken", "refreshToken", "tokenExpiry", "platformAdditionalInfo", "hashedRcExtensionId",'
        ' "userSettings", "createdAt", "updatedAt") VALUES (:id, :account, :host, :tz, :offset, :platform,'
        " :access, :refresh, :expiry, CAST(:info AS JSON), :ext, CAST(:settings AS JSON), :t, :t)",
        {
            "id": USER, "account": RC_ACCOUNT, "host": "sample.local", "tz": "America/Los_Angeles",
            "offset": "-8", "platform": "sample", "access": "agent-api-key-plain", "refresh": None,
            "expiry": None, "info": json.dumps({"region": "us"}), "ext": "hashed-ext-1",
            "settings": json.dumps({"autoLogCalls": {"value": True}}), "t": T0,
        },
    ),
    (
        'INSERT INTO "users" ("id", "platform", "accessToken", "createdAt", "updatedAt")'
        " VALUES ('', 'sample', 'x', :t, :t)",
        {"t": T0},
    ),
    (
        'INSERT INTO "callLogs" ("id", "sessionId", "extensionNumber", "hashedExtensionId", "platform",'
        ' "thirdPartyLogId", "userId", "contactId", "createdAt", "updatedAt")'
        " VALUES (:id, :session, '101', '', 'sample', :log, :user, '1', :t, :t)",
        {"id": "tel-s-old", "session": "s-old", "log": "9001", "user": USER, "t": T0},
    ),
    (
        'INSERT INTO "callLogs" ("id", "sessionId", "platform", "userId", "createdAt", "updatedAt")'
        " VALUES ('tel-s-nolog', 's-nolog', 'sample', :user, :t, :t)",
        {"user": USER, "t": T0},
    ),
    (
        'INSERT INTO "messageLogs" ("id", "platform", "conversationId", "conversationLogId",'
        ' "thirdPartyLogId", "userId", "createdAt", "updatedAt")'
        " VALUES (:id, 'sample', 'conv-1', 'conv-1-20261101', '77', :user, :t, :t)",
        {"id": "msg-1", "user": USER, "t": T0},
    ),
    (
        'INSERT INTO "messageLogs" ("id", "platform", "conversationId", "conversationLogId",'
        ' "thirdPartyLogId", "userId", "createdAt", "updatedAt")'
        " VALUES (:id, 'sample', 'conv-1', 'conv-1-20261101', '77', :user, :t, :t)",
        {"id": "msg-2", "user": USER, "t": T0 + timedelta(minutes=1)},
    ),
    (
        'INSERT INTO "adminConfigs" ("id", "userSettings", "adminAccessToken", "createdAt", "updatedAt")'
        " VALUES (:id, CAST(:settings AS JSON), 'rc-admin-token', :t, :t)",
        {
            "id": HASHED_ACCOUNT,
            "settings": json.dumps({"recording": {"value": "admin-says", "customizable": False}}),
            "t": T0,
        },
    ),
    (
        f"INSERT INTO {ACCOUNT_DATA}"
        " VALUES (:account, 'sample', 'managed-auth-org', CAST(:data AS JSON), :t, :t)",
        {
            "account": RC_ACCOUNT,
            "data": json.dumps({"fields": {"apiKey": reference_sealed("org-secret-key")}}),
            "t": T0,
        },
    ),
    (
        f"INSERT INTO {ACCOUNT_DATA}"
        " VALUES (:account, 'sample', 'managed-auth-user:55', CAST(:data AS JSON), :t, :t)",
        {
            "account": RC_ACCOUNT,
            "data": json.dumps({"fields": {"apiKey": {"version": 1, "encrypted": True, "value": "00" * 16}}}),
            "t": T0,
        },
    ),
    (
        f"INSERT INTO {ACCOUNT_DATA}"
        " VALUES (:account, 'sample', 'contact-+14155550100', CAST(:data AS JSON), :t, :t)",
        {"account": RC_ACCOUNT, "data": json.dumps([{"id": "1", "name": "Ann Example"}]), "t": T0},
    ),
    (
        f"INSERT INTO {CACHE}"
        " VALUES ('gone', 'pending', 'u', 'k', NULL, :past, :t, :t)",
        {"past": T0, "t": T0},
    ),
    (
        'INSERT INTO "callDownLists" ("id", "userId", "contactId", "createdAt", "updatedAt")'
        " VALUES ('5b1f6a52-8f0e-4c2b-9d0a-2a7f3e9c1b11', :user, '1', :t, :t)",
        {"user": USER, "t": T0},
    ),
]  # fmt: skip

EXPECTED_REPORT = [
    "users: 2 read, 1 imported, 0 already present, 1 skipped (1 no id)",
    "callLogs: 2 read, 1 imported, 0 already present, 1 skipped (1 no CRM log id)",
    "messageLogs: 2 read, 2 imported, 0 already present, 0 skipped",
    "adminConfigs: 1 read, 1 imported, 0 already present, 0 skipped",
    "accountData: 3 read, 2 imported, 0 already present, 1 skipped"
    " (1 an encrypted value does not decrypt with APP_SERVER_SECRET_KEY)",
    "cache: 1 read, 0 imported, 0 already present, 1 skipped (1 expired)",
    "callDownLists: 1 rows not imported (call-down lists are not carried over)",
]


@pytest.fixture
def reference_url(tmp_path: Path) -> Iterator[str]:
    (tmp_path / "reference").mkdir()
    with fresh_database_url(tmp_path / "reference") as url:
        engine = create_engine(sync_url(url))
        with engine.begin() as connection:
            for statement in REFERENCE_DDL:
                if "llmSessions" not in statement:
                    connection.execute(text(statement))
            for statement, values in ROWS:
                if url.startswith("sqlite"):  # SQLite keeps JSON as text (a CAST would make it a number)
                    statement = re.sub(r"CAST\((:\w+) AS JSON\)", r"\1", statement)
                connection.execute(text(statement), values)
        engine.dispose()
        yield url


def _dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as connection:
            tables = (
                "users",
                "callLogs",
                "messageLogs",
                "adminConfigs",
                "accountData",
                "cache",
                "callDownLists",
            )
            return {
                table: sorted(
                    tuple(str(value) for value in row)
                    for row in connection.execute(text(f'SELECT * FROM "{table}"'))
                )
                for table in tables
            }
    finally:
        engine.dispose()


def _import(tmp_path: Path, settings: Settings, source: str) -> subprocess.CompletedProcess[str]:
    env = operator_env(
        DATABASE_URL=settings.database_url,
        APP_SERVER_SECRET_KEY=TEST_SECRET,
        HASH_KEY=TEST_HASH_KEY,
        APPCONNECT_STATE_FILE=str(tmp_path / "state.json"),
    )
    return subprocess.run(
        [*APPCONNECT, "import-reference", "--from", source],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_a_reference_deployment_is_taken_over_without_new_logins_or_duplicate_logs(
    reference_url: str, settings: Settings, live_server: Any, tmp_path: Path
) -> None:
    before = _dump(reference_url)

    first = _import(tmp_path, settings, reference_url)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == EXPECTED_REPORT
    assert "agent-api-key-plain" not in first.stdout + first.stderr

    second = _import(tmp_path, settings, reference_url)  # idempotent: everything is already there
    assert second.returncode == 0, second.stderr
    assert second.stdout.splitlines() == [
        "users: 2 read, 0 imported, 1 already present, 1 skipped (1 no id)",
        "callLogs: 2 read, 0 imported, 1 already present, 1 skipped (1 no CRM log id)",
        "messageLogs: 2 read, 0 imported, 2 already present, 0 skipped",
        "adminConfigs: 1 read, 0 imported, 1 already present, 0 skipped",
        "accountData: 3 read, 0 imported, 2 already present, 1 skipped"
        " (1 an encrypted value does not decrypt with APP_SERVER_SECRET_KEY)",
        "cache: 1 read, 0 imported, 0 already present, 1 skipped (1 expired)",
        "callDownLists: 1 rows not imported (call-down lists are not carried over)",
    ]
    assert _dump(reference_url) == before  # the source was only read

    # At rest: tokens are our ciphertext, never the reference's plain text; they decrypt to it.
    raw = create_engine(sync_url(settings.database_url))
    with raw.connect() as connection:
        stored = connection.execute(
            text("SELECT access_token FROM users WHERE id = :id"), {"id": USER}
        ).scalar()
        admin = connection.execute(text("SELECT admin_access_token FROM admin_configs")).scalar()
        sealed = connection.execute(
            text("SELECT data FROM account_data WHERE data_key = 'managed-auth-org'")
        ).scalar()
        conversations = connection.execute(
            text("SELECT conversation_log_id, third_party_log_id FROM message_conversation_logs")
        ).all()
    raw.dispose()
    assert str(stored).startswith("v1:") and "agent-api-key-plain" not in str(stored)
    assert str(admin).startswith("v1:") and "rc-admin-token" not in str(admin)
    assert "org-secret-key" not in json.dumps(sealed)
    assert [tuple(row) for row in conversations] == [("conv-1-20261101", "77")]
    store = Store.open(settings.database_url, TEST_SECRET)
    try:
        user = await store.users.get(USER)
        assert user is not None and user.access_token == "agent-api-key-plain"
        assert user.platform == "sample" and user.rc_account_id == RC_ACCOUNT
        managed = await store.managed_auth.org_values(RC_ACCOUNT, "sample")
        assert managed.fields == {"apiKey": "org-secret-key"}
        logged = await store.message_logs.by_ids(["msg-1", "msg-2"], platform="sample")
        assert sorted((link.id, link.third_party_log_id) for link in logged) == [
            ("msg-1", "77"),
            ("msg-2", "77"),
        ]
    finally:
        await store.close()

    # The extension, after the switch, with the session the reference gave it.
    server = live_server()
    auth = {"Authorization": f"Bearer {reference_jwt(USER, 'sample')}"}
    async with httpx.AsyncClient(base_url=server.url) as client:
        found = await client.get("/callLog", params={"sessionIds": "s-old,s-new"}, headers=auth)
        assert found.status_code == 200, found.text
        assert found.json()["logs"] == [
            {"sessionId": "s-old", "matched": True, "logId": "9001"},
            {"sessionId": "s-new", "matched": False},
        ]
        again = await client.post(
            "/callLog", headers=auth, json={"logInfo": call_record("s-old"), "contactId": "1"}
        )
        assert again.json()["successful"] is False
        assert again.json()["returnMessage"]["message"] == "Existing log for session s-old"
        settings_answer = await client.get(
            "/user/settings", params={"rcAccountId": HASHED_ACCOUNT}, headers=auth
        )
        assert settings_answer.status_code == 200, settings_answer.text
        effective = settings_answer.json()
        assert effective["autoLogCalls"]["value"] is True
        assert effective["recording"]["value"] == "admin-says"
        forged_token = pyjwt.encode({"id": USER}, "another-secret-0123456789abcdef0123", algorithm="HS256")
        forged = await client.get(
            "/callLog",
            params={"sessionIds": "s-old"},
            headers={"Authorization": f"Bearer {forged_token}"},
        )
        assert forged.status_code == 400


def test_a_source_that_is_not_a_reference_database_is_one_line(settings: Settings, tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    done = _import(tmp_path, settings, f"sqlite:///{empty}")
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        "error: --from: that database has no reference `users` table (with `accessToken`); "
        "is it a reference server's DATABASE_URL?"
    ]


def test_an_unreachable_source_is_one_line_without_its_password(settings: Settings, tmp_path: Path) -> None:
    from tests.support.processes import free_port

    done = _import(tmp_path, settings, f"postgresql://ref:hunter2secret@127.0.0.1:{free_port()}/reference")
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "error: --from: cannot read postgresql://ref:***@127.0.0.1:"
    )
    assert "hunter2secret" not in done.stderr
