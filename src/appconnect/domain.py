"""Value types shared by the store, the services and connectors.

Connectors receive these (never ORM rows), so they can be tested with plain constructors and never
touch the database by accident. Secrets in them are already decrypted; do not log them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class User:
    """A connected CRM user, with decrypted credentials.

    `access_token` is the OAuth access token, or the API key for API-key connectors; it is empty
    after logout. `user_settings` is the settings map `{setting_id: {"value": ...}}`.
    """

    id: str
    platform: str
    hostname: str | None = None
    rc_account_id: str | None = None
    timezone_name: str | None = None
    timezone_offset: str | None = None
    access_token: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    token_expiry: datetime | None = None
    platform_additional_info: dict[str, Any] = field(default_factory=dict)
    hashed_rc_extension_id: str | None = None
    user_settings: dict[str, Any] = field(default_factory=dict)

    @property
    def is_usable(self) -> bool:
        """The reference's rule: the row exists and has an access token."""
        return bool(self.access_token)

    def setting(self, setting_id: str, default: Any = None) -> Any:
        """The value of one user setting, or `default` when unset (nullish)."""
        entry = self.user_settings.get(setting_id)
        if isinstance(entry, dict) and entry.get("value") is not None:
            return entry["value"]
        return default


@dataclass(frozen=True)
class CallLogLink:
    """The stored link between a call session (for one extension identity) and a CRM activity."""

    id: str
    session_id: str
    extension_number: str
    hashed_extension_id: str
    platform: str | None
    third_party_log_id: str | None
    user_id: str | None
    contact_id: str | None
    state: str = "created"


@dataclass(frozen=True)
class MessageLogLink:
    """The stored link between a RingCentral message (or shared conversation) and a CRM log.

    As `existing_message_log` of `update_message_log`, it stands for the conversation-day log:
    `id` is the `conversationLogId` and `third_party_log_id` the CRM log to add to. `state` is
    `pending` while the CRM write that will create the link is in flight.
    """

    id: str
    platform: str | None
    conversation_id: str | None
    conversation_log_id: str | None
    third_party_log_id: str | None
    user_id: str | None
    state: str = "created"
