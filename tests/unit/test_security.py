"""Session JWTs, id hashing and encryption at rest."""

from __future__ import annotations

import base64
import hashlib
import json
import time

import jwt as pyjwt
import pytest
import time_machine

from appconnect.security import JWT_LIFETIME_SECONDS, DecryptionError, SecretBox, SessionTokens, hash_id

SECRET = "unit-test-secret-long-enough-for-hs256-0123"


def test_issued_token_round_trips_with_the_reference_claims() -> None:
    tokens = SessionTokens(SECRET)
    token = tokens.issue("12345-pipedrive", "pipedrive", now=1_700_000_000)
    payload = pyjwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_exp": False})
    assert payload == {
        "id": "12345-pipedrive",
        "platform": "pipedrive",
        "iat": 1_700_000_000,
        "exp": 1_700_000_000 + JWT_LIFETIME_SECONDS,
    }
    claims = tokens.verify(tokens.issue("u-1", "sample"))
    assert claims is not None and claims.user_id == "u-1" and claims.platform == "sample"


def test_a_tampered_token_is_rejected() -> None:
    tokens = SessionTokens(SECRET)
    header, payload, signature = tokens.issue("u-1", "sample").split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["id"] = "someone-else"
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    assert tokens.verify(f"{header}.{forged_payload}.{signature}") is None


def test_an_expired_token_is_rejected_without_leeway() -> None:
    tokens = SessionTokens(SECRET)
    expired = pyjwt.encode({"id": "u-1", "platform": "sample", "exp": int(time.time()) - 1}, SECRET)
    assert tokens.verify(expired) is None


def test_a_token_signed_with_another_secret_is_rejected() -> None:
    other = SessionTokens("another-secret-also-long-enough-for-hs256").issue("u-1", "sample")
    assert SessionTokens(SECRET).verify(other) is None


def test_unsigned_and_malformed_tokens_are_rejected() -> None:
    tokens = SessionTokens(SECRET)
    unsigned = pyjwt.encode({"id": "u-1"}, key=None, algorithm="none")  # type: ignore[arg-type]
    assert tokens.verify(unsigned) is None
    assert tokens.verify("not-a-jwt") is None
    assert tokens.verify("") is None


def test_a_token_without_id_is_not_a_session() -> None:
    token = pyjwt.encode({"platform": "sample"}, SECRET)
    assert SessionTokens(SECRET).verify(token) is None


def test_refresh_is_due_within_seven_days_of_expiry() -> None:
    tokens = SessionTokens(SECRET)
    now = time.time()
    fresh = tokens.verify(tokens.issue("u", "p", now=now))
    old = tokens.verify(tokens.issue("u", "p", now=now - 8 * 86400))
    assert fresh is not None and not fresh.needs_refresh(now)
    assert old is not None and old.needs_refresh(now)


def test_hash_matches_the_reference_formula() -> None:
    assert hash_id("12345", "salt") == hashlib.sha256(b"12345:salt").hexdigest()
    assert hash_id(12345, "salt") == hash_id("12345", "salt")
    assert hash_id(None, None) == hashlib.sha256(b"undefined:undefined").hexdigest()


def test_encryption_round_trips_and_hides_the_plaintext() -> None:
    box = SecretBox.from_server_secret(SECRET)
    sealed = box.encrypt("pd-access-token-123")
    assert "pd-access-token-123" not in sealed
    assert box.decrypt(sealed) == "pd-access-token-123"
    assert box.encrypt("same") != box.encrypt("same")  # random nonce: equal secrets look different


def test_tampered_ciphertext_and_wrong_key_fail_loudly() -> None:
    box = SecretBox.from_server_secret(SECRET)
    sealed = box.encrypt("secret")
    middle = len(sealed) // 2
    flipped = sealed[:middle] + ("A" if sealed[middle] != "A" else "B") + sealed[middle + 1 :]
    with pytest.raises(DecryptionError):
        box.decrypt(flipped)
    with pytest.raises(DecryptionError):
        SecretBox.from_server_secret("other").decrypt(sealed)


def test_a_verified_token_is_rejected_once_it_expires() -> None:
    # Verified claims are memoised per token; the memo must not outlive the token's `exp`.
    tokens = SessionTokens("s3cret")
    token = tokens.issue("7-pipedrive", "pipedrive")
    claims = tokens.verify(token)
    assert claims is not None and claims.user_id == "7-pipedrive"
    assert tokens.verify(token) == claims  # from the memo
    with time_machine.travel(time.time() + JWT_LIFETIME_SECONDS + 60, tick=False):
        assert tokens.verify(token) is None


def test_a_memoised_token_does_not_vouch_for_an_altered_one() -> None:
    tokens = SessionTokens("s3cret")
    token = tokens.issue("7-pipedrive", "pipedrive")
    assert tokens.verify(token) is not None
    header, _payload, signature = token.split(".")
    forged_payload = (
        base64.urlsafe_b64encode(
            json.dumps(
                {"id": "8-pipedrive", "platform": "pipedrive", "exp": int(time.time()) + 3600}
            ).encode()
        )
        .rstrip(b"=")
        .decode()
    )
    assert tokens.verify(f"{header}.{forged_payload}.{signature}") is None
    assert tokens.verify(token[:-2] + ("AA" if token[-2:] != "AA" else "BB")) is None
