"""Which term to search Pipedrive's persons with, for a number the extension looks up.

Pipedrive stores phone numbers as the user typed them (`(415) 555-0100`, `+1 415 555 0100`, ...) and
its person search matches digits anywhere in the stored value. Searching with the national
significant number (`4155550100` for `+14155550100`) therefore finds both the local and the
international spellings. A number without a `+` is an internal extension, which is never searched.
"""

from __future__ import annotations

import re

import phonenumbers

__all__ = ["EXTENSION_NOT_SUPPORTED", "lookup_number", "search_term"]

EXTENSION_NOT_SUPPORTED = "Logging against internal extension number is not supported."


def lookup_number(phone_number: str) -> str:
    """The number as the extension meant it: a leading `+` that arrived URL-decoded as a space is
    restored (the `/contact` route already does this; a direct caller may not have).

    >>> lookup_number(" 14155550100"), lookup_number("+1 415 555 0100")
    ('+14155550100', '+1 415 555 0100')
    """
    return f"+{phone_number[1:]}" if phone_number.startswith(" ") else phone_number


def search_term(phone_number: str) -> str | None:
    """The person-search term for an E.164 number, or None for an extension (no `+`).

    >>> search_term("+14155550100"), search_term("+44 20 7946 0018"), search_term("101")
    ('4155550100', '2079460018', None)

    Separators are ignored, including a second `+` from a space restored twice.

    >>> search_term("+1+415 555-0100")
    '4155550100'

    A number `phonenumbers` does not recognise is searched as given.

    >>> search_term("+999123")
    '+999123'
    """
    if "+" not in phone_number:
        return None
    try:
        parsed = phonenumbers.parse("+" + re.sub(r"\D", "", phone_number), None)
    except phonenumbers.NumberParseException:
        return phone_number
    if not phonenumbers.is_valid_number(parsed):
        return phone_number
    return str(phonenumbers.national_significant_number(parsed))
