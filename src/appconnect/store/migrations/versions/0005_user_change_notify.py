"""PostgreSQL: a notification on every change of a user row

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 06:40:00.000000

Why: each process keeps the users it has read (store/users.py) and must drop one the moment any
process or machine changes it (a token refresh, new settings, a logout). The trigger sends the
user's id on the `appconnect_users` channel after every insert, update or delete (and `*` after a
TRUNCATE); `store.user_changes.UserChangeFeed` listens. SQLite has no notifications: there the
row is read on every request, as before, and this migration does nothing.
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE OR REPLACE FUNCTION appconnect_notify_user_change() RETURNS trigger AS $$
        BEGIN
            IF TG_OP = 'TRUNCATE' THEN
                PERFORM pg_notify('appconnect_users', '*');
            ELSIF TG_OP = 'DELETE' THEN
                PERFORM pg_notify('appconnect_users', OLD.id);
            ELSE
                PERFORM pg_notify('appconnect_users', NEW.id);
            END IF;
            RETURN NULL;
        END
        $$ LANGUAGE plpgsql
        """
    )
    op.execute(
        "CREATE TRIGGER appconnect_users_changed AFTER INSERT OR UPDATE OR DELETE ON users "
        "FOR EACH ROW EXECUTE FUNCTION appconnect_notify_user_change()"
    )
    op.execute(
        "CREATE TRIGGER appconnect_users_truncated AFTER TRUNCATE ON users "
        "FOR EACH STATEMENT EXECUTE FUNCTION appconnect_notify_user_change()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS appconnect_users_truncated ON users")
    op.execute("DROP TRIGGER IF EXISTS appconnect_users_changed ON users")
    op.execute("DROP FUNCTION IF EXISTS appconnect_notify_user_change()")
