"""Admin-managed API-key fields (spec platform §3.6): an admin stores login values for the account
or for one extension, and users' API-key logins use them.

Field definitions are the `auth.apiKey.page.content[]` items of the platform's manifest:
`{const, required, managed, managedScope: "account"|"user", managedFieldType}`. They come from the
Developer Portal when the login names a `connectorId` (base URL: the
`APPCONNECT_DEVELOPER_PORTAL_URL` setting), else from the locally registered manifest.

Values are encrypted at rest (`store.managed_auth`). Quirk P-6 decided: admins never read a secret
back; `GET /admin/managedAuth` shows `hasValue` and a masked `value`, and a masked value sent back
unchanged by the admin page is ignored rather than stored over the real one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import structlog

from appconnect.crm_http import HostPolicy, join_url
from appconnect.domain import User
from appconnect.services.context import ServerContext
from appconnect.services.replies import Reply, error, text
from appconnect.services.ringcentral import RcIdentity
from appconnect.store.managed_auth import ManagedValues, is_blank

log = structlog.get_logger(__name__)

MASK = "••••••••"
_SHOWN_TAIL = 4
_SHOW_TAIL_FROM_LENGTH = 12


@dataclass(frozen=True)
class PortalSource:
    """Where a login's connector manifest lives in the Developer Portal (all empty: local manifest)."""

    connector_id: str | None = None
    dev_rc_account_id: str | None = None
    is_private: bool = False


@dataclass(frozen=True)
class AuthField:
    const: str
    required: bool
    managed: bool
    scope: str
    field_type: str
    definition: Mapping[str, Any]

    @property
    def user_scoped(self) -> bool:
        return self.scope == "user"


@dataclass(frozen=True)
class LoginFields:
    """The login's fields after managed values were filled in."""

    additional_info: dict[str, Any]
    missing: list[str]
    fields: list[AuthField] = field(default_factory=list)

    @property
    def has_managed(self) -> bool:
        return any(item.managed for item in self.fields)


def mask(value: Any) -> str:
    """How a stored secret is shown: never whole; the last four characters of a long one only."""
    if is_blank(value):
        return ""
    shown = str(value)
    return MASK + shown[-_SHOWN_TAIL:] if len(shown) >= _SHOW_TAIL_FROM_LENGTH else MASK


def _auth_fields(content: Any) -> list[AuthField]:
    fields: list[AuthField] = []
    for item in content if isinstance(content, list) else []:
        if not isinstance(item, Mapping) or not item.get("const"):
            continue
        fields.append(
            AuthField(
                const=str(item["const"]),
                required=bool(item.get("required")),
                managed=bool(item.get("managed")),
                scope=str(item.get("managedScope") or "account"),
                field_type=str(item.get("managedFieldType") or "input"),
                definition=dict(item),
            )
        )
    return fields


def _content_of(platform_manifest: Any) -> list[Any] | None:
    node: Any = platform_manifest
    for key in ("auth", "apiKey", "page", "content"):
        node = node.get(key) if isinstance(node, Mapping) else None
    return node if isinstance(node, list) else None


def _platform_entry(manifest: Any, platform: str) -> Any:
    platforms = manifest.get("platforms") if isinstance(manifest, Mapping) else None
    if isinstance(platforms, Mapping):
        if platform in platforms:
            return platforms[platform]
        if len(platforms) == 1:
            return next(iter(platforms.values()))
        return None
    return manifest


def local_content(context: ServerContext, platform: str) -> list[Any]:
    """The field definitions of the locally registered manifest, falling back to the default one."""
    for name in (platform, "default"):
        try:
            manifest = context.registry.manifest(name)
        except LookupError:
            continue
        content = _content_of(_platform_entry(manifest, platform))
        if content is not None:
            return content
    return []


async def _portal_get(context: ServerContext, path: str) -> Any:
    base = context.settings.developer_portal_url
    response = await context.http.get(
        join_url(base, path), policy=HostPolicy.for_base_url(base, platform="Developer Portal")
    )
    return response.json()


