"""No secret reaches a log line: access lines, SQL logging, tracebacks, in development and production.

The server runs as an operator runs it (`appconnect serve` in a process of its own, uvicorn's access
log on), and every line it writes is scanned for the secrets a request had in scope.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import httpx

from tests.support.processes import operator_env, serving

OAUTH_CODE = "oauthCODE7f3b2c9d1e"


def test_the_oauth_code_in_an_access_line_is_redacted(tmp_path: Path) -> None:
    callback = f"https://crm.example.com/callback?code={OAUTH_CODE}&state=platform%3Dsample"
    lines: list[str] = []
    with serving(tmp_path, operator_env(), output=lines) as (url, _process):
        # The extension sends the CRM's redirect URL URL-encoded; the MCP flow sends `code` itself.
        httpx.get(f"{url}/oauth-callback", params={"callbackUri": callback})
        httpx.get(f"{url}/oauth-callback?callbackUri={quote(quote(callback, safe=''), safe='')}")
        httpx.get(f"{url}/oauth-callback", params={"code": OAUTH_CODE, "state": "platform=sample"})
    access = [line for line in lines if "/oauth-callback" in line]
    assert len(access) == 3, "".join(lines)
    assert not [line for line in lines if OAUTH_CODE in line]
    assert all("[redacted]" in line for line in access)
    assert "state" in access[0]  # the rest of the line is kept
