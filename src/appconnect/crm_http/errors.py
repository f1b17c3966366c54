"""The one typed error tree for everything that can go wrong talking to a CRM.

::

    CrmError                    status, platform, method, url (redacted), headers (redacted), body (truncated)
    ├── CrmRequestRefused       the request never left: bad scheme/URL, host not on the allow-list,
    │                           host is (or resolves to) a private/loopback/link-local/... address
    ├── CrmRateLimited          429; retry_after (seconds) and reset_at (UTC), from the Retry-After
    │                           or x-ratelimit-reset header
    ├── CrmAuthExpired          401; refresh the token, then retry once
    ├── CrmForbidden            403
    ├── CrmNotFound             404
    ├── CrmBadRequest           any other 4xx (400, 409, 422, ...); ``status`` says which
    ├── CrmRedirected           3xx: redirects are never followed (the target could be anywhere), so
    │                           the operation failed; ``location`` is the redacted target
    ├── CrmUnavailable          5xx, connection refused, DNS failure, TLS failure, pool exhausted,
    │                           or a timeout/drop on an idempotent request (GET, PUT, DELETE, ...)
    └── CrmUncertain            timeout or dropped connection *after* a POST/PATCH was sent: the CRM may
                                or may not have acted on it, so it must never be re-sent blindly

What to do about each one is data, not code: see :mod:`appconnect.crm_http.outcomes`.

``str(error)`` is safe to log and to show: it names the platform, method, host and path, never the
query string, headers, credentials or the response body.  ``headers`` is a copy with credential-like
headers masked; ``body`` is the (truncated) response text for debugging and may contain CRM data, so
do not log it wholesale.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from appconnect.crm_http._redact import redact_headers

if TYPE_CHECKING:
    from appconnect.crm_http.ratelimit import RateLimitInfo

__all__ = [
    "BODY_LIMIT",
    "CrmAuthExpired",
    "CrmBadRequest",
    "CrmError",
    "CrmForbidden",
    "CrmNotFound",
    "CrmRateLimited",
    "CrmRedirected",
    "CrmRequestRefused",
    "CrmUnavailable",
    "CrmUncertain",
]

#: How many characters of a response body an error keeps.
BODY_LIMIT = 2000


class CrmError(Exception):
    """Base class of every CRM call failure raised by :class:`appconnect.crm_http.CrmHttp`."""

    status: int | None
    platform: str | None
    method: str | None
    url: str | None
    headers: dict[str, str]
    body: str | None

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        platform: str | None = None,
        method: str | None = None,
        url: str | None = None,
        headers: Mapping[str, str] | None = None,
        body: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.platform = platform
        self.method = method
        self.url = url
        self.headers = redact_headers(headers or {})
        self.body = body[:BODY_LIMIT] if body is not None else None

    def __str__(self) -> str:
        return self.message


class CrmRequestRefused(CrmError):
    """The request never left this process (policy refused it, or it could not be formed)."""


class CrmRateLimited(CrmError):
    """HTTP 429.  ``retry_after`` is in seconds, ``reset_at`` an aware UTC datetime (either may be None)."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        reset_at: datetime | None = None,
        rate_limit: RateLimitInfo | None = None,
        status: int | None = 429,
        platform: str | None = None,
        method: str | None = None,
        url: str | None = None,
        headers: Mapping[str, str] | None = None,
        body: str | None = None,
    ) -> None:
        super().__init__(
            message, status=status, platform=platform, method=method, url=url, headers=headers, body=body
        )
        self.retry_after = retry_after
        self.reset_at = reset_at
        self.rate_limit = rate_limit


class CrmAuthExpired(CrmError):
    """HTTP 401: the access token is expired or revoked."""


class CrmForbidden(CrmError):
    """HTTP 403: authenticated, but not allowed to do this."""


class CrmNotFound(CrmError):
    """HTTP 404."""


class CrmBadRequest(CrmError):
    """Any other HTTP 4xx (400, 405, 409, 422, ...); see ``status``."""


class CrmRedirected(CrmError):
    """HTTP 3xx. The client never follows a redirect (its target is not vetted against the host
    policy), so the request was not carried out where it was sent: a failure, never "no match".

    A 303 to a POST or PATCH says the CRM acted and points elsewhere; that is
    :class:`CrmUncertain`, not this.
    """

    def __init__(
        self,
        message: str,
        *,
        location: str | None = None,
        status: int | None = None,
        platform: str | None = None,
        method: str | None = None,
        url: str | None = None,
        headers: Mapping[str, str] | None = None,
        body: str | None = None,
    ) -> None:
        super().__init__(
            message, status=status, platform=platform, method=method, url=url, headers=headers, body=body
        )
        self.location = location


class CrmUnavailable(CrmError):
    """5xx, or the request certainly did not get processed (connect/DNS/TLS failure, idempotent timeout)."""


class CrmUncertain(CrmError):
    """A POST/PATCH was (possibly) sent but no answer came back: the outcome is unknown.

    Never re-send it blindly; the CRM may already have created the record.
    """
