"""What the server lends connectors' own HTTP routes (`appconnect.connectors.base.ServerServices`).

Connector routes are mounted when the app is built, before its lifespan opens the database, so
the services reach the running server's context through a getter rather than holding it.
"""

from __future__ import annotations

from collections.abc import Callable

from appconnect.domain import User
from appconnect.services.context import ServerContext


class RunningServerServices:
    """`ServerServices` over the context of the running app."""

    def __init__(self, context: Callable[[], ServerContext]) -> None:
        self._context = context

    async def find_user(self, user_id: str, platform: str) -> User | None:
        return await self._context().store.users.get(user_id, platform)

    async def delete_user(self, user_id: str) -> None:
        await self._context().store.users.delete(user_id)
