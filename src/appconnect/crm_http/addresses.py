"""SSRF guard: which IP addresses a CRM call may connect to, and resolving host names to vetted ones."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence

from appconnect.crm_http.errors import CrmRequestRefused, CrmUnavailable

__all__ = ["IPAddress", "Resolver", "is_blocked_address", "resolve_public_addresses", "system_resolver"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: ``async resolver(host, port) -> ["203.0.113.7", "2001:db8::7", ...]``
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]

_NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")


def _is_non_public(ip: IPAddress) -> bool:
    return (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_unspecified
        or ip.is_reserved
        or ip.is_multicast
        or not ip.is_global
    )


def is_blocked_address(ip: IPAddress) -> bool:
    """True for any address a CRM call must not reach when private networks are disallowed.

    Loopback, RFC 1918/ULA private, link-local (incl. the 169.254.169.254 metadata service),
    unspecified, reserved, multicast, shared/CGNAT and documentation ranges — everything that is
    not globally routable.  IPv6 forms that embed an IPv4 address (IPv4-mapped ``::ffff:a.b.c.d``,
    NAT64 ``64:ff9b::/96``, 6to4 ``2002::/16``) are judged by the embedded IPv4 address too.
    """
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped
        if embedded is None and ip in _NAT64_WELL_KNOWN:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return _is_non_public(embedded)
        if ip.sixtofour is not None and _is_non_public(ip.sixtofour):
            return True
    return _is_non_public(ip)


async def system_resolver(host: str, port: int) -> Sequence[str]:
    """Resolve with the event loop's ``getaddrinfo`` (system resolver), in its order, de-duplicated."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: dict[str, None] = {}
    for info in infos:
        seen.setdefault(str(info[4][0]), None)
    return list(seen)


def parse_ip(host: str) -> IPAddress | None:
    """The address if *host* is an IP literal (IPv6 without brackets, scope id allowed), else None."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


async def resolve_public_addresses(
    host: str, port: int, *, resolver: Resolver, resolve_timeout: float | None
) -> tuple[str, ...]:
    """Resolve *host* and return its addresses, refusing if ANY of them is non-public.

    Raises :class:`CrmRequestRefused` for a blocked address and :class:`CrmUnavailable` when the
    name does not resolve (or resolution times out).
    """
    literal = parse_ip(host)
    if literal is not None:
        candidates: list[IPAddress] = [literal]
    else:
        try:
            async with asyncio.timeout(resolve_timeout):
                raw = await resolver(host, port)
        except TimeoutError:
            raise CrmUnavailable(f"DNS lookup for {host} timed out") from None
        except UnicodeError:
            raise CrmRequestRefused(f"host {host} is not a valid host name") from None
        except OSError as exc:
            raise CrmUnavailable(f"DNS lookup for {host} failed") from exc
        candidates = []
        for address in raw:
            parsed = parse_ip(address)
            if parsed is None:
                raise CrmUnavailable(f"DNS lookup for {host} returned an unusable address")
            candidates.append(parsed)
        if not candidates:
            raise CrmUnavailable(f"DNS lookup for {host} returned no address")
    blocked = [ip for ip in candidates if is_blocked_address(ip)]
    if blocked:
        shown = host if literal is not None else f"{host} (resolves to {blocked[0]})"
        raise CrmRequestRefused(f"host {shown} is a non-public address; private networks are not allowed")
    return tuple(str(ip) for ip in candidates)
