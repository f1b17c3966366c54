"""A presigned S3 URL (AWS Signature Version 4, query-string authentication), without an SDK.

`GET /debug/report/url` (spec platform §5.5) hands the extension a URL it can `PUT` one error report
to for 300 seconds; the server never sees the report. The signature is computed here as AWS
documents it ("Authenticating Requests: Using Query Parameters"), so no AWS library is needed and
the endpoint can be any S3-compatible store (MinIO in development, a fake in tests).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

ALGORITHM = "AWS4-HMAC-SHA256"


@dataclass(frozen=True)
class S3Credentials:
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None


def _encode(text: str, *, keep_slash: bool = False) -> str:
    """URI-encode as SigV4 wants: every byte but the unreserved characters (and `/` in paths)."""
    return quote(text, safe="-_.~/" if keep_slash else "-_.~")


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def presign(
    method: str,
    url: str,
    *,
    region: str,
    credentials: S3Credentials,
    expires_seconds: int,
    now: datetime | None = None,
) -> str:
    """`url` (scheme, host[:port] and the object's path, unencoded) signed for `method`.

    Example (the AWS documentation's example request)::

        presign("GET", "https://examplebucket.s3.amazonaws.com/test.txt", region="us-east-1",
                credentials=S3Credentials("AKIAIOSFODNN7EXAMPLE", "wJalr..."), expires_seconds=86400,
                now=datetime(2013, 5, 24, tzinfo=UTC))
    """
    parts = urlsplit(url)
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    day, stamp = moment.strftime("%Y%m%d"), moment.strftime("%Y%m%dT%H%M%SZ")
    scope = f"{day}/{region}/s3/aws4_request"
    query = {
        "X-Amz-Algorithm": ALGORITHM,
        "X-Amz-Credential": f"{credentials.access_key_id}/{scope}",
        "X-Amz-Date": stamp,
        "X-Amz-Expires": str(expires_seconds),
        "X-Amz-SignedHeaders": "host",
    }
    if credentials.session_token:
        query["X-Amz-Security-Token"] = credentials.session_token
    canonical_query = "&".join(f"{_encode(k)}={_encode(v)}" for k, v in sorted(query.items()))
    path = _encode(parts.path or "/", keep_slash=True)
    canonical_request = "\n".join(
        [method.upper(), path, canonical_query, f"host:{parts.netloc}", "", "host", "UNSIGNED-PAYLOAD"]
    )
    string_to_sign = "\n".join(
        [ALGORITHM, stamp, scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
    )
    key = _hmac(f"AWS4{credentials.secret_access_key}".encode(), day)
    for part in (region, "s3", "aws4_request"):
        key = _hmac(key, part)
    signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    return f"{parts.scheme}://{parts.netloc}{path}?{canonical_query}&X-Amz-Signature={signature}"
