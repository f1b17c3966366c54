"""Search terms for a phone number in a CRM that stores numbers as people typed them.

Why: Clio (and Insightly, NetSuite, ...) keep `(415) 555-0100` exactly as it was typed and match a
search only on the same spelling, so an E.164 lookup (`+14155550100`) finds nobody. The extension
lets the user describe up to three spellings used in their CRM (`overridingFormat`, comma-separated,
`*` standing for one digit, e.g. `(***) ***-****`); each is filled with the number's national
digits, as the reference's connectors do: the digits replace the placeholders left to right, extra
digits are dropped and extra placeholders stay. `#` is accepted as a placeholder too (the reference
replaces `[*#]`).

The E.164 number itself is always the first term; a number `phonenumbers` does not accept as valid
is searched only as given (no format can be filled without knowing its national digits).
"""

from __future__ import annotations

import re

import phonenumbers

__all__ = ["MAX_OVERRIDING_FORMATS", "phone_search_terms"]

MAX_OVERRIDING_FORMATS = 3
"""How many `overridingFormat` patterns are honoured (the extension offers three)."""

_PLACEHOLDER = re.compile(r"[*#]")


def _national_digits(phone_number: str) -> str | None:
    try:
        parsed = phonenumbers.parse("+" + re.sub(r"\D", "", phone_number), None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return str(phonenumbers.national_significant_number(parsed))


def _fill(pattern: str, digits: str) -> str:
    remaining = iter(digits)

    def next_digit(match: re.Match[str]) -> str:
        return next(remaining, match.group(0))

    return _PLACEHOLDER.sub(next_digit, pattern)


def phone_search_terms(phone_number: str, overriding_format: str | None = None) -> tuple[str, ...]:
    """The terms to search for `phone_number`: the number itself, then each format filled in.

    A leading space (a `+` that arrived URL-decoded) is read as `+`. At most
    `MAX_OVERRIDING_FORMATS` formats are used; blank ones are skipped and duplicates dropped.

    Example::

        >>> phone_search_terms("+14155550100", "(***) ***-****,***.***.****")
        ('+14155550100', '(415) 555-0100', '415.555.0100')
        >>> phone_search_terms(" 14155550100", "***-****")
        ('+14155550100', '415-5550')
        >>> phone_search_terms("+999123", "(***) ***-****")
        ('+999123',)
    """
    number = f"+{phone_number[1:]}" if phone_number.startswith(" ") else phone_number
    terms = [number]
    patterns = [item.strip() for item in (overriding_format or "").split(",")]
    patterns = [item for item in patterns if item][:MAX_OVERRIDING_FORMATS]
    digits = _national_digits(number) if patterns else None
    if digits is not None:
        for pattern in patterns:
            term = _fill(pattern, digits)
            if term not in terms:
                terms.append(term)
    return tuple(terms)
