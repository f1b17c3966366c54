"""`Reply`: a route's whole answer, decided by a workflow that knows nothing about HTTP frameworks.

The auth, user and admin routes answer in all three of the contract's families (spec platform
§10.1): JSON on 200, plain-text 400s, `{error: msg}` 400s, the odd 403/500. The workflow picks the
family; `appconnect.api.responses.reply` turns it into a response.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Reply:
    """`body`: a dict or list is sent as JSON, a str as plain text, None as an empty body."""

    body: Any = None
    status: int = 200


def text(message: str, status: int = 400) -> Reply:
    return Reply(message, status)


def error(message: str, status: int = 400) -> Reply:
    """The `{"error": "<message>"}` family: an exception the workflow did not turn into a result."""
    return Reply({"error": message}, status)
