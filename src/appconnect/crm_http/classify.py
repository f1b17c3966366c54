"""Turn CRM responses and transport exceptions into the typed errors of :mod:`.errors`."""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from datetime import datetime
from typing import TypedDict

import httpx

from appconnect.crm_http._redact import host_and_path, redact_url
from appconnect.crm_http.errors import (
    CrmAuthExpired,
    CrmBadRequest,
    CrmError,
    CrmForbidden,
    CrmNotFound,
    CrmRateLimited,
    CrmRedirected,
    CrmRequestRefused,
    CrmUnavailable,
    CrmUncertain,
)
from appconnect.crm_http.ratelimit import parse_retry_after, rate_limit_info_from_headers

__all__ = ["NON_IDEMPOTENT_METHODS", "classify_response", "classify_transport_error"]

#: Methods whose outcome is unknown if the connection fails after they were sent.
NON_IDEMPOTENT_METHODS = frozenset({"POST", "PATCH"})

_BY_STATUS: dict[int, type[CrmError]] = {
    401: CrmAuthExpired,
    403: CrmForbidden,
    404: CrmNotFound,
}


class _Fields(TypedDict, total=False):
    status: int | None
    platform: str | None
    method: str | None
    url: str | None
    headers: Mapping[str, str] | None
    body: str | None


def _name(platform: str | None) -> str:
    return platform or "CRM"


def _body_text(response: httpx.Response) -> str | None:
    try:
        return response.text
    except Exception:  # undecodable or unread body: nothing useful to keep
        return None


_GATEWAY_GAVE_UP = frozenset({502, 504})
_NOT_IDEMPOTENT = frozenset({"POST", "PATCH"})


def _location(response: httpx.Response) -> str | None:
    """The redirect target, resolved against the request, with credential-like query parameters
    masked; None when the header is missing or unusable."""
    value = response.headers.get("location")
    if not value:
        return None
    try:
        return redact_url(response.request.url.join(value))
    except (httpx.InvalidURL, ValueError, TypeError):
        return None


def classify_response(
    response: httpx.Response, *, platform: str | None = None, now: datetime | None = None
) -> CrmError | None:
    """None for 1xx/2xx; otherwise the typed error for this status (3xx included: a redirect
    is never followed, so the operation did not happen where it was sent)."""
    status = response.status_code
    if status < 300:
        return None
    request = response.request
    where = f"{request.method} {host_and_path(request.url)}"
    reason = response.reason_phrase or ""
    message = f"{_name(platform)} responded {status} {reason}".rstrip() + f" to {where}"
    common: _Fields = {
        "status": status,
        "platform": platform,
        "method": request.method,
        "url": redact_url(request.url),
        "headers": response.headers,
        "body": _body_text(response),
    }
    if status < 400:
        location = _location(response)
        message += " (redirect not followed)"
        if status == 303 and request.method in _NOT_IDEMPOTENT:
            # "See Other" answers a write the CRM has carried out: its outcome is not a failure.
            return CrmUncertain(message, **common)
        return CrmRedirected(message, location=location, **common)
    if status == 429:
        info = rate_limit_info_from_headers(response.headers, now=now)
        retry_after: float | None
        reset_at: datetime | None
        retry = parse_retry_after(response.headers.get("retry-after"), now=now)
        if retry is not None:
            retry_after, reset_at = retry
        elif info is not None and info.reset_after is not None:
            retry_after, reset_at = info.reset_after, info.reset_at
        else:
            retry_after, reset_at = None, None
        if retry_after is not None:
            message += f"; retry after {retry_after:g}s"
        return CrmRateLimited(
            message,
            retry_after=retry_after,
            reset_at=reset_at,
            rate_limit=info,
            **common,
        )
    error_class: type[CrmError]
    if status in _BY_STATUS:
        error_class = _BY_STATUS[status]
    elif status < 500:
        error_class = CrmBadRequest
    elif status in _GATEWAY_GAVE_UP and request.method in _NOT_IDEMPOTENT:
        # A proxy gave up waiting: the CRM behind it may well have applied the write.
        error_class = CrmUncertain
    else:
        error_class = CrmUnavailable
    return error_class(message, **common)


def _tls_failure(exc: BaseException) -> ssl.SSLError | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def classify_transport_error(
    exc: httpx.HTTPError, *, method: str, url: httpx.URL, platform: str | None = None
) -> CrmError:
    """Map an httpx exception to the tree: was the request certainly not sent, or is it uncertain?"""
    method = method.upper()
    where = f"{method} {host_and_path(url)}"
    name = _name(platform)
    common: _Fields = {"platform": platform, "method": method, "url": redact_url(url)}
    # Never sent: the request could not be formed.  (Messages of these may echo header values.)
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.LocalProtocolError):
        return CrmRequestRefused(f"could not send {where} to {name}: {type(exc).__name__}", **common)
    # Never sent: no connection was made.
    if isinstance(exc, httpx.ConnectTimeout):
        return CrmUnavailable(f"timed out connecting to {name} for {where}", **common)
    if isinstance(exc, httpx.PoolTimeout):
        return CrmUnavailable(f"no free connection to {name} for {where} (pool exhausted)", **common)
    if isinstance(exc, httpx.ConnectError | httpx.ProxyError):
        tls = _tls_failure(exc)
        if tls is not None:
            detail = (
                getattr(tls, "verify_message", None) or getattr(tls, "reason", None) or "handshake failed"
            )
            return CrmUnavailable(
                f"TLS with {name} failed for {where}: {detail} (is SSL_CERT_FILE / ca_file right?)", **common
            )
        return CrmUnavailable(f"could not connect to {name} for {where}: {str(exc)[:200]}", **common)
    # Possibly sent: the outcome of a non-idempotent request is unknown.
    what = "timed out" if isinstance(exc, httpx.TimeoutException) else "connection failed"
    if method in NON_IDEMPOTENT_METHODS:
        return CrmUncertain(
            f"{name} {what} after {where} was sent ({type(exc).__name__}); "
            "it may or may not have been applied",
            **common,
        )
    return CrmUnavailable(f"{name} {what} during {where} ({type(exc).__name__})", **common)
