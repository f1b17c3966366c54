"""The one way a workflow calls a connector on behalf of a signed-in user.

`CrmSession.open` runs the authenticate preamble (spec logging §2.1): the auth header for the
stored user, refreshing an OAuth token about to expire, or an early answer when the session is
revoked. `CrmSession.run` then makes one connector call::

    crm = await CrmSession.open(context, connector, user, operation="createCallLog")
    result, crm = await crm.run(connector.create_call_log, CreateCallLogInput(
        user=crm.user, auth_header=crm.auth_header, contact_info=contact, call_log=call))

It signs the input with the session's current credentials and account data, retries once with a
refreshed token after a CRM 401, and turns any failure into the contract's answer by raising
`Answered`. It never mutates: it returns the session to use next (the refreshed one after a retry),
so a workflow making several calls always sends the newest token. mypy checks the method against
the input (`connector.create_call_log` accepts a `CreateCallLogInput`) and the result type.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from appconnect.connectors.base import Connector
from appconnect.connectors.inputs import CrmInput
from appconnect.domain import User
from appconnect.services.account_store import StoredAccountData
from appconnect.services.auth import Authenticated, authenticate, call_with_auth
from appconnect.services.context import ServerContext
from appconnect.services.outcomes import REVOKED, Answered, crm_failed

InputT = TypeVar("InputT", bound=CrmInput)
ResultT = TypeVar("ResultT")


@dataclass(frozen=True)
class CrmSession:
    """One user's signed-in connection to their CRM, for one request.

    `operation` names the request's interface (`createCallLog`, ...): the message a failure answers
    with, unless a call names another.
    """

    context: ServerContext
    connector: Connector
    auth: Authenticated
    operation: str

    @classmethod
    async def open(
        cls, context: ServerContext, connector: Connector, user: User, *, operation: str
    ) -> CrmSession:
        """Authenticate `user` (refreshing a token about to expire).

        Raises:
            Answered: the session is revoked (401) or the refresh failed (the operation's message).
        """
        try:
            auth = await authenticate(context, connector, user)
        except Exception as error:
            raise Answered(crm_failed(error, operation=operation, platform=user.platform)) from error
        if auth.revoked:
            raise Answered(REVOKED)
        return cls(context=context, connector=connector, auth=auth, operation=operation)

    @property
    def user(self) -> User:
        """The user after any refresh."""
        return self.auth.user

    @property
    def auth_header(self) -> str:
        return self.auth.auth_header

    async def run(
        self,
        method: Callable[[InputT], Awaitable[ResultT]],
        call: InputT,
        *,
        operation: str | None = None,
        **log_fields: Any,
    ) -> tuple[ResultT, CrmSession]:
        """`method(call)` signed with this session's credentials; the result and the session to use next.

        Raises:
            Answered: the call failed (after one refresh-and-retry on a CRM 401); the outcome is
                the contract's message for `operation` (default: the session's), or a revocation.
        """

        def signed(auth: Authenticated) -> InputT:
            return replace(
                call,
                user=auth.user,
                auth_header=auth.auth_header,
                account_data=StoredAccountData(self.context, self.connector, auth),
            )

        try:
            result, auth = await call_with_auth(
                self.context, self.connector, self.auth, lambda auth: method(signed(auth))
            )
        except Exception as error:
            failure = crm_failed(
                error, operation=operation or self.operation, platform=self.user.platform, **log_fields
            )
            raise Answered(failure) from error
        return result, (self if auth is self.auth else replace(self, auth=auth))
