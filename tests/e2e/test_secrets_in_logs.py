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


NOTE = "note-text-Zq81 about the renewal"
CALLED_NUMBER = "+16505557788"
API_KEY = "sample-api-key-Kx7Pq2"


def test_a_debug_run_logs_sql_statements_without_their_values(tmp_path: Path) -> None:
    lines: list[str] = []
    with serving(tmp_path, operator_env(LOG_LEVEL="DEBUG"), output=lines) as (url, _process):
        login = httpx.post(f"{url}/apiKeyLogin", json={"platform": "sample", "apiKey": API_KEY})
        auth = {"Authorization": f"Bearer {login.json()['jwtToken']}"}
        record = {
            "sessionId": "s-debug",
            "telephonySessionId": "tel-s-debug",
            "id": "rc-s-debug",
            "direction": "Outbound",
            "startTime": "2026-11-25T10:00:00.000Z",
            "duration": 42,
            "result": "Call connected",
            "from": {"phoneNumber": "+14155550100", "name": "Ann Example"},
            "to": {"phoneNumber": CALLED_NUMBER, "name": "Someone"},
        }
        created = httpx.post(
            f"{url}/callLog", headers=auth, json={"logInfo": record, "contactId": "1", "note": NOTE}
        )
        assert created.json()["successful"] is True, created.text
        read = httpx.get(
            f"{url}/callLog", headers=auth, params={"sessionIds": "s-debug", "requireDetails": "true"}
        )
        assert NOTE in read.text  # the note really went through the database
    text = "".join(lines)
    assert "INSERT INTO" in text and "SELECT" in text  # SQL is logged at DEBUG ...
    for value in (NOTE, "Zq81", CALLED_NUMBER, "6505557788", API_KEY, "'v1:"):  # ... its values never
        assert value not in text, [line for line in lines if value in line][:3]
