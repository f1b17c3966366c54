"""Masking of credentials in headers and URLs before they are kept on errors or logged."""

from __future__ import annotations

import re
from collections.abc import Mapping

import httpx

MASK = "[redacted]"
URL_MASK = "REDACTED"  # survives percent-encoding unchanged

# Header names whose values are credentials or session state.
_SECRET_HEADER = re.compile(r"(auth|token|secret|key|password|cookie|session|signature)", re.IGNORECASE)
# Query parameter names that carry credentials (Pipedrive's api_token, OAuth code/state, ...).
_SECRET_PARAM = re.compile(
    r"(token|key|secret|password|passwd|auth|signature|sig|code|session)", re.IGNORECASE
)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """A plain-dict copy of *headers* (names lower-cased) with credential-like values masked."""
    safe: dict[str, str] = {}
    for name, value in headers.items():
        lowered = name.lower()
        safe[lowered] = MASK if _SECRET_HEADER.search(lowered) else value
    return safe


def redact_url(url: httpx.URL) -> str:
    """*url* without userinfo and with credential-like query parameters masked."""
    params = httpx.QueryParams(
        [
            (name, URL_MASK if _SECRET_PARAM.search(name) else value)
            for name, value in url.params.multi_items()
        ]
    )
    return str(url.copy_with(username=None, password=None, params=params, fragment=None))


def host_and_path(url: httpx.URL) -> str:
    """``host[:port]/path`` — the part of a URL that is safe to put in a message or a log line."""
    host = url.host
    if ":" in host:
        host = f"[{host}]"
    if url.port is not None:
        host = f"{host}:{url.port}"
    return f"{host}{url.path}"
