"""Configuration: reference variable names, generated development secrets, production refusal."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from appconnect.config import ConfigurationError, Settings, resolve_secrets
from appconnect.store.db import DatabaseUrlError, async_url, backend_name


def test_reference_variable_names_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_SERVER_SECRET_KEY", "s")
    monkeypatch.setenv("HASH_KEY", "h")
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db/app")
    monkeypatch.setenv("IS_PROD", "true")
    monkeypatch.setenv("ADMIN_EXTENSION_ID_DEV_PASS_LIST", "101, 102")
    settings = Settings()
    assert (settings.app_server_secret_key, settings.hash_key) == ("s", "h")
    assert settings.database_url == "postgres://u:p@db/app"
    assert settings.is_prod is True
    assert settings.admin_extension_id_dev_pass_list == ("101", "102")
    assert settings.private_networks_allowed is False


def test_development_generates_missing_secrets_once(tmp_path: Path) -> None:
    state = tmp_path / "state" / "secrets.json"
    first = resolve_secrets(Settings(state_file=state, app_server_secret_key=None, hash_key=None))
    second = resolve_secrets(Settings(state_file=state, app_server_secret_key=None, hash_key=None))
    assert first == second
    assert len(first.app_server_secret_key) >= 32 and first.hash_key
    assert stat.S_IMODE(state.stat().st_mode) == 0o600
    assert json.loads(state.read_text())["HASH_KEY"] == first.hash_key


def test_configured_secrets_win_over_the_state_file(tmp_path: Path) -> None:
    secrets = resolve_secrets(
        Settings(state_file=tmp_path / "s.json", app_server_secret_key="mine", hash_key="h")
    )
    assert secrets.app_server_secret_key == "mine"
    assert not (tmp_path / "s.json").exists()


def test_production_refuses_to_start_without_a_secret(tmp_path: Path) -> None:
    settings = Settings(
        state_file=tmp_path / "s.json", is_prod=True, app_server_secret_key=None, hash_key="h"
    )
    with pytest.raises(ConfigurationError, match=r"^APP_SERVER_SECRET_KEY must be set when IS_PROD=true$"):
        resolve_secrets(settings)
    assert not (tmp_path / "s.json").exists()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("sqlite:///relative.db", "sqlite+aiosqlite:///relative.db"),
        ("sqlite:////abs/path.db", "sqlite+aiosqlite:////abs/path.db"),
        ("sqlite://./db.sqlite", "sqlite+aiosqlite:///./db.sqlite"),
        ("postgres://u:p@h:5432/db", "postgresql+asyncpg://u:***@h:5432/db"),
        ("postgresql://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
    ],
)
def test_database_urls_in_every_accepted_form(raw: str, expected: str) -> None:
    assert str(async_url(raw)) == expected


def test_unsupported_database_is_a_clear_error() -> None:
    with pytest.raises(DatabaseUrlError, match="unsupported database: mysql"):
        backend_name("mysql://u@h/db")
