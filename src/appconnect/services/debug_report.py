"""`GET /debug/report/url` (spec platform §5.5): where the extension uploads one error report.

The answer is a presigned S3 `PUT` URL valid for 300 seconds, for the key
`error-reports/<YYYY-MM-DD>/<userId>-<random>.json` in `ERROR_REPORT_S3_BUCKET`, path-style at
`ERROR_REPORT_S3_ENDPOINT` (default: the AWS S3 endpoint of `AWS_REGION`), signed with the
`AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` (and `AWS_SESSION_TOKEN`) of the server. Without
credentials the route answers 400 instead of a URL that cannot work. The reference's local-MinIO
fallback (credentials `minioadmin`) is not copied: point the endpoint at MinIO and set its keys.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from appconnect.config import Settings
from appconnect.services.replies import Reply, error
from appconnect.services.s3_presign import S3Credentials, presign

EXPIRES_SECONDS = 300
NOT_CONFIGURED = "Error report uploads are not configured on this server"


def endpoint(settings: Settings) -> str:
    configured = settings.error_report_s3_endpoint
    return (configured or f"https://s3.{settings.aws_region}.amazonaws.com").rstrip("/")


def upload_url(settings: Settings, *, user_id: str, now: datetime | None = None) -> Reply:
    if not (
        settings.aws_access_key_id and settings.aws_secret_access_key and settings.error_report_s3_bucket
    ):
        return error(NOT_CONFIGURED)
    moment = now or datetime.now(UTC)
    key = f"error-reports/{moment:%Y-%m-%d}/{user_id}-{secrets.token_hex(8)}.json"
    url = presign(
        "PUT",
        f"{endpoint(settings)}/{settings.error_report_s3_bucket}/{key}",
        region=settings.aws_region,
        credentials=S3Credentials(
            settings.aws_access_key_id, settings.aws_secret_access_key, settings.aws_session_token or None
        ),
        expires_seconds=EXPIRES_SECONDS,
        now=moment,
    )
    return Reply({"presignedUrl": url})
