"""The tables of the server, as SQLAlchemy 2 models.

Keys and uniqueness follow the reference (see `../shared/spec`), with two additions that make
"exactly once" enforceable by the database itself: a unique reservation key on call-log linkages
(one per session id and extension identity) and a `state` column that marks a linkage whose CRM
create is still in flight. Secret columns hold ciphertext (`appconnect.security.SecretBox`);
repositories decrypt them, never the models.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, Boolean, DateTime, Index, Integer, MetaData, String, Text, UniqueConstraint, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class UserRow(Timestamped, Base):
    """A connected CRM user; `id` is the JWT's `id` (convention `<crmUserId>-<platform>`)."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    rc_account_id: Mapped[str | None] = mapped_column(String(255), index=True)
    hostname: Mapped[str | None] = mapped_column(String(512))
    timezone_name: Mapped[str | None] = mapped_column(String(255))
    timezone_offset: Mapped[str | None] = mapped_column(String(64))
    platform: Mapped[str | None] = mapped_column(String(255))
    access_token: Mapped[str | None] = mapped_column(Text)  # ciphertext
    refresh_token: Mapped[str | None] = mapped_column(Text)  # ciphertext
    token_expiry: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    platform_additional_info: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    hashed_rc_extension_id: Mapped[str | None] = mapped_column(String(255))
    user_settings: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class CallLogRow(Timestamped, Base):
    """Links one RingCentral call session (per extension identity) to one CRM activity.

    `state` is `pending` from the moment a create reserves the row until the CRM answers, then
    `created`; a failed create deletes its reservation, so no row ever points at nothing.
    """

    __tablename__ = "call_logs"
    __table_args__ = (
        UniqueConstraint(
            "session_id", "extension_number", "hashed_extension_id", name="uq_call_logs_identity"
        ),
    )

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    session_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    extension_number: Mapped[str] = mapped_column(String(64), primary_key=True, default="")
    hashed_extension_id: Mapped[str] = mapped_column(String(255), primary_key=True, default="")
    platform: Mapped[str | None] = mapped_column(String(255))
    third_party_log_id: Mapped[str | None] = mapped_column(String(255))
    user_id: Mapped[str | None] = mapped_column(String(255), index=True)
    contact_id: Mapped[str | None] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(16), default="created", server_default="created")


class MessageLogRow(Timestamped, Base):
    """One logged RingCentral message (or, for shared SMS, one conversation log) on one platform.

    The key `(id, platform)` is also the reservation of that message: a request inserts the row as
    `pending` before calling the CRM, so the same message is never written twice, and deletes it
    again when the CRM call fails.
    """

    __tablename__ = "message_logs"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    platform: Mapped[str] = mapped_column(String(255), primary_key=True, default="", server_default="")
    conversation_id: Mapped[str | None] = mapped_column(String(255))
    conversation_log_id: Mapped[str | None] = mapped_column(String(255), index=True)
    third_party_log_id: Mapped[str | None] = mapped_column(String(255))
    user_id: Mapped[str | None] = mapped_column(String(255), index=True)
    state: Mapped[str] = mapped_column(String(16), default="created", server_default="created")


class MessageConversationLogRow(Timestamped, Base):
    """The one CRM log of a conversation on one day (`conversationLogId`), per platform.

    Reserved as `pending` by the request that creates it, so two messages of one conversation-day
    arriving at once (in any process) make a single CRM log; the other request waits and updates.
    """

    __tablename__ = "message_conversation_logs"

    conversation_log_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    platform: Mapped[str] = mapped_column(String(255), primary_key=True)
    conversation_id: Mapped[str | None] = mapped_column(String(255))
    third_party_log_id: Mapped[str | None] = mapped_column(String(255))
    user_id: Mapped[str | None] = mapped_column(String(255), index=True)
    state: Mapped[str] = mapped_column(String(16), default="created", server_default="created")


class AdminConfigRow(Timestamped, Base):
    """Account-level admin settings, keyed by the hashed RingCentral account id."""

    __tablename__ = "admin_configs"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    user_settings: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    custom_adapter: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    admin_access_token: Mapped[str | None] = mapped_column(Text)  # ciphertext
    admin_refresh_token: Mapped[str | None] = mapped_column(Text)  # ciphertext
    admin_token_expiry: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    user_mappings: Mapped[list[Any] | None] = mapped_column(JSON)


class CacheRow(Timestamped, Base):
    """Short-lived records: pending managed OAuth, async plugin tasks."""

    __tablename__ = "cache"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    status: Mapped[str | None] = mapped_column(String(64))
    user_id: Mapped[str | None] = mapped_column(String(255))
    cache_key: Mapped[str | None] = mapped_column(String(255))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    expiry: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)


class AccountDataRow(Timestamped, Base):
    """Per-account connector data: the contact cache, activity types, managed-auth values."""

    __tablename__ = "account_data"

    rc_account_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    platform_name: Mapped[str] = mapped_column(String(255), primary_key=True)
    data_key: Mapped[str] = mapped_column(String(512), primary_key=True)
    data: Mapped[Any] = mapped_column(JSON)


class CallDownItemRow(Timestamped, Base):
    """One contact on a user's call-down list."""

    __tablename__ = "call_down_lists"
    __table_args__ = (Index("ix_call_down_lists_user_status", "user_id", "status"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(255), index=True)
    contact_id: Mapped[str | None] = mapped_column(String(255))
    contact_type: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str | None] = mapped_column(String(32), index=True)
    scheduled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    last_call_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class NoteCacheRow(Base):
    """A note typed before server-side logging creates the call log; lives one hour."""

    __tablename__ = "note_cache"

    session_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    note: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TokenRefreshLockRow(Base):
    """A lease on refreshing one user's OAuth token, so that one process does it (any backend).

    `owner` holds the lease until `expires_at`; when it finishes it writes `outcome` (`refreshed`,
    `revoked`, `failed`) so that requests which waited for it can adopt the result.
    """

    __tablename__ = "token_refresh_locks"

    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(16))


class OutboxJobRow(Base):
    """A CRM write the server accepted and still owes (`appconnect.store.outbox`).

    `order_key` groups the jobs of one call session (or conversation day): they run one at a time,
    lowest `id` first. `lease_owner`/`lease_until` say who is running it; a lease that expired
    belongs to a process that died. `maybe_sent` is true when an attempt may have reached the CRM
    (a create is then looked up before it is sent again). `dead` jobs are kept for an operator.
    """

    __tablename__ = "outbox_jobs"
    __table_args__ = (Index("ix_outbox_jobs_order", "order_key", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(64))
    platform: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str] = mapped_column(String(255))
    order_key: Mapped[str] = mapped_column(String(1024))
    account_key: Mapped[str] = mapped_column(String(1024), index=True)
    dedupe_key: Mapped[str] = mapped_column(String(64), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    maybe_sent: Mapped[bool] = mapped_column(Boolean, default=False)
    run_after: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
