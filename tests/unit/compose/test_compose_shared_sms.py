"""The shared-SMS composer (spec §4.6): vector S1 byte for byte, with the R-10 and R-11 fixes."""

from __future__ import annotations

from typing import Any

import pytest

from appconnect.compose import (
    LogFormat,
    compose_shared_sms_log,
    count_shared_sms_entities,
    escape_html,
    gather_shared_sms_participants,
)

PLAIN, HTML, MD = LogFormat.PLAIN, LogFormat.HTML, LogFormat.MARKDOWN

S1: dict[str, Any] = {
    "creationTime": "2024-01-15T10:30:00Z",
    "messages": [{"lastModifiedTime": "2024-01-15T10:30:00Z"}, {"lastModifiedTime": "2024-01-16T11:45:00Z"}],
    "owner": {"name": "Support Queue", "extensionType": "Department", "extensionId": "12345"},
    "entities": [
        {"recordType": "ThreadCreatedHint", "creationTime": "2024-01-15T10:29:00Z"},
        {
            "recordType": "AliveMessage",
            "creationTime": "2024-01-15T10:30:00Z",
            "direction": "Inbound",
            "author": {"name": "John Customer"},
            "text": "Hello, I need help",
        },
        {
            "recordType": "ThreadAssignedHint",
            "creationTime": "2024-01-15T10:32:00Z",
            "assignee": {"name": "Agent Smith"},
        },
        {
            "recordType": "AliveMessage",
            "creationTime": "2024-01-15T10:35:00Z",
            "direction": "Outbound",
            "author": {"name": "Agent Smith"},
            "text": "Hi! <How> can I assist you?",
        },
        {
            "recordType": "AliveNote",
            "creationTime": "2024-01-15T10:40:00Z",
            "author": {"name": "Agent Jones"},
            "text": "Customer prefers email",
        },
    ],
}

# S1 with R-10 fixed: Ended is the latest parsed lastModifiedTime, so the duration is 1 d 25 h.
S1_PLAIN = (
    "Conversation summary\n"
    "Started: Monday, January 15, 2024 at 10:30 AM\n"
    "Ended: Tuesday, January 16, 2024 at 11:45 AM\n"
    "Duration: 1 d 25 h \n\n"
    "Participants\n* John Customer (customer)\n* John Customer\n* Agent Smith\n* Agent Jones\n\n"
    "Receiving call queue: Support Queue\n\n"
    "Conversation (2 messages, 1 note)\nBEGIN\n------------\n"
    "John Customer said on 2024-01-15 10:30 AM:\nHello, I need help\n\n"
    "Conversation assigned to Agent Smith\n\n"
    "Agent Smith said on 2024-01-15 10:35 AM:\nHi! <How> can I assist you?\n\n"
    "Agent Jones left a note on 2024-01-15 10:40 AM:\nCustomer prefers email\n\n"
    "------------\nEND"
)
S1_HTML_ENTRIES = (
    "<div><b>Conversation (2 messages, 1 note)</b></div><div>BEGIN</div><hr>"
    "<p><b>John Customer</b> said on 2024-01-15 10:30 AM:<br>Hello, I need help</p>"
    "<p><i>Conversation assigned to <b>Agent Smith</b></i></p>"
    "<p><b>Agent Smith</b> said on 2024-01-15 10:35 AM:<br>Hi! &lt;How&gt; can I assist you?</p>"
    "<p><b>Agent Jones</b> left a note on 2024-01-15 10:40 AM:<br>Customer prefers email</p>"
    "<hr><div>END</div>"
)


def _compose(log_format: str, conversation: dict[str, Any], offset: object = "+00:00") -> Any:
    return compose_shared_sms_log(
        log_format=log_format, conversation=conversation, contact_name="John Customer", timezone_offset=offset
    )


def test_s1_plain_is_byte_for_byte_with_the_real_end_time() -> None:
    content = _compose(PLAIN, S1)
    assert content.subject == "SMS conversation with John Customer"
    assert content.body == S1_PLAIN


