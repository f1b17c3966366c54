"""The App Connect session JWT.

Claims and lifetime follow the reference exactly (`id`, `platform`, `iat`, `exp`, two weeks, HS256
with `APP_SERVER_SECRET_KEY` as the raw secret) so that the extension, and tokens issued by a
reference deployment being replaced, keep working. Encryption at rest uses a separate HKDF-derived
key (see `crypto`), so the JWT secret never doubles as an encryption key.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import jwt as pyjwt
import structlog

log = structlog.get_logger(__name__)

JWT_LIFETIME_SECONDS = 1_209_600  # two weeks
REFRESH_WINDOW_SECONDS = 604_800  # a token with seven days or less left is re-issued
_ACCEPTED_ALGORITHMS = ["HS256", "HS384", "HS512"]
VERIFIED_MEMO_SIZE = 4096


@dataclass(frozen=True)
class SessionClaims:
    """The verified payload of a session token."""

    user_id: str
    platform: str | None
    expires_at: int | None

    def needs_refresh(self, now: float | None = None) -> bool:
        if self.expires_at is None:
            return False
        current = time.time() if now is None else now
        return self.expires_at - current <= REFRESH_WINDOW_SECONDS


class SessionTokens:
    """Issues and verifies session JWTs with one secret."""

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("the JWT secret must not be empty")
        self._secret = secret
        self._verified: dict[str, SessionClaims] = {}

    def issue(self, user_id: str, platform: str | None, *, now: float | None = None) -> str:
        """Sign a fresh two-week token for `user_id` on `platform`."""
        issued_at = int(time.time() if now is None else now)
        payload: dict[str, Any] = {
            "id": str(user_id),
            "platform": platform,
            "iat": issued_at,
            "exp": issued_at + JWT_LIFETIME_SECONDS,
        }
        return pyjwt.encode(payload, self._secret, algorithm="HS256")

    def decode(self, token: str | None) -> dict[str, Any] | None:
        """Return the payload of a valid token, or None for any bad, expired or forged one.

        Never raises: a bad token is an ordinary outcome the routes answer in their own words.
        """
        if not token:
            return None
        try:
            payload = pyjwt.decode(
                token,
                self._secret,
                algorithms=_ACCEPTED_ALGORITHMS,
                options={"require": [], "verify_aud": False, "verify_iss": False},
                leeway=0,
            )
        except pyjwt.PyJWTError as error:
            log.info("rejected session token", reason=type(error).__name__)
            return None
        return payload if isinstance(payload, dict) else None

    def verify(self, token: str | None) -> SessionClaims | None:
        """Like `decode`, but also require a non-empty `id` claim.

        Every request carries the same token for hours; its claims are memoised per process, keyed
        by the exact token string (a forged or altered token is a different key and is verified in
        full), and a memoised token is verified in full again once its `exp` has passed.
        """
        if token:
            known = self._verified.get(token)
            if known is not None and (known.expires_at is None or known.expires_at > time.time()):
                return known
        claims = self._verify(token)
        if token and claims is not None:
            self._verified[token] = claims
            if len(self._verified) > VERIFIED_MEMO_SIZE:
                self._verified.pop(next(iter(self._verified)))
        return claims

    def _verify(self, token: str | None) -> SessionClaims | None:
        payload = self.decode(token)
        if payload is None or payload.get("id") in (None, ""):
            return None
        exp = payload.get("exp")
        platform = payload.get("platform")
        return SessionClaims(
            user_id=str(payload["id"]),
            platform=str(platform) if platform is not None else None,
            expires_at=int(exp) if isinstance(exp, int | float) else None,
        )
