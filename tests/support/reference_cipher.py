"""The reference's at-rest encoding (spec platform §2.6), written from the spec for the tests: what a
reference deployment stored, and what its Developer Console keeps as a proxy's `encodedSecretKey`."""

from __future__ import annotations

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def reference_encode(plaintext: str, secret: str) -> str:
    """AES-256-CBC, zero IV, PKCS#7, key = `secret` space-padded or cut to 32 characters; hex."""
    key = secret[:32].ljust(32, " ").encode()
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plaintext.encode()) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(bytes(16))).encryptor()
    return (encryptor.update(padded) + encryptor.finalize()).hex()
