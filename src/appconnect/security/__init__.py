"""Sessions and secrets: the App Connect JWT, id hashing, and encryption of secrets at rest."""

from appconnect.security.crypto import DecryptionError, SecretBox
from appconnect.security.hashing import hash_id
from appconnect.security.jwt import JWT_LIFETIME_SECONDS, REFRESH_WINDOW_SECONDS, SessionTokens

__all__ = [
    "JWT_LIFETIME_SECONDS",
    "REFRESH_WINDOW_SECONDS",
    "DecryptionError",
    "SecretBox",
    "SessionTokens",
    "hash_id",
]
