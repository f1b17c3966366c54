"""Salted SHA-256 of RingCentral ids, byte-compatible with the reference's `sha(x)`.

The hash is a correlation key (it names admin configuration rows and the ids connectors see), not
a proof of identity.
"""

from __future__ import annotations

import hashlib


def hash_id(value: object, hash_key: str | None) -> str:
    """Return lower-case hex SHA-256 of `"<value>:<hash_key>"`.

    A missing value or key is written as the text `undefined`, as the reference does, so hashes
    computed by either server agree.

    Example:
        >>> hash_id(12345, "k") == hashlib.sha256(b"12345:k").hexdigest()
        True
    """
    text_value = "undefined" if value is None else _as_text(value)
    text_key = "undefined" if hash_key is None else hash_key
    return hashlib.sha256(f"{text_value}:{text_key}".encode()).hexdigest()


def _as_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
