"""Alembic environment: runs on a connection handed in by `appconnect.store.migrate`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from appconnect.store.db import backend_name, create_private_sqlite_file, sync_url
from appconnect.store.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite needs batch mode to alter tables
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:  # plain `alembic` command line, e.g. `alembic revision --autogenerate`
    url = config.get_main_option("sqlalchemy.url") or "sqlite:///appconnect.db"
    create_private_sqlite_file(sync_url(url).database if backend_name(url) == "sqlite" else None)
    with create_engine(sync_url(url), hide_parameters=True).connect() as sync_connection:
        _run(sync_connection)
        sync_connection.commit()
