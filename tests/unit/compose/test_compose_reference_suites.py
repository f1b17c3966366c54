"""Vectors of the reference's own composer test suites that the spec's §3.8 table leaves out.

From `packages/core/test/data/utilCases.ts` (durations, media-reader links),
`packages/core/test/lib/util.test.ts` and `packages/core/test/lib/sharedSMSComposer.test.ts`
(escaping, the default format). Every other assertion of those suites and of the two call-log
composer suites was replayed against `appconnect.compose` as well and agrees; these are the ones
that disagreed, with their neighbours.
"""

from __future__ import annotations

import math

import pytest

from appconnect.compose import (
    UNSET,
    LogFormat,
    compose_call_log,
    compose_shared_sms_log,
    escape_html,
    format_duration,
    message_media,
)

MEDIA_READER = "https://ringcentral.github.io/ringcentral-media-reader/?media="


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 seconds"),
        (1, "1 second"),
        (2, "2 seconds"),
        (59, "59 seconds"),
        (59.5, "59.5 seconds"),
        (60, "1 minute"),
        (60.5, "1 minute, 0.5 seconds"),
        (61, "1 minute, 1 second"),
        (90.5, "1 minute, 30.5 seconds"),
        (119, "1 minute, 59 seconds"),
        (120, "2 minutes"),
        (3599, "59 minutes, 59 seconds"),
        (3600, "1 hour"),
        (3601, "1 hour, 1 second"),
        (3660, "1 hour, 1 minute"),
        (3661, "1 hour, 1 minute, 1 second"),
        (7199, "1 hour, 59 minutes, 59 seconds"),
        (7200, "2 hours"),
        (7322, "2 hours, 2 minutes, 2 seconds"),
        (9045, "2 hours, 30 minutes, 45 seconds"),
        (86399, "23 hours, 59 minutes, 59 seconds"),
        (86400, "24 hours"),
        ("0", "0 seconds"),
        ("60", "1 minute"),
        ("3661", "1 hour, 1 minute, 1 second"),
        ("", "0 seconds"),
        ("   ", "0 seconds"),
        (None, "0 seconds"),
    ],
)
def test_durations_of_the_reference_util_cases(seconds: object, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize("value", ["not a number", "12 seconds", "NaN", math.nan])
def test_a_duration_that_is_not_a_number_is_printed_as_it_is(value: object) -> None:
    assert format_duration(value) == ("NaN" if value != value else value)


@pytest.mark.parametrize(
    ("uri", "link"),
    [
        (None, None),
        ("", None),
        (UNSET, None),  # the attachment has no `uri` at all
        (
            "https://media.ringcentral.com/a path/file name.wav",
            "https%3A%2F%2Fmedia.ringcentral.com%2Fa%20path%2Ffile%20name.wav",
        ),
        (
            "https://media.ringcentral.com/file?q=a+b&next=%2Fhome#fragment",
            "https%3A%2F%2Fmedia.ringcentral.com%2Ffile%3Fq%3Da%2Bb%26next%3D%252Fhome%23fragment",
        ),
        (
            "https://media.ringcentral.com/客户/录音📞.mp3",
            "https%3A%2F%2Fmedia.ringcentral.com%2F%E5%AE%A2%E6%88%B7%2F%E5%BD%95%E9%9F%B3%F0%9F%93%9E.mp3",
        ),
        ("relative/media/path?download=true", "relative%2Fmedia%2Fpath%3Fdownload%3Dtrue"),
        ("  surrounding whitespace  ", "%20%20surrounding%20whitespace%20%20"),
        ("data:text/plain,not-a-real-media-url", "data%3Atext%2Fplain%2Cnot-a-real-media-url"),
    ],
)
def test_media_reader_links_encode_the_uri_and_need_one(uri: object, link: str | None) -> None:
    """`getMediaReaderLinkByPlatformMediaLink`: no URI, no link (never `?media=null`)."""
    for content_type, field in (("image/png", "image_link"), ("video/mp4", "video_link")):
        attachment: dict[str, object] = {"type": "MmsAttachment", "contentType": content_type}
        if uri is not UNSET:
            attachment["uri"] = uri
        media = message_media({"attachments": [attachment]})
        assert getattr(media, field) == (None if link is None else MEDIA_READER + link)


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        (None, ""),
        ("", ""),
        ("Hello World", "Hello World"),
        ('<script>alert("XSS")</script>', "&lt;script&gt;alert(&quot;XSS&quot;)&lt;/script&gt;"),
        ("it's fine", "it&#039;s fine"),
    ],
)
def test_escape_html_of_the_shared_sms_suite(text: str | None, escaped: str) -> None:
    assert escape_html(text) == escaped


def test_the_shared_sms_log_defaults_to_plain_text() -> None:
    conversation = {"messages": [{"lastModifiedTime": "2024-01-15T11:45:00Z"}], "entities": []}
    default = compose_shared_sms_log(conversation=conversation, contact_name="Customer")
    plain = compose_shared_sms_log(
        log_format=LogFormat.PLAIN, conversation=conversation, contact_name="Customer"
    )
    assert default == plain
    assert default.subject == "SMS conversation with Customer"
    assert "<b>" not in default.body and "##" not in default.body


def test_the_call_log_defaults_to_plain_text() -> None:
    """`composeCallLog`'s `logFormat` defaults to plain text too."""
    body = compose_call_log(
        call_log={"direction": "Outbound"},
        contact_info=None,
        user_settings=None,
        timezone_offset=None,
        note="Test",
        duration=60.5,
    )
    assert body == "- Note: Test\n- Duration: 1 minute, 0.5 seconds\n"
