"""The sample connector's pure parts: number matching rule, note extraction, manifest, login."""

from __future__ import annotations

import base64
import json
from importlib.resources import files

import pytest

from appconnect.config import Settings
from appconnect.connectors.base import (
    Connector,
    ConnectorContext,
    CreatesContacts,
    FindsContacts,
    LogsIn,
    LogsMessages,
    LogsOut,
    ReadsCallLogs,
    SearchesContactsByName,
    SetsDispositions,
)
from appconnect.connectors.inputs import GetUserInfoInput, UnauthorizeInput
from appconnect.connectors.sample import (
    SampleCrmConnector,
    SampleCrmNotFound,
    create_connector,
    extract_note,
    load_manifest,
)
from appconnect.connectors.sample.phones import normalise_number, query_keys, stored_keys
from appconnect.connectors.types import AuthType, LogFormat
from appconnect.crm_http.errors import CrmNotFound
from appconnect.domain import User


def _login(auth_header: str, api_key: str | None = None) -> GetUserInfoInput:
    return GetUserInfoInput(auth_header=auth_header, platform="sample", api_key=api_key)


def _connector(tmp_path: object) -> SampleCrmConnector:
    settings = Settings(sample_crm_database_url=f"sqlite:///{tmp_path}/crm.db")
    return create_connector(ConnectorContext(http=None, settings=settings))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("+14155550100", "+14155550100"),
        ("(415) 555-0100", "+14155550100"),
        ("415.555.0100", "+14155550100"),
        ("+44 20 7123 4567", "+442071234567"),
        ("101", "101"),
    ],
)
def test_numbers_are_stored_as_e164_or_digits(typed: str, expected: str) -> None:
    assert normalise_number(typed) == expected


@pytest.mark.parametrize(
    "query",
    ["+14155550100", "4155550100", "(415) 555-0100", "+1 (415) 555-0100", "14155550100", "415-555-0100"],
)
def test_every_common_form_of_a_us_number_finds_it(query: str) -> None:
    assert query_keys(query) & stored_keys("+14155550100")


def test_a_uk_number_is_found_in_national_and_international_form() -> None:
    keys = stored_keys("+442071234567")
    assert query_keys("020 7123 4567") & keys
    assert query_keys("+44 20 7123 4567") & keys


def test_an_explicit_country_code_must_agree() -> None:
    assert not query_keys("+44 415 555 0100") & stored_keys("+14155550100")


def test_a_query_without_digits_has_no_keys() -> None:
    assert query_keys("anonymous") == frozenset()


def test_note_is_read_up_to_the_next_item() -> None:
    body = "- Note: first line\nsecond line\n- Session Id: 42\n- Summary: hello\n"
    assert extract_note(body) == "first line\nsecond line"


def test_legacy_agent_notes_label_is_read_too() -> None:
    assert extract_note("- Agent notes: from an old body\n- Duration: 1 minute\n") == "from an old body"


def test_body_without_note_gives_empty_note() -> None:
    assert extract_note("- Session Id: 42\n") == ""
    assert extract_note("") == ""


def test_manifest_ships_as_package_data_and_matches_the_connector() -> None:
    raw = json.loads(files("appconnect.connectors.sample").joinpath("manifest.json").read_text("utf-8"))
    assert raw == load_manifest() == SampleCrmConnector.manifest
    assert raw["name"] == "sample"
    assert raw["displayName"] == "Sample CRM"
    assert raw["auth"]["type"] == "apiKey"
    assert raw["auth"]["apiKey"]["page"]["content"] == [
        {"const": "apiKey", "title": "API key", "type": "inputField", "required": True}
    ]
    assert raw["environment"] == {"type": "fixed", "url": "http://localhost:6066/sample"}
    assert raw["contactTypes"] == [{"display": "Contact", "value": "Contact"}]
    assert "{contactId}" in raw["contactPageUrl"]
    assert "{logId}" in raw["logPageUrl"]
    assert raw["settings"] == []
    assert raw["page"] == {"callLog": {"additionalFields": []}, "messageLog": {"additionalFields": []}}


def test_connector_declares_its_identity_and_every_capability(tmp_path: object) -> None:
    connector = _connector(tmp_path)
    assert connector.name == "sample"
    assert connector.get_auth_type() == "apiKey"
    assert connector.auth_type is AuthType.API_KEY
    assert connector.get_log_format_type() == "text/plain"
    assert connector.log_format == LogFormat.PLAIN
    for protocol in (
        Connector,
        ReadsCallLogs,
        FindsContacts,
        CreatesContacts,
        SearchesContactsByName,
        SetsDispositions,
        LogsMessages,
        LogsIn,
        LogsOut,
    ):
        assert isinstance(connector, protocol), protocol.__name__


def test_connector_reads_its_database_url_from_settings(tmp_path: object) -> None:
    assert _connector(tmp_path).store.database_url == f"sqlite:///{tmp_path}/crm.db"


def test_not_found_is_a_crm_404() -> None:
    error = SampleCrmNotFound("call activity", "9")
    assert isinstance(error, CrmNotFound)
    assert error.status == 404
    assert error.platform == "sample"


async def test_any_api_key_logs_in_with_a_stable_id(tmp_path: object) -> None:
    connector = _connector(tmp_path)
    first = await connector.get_user_info(_login("Basic eDo=", "key-one"))
    again = await connector.get_user_info(_login("Basic eDo=", "key-one"))
    other = await connector.get_user_info(_login("Basic eDo=", "key-two"))
    assert first.successful
    assert first.platform_user_info is not None and other.platform_user_info is not None
    assert again.platform_user_info == first.platform_user_info
    assert first.platform_user_info.id.endswith("-sample")
    assert first.platform_user_info.id != other.platform_user_info.id
    assert first.platform_user_info.name == "Sample CRM user"
    assert first.platform_user_info.timezone_name == "UTC"
    assert "key-one" not in first.platform_user_info.id


async def test_api_key_is_read_from_the_basic_header_when_not_passed(tmp_path: object) -> None:
    connector = _connector(tmp_path)
    header = "Basic " + base64.b64encode(b"key-one:").decode()
    from_header = await connector.get_user_info(_login(header))
    direct = await connector.get_user_info(_login(header, "key-one"))
    assert from_header.platform_user_info == direct.platform_user_info


async def test_an_empty_api_key_is_refused_with_a_message(tmp_path: object) -> None:
    result = await _connector(tmp_path).get_user_info(_login("", "  "))
    assert not result.successful
    assert result.platform_user_info is None
    assert result.return_message is not None and result.return_message.message_type == "warning"


async def test_logout_succeeds() -> None:
    result = await SampleCrmConnector().unauthorize(
        UnauthorizeInput(user=User(id="u-sample", platform="sample"))
    )
    assert result.successful
