"""HTML rules (spec §3.5), one helper at a time."""

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

HTML = LogFormat.HTML
Upsert = Callable[..., str]


def anchor(label: str, link: str) -> str:
    return f'<li><b>{label}</b>: <a target="_blank" href="{link}">open</a></li>'


class TestAgentNote:
    def test_note_opens_the_body_with_the_call_details_header(self) -> None:
        assert upsert_call_agent_note("<li>x</li>", "n", log_format=HTML) == (
            "<b>Agent notes</b><br>n<br><br><b>Call details</b><br><li>x</li>"
        )

    def test_replacing_the_note_spans_lines_up_to_call_details(self) -> None:
        body = "<b>Agent notes</b><br>old\nline two<br><br><b>Call details</b><br><li>x</li>"
        assert upsert_call_agent_note(body, "new", log_format=HTML) == (
            "<b>Agent notes</b><br>new<br><br><b>Call details</b><br><li>x</li>"
        )


class TestListItems:
    @pytest.mark.parametrize(
        ("helper", "label", "value"),
        [
            (upsert_call_session_id, "Session Id", "s1"),
            (upsert_call_subject, "Summary", "Call"),
            (upsert_call_result, "Result", "Answered"),
            (upsert_ring_sense_ai_score, "Call score", "90"),
        ],
    )
    def test_list_item_is_appended_and_replaced(self, helper: Upsert, label: str, value: str) -> None:
        assert helper("", value, log_format=HTML) == f"<li><b>{label}</b>: {value}</li>"
        assert helper(f"<li><b>{label}</b>: old</li><p>x</p>", value, log_format=HTML) == (
            f"<li><b>{label}</b>: {value}</li><p>x</p>"
        )

    def test_list_item_without_li_wrapper_is_found_and_wrapped(self) -> None:
        assert upsert_call_subject("<p><b>Summary</b>:  old</p>", "new", log_format=HTML) == (
            "<p><li><b>Summary</b>: new</li></p>"
        )

    def test_list_item_label_is_case_insensitive(self) -> None:
        assert upsert_call_subject("<LI><B>summary</B>: old</LI>", "new", log_format=HTML) == (
            "<li><b>Summary</b>: new</li>"
        )

    def test_list_item_value_at_the_body_end_is_replaced(self) -> None:
        assert (
            upsert_call_result("<b>Result</b>: old", "new", log_format=HTML) == "<li><b>Result</b>: new</li>"
        )

    def test_a_value_followed_by_lf_is_not_recognised(self) -> None:
        body = "<li><b>Result</b>: old\n</li>"
        assert upsert_call_result(body, "new", log_format=HTML) == body + "<li><b>Result</b>: new</li>"

    def test_duration_is_spelled_out(self) -> None:
        assert upsert_call_duration("<li><b>Duration</b>: 30 seconds</li>", 90, log_format=HTML) == (
            "<li><b>Duration</b>: 1 minute, 30 seconds</li>"
        )

    def test_date_time_label_has_a_lower_case_t(self) -> None:
        assert upsert_call_date_time("", "2023-01-01T12:00:00Z", log_format=HTML) == (
            "<li><b>Date/time</b>: 2023-01-01 12:00:00 PM</li>"
        )

    @pytest.mark.parametrize(
        ("direction", "label"), [("Outbound", "Recipient"), ("Inbound", "Caller"), (None, "Caller")]
    )
    def test_contact_number_label_follows_the_direction(self, direction: str | None, label: str) -> None:
        assert upsert_contact_phone_number("", "+1", log_format=HTML, direction=direction) == (
            f"<li><b>{label} phone number</b>: +1</li>"
        )

    def test_a_body_with_the_other_contact_label_gets_a_second_line(self) -> None:
        body = "<li><b>Caller phone number</b>: +1</li>"
        assert upsert_contact_phone_number(body, "+2", log_format=HTML, direction="Outbound") == (
            body + "<li><b>Recipient phone number</b>: +2</li>"
        )

    def test_rc_user_name_replaces_only_pending(self) -> None:
        pending = "<li><b>RingCentral user name</b>: (pending...)</li>"
        assert (
            upsert_rc_user_name(pending, "Ann", log_format=HTML)
            == "<li><b>RingCentral user name</b>: Ann</li>"
        )
        named = "<li><b>RingCentral user name</b>: Bob</li>"
        assert upsert_rc_user_name(named, "Ann", log_format=HTML) == named

    def test_rc_number_and_extension(self) -> None:
        assert upsert_rc_number_and_extension("", "+1", extension="7", log_format=HTML) == (
            "<li><b>RingCentral number and extension</b>: +1 7</li>"
        )


