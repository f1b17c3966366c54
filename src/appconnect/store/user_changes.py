"""Which users changed, heard from PostgreSQL: what lets a process keep the users it has read.

Every request of a signed-in user starts by loading that user. On PostgreSQL that read was one
round trip per request (five per call); with this feed the row is read once and kept until any
process or machine changes it: migration 0005's trigger sends the user's id on the
`appconnect_users` channel after every insert, update and delete of the row, and this listener
(one connection per process, outside the pool) marks that user changed.

What makes a kept user trustworthy, and what does not:

* it is served only while the listener is connected; when the connection drops, everything kept
  is forgotten (`generation` moves on) and every read goes to the database until it is back;
* a reader notes the user's change counter *before* its SELECT and keeps the result only if no
  change arrived meanwhile, so a change that races the read is never hidden;
* this process's own writes forget the user at once (`UserRepository`), without waiting for the
  notification;
* what remains is the moment between another process's commit and its notification reaching this
  one (milliseconds on one database server): a request in that moment may use the previous row.
  A previous token is still answered by the CRM until it expires, or its 401 leads to the refresh
  path, which always reads the stored row (`UserRepository.get_stored`).

SQLite has no notifications, so there is no feed and the row is read on every request.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import structlog

log = structlog.get_logger(__name__)

CHANNEL = "appconnect_users"
_EVERYONE = "*"
_MAX_TRACKED = 100_000  # change counters kept; past it, everything is forgotten at once


class UserChangeFeed:
    """LISTEN on `appconnect_users`, reconnecting with backoff; `token(user_id)` for readers."""

    def __init__(self, conninfo: str, connect_kwargs: dict[str, Any] | None = None) -> None:
        self._conninfo = conninfo
        self._connect_kwargs = dict(connect_kwargs or {})
        self._versions: dict[str, int] = {}
        self._task: asyncio.Task[None] | None = None
        self._live = asyncio.Event()
        self.generation = 0

    @property
    def live(self) -> bool:
        return self._live.is_set()

    def token(self, user_id: str) -> tuple[int, int] | None:
        """What a read of `user_id` is valid for; None while not listening (do not keep it)."""
        if not self._live.is_set():
            return None
        return self.generation, self._versions.get(user_id, 0)

    def changed(self, user_id: str) -> None:
        """`user_id` changed (heard from the database, or written by this process)."""
        if user_id == _EVERYONE or len(self._versions) >= _MAX_TRACKED:
            self._forget_all()
            return
        self._versions[user_id] = self._versions.get(user_id, 0) + 1

    def _forget_all(self) -> None:
        self.generation += 1
        self._versions.clear()

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="user-change-feed")

    async def wait_live(self) -> None:
        """Until the listener is connected (callers bound it with `asyncio.timeout`)."""
        await self._live.wait()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._live.clear()

    async def _run(self) -> None:
        import psycopg  # the PostgreSQL extra; only a PostgreSQL database starts a feed

        delay = 0.5
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self._conninfo, autocommit=True, **self._connect_kwargs
                ) as connection:
                    await connection.execute(f"LISTEN {CHANNEL}")
                    self._forget_all()  # anything read while not listening is suspect
                    self._live.set()
                    delay = 0.5
                    async for notice in connection.notifies():
                        self.changed(notice.payload)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # connection refused or lost: read through until back
                log.warning("user change feed disconnected", error_type=type(error).__name__)
            finally:
                self._live.clear()
                self._forget_all()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)
