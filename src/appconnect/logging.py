"""Structured logs that never print secrets.

Every event passes through `redact_secrets`, which masks any field whose name looks like a
credential (token, key, secret, password, authorization, credential, ...) at any depth, and any
`Bearer`/`Basic` credential that slipped into a string. JSON lines in production, readable lines
in development.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping
from typing import Any, TextIO

import structlog

_SECRET_NAME = re.compile(
    r"(token|secret|password|authorization|credential|api_?key|apikey|private_?key|client_?secret|cookie)",
    re.IGNORECASE,
)
_SECRET_IN_TEXT = re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
# Query parameters that carry credentials, also inside a URL-encoded URL (`callbackUri=https%3A%2F%2F
# crm%2Fcb%3Fcode%3DXYZ`, once or twice encoded): the OAuth authorization `code` is one. `state` is not
# a credential (it carries the platform and hostname, and is useful when reading a failed login).
_QUERY_NAMES = (
    r"jwtToken|access_token|refresh_token|id_token|rcAccessToken|token|api_?key|apikey|client_secret"
    r"|password|code"
)
_SECRET_QUERY = re.compile(
    r"((?:(?<![A-Za-z0-9%])|(?<=%3F)|(?<=%26)|(?<=%253F)|(?<=%2526))"
    rf"(?:{_QUERY_NAMES})(?:=|%3D|%253D))"
    r"(?:(?!%26|%2526)[^&\s\"'#])+",
    re.IGNORECASE,
)
MASK = "[redacted]"


def _scrub(value: Any, depth: int = 0) -> Any:
    if depth > 6:
        return value
    if isinstance(value, str):
        return _SECRET_QUERY.sub(r"\1" + MASK, _SECRET_IN_TEXT.sub(r"\1 " + MASK, value))
    if isinstance(value, Mapping):
        return {
            key: MASK if isinstance(key, str) and _SECRET_NAME.search(key) else _scrub(item, depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(_scrub(item, depth + 1) for item in value)
    return value


def redact_secrets(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: mask credential-looking fields and inline credentials."""
    return {key: MASK if _SECRET_NAME.search(key) else _scrub(value) for key, value in event_dict.items()}


def configure_logging(level: str = "INFO", *, json_lines: bool = False, stream: TextIO | None = None) -> None:
    """Route stdlib and structlog output through one redacting pipeline."""
    numeric = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    if level.upper() == "WARN":
        numeric = logging.WARNING
    renderer: Any = (
        structlog.processors.JSONRenderer() if json_lines else structlog.dev.ConsoleRenderer(colors=False)
    )
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact_secrets,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(numeric)
    for noisy in ("httpx", "httpcore", "alembic"):
        logging.getLogger(noisy).setLevel(max(numeric, logging.WARNING))
    logging.getLogger("alembic.runtime.migration").setLevel(numeric)  # keep "Running upgrade ..." lines
    _keep_sql_values_out(handler, numeric)


def _keep_sql_values_out(handler: logging.Handler, numeric: int) -> None:
    """SQL statements may be logged (at DEBUG), the values they carry never.

    The engines hide bound parameters (`store.db.create_engine`); result rows, which SQLAlchemy
    logs at DEBUG, are dropped here whatever level `sqlalchemy.engine` is given; aiosqlite's DEBUG
    lines repr every call with its parameters, so it never logs below INFO.
    """
    handler.addFilter(_no_sql_rows)
    logging.getLogger("aiosqlite").setLevel(max(numeric, logging.INFO))
    logging.getLogger("sqlalchemy.engine").setLevel(
        logging.INFO if numeric <= logging.DEBUG else logging.WARNING
    )


def _no_sql_rows(record: logging.LogRecord) -> bool:
    return not (record.name.startswith("sqlalchemy.engine") and record.levelno < logging.INFO)