async def _portal_content(
    context: ServerContext, platform: str, source: PortalSource, rc_account_id: str | None
) -> list[Any] | None:
    connector = quote(source.connector_id or "", safe="")
    try:
        if source.dev_rc_account_id:
            account = quote(source.dev_rc_account_id, safe="")
            manifest = await _portal_get(
                context,
                f"/connectors/{connector}/manifest?access=internal&type=connector&accountId={account}",
            )
        elif source.is_private:
            listing = await _portal_get(
                context, f"/connectors/internal?accountId={quote(rc_account_id or '')}"
            )
            owner = _private_connector_owner(listing, source.connector_id or "", rc_account_id)
            if owner is None:
                return None
            manifest = await _portal_get(
                context,
                f"/connectors/{connector}/manifest?access=internal&type=connector&accountId={quote(owner)}",
            )
        else:
            manifest = await _portal_get(context, f"/connectors/{connector}/manifest")
    except Exception as failure:  # any portal problem means "no portal manifest"
        log.info(
            "developer portal manifest unavailable", platform=platform, error_type=type(failure).__name__
        )
        return None
    return _content_of(_platform_entry(manifest, platform))


def _private_connector_owner(listing: Any, connector_id: str, rc_account_id: str | None) -> str | None:
    if not isinstance(listing, Mapping):
        return None
    for entry in listing.get("privateConnectors") or []:
        if isinstance(entry, Mapping) and str(entry.get("id")) == connector_id:
            return rc_account_id or ""
    for entry in listing.get("sharedConnectors") or []:
        if isinstance(entry, Mapping) and str(entry.get("id")) == connector_id:
            return str(entry.get("accountId") or "")
    return None


async def field_definitions(
    context: ServerContext, platform: str, source: PortalSource, rc_account_id: str | None
) -> list[AuthField]:
    content = None
    if source.connector_id:
        content = await _portal_content(context, platform, source, rc_account_id)
    return _auth_fields(content if content is not None else local_content(context, platform))


async def _stored(
    context: ServerContext, platform: str, identity: RcIdentity
) -> tuple[ManagedValues, ManagedValues]:
    repository = context.store.managed_auth
    org = await repository.org_values(identity.account_id, platform)
    mine = await repository.user_values(identity.account_id, platform, identity.extension_id)
    return org, mine


def _stored_value(item: AuthField, org: ManagedValues, mine: ManagedValues) -> Any:
    return (mine if item.user_scoped else org).fields.get(item.const)


async def resolve_login_fields(
    context: ServerContext,
    platform: str,
    identity: RcIdentity,
    additional_info: Mapping[str, Any],
    source: PortalSource,
) -> LoginFields:
    """Fill managed values into a login's fields and list the required ones still missing.

    A stored value wins over a typed one, except after a failed managed login (the failure
    marker), when what the user typed is tried instead.
    """
    fields = await field_definitions(context, platform, source, identity.account_id)
    resolved = dict(additional_info)
    if not fields:
        return LoginFields(resolved, [], fields)
    has_managed = any(item.managed for item in fields)
    org, mine = ManagedValues(), ManagedValues()
    fallback = False
    if has_managed:
        org, mine = await _stored(context, platform, identity)
        fallback = await context.store.managed_auth.has_login_failure(
            identity.account_id, platform, identity.extension_id
        )
    missing: list[str] = []
    for item in fields:
        if item.managed:
            stored = _stored_value(item, org, mine)
            typed_instead = fallback and not is_blank(resolved.get(item.const))
            if not is_blank(stored) and not typed_instead:
                resolved[item.const] = stored
        if item.required and is_blank(resolved.get(item.const)):
            missing.append(item.const)
    return LoginFields(resolved, missing, fields)


async def persist_submitted_values(
    context: ServerContext,
    platform: str,
    identity: RcIdentity,
    fields: list[AuthField],
    submitted: Mapping[str, Any],
) -> None:
    """After an admin's successful login, keep the managed values they typed for everybody."""
    org_values = {f.const: submitted.get(f.const) for f in fields if f.managed and not f.user_scoped}
    user_values = {f.const: submitted.get(f.const) for f in fields if f.managed and f.user_scoped}
    repository = context.store.managed_auth
    if any(not is_blank(value) for value in org_values.values()):
        await repository.upsert_org(identity.account_id, platform, org_values)
    if any(not is_blank(value) for value in user_values.values()):
        await repository.upsert_user(
            identity.account_id, platform, identity.extension_id, user_values, rc_user_name=identity.name
        )


