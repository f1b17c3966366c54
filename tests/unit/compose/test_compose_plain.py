"""Plain-text rules (spec §3.4), one helper at a time."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from appconnect.compose import (
    LogFormat,
    upsert_ai_note,
    upsert_call_agent_note,
    upsert_call_date_time,
    upsert_call_duration,
    upsert_call_recording,
    upsert_call_result,
    upsert_call_session_id,
    upsert_call_subject,
    upsert_contact_phone_number,
    upsert_legs,
    upsert_rc_number_and_extension,
    upsert_rc_user_name,
    upsert_ring_sense_ai_score,
    upsert_ring_sense_bulleted_summary,
    upsert_ring_sense_link,
    upsert_ring_sense_summary,
    upsert_ring_sense_transcript,
    upsert_transcript,
    upsert_voicemail_recording,
)

PLAIN = LogFormat.PLAIN
Upsert = Callable[..., str]
START = "2024-01-15T10:30:00Z"


class TestAgentNote:
    def test_note_is_prepended_to_an_existing_body(self) -> None:
        assert (
            upsert_call_agent_note("- Summary: s\n", "hi", log_format=PLAIN) == "- Note: hi\n- Summary: s\n"
        )

    def test_replacing_a_note_swallows_lines_typed_under_it_and_one_blank_line(self) -> None:
        body = "- Note: a\ntyped under the note\n\n- AI Note:\nx\n--- END\n"
        assert upsert_call_agent_note(body, "X", log_format=PLAIN) == "- Note: X\n- AI Note:\nx\n--- END\n"

    def test_the_older_agent_notes_label_is_replaced_by_note(self) -> None:
        body = "- Agent notes: old\n- Duration: 2 minutes\n"
        assert upsert_call_agent_note(body, "new", log_format=PLAIN) == "- Note: new\n- Duration: 2 minutes\n"

    def test_note_at_the_end_keeps_the_final_lf(self) -> None:
        assert upsert_call_agent_note("- Note: old\n", "new", log_format=PLAIN) == "- Note: new\n"

    def test_note_without_final_lf_is_replaced_to_the_end(self) -> None:
        assert upsert_call_agent_note("x\n- Note: old\nmore", "new", log_format=PLAIN) == "x\n- Note: new"

    def test_note_span_stops_at_an_item_label_with_slash_and_spaces(self) -> None:
        body = "- Note: old\n- Date/Time: now\n"
        assert upsert_call_agent_note(body, "new", log_format=PLAIN) == "- Note: new\n- Date/Time: now\n"

    def test_a_lower_case_dash_line_does_not_end_the_note(self) -> None:
        body = "- Note: old\n- buy milk: later\n- Summary: s\n"
        assert upsert_call_agent_note(body, "new", log_format=PLAIN) == "- Note: new\n- Summary: s\n"

    def test_empty_note_leaves_the_body_unchanged(self) -> None:
        assert upsert_call_agent_note("Existing content", "", log_format=PLAIN) == "Existing content"


class TestLineItems:
    @pytest.mark.parametrize(
        ("helper", "label"),
        [(upsert_call_session_id, "Session Id"), (upsert_call_subject, "Summary")],
    )
    def test_line_item_is_added_and_replaced(self, helper: Upsert, label: str) -> None:
        assert helper("", "one", log_format=PLAIN) == f"- {label}: one\n"
        assert helper(f"- {label}: old\n- Duration: 30 seconds\n", "new", log_format=PLAIN) == (
            f"- {label}: new\n- Duration: 30 seconds\n"
        )

    def test_replacing_a_line_item_collapses_the_blank_lines_after_it(self) -> None:
        body = "- Summary: old\n\n\nuser text\n"
        assert upsert_call_subject(body, "new", log_format=PLAIN) == "- Summary: new\nuser text\n"

    def test_a_line_item_without_final_lf_gains_one(self) -> None:
        assert upsert_call_session_id("- Session Id: old", "new", log_format=PLAIN) == "- Session Id: new\n"

    def test_only_the_first_occurrence_is_replaced(self) -> None:
        body = "- Summary: a\n- Summary: b\n"
        assert upsert_call_subject(body, "c", log_format=PLAIN) == "- Summary: c\n- Summary: b\n"

    def test_labels_are_case_sensitive(self) -> None:
        assert upsert_call_subject("- summary: a\n", "c", log_format=PLAIN) == "- summary: a\n- Summary: c\n"

    def test_rc_user_name_is_added_when_absent(self) -> None:
        assert upsert_rc_user_name("", "John Doe", log_format=PLAIN) == "- RingCentral user name: John Doe\n"

    def test_rc_user_name_replaces_only_a_pending_placeholder(self) -> None:
        pending = "- RingCentral user name:  (pending...) \n- Duration: 1 second\n"
        assert upsert_rc_user_name(pending, "John", log_format=PLAIN) == (
            "- RingCentral user name: John\n- Duration: 1 second\n"
        )
        named = "- RingCentral user name: Jane Smith\n"
        assert upsert_rc_user_name(named, "John", log_format=PLAIN) == named

    def test_rc_number_and_extension_are_written_with_a_space(self) -> None:
        assert upsert_rc_number_and_extension("", "+1555", extension="101", log_format=PLAIN) == (
            "- RingCentral number and extension: +1555 101\n"
        )
        body = "- RingCentral number and extension: +9999 999\n"
        assert upsert_rc_number_and_extension(body, "+1555", log_format=PLAIN) == (
            "- RingCentral number and extension: +1555 \n"
        )

    def test_rc_number_needs_a_number_or_an_extension(self) -> None:
        assert upsert_rc_number_and_extension("x", "", extension="", log_format=PLAIN) == "x"


class TestDashFreeItems:
    def test_duration_is_added_and_replaced_without_adding_an_lf(self) -> None:
        assert upsert_call_duration("", 120, log_format=PLAIN) == "- Duration: 2 minutes\n"
        assert (
            upsert_call_duration("- Duration: 2 minutes", 61, log_format=PLAIN)
            == "- Duration: 1 minute, 1 second"
        )

    def test_duration_none_writes_zero_seconds(self) -> None:
        assert upsert_call_duration("", None, log_format=PLAIN) == "- Duration: 0 seconds\n"

    def test_result_is_replaced_in_place(self) -> None:
        body = "- Result: Missed\n- Duration: 30 seconds\n"
        assert (
            upsert_call_result(body, "Answered", log_format=PLAIN)
            == "- Result: Answered\n- Duration: 30 seconds\n"
        )

    def test_contact_number_is_added(self) -> None:
        assert (
            upsert_contact_phone_number("", "+1234567890", log_format=PLAIN)
            == "- Contact Number: +1234567890\n"
        )

    def test_a_later_occurrence_is_used_when_the_first_has_a_dash(self) -> None:
        body = "- Result: a-b\n- Result: old\n"
        assert upsert_call_result(body, "new", log_format=PLAIN) == "- Result: a-b\n- Result: new\n"


class TestDateTime:
    def test_date_time_is_added_with_the_default_format(self) -> None:
        assert upsert_call_date_time("", START, log_format=PLAIN) == "- Date/Time: 2024-01-15 10:30:00 AM\n"

    def test_date_time_replaces_the_rest_of_its_line_only(self) -> None:
        body = "- Date/Time: yesterday\nuser line\n"
        assert upsert_call_date_time(body, START, log_format=PLAIN, log_date_format="HH:mm") == (
            "- Date/Time: 10:30\nuser line\n"
        )

    def test_date_time_must_start_a_line(self) -> None:
        body = "x - Date/Time: old\n"
        assert upsert_call_date_time(body, START, log_format=PLAIN, log_date_format="HH:mm") == (
            "x - Date/Time: old\n- Date/Time: 10:30\n"
        )

    @pytest.mark.parametrize("terminator", ["\r", "\u2028", "\u2029"])
    def test_javascript_line_terminators_start_and_end_the_date_line(self, terminator: str) -> None:
        body = f"a{terminator}- Date/Time: old{terminator}b"
        assert upsert_call_date_time(body, START, log_format=PLAIN, log_date_format="HH:mm") == (
            f"a{terminator}- Date/Time: 10:30{terminator}b"
        )

    def test_falsy_start_time_leaves_the_body_unchanged(self) -> None:
        assert upsert_call_date_time("x", "", log_format=PLAIN) == "x"

    def test_unreadable_start_time_prints_invalid_date(self) -> None:
        assert upsert_call_date_time("", "soon", log_format=PLAIN) == "- Date/Time: Invalid date\n"


class TestLinks:
    @pytest.mark.parametrize(
        ("helper", "label"),
        [
            (upsert_call_recording, "Call recording link"),
            (upsert_voicemail_recording, "Voicemail recording link"),
        ],
    )
    def test_recording_links_are_written_raw_and_replaced(self, helper: Upsert, label: str) -> None:
        assert helper("", "pending", log_format=PLAIN) == f"- {label}: pending\n"
        assert helper(f"- {label}: pending\n\n- AI Note:\n", "https://r/1", log_format=PLAIN) == (
            f"- {label}: https://r/1\n- AI Note:\n"
        )
        assert helper("text", "https://r/1", log_format=PLAIN) == f"text\n- {label}: https://r/1\n"

    def test_ace_link_is_found_case_insensitively_across_whitespace(self) -> None:
        body = "- ace RECORDING link:\n  https://old\nnext\n"
        assert upsert_ring_sense_link(body, "https://new", log_format=PLAIN) == (
            "- ACE recording link: https://new\nnext\n"
        )

    def test_ace_link_is_appended_when_absent(self) -> None:
        assert (
            upsert_ring_sense_link("", "https://l", log_format=PLAIN) == "- ACE recording link: https://l\n"
        )


class TestSections:
    @pytest.mark.parametrize(
        ("helper", "label"),
        [
            (upsert_ai_note, "AI Note"),
            (upsert_transcript, "Transcript"),
            (upsert_ring_sense_transcript, "ACE transcript"),
            (upsert_ring_sense_summary, "ACE summary"),
        ],
    )
    def test_sections_are_appended_after_a_blank_line_and_replaced_to_their_end_marker(
        self, helper: Upsert, label: str
    ) -> None:
        assert helper("x\n", "one", log_format=PLAIN) == f"x\n\n- {label}:\none\n--- END\n"
        body = f"a\n- {label}:\nold\nlines\n--- END\nb\n"
        assert helper(body, "new", log_format=PLAIN) == f"a\n- {label}:\nnew\n--- END\nb\n"

    def test_transcript_keeps_its_trailing_lfs(self) -> None:
        assert upsert_transcript("", "t\n", log_format=PLAIN) == "\n- Transcript:\nt\n\n--- END\n"

    def test_ai_note_and_ace_transcript_drop_trailing_lfs(self) -> None:
        assert upsert_ai_note("", "a\n\n", log_format=PLAIN) == "\n- AI Note:\na\n--- END\n"
        assert (
            upsert_ring_sense_transcript("", "t\n", log_format=PLAIN) == "\n- ACE transcript:\nt\n--- END\n"
        )

    def test_a_section_without_end_marker_consumes_the_next_section(self) -> None:
        body = "- AI Note:\nold\n- Transcript:\nt\n--- END\n"
        assert upsert_ai_note(body, "new", log_format=PLAIN) == "- AI Note:\nnew\n--- END\n"

    def test_score_is_added_and_replaced(self) -> None:
        assert upsert_ring_sense_ai_score("", "75", log_format=PLAIN) == "- Call score: 75\n"
        assert upsert_ring_sense_ai_score("- CALL SCORE:60", "88", log_format=PLAIN) == "- Call score: 88"

    def test_bulleted_summary_is_appended_as_a_section(self) -> None:
        assert upsert_ring_sense_bulleted_summary("", "- A\n- B", log_format=PLAIN) == (
            "\n- ACE bulleted summary:\n- A\n- B\n--- END\n"
        )

    def test_call_journey_is_appended_without_a_blank_line(self) -> None:
        legs = [{"direction": "Inbound", "to": {"phoneNumber": "+1"}}]
        assert (
            upsert_legs("x\n", legs, log_format=PLAIN)
            == "x\n- Call journey:\nReceived call at +1\n--- JOURNEY END\n"
        )

    @pytest.mark.parametrize("legs", [[], None])
    def test_no_legs_leave_the_body_unchanged(self, legs: list[object] | None) -> None:
        assert upsert_legs("Some existing body", legs, log_format=PLAIN) == "Some existing body"