def test_s1_html_escapes_caller_text_and_keeps_the_skeleton() -> None:
    content = _compose(HTML, S1)
    assert content.subject == "SMS conversation with John Customer"
    assert content.body == (
        "<div><b>Conversation summary</b><br>Started: Monday, January 15, 2024 at 10:30 AM<br>"
        "Ended: Tuesday, January 16, 2024 at 11:45 AM<br>Duration: 1 d 25 h<br></div><br>"
        "<div><b>Participants</b><ul><li>John Customer (customer)</li><li>John Customer</li>"
        "<li>Agent Smith</li><li>Agent Jones</li></ul></div>"
        "<div>Receiving call queue: <b>Support Queue</b></div><br>" + S1_HTML_ENTRIES
    )


def test_s1_markdown_uses_headings_bold_names_and_short_rules() -> None:
    content = _compose(MD, S1)
    assert content.subject == "**SMS conversation with John Customer**"
    assert content.body == (
        "## Conversation summary\n"
        "Started: Monday, January 15, 2024 at 10:30 AM\n"
        "Ended: Tuesday, January 16, 2024 at 11:45 AM\n"
        "Duration: 1 d 25 h \n\n"
        "### Participants\n* John Customer (customer)\n* John Customer\n* Agent Smith\n* Agent Jones\n\n"
        "Receiving call queue: **Support Queue**\n\n"
        "### Conversation (2 messages, 1 note)\nBEGIN\n---\n"
        "**John Customer** said on 2024-01-15 10:30 AM:\nHello, I need help\n\n"
        "*Conversation assigned to **Agent Smith***\n\n"
        "**Agent Smith** said on 2024-01-15 10:35 AM:\nHi! <How> can I assist you?\n\n"
        "**Agent Jones** left a note on 2024-01-15 10:40 AM:\nCustomer prefers email\n\n"
        "---\nEND"
    )


@pytest.mark.parametrize(
    ("owner", "line"),
    [
        ({"name": "Sales Queue", "extensionType": "Department"}, "Receiving call queue: Sales Queue\n\n"),
        ({"name": "Support queue team", "extensionType": "User"}, "Receiving call queue: Support queue team"),
        ({"name": "Dana Owner", "extensionType": "User"}, "Owner: Dana Owner\n\n"),
    ],
)
def test_owner_line_names_a_call_queue_or_a_user(owner: dict[str, Any], line: str) -> None:
    assert line in _compose(PLAIN, {**S1, "owner": owner}).body


def test_no_owner_means_no_owner_line() -> None:
    body = _compose(PLAIN, {**S1, "owner": None}).body
    assert "Owner:" not in body and "Receiving call queue" not in body
    assert "* Agent Jones\n\nConversation (2 messages, 1 note)" in body


@pytest.mark.parametrize("entities", [None, []])
def test_missing_or_empty_entities_count_zero_messages(entities: Any) -> None:
    body = _compose(PLAIN, {**S1, "entities": entities}).body
    assert "Conversation (0 messages)\nBEGIN\n------------\n------------\nEND" in body
    assert "Participants\n* John Customer (customer)\n\n" in body


def test_counts_are_singular_for_one_and_leave_out_zero() -> None:
    one_message = [S1["entities"][1]]
    assert "Conversation (1 message)\n" in _compose(PLAIN, {**S1, "entities": one_message}).body
    two_notes = [S1["entities"][4], S1["entities"][4]]
    assert "Conversation (2 notes)\n" in _compose(PLAIN, {**S1, "entities": two_notes}).body
    assert count_shared_sms_entities(S1["entities"]) == (2, 1)


def test_no_last_modified_time_ends_at_the_creation_time() -> None:
    body = _compose(PLAIN, {**S1, "messages": [{}]}).body
    assert "Ended: Monday, January 15, 2024 at 10:30 AM\nDuration: 0 d 0 h \n" in body


def test_epoch_millisecond_modified_times_count_too() -> None:
    end = 1705405500000  # 2024-01-16T11:45:00Z
    body = _compose(PLAIN, {**S1, "messages": [{"lastModifiedTime": end}]}).body
    assert "Ended: Tuesday, January 16, 2024 at 11:45 AM\nDuration: 1 d 25 h \n" in body


