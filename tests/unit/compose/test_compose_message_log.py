"""The conversation-day message-log composer and the attachment links of spec §4.3."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from appconnect.compose import (
    LogFormat,
    MessageMedia,
    add_message_log_entry,
    compose_message_log,
    compose_message_log_entry,
    message_log_subject,
    message_media,
)

PLAIN, HTML, MD = LogFormat.PLAIN, LogFormat.HTML, LogFormat.MARKDOWN
ANN = {"phoneNumber": "+14155550100", "name": "Ann Example"}
AGENT = {"phoneNumber": "+16505550199", "name": "Agent"}
MEDIA_BASE = "https://media.ringcentral.com/restapi/v1.0/account/1/extension/1/message-store"


def _sms(
    message_id: int, text: str, *, inbound: bool = True, at: str = "03:00", **extra: Any
) -> dict[str, Any]:
    return {
        "id": message_id,
        "type": "SMS",
        "direction": "Inbound" if inbound else "Outbound",
        "from": ANN if inbound else AGENT,
        "to": [AGENT if inbound else ANN],
        "subject": text,
        "creationTime": f"2026-07-14T{at}:00.000Z",
        **extra,
    }


def test_plain_record_lists_participants_then_entries_between_markers() -> None:
    content = compose_message_log(
        [_sms(1, "Can you send the renewal options?"), _sms(2, "Sure, today", inbound=False, at="03:05")],
        log_format=PLAIN,
        contact_name="Ann Example",
    )
    assert content.subject == "SMS conversation with Ann Example on 2026-07-14"
    assert content.body == (
        "Participants\n* Ann Example (+14155550100)\n* Agent (+16505550199)\n\n"
        "Conversation (2 messages)\nBEGIN\n------------\n"
        "Ann Example said on 2026-07-14 03:00 AM:\nCan you send the renewal options?\n\n"
        "Agent said on 2026-07-14 03:05 AM:\nSure, today\n\n"
        "------------\nEND"
    )


def test_html_record_escapes_caller_text() -> None:
    content = compose_message_log(
        [_sms(1, "<b>5 > 4</b> & it's fine")], log_format=HTML, contact_name="Ann Example"
    )
    assert content.body == (
        "<div><b>Participants</b><ul><li>Ann Example (+14155550100)</li><li>Agent (+16505550199)</li></ul>"
        "</div><div><b>Conversation (1 message)</b></div><div>BEGIN</div><hr>"
        "<p><b>Ann Example</b> said on 2026-07-14 03:00 AM:"
        "<br>&lt;b&gt;5 &gt; 4&lt;/b&gt; &amp; it&#039;s fine</p>"
        "<hr><div>END</div>"
    )


def test_markdown_record_bolds_senders_and_ends_with_a_rule() -> None:
    content = compose_message_log([_sms(1, "Hi")], log_format=MD, contact_name="Ann Example")
    assert content.body == (
        "### Participants\n* Ann Example (+14155550100)\n* Agent (+16505550199)\n\n"
        "### Conversation (1 message)\n\n"
        "**Ann Example** said on 2026-07-14 03:00 AM:\nHi\n\n"
        "---\nEND"
    )


def test_group_messages_list_every_participant_once() -> None:
    bob = {"phoneNumber": "+14155550101", "name": "Bob Sample"}
    group = {**_sms(1, "Hello both", inbound=False), "to": [ANN, bob]}
    reply = {**_sms(2, "Hi", at="03:01"), "to": [AGENT, bob]}
    body = compose_message_log([group, reply], log_format=PLAIN, contact_name="Ann Example").body
    assert body.startswith(
        "Participants\n* Agent (+16505550199)\n* Ann Example (+14155550100)\n* Bob Sample (+14155550101)\n\n"
    )


def test_unnamed_inbound_sender_is_the_contact() -> None:
    message = {**_sms(1, "Hi"), "from": {"phoneNumber": "+14155550100"}}
    entry = compose_message_log_entry(
        message, log_format=PLAIN, contact_name="Ann Example", contact_number="+14155550100"
    )
    assert entry.startswith("Ann Example said on")
    anonymous = compose_message_log_entry({**message, "from": {}}, log_format=PLAIN)
    assert anonymous.startswith("Unknown said on")


@pytest.mark.parametrize(
    ("log_format", "expected"),
    [
        (
            PLAIN,
            "Ann Example sent a fax (2 pages) on 2026-07-14 03:00 AM:\nFax document: https://x.test/fax\n\n",
        ),
        (
            MD,
            "**Ann Example** sent a fax (2 pages) on 2026-07-14 03:00 AM:\n[Fax document](https://x.test/fax)\n\n",
        ),
        (
            HTML,
            "<p><b>Ann Example</b> sent a fax (2 pages) on 2026-07-14 03:00 AM:"
            '<br><a href="https://x.test/fax">Fax document</a></p>',
        ),
    ],
)
def test_a_fax_entry_carries_its_document_link(log_format: LogFormat, expected: str) -> None:
    fax = {**_sms(1, ""), "type": "Fax", "faxPageCount": 2}
    media = MessageMedia(
        fax_doc_link="https://x.test/fax", fax_download_link="https://x.test/fax?access_token=t"
    )
    entry = compose_message_log_entry(fax, log_format=log_format, media=media)
    assert entry == expected
    assert "access_token" not in entry


def test_voicemail_image_and_video_links_are_labelled() -> None:
    media = MessageMedia(
        recording_link="https://x.test/vm",
        image_link="https://x.test/img",
        image_download_link="https://x.test/img?access_token=secret",
        video_link="https://x.test/video",
    )
    entry = compose_message_log_entry(
        {**_sms(1, "Voice message"), "type": "VoiceMail"}, log_format=PLAIN, media=media
    )
    assert entry == (
        "Ann Example left a voicemail on 2026-07-14 03:00 AM:\nVoice message\n"
        "Voicemail recording: https://x.test/vm\nImage: https://x.test/img\nVideo: https://x.test/video\n\n"
    )


def test_entry_times_use_the_users_offset() -> None:
    entry = compose_message_log_entry(_sms(1, "Hi"), log_format=PLAIN, timezone_offset="-4")
    assert "on 2026-07-13 11:00 PM:" in entry


@pytest.mark.parametrize("log_format", [PLAIN, HTML, MD])
def test_adding_entries_equals_composing_them_together(log_format: LogFormat) -> None:
    first, second, third = _sms(1, "one"), _sms(2, "two", inbound=False), _sms(3, "three")
    body = compose_message_log([first], log_format=log_format, contact_name="Ann Example").body
    for message in (second, third):
        entry = compose_message_log_entry(message, log_format=log_format, contact_name="Ann Example")
        body = add_message_log_entry(body, entry, log_format=log_format)
    together = compose_message_log([first, second, third], log_format=log_format, contact_name="Ann Example")
    assert body == together.body


def test_adding_keeps_text_typed_into_the_crm() -> None:
    body = compose_message_log([_sms(1, "one")], log_format=PLAIN, contact_name="Ann Example").body
    edited = "Agent typed this first.\n" + body + "\nAnd this after the end."
    entry = compose_message_log_entry(_sms(2, "two"), log_format=PLAIN)
    added = add_message_log_entry(edited, entry, log_format=PLAIN)
    assert added.startswith("Agent typed this first.\n") and added.endswith("END\nAnd this after the end.")
    assert "Conversation (2 messages)" in added and added.index("one") < added.index("two")


def test_adding_to_a_body_without_markers_appends_at_the_end() -> None:
    assert add_message_log_entry("rewritten in the CRM", "entry\n", log_format=PLAIN) == (
        "rewritten in the CRM\nentry\n"
    )
    assert add_message_log_entry("<p>x</p>", "<p>y</p>", log_format=HTML) == "<p>x</p><p>y</p>"


@pytest.mark.parametrize(
    ("kind", "subject"),
    [
        ("SMS", "SMS conversation with Ann Example on 2026-07-14"),
        ("Fax", "Fax with Ann Example on 2026-07-14"),
        ("VoiceMail", "Voicemail from Ann Example on 2026-07-14"),
        ("Pager", "Messages with Ann Example on 2026-07-14"),
    ],
)
def test_subject_names_the_kind_contact_and_day(kind: str, subject: str) -> None:
    assert message_log_subject({**_sms(1, "x"), "type": kind}, contact_name="Ann Example") == subject


# -- spec §4.3: derived links ---------------------------------------------------------------------
def test_voicemail_recording_link_is_the_audio_attachments_link() -> None:
    voicemail = {
        "type": "VoiceMail",
        "attachments": [{"id": 1, "uri": f"{MEDIA_BASE}/1/content/1", "type": "AudioRecording", "link": "L"}],
    }
    assert message_media(voicemail) == MessageMedia(recording_link="L")


def test_fax_links_need_the_access_token() -> None:
    uri = f"{MEDIA_BASE}/6424569015/content/6424569015"
    fax = {"type": "Fax", "attachments": [{"id": "1", "uri": uri, "type": "RenderedDocument", "link": uri}]}
    assert message_media(fax) == MessageMedia()
    assert message_media(fax, rc_access_token="tok") == MessageMedia(
        fax_doc_link=uri, fax_download_link=f"{uri}?access_token=tok"
    )


def test_mms_image_and_video_open_in_the_media_reader() -> None:
    image_uri = f"{MEDIA_BASE}/6424569008/content/675981076016"
    video_uri = f"{MEDIA_BASE}/6424569008/content/675981076017"
    mms = {
        "type": "SMS",
        "attachments": [
            {
                "id": 1,
                "uri": f"{MEDIA_BASE}/6424569008/content/1",
                "type": "Text",
                "contentType": "text/plain",
            },
            {"id": 2, "uri": image_uri, "type": "MmsAttachment", "contentType": "image/jpeg"},
            {"id": 3, "uri": video_uri, "type": "MmsAttachment", "contentType": "video/mp4"},
            {"id": 4, "uri": "https://x.test/no-type", "type": "MmsAttachment"},
        ],
    }
    reader = "https://ringcentral.github.io/ringcentral-media-reader/?media="
    assert message_media(mms, rc_access_token="tok") == MessageMedia(
        image_link=reader + quote(image_uri, safe="-_.!~*'()"),
        image_download_link=f"{image_uri}?access_token=tok",
        image_content_type="image/jpeg",
        video_link=reader + quote(video_uri, safe="-_.!~*'()"),
    )
    without_token = message_media(mms)
    assert without_token.image_link is not None and without_token.image_download_link is None
    assert without_token.image_content_type is None


def test_media_reader_link_encodes_like_encode_uri_component() -> None:
    mms = {
        "attachments": [
            {"type": "MmsAttachment", "contentType": "image/png", "uri": "https://a.b/x y?q=1&r=(2)!"}
        ]
    }
    assert message_media(mms).image_link == (
        "https://ringcentral.github.io/ringcentral-media-reader/?media=https%3A%2F%2Fa.b%2Fx%20y%3Fq%3D1%26r%3D(2)!"
    )
