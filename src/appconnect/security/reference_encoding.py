"""Reading values the reference server encrypted at rest (spec platform §2.6): for the import, and
for a proxy secret the reference's Developer Console sealed (`encodedSecretKey`, §8.1).

The reference seals managed-auth and managed-OAuth values with AES-256-CBC, PKCS#7 padding, an
all-zero IV, and `APP_SERVER_SECRET_KEY` (space-padded or cut to 32 characters) as the key; the
stored text is the lower-case hex of the ciphertext, wrapped as
`{"version": 1, "encrypted": true, "value": "<hex>"}` around the JSON text of the value. appconnect
never writes this form (it is unauthenticated and deterministic); `appconnect import-reference`
decrypts it once and re-seals the value with `SecretBox`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from appconnect.logging import remember_request_secret

_KEY_CHARACTERS = 32
_BLOCK_BITS = 128


class ReferenceDecodingError(ValueError):
    """A reference-encrypted value did not decrypt (another key, or not the reference's form)."""


def reference_key(server_secret: str, *, key_name: str = "APP_SERVER_SECRET_KEY") -> bytes:
    """The reference's AES key: the secret padded with spaces or cut to 32 characters, as UTF-8."""
    text = server_secret[:_KEY_CHARACTERS].ljust(_KEY_CHARACTERS, " ")
    key = text.encode("utf-8")
    if len(key) != _KEY_CHARACTERS:  # a non-ASCII secret: the reference's own key is invalid too
        raise ReferenceDecodingError(f"{key_name} does not make a 32-byte reference key")
    return key


def reference_decode(hex_text: str, server_secret: str, *, key_name: str = "APP_SERVER_SECRET_KEY") -> str:
    """Decrypt one value the reference's `encode()` produced with `server_secret` (the variable
    `key_name`: the server's own key, or the Developer Console's for a proxy's secret)."""
    try:
        sealed = bytes.fromhex(hex_text)
        key = reference_key(server_secret, key_name=key_name)
        decryptor = Cipher(algorithms.AES(key), modes.CBC(bytes(16))).decryptor()
        padded = decryptor.update(sealed) + decryptor.finalize()
        unpadder = padding.PKCS7(_BLOCK_BITS).unpadder()
        plaintext = (unpadder.update(padded) + unpadder.finalize()).decode("utf-8")
    except ValueError as error:  # bad hex, a partial block, bad padding, not UTF-8
        raise ReferenceDecodingError(f"value does not decrypt with {key_name}") from error
    remember_request_secret(plaintext)  # a secret worth encrypting is never logged
    return plaintext


def is_reference_sealed(value: Any) -> bool:
    """`{"version": 1, "encrypted": true, "value": "<hex>"}`: the reference's wrapper."""
    return (
        isinstance(value, Mapping)
        and value.get("encrypted") is True
        and value.get("version") == 1
        and isinstance(value.get("value"), str)
    )


def open_reference_sealed(value: Mapping[str, Any], server_secret: str) -> Any:
    """The JSON value inside a reference wrapper."""
    text = reference_decode(str(value["value"]), server_secret)
    try:
        return json.loads(text)
    except ValueError as error:
        raise ReferenceDecodingError("decrypted value is not JSON text") from error
