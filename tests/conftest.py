"""Shared fixtures: a fresh database, settings, the live server, and the fake-CRM toolkit."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from appconnect.config import Settings
from appconnect.security import SessionTokens
from tests.fakes.fixtures import crm_http_dev, fake_crm_factory, generic_crm, generic_crm_tls  # noqa: F401
from tests.support.databases import fresh_database_url
from tests.support.live_server import LiveServer

TEST_SECRET = "test-secret-key-for-appconnect-0123456789"
TEST_HASH_KEY = "test-hash-key"


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    with fresh_database_url(tmp_path) as url:
        yield url


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        app_server_secret_key=TEST_SECRET,
        hash_key=TEST_HASH_KEY,
        sample_crm_database_url=f"sqlite:///{tmp_path / 'sample-crm.db'}",
        state_file=tmp_path / "state.json",
        create_wait_seconds=5.0,
        # The outbox retries quickly in tests (a `Retry-After` is still honoured).
        outbox_poll_seconds=0.05,
        outbox_backoff_seconds=0.05,
        outbox_max_backoff_seconds=0.5,
        # An uncertain create is looked up 2 s later: well after a fake's slow create lands (0.9 s).
        outbox_uncertain_wait_seconds=2.0,
    )


@pytest.fixture
def tokens() -> SessionTokens:
    return SessionTokens(TEST_SECRET)


@pytest.fixture
def live_server(settings: Settings) -> Iterator[Callable[..., LiveServer]]:
    """`live_server(configure=None, **overrides)` starts the app on a real socket for this test."""
    from appconnect.app import create_app

    started: list[LiveServer] = []

    def start(configure: Any = None, **overrides: Any) -> LiveServer:
        app_settings = settings.model_copy(update=overrides) if overrides else settings
        server = LiveServer(
            create_app(app_settings, configure=configure),
            header_timeout=app_settings.header_timeout_seconds,
            body_timeout=app_settings.body_timeout_seconds,
        ).__enter__()
        started.append(server)
        return server

    yield start
    for server in reversed(started):
        server.__exit__(None, None, None)
