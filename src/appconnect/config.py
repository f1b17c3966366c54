"""Every setting of the server, read from the environment in one place.

Names follow the reference server wherever it has one (`APP_SERVER_SECRET_KEY`, `HASH_KEY`,
`DATABASE_URL`, `IS_PROD`, ...), so operators can move an existing `.env` across unchanged.
Settings of our own start with `APPCONNECT_`. Connector-specific settings (e.g. Pipedrive's client
id) live beside their connector, not here.

In development (the default) missing secrets are generated once and kept in a local state file so
that a fresh checkout serves with no configuration; in production (`IS_PROD=true`) a missing
secret stops start-up with a one-line error naming the variable.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import structlog
from pydantic import AliasChoices, BeforeValidator, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from appconnect.logging import remember_secret

log = structlog.get_logger(__name__)

SECRET_SETTINGS = ("APP_SERVER_SECRET_KEY", "HASH_KEY")
MIN_SECRET_BYTES = 32  # HS256 wants a key at least as long as its hash


class ConfigurationError(RuntimeError):
    """Start-up cannot continue; the message is one line naming what to fix."""


def _split_csv(value: Any) -> Any:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


CsvList = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_split_csv)]

LOG_LEVELS = ("DEBUG", "INFO", "WARN", "WARNING", "ERROR", "CRITICAL")


class Settings(BaseSettings):
    """The server's configuration. Build it with `Settings()` (environment) or keyword arguments."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    app_server_secret_key: str | None = Field(
        default=None, validation_alias="APP_SERVER_SECRET_KEY", repr=False
    )
    hash_key: str | None = Field(default=None, validation_alias="HASH_KEY", repr=False)
    database_url: str = Field(default="sqlite:///appconnect.db", validation_alias="DATABASE_URL")
    database_ssl: bool | None = Field(default=None, validation_alias="DATABASE_SSL")
    is_prod: bool = Field(default=False, validation_alias="IS_PROD")
    app_server: str = Field(default="http://localhost:6066", validation_alias="APP_SERVER")
    override_app_server: str | None = Field(default=None, validation_alias="OVERRIDE_APP_SERVER")
    override_server_side_logging_server: str | None = Field(
        default=None, validation_alias="OVERRIDE_SERVER_SIDE_LOGGING_SERVER"
    )
    use_cache: bool = Field(default=False, validation_alias="USE_CACHE")
    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")
    host: str = Field(default="127.0.0.1", validation_alias=AliasChoices("APP_HOST", "HOST"))
    port: int = Field(default=6066, validation_alias="PORT")
    admin_extension_id_dev_pass_list: CsvList = Field(
        default=(), validation_alias="ADMIN_EXTENSION_ID_DEV_PASS_LIST"
    )
    ringcentral_server: str = Field(
        default="https://platform.ringcentral.com", validation_alias="RINGCENTRAL_SERVER"
    )
    ringcentral_client_id: str | None = Field(default=None, validation_alias="RINGCENTRAL_CLIENT_ID")
    ringcentral_client_secret: str | None = Field(
        default=None, validation_alias="RINGCENTRAL_CLIENT_SECRET", repr=False
    )
    developer_portal_url: str = Field(
        default="https://appconnect.labs.ringcentral.com/public-api",
        validation_alias="APPCONNECT_DEVELOPER_PORTAL_URL",
    )
    ssl_cert_file: str | None = Field(default=None, validation_alias="SSL_CERT_FILE")
    allow_private_networks: bool | None = Field(
        default=None, validation_alias="APPCONNECT_ALLOW_PRIVATE_NETWORKS"
    )
    crm_timeout_seconds: float = Field(default=30.0, validation_alias="APPCONNECT_CRM_TIMEOUT")
    state_file: Path = Field(default=Path(".appconnect/state.json"), validation_alias="APPCONNECT_STATE_FILE")
    connectors: CsvList = Field(default=(), validation_alias="APPCONNECT_CONNECTORS")
    extra_connectors: CsvList = Field(default=(), validation_alias="APPCONNECT_EXTRA_CONNECTORS")
    proxy_configs: CsvList = Field(default=(), validation_alias="APPCONNECT_PROXY_CONFIGS")
    """Proxy (declarative) connector configurations: JSON files and/or directories of them."""
    proxy_config_url: str | None = Field(default=None, validation_alias="APPCONNECT_PROXY_CONFIG_URL")
    """Where a login's `proxyId` configuration is fetched (`{proxyId}` in it); default: the portal's."""
    developer_app_server_secret_key: str | None = Field(
        default=None, validation_alias="DEVELOPER_APP_SERVER_SECRET_KEY", repr=False
    )
    """Opens a portal proxy configuration's `encodedSecretKey` (the reference's Developer Console key)."""
    proxy_config_ttl_seconds: float = Field(
        default=300.0, ge=0, validation_alias="APPCONNECT_PROXY_CONFIG_TTL"
    )
    sample_crm_database_url: str = Field(
        default="sqlite:///appconnect-sample-crm.db", validation_alias="SAMPLE_CRM_DATABASE_URL"
    )
    create_wait_seconds: float = Field(default=10.0, validation_alias="APPCONNECT_CREATE_WAIT_SECONDS")
    auto_migrate: bool = Field(default=True, validation_alias="APPCONNECT_AUTO_MIGRATE")
    header_timeout_seconds: float = Field(default=10.0, gt=0, validation_alias="APPCONNECT_HEADER_TIMEOUT")
    body_timeout_seconds: float = Field(default=30.0, gt=0, validation_alias="APPCONNECT_BODY_TIMEOUT")
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1, validation_alias="APPCONNECT_MAX_BODY_BYTES")
    # The outbox (CRM writes owed through outages and crashes; see store/outbox.py).
    outbox_worker: bool = Field(default=True, validation_alias="APPCONNECT_OUTBOX_WORKER")
    outbox_poll_seconds: float = Field(default=1.0, gt=0, validation_alias="APPCONNECT_OUTBOX_POLL_SECONDS")
    outbox_lease_seconds: float = Field(
        default=120.0, gt=0, validation_alias="APPCONNECT_OUTBOX_LEASE_SECONDS"
    )
    outbox_backoff_seconds: float = Field(
        default=2.0, gt=0, validation_alias="APPCONNECT_OUTBOX_BACKOFF_SECONDS"
    )
    outbox_max_backoff_seconds: float = Field(
        default=300.0, gt=0, validation_alias="APPCONNECT_OUTBOX_MAX_BACKOFF_SECONDS"
    )
    outbox_max_attempts: int = Field(default=25, ge=1, validation_alias="APPCONNECT_OUTBOX_MAX_ATTEMPTS")
    outbox_max_age_seconds: float = Field(
        default=86400.0, gt=0, validation_alias="APPCONNECT_OUTBOX_MAX_AGE_SECONDS"
    )
    outbox_batch: int = Field(default=16, ge=1, validation_alias="APPCONNECT_OUTBOX_BATCH")
    outbox_uncertain_wait_seconds: float = Field(
        default=30.0, ge=0, validation_alias="APPCONNECT_OUTBOX_UNCERTAIN_WAIT_SECONDS"
    )

    # `GET /debug/report/url`: a presigned S3 PUT for one error report (spec platform §5.5).
    error_report_s3_bucket: str = Field(
        default="error-reports-bucket", validation_alias="ERROR_REPORT_S3_BUCKET"
    )
    aws_region: str = Field(default="us-east-1", validation_alias="AWS_REGION")
    error_report_s3_endpoint: str | None = Field(default=None, validation_alias="ERROR_REPORT_S3_ENDPOINT")
    aws_access_key_id: str | None = Field(default=None, validation_alias="AWS_ACCESS_KEY_ID", repr=False)
    aws_secret_access_key: str | None = Field(
        default=None, validation_alias="AWS_SECRET_ACCESS_KEY", repr=False
    )
    aws_session_token: str | None = Field(default=None, validation_alias="AWS_SESSION_TOKEN", repr=False)

    @field_validator("database_ssl", mode="before")
    @classmethod
    def _database_ssl(cls, value: Any) -> Any:
        """The reference's words (true/1/yes/on, false/0/no/off); empty is automatic (None)."""
        from appconnect.store.db import parse_database_ssl

        return parse_database_ssl(value) if isinstance(value, str) else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _known_log_level(cls, value: Any) -> Any:
        if isinstance(value, str):
            if value.strip().upper() not in LOG_LEVELS:
                raise ValueError(f"not one of {', '.join(LOG_LEVELS)}")
            return value.strip().upper()
        return value

    @property
    def private_networks_allowed(self) -> bool:
        """Loopback/private CRM hosts are reachable in development, refused in production by default."""
        if self.allow_private_networks is not None:
            return self.allow_private_networks
        return not self.is_prod

    @property
    def public_server_url(self) -> str:
        return (self.override_app_server or self.app_server).rstrip("/")


