"""OAuth helpers: the callback URI checks of the code exchange, and how managed secrets are shown."""

from __future__ import annotations

import pytest

from appconnect.connectors.types import OAuthInfo
from appconnect.services.managed_auth import MASK, mask
from appconnect.services.oauth import OAuthError, callback_code, oauth_info_from

INFO = OAuthInfo(
    client_id="c", access_token_uri="https://crm.example.com/token", redirect_uri="https://x.example.com/cb"
)


def test_the_code_is_read_from_the_callback_uri() -> None:
    assert callback_code("https://x.example.com/cb?code=abc&state=s", INFO) == "abc"


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        (
            "https://x.example.com/other?code=abc",
            "Redirected path should match configured path, but got: /other",
        ),
        ("https://x.example.com/cb", "Unable to process uri: https://x.example.com/cb"),
        ("https://x.example.com/cb?state=s", "Missing code, unable to request token"),
        ("https://x.example.com/cb?error=access_denied&error_description=User+said+no", "User said no"),
    ],
)
def test_a_bad_callback_uri_is_an_oauth_error(uri: str, message: str) -> None:
    with pytest.raises(OAuthError) as raised:
        callback_code(uri, INFO)
    assert str(raised.value) == message


def test_invalid_grant_is_recognised_in_any_case() -> None:
    assert OAuthError("x", code="INVALID_GRANT").is_invalid_grant
    assert not OAuthError("x", code="invalid_client").is_invalid_grant


def test_a_camel_case_mapping_is_accepted_as_oauth_info() -> None:
    info = oauth_info_from(
        {"clientId": "id", "clientSecret": "s", "accessTokenUri": "https://t", "failMessage": "no"}
    )
    assert (info.client_id, info.client_secret, info.access_token_uri, info.fail_message) == (
        "id",
        "s",
        "https://t",
        "no",
    )


def test_secrets_are_never_shown_whole() -> None:
    assert mask("") == "" and mask(None) == ""
    assert mask("short") == MASK
    assert mask("a-long-api-key-1234") == MASK + "1234"
