"""`DATABASE_SSL` (the reference's semantics) and `sslmode` in the URL, as driver connect arguments."""

from __future__ import annotations

import ssl

import pytest

from appconnect.config import ConfigurationError, load_settings
from appconnect.store.db import is_local_host, parse_database_ssl, postgres_connect_args

REMOTE = "postgres://app:pw@db.example.com:5432/appconnect"
LOCAL = "postgresql://postgres@127.0.0.1:5432/appconnect"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("true", True), (" TRUE ", True), ("1", True), ("yes", True), ("On", True),
        ("false", False), ("0", False), ("no", False), (" off", False),
        ("", None), ("  ", None), (None, None),
    ],
)  # fmt: skip
def test_database_ssl_reads_the_reference_words(value: str | None, expected: bool | None) -> None:
    assert parse_database_ssl(value) is expected


@pytest.mark.parametrize("value", ["maybe", "2", "enabled", "t"])
def test_any_other_database_ssl_is_a_one_line_start_up_error(value: str) -> None:
    with pytest.raises(ConfigurationError) as refused:
        load_settings(DATABASE_SSL=value)
    assert str(refused.value) == f"DATABASE_SSL: {value!r} is invalid: must be true or false when set"


def test_the_setting_reaches_the_settings_object() -> None:
    assert load_settings(DATABASE_SSL="yes").database_ssl is True
    assert load_settings(DATABASE_SSL="off").database_ssl is False
    assert load_settings().database_ssl is None


@pytest.mark.parametrize(
    ("host", "local"),
    [
        ("localhost", True), ("127.0.0.1", True), ("::1", True), ("[::1]", True), ("db.localhost", True),
        (None, True), ("/var/run/postgresql", True),
        ("db.example.com", False), ("10.0.0.5", False), ("postgres", False), ("localhost.example.com", False),
    ],
)  # fmt: skip
def test_local_hosts_are_the_references(host: str | None, local: bool) -> None:
    assert is_local_host(host) is local


def test_automatic_tls_is_required_for_a_remote_host_and_off_for_a_local_one() -> None:
    assert postgres_connect_args(REMOTE) == {"sslmode": "require"}
    assert postgres_connect_args(LOCAL) == {"sslmode": "disable"}
    assert postgres_connect_args("postgresql://app@/appconnect?host=/tmp") == {"sslmode": "disable"}
    assert postgres_connect_args("postgresql:///appconnect") == {"sslmode": "disable"}  # Unix socket


def test_database_ssl_forces_either_way() -> None:
    assert postgres_connect_args(LOCAL, True) == {"sslmode": "require"}
    assert postgres_connect_args(REMOTE, False) == {"sslmode": "disable"}


def test_sslmode_in_the_url_wins_and_nothing_is_added() -> None:
    verified = REMOTE + "?sslmode=verify-full&sslrootcert=/etc/ssl/rds.pem"
    assert postgres_connect_args(verified) == {}
    assert postgres_connect_args(verified, False) == {}
    assert postgres_connect_args(LOCAL + "?sslmode=require", False) == {}


def test_asyncpg_gets_an_unverified_context_or_no_tls() -> None:
    remote = postgres_connect_args(REMOTE.replace("postgres://", "postgresql+asyncpg://"))
    context = remote["ssl"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_NONE and context.check_hostname is False
    assert postgres_connect_args(LOCAL.replace("postgresql://", "postgresql+asyncpg://")) == {"ssl": False}
