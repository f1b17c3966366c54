"""Admin user mapping for server-side logging (spec platform §5.3).

The connector lists the CRM's users (`ListsUsers.get_user_list`, signed in as the admin's CRM
user); each is matched to one or more of the account's RingCentral extensions and the pairs are
stored on the account's admin config (`userMappings`, keyed by `sha(RingCentral account id)` from
the admin's own RingCentral token). Server-side logging then assigns a call to the CRM user mapped
to the extension that took it (`mapped_crm_user_id`).

Quirks decided: ids are compared as text (P-12), and only non-empty e-mails and names can match
(P-13: the reference lets two missing values match, mapping every nameless user to the first
nameless extension).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from appconnect.connectors.base import ListsUsers
from appconnect.connectors.inputs import AdditionalSubmission, CrmInput
from appconnect.connectors.registry import ConnectorNotFound
from appconnect.connectors.types import CrmUser
from appconnect.services.admin import user_and_admin
from appconnect.services.context import ServerContext
from appconnect.services.crm import CrmSession
from appconnect.services.outcomes import Answered, Outcome
from appconnect.services.replies import Reply, error

log = structlog.get_logger(__name__)

MAX_EXTENSIONS = 20_000
"""An account's extension list is bounded; a longer one is refused before anything is read."""
DATABASE_FAILED = {"message": "Database operation failed", "messageType": "warning", "ttl": 5000}


@dataclass(frozen=True)
class Extension:
    id: str
    name: str
    first_name: str
    last_name: str
    extension_number: str
    email: str

    @property
    def display_name(self) -> str:
        # The reference writes "undefined undefined" for an extension without any name.
        return self.name or f"{self.first_name} {self.last_name}".strip()

    def to_wire(self) -> dict[str, Any]:
        return {
            "extensionId": self.id,
            "name": self.display_name,
            "extensionNumber": self.extension_number,
            "email": self.email,
        }


class BadExtensionList(ValueError):
    pass


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value)
    raise BadExtensionList("rcExtensionList items must hold text or numbers")


def parse_extensions(raw: Any) -> list[Extension]:
    """`rcExtensionList` as extensions, or BadExtensionList naming what is wrong."""
    if not isinstance(raw, list):
        raise BadExtensionList("rcExtensionList must be an array")
    if len(raw) > MAX_EXTENSIONS:
        raise BadExtensionList(f"rcExtensionList must hold at most {MAX_EXTENSIONS} extensions")
    extensions = []
    for item in raw:
        if not isinstance(item, Mapping) or not _text(item.get("id")):
            raise BadExtensionList("rcExtensionList items must be objects with an id")
        first, last = _text(item.get("firstName")), _text(item.get("lastName"))
        extensions.append(
            Extension(
                id=_text(item.get("id")),
                name=_text(item.get("name")),
                first_name=first,
                last_name=last,
                extension_number=_text(item.get("extensionNumber")),
                email=_text(item.get("email")),
            )
        )
    return extensions


def _stored_ids(mapping: Mapping[str, Any]) -> list[str]:
    raw = mapping.get("rcExtensionId")
    values = raw if isinstance(raw, list) else [raw]
    return [str(value) for value in values if value is not None and value != ""]


def _auto_match(crm_user: CrmUser, extensions: Sequence[Extension]) -> Extension | None:
    name, email = crm_user.name or "", crm_user.email or ""
    for extension in extensions:
        full_name = f"{extension.first_name} {extension.last_name}".strip()
        if (
            (email and extension.email == email)
            or (name and extension.name == name)
            or (name and full_name and full_name == name)
        ):
            return extension
    return None


def _item(crm_user: CrmUser, extensions: Sequence[Extension]) -> dict[str, Any]:
    return {
        "crmUser": {"id": crm_user.id, "name": crm_user.name or "", "email": crm_user.email or ""},
        "rcUser": [extension.to_wire() for extension in extensions],
    }


