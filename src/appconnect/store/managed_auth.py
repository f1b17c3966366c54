"""Admin-managed API-key field values (spec platform §3.6), encrypted at rest.

Stored in `account_data` under the raw RingCentral account id and the platform:

* `managed-auth-org`                          `{"fields": {<const>: <sealed value>}}`
* `managed-auth-user:<rcExtensionId>`         `{"rcExtensionId", "rcUserName", "fields": {...}}`
* `managed-auth-login-failure:<rcExtensionId>` `{"failedAt": <ISO time>}`

A sealed value is `{"version": 2, "encrypted": true, "value": <SecretBox ciphertext of the JSON
text>}` (authenticated encryption, quirk P-4). A stored value without `encrypted: true` is used as
is, as the reference does. Only this module sees the ciphertext.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog

from appconnect.security import DecryptionError, SecretBox
from appconnect.store.account_data import AccountDataRepository

log = structlog.get_logger(__name__)

ORG_KEY = "managed-auth-org"
USER_KEY_PREFIX = "managed-auth-user:"
FAILURE_KEY_PREFIX = "managed-auth-login-failure:"
_VERSION = 2


def is_blank(value: Any) -> bool:
    """Absent or the empty string: the reference's "not present" for a managed value."""
    return value is None or value == ""


@dataclass(frozen=True)
class ManagedValues:
    """The decrypted values of one scope (the org, or one extension)."""

    fields: dict[str, Any] = field(default_factory=dict)
    rc_extension_id: str | None = None
    rc_user_name: str | None = None


class ManagedAuthRepository:
    def __init__(self, account_data: AccountDataRepository, box: SecretBox) -> None:
        self._data = account_data
        self._box = box

    def _seal(self, value: Any) -> dict[str, Any]:
        return {"version": _VERSION, "encrypted": True, "value": self._box.encrypt(json.dumps(value))}

    def _open(self, stored: Any) -> Any:
        if not (isinstance(stored, Mapping) and stored.get("encrypted") is True):
            return stored
        if stored.get("version") != _VERSION:
            log.warning("managed auth value in an unsupported format ignored", version=stored.get("version"))
            return None
        try:
            return json.loads(self._box.decrypt(str(stored.get("value"))))
        except (DecryptionError, ValueError):
            log.warning("managed auth value could not be decrypted; ignored")
            return None

    def _values(self, data: Any) -> ManagedValues:
        record = data if isinstance(data, Mapping) else {}
        stored_fields = record.get("fields")
        fields: Mapping[str, Any] = stored_fields if isinstance(stored_fields, Mapping) else {}
        opened = {const: self._open(stored) for const, stored in fields.items()}
        return ManagedValues(
            fields={const: value for const, value in opened.items() if value is not None},
            rc_extension_id=record.get("rcExtensionId"),
            rc_user_name=record.get("rcUserName"),
        )

    async def org_values(self, rc_account_id: str, platform: str) -> ManagedValues:
        return self._values(await self._data.get(rc_account_id, platform, ORG_KEY))

    async def user_values(self, rc_account_id: str, platform: str, rc_extension_id: str) -> ManagedValues:
        return self._values(await self._data.get(rc_account_id, platform, USER_KEY_PREFIX + rc_extension_id))

    async def all_user_values(self, rc_account_id: str, platform: str) -> list[ManagedValues]:
        keys = sorted(
            k for k in await self._data.keys(rc_account_id, platform) if k.startswith(USER_KEY_PREFIX)
        )
        records = []
        for key in keys:
            values = self._values(await self._data.get(rc_account_id, platform, key))
            if values.rc_extension_id is None:
                values = ManagedValues(values.fields, key[len(USER_KEY_PREFIX) :], values.rc_user_name)
            records.append(values)
        return records

    async def _upsert(
        self,
        rc_account_id: str,
        platform: str,
        key: str,
        values: Mapping[str, Any],
        remove: Iterable[str],
        header: Mapping[str, Any],
    ) -> None:
        current = await self._data.get(rc_account_id, platform, key)
        record = dict(current) if isinstance(current, Mapping) else {}
        fields = dict(record.get("fields") or {})
        for const, value in values.items():
            if not is_blank(value):
                fields[const] = self._seal(value)
        for const in remove:
            fields.pop(const, None)
        record.update(header)
        record["fields"] = fields
        await self._data.put(rc_account_id, platform, key, record)

    async def upsert_org(
        self, rc_account_id: str, platform: str, values: Mapping[str, Any], remove: Iterable[str] = ()
    ) -> None:
        """Store the present, non-empty `values` (others kept) and delete the `remove` keys."""
        await self._upsert(rc_account_id, platform, ORG_KEY, values, remove, {})

    async def upsert_user(
        self,
        rc_account_id: str,
        platform: str,
        rc_extension_id: str,
        values: Mapping[str, Any],
        remove: Iterable[str] = (),
        rc_user_name: str | None = None,
    ) -> None:
        header: dict[str, Any] = {"rcExtensionId": rc_extension_id}
        if rc_user_name is not None:
            header["rcUserName"] = rc_user_name
        await self._upsert(rc_account_id, platform, USER_KEY_PREFIX + rc_extension_id, values, remove, header)

    async def has_login_failure(self, rc_account_id: str, platform: str, rc_extension_id: str) -> bool:
        return await self._data.get(rc_account_id, platform, FAILURE_KEY_PREFIX + rc_extension_id) is not None

    async def mark_login_failure(self, rc_account_id: str, platform: str, rc_extension_id: str) -> None:
        """Remember that a login with the managed values failed: the next one may use typed values."""
        failed_at = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        await self._data.put(
            rc_account_id, platform, FAILURE_KEY_PREFIX + rc_extension_id, {"failedAt": failed_at}
        )

    async def clear_login_failure(self, rc_account_id: str, platform: str, rc_extension_id: str) -> None:
        await self._data.delete(rc_account_id, platform, FAILURE_KEY_PREFIX + rc_extension_id)
