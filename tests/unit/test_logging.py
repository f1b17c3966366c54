"""Logs never print secrets, whatever shape they arrive in."""

from __future__ import annotations

import contextvars
import io
import logging
from pathlib import Path

import pytest
import structlog

from appconnect.logging import (
    MASK,
    configure_logging,
    open_request_secrets,
    redact_secrets,
    remember_request_secret,
    remember_secret,
)


def test_credential_fields_are_masked_at_any_depth() -> None:
    event = redact_secrets(
        None,
        "info",
        {
            "event": "saved user",
            "access_token": "at-123",
            "user": {"refreshToken": "rt-456", "name": "Ann", "nested": [{"apiKey": "k-789"}]},
            "headers": {"Authorization": "Bearer abc.def", "Accept": "application/json"},
        },
    )
    text = repr(event)
    for secret in ("at-123", "rt-456", "k-789", "abc.def"):
        assert secret not in text
    assert event["user"]["name"] == "Ann" and event["access_token"] == MASK
    assert event["headers"]["Accept"] == "application/json"


def test_credentials_inside_text_are_masked() -> None:
    event = redact_secrets(
        None,
        "info",
        {"event": "GET /callLog?jwtToken=eyJabc.def.ghi&sessionIds=1 with Bearer tok-1, Basic dXNlcjo="},
    )
    assert (
        "eyJabc" not in event["event"] and "tok-1" not in event["event"] and "dXNlcjo=" not in event["event"]
    )
    assert "sessionIds=1" in event["event"]


def test_configured_logging_redacts_stdlib_and_structlog_lines() -> None:
    stream = io.StringIO()
    configure_logging("INFO", stream=stream)
    structlog.get_logger("t").info("token refreshed", refresh_token="rt-secret")
    access_line = '127.0.0.1 - "GET /contact?jwtToken=eyJsecret HTTP/1.1" 200'
    logging.getLogger("appconnect.tests.stdlib").info(access_line)
    output = stream.getvalue()
    assert "rt-secret" not in output and "eyJsecret" not in output
    assert "token refreshed" in output and "GET /contact" in output


async def test_sql_rows_and_parameters_stay_out_even_with_the_engine_logger_at_debug(tmp_path: Path) -> None:
    from sqlalchemy import text

    from appconnect.store.db import Database

    stream = io.StringIO()
    configure_logging("DEBUG", stream=stream)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.DEBUG)  # as `echo="debug"` would
    database = Database(f"sqlite:///{tmp_path / 'rows.db'}")
    try:
        async with database.transaction() as session:
            await session.execute(text("CREATE TABLE notes (body TEXT)"))
            await session.execute(text("INSERT INTO notes VALUES (:body)"), {"body": "param-Qw12"})
            rows = (await session.execute(text("SELECT body FROM notes"))).all()
    finally:
        await database.dispose()
        configure_logging("INFO", stream=io.StringIO())
    assert rows == [("param-Qw12",)]
    output = stream.getvalue()
    assert "INSERT INTO notes" in output and "SELECT body FROM notes" in output
    assert "param-Qw12" not in output


def test_known_secrets_are_masked_by_value_wherever_they_appear() -> None:
    remember_secret("server-signing-key-0001")
    open_request_secrets()
    remember_request_secret("user api/key+0002")
    remember_request_secret("short")  # too short to mask by value: ordinary words would vanish
    event = redact_secrets(
        None,
        "error",
        {
            "event": "failed with server-signing-key-0001",
            "url": "https://crm.example.com/x?q=user%20api%2Fkey%2B0002",
            "error": RuntimeError("refused user api/key+0002"),
            "exception": "Traceback ...\nRuntimeError: refused user api/key+0002 (short)",
        },
    )
    text = repr(event)
    assert "server-signing-key-0001" not in text and "api/key+0002" not in text and "api%2Fkey" not in text
    assert event["event"] == f"failed with {MASK}" and "(short)" in event["exception"]
    assert event["error"] == f"RuntimeError('refused {MASK}')"


def test_request_secrets_belong_to_their_request() -> None:
    def in_another_request() -> str:
        open_request_secrets()
        remember_request_secret("other-request-token-0003")
        return str(redact_secrets(None, "info", {"event": "other-request-token-0003"})["event"])

    assert contextvars.copy_context().run(in_another_request) == MASK
    assert redact_secrets(None, "info", {"event": "other-request-token-0003"})["event"] == (
        "other-request-token-0003"
    )


def test_connector_and_service_secrets_from_the_environment_are_masked_by_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Connectors read their client secrets from the environment under names the server does not
    list: every variable named like a secret is masked once the secrets are resolved."""
    from appconnect.config import Settings, resolve_secrets, secret_environment_values

    monkeypatch.setenv("CLIO_EU_CLIENT_SECRET", "clio-eu-client-secret-0004")
    monkeypatch.setenv("PIPEDRIVE_CLIENT_SECRET", "pipedrive-client-secret-0005")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "aws-secret-access-key-0006")
    monkeypatch.setenv("CLIO_EU_CLIENT_ID", "clio-eu-client-id-0007")
    settings = Settings(app_server_secret_key="k" * 40, hash_key="h" * 40, state_file=tmp_path / "state.json")
    resolve_secrets(settings)
    line = "clio-eu-client-secret-0004 pipedrive-client-secret-0005 aws-secret-access-key-0006"
    event = redact_secrets(None, "info", {"event": line, "client": "clio-eu-client-id-0007"})
    assert event["event"] == f"{MASK} {MASK} {MASK}"
    assert event["client"] == "clio-eu-client-id-0007"  # an id is not a secret
    assert secret_environment_values({"X_PASSWORD": "p", "X_TOKEN_URL": "u", "Y_API_KEY": ""}) == ["p"]