class TestLinks:
    @pytest.mark.parametrize("label", ["Call recording link", "Voicemail recording link"])
    def test_recording_goes_before_the_first_closing_ul(self, label: str) -> None:
        helper = upsert_call_recording if label.startswith("Call") else upsert_voicemail_recording
        body = "<ul><li>a</li></ul><ul><li>b</li></ul>"
        assert helper(body, "https://r", log_format=HTML) == (
            f"<ul><li>a</li>{anchor(label, 'https://r')}</ul><ul><li>b</li></ul>"
        )

    def test_pending_recording_is_replaced_by_the_link_and_back(self) -> None:
        pending = "<li><b>Call recording link</b>: (pending...)</li>"
        linked = anchor("Call recording link", "https://r")
        assert upsert_call_recording(pending, "https://r", log_format=HTML) == linked
        assert upsert_call_recording(linked, "pending", log_format=HTML) == pending

    def test_a_link_value_may_span_lines(self) -> None:
        # Decision: as in the reference, a plain (non-anchor) link value may contain LFs.
        body = "<li><b>Call recording link</b>: old\nvalue</li><p>x</p>"
        assert upsert_call_recording(body, "https://r", log_format=HTML) == (
            anchor("Call recording link", "https://r") + "<p>x</p>"
        )

    def test_ace_link_is_always_an_anchor_appended_at_the_end(self) -> None:
        body = "<ul><li>a</li></ul>"
        assert upsert_ring_sense_link(body, "not-a-url", log_format=HTML) == (
            body + anchor("ACE recording link", "not-a-url")
        )

    def test_ace_link_is_replaced(self) -> None:
        body = anchor("ACE recording link", "https://old.link")
        assert upsert_ring_sense_link(body, "https://new", log_format=HTML) == anchor(
            "ACE recording link", "https://new"
        )


class TestSections:
    @pytest.mark.parametrize(
        ("helper", "label", "trailing_br"),
        [
            (upsert_ai_note, "AI Note", "<br>"),
            (upsert_transcript, "Transcript", "<br>"),
            (upsert_ring_sense_transcript, "ACE transcript", ""),
            (upsert_ring_sense_summary, "ACE summary", ""),
            (upsert_ring_sense_bulleted_summary, "ACE bulleted summary", ""),
        ],
    )
    def test_section_is_a_div_with_line_breaks_as_br(
        self, helper: Upsert, label: str, trailing_br: str
    ) -> None:
        assert (
            helper("", "a\r\nb\rc\nd", log_format=HTML)
            == f"<div><b>{label}</b><br>a<br>b<br>c<br>d</div>{trailing_br}"
        )
        old = f"<div><b>{label}</b><br>old<br>text</div>{trailing_br}<p>x</p>"
        assert helper(old, "new", log_format=HTML) == f"<div><b>{label}</b><br>new</div>{trailing_br}<p>x</p>"

    def test_trailing_lfs_become_br_only_in_the_transcript(self) -> None:
        assert upsert_transcript("", "t\n", log_format=HTML) == "<div><b>Transcript</b><br>t<br></div><br>"
        assert upsert_ring_sense_bulleted_summary("", "- a\n", log_format=HTML) == (
            "<div><b>ACE bulleted summary</b><br>- a</div>"
        )

    def test_a_div_containing_a_line_break_is_not_recognised(self) -> None:
        body = "<div><b>AI Note</b><br>old\nnote</div>"
        assert upsert_ai_note(body, "new", log_format=HTML) == body + "<div><b>AI Note</b><br>new</div><br>"

    def test_div_labels_are_case_sensitive(self) -> None:
        body = "<div><b>ai note</b><br>old</div>"
        assert upsert_ai_note(body, "new", log_format=HTML) == body + "<div><b>AI Note</b><br>new</div><br>"

    def test_call_journey_is_a_div(self) -> None:
        legs = [{"direction": "Outbound", "from": {"extensionNumber": "101"}}]
        assert (
            upsert_legs("", legs, log_format=HTML)
            == "<div><b>Call journey</b><br>Made call from ext 101</div>"
        )
