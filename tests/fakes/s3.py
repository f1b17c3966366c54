"""A fake S3 bucket store that accepts presigned `PUT`s (SigV4 query authentication) and keeps them.

It refuses, as S3 does, a request whose signature does not match (recomputed with the fake's own
copy of the secret), whose `X-Amz-Expires` window is over, or that names an unknown bucket.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from appconnect.services.s3_presign import S3Credentials, presign


@dataclass
class S3State:
    bucket: str
    region: str
    credentials: S3Credentials
    objects: dict[str, bytes] = field(default_factory=dict)


def create_s3_app(state: S3State) -> Starlette:
    async def put_object(request: Request) -> Response:
        bucket, key = request.path_params["bucket"], request.path_params["key"]
        if bucket != state.bucket:
            return Response("<Error><Code>NoSuchBucket</Code></Error>", status_code=404)
        query = request.query_params
        try:
            signed_at = datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            expires = int(query["X-Amz-Expires"])
        except (KeyError, ValueError):
            return Response("<Error><Code>AccessDenied</Code></Error>", status_code=403)
        expected = presign(
            "PUT",
            f"http://{request.headers['host']}/{bucket}/{key}",
            region=state.region,
            credentials=state.credentials,
            expires_seconds=expires,
            now=signed_at,
        )
        if expected.rsplit("X-Amz-Signature=", 1)[1] != query.get("X-Amz-Signature"):
            return Response("<Error><Code>SignatureDoesNotMatch</Code></Error>", status_code=403)
        if datetime.now(UTC) > signed_at + timedelta(seconds=expires):
            return Response(
                "<Error><Code>AccessDenied</Code><Message>expired</Message></Error>", status_code=403
            )
        state.objects[key] = await request.body()
        return Response(status_code=200)

    return Starlette(routes=[Route("/{bucket}/{key:path}", put_object, methods=["PUT"])])
