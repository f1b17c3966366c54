"""Every test vector of spec §3.8, byte for byte.

V-numbers come from the reference's unit tests, C-numbers from running the reference composer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest

from appconnect.compose import (
    LogFormat,
    compose_call_log,
    upsert_ai_note,
    upsert_call_agent_note,
    upsert_call_date_time,
    upsert_call_duration,
    upsert_call_recording,
    upsert_contact_phone_number,
    upsert_legs,
    upsert_ring_sense_ai_score,
    upsert_ring_sense_bulleted_summary,
    upsert_ring_sense_link,
    upsert_ring_sense_summary,
    upsert_ring_sense_transcript,
    upsert_transcript,
)

PLAIN, HTML, MD = LogFormat.PLAIN, LogFormat.HTML, LogFormat.MARKDOWN
START = "2023-01-01T12:00:00Z"
REC = "https://example.com/recording.mp3"
ANCHOR = '<a target="_blank" href="https://example.com/recording.mp3">open</a>'

SINGLE_UPSERTS: list[tuple[str, Callable[[], str], str]] = [
    ("V1", lambda: upsert_call_agent_note("", "Test note", log_format=PLAIN), "- Note: Test note\n"),
    (
        "V2",
        lambda: upsert_call_agent_note(
            "- Note: Old note\nwith multiple lines\n- Duration: 30 seconds\n", "New note", log_format=PLAIN
        ),
        "- Note: New note\n- Duration: 30 seconds\n",
    ),
    (
        "V3",
        lambda: upsert_call_agent_note("", "Test note", log_format=HTML),
        "<b>Agent notes</b><br>Test note<br><br><b>Call details</b><br>",
    ),
    (
        "V4",
        lambda: upsert_call_agent_note(
            "<b>Agent notes</b><br>Old note<br><br><b>Call details</b><br>Some details",
            "New note",
            log_format=HTML,
        ),
        "<b>Agent notes</b><br>New note<br><br><b>Call details</b><br>Some details",
    ),
    (
        "V5",
        lambda: upsert_contact_phone_number(
            "- Contact Number: +0987654321\n- Duration: 30 seconds\n",
            "+1234567890",
            log_format=PLAIN,
            direction="Inbound",
        ),
        "- Contact Number: +1234567890\n\n- Duration: 30 seconds\n",
    ),
    (
        "V6 offset +05:30",
        lambda: upsert_call_date_time("", START, log_format=HTML, timezone_offset="+05:30"),
        "<li><b>Date/time</b>: 2023-01-01 05:30:00 PM</li>",
    ),
    (
        "V6 offset 330",
        lambda: upsert_call_date_time("", START, log_format=HTML, timezone_offset=330),
        "<li><b>Date/time</b>: 2023-01-01 05:30:00 PM</li>",
    ),
    (
        "V7",
        lambda: upsert_call_date_time("", START, log_format=HTML, timezone_offset="-4"),
        "<li><b>Date/time</b>: 2023-01-01 08:00:00 AM</li>",
    ),
    (
        "V8",
        lambda: upsert_call_date_time(
            "- Date/Time: 2023-01-01 12:00:00 AM\n- Duration: 30 seconds\n",
            START,
            log_format=PLAIN,
            timezone_offset="+08:00",
        ),
        "- Date/Time: 2023-01-01 08:00:00 PM\n- Duration: 30 seconds\n",
    ),
    (
        "V9",
        lambda: upsert_call_duration("- Duration: 30 seconds\n- Result: Answered\n", 90, log_format=PLAIN),
        "- Duration: 1 minute, 30 seconds\n- Result: Answered\n",
    ),
    (
        "V10",
        lambda: upsert_call_recording("<ul><li><b>Duration</b>: 30 seconds</li></ul>", REC, log_format=HTML),
        f"<ul><li><b>Duration</b>: 30 seconds</li><li><b>Call recording link</b>: {ANCHOR}</li></ul>",
    ),
    (
        "V11 pending",
        lambda: upsert_call_recording("", "pending-recording-id", log_format=HTML),
        "<li><b>Call recording link</b>: (pending...)</li>",
    ),
    (
        "V11 then link",
        lambda: upsert_call_recording(
            upsert_call_recording("", "pending-recording-id", log_format=HTML), REC, log_format=HTML
        ),
        f"<li><b>Call recording link</b>: {ANCHOR}</li>",
    ),
    (
        "V12",
        lambda: upsert_call_recording("Some content", REC, log_format=PLAIN),
        f"Some content\n- Call recording link: {REC}\n",
    ),
    (
        "V13",
        lambda: upsert_ai_note("", "AI note\n\n\n", log_format=PLAIN),
        "\n- AI Note:\nAI note\n--- END\n",
    ),
    (
        "V14",
        lambda: upsert_ai_note("", "AI note\nwith multiple\nlines", log_format=HTML),
        "<div><b>AI Note</b><br>AI note<br>with multiple<br>lines</div><br>",
    ),
    (
        "V15",
        lambda: upsert_transcript(
            "- Transcript:\nOld transcript\n--- END\n", "New transcript", log_format=PLAIN
        ),
        "- Transcript:\nNew transcript\n--- END\n",
    ),
    (
        "V16",
        lambda: upsert_ring_sense_transcript("", "RS transcript", log_format=PLAIN),
        "\n- ACE transcript:\nRS transcript\n--- END\n",
    ),
    (
        "V17",
        lambda: upsert_ring_sense_ai_score("- Call score: 60\n- Result: Answered\n", "88", log_format=PLAIN),
        "- Call score: 88\n- Result: Answered\n",
    ),
    (
        "V18",
        lambda: upsert_ring_sense_link(
            "- ACE recording link: https://old.link\n- Duration: 30 seconds\n",
            "https://ringsense.example.com/new",
            log_format=PLAIN,
        ),
        "- ACE recording link: https://ringsense.example.com/new\n- Duration: 30 seconds\n",
    ),
    (
        "V19",
        lambda: upsert_ring_sense_summary(
            "<div><b>ACE summary</b><br>Old summary</div>", "New summary\nwith details\n", log_format=HTML
        ),
        "<div><b>ACE summary</b><br>New summary<br>with details</div>",
    ),
    (
        "V20",
        lambda: upsert_contact_phone_number("**Contact Number**: +111\n", "+222", log_format=MD),
        "**Contact Number**: +222\n",
    ),
    (
        "V21",
        lambda: upsert_call_date_time(
            "<li><b>Date/time</b>: old date</li>",
            "2024-01-15T10:30:00Z",
            log_format=HTML,
            timezone_offset="+00:00",
            log_date_format="YYYY-MM-DD HH:mm",
        ),
        "<li><b>Date/time</b>: 2024-01-15 10:30</li>",
    ),
    (
        "C1",
        lambda: upsert_ring_sense_bulleted_summary(
            "\n- ACE bulleted summary:\n- A\n- B\n--- END\n", "- C", log_format=PLAIN
        ),
        "\n- ACE bulleted summary:\n- C\n--- END\n- B\n--- END\n",
    ),
    (
        "C2",
        lambda: upsert_contact_phone_number(
            "- Contact Number: +1-555-0100\n- Duration: 2 minutes\n", "+2", log_format=PLAIN
        ),
        "- Contact Number: +1-555-0100\n- Duration: 2 minutes\n- Contact Number: +2\n",
    ),
    (
        "C3",
        lambda: upsert_call_agent_note(
            "## Call details\n**Summary**: Test Call\n", "Late note", log_format=MD
        ),
        "## Agent notes\nLate note\n\n## Call details\n**Summary**: Test Call\n",
    ),
]


@pytest.mark.parametrize(
    ("run", "expected"), [pytest.param(run, out, id=vid) for vid, run, out in SINGLE_UPSERTS]
)
def test_single_upsert_vector_matches_the_reference(run: Callable[[], str], expected: str) -> None:
    assert run() == expected


LEGS: list[dict[str, Any]] = [
    {
        "direction": "Outbound",
        "from": {"name": "Agent", "phoneNumber": "+100", "extensionNumber": "101"},
        "to": {"name": "John", "phoneNumber": "+200"},
        "duration": 30,
    },
    {
        "direction": "Outbound",
        "legType": "PstnToSip",
        "from": {"name": "Agent", "phoneNumber": "+100", "extensionNumber": "101"},
        "to": {"name": "Queue", "extensionNumber": "500"},
        "duration": 45,
    },
]
J = "Made call from Agent, +100, ext 101\nTransferred to Queue, ext 500, duration: 45 seconds"
V26_BODY = (
    "- Note: From auto logging 123\n- Summary: Inbound Call from Embbnux Rcorg\n"
    "- Contact Number: +16579991394- Call journey:\nMade call from Agent, +000, ext 101\n"
    "Transferred to Queue, ext 500, duration: 12 seconds\n--- JOURNEY END\n"
)
V26_PREFIX = V26_BODY[: V26_BODY.index("- Call journey:\n") + len("- Call journey:\n")]

JOURNEY_VECTORS: list[tuple[str, Callable[[], str], str]] = [
    ("V22", lambda: upsert_legs("", LEGS, log_format=PLAIN), "- Call journey:\n" + J + "\n--- JOURNEY END\n"),
    (
        "V23",
        lambda: upsert_legs("", LEGS, log_format=HTML),
        "<div><b>Call journey</b><br>Made call from Agent, +100, ext 101<br>"
        "Transferred to Queue, ext 500, duration: 45 seconds</div>",
    ),
    ("V24", lambda: upsert_legs("", LEGS, log_format=MD), "### Call journey\n" + J + "\n"),
    (
        "V25",
        lambda: upsert_legs(
            "### Call journey\nMade call from Agent, +000, ext 101\n"
            "Transferred to Queue, ext 500, duration: 12 seconds\n",
            LEGS,
            log_format=MD,
        ),
        "### Call journey\n" + J + "\n\n",
    ),
    ("V26", lambda: upsert_legs(V26_BODY, LEGS, log_format=PLAIN), V26_PREFIX + J + "\n--- JOURNEY END\n"),
    (
        "V27",
        lambda: upsert_call_agent_note(V26_BODY, "New note", log_format=PLAIN),
        V26_BODY.replace("- Note: From auto logging 123", "- Note: New note", 1),
    ),
]


@pytest.mark.parametrize(
    ("run", "expected"), [pytest.param(run, out, id=vid) for vid, run, out in JOURNEY_VECTORS]
)
def test_call_journey_vector_matches_the_reference(run: Callable[[], str], expected: str) -> None:
    assert run() == expected


CALL_LOG: dict[str, Any] = {
    "sessionId": "session-123",
    "direction": "Outbound",
    "startTime": "2024-01-15T10:30:00Z",
    "duration": 120,
    "result": "Completed",
    "from": {"phoneNumber": "+1234567890", "name": "John Doe"},
    "to": {"phoneNumber": "+0987654321", "name": "Jane Smith"},
}
COMMON: dict[str, Any] = {
    "contact_info": {"phoneNumber": "+0987654321"},
    "note": "Test note",
    "subject": "Test Call",
    "start_time": "2024-01-15T10:30:00Z",
    "duration": 120,
    "result": "Completed",
    "recording_link": "https://recording.example.com/123",
}
REC_123 = '<a target="_blank" href="https://recording.example.com/123">open</a>'

C4 = {
    PLAIN: "- Note: Test note\n- Summary: Test Call\n- Date/Time: 2024-01-15 10:30:00 AM\n"
    "- Duration: 2 minutes\n- Result: Completed\n- Call recording link: https://recording.example.com/123\n",
    HTML: "<b>Agent notes</b><br>Test note<br><br><b>Call details</b><br><li><b>Summary</b>: Test Call</li>"
    "<li><b>Date/time</b>: 2024-01-15 10:30:00 AM</li><li><b>Duration</b>: 2 minutes</li>"
    f"<li><b>Result</b>: Completed</li><li><b>Call recording link</b>: {REC_123}</li>",
    MD: "## Agent notes\nTest note\n\n## Call details\n**Summary**: Test Call\n"
    "**Date/Time**: 2024-01-15 10:30:00 AM\n**Duration**: 2 minutes\n**Result**: Completed\n"
    "**Call recording link**: https://recording.example.com/123\n",
}


def compose(
    log_format: str,
    *,
    call_log: Mapping[str, Any] | None = None,
    user_settings: Mapping[str, Any] | None = None,
    timezone_offset: str | None = None,
    **inputs: Any,
) -> str:
    return compose_call_log(
        log_format=log_format,
        call_log=call_log,
        contact_info=inputs.pop("contact_info", None),
        user_settings=user_settings,
        timezone_offset=timezone_offset,
        **inputs,
    )


@pytest.mark.parametrize("log_format", [PLAIN, HTML, MD])
def test_c4_default_settings_compose_a_fresh_body(log_format: LogFormat) -> None:
    body = compose(log_format, call_log=CALL_LOG, user_settings={}, timezone_offset="+00:00", **COMMON)
    assert body == C4[log_format]


C5 = {
    PLAIN: "- Note: Test note\n- Session Id: session-123\n- RingCentral user name: John Doe\n"
    "- RingCentral number and extension: +1234567890 \n- Summary: Test Call\n- Contact Number: +0987654321\n"
    "- Date/Time: 2024-01-15 05:30:00 AM\n- Duration: 2 minutes\n- Result: Completed\n"
    "- Call recording link: https://recording.example.com/123\n\n- AI Note:\nAI summary line 1\nAI line 2\n"
    "--- END\n\n- Transcript:\nAgent: Hi\nCustomer: Hello\n--- END\n- Call journey:\n"
    "Made call from John Doe, +1234567890, ext 101\nTransferred to Queue, ext 202, duration: 1 second\n"
    "--- JOURNEY END\n",
    HTML: "<b>Agent notes</b><br>Test note<br><br><b>Call details</b><br>"
    "<li><b>Session Id</b>: session-123</li><li><b>RingCentral user name</b>: John Doe</li>"
    "<li><b>RingCentral number and extension</b>: +1234567890 </li>"
    "<li><b>Summary</b>: Test Call</li><li><b>Recipient phone number</b>: +0987654321</li>"
    "<li><b>Date/time</b>: 2024-01-15 05:30:00 AM</li><li><b>Duration</b>: 2 minutes</li>"
    f"<li><b>Result</b>: Completed</li><li><b>Call recording link</b>: {REC_123}</li>"
    "<div><b>AI Note</b><br>AI summary line 1<br>AI line 2</div><br>"
    "<div><b>Transcript</b><br>Agent: Hi<br>Customer: Hello</div><br>"
    "<div><b>Call journey</b><br>Made call from John Doe, +1234567890, ext 101<br>"
    "Transferred to Queue, ext 202, duration: 1 second</div>",
    MD: "## Agent notes\nTest note\n\n## Call details\n**Session Id**: session-123\n"
    "**RingCentral user name**: John Doe\n**RingCentral number and extension**: +1234567890 \n"
    "**Summary**: Test Call\n**Contact Number**: +0987654321\n**Date/Time**: 2024-01-15 05:30:00 AM\n"
    "**Duration**: 2 minutes\n**Result**: Completed\n**Call recording link**: https://recording.example.com/123\n"
    "### AI Note\nAI summary line 1\nAI line 2\n### Transcript\nAgent: Hi\nCustomer: Hello\n"
    "### Call journey\nMade call from John Doe, +1234567890, ext 101\n"
    "Transferred to Queue, ext 202, duration: 1 second\n",
}


@pytest.mark.parametrize("log_format", [PLAIN, HTML, MD])
def test_c5_every_optional_item_composes_in_table_order(log_format: LogFormat) -> None:
    call_log = {
        **CALL_LOG,
        "from": {**CALL_LOG["from"], "extensionNumber": "101"},
        "legs": [
            {
                "direction": "Outbound",
                "from": {"phoneNumber": "+1234567890", "extensionNumber": "101", "name": "John Doe"},
                "to": {"phoneNumber": "+0987654321"},
                "duration": 60,
            },
            {
                "direction": "Outbound",
                "legType": "PstnToSip",
                "from": {"phoneNumber": "+1234567890"},
                "to": {"extensionNumber": "202", "name": "Queue"},
                "duration": 1,
            },
        ],
    }
    settings = {
        key: {"value": True}
        for key in (
            "addCallSessionId",
            "addRingCentralUserName",
            "addRingCentralNumber",
            "addCallLogContactNumber",
        )
    }
    body = compose(
        log_format,
        call_log=call_log,
        user_settings=settings,
        timezone_offset="-05:00",
        ai_note="AI summary line 1\nAI line 2\n",
        transcript="Agent: Hi\nCustomer: Hello",
        **COMMON,
    )
    assert body == C5[log_format]


C6 = {
    PLAIN: "- Note: Edited note\n- Summary: Test Call\n- Date/Time: 2024-01-15 10:30:00 AM\n"
    "- Duration: 3 minutes, 5 seconds\n- Result: Call connected\n"
    "- Call recording link: https://recording.example.com/456\n",
    HTML: "<b>Agent notes</b><br>Edited note<br><br><b>Call details</b><br><li><b>Summary</b>: Test Call</li>"
    "<li><b>Date/time</b>: 2024-01-15 10:30:00 AM</li><li><b>Duration</b>: 3 minutes, 5 seconds</li>"
    "<li><b>Result</b>: Call connected</li><li><b>Call recording link</b>: "
    '<a target="_blank" href="https://recording.example.com/456">open</a></li>',
    MD: "## Agent notes\nEdited note\n\n## Call details\n**Summary**: Test Call\n"
    "**Date/Time**: 2024-01-15 10:30:00 AM\n**Duration**: 3 minutes, 5 seconds\n**Result**: Call connected\n"
    "**Call recording link**: https://recording.example.com/456\n",
}


@pytest.mark.parametrize("log_format", [PLAIN, HTML, MD])
def test_c6_update_rewrites_items_in_place(log_format: LogFormat) -> None:
    body = compose(
        log_format,
        existing_body=C4[log_format],
        call_log={
            "sessionId": "session-123",
            "direction": "Outbound",
            "startTime": CALL_LOG["startTime"],
            "legs": [],
        },
        user_settings={},
        timezone_offset="+00:00",
        note="Edited note",
        subject="Test Call",
        start_time="2024-01-15T10:30:00Z",
        duration=185,
        result="Call connected",
        recording_link="https://recording.example.com/456",
    )
    assert body == C6[log_format]


def test_c7_recording_arrives_later_and_the_users_free_text_survives() -> None:
    existing = (
        "- Note: Test note\n- Summary: Test Call\n- Date/Time: 2024-01-15 10:30:00 AM\n"
        "- Duration: 2 minutes\n- Result: Completed\nCustomer asked for a quote\n"
    )
    body = compose(
        PLAIN,
        existing_body=existing,
        call_log={"sessionId": "s", "legs": []},
        user_settings={},
        recording_link="https://rec.example.com/9",
    )
    assert body == existing + "- Call recording link: https://rec.example.com/9\n"


def test_c8_html_body_wrapped_in_ul_gets_the_recording_inside_the_list() -> None:
    existing = (
        "<b>Agent notes</b><br>Test note<br><br><b>Call details</b><br><ul><li><b>Summary</b>: Test Call</li>"
        "<li><b>Duration</b>: 2 minutes</li></ul><p>typed by user</p>"
    )
    body = compose(
        HTML,
        existing_body=existing,
        call_log={"sessionId": "s", "legs": []},
        user_settings={},
        duration=61,
        recording_link="https://rec.example.com/9",
    )
    assert body == (
        "<b>Agent notes</b><br>Test note<br><br><b>Call details</b><br><ul><li><b>Summary</b>: Test Call</li>"
        "<li><b>Duration</b>: 1 minute, 1 second</li><li><b>Call recording link</b>: "
        '<a target="_blank" href="https://rec.example.com/9">open</a></li></ul><p>typed by user</p>'
    )


C9 = {
    PLAIN: "\n- ACE transcript:\nRS transcript\n--- END\n\n- ACE summary:\nRS summary\n\n--- END\n"
    "- Call score: 85\n\n- ACE bulleted summary:\n- Item 1\n- Item 2\n--- END\n"
    "- ACE recording link: https://rs.example.com/1\n",
    HTML: "<div><b>ACE transcript</b><br>RS transcript</div><div><b>ACE summary</b><br>RS summary</div>"
    "<li><b>Call score</b>: 85</li><div><b>ACE bulleted summary</b><br>- Item 1<br>- Item 2</div>"
    '<li><b>ACE recording link</b>: <a target="_blank" href="https://rs.example.com/1">open</a></li>',
    MD: "### ACE transcript\nRS transcript\n### ACE summary\nRS summary\n\n**Call score**: 85\n"
    "### ACE bulleted summary\n- Item 1\n- Item 2\n**ACE recording link**: https://rs.example.com/1\n",
}


@pytest.mark.parametrize("log_format", [PLAIN, HTML, MD])
def test_c9_ringsense_artefacts_compose_on_a_fresh_body(log_format: LogFormat) -> None:
    body = compose(
        log_format,
        user_settings={},
        ring_sense_transcript="RS transcript\n",
        ring_sense_summary="RS summary\n",
        ring_sense_ai_score="85",
        ring_sense_bulleted_summary="- Item 1\n- Item 2",
        ring_sense_link="https://rs.example.com/1",
    )
    assert body == C9[log_format]


def test_c10_plain_recording_and_voicemail_both_appear() -> None:
    body = compose(
        PLAIN,
        user_settings={},
        recording_link="https://rec.example.com/1",
        voicemail_link="https://vm.example.com/1",
    )
    assert (
        body
        == "- Call recording link: https://rec.example.com/1\n- Voicemail recording link: https://vm.example.com/1\n"
    )


def test_c10_html_pending_voicemail_shows_a_placeholder() -> None:
    body = compose(HTML, user_settings={}, voicemail_link="pending")
    assert body == "<li><b>Voicemail recording link</b>: (pending...)</li>"


def test_c10_compose_without_inputs_returns_an_empty_body() -> None:
    assert compose(PLAIN, user_settings={}) == ""


def test_c10_html_without_note_has_no_call_details_header() -> None:
    body = compose(HTML, user_settings={"addCallLogNote": {"value": False}}, note="n", subject="s")
    assert body == "<li><b>Summary</b>: s</li>"


def test_c10_inbound_number_takes_the_extension_of_the_other_party() -> None:
    body = compose(
        PLAIN,
        call_log={
            "direction": "Inbound",
            "from": {"phoneNumber": "+1555", "extensionNumber": "7"},
            "to": {"phoneNumber": "+1666", "extensionNumber": "101", "name": "Agent A"},
        },
        user_settings={"addRingCentralUserName": {"value": True}, "addRingCentralNumber": {"value": True}},
    )
    assert body == "- RingCentral user name: Agent A\n- RingCentral number and extension: +1666 7\n"
