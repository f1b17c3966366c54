"""Who is logging: extension identity and hashed account id, derived as the spec says (logging §2.2)."""

from __future__ import annotations

from typing import Any

from appconnect.security import hash_id
from appconnect.store import ExtensionIdentity


def _first_not_none(*values: Any) -> Any:
    return next((value for value in values if value is not None), None)


def extension_identity(
    *,
    extension_number: Any = None,
    hashed_extension_id: Any = None,
    rc_extension_id: Any = None,
    hash_key: str | None,
) -> ExtensionIdentity:
    """`E` and `H`: a top-level `""` still shadows a nested value (`??` semantics, pitfall P-6)."""
    number = "" if extension_number is None else str(extension_number)
    hashed = str(hashed_extension_id) if hashed_extension_id else ""
    if not hashed and rc_extension_id and hash_key:
        hashed = hash_id(rc_extension_id, hash_key)
    return ExtensionIdentity(extension_number=number, hashed_extension_id=hashed)


def identity_for_create(body: Any, log_info: dict[str, Any], hash_key: str | None) -> ExtensionIdentity:
    return extension_identity(
        extension_number=_first_not_none(body.extension_number, log_info.get("extensionNumber")),
        hashed_extension_id=_first_not_none(body.hashed_extension_id, log_info.get("hashedExtensionId")),
        rc_extension_id=_first_not_none(body.rc_extension_id, log_info.get("rcExtensionId")),
        hash_key=hash_key,
    )


def hashed_account_id(header_value: str | None, account_id: Any, hash_key: str | None) -> str:
    """The `rc-account-id` header, else the hash of the body's account id (`undefined` when absent)."""
    return header_value or hash_id(account_id, hash_key)
