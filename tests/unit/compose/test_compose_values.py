"""Value formatting (spec §3.2) and the JavaScript value rules behind it (spec §0)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appconnect.compose import UNSET, format_call_journey, format_duration, format_party
from appconnect.compose._js import is_truthy, js_trim, number_to_string, to_js_string, to_number


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 seconds"),
        (90, "1 minute, 30 seconds"),
        (120, "2 minutes"),
        (185, "3 minutes, 5 seconds"),
        (None, "0 seconds"),
        (3600, "1 hour"),
        (3661, "1 hour, 1 minute, 1 second"),
        (7322, "2 hours, 2 minutes, 2 seconds"),
        ("pending", "pending"),
        (-5, "0 seconds"),
    ],
)
def test_duration_table_of_the_spec(seconds: object, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        ("75", "1 minute, 15 seconds"),
        ("", "0 seconds"),
        (" ", "0 seconds"),
        (" 61 ", "1 minute, 1 second"),
        ("0x3c", "1 minute"),
        (61.5, "1 minute, 1.5 seconds"),
        (1.0, "1 second"),
        (True, "1 second"),
        (-3700, "0 seconds"),
        (7200.25, "2 hours, 0.25 seconds"),  # seconds are plural unless exactly 1
        (60.5, "1 minute, 0.5 seconds"),
        (0.5, "0.5 seconds"),
        (float("inf"), "Infinity hours"),
        ([], "0 seconds"),
        ([90], "1 minute, 30 seconds"),
        ({"a": 1}, "[object Object]"),
        ("1e3", "16 minutes, 40 seconds"),
    ],
)
def test_duration_follows_javascript_arithmetic(seconds: object, text: str) -> None:
    assert format_duration(seconds) == text


@given(st.integers(min_value=0, max_value=10**7))
def test_duration_parts_add_back_up_to_the_input(seconds: int) -> None:
    text = format_duration(seconds)
    units = {"hour": 3600, "minute": 60, "second": 1}
    total = 0
    for part in text.split(", "):
        amount, unit = part.split(" ")
        total += int(amount) * units[unit.rstrip("s")]
    assert total == seconds


class TestCallJourney:
    def test_party_text_shows_name_number_and_extension(self) -> None:
        assert format_party({"name": "A", "phoneNumber": "+1", "extensionNumber": "7"}) == "A, +1, ext 7"
        assert format_party({"phoneNumber": "+1"}) == "+1"
        assert format_party({"name": "A", "extensionNumber": "7"}) == "A, ext 7"

    def test_a_party_with_only_a_name_is_empty(self) -> None:
        assert format_party({"name": "A"}) == ""
        assert format_party(None) == ""

    def test_first_inbound_leg_names_the_callee(self) -> None:
        legs = [{"direction": "Inbound", "from": {"phoneNumber": "+1"}, "to": {"phoneNumber": "+2"}}]
        assert format_call_journey(legs) == "Received call at +2"

    def test_later_outbound_leg_names_the_caller_unless_pstn_to_sip(self) -> None:
        legs = [
            {"direction": "Inbound", "to": {"phoneNumber": "+2"}},
            {
                "direction": "Outbound",
                "from": {"phoneNumber": "+3"},
                "to": {"phoneNumber": "+4"},
                "duration": 0,
            },
            {
                "direction": "Outbound",
                "legType": "PstnToSip",
                "from": {"phoneNumber": "+5"},
                "to": {"phoneNumber": "+6"},
            },
            {
                "direction": "Inbound",
                "from": {"phoneNumber": "+7"},
                "to": {"phoneNumber": "+8"},
                "duration": "2",
            },
        ]
        assert format_call_journey(legs).split("\n") == [
            "Received call at +2",
            "Transferred to +3, duration: 0 second",
            "Transferred to +6, duration: undefined second",
            "Transferred to +8, duration: 2 seconds",
        ]

    def test_a_null_duration_prints_null(self) -> None:
        legs = [{}, {"to": {"phoneNumber": "+1"}, "duration": None}]
        assert format_call_journey(legs) == "Received call at \nTransferred to +1, duration: null second"


class TestJavaScriptValues:
    @pytest.mark.parametrize("value", [None, UNSET, False, 0, 0.0, -0.0, math.nan, ""])
    def test_falsy_values(self, value: object) -> None:
        assert not is_truthy(value)

    @pytest.mark.parametrize("value", ["0", "false", " ", [], {}, 1, -1, 0.5, True, object()])
    def test_truthy_values_include_zero_strings_and_empty_containers(self, value: object) -> None:
        assert is_truthy(value)

    @pytest.mark.parametrize(
        ("value", "number"),
        [
            ("42", 42.0),
            ("  -4 ", -4.0),
            ("+0530", 530.0),
            ("5.5", 5.5),
            (".5", 0.5),
            ("5.", 5.0),
            ("0x1F", 31.0),
            ("0b11", 3.0),
            ("0o17", 15.0),
            ("-Infinity", -math.inf),
            ("", 0.0),
            (None, 0.0),
            (False, 0.0),
            ([], 0.0),
            (["7"], 7.0),
        ],
    )
    def test_number_conversion(self, value: object, number: float) -> None:
        assert to_number(value) == number

    @pytest.mark.parametrize("value", ["UTC", "abc", "1_000", "-0x10", "inf", "nan", "1e", UNSET, [1, 2], {}])
    def test_number_conversion_gives_nan(self, value: object) -> None:
        assert math.isnan(to_number(value))

    @pytest.mark.parametrize(
        ("number", "text"),
        [
            (2.0, "2"),
            (1.5, "1.5"),
            (-0.0, "0"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (1.5e-7, "1.5e-7"),
            (0.000001, "0.000001"),
            (123456.789, "123456.789"),
            (0.1 + 0.2, "0.30000000000000004"),
            (math.inf, "Infinity"),
            (math.nan, "NaN"),
        ],
    )
    def test_number_printing(self, number: float, text: str) -> None:
        assert number_to_string(number) == text

    @pytest.mark.parametrize(
        ("value", "text"),
        [
            (None, "null"),
            (UNSET, "undefined"),
            (True, "true"),
            (45, "45"),
            (45.0, "45"),
            ([1, None, "a"], "1,,a"),
            ({"a": 1}, "[object Object]"),
            (2**60, "1152921504606847000"),  # JavaScript numbers are doubles
        ],
    )
    def test_template_literal_printing(self, value: object, text: str) -> None:
        assert to_js_string(value) == text

    def test_trim_uses_the_javascript_whitespace_set(self) -> None:
        assert js_trim("\ufeff\u2028 x \xa0") == "x"
        assert js_trim("\x1cx") == "\x1cx"
