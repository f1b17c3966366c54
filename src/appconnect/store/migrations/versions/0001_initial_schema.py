"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 17:42:06.054610
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "account_data",
        sa.Column("rc_account_id", sa.String(length=255), nullable=False),
        sa.Column("platform_name", sa.String(length=255), nullable=False),
        sa.Column("data_key", sa.String(length=512), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("rc_account_id", "platform_name", "data_key", name=op.f("pk_account_data")),
    )
    op.create_table(
        "admin_configs",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("user_settings", sa.JSON(), nullable=True),
        sa.Column("custom_adapter", sa.JSON(), nullable=True),
        sa.Column("admin_access_token", sa.Text(), nullable=True),
        sa.Column("admin_refresh_token", sa.Text(), nullable=True),
        sa.Column("admin_token_expiry", sa.DateTime(timezone=True), nullable=True),
        sa.Column("user_mappings", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_configs")),
    )
    op.create_table(
        "cache",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=64), nullable=True),
        sa.Column("user_id", sa.String(length=255), nullable=True),
        sa.Column("cache_key", sa.String(length=255), nullable=True),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.Column("expiry", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cache")),
    )
    with op.batch_alter_table("cache", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cache_expiry"), ["expiry"], unique=False)

    op.create_table(
        "call_down_lists",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("contact_id", sa.String(length=255), nullable=True),
        sa.Column("contact_type", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=True),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_call_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_down_lists")),
    )
    with op.batch_alter_table("call_down_lists", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_down_lists_scheduled_at"), ["scheduled_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_call_down_lists_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_call_down_lists_user_id"), ["user_id"], unique=False)
        batch_op.create_index("ix_call_down_lists_user_status", ["user_id", "status"], unique=False)

    op.create_table(
        "call_logs",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("session_id", sa.String(length=255), nullable=False),
        sa.Column("extension_number", sa.String(length=64), nullable=False),
        sa.Column("hashed_extension_id", sa.String(length=255), nullable=False),
        sa.Column("platform", sa.String(length=255), nullable=True),
        sa.Column("third_party_log_id", sa.String(length=255), nullable=True),
        sa.Column("user_id", sa.String(length=255), nullable=True),
        sa.Column("contact_id", sa.String(length=255), nullable=True),
        sa.Column("state", sa.String(length=16), server_default="created", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint(
            "id", "session_id", "extension_number", "hashed_extension_id", name=op.f("pk_call_logs")
        ),
        sa.UniqueConstraint(
            "session_id", "extension_number", "hashed_extension_id", name="uq_call_logs_identity"
        ),
    )
    with op.batch_alter_table("call_logs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_logs_user_id"), ["user_id"], unique=False)

    op.create_table(
        "message_logs",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("platform", sa.String(length=255), nullable=True),
        sa.Column("conversation_id", sa.String(length=255), nullable=True),
        sa.Column("conversation_log_id", sa.String(length=255), nullable=True),
        sa.Column("third_party_log_id", sa.String(length=255), nullable=True),
        sa.Column("user_id", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_logs")),
    )
    with op.batch_alter_table("message_logs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_message_logs_conversation_log_id"), ["conversation_log_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_message_logs_user_id"), ["user_id"], unique=False)

    op.create_table(
        "note_cache",
        sa.Column("session_id", sa.String(length=255), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_note_cache")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("rc_account_id", sa.String(length=255), nullable=True),
        sa.Column("hostname", sa.String(length=512), nullable=True),
        sa.Column("timezone_name", sa.String(length=255), nullable=True),
        sa.Column("timezone_offset", sa.String(length=64), nullable=True),
        sa.Column("platform", sa.String(length=255), nullable=True),
        sa.Column("access_token", sa.Text(), nullable=True),
        sa.Column("refresh_token", sa.Text(), nullable=True),
        sa.Column("token_expiry", sa.DateTime(timezone=True), nullable=True),
        sa.Column("platform_additional_info", sa.JSON(), nullable=True),
        sa.Column("hashed_rc_extension_id", sa.String(length=255), nullable=True),
        sa.Column("user_settings", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_rc_account_id"), ["rc_account_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_rc_account_id"))

    op.drop_table("users")
    op.drop_table("note_cache")
    with op.batch_alter_table("message_logs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_logs_user_id"))
        batch_op.drop_index(batch_op.f("ix_message_logs_conversation_log_id"))

    op.drop_table("message_logs")
    with op.batch_alter_table("call_logs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_logs_user_id"))

    op.drop_table("call_logs")
    with op.batch_alter_table("call_down_lists", schema=None) as batch_op:
        batch_op.drop_index("ix_call_down_lists_user_status")
        batch_op.drop_index(batch_op.f("ix_call_down_lists_user_id"))
        batch_op.drop_index(batch_op.f("ix_call_down_lists_status"))
        batch_op.drop_index(batch_op.f("ix_call_down_lists_scheduled_at"))

    op.drop_table("call_down_lists")
    with op.batch_alter_table("cache", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cache_expiry"))

    op.drop_table("cache")
    op.drop_table("admin_configs")
    op.drop_table("account_data")
