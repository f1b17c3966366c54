"""Which database is ours: the guard that keeps migrations out of someone else's tables.

Why: the reference server also names a table `users` (and `cache`), so pointing `DATABASE_URL` at
a reference deployment's database used to end in a long traceback halfway into a migration, after
the first statements had already run against a database we do not own. Before any migration
runs, this module looks at the tables there and refuses, in one line, when:

* there are tables but no `alembic_version`: nothing in that database was made by appconnect;
* `alembic_version` names a revision our migrations do not know (another application, or a newer
  appconnect than this one);
* next to our tables there are tables our models and migrations never create.

A new, empty database passes. The remedy the message gives: use an empty database, then copy a
reference deployment's data over with `appconnect import-reference`.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from sqlalchemy import Connection, inspect, text

from appconnect.store.models import Base

_VERSIONS = Path(__file__).parent / "migrations" / "versions"
_CREATE_TABLE = re.compile(r"create_table\(\s*['\"]([^'\"]+)['\"]")
_REVISION = re.compile(r"^revision\s*(?::[^=]*)?=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)
VERSION_TABLE = "alembic_version"
REMEDY = (
    "point DATABASE_URL at a new, empty database; to take over a reference server's data, "
    "then run `appconnect import-reference --from <its DATABASE_URL>`"
)
_SHOWN = 5


class ForeignDatabaseError(RuntimeError):
    """The database holds tables appconnect did not create; nothing was written to it."""


@cache
def owned_tables() -> frozenset[str]:
    """Every table appconnect creates: the models' tables, anything a migration creates, Alembic's."""
    names = set(Base.metadata.tables) | {VERSION_TABLE}
    for script in _VERSIONS.glob("*.py"):
        names.update(_CREATE_TABLE.findall(script.read_text(encoding="utf-8")))
    return frozenset(names)


@cache
def known_revisions() -> frozenset[str]:
    """Every revision of the bundled migrations (an older one is fine: it is upgraded)."""
    found: set[str] = set()
    for script in _VERSIONS.glob("*.py"):
        match = _REVISION.search(script.read_text(encoding="utf-8"))
        if match is not None:
            found.add(match.group(1))
    return frozenset(found)


def _listing(names: list[str]) -> str:
    shown = ", ".join(names[:_SHOWN])
    return shown + (f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else "")


def check_ownership(connection: Connection) -> None:
    """Raise `ForeignDatabaseError` unless the database is empty or appconnect's own.

    Only the connection's default schema is looked at (PostgreSQL: the first schema of the
    search path), which is where our migrations would create their tables.
    """
    tables = sorted(inspect(connection).get_table_names())
    if not tables:
        return
    if VERSION_TABLE not in tables:
        raise ForeignDatabaseError(
            f"DATABASE_URL holds tables that appconnect did not create ({_listing(tables)}), "
            f"so nothing was changed; {REMEDY}"
        )
    revision = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
    if revision is not None and str(revision) not in known_revisions():
        raise ForeignDatabaseError(
            f"DATABASE_URL is at migration revision {revision!r}, which this appconnect does not know "
            "(another application's database, or a newer appconnect), so nothing was changed; "
            f"use a newer appconnect, or {REMEDY}"
        )
    foreign = [name for name in tables if name not in owned_tables()]
    if foreign:
        raise ForeignDatabaseError(
            f"DATABASE_URL holds tables that are not appconnect's ({_listing(foreign)}), "
            f"so nothing was changed; {REMEDY}"
        )
