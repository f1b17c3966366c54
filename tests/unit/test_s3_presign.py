"""The S3 presigned URL against the example of AWS's SigV4 documentation (query-string auth)."""

from __future__ import annotations

from datetime import UTC, datetime

from appconnect.services.s3_presign import S3Credentials, presign

AWS_EXAMPLE = S3Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")


def test_the_aws_documentation_example_signs_to_its_published_signature() -> None:
    url = presign(
        "GET",
        "https://examplebucket.s3.amazonaws.com/test.txt",
        region="us-east-1",
        credentials=AWS_EXAMPLE,
        expires_seconds=86400,
        now=datetime(2013, 5, 24, tzinfo=UTC),
    )
    assert url == (
        "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
        "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
        "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
    )


def test_paths_and_tokens_are_encoded_and_signed() -> None:
    url = presign(
        "PUT",
        "http://127.0.0.1:9001/bucket/error-reports/2026-12-02/u 1+x-ab.json",
        region="eu-west-1",
        credentials=S3Credentials("AK", "SECRET", session_token="tok/en="),
        expires_seconds=300,
        now=datetime(2026, 12, 2, 1, 2, 3, tzinfo=UTC),
    )
    assert url.startswith("http://127.0.0.1:9001/bucket/error-reports/2026-12-02/u%201%2Bx-ab.json?")
    assert "X-Amz-Security-Token=tok%2Fen%3D" in url and "X-Amz-Expires=300" in url
    other = presign(
        "PUT",
        "http://127.0.0.1:9001/bucket/error-reports/2026-12-02/u 1+x-ab.json",
        region="eu-west-1",
        credentials=S3Credentials("AK", "OTHER", session_token="tok/en="),
        expires_seconds=300,
        now=datetime(2026, 12, 2, 1, 2, 3, tzinfo=UTC),
    )
    assert other.rsplit("=", 1)[1] != url.rsplit("=", 1)[1]  # the secret is in the signature
