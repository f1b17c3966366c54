"""Authenticated encryption of secrets at rest (CRM tokens, refresh tokens, API keys).

AES-256-GCM with a random 96-bit nonce per value; the key is derived from the server secret with
HKDF-SHA256 under its own label, so it is independent of the JWT signing secret. Stored form:
`v1:<urlsafe base64 of nonce || ciphertext || tag>`. A tampered value or a wrong key fails loudly
instead of returning garbage.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from appconnect.logging import remember_request_secret

_PREFIX = "v1:"
_NONCE_BYTES = 12
_HKDF_INFO = b"appconnect/secrets-at-rest/v1"


class DecryptionError(ValueError):
    """A stored secret could not be decrypted (tampered, truncated, or another key)."""


def derive_key(server_secret: str, info: bytes = _HKDF_INFO) -> bytes:
    """Derive a 256-bit key for one purpose from the server secret."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(
        server_secret.encode("utf-8")
    )


class SecretBox:
    """Encrypts and decrypts short text secrets.

    Example:
        >>> box = SecretBox.from_server_secret("s3cret")
        >>> box.decrypt(box.encrypt("token")) == "token"
        True
    """

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    @classmethod
    def from_server_secret(cls, server_secret: str) -> SecretBox:
        return cls(derive_key(server_secret))

    def encrypt(self, plaintext: str) -> str:
        remember_request_secret(plaintext)  # a secret worth encrypting is never logged either
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode("utf-8"), _PREFIX.encode())
        return _PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def decrypt(self, stored: str) -> str:
        if not stored.startswith(_PREFIX):
            raise DecryptionError("not an appconnect-encrypted value")
        try:
            raw = base64.urlsafe_b64decode(stored[len(_PREFIX) :].encode("ascii"))
            nonce, sealed = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:]
            plaintext = self._aead.decrypt(nonce, sealed, _PREFIX.encode()).decode("utf-8")
        except (InvalidTag, ValueError) as error:
            raise DecryptionError("stored secret failed authentication") from error
        remember_request_secret(plaintext)
        return plaintext

    def encrypt_optional(self, plaintext: str | None) -> str | None:
        return None if plaintext is None else self.encrypt(plaintext)

    def decrypt_optional(self, stored: str | None) -> str | None:
        return None if stored is None else self.decrypt(stored)
