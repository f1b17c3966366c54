"""`INSERT ... ON CONFLICT` for the database in use, and statements built once per dialect.

Why: ON CONFLICT is dialect syntax, so every upsert is built with its dialect's `insert`. The
PostgreSQL dialect package costs about 18 ms to import: a server on SQLite never loads it, and one
on PostgreSQL has already loaded it with its engine, so nothing is moved onto a request.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from sqlalchemy.dialects.sqlite import insert as sqlite_insert

__all__ = ["PerDialect", "dialect_insert"]

T = TypeVar("T")


@functools.cache
def dialect_insert(backend: str) -> Callable[..., Any]:
    """The `insert` construct (with `on_conflict_do_*`) of `backend`: "postgresql" or "sqlite"."""
    if backend == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert
    if backend == "sqlite":
        return sqlite_insert
    raise ValueError(f"no upsert for the {backend!r} backend")


class PerDialect(Generic[T]):
    """A statement built by `build(insert)` for each backend it is asked for, once, on first use."""

    __slots__ = ("_build", "_built")

    def __init__(self, build: Callable[[Callable[..., Any]], T]) -> None:
        self._build = build
        self._built: dict[str, T] = {}

    def __getitem__(self, backend: str) -> T:
        found = self._built.get(backend)
        if found is None:
            found = self._built[backend] = self._build(dialect_insert(backend))
        return found