_PROBLEMS = {
    "int_parsing": "is not a whole number",
    "int_from_float": "is not a whole number",
    "float_parsing": "is not a number",
    "bool_parsing": "is not a boolean (use true or false)",
}
_SECRET_LOOKING = ("KEY", "SECRET", "TOKEN", "PASSWORD")


def describe_settings_error(error: ValidationError) -> str:
    """One line naming the first invalid variable, its value (unless secret) and what is wrong.

    Example: `PORT: 'abc' is not a whole number`.
    """
    issues = error.errors()
    if not issues:
        return "invalid configuration"
    issue = issues[0]
    variable = ".".join(str(part) for part in issue.get("loc", ())) or "configuration"
    problem = _PROBLEMS.get(issue.get("type", ""), "")
    if not problem:
        problem = str(issue.get("msg", "is invalid")).removeprefix("Value error, ")
        problem = f"is invalid: {problem}"
    value = issue.get("input")
    shown = "" if any(word in variable.upper() for word in _SECRET_LOOKING) else f" {value!r}"
    more = f" (and {len(issues) - 1} more)" if len(issues) > 1 else ""
    return f"{variable}:{shown} {problem}{more}"


def load_settings(**values: Any) -> Settings:
    """`Settings(**values)` from the environment, an invalid value raising a one-line error.

    Raises:
        ConfigurationError: e.g. `PORT: 'abc' is not a whole number`.
    """
    try:
        return Settings(**values)
    except ValidationError as error:
        raise ConfigurationError(describe_settings_error(error)) from error