async def login_state(
    context: ServerContext, platform: str, identity: RcIdentity, source: PortalSource
) -> dict[str, Any]:
    """`GET /apiKeyManagedAuthState`: what the login page must still ask this user for."""
    fields = await field_definitions(context, platform, source, identity.account_id)
    required = [item for item in fields if item.required]
    manual = {
        "hasManagedAuth": False,
        "allRequiredFieldsSatisfied": False,
        "visibleFieldConsts": None,
        "missingRequiredFieldConsts": [item.const for item in required],
        "fallbackToManualAuth": False,
    }
    if not any(item.managed for item in fields):
        return manual
    if await context.store.managed_auth.has_login_failure(
        identity.account_id, platform, identity.extension_id
    ):
        return {**manual, "hasManagedAuth": True, "fallbackToManualAuth": True}
    org, mine = await _stored(context, platform, identity)
    unsatisfied = [
        item.const for item in required if not (item.managed and not is_blank(_stored_value(item, org, mine)))
    ]
    return {
        "hasManagedAuth": True,
        "allRequiredFieldsSatisfied": not unsatisfied,
        "visibleFieldConsts": unsatisfied,
        "missingRequiredFieldConsts": unsatisfied,
        "fallbackToManualAuth": False,
    }


def _shown(fields: list[AuthField], values: ManagedValues) -> dict[str, Any]:
    return {
        item.const: {
            "hasValue": not is_blank(values.fields.get(item.const)),
            "value": mask(values.fields.get(item.const)),
        }
        for item in fields
    }


async def admin_view(context: ServerContext, user: User, identity: RcIdentity, source: PortalSource) -> Reply:
    """`GET /admin/managedAuth`: the managed fields and which of them have values (masked)."""
    platform = user.platform
    fields = [
        item
        for item in await field_definitions(context, platform, source, identity.account_id)
        if item.managed
    ]
    org_fields = [item for item in fields if not item.user_scoped]
    user_fields = [item for item in fields if item.user_scoped]
    repository = context.store.managed_auth
    org = await repository.org_values(identity.account_id, platform)
    users = await repository.all_user_values(identity.account_id, platform)
    return Reply(
        {
            "hasManagedAuth": bool(fields),
            "fields": [dict(item.definition) for item in fields],
            "orgFields": [dict(item.definition) for item in org_fields],
            "userFields": [dict(item.definition) for item in user_fields],
            "orgValues": _shown(org_fields, org),
            "userValues": [
                {
                    "rcExtensionId": record.rc_extension_id,
                    "rcUserName": record.rc_user_name,
                    "fields": _shown(user_fields, record),
                }
                for record in users
            ],
        }
    )


def _unmasked(values: Mapping[str, Any], stored: ManagedValues) -> dict[str, Any]:
    """The submitted values minus masks echoed back for what is already stored."""
    return {
        const: value
        for const, value in values.items()
        if not (isinstance(value, str) and value.startswith(MASK) and value == mask(stored.fields.get(const)))
    }


async def admin_update(
    context: ServerContext,
    user: User,
    identity: RcIdentity,
    *,
    scope: Any,
    values: Any,
    fields_to_remove: Any,
    rc_extension_id: Any,
    rc_user_name: Any,
) -> Reply:
    """`POST /admin/managedAuth`: store (encrypted) or remove managed values for the org or one user."""
    submitted = dict(values) if isinstance(values, Mapping) else {}
    remove = [str(const) for const in fields_to_remove] if isinstance(fields_to_remove, list) else []
    repository = context.store.managed_auth
    platform, account = user.platform, identity.account_id
    if scope == "user":
        if is_blank(rc_extension_id):
            return error("rcExtensionId is required for user managed auth values")
        extension = str(rc_extension_id)
        stored = await repository.user_values(account, platform, extension)
        await repository.upsert_user(
            account,
            platform,
            extension,
            _unmasked(submitted, stored),
            remove,
            rc_user_name=None if rc_user_name is None else str(rc_user_name),
        )
    else:
        stored = await repository.org_values(account, platform)
        await repository.upsert_org(account, platform, _unmasked(submitted, stored), remove)
    return text("Shared authentication updated", 200)
