"""`DATABASE_SSL` (the reference's semantics) and `sslmode` in the URL, as driver connect arguments."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
import trustme

from appconnect.config import ConfigurationError, load_settings
from appconnect.store.db import (
    DatabaseUrlError,
    async_url,
    driver_url,
    is_local_host,
    libpq_conninfo_of,
    parse_database_ssl,
    postgres_connect_args,
)

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


def _root_certificate(folder: Path) -> Path:
    path = folder / "ca.pem"
    trustme.CA().cert_pem.write_to_path(str(path))
    return path


def _psycopg(url: str) -> str:
    return url.replace("postgres://", "postgresql+psycopg://").replace(
        "postgresql://", "postgresql+psycopg://"
    )


def _unverified(value: object) -> bool:
    return (
        isinstance(value, ssl.SSLContext)
        and value.verify_mode == ssl.CERT_NONE
        and value.check_hostname is False
    )


def test_automatic_tls_is_required_for_a_remote_host_and_off_for_a_local_one() -> None:
    # asyncpg, the driver of a plain postgres:// URL: an unverified context, or no TLS.
    assert _unverified(postgres_connect_args(REMOTE)["ssl"])
    assert postgres_connect_args(LOCAL) == {"ssl": False}
    assert postgres_connect_args("postgresql://app@/appconnect?host=/tmp") == {"ssl": False}
    assert postgres_connect_args("postgresql:///appconnect") == {"ssl": False}  # Unix socket
    # psycopg (libpq), when named.
    assert postgres_connect_args(_psycopg(REMOTE)) == {"sslmode": "require"}
    assert postgres_connect_args(_psycopg(LOCAL)) == {"sslmode": "disable"}
    assert postgres_connect_args("postgresql+psycopg:///appconnect") == {"sslmode": "disable"}


def test_database_ssl_forces_either_way() -> None:
    assert _unverified(postgres_connect_args(LOCAL, True)["ssl"])
    assert postgres_connect_args(REMOTE, False) == {"ssl": False}
    assert postgres_connect_args(_psycopg(LOCAL), True) == {"sslmode": "require"}
    assert postgres_connect_args(_psycopg(REMOTE), False) == {"sslmode": "disable"}


def test_sslmode_in_the_url_wins_over_database_ssl_on_either_driver(tmp_path: Path) -> None:
    ca = _root_certificate(tmp_path)
    verified = f"{REMOTE}?sslmode=verify-full&sslrootcert={ca}"
    for forced in (None, False, True):
        assert postgres_connect_args(_psycopg(verified), forced) == {}  # libpq reads the URL itself
        context = postgres_connect_args(verified, forced)["ssl"]
        assert isinstance(context, ssl.SSLContext)
        assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname is True
        assert context.get_ca_certs()  # the operator's root certificate, loaded
    assert postgres_connect_args(_psycopg(LOCAL + "?sslmode=require"), False) == {}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("sslmode=disable", False), ("sslmode=allow", "allow"), ("sslmode=prefer", "prefer"),
        ("sslmode=require", "require"), ("ssl=require", None),
    ],
)  # fmt: skip
def test_libpq_sslmode_words_reach_asyncpg_as_libpq_means_them(query: str, expected: object) -> None:
    args = postgres_connect_args(f"{LOCAL}?{query}", True)
    assert args == ({} if expected is None else {"ssl": expected})  # `ssl=` is asyncpg's own word


def test_verify_ca_checks_the_certificate_and_not_the_host_name(tmp_path: Path) -> None:
    ca = _root_certificate(tmp_path)
    for mode in ("verify-ca", "require"):  # libpq: `require` with a root certificate verifies it
        context = postgres_connect_args(f"{REMOTE}?sslmode={mode}&sslrootcert={ca}")["ssl"]
        assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname is False


def test_an_unknown_sslmode_is_a_clear_url_error() -> None:
    with pytest.raises(DatabaseUrlError, match="sslmode must be one of disable, allow, prefer"):
        postgres_connect_args(f"{REMOTE}?sslmode=sometimes")


def test_the_driver_never_sees_libpq_words_and_the_change_feed_gets_libpq_ones() -> None:
    url = async_url(f"{REMOTE}?sslmode=require&sslrootcert=/x.pem&application_name=app")
    assert dict(driver_url(url).query) == {"application_name": "app"}
    assert dict(driver_url(async_url(_psycopg(f"{REMOTE}?sslmode=require"))).query) == {"sslmode": "require"}
    conninfo, args = libpq_conninfo_of(f"{REMOTE}?ssl=true&prepared_statement_cache_size=0")
    assert conninfo == "postgresql://app:pw@db.example.com:5432/appconnect?sslmode=require" and args == {}
    conninfo, args = libpq_conninfo_of(LOCAL)
    assert conninfo == "postgresql://postgres@127.0.0.1:5432/appconnect" and args == {"sslmode": "disable"}
    assert libpq_conninfo_of(REMOTE)[1] == {"sslmode": "require"}
    assert libpq_conninfo_of(f"{LOCAL}?sslmode=verify-full", False)[1] == {}
