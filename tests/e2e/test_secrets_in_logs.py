"""No secret reaches a log line: access lines, SQL logging, tracebacks, in development and production.

The server runs as an operator runs it (`appconnect serve` in a process of its own, uvicorn's access
log on), and every line it writes is scanned for the secrets a request had in scope.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from tests.fakes.exploding_crm import PLATFORM
from tests.support.processes import operator_env, serving

REPO_ROOT = Path(__file__).resolve().parents[2]

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


SIGNING_KEY = "signing-key-for-the-log-test-5d1c9a7e3b"
HASH_KEY = "hash-key-for-the-log-test-0b8e2f"
EXPLODING_API_KEY = "exploding-crm-api-key-71c3"


def _run_exploding_session(tmp_path: Path, *, is_prod: bool) -> tuple[list[str], list[str]]:
    """Drive the failing connector through `appconnect serve`; return (log lines, secrets in scope)."""
    secrets_file = tmp_path / "exploding-secrets.json"
    env = operator_env(
        IS_PROD="true" if is_prod else "false",
        APP_SERVER_SECRET_KEY=SIGNING_KEY,
        HASH_KEY=HASH_KEY,
        APPCONNECT_EXTRA_CONNECTORS="tests.fakes.exploding_crm:create_connector",
        EXPLODING_CRM_SECRETS=str(secrets_file),
        PYTHONPATH=str(REPO_ROOT),
    )
    lines: list[str] = []
    with serving(tmp_path, env, output=lines) as (url, _process):
        no_reuse = httpx.Limits(max_keepalive_connections=0)  # a 500 closes its connection
        with httpx.Client(base_url=url, limits=no_reuse, timeout=30) as client:
            login = client.post("/apiKeyLogin", json={"platform": PLATFORM, "apiKey": EXPLODING_API_KEY})
            assert login.status_code == 200, login.text
            jwt = login.json()["jwtToken"]
            secrets_file.write_text(json.dumps({"jwt": jwt}), encoding="utf-8")
            auth = {"Authorization": f"Bearer {jwt}"}
            answers = [
                client.post("/callLog", headers=auth, json=_call("s-unexpected")),
                client.post("/callLog", headers=auth, json=_call("s-crm-error")),
                client.post("/callLog", headers=auth, json=_call("s-create-fails")),
                client.get("/contact", headers=auth, params={"phoneNumber": "+14155550100"}),
                client.get("/contact", params={"phoneNumber": "+14155550100", "jwtToken": jwt}),
            ]
    assert [answer.status_code for answer in answers] == [500, 500, 200, 200, 200]
    assert answers[2].json()["successful"] is False and answers[3].json()["successful"] is False
    basic = base64.b64encode(f"{EXPLODING_API_KEY}:".encode()).decode()
    return lines, [SIGNING_KEY, HASH_KEY, EXPLODING_API_KEY, jwt, basic]


def _call(session_id: str) -> dict[str, Any]:
    record = {
        "sessionId": session_id,
        "telephonySessionId": f"tel-{session_id}",
        "id": f"rc-{session_id}",
        "direction": "Inbound",
        "startTime": "2026-11-25T10:00:00.000Z",
        "duration": 30,
        "result": "Call connected",
        "from": {"phoneNumber": "+14155550100", "name": "Ann Example"},
        "to": {"phoneNumber": "+16505550199", "name": "Agent"},
    }
    return {"logInfo": record, "contactId": "7", "note": "a note"}


def _leaks(lines: list[str], secrets: list[str]) -> list[str]:
    return [line for line in lines if any(secret in line for secret in secrets)]


def test_development_logs_show_tracebacks_without_locals_or_secrets(tmp_path: Path) -> None:
    lines, secrets = _run_exploding_session(tmp_path, is_prod=False)
    text = "".join(lines)
    assert "Traceback (most recent call last)" in text  # the failures are logged with their stack ...
    assert "RuntimeError: unexpected failure" in text and "CrmUnavailable" in text
    assert re.search(r'File ".*exploding_crm\.py", line \d+, in get_log_format_type', text)
    assert "locals" not in text.lower() and "held = {" not in text  # ... without local variables
    assert not _leaks(lines, secrets)  # ... and without a secret anywhere


def test_production_json_lines_carry_the_redacted_exception_and_no_secret(tmp_path: Path) -> None:
    lines, secrets = _run_exploding_session(tmp_path, is_prod=True)
    assert not _leaks(lines, secrets)
    events = [json.loads(line) for line in lines if line.startswith("{")]
    assert len(events) == len([line for line in lines if line.strip()])  # every line is a JSON event
    failures = [event for event in events if "exception" in event]
    unhandled = [event for event in failures if "RuntimeError: unexpected failure" in event["exception"]]
    crm = [event for event in failures if "CrmUnavailable: CRM unavailable" in event["exception"]]
    # Each escaping failure is logged by the app and by uvicorn ("Exception in ASGI application").
    assert {event["event"].strip() for event in unhandled} >= {
        "unhandled error",
        "Exception in ASGI application",
    }
    assert {event["event"].strip() for event in crm} >= {"unhandled error", "Exception in ASGI application"}
    for event in unhandled + crm:
        stack = event["exception"]
        assert stack.startswith("Traceback (most recent call last)")
        assert re.search(r'File ".*exploding_crm\.py", line \d+, in get_log_format_type', stack)
        assert re.search(r'File ".*services/call_logs\.py", line \d+', stack)
        assert "api_key=[redacted]" in stack and "held: [redacted]" in stack  # message kept, redacted
