"""The Pipedrive connector's pure parts: settings, field rules, search terms, message notes, the
activity-type cache and resolution, concurrency helpers, manifest, OAuth info and the callback page."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import pytest

from appconnect.connectors.base import ConnectorContext, ServesRoutes
from appconnect.connectors.inputs import OAuthInfoInput
from appconnect.connectors.pipedrive import PipedriveConnector, PipedriveSettings, create_connector
from appconnect.connectors.pipedrive.account_data import ActivityType, resolve_activity_type
from appconnect.connectors.pipedrive.api import all_of, both
from appconnect.connectors.pipedrive.fields import (
    agent_note,
    association,
    call_subject,
    disposition_changes,
    due_date_and_time,
    owner_id,
    pipedrive_duration,
)
from appconnect.connectors.pipedrive.messages import add_message, message_entry, sms_note
from appconnect.connectors.pipedrive.phones import lookup_number, search_term
from appconnect.connectors.pipedrive.routes import redirect_page
from appconnect.connectors.registry import ConnectorRegistry
from appconnect.crm_http import CrmHttp, CrmRateLimited


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "PIPEDRIVE_CLIENT_ID",
        "PIPEDRIVE_CLIENT_SECRET",
        "PIPEDRIVE_REDIRECT_URI",
        "PIPEDRIVE_API_BASE_URL",
        "PIPEDRIVE_OAUTH_BASE_URL",
        "PIPEDRIVE_ACCESS_TOKEN_URI",
    ):
        monkeypatch.delenv(name, raising=False)


def _connector(**extras: str) -> PipedriveConnector:
    http = CrmHttp(version="0.0.0-test")
    return PipedriveConnector(ConnectorContext(http=http, settings=None, extras=extras))


# -- settings -----------------------------------------------------------------------------------
def test_settings_default_to_the_real_pipedrive(clean_env: None) -> None:
    settings = PipedriveSettings.from_context(None)
    assert settings.api_base_url == "https://api.pipedrive.com"
    assert settings.oauth_base_url == "https://oauth.pipedrive.com"
    assert settings.access_token_uri == "https://oauth.pipedrive.com/oauth/token"
    assert settings.redirect_uri == "http://localhost:6066/pipedrive-redirect"
    assert settings.allowed_hosts == ("*.pipedrive.com",)
    assert settings.company_url("acme.pipedrive.com") == "https://acme.pipedrive.com"


def test_configured_hosts_and_only_those_are_allowed(
    clean_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIPEDRIVE_API_BASE_URL", "https://localhost:8443/")
    monkeypatch.setenv("PIPEDRIVE_OAUTH_BASE_URL", "https://127.0.0.1:8443")
    connector = _connector()
    policy = connector.settings.host_policy()
    assert connector.settings.access_token_uri == "https://127.0.0.1:8443/oauth/token"
    assert connector.allowed_hosts == ("*.pipedrive.com", "localhost", "127.0.0.1")
    assert policy.allows("acme.pipedrive.com") and policy.allows("localhost")
    assert not policy.allows("evil.example.com") and not policy.allows("pipedrive.com.evil.net")


def test_context_extras_win_over_the_environment(clean_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIPEDRIVE_CLIENT_ID", "from-env")
    assert _connector(PIPEDRIVE_CLIENT_ID="from-extras").settings.client_id == "from-extras"


async def test_oauth_info_comes_from_settings_and_is_refused_when_missing(
    clean_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    unconfigured = await _connector().get_oauth_info(OAuthInfoInput())
    assert unconfigured.fail_message is not None and "PIPEDRIVE_CLIENT_ID" in unconfigured.fail_message
    monkeypatch.setenv("PIPEDRIVE_CLIENT_ID", "id")
    monkeypatch.setenv("PIPEDRIVE_CLIENT_SECRET", "secret")
    monkeypatch.setenv("PIPEDRIVE_REDIRECT_URI", "https://appconnect.example.com/pipedrive-redirect")
    connector = _connector()
    info = await connector.get_oauth_info(OAuthInfoInput(hostname="acme.pipedrive.com"))
    assert (info.client_id, info.client_secret, info.access_token_uri, info.redirect_uri) == (
        "id",
        "secret",
        "https://oauth.pipedrive.com/oauth/token",
        "https://appconnect.example.com/pipedrive-redirect",
    )
    assert info.fail_message is None
    basic = "Basic " + base64.b64encode(b"id:secret").decode()
    assert connector.is_app_authorization(basic)
    assert not connector.is_app_authorization("Basic " + base64.b64encode(b"id:wrong").decode())
    assert not connector.is_app_authorization(None)


def test_without_an_app_nobody_passes_the_uninstall_check(clean_env: None) -> None:
    assert not _connector().is_app_authorization("Basic " + base64.b64encode(b":").decode())


def test_manifest_carries_the_oauth_app_and_the_activity_type_options(
    clean_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIPEDRIVE_CLIENT_ID", "id")
    manifest = _connector().manifest
    assert manifest is not None
    assert manifest["auth"] == {
        "type": "oauth",
        "oauth": {
            "authUrl": "https://oauth.pipedrive.com/oauth/authorize",
            "clientId": "id",
            "redirectUri": "http://localhost:6066/pipedrive-redirect",
        },
    }
    items = manifest["adminSettings"][0]["items"]
    assert {item["id"]: item["accountDataKey"] for item in items} == {
        "pipedriveCallActivityType": "activityTypes",
        "pipedriveSMSActivityType": "activityTypes",
    }
    assert [field["const"] for field in manifest["page"]["callLog"]["additionalFields"]] == [
        "deals",
        "leadWarning",
        "leads",
    ]


def test_manifest_declares_server_side_logging_with_user_mapping(clean_env: None) -> None:
    """As the reference declares it (spec pipedrive §9): the owner comes from admin user mapping."""
    manifest = _connector().manifest
    assert manifest is not None
    assert manifest["serverSideLogging"] == {
        "url": "https://crm-logging.labs.ringcentral.com",
        "useAdminAssignedUserToken": False,
        "enableUserMapping": True,
    }


def test_registered_interfaces_and_account_data(clean_env: None) -> None:
    registry = ConnectorRegistry()
    connector = create_connector(ConnectorContext(http=CrmHttp(version="t"), settings=None))
    registry.register("pipedrive", connector)
    answer = registry.implemented_interfaces("pipedrive", cache_call_note=False)
    expected_true = {
        "getAuthType",
        "getOauthInfo",
        "getUserInfo",
        "createCallLog",
        "updateCallLog",
        "getCallLog",
        "createMessageLog",
        "updateMessageLog",
        "createContact",
        "findContact",
        "unAuthorize",
        "upsertCallDisposition",
        "findContactWithName",
        "getUserList",
        "getLogFormatType",
    }
    assert {name for name, present in answer.items() if present} == expected_true
    assert connector.get_log_format_type() == "text/html"
    assert connector.get_auth_type() == "oauth"
    assert set(connector.account_data) == {"activityTypes"}
    assert isinstance(connector, ServesRoutes)


def test_the_callback_page_explains_how_to_install() -> None:
    page = redirect_page()
    for text in ("RingCentral Extension for Pipedrive", "handleRedirect", "Pipedrive Marketplace"):
        assert text in page
    assert "www.pipedrive.com/en/marketplace" in page


# -- fields -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(0, "00:01"), (59, "00:01"), (60, "00:02"), (300, "00:06"), (3599, "01:00"), (4500, "01:16"),
     (None, "00:00"), ("pending", "00:00"), (True, "00:00"), (12.5, "00:01")],
)  # fmt: skip
def test_duration_in_pipedrive_format(seconds: object, expected: str) -> None:
    assert pipedrive_duration(seconds) == expected


def test_due_date_and_time_are_utc() -> None:
    assert due_date_and_time("2026-07-14T23:30:00-05:00") == ("2026-07-15", "04:30")
    assert due_date_and_time("not a date") is None


def test_association_and_dispositions() -> None:
    lead = "0f5a4b40-5c4f-11ee-8c99-0242ac120002"
    assert association({"deals": 7, "leads": lead}) == {"deal_id": 7}
    assert association({"deals": "", "leads": lead}) == {"lead_id": lead}
    assert association({}) == {}
    assert disposition_changes({"deals": "7"}) == {"deal_id": 7, "lead_id": None}
    assert disposition_changes({"leads": lead}) == {"lead_id": lead, "deal_id": None}
    assert disposition_changes(None) is None


def test_subject_owner_and_agent_note() -> None:
    assert call_subject({"direction": "Inbound"}, "Ann") == "Inbound Call from Ann"
    assert call_subject({"direction": "Outbound", "customSubject": ""}, "Ann") == ""
    assert owner_id("12345-pipedrive") == 12345 and owner_id("abc-pipedrive") is None
    assert agent_note("<b>Agent notes</b><br>a<br>b<br><br><b>Call details</b>x") == "ab"
    assert agent_note("Simple note") == ""


@pytest.mark.parametrize(
    ("number", "term"),
    [("+14155550100", "4155550100"), ("+4915123456789", "15123456789"), ("+1 415 555 0100", "4155550100"),
     ("+123", "+123"), ("4155550100", None), ("101", None)],
)  # fmt: skip
def test_search_terms(number: str, term: str | None) -> None:
    assert search_term(number) == term


def test_a_plus_decoded_as_space_is_restored() -> None:
    assert lookup_number(" 14155550100") == "+14155550100"
    assert lookup_number("+1 415 555 0100") == "+1 415 555 0100"


# -- message notes ------------------------------------------------------------------------------
MESSAGE = {"direction": "Inbound", "subject": "Hello", "creationTime": "2026-07-14T03:00:00.000Z"}


def test_an_sms_note_has_the_reference_layout() -> None:
    note = sms_note(
        subject="SMS conversation with Ann - 26/07/14",
        message=MESSAGE,
        contact_name="Ann",
        contact_number="+14155550100",
        user_name="Jordan",
        user_offset="+00:00",
        other_participants=["Bob & Co"],
    )
    assert note == (
        "<br><b>SMS conversation with Ann - 26/07/14</b><br><b>Conversation summary</b><br>"
        "Tuesday, July 14, 2026<br>Participants<br><ul><li><b>Jordan</b><br></li><li><b>Ann</b></li>"
        "<li><b>Bob &amp; Co</b></li></ul><br>Conversation(1 messages)<br>BEGIN<br>------------<br>"
        "<ul><li>Ann (+14155550100) 03:00 AM<br><b>Hello</b></li></ul>------------<br>END<br><br>"
        "--- Created via RingCentral App Connect"
    )


def test_messages_are_added_in_order_and_counted() -> None:
    note = sms_note(
        subject="s",
        message=MESSAGE,
        contact_name="Ann",
        contact_number="+1",
        user_name="Jordan",
        user_offset="-05:00",
        other_participants=[],
    )
    for index in range(2, 4):
        reply = {"direction": "Outbound", "subject": f"reply {index}", "creationTime": "2026-07-14T03:05:00Z"}
        entry = message_entry(
            reply,
            contact_name="Ann",
            contact_number="+1",
            user_name="Jordan",
            user_offset="-05:00",
            links={"Image": "https://media/1", "Video": None},
        )
        note = add_message(note, entry)
    assert "Conversation(3 messages)" in note
    assert note.index("Hello") < note.index("reply 2") < note.index("reply 3") < note.index("END")
    assert "Jordan 10:05 PM<br><b>reply 3</b><br>Image: https://media/1</li>" in note


def test_a_message_cannot_break_the_note() -> None:
    hostile = {"direction": "Inbound", "subject": "</ul>------------<br><script>", "creationTime": 0}
    entry = message_entry(hostile, contact_name="Ann", contact_number="+1", user_name="J", user_offset=None)
    note = add_message("<br>Conversation(1 messages)<br><ul><li>a</li></ul>------------<br>END", entry)
    assert note.count("</ul>------------<br>") == 1 and "<script>" not in note
    edited = add_message("The agent rewrote everything", "<li>b</li>")
    assert edited == "The agent rewrote everything<ul><li>b</li></ul>"


# -- activity types -----------------------------------------------------------------------------
class StoredTypes:
    """`AccountData` holding one activity-type list; each forced read fetches the next one.

    The first read counts as a fetch too (the server's store is empty), like a fresh account.
    """

    def __init__(self, *lists: list[ActivityType]) -> None:
        self.lists = list(lists)
        self.calls = 0
        self.value: list[ActivityType] | None = None

    async def get(self, key: str, *, force_refresh: bool = False) -> Any:
        assert key == "activityTypes"
        if self.value is None or force_refresh:
            self.calls += 1
            await asyncio.sleep(0)
            self.value = self.lists[min(self.calls, len(self.lists)) - 1]
        return self.value


CALL = ActivityType(const="call", title="Call")
SPECIAL = ActivityType(const="special_call", title="Phone Call")
MEETING = ActivityType(const="meeting", title="Meeting")


@pytest.mark.parametrize(
    ("configured", "lists", "keyword", "expected", "fetches"),
    [
        ("special_call", [[CALL, SPECIAL]], "call", "special_call", 1),
        ("special_call", [[CALL], [SPECIAL]], "call", "special_call", 2),
        ("gone", [[MEETING, CALL]], "call", "call", 2),
        (None, [[MEETING, SPECIAL, CALL]], "call", "special_call", 1),
        (None, [[MEETING], [MEETING, CALL]], "call", "call", 2),
        (None, [[MEETING]], "sms", None, 2),
        ("gone", [[MEETING]], "sms", None, 2),  # one refresh only, never two
    ],
)
async def test_activity_type_resolution_order(
    configured: str | None, lists: list[list[ActivityType]], keyword: str, expected: str | None, fetches: int
) -> None:
    stored = StoredTypes(*lists)
    resolved = await resolve_activity_type(stored, configured=configured, keyword=keyword)
    assert (resolved, stored.calls) == (expected, fetches)


async def test_after_a_refusal_resolution_starts_from_a_fresh_list_and_refreshes_no_more() -> None:
    stored = StoredTypes([CALL], [SPECIAL])
    assert await resolve_activity_type(stored, configured=None, keyword="call") == "call"
    fresh = await resolve_activity_type(stored, configured="call", keyword="call", refresh_first=True)
    assert (fresh, stored.calls) == ("special_call", 2)


# -- concurrency helpers ------------------------------------------------------------------------
async def test_all_of_raises_the_first_failure_itself_and_cancels_the_rest() -> None:
    cancelled: list[str] = []

    async def slow() -> str:
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError:
            cancelled.append("slow")
            raise
        return "never"

    async def failing() -> str:
        raise CrmRateLimited("429", retry_after=3)

    with pytest.raises(CrmRateLimited):
        await all_of([slow(), failing()])
    assert cancelled == ["slow"]


async def test_both_keeps_order_and_types() -> None:
    async def number() -> int:
        return 1

    async def text() -> str:
        return "a"

    result: tuple[int, str] = await both(number(), text())
    assert result == (1, "a")
    assert await all_of([]) == []


def test_a_connector_built_without_context_still_has_its_manifest(clean_env: None) -> None:
    connector: Any = PipedriveConnector()
    assert connector.manifest["name"] == "pipedrive"
    with pytest.raises(RuntimeError):
        _ = connector.http
