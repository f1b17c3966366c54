"""Values the reference sealed at rest (spec platform §2.6) are read back by the import."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from appconnect.security.reference_encoding import (
    ReferenceDecodingError,
    is_reference_sealed,
    open_reference_sealed,
    reference_decode,
    reference_key,
)


def _encode(plaintext: str, key: bytes) -> str:
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plaintext.encode()) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(bytes(16))).encryptor()
    return (encryptor.update(padded) + encryptor.finalize()).hex()


def test_the_key_is_the_secret_space_padded_or_cut_to_32_characters() -> None:
    assert reference_key("short") == b"short" + b" " * 27
    assert reference_key("x" * 40 + "tail") == b"x" * 32
    with pytest.raises(ReferenceDecodingError):
        reference_key("é" * 32)  # 64 UTF-8 bytes: the reference's own key is invalid too


def test_a_sealed_value_decrypts_and_its_json_is_read() -> None:
    sealed = {"version": 1, "encrypted": True, "value": _encode(json.dumps("s3cr3t"), reference_key("k"))}
    assert is_reference_sealed(sealed)
    assert open_reference_sealed(sealed, "k") == "s3cr3t"
    assert reference_decode(_encode("plain", reference_key("k")), "k") == "plain"
    assert len(_encode("x" * 16, reference_key("k"))) == 64  # a full block of padding: 2 blocks of hex


@pytest.mark.parametrize("stored", ["zz", "00" * 15, "00" * 16])
def test_anything_else_is_a_decoding_error(stored: str) -> None:
    with pytest.raises(ReferenceDecodingError):
        open_reference_sealed({"version": 1, "encrypted": True, "value": stored}, "k")
    sealed_with_other_key = _encode('"v"', reference_key("other"))
    with pytest.raises(ReferenceDecodingError):
        open_reference_sealed({"version": 1, "encrypted": True, "value": sealed_with_other_key}, "k")


def test_only_the_references_wrapper_is_recognised() -> None:
    assert not is_reference_sealed({"version": 2, "encrypted": True, "value": "v1:abc"})
    assert not is_reference_sealed({"encrypted": "true", "version": 1, "value": "00"})
    assert not is_reference_sealed("00ff")
