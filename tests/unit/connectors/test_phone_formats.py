"""`phone_search_terms`: the user's `overridingFormat` patterns filled with the number's digits.

Properties over generated numbers and patterns, plus the reference's own cases (a US number in the
spellings Clio users type).
"""

from __future__ import annotations

import re

import phonenumbers
from hypothesis import given, settings
from hypothesis import strategies as st

from appconnect.connectors import MAX_OVERRIDING_FORMATS, phone_search_terms

US_NUMBERS = st.integers(min_value=2_000_000, max_value=9_999_999).map(lambda n: f"+1415{n}")
SEPARATORS = st.sampled_from(["", " ", "-", ".", "(", ")", "/"])
PATTERN_PIECES = st.lists(st.one_of(st.just("*"), SEPARATORS), min_size=1, max_size=16)
PATTERNS = PATTERN_PIECES.map("".join).filter(lambda p: p.strip() and "," not in p)


def _national(number: str) -> str:
    return str(phonenumbers.national_significant_number(phonenumbers.parse(number, None)))


def test_the_reference_spellings() -> None:
    assert phone_search_terms("+14155550100", "(***) ***-****,***-***-****,*** *** ****") == (
        "+14155550100",
        "(415) 555-0100",
        "415-555-0100",
        "415 555 0100",
    )
    assert phone_search_terms("+14155550100", "") == ("+14155550100",)
    assert phone_search_terms("+14155550100", None) == ("+14155550100",)
    assert phone_search_terms("+442079460018", "0** **** ****") == ("+442079460018", "020 7946 0018")
    assert phone_search_terms("+14155550100", "#########-#") == ("+14155550100", "415555010-0")


@settings(max_examples=200, deadline=None)
@given(number=US_NUMBERS, pattern=PATTERNS)
def test_a_pattern_keeps_its_separators_and_takes_the_digits_in_order(number: str, pattern: str) -> None:
    terms = phone_search_terms(number, pattern)
    assert terms[0] == number
    digits = _national(number)
    filled = terms[-1]
    stripped = pattern.strip()
    assert len(filled) == len(stripped)
    # the separators stay where they were typed
    assert [c for c, p in zip(filled, stripped, strict=True) if p != "*"] == [c for c in stripped if c != "*"]
    # the placeholders get the national digits left to right; extra placeholders stay
    placed = [c for c, p in zip(filled, stripped, strict=True) if p == "*"]
    assert "".join(placed[: len(digits)]) == digits[: len(placed)]
    assert all(c == "*" for c in placed[len(digits) :])


@settings(max_examples=100, deadline=None)
@given(number=US_NUMBERS, patterns=st.lists(PATTERNS, min_size=1, max_size=6))
def test_at_most_three_patterns_and_no_duplicate_terms(number: str, patterns: list[str]) -> None:
    terms = phone_search_terms(number, ",".join(patterns))
    assert terms[0] == number
    assert len(terms) == len(set(terms))
    assert len(terms) <= 1 + MAX_OVERRIDING_FORMATS
    expected = {phone_search_terms(number, pattern)[-1] for pattern in patterns[:MAX_OVERRIDING_FORMATS]}
    assert set(terms[1:]) == expected - {number}


@settings(max_examples=100, deadline=None)
@given(number=US_NUMBERS)
def test_a_full_pattern_round_trips_to_the_number(number: str) -> None:
    (_, filled) = phone_search_terms(number, "(***) ***-****")
    assert "+1" + re.sub(r"\D", "", filled) == number


@settings(max_examples=100, deadline=None)
@given(digits=st.text(alphabet="0123456789", min_size=1, max_size=6), pattern=PATTERNS)
def test_a_number_that_is_not_valid_is_searched_only_as_given(digits: str, pattern: str) -> None:
    number = f"+999{digits}"
    assert phone_search_terms(number, pattern) == (number,)


def test_a_space_for_the_plus_is_read_as_a_plus() -> None:
    assert phone_search_terms(" 14155550100", "***.***.****") == ("+14155550100", "415.555.0100")