@dataclass(frozen=True)
class Secrets:
    """The two secrets every process needs; always present once `resolve_secrets` has run."""

    app_server_secret_key: str = field(repr=False)
    hash_key: str = field(repr=False)


def resolve_secrets(settings: Settings) -> Secrets:
    """Return the configured secrets, generating missing ones in development.

    Generated values are written once to `settings.state_file` (mode 0600) and reused on the next
    start and by every worker, so JWTs and hashes stay valid across restarts.
    """
    configured = {
        "APP_SERVER_SECRET_KEY": settings.app_server_secret_key,
        "HASH_KEY": settings.hash_key,
    }
    missing = [name for name, value in configured.items() if not value]
    if missing and settings.is_prod:
        raise ConfigurationError(f"{missing[0]} must be set when IS_PROD=true")
    if missing:
        stored = _load_state(settings.state_file)
        changed = False
        for name in missing:
            if not stored.get(name):
                stored[name] = secrets.token_urlsafe(48)
                changed = True
            configured[name] = stored[name]
        if changed:
            _save_state(settings.state_file, stored)
            log.warning(
                "generated development secrets",
                variables=missing,
                state_file=str(settings.state_file),
                hint="set them in the environment for production",
            )
        else:
            log.info("using development secrets from state file", state_file=str(settings.state_file))
    if len(str(configured["APP_SERVER_SECRET_KEY"]).encode()) < MIN_SECRET_BYTES:
        log.warning(
            "APP_SERVER_SECRET_KEY is short; use at least 32 random bytes", minimum_bytes=MIN_SECRET_BYTES
        )
    resolved = Secrets(
        app_server_secret_key=str(configured["APP_SERVER_SECRET_KEY"]),
        hash_key=str(configured["HASH_KEY"]),
    )
    for secret in (
        resolved.app_server_secret_key,
        resolved.hash_key,
        settings.ringcentral_client_secret,
        settings.developer_app_server_secret_key,
        settings.aws_secret_access_key,
        settings.aws_session_token,
        *secret_environment_values(),
    ):
        remember_secret(secret)  # masked by value in every log line from now on
    return resolved


#: How the names of the environment's secrets end: connectors' OAuth client secrets
#: (`PIPEDRIVE_CLIENT_SECRET`, `CLIO_EU_CLIENT_SECRET`, ...), keys, tokens and passwords.
SECRET_NAME_ENDINGS = ("SECRET", "SECRET_KEY", "SECRET_ACCESS_KEY", "SESSION_TOKEN", "PASSWORD", "API_KEY")


def secret_environment_values(environ: Mapping[str, str] | None = None) -> list[str]:
    """The values of environment variables named like secrets.

    Why: connectors read their own client secrets from the environment, where the server does not
    know each name in advance; masking every such value keeps a connector's secret out of the logs
    without each connector having to register it.
    """
    source = os.environ if environ is None else environ
    return [value for name, value in source.items() if name.upper().endswith(SECRET_NAME_ENDINGS) and value]


def _load_state(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        raise ConfigurationError(f"cannot read the state file {path}: {error}") from error
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _save_state(path: Path, data: dict[str, str]) -> None:
    _make_private_directories(path.parent)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # a stale temporary file keeps its old mode through O_CREAT
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
    os.replace(tmp, path)


def _make_private_directories(directory: Path) -> None:
    """Create `directory` and any missing parents as 0700 (existing ones are left alone)."""
    missing: list[Path] = []
    while not directory.exists() and directory != directory.parent:
        missing.append(directory)
        directory = directory.parent
    for created in reversed(missing):
        created.mkdir(mode=0o700, exist_ok=True)
