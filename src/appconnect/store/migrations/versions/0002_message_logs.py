"""message logs: per-platform message keys, reservations, conversation-day logs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 18:30:00.000000

Why: message logging must write each message to the CRM exactly once, and each conversation-day
log exactly once, even with concurrent requests in several processes. So:
* `message_logs` is keyed by `(id, platform)` (a message logged into one CRM no longer blocks
  another CRM) and gets a `state` (`pending` while its CRM write is in flight);
* the new `message_conversation_logs` holds one row per `(conversationLogId, platform)`: the CRM
  log of that conversation-day, reserved as `pending` before the CRM create. Existing message rows
  seed it, so conversations logged before this revision keep their CRM log.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("UPDATE message_logs SET platform = '' WHERE platform IS NULL")
    with op.batch_alter_table("message_logs", schema=None, recreate="always") as batch_op:
        batch_op.alter_column(
            "platform", existing_type=sa.String(length=255), nullable=False, server_default=""
        )
        batch_op.add_column(
            sa.Column("state", sa.String(length=16), server_default="created", nullable=False)
        )
        batch_op.drop_constraint("pk_message_logs", type_="primary")
        batch_op.create_primary_key("pk_message_logs", ["id", "platform"])

    op.create_table(
        "message_conversation_logs",
        sa.Column("conversation_log_id", sa.String(length=255), nullable=False),
        sa.Column("platform", sa.String(length=255), nullable=False),
        sa.Column("conversation_id", sa.String(length=255), nullable=True),
        sa.Column("third_party_log_id", sa.String(length=255), nullable=True),
        sa.Column("user_id", sa.String(length=255), nullable=True),
        sa.Column("state", sa.String(length=16), server_default="created", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("conversation_log_id", "platform", name=op.f("pk_message_conversation_logs")),
    )
    with op.batch_alter_table("message_conversation_logs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_message_conversation_logs_user_id"), ["user_id"], unique=False)

    op.execute(
        "INSERT INTO message_conversation_logs "
        "(conversation_log_id, platform, conversation_id, third_party_log_id, user_id, state, "
        "created_at, updated_at) "
        "SELECT conversation_log_id, platform, MIN(conversation_id), MIN(third_party_log_id), "
        "MIN(user_id), 'created', MIN(created_at), MAX(updated_at) "
        "FROM message_logs "
        "WHERE conversation_log_id IS NOT NULL AND third_party_log_id IS NOT NULL "
        "GROUP BY conversation_log_id, platform"
    )


def downgrade() -> None:
    with op.batch_alter_table("message_conversation_logs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_conversation_logs_user_id"))
    op.drop_table("message_conversation_logs")

    op.execute("DELETE FROM message_logs WHERE state <> 'created'")
    # Keep one row per message id: the single-column key cannot hold the same message twice.
    op.execute(
        "DELETE FROM message_logs WHERE platform <> "
        "(SELECT MIN(other.platform) FROM message_logs AS other WHERE other.id = message_logs.id)"
    )
    with op.batch_alter_table("message_logs", schema=None, recreate="always") as batch_op:
        batch_op.drop_constraint("pk_message_logs", type_="primary")
        batch_op.create_primary_key("pk_message_logs", ["id"])
        batch_op.drop_column("state")
        batch_op.alter_column(
            "platform", existing_type=sa.String(length=255), nullable=True, server_default=None
        )
