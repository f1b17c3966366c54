"""Production is safe by default: no demo CRM unless asked for, and a warning about SQLite.

The real `appconnect serve` with `IS_PROD=true`, over a real socket; its JSON log lines are read
after it stopped.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from appconnect.app import builtin_connector_names, production_database_warning
from appconnect.config import Settings
from tests.support.processes import serving

PRODUCTION = {"IS_PROD": "true", "APP_SERVER_SECRET_KEY": "p" * 48, "HASH_KEY": "production-hash-key"}


def _env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG")}
    return {**env, **PRODUCTION, **extra}


def _log_lines(output: list[str]) -> list[dict[str, Any]]:
    lines = [line for line in "".join(output).splitlines() if line.strip()]
    return [json.loads(line) for line in lines]  # production logs are JSON lines, every one of them


def test_production_does_not_serve_the_sample_crm_and_warns_once_about_sqlite(tmp_path: Path) -> None:
    output: list[str] = []
    with serving(tmp_path, _env(), output=output) as (url, _process):
        sample = httpx.get(f"{url}/crmManifest", params={"platformName": "sample"})
        login = httpx.post(f"{url}/apiKeyLogin", json={"platform": "sample", "apiKey": "anything"})
        pipedrive = httpx.get(f"{url}/crmManifest", params={"platformName": "pipedrive"})
    assert (sample.status_code, sample.text) == (400, "Platform not found")
    assert login.status_code == 400 and "jwtToken" not in login.text
    assert pipedrive.status_code == 200 and "pipedrive" in pipedrive.json()["platforms"]
    logs = _log_lines(output)
    warnings = [entry["event"] for entry in logs if entry["level"] in ("warning", "error")]
    assert len(warnings) == 1, warnings  # the SQLite one, and only once
    assert warnings[0].startswith("DATABASE_URL is a SQLite file in production: use PostgreSQL")
    assert "postgresql://" in warnings[0]
    ready = next(entry for entry in logs if entry["event"] == "appconnect ready")
    assert ready["platforms"] == ["clio", "pipedrive"]


def test_production_serves_the_sample_crm_when_it_is_named(tmp_path: Path) -> None:
    with serving(tmp_path, _env(APPCONNECT_CONNECTORS="sample,pipedrive")) as (url, _process):
        login = httpx.post(f"{url}/apiKeyLogin", json={"platform": "sample", "apiKey": "anything"})
    assert login.status_code == 200 and login.json()["jwtToken"]


def test_development_still_serves_the_sample_crm_without_the_warning(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG")}
    output: list[str] = []
    with serving(tmp_path, env, output=output) as (url, _process):
        sample = httpx.get(f"{url}/crmManifest", params={"platformName": "sample"})
    assert sample.status_code == 200
    logged = "".join(output)
    assert "appconnect ready" in logged  # the log was read
    assert "DATABASE_URL is a SQLite file" not in logged


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({}, ("sample", "pipedrive", "clio")),
        ({"is_prod": True}, ("pipedrive", "clio")),
        ({"is_prod": True, "connectors": ("sample",)}, ("sample",)),
        ({"connectors": ("my_crm",)}, ()),
    ],
)
def test_which_built_in_connectors_are_served(values: dict[str, Any], expected: tuple[str, ...]) -> None:
    assert builtin_connector_names(Settings(**values)) == expected


def test_the_sqlite_warning_is_for_production_sqlite_only() -> None:
    assert production_database_warning(Settings(is_prod=True, database_url="sqlite:///x.db")) is not None
    assert production_database_warning(Settings(is_prod=True, database_url="postgresql://db/app")) is None
    assert production_database_warning(Settings(database_url="sqlite:///x.db")) is None