@pytest.mark.parametrize(
    ("offset", "started"),
    [
        ("+05:00", "Started: Monday, January 15, 2024 at 03:30 PM"),
        ("-0500", "Started: Monday, January 15, 2024 at 05:30 AM"),
        ("-4", "Started: Monday, January 15, 2024 at 10:30 AM"),  # P-9: ignored, UTC applies
        ("-300", "Started: Monday, January 15, 2024 at 10:30 AM"),
        (-4, "Started: Monday, January 15, 2024 at 06:30 AM"),  # a number: hours when |n| < 16
        (330, "Started: Monday, January 15, 2024 at 04:00 PM"),  # otherwise minutes
    ],
)
def test_offsets_follow_the_shared_sms_reading(offset: object, started: str) -> None:
    assert started in _compose(PLAIN, S1, offset).body


def test_outbound_message_without_a_name_is_sent_by_unknown() -> None:
    entity = {"recordType": "AliveMessage", "direction": "Outbound", "creationTime": S1["creationTime"]}
    assert "Unknown said on 2024-01-15 10:30 AM:\n\n\n" in _compose(PLAIN, {**S1, "entities": [entity]}).body
    html = _compose(HTML, {**S1, "entities": [entity]}).body
    assert "<p><b>Unknown</b> said on 2024-01-15 10:30 AM:<br></p>" in html


def test_sender_falls_back_to_from_and_text_to_subject() -> None:
    entity = {
        "recordType": "AliveMessage",
        "direction": "Outbound",
        "creationTime": S1["creationTime"],
        "from": {"name": "Agent From"},
        "subject": "From the subject",
    }
    assert (
        "Agent From said on 2024-01-15 10:30 AM:\nFrom the subject\n"
        in _compose(PLAIN, {**S1, "entities": [entity]}).body
    )


def test_notes_and_assignments_fall_back_to_unknown() -> None:
    entities = [
        {
            "recordType": "AliveNote",
            "creationTime": S1["creationTime"],
            "initiator": {"name": "Ini"},
            "body": "b",
        },
        {"recordType": "AliveNote", "creationTime": S1["creationTime"]},
        {"recordType": "ThreadAssignedHint", "creationTime": S1["creationTime"]},
    ]
    body = _compose(PLAIN, {**S1, "entities": entities}).body
    assert "Ini left a note on 2024-01-15 10:30 AM:\nb\n\n" in body
    assert "Unknown left a note on 2024-01-15 10:30 AM:\n\n\n" in body
    assert "Conversation assigned to Unknown\n\n" in body


def test_other_record_types_are_dropped() -> None:
    entities = [
        {"recordType": kind, "creationTime": S1["creationTime"], "initiator": {"name": "Agent Smith"}}
        for kind in ("ThreadResolvedHint", "ThreadReopenedHint", "NoteHint", "ThreadCreatedHint")
    ]
    body = _compose(PLAIN, {**S1, "entities": entities}).body
    assert "BEGIN\n------------\n------------\nEND" in body
    assert "* Agent Smith\n" in body  # still a participant


def test_numeric_creation_times_are_written_newest_first() -> None:
    entities = [
        {"recordType": "AliveNote", "creationTime": 1705314600000, "author": {"name": "A"}, "text": "older"},
        {"recordType": "AliveNote", "creationTime": 1705318200000, "author": {"name": "B"}, "text": "newer"},
    ]
    body = _compose(PLAIN, {**S1, "entities": entities}).body
    assert body.index("newer") < body.index("older")


def test_participants_are_distinct_in_first_seen_order() -> None:
    entities = [
        {"author": {"name": "Agent Smith"}},
        {"from": {"name": "Agent Smith"}, "assignee": {"name": "Agent Jones"}},
        {"initiator": {"name": "Manager Bob"}},
        {"author": {}, "from": None},
    ]
    assert gather_shared_sms_participants(entities) == ["Agent Smith", "Agent Jones", "Manager Bob"]
    assert gather_shared_sms_participants(None) == []


def test_html_escaping_covers_quotes_and_apostrophes() -> None:
    assert escape_html("it's fine") == "it&#039;s fine"
    assert escape_html('<b>"Tom" & Jerry</b>') == "&lt;b&gt;&quot;Tom&quot; &amp; Jerry&lt;/b&gt;"
    html = compose_shared_sms_log(
        log_format=HTML, conversation={**S1, "owner": {"name": "O'Neil"}}, contact_name="A & B"
    ).body
    assert "<li>A &amp; B (customer)</li>" in html and "Owner: <b>O&#039;Neil</b>" in html


def test_unknown_formats_are_written_as_plain_text() -> None:
    assert _compose("custom", S1).body == S1_PLAIN
