"""compose_call_log: item order, conditions and user settings (spec §3.1, §6 P-13, P-14)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from appconnect.compose import UNSET, LogFormat, compose_call_log, upsert_call_subject

PLAIN, HTML, MD = LogFormat.PLAIN, LogFormat.HTML, LogFormat.MARKDOWN
START = "2024-01-15T10:30:00Z"


def compose(
    *,
    user_settings: Mapping[str, Any] | None = None,
    call_log: Mapping[str, Any] | None = None,
    **inputs: Any,
) -> str:
    return compose_call_log(
        log_format=inputs.pop("log_format", PLAIN),
        call_log=call_log,
        contact_info=inputs.pop("contact_info", None),
        user_settings=user_settings,
        timezone_offset=inputs.pop("timezone_offset", None),
        **inputs,
    )


def test_unknown_format_returns_an_empty_body() -> None:
    assert compose(log_format="text/x-custom", existing_body="keep", note="n") == ""


def test_upsert_helpers_reject_an_unknown_format() -> None:
    with pytest.raises(ValueError, match="text/rtf"):
        upsert_call_subject("", "s", log_format="text/rtf")


def test_nothing_to_write_returns_the_existing_body_unchanged() -> None:
    assert compose(existing_body="typed by the user\n", user_settings={}) == "typed by the user\n"


def test_a_fresh_body_lists_items_in_table_order_with_the_note_first() -> None:
    body = compose(
        user_settings={},
        call_log={"startTime": START},
        subject="s",
        result="r",
        duration=1,
        note="n",
        transcript="t",
        ai_note="a",
        recording_link="l",
    )
    assert body == (
        "- Note: n\n- Summary: s\n- Date/Time: 2024-01-15 10:30:00 AM\n- Duration: 1 second\n- Result: r\n"
        "- Call recording link: l\n\n- AI Note:\na\n--- END\n\n- Transcript:\nt\n--- END\n"
    )


@pytest.mark.parametrize(
    ("setting", "inputs"),
    [
        ("addCallLogNote", {"note": "n"}),
        ("addCallLogSubject", {"subject": "s"}),
        ("addCallLogDateTime", {"start_time": START}),
        ("addCallLogDuration", {"duration": 5}),
        ("addCallLogResult", {"result": "r"}),
        ("addCallLogRecording", {"recording_link": "l"}),
        ("addCallLogRecording", {"voicemail_link": "v"}),
        ("addCallLogAiNote", {"ai_note": "a"}),
        ("addCallLogTranscript", {"transcript": "t"}),
        ("addCallLogRingSenseRecordingTranscript", {"ring_sense_transcript": "t"}),
        ("addCallLogRingSenseRecordingSummary", {"ring_sense_summary": "s"}),
        ("addCallLogRingSenseRecordingAIScore", {"ring_sense_ai_score": "9"}),
        ("addCallLogRingSenseRecordingBulletedSummary", {"ring_sense_bulleted_summary": "- b"}),
        ("addCallLogRingSenseRecordingLink", {"ring_sense_link": "l"}),
        ("addCallLogLegs", {"call_log": {"legs": [{"to": {"phoneNumber": "+1"}}]}}),
    ],
)
def test_items_that_default_on_are_written_unless_switched_off(setting: str, inputs: dict[str, Any]) -> None:
    assert compose(user_settings={}, **inputs) != ""
    assert compose(user_settings={setting: {"value": None}}, **inputs) != ""
    assert compose(user_settings={setting: {"value": "false"}}, **inputs) != ""  # a non-empty string is on
    assert compose(user_settings={setting: {"value": False}}, **inputs) == ""
    assert compose(user_settings={setting: {"value": 0}}, **inputs) == ""
    assert compose(user_settings={setting: {"value": ""}}, **inputs) == ""  # "" is a value, and falsy


OPTIONAL_CALL = {
    "sessionId": "s1",
    "direction": "Outbound",
    "from": {"phoneNumber": "+1", "name": "Agent"},
    "to": {"phoneNumber": "+2"},
}


@pytest.mark.parametrize(
    ("setting", "line"),
    [
        ("addCallSessionId", "- Session Id: s1\n"),
        ("addRingCentralUserName", "- RingCentral user name: Agent\n"),
        ("addRingCentralNumber", "- RingCentral number and extension: +1 \n"),
        ("addCallLogContactNumber", "- Contact Number: +9\n"),
    ],
)
def test_items_that_default_off_need_their_setting(setting: str, line: str) -> None:
    inputs: dict[str, Any] = {"call_log": OPTIONAL_CALL, "contact_info": {"phoneNumber": "+9"}}
    assert compose(user_settings={}, **inputs) == ""
    assert compose(user_settings={setting: {"value": None}}, **inputs) == ""
    assert compose(user_settings={setting: {"value": True}}, **inputs) == line


def test_settings_that_are_not_objects_count_as_missing() -> None:
    assert compose(user_settings={"addCallLogNote": "off"}, note="n") == "- Note: n\n"
    assert compose(user_settings=None, note="n") == "- Note: n\n"


def test_rc_items_are_skipped_when_the_call_has_no_name_or_number() -> None:
    settings = {"addRingCentralUserName": {"value": True}, "addRingCentralNumber": {"value": True}}
    assert compose(user_settings=settings, call_log={"direction": "Inbound", "from": {"name": "x"}}) == ""
    assert compose(user_settings=settings, call_log=None) == ""


def test_inbound_user_name_comes_from_the_callee() -> None:
    call = {"direction": "Inbound", "from": {"name": "Customer"}, "to": {"name": "Agent"}}
    assert compose(user_settings={"addRingCentralUserName": {"value": 1}}, call_log=call) == (
        "- RingCentral user name: Agent\n"
    )


class TestDuration:
    def test_an_absent_duration_writes_nothing(self) -> None:
        assert compose(user_settings={}) == ""
        assert compose(user_settings={}, duration=UNSET) == ""

    @pytest.mark.parametrize("duration", [None, 0, "", " "])
    def test_null_and_zero_durations_write_zero_seconds(self, duration: object) -> None:
        assert compose(user_settings={}, duration=duration) == "- Duration: 0 seconds\n"

    def test_a_pending_duration_is_printed_and_replaced_later(self) -> None:
        first = compose(user_settings={}, duration="pending")
        assert first == "- Duration: pending\n"
        assert (
            compose(user_settings={}, existing_body=first, duration=75)
            == "- Duration: 1 minute, 15 seconds\n"
        )


class TestDateTime:
    def test_start_time_falls_back_to_the_call_log(self) -> None:
        body = compose(user_settings={}, call_log={"startTime": START}, timezone_offset="-05:00")
        assert body == "- Date/Time: 2024-01-15 05:30:00 AM\n"

    def test_the_start_time_argument_wins_over_the_call_log(self) -> None:
        body = compose(user_settings={}, call_log={"startTime": "2020-01-01"}, start_time=1705314600000)
        assert body == "- Date/Time: 2024-01-15 10:30:00 AM\n"

    def test_the_users_date_format_is_used(self) -> None:
        settings = {"logDateFormat": {"value": "dddd, MMMM DD, YYYY"}}
        assert compose(user_settings=settings, start_time=START) == "- Date/Time: Monday, January 15, 2024\n"

    @pytest.mark.parametrize("fmt", [None, ""])
    def test_an_empty_date_format_means_the_default(self, fmt: str | None) -> None:
        settings = {"logDateFormat": {"value": fmt}}
        assert compose(user_settings=settings, start_time=START) == "- Date/Time: 2024-01-15 10:30:00 AM\n"


def test_update_with_null_contact_never_touches_the_contact_line() -> None:
    existing = "- Contact Number: +1\n"
    settings = {"addCallLogContactNumber": {"value": True}}
    assert compose(user_settings=settings, existing_body=existing, contact_info=None) == existing


def test_an_empty_string_cannot_clear_a_note() -> None:
    existing = "- Note: keep me\n"
    assert compose(user_settings={}, existing_body=existing, note="", subject="") == existing


def test_html_contact_label_uses_the_call_direction() -> None:
    body = compose(
        log_format=HTML,
        user_settings={"addCallLogContactNumber": {"value": True}},
        call_log={"direction": "Inbound"},
        contact_info={"phoneNumber": "+1"},
    )
    assert body == "<li><b>Caller phone number</b>: +1</li>"


def test_markdown_update_keeps_the_agents_text_between_items() -> None:
    existing = "## Agent notes\nold\n\n## Call details\n**Summary**: s\nagent text\n**Result**: r\n"
    body = compose(log_format=MD, user_settings={}, existing_body=existing, note="new", result="done")
    assert body == "## Agent notes\nnew\n\n## Call details\n**Summary**: s\nagent text\n**Result**: done\n"
