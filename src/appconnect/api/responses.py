"""Response helpers for the contract's three answer families (spec platform §10.1)."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse, PlainTextResponse, Response

from appconnect.services.replies import Reply

PLEASE_AUTHORIZE = "Please go to Settings and authorize CRM platform"
INVALID_JWT = "Invalid JWT token"
USER_NOT_FOUND_TEXT = "User not found"
UNKNOWN_PLATFORM = "Unknown platform"
INVALID_REQUEST = "Invalid request"


def plain(text: str, status_code: int = 200) -> Response:
    return PlainTextResponse(text, status_code=status_code)


def error_json(message: str, status_code: int = 400) -> Response:
    return JSONResponse({"error": message}, status_code=status_code)


def result(body: dict[str, Any], *, revoked: bool = False) -> Response:
    """A handler result: 200, or 401 with `CRM_SESSION_REVOKED` when the CRM session is gone."""
    if revoked:
        return JSONResponse(
            {
                "successful": False,
                "returnMessage": body.get("returnMessage"),
                "errorCode": "CRM_SESSION_REVOKED",
            },
            status_code=401,
        )
    return JSONResponse(body)


def reply(answer: Reply) -> Response:
    """A workflow's `Reply`: JSON for dicts and lists, plain text for a string, empty for None."""
    if answer.body is None:
        return Response(status_code=answer.status)
    if isinstance(answer.body, str):
        return PlainTextResponse(answer.body, status_code=answer.status)
    return JSONResponse(answer.body, status_code=answer.status)
