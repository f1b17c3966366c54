"""Structured logs that never print secrets.

Every event passes through `redact_secrets`, which masks any field whose name looks like a
credential (token, key, secret, password, authorization, credential, ...) at any depth, any
`Bearer`/`Basic` credential or credential query parameter that slipped into a string, and every
occurrence of a secret the server knows by value: its own keys (`remember_secret`) and the ones a
request has in hand (its JWT, the CRM credentials it decrypted: `remember_request_secret`), wherever
they appear, exception messages included.

Exceptions are rendered as plain tracebacks (type, message, file and line of every frame), never
with local variables, and the rendered text is redacted like any other field. JSON lines in
production, readable lines in development.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from typing import Any, TextIO
from urllib.parse import quote

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


# Shorter values are not worth masking by value (they would mask ordinary words); the patterns
# above still apply to them.
MIN_SECRET_CHARS = 8
_MAX_REQUEST_SECRETS = 32
_server_secrets: dict[str, None] = {}
_request_secrets: ContextVar[dict[str, None] | None] = ContextVar("appconnect_request_secrets", default=None)
_META_KEYS = frozenset({"_record", "_from_structlog"})  # structlog's own; never rendered


def _forms(value: str) -> list[str]:
    encoded = quote(value, safe="")
    return [value] if encoded == value else [value, encoded]


def remember_secret(value: str | None) -> None:
    """Mask `value` in every log line of this process from now on (server keys, client secrets)."""
    if value and len(value) >= MIN_SECRET_CHARS:
        for form in _forms(value):
            _server_secrets[form] = None


def open_request_secrets() -> None:
    """Start an empty set of request secrets for the current context (one request's task)."""
    _request_secrets.set({})


def remember_request_secret(value: str | None) -> None:
    """Mask `value` in every log line of the current request (its JWT, a decrypted API key, ...).

    The set lives in a context variable, so it follows the request's task (and uvicorn's own error
    line for it), and is bounded so a long-lived context cannot grow it without end.
    """
    if not value or len(value) < MIN_SECRET_CHARS:
        return
    known = _request_secrets.get()
    if known is None:
        known = {}
        _request_secrets.set(known)
    for form in _forms(value):
        known[form] = None
    while len(known) > _MAX_REQUEST_SECRETS:
        del known[next(iter(known))]


def _known_secrets() -> tuple[str, ...]:
    request = _request_secrets.get()
    values = [*_server_secrets, *(request or ())]
    return tuple(sorted(set(values), key=len, reverse=True))  # longest first: no partial leftovers


def _scrub_text(text: str, known: Iterable[str]) -> str:
    for secret in known:
        if secret in text:
            text = text.replace(secret, MASK)
    return _SECRET_QUERY.sub(r"\1" + MASK, _SECRET_IN_TEXT.sub(r"\1 " + MASK, text))


def _scrub(value: Any, known: tuple[str, ...] = (), depth: int = 0) -> Any:
    if depth > 6:
        return value
    if isinstance(value, str):
        return _scrub_text(value, known)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Mapping):
        return {
            key: MASK if isinstance(key, str) and _SECRET_NAME.search(key) else _scrub(item, known, depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(_scrub(item, known, depth + 1) for item in value)
    # Anything else is rendered by its repr (an exception, a URL, a dataclass): redact that text.
    return _scrub_text(repr(value), known)


def redact_secrets(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: mask credential-looking fields, inline credentials and known secrets."""
    known = _known_secrets()
    return {
        key: value if key in _META_KEYS else MASK if _SECRET_NAME.search(key) else _scrub(value, known)
        for key, value in event_dict.items()
    }


def configure_logging(level: str = "INFO", *, json_lines: bool = False, stream: TextIO | None = None) -> None:
    """Route stdlib and structlog output through one redacting pipeline."""
    numeric = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    if level.upper() == "WARN":
        numeric = logging.WARNING
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if json_lines
        else structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback)
    )
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        # exc_info -> "exception": a plain traceback without locals, before redaction sees it.
        structlog.processors.format_exc_info,
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
