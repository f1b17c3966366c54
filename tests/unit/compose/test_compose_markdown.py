"""Markdown rules (spec §3.6), one helper at a time."""

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

MD = LogFormat.MARKDOWN
Upsert = Callable[..., str]


class TestAgentNote:
    def test_note_on_an_empty_body_opens_both_headings(self) -> None:
        assert upsert_call_agent_note("", "n", log_format=MD) == "## Agent notes\nn\n\n## Call details\n"

    def test_note_is_replaced_up_to_the_call_details_heading(self) -> None:
        body = "## Agent notes\nold\n\nmore\n## Call details\n**Summary**: s\n"
        assert upsert_call_agent_note(body, "new", log_format=MD) == (
            "## Agent notes\nnew\n\n## Call details\n**Summary**: s\n"
        )

    def test_an_empty_old_note_is_replaced(self) -> None:
        body = "## Agent notes\n\n## Call details\n"
        assert (
            upsert_call_agent_note(body, "new", log_format=MD) == "## Agent notes\nnew\n\n## Call details\n"
        )


class TestLineItems:
    @pytest.mark.parametrize(
        ("helper", "label", "value"),
        [
            (upsert_call_session_id, "Session Id", "s1"),
            (upsert_call_subject, "Summary", "Call"),
            (upsert_call_result, "Result", "Call-connected"),
            (upsert_contact_phone_number, "Contact Number", "+1-555"),
            (upsert_ring_sense_ai_score, "Call score", "90"),
            (upsert_call_recording, "Call recording link", "pending"),
            (upsert_voicemail_recording, "Voicemail recording link", "https://vm"),
        ],
    )
    def test_line_item_is_appended_and_replaced_with_its_lfs(
        self, helper: Upsert, label: str, value: str
    ) -> None:
        assert helper("", value, log_format=MD) == f"**{label}**: {value}\n"
        assert (
            helper(f"**{label}**: old\n\n\ntext\n", value, log_format=MD) == f"**{label}**: {value}\ntext\n"
        )

    def test_duration_and_date_time(self) -> None:
        assert (
            upsert_call_duration("**Duration**: 1 minute\n", 180, log_format=MD)
            == "**Duration**: 3 minutes\n"
        )
        assert upsert_call_date_time(
            "**Date/Time**: 2024-01-01 09:00:00 AM\n",
            "2024-01-15T10:30:00Z",
            log_format=MD,
            log_date_format="YYYY-MM-DD",
        ) == ("**Date/Time**: 2024-01-15\n")

    def test_fixed_labels_are_case_sensitive(self) -> None:
        assert (
            upsert_call_subject("**summary**: old\n", "new", log_format=MD)
            == "**summary**: old\n**Summary**: new\n"
        )

    def test_rc_labels_are_case_insensitive(self) -> None:
        assert upsert_rc_number_and_extension(
            "**ringcentral NUMBER and extension**: 1\n", "+2", log_format=MD
        ) == ("**RingCentral number and extension**: +2 \n")
        assert upsert_rc_user_name("**RINGCENTRAL user name**: (pending...)\n", "Ann", log_format=MD) == (
            "**RingCentral user name**: Ann\n"
        )

    def test_rc_user_name_keeps_a_real_name(self) -> None:
        body = "**RingCentral user name**: Bob\n"
        assert upsert_rc_user_name(body, "Ann", log_format=MD) == body


class TestSections:
    @pytest.mark.parametrize(
        ("helper", "label"),
        [
            (upsert_ai_note, "AI Note"),
            (upsert_transcript, "Transcript"),
            (upsert_ring_sense_transcript, "ACE transcript"),
            (upsert_ring_sense_summary, "ACE summary"),
            (upsert_ring_sense_bulleted_summary, "ACE bulleted summary"),
        ],
    )
    def test_section_runs_to_the_next_heading(self, helper: Upsert, label: str) -> None:
        assert helper("", "one", log_format=MD) == f"### {label}\none\n"
        body = f"### {label}\nold\nlines\n### Next\nx\n"
        assert helper(body, "new", log_format=MD) == f"### {label}\nnew\n\n### Next\nx\n"

    def test_a_replaced_section_gets_one_blank_line_that_does_not_grow(self) -> None:
        once = upsert_ai_note("### AI Note\nold\n", "new", log_format=MD)
        assert once == "### AI Note\nnew\n\n"
        assert upsert_ai_note(once, "new", log_format=MD) == once

    def test_summary_keeps_trailing_lfs_but_ai_note_drops_them(self) -> None:
        assert upsert_ring_sense_summary("", "s\n", log_format=MD) == "### ACE summary\ns\n\n"
        assert upsert_ai_note("", "a\n\n", log_format=MD) == "### AI Note\na\n"

    def test_ace_link_is_found_case_insensitively_and_leaves_its_old_lf(self) -> None:
        assert upsert_ring_sense_link("", "https://l", log_format=MD) == "**ACE recording link**: https://l\n"
        body = "**ace recording link**: https://old\n**Result**: r\n"
        assert upsert_ring_sense_link(body, "https://new", log_format=MD) == (
            "**ACE recording link**: https://new\n\n**Result**: r\n"
        )

    def test_call_journey_section(self) -> None:
        legs = [{"direction": "Inbound", "to": {"name": "Desk", "phoneNumber": "+1"}}]
        assert upsert_legs("x\n", legs, log_format=MD) == "x\n### Call journey\nReceived call at Desk, +1\n"
