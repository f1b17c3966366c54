"""Per-connector host allow-lists and base-URL joining."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

__all__ = ["HostPolicy", "join_url", "normalise_host"]


def normalise_host(host: str) -> str:
    """Lower-case, without IPv6 brackets and without a trailing root dot."""
    host = host.strip().lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host.rstrip(".")


def _validate_pattern(pattern: str) -> str:
    if pattern.strip() == "*":
        return "*"
    normalised = normalise_host(pattern)
    body = normalised[2:] if normalised.startswith("*.") else normalised
    if not body or "*" in body or "/" in body or " " in body:
        raise ValueError(f"invalid host pattern {pattern!r}: use 'api.example.com', '*.example.com' or '*'")
    return normalised


def _matches(host: str, pattern: str) -> bool:
    if pattern == "*":
        return True
    if pattern.startswith("*."):
        suffix = pattern[1:]  # ".example.com": any depth of subdomain, never the apex itself
        return host.endswith(suffix) and len(host) > len(suffix)
    return host == pattern


@dataclass(frozen=True, slots=True)
class HostPolicy:
    """Which hosts one connector may call.

    ``allowed_hosts`` holds exact host names (``api.pipedrive.com``), wildcard patterns
    (``*.pipedrive.com`` — any subdomain at any depth, but not ``pipedrive.com`` itself) or ``*``
    (any host).  Matching is case-insensitive and ignores a trailing dot.  An empty tuple allows
    nothing.  ``allow_private`` overrides the client's ``allow_private_networks`` setting for this
    connector (None: use the client's).  ``platform`` names the connector in errors and logs.
    """

    allowed_hosts: tuple[str, ...]
    allow_private: bool | None = None
    platform: str | None = None
    _patterns: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.allowed_hosts, str):
            raise TypeError("allowed_hosts must be a tuple of patterns, not a single string")
        patterns = tuple(_validate_pattern(pattern) for pattern in self.allowed_hosts)
        object.__setattr__(self, "allowed_hosts", tuple(self.allowed_hosts))
        object.__setattr__(self, "_patterns", patterns)

    def allows(self, host: str) -> bool:
        """True when *host* matches one of the allowed patterns."""
        normalised = normalise_host(host)
        return bool(normalised) and any(_matches(normalised, pattern) for pattern in self._patterns)

    @classmethod
    def for_base_url(
        cls,
        base_url: str,
        *,
        platform: str | None = None,
        extra_hosts: tuple[str, ...] = (),
        allow_private: bool | None = None,
    ) -> HostPolicy:
        """A policy allowing exactly the host of a configured base URL (plus *extra_hosts*)."""
        host = normalise_host(httpx.URL(base_url).host)
        if not host:
            raise ValueError(f"base URL {base_url!r} has no host")
        return cls(allowed_hosts=(host, *extra_hosts), allow_private=allow_private, platform=platform)


def join_url(base_url: str, path: str) -> str:
    """Join a configurable base URL (which may carry a path prefix) with an API path.

    ``join_url("https://x.pipedrive.com/api/v1/", "/persons/search")`` gives
    ``https://x.pipedrive.com/api/v1/persons/search``.  The path is always relative to the base
    (a leading slash does not climb to the root), and it may carry a query string.  An absolute or
    scheme-relative *path* is refused, so a value from the outside can never switch host.
    """
    base = httpx.URL(base_url)
    if base.scheme not in ("http", "https") or not base.host:
        raise ValueError(f"base URL {base_url!r} must be an absolute http(s) URL")
    if base.query or base.fragment:
        raise ValueError(f"base URL {base_url!r} must not have a query or fragment")
    stripped = path.strip()
    if "://" in stripped.split("?", 1)[0] or stripped.startswith(("//", "\\")):
        raise ValueError("path must be relative to the base URL")
    return f"{str(base).rstrip('/')}/{stripped.lstrip('/')}"