def build_mapping(
    crm_users: Sequence[CrmUser],
    extensions: Sequence[Extension],
    stored: list[Any] | None,
    *,
    reinitialize: bool,
) -> tuple[list[dict[str, Any]], list[Any]]:
    """The response items and the mappings to store (pure: the spec's steps 4-5)."""
    existing: dict[str, list[str]] = {}
    kept: list[Any] = []
    for mapping in [] if reinitialize else stored or []:
        if isinstance(mapping, Mapping) and mapping.get("crmUserId") is not None:
            ids = _stored_ids(mapping)
            existing.setdefault(str(mapping["crmUserId"]), ids)
            kept.append({"crmUserId": str(mapping["crmUserId"]), "rcExtensionId": ids})
    items: list[dict[str, Any]] = []
    added: list[Any] = []
    for crm_user in crm_users:
        mapped = existing.get(str(crm_user.id))
        if mapped is not None:
            items.append(_item(crm_user, [e for e in extensions if e.id in mapped]))
            continue
        match = _auto_match(crm_user, extensions)
        if match is not None:
            added.append({"crmUserId": str(crm_user.id), "rcExtensionId": [match.id]})
        items.append(_item(crm_user, [match] if match else []))
    return items, [*kept, *added]


async def map_users(
    context: ServerContext,
    *,
    user_id: str,
    rc_access_token: str | None,
    rc_extension_list: Any,
    reinitialize: bool,
) -> Reply | Outcome:
    """`POST /admin/userMapping` (and, with `reinitialize`, `/admin/reinitializeUserMapping`)."""
    checked = await user_and_admin(context, user_id, rc_access_token)
    if isinstance(checked, Reply):
        return checked
    user, identity = checked
    try:
        connector = context.registry.get(user.platform or "")
    except ConnectorNotFound as missing:
        return error(str(missing))
    if not isinstance(connector, ListsUsers):
        return Reply([])
    try:
        extensions = parse_extensions(rc_extension_list)
    except BadExtensionList as bad:
        return error(str(bad))
    try:
        crm = await CrmSession.open(context, connector, user, operation="getUserList")
        crm_users, crm = await crm.run(
            connector.get_user_list, CrmInput(user=crm.user, auth_header=crm.auth_header)
        )
    except Answered as answered:
        return answered.outcome
    hashed_account_id = identity.hashed_account_id(context.secrets.hash_key)
    result: list[dict[str, Any]] = []

    def change(stored: list[Any] | None) -> list[Any]:
        items, mappings = build_mapping(crm_users, extensions, stored, reinitialize=reinitialize)
        result[:] = items
        return mappings

    try:
        await context.store.admin_configs.change_user_mappings(hashed_account_id, change)
    except Exception as failure:
        log.warning("user mappings not stored", error_type=type(failure).__name__)
        return Outcome(body={"successful": False, "returnMessage": DATABASE_FAILED})
    return Reply(result)


async def mapped_crm_user_id(
    context: ServerContext, hashed_account_id: str | None, rc_extension_id: str | None
) -> str | None:
    """The CRM user mapped to `rc_extension_id` in the account's user mappings, or None.

    Used by server-side logging (`isAssignedToUser`): the reference matches a stored string id
    loosely, or an array containing it; ids are compared as text here.
    """
    if not hashed_account_id or not rc_extension_id:
        return None
    for mapping in await context.store.admin_configs.get_user_mappings(hashed_account_id) or []:
        if isinstance(mapping, Mapping) and str(rc_extension_id) in _stored_ids(mapping):
            crm_user_id = mapping.get("crmUserId")
            return None if crm_user_id in (None, "") else str(crm_user_id)
    return None


async def assigned_crm_user_id(
    context: ServerContext, submission: AdditionalSubmission | None, hashed_account_id: str | None
) -> str | None:
    """The owner for a log whose submission asks for an admin-assigned user (`isAssignedToUser`).

    The reference raises when the account has no admin config (Pipedrive quirk PD-5); here the
    log is written without an assigned owner instead, and a database failure is logged likewise.
    """
    if submission is None or not submission.is_assigned_to_user:
        return None
    try:
        return await mapped_crm_user_id(context, hashed_account_id, submission.admin_assigned_user_rc_id)
    except Exception as failure:
        log.warning("user mapping not read", error_type=type(failure).__name__)
        return None
