"""Start times, time-zone offsets (spec §3.2, §6 P-9) and the moment.js-compatible formatter."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appconnect.compose import (
    MomentValue,
    OffsetMode,
    format_date_time,
    format_moment,
    parse_offset,
    parse_start_time,
)

NOON = "2023-01-01T12:00:00Z"


@pytest.mark.parametrize(
    ("offset", "text"),
    [
        ("+05:30", "2023-01-01 05:30:00 PM"),
        (330, "2023-01-01 05:30:00 PM"),
        ("330", "2023-01-01 05:30:00 PM"),
        (-4, "2023-01-01 08:00:00 AM"),
        ("-4", "2023-01-01 08:00:00 AM"),
        ("0", "2023-01-01 12:00:00 PM"),
        ("+0530", "2023-01-01 08:50:00 PM"),
        ("-300", "2023-01-01 07:00:00 AM"),
        (-300, "2023-01-01 07:00:00 AM"),
        ("5.5", "2023-01-01 05:30:00 PM"),
        ("15", "2023-01-02 03:00:00 AM"),
        ("16", "2023-01-01 12:16:00 PM"),
        ("UTC", "2023-01-01 12:00:00 PM"),
    ],
)
def test_call_log_offsets_match_the_spec_table(offset: object, text: str) -> None:
    assert format_date_time(NOON, timezone_offset=offset) == text


@pytest.mark.parametrize("offset", [None, "", 0])
def test_a_falsy_offset_means_utc(offset: object) -> None:
    assert parse_offset(offset) is None
    assert format_date_time(NOON, timezone_offset=offset) == "2023-01-01 12:00:00 PM"


@pytest.mark.parametrize(
    ("offset", "minutes"),
    [
        ("-05:00", -300),
        ("GMT+02:00", 120),  # moment finds the offset inside other text
        ("+05:3", 300),
        ("Z:", 0),
        ("+5:30", None),  # one-digit hours are not an offset to moment: UTC
        ("-15.5", -930),
        (15.99, 959.4),
        ("abc", 0),
    ],
)
def test_call_log_offset_parsing_edge_cases(offset: object, minutes: float | None) -> None:
    expected = None if minutes is None else timedelta(minutes=minutes)
    assert parse_offset(offset, OffsetMode.CALL_LOG) == expected


@pytest.mark.parametrize(
    ("offset", "minutes"),
    [
        ("+02:00", 120),
        ("-0530", -330),
        ("-4", None),
        ("-300", None),
        ("UTC", None),
        (-4, -240),
        (-300, -300),
        (5.5, 330),
        ("", None),
        (0, None),
    ],
)
def test_shared_sms_offsets_take_only_clock_strings_and_numbers(offset: object, minutes: int | None) -> None:
    expected = None if minutes is None else timedelta(minutes=minutes)
    assert parse_offset(offset, OffsetMode.SHARED_SMS) == expected
    assert parse_offset(offset, "shared_sms") == expected


@pytest.mark.parametrize(
    ("start", "instant"),
    [
        ("2024-01-15T10:30:00Z", datetime(2024, 1, 15, 10, 30, tzinfo=UTC)),
        ("2024-01-15T10:30:00.987654Z", datetime(2024, 1, 15, 10, 30, 0, 987000, tzinfo=UTC)),
        ("2024-01-15T10:30:00,5+01:00", datetime(2024, 1, 15, 9, 30, 0, 500000, tzinfo=UTC)),
        ("2024-01-15 10:30", datetime(2024, 1, 15, 10, 30, tzinfo=UTC)),
        ("2024-01-15T10:30:00-0530", datetime(2024, 1, 15, 16, 0, tzinfo=UTC)),
        ("2024-01-15T10+02", datetime(2024, 1, 15, 8, 0, tzinfo=UTC)),
        ("  2024-01-15", datetime(2024, 1, 15, tzinfo=UTC)),
        ("20240115T103000Z", datetime(2024, 1, 15, 10, 30, tzinfo=UTC)),
        ("2024-015", datetime(2024, 1, 15, tzinfo=UTC)),
        ("2024-W03-1", datetime(2024, 1, 15, tzinfo=UTC)),
        ("2024-01", datetime(2024, 1, 1, tzinfo=UTC)),
        ("2024", datetime(2024, 1, 1, tzinfo=UTC)),
        ("2024-01-15T24:00:00Z", datetime(2024, 1, 16, tzinfo=UTC)),
        ("Mon, 15 Jan 2024 10:30:00 GMT", datetime(2024, 1, 15, 10, 30, tzinfo=UTC)),
        ("15 Jan 24 10:30 -0500", datetime(2024, 1, 15, 15, 30, tzinfo=UTC)),
        (1705314600000, datetime(2024, 1, 15, 10, 30, tzinfo=UTC)),
        (1705314600000.9, datetime(2024, 1, 15, 10, 30, tzinfo=UTC)),
        (datetime(2024, 1, 15, 10, 30), datetime(2024, 1, 15, 10, 30, tzinfo=UTC)),
        (
            datetime(2024, 1, 15, 12, 30, tzinfo=timezone(timedelta(hours=2))),
            datetime(2024, 1, 15, 10, 30, tzinfo=UTC),
        ),
    ],
)
def test_start_times_are_read_like_moment(start: object, instant: datetime) -> None:
    assert parse_start_time(start) == instant


@pytest.mark.parametrize(
    "start",
    [
        "soon",
        "2024-13-01",
        "2024-02-30T10:00:00Z",
        "2024-01-15T25:00:00Z",
        "2024-01T10:00",
        "2024-01-15T1030",
        "Tue, 15 Jan 2024 10:30:00 GMT",  # wrong weekday
        True,
        None,
        float("nan"),
        9e15,
        {"t": 1},
    ],
)
def test_unreadable_start_times_are_invalid(start: object) -> None:
    assert parse_start_time(start) is None
    assert format_date_time(start) == "Invalid date"


@pytest.mark.parametrize(
    ("fmt", "text"),
    [
        ("YYYY-MM-DD hh:mm:ss A", "2024-01-15 10:30:05 AM"),
        ("MM/DD/YYYY HH:mm", "01/15/2024 10:30"),
        ("dddd, MMMM DD, YYYY", "Monday, January 15, 2024"),
        ("YY M D H h m s a", "24 1 15 10 10 30 5 am"),
        ("ddd MMM Do, Qo [quarter]", "Mon Jan 15th, 1st quarter"),
        ("[at] HH[h]", "at 10h"),
        (r"\YYYY \[x]", "YYYY [1705294805123]"),  # a backslash escapes one character only
        ("DDD DDDD DDDo d do dd e E", "15 015 15th 1 1st Mo 1 1"),
        ("w ww wo W WW Wo gggg GGGG gg GG", "3 03 3rd 3 03 3rd 2024 2024 24 24"),
        ("k kk hmm hmmss Hmm Hmmss", "10 10 1030 103005 1030 103005"),
        ("S SS SSS SSSS", "1 12 123 1230"),
        ("Z ZZ z", "+05:30 +0530 UTC"),
        ("zz", "Coordinated Universal Time"),  # moment's zoneName of a fixed-offset moment
        ("X x", "1705294805 1705294805123"),
        (
            "L | LT | LTS | LL | LLL | LLLL",
            "01/15/2024 | 10:30 AM | 10:30:05 AM | January 15, 2024 | "
            "January 15, 2024 10:30 AM | Monday, January 15, 2024 10:30 AM",
        ),
        (
            "l | ll | lll | llll",
            "1/15/2024 | Jan 15, 2024 | Jan 15, 2024 10:30 AM | Mon, Jan 15, 2024 10:30 AM",
        ),
        ("[LT] \\LT", "LT LT"),
        ("YYYYY YYYYYY Y", "02024 +002024 2024"),
        ("N NNNN y yo", "AD Anno Domini 2024 2024th"),
        ("HH\nmm", "1030"),  # moment drops line breaks from the format
        ("w|", "w|"),
        ("[unclosed", "[unc1/15/2024o511"),  # unbracketed letters are tokens (`l`, `s`, `e`, `d`)
    ],
)
def test_moment_tokens(fmt: str, text: str) -> None:
    wall = datetime(2024, 1, 15, 10, 30, 5, 123000)
    value = MomentValue(wall=wall, epoch_ms=1705294805123, offset_minutes=330, utc_mode=True)
    assert format_moment(value, fmt) == text


@pytest.mark.parametrize(("hour", "text"), [(0, "12 am 24"), (12, "12 pm 12"), (23, "11 pm 23")])
def test_twelve_hour_clock_edges(hour: int, text: str) -> None:
    value = MomentValue(wall=datetime(2024, 1, 15, hour), epoch_ms=0)
    assert format_moment(value, "h a k") == text


def test_without_an_offset_zone_tokens_show_local_utc() -> None:
    assert format_date_time(NOON, date_format="Z z") == "+00:00 "
    assert format_date_time(NOON, date_format="[<]zz[>]") == "<>"
    assert format_date_time(NOON, date_format="zz", timezone_offset="+02:00") == "Coordinated Universal Time"


def test_a_falsy_format_means_the_default() -> None:
    assert format_date_time(NOON, date_format="") == "2023-01-01 12:00:00 PM"


@given(st.dates(min_value=date(2, 1, 1), max_value=date(9998, 12, 31)))
def test_iso_week_tokens_agree_with_python(day: date) -> None:
    value = MomentValue(wall=datetime(day.year, day.month, day.day), epoch_ms=0)
    iso = day.isocalendar()
    assert format_moment(value, "GGGG-W-E") == f"{iso.year:04d}-{iso.week}-{iso.weekday}"


@given(st.dates(min_value=date(2, 1, 1), max_value=date(9998, 12, 31)))
def test_english_weeks_start_on_sunday_and_week_one_holds_january_first(day: date) -> None:
    value = MomentValue(wall=datetime(day.year, day.month, day.day), epoch_ms=0)
    week, week_year = (int(part) for part in format_moment(value, "w gggg").split())
    sunday = day - timedelta(days=(day.weekday() + 1) % 7)
    saturday = sunday + timedelta(days=6)
    assert week_year == saturday.year  # the week belongs to the year of its Saturday
    first_sunday = date(week_year, 1, 1) - timedelta(days=(date(week_year, 1, 1).weekday() + 1) % 7)
    assert week == (sunday - first_sunday).days // 7 + 1
