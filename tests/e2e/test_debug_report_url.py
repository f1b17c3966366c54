"""`GET /debug/report/url` over real sockets: the extension can PUT one error report with it."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import jwt as pyjwt

from appconnect.services.s3_presign import S3Credentials
from tests.conftest import TEST_SECRET
from tests.fakes.fixtures import FakeCrmFactory
from tests.fakes.s3 import S3State, create_s3_app

CREDENTIALS = S3Credentials("AKIDEXAMPLE", "s3-secret-key-0123456789")


async def test_the_link_uploads_one_report_and_names_it_by_user_and_day(
    live_server: Any, fake_crm_factory: FakeCrmFactory
) -> None:
    state = S3State(bucket="reports", region="eu-west-1", credentials=CREDENTIALS)
    s3 = fake_crm_factory(create_s3_app(state))
    server = live_server(
        error_report_s3_bucket="reports",
        aws_region="eu-west-1",
        error_report_s3_endpoint=s3.base_url,
        aws_access_key_id=CREDENTIALS.access_key_id,
        aws_secret_access_key=CREDENTIALS.secret_access_key,
    )
    token = pyjwt.encode(
        {"id": "u-7-sample", "platform": "sample", "exp": int(time.time()) + 60}, TEST_SECRET
    )
    async with httpx.AsyncClient(base_url=server.url) as client:
        answer = await client.get("/debug/report/url", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200, answer.text
        url = answer.json()["presignedUrl"]
        assert "X-Amz-Expires=300" in url and CREDENTIALS.secret_access_key not in url
        uploaded = await client.put(url, content=b'{"error": "boom"}')
        assert uploaded.status_code == 200, uploaded.text
        tampered = await client.put(url.replace("u-7-sample", "someone-else"), content=b"{}")
        assert tampered.status_code == 403
    [(key, body)] = state.objects.items()
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    assert re.fullmatch(rf"error-reports/{today}/u-7-sample-[0-9a-f]{{16}}\.json", key), key
    assert body == b'{"error": "boom"}'


async def test_without_credentials_or_a_session_no_link_is_given(live_server: Any) -> None:
    server = live_server()
    token = pyjwt.encode({"id": "u-7-sample", "platform": "sample"}, TEST_SECRET)
    async with httpx.AsyncClient(base_url=server.url) as client:
        unconfigured = await client.get("/debug/report/url", headers={"Authorization": f"Bearer {token}"})
        assert (unconfigured.status_code, unconfigured.json()) == (
            400,
            {"error": "Error report uploads are not configured on this server"},
        )
        missing = await client.get("/debug/report/url")
        assert (missing.status_code, missing.text) == (400, "Invalid request")
        forged = await client.get(
            "/debug/report/url", params={"jwtToken": pyjwt.encode({"id": "x"}, "y" * 40)}
        )
        assert (forged.status_code, forged.text) == (400, "User not found")
