"""Reference quirks that change body text (spec §6 R-5 to R-9, P-10): kept on purpose, pinned here."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from appconnect.compose import (
    LogFormat,
    compose_call_log,
    upsert_ai_note,
    upsert_call_agent_note,
    upsert_call_duration,
    upsert_call_recording,
    upsert_call_result,
    upsert_call_subject,
    upsert_contact_phone_number,
    upsert_legs,
    upsert_ring_sense_bulleted_summary,
    upsert_ring_sense_link,
    upsert_ring_sense_summary,
)

PLAIN, HTML, MD = LogFormat.PLAIN, LogFormat.HTML, LogFormat.MARKDOWN
TRICKY = r"cost $& and $1 and $$ and \1 and \g<0> and $'"


def test_r5_outbound_number_takes_the_extension_of_the_callee() -> None:
    body = compose_call_log(
        log_format=PLAIN,
        call_log={
            "direction": "Outbound",
            "from": {"phoneNumber": "+1555", "extensionNumber": "101", "name": "Agent"},
            "to": {"phoneNumber": "+1666", "extensionNumber": "9"},
        },
        contact_info=None,
        user_settings={"addRingCentralNumber": {"value": True}},
        timezone_offset=None,
    )
    assert body == "- RingCentral number and extension: +1555 9\n"


def test_r6_note_with_replacement_patterns_is_inserted_literally() -> None:
    # The reference would write `- Note: cost - Note: old and old and $` here.
    body = upsert_call_agent_note(
        "- Note: old\n- Duration: 1 second\n", "cost $& and $1 and $$", log_format=PLAIN
    )
    assert body == "- Note: cost $& and $1 and $$\n- Duration: 1 second\n"


@pytest.mark.parametrize(
    ("helper", "body"),
    [
        (upsert_call_subject, "- Summary: old\n"),
        (upsert_call_result, "- Result: old\n"),
        (upsert_call_recording, "- Call recording link: old\n"),
        (upsert_ring_sense_link, "- ACE recording link: old\n"),
        (upsert_ai_note, "- AI Note:\nold\n--- END\n"),
        (upsert_ring_sense_summary, "- ACE summary:\nold\n--- END\n"),
    ],
)
def test_r6_replacement_text_is_literal_in_every_plain_rule(helper: Callable[..., str], body: str) -> None:
    assert TRICKY in helper(body, TRICKY, log_format=PLAIN)
    assert "old" not in helper(body, TRICKY, log_format=PLAIN)


@pytest.mark.parametrize("log_format", [HTML, MD])
def test_r6_replacement_text_is_literal_in_html_and_markdown(log_format: LogFormat) -> None:
    once = upsert_call_subject("", "old", log_format=log_format)
    assert TRICKY in upsert_call_subject(once, TRICKY, log_format=log_format)
    note = upsert_call_agent_note("", "old", log_format=log_format)
    assert TRICKY in upsert_call_agent_note(note, TRICKY, log_format=log_format)


def test_r6_html_recording_inserted_before_ul_is_literal() -> None:
    body = upsert_call_recording("<ul></ul>", "https://r/$&", log_format=HTML)
    assert (
        body
        == '<ul><li><b>Call recording link</b>: <a target="_blank" href="https://r/$&">open</a></li></ul>'
    )


def test_r7_each_plain_contact_number_replacement_adds_a_blank_line() -> None:
    once = upsert_contact_phone_number("- Contact Number: +1\n- Duration: 1 second\n", "+2", log_format=PLAIN)
    twice = upsert_contact_phone_number(once, "+2", log_format=PLAIN)
    assert once == "- Contact Number: +2\n\n- Duration: 1 second\n"
    assert twice == "- Contact Number: +2\n\n\n- Duration: 1 second\n"


def test_r8_plain_bulleted_summary_replaces_only_the_first_old_line() -> None:
    body = "\n- ACE bulleted summary:\n- A\n- B\n--- END\n"
    assert upsert_ring_sense_bulleted_summary(body, "- C", log_format=PLAIN) == (
        "\n- ACE bulleted summary:\n- C\n--- END\n- B\n--- END\n"
    )


@pytest.mark.parametrize(
    ("helper", "label", "old", "new"),
    [
        (upsert_call_result, "Result", "Call-connected", "Answered"),
        (upsert_contact_phone_number, "Contact Number", "+1-555-0100", "+2"),
        (upsert_call_duration, "Duration", "pending-1", 61),
    ],
)
def test_r9_plain_values_with_a_dash_are_not_recognised_and_a_second_line_is_added(
    helper: Callable[..., str], label: str, old: str, new: object
) -> None:
    body = f"- {label}: {old}\n"
    result = helper(body, new, log_format=PLAIN)
    assert result.startswith(body)
    assert result.count(f"- {label}: ") == 2


def test_r9_a_result_with_a_dash_duplicates_on_every_update() -> None:
    once = upsert_call_result("", "Call-connected", log_format=PLAIN)
    assert upsert_call_result(once, "Call-connected", log_format=PLAIN) == once * 2


def test_p10_html_values_are_not_escaped() -> None:
    body = compose_call_log(
        log_format=HTML,
        call_log=None,
        contact_info=None,
        user_settings={},
        timezone_offset=None,
        note="<script>x</script>",
        subject="A & B",
    )
    assert body == (
        "<b>Agent notes</b><br><script>x</script><br><br><b>Call details</b><br>"
        "<li><b>Summary</b>: A & B</li>"
    )


def test_markdown_ace_link_update_adds_one_more_blank_line_each_time() -> None:
    once = upsert_ring_sense_link("**ACE recording link**: a\n", "b", log_format=MD)
    assert once == "**ACE recording link**: b\n\n"
    assert upsert_ring_sense_link(once, "b", log_format=MD) == "**ACE recording link**: b\n\n\n"


def test_markdown_section_update_swallows_detail_lines_up_to_the_next_heading() -> None:
    # Spec §3.3 "MD section": a section runs to the next `### `; the Call score line after the ACE
    # summary in a fresh body is part of it and disappears when the summary is updated.
    body = "### ACE summary\nold\n\n**Call score**: 85\n### ACE bulleted summary\n- a\n"
    assert upsert_ring_sense_summary(body, "new", log_format=MD) == (
        "### ACE summary\nnew\n\n### ACE bulleted summary\n- a\n"
    )


def test_a_plain_journey_whose_end_marker_was_deleted_is_added_again() -> None:
    body = "- Call journey:\nold\n- Note typed later\n"
    legs = [{"direction": "Inbound", "to": {"phoneNumber": "+1"}}]
    result = upsert_legs(body, legs, log_format=PLAIN)
    assert result == body + "- Call journey:\nReceived call at +1\n--- JOURNEY END\n"
