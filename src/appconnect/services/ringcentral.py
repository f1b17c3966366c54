"""Who a RingCentral access token belongs to, and whether that user is an account admin.

Admin and managed-auth routes prove RingCentral identity with the user's RingCentral access token
(spec platform §2.3, §5.1): the server asks RingCentral's extension endpoint
`GET <RINGCENTRAL_SERVER>/restapi/v1.0/account/~/extension/~` and trusts only its answer, never an
account or extension id the client sends. The base URL is the `RINGCENTRAL_SERVER` setting (real
service by default, a fake one in tests; quirk P-1). Every id is handled as text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from appconnect.crm_http import HostPolicy, join_url
from appconnect.security import hash_id
from appconnect.services.context import ServerContext

EXTENSION_PATH = "/restapi/v1.0/account/~/extension/~"
ADMIN_VALIDATION_FAILED = "Admin validation failed"


class RcTokenMissing(ValueError):
    def __init__(self) -> None:
        super().__init__("rcAccessToken is required")


@dataclass(frozen=True)
class RcIdentity:
    account_id: str
    extension_id: str
    is_admin: bool
    name: str | None = None

    def hashed_account_id(self, hash_key: str) -> str:
        """The adminConfigs key of this account: `sha(account id)`."""
        return hash_id(self.account_id, hash_key)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _object(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    return value if isinstance(value, Mapping) else {}


def _name(data: Mapping[str, Any]) -> str | None:
    if data.get("name"):
        return str(data["name"])
    contact = _object(data, "contact")
    full = " ".join(str(part) for part in (contact.get("firstName"), contact.get("lastName")) if part)
    return full or None


async def rc_identity(context: ServerContext, rc_access_token: str | None) -> RcIdentity:
    """Ask RingCentral who owns the token.

    Raises:
        RcTokenMissing: no token was given (nothing is sent).
        CrmError: RingCentral refused the token or could not be reached.
    """
    if not rc_access_token:
        raise RcTokenMissing()
    base = context.settings.ringcentral_server
    response = await context.http.get(
        join_url(base, EXTENSION_PATH),
        policy=HostPolicy.for_base_url(base, platform="RingCentral"),
        headers={"Authorization": f"Bearer {rc_access_token}", "Accept": "application/json"},
    )
    data = response.json()
    if not isinstance(data, Mapping):
        data = {}
    account = _object(data, "account")
    admin = _object(_object(data, "permissions"), "admin")
    extension_id = _text(data.get("id"))
    dev_admins = context.settings.admin_extension_id_dev_pass_list
    return RcIdentity(
        account_id=_text(account.get("id")),
        extension_id=extension_id,
        is_admin=bool(admin.get("enabled")) or (bool(extension_id) and extension_id in dev_admins),
        name=_name(data),
    )
