"""Phone-number normalisation and matching for the sample CRM.

The extension looks contacts up with whatever the phone system hands it (`+14155550100`), while
people type numbers into a CRM any way they like (`(415) 555-0100`, `020 7123 4567`). A CRM search
must bridge both, so every stored number gets a few *match keys* and a lookup succeeds when one of
the query's keys is among them.

The rule:

* A stored number is normalised to E.164 when `phonenumbers` finds it possible (numbers without a
  country code are read in `DEFAULT_REGION`, the US); otherwise it is kept as its digits. Its match
  keys are the E.164 digits (`14155550100`), the national significant number (`4155550100`) and
  the digits of the national format (`02071234567` for the UK's trunk prefix).
* A query that starts with `+` names its country: its only key is its E.164 digits, so
  `+44 415 555 0100` never matches the US number `+1 415 555 0100`.
* Any other query implies the country: its key is its digits, which match any of the stored keys.
  `4155550100`, `(415) 555-0100`, `14155550100` and `+1 (415) 555-0100` all find `+14155550100`.
  A bare national number that exists in several countries matches each of them.
"""

from __future__ import annotations

import phonenumbers

__all__ = ["DEFAULT_REGION", "digits_only", "normalise_number", "query_keys", "stored_keys"]

#: Region used to read numbers written without a country code.
DEFAULT_REGION = "US"


def digits_only(raw: str) -> str:
    """The ASCII digits of `raw`, in order.

    >>> digits_only("+1 (415) 555-0100")
    '14155550100'
    """
    return "".join(character for character in raw if "0" <= character <= "9")


def _parse(raw: str, region: str) -> phonenumbers.PhoneNumber | None:
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    return parsed if phonenumbers.is_possible_number(parsed) else None


def normalise_number(raw: str, region: str = DEFAULT_REGION) -> str:
    """E.164 form of `raw` when it is a possible number, else its digits.

    >>> normalise_number("(415) 555-0100")
    '+14155550100'
    >>> normalise_number("101")
    '101'
    """
    parsed = _parse(raw, region)
    if parsed is None:
        return digits_only(raw)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def stored_keys(raw: str, region: str = DEFAULT_REGION) -> frozenset[str]:
    """Every key under which a number stored in the CRM can be found (empty for no digits).

    >>> sorted(stored_keys("+442071234567"))
    ['02071234567', '2071234567', '442071234567']
    """
    parsed = _parse(raw, region)
    if parsed is None:
        digits = digits_only(raw)
        return frozenset({digits}) if digits else frozenset()
    keys = {
        digits_only(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)),
        phonenumbers.national_significant_number(parsed),
        digits_only(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)),
    }
    return frozenset(key for key in keys if key)


def query_keys(raw: str, region: str = DEFAULT_REGION) -> frozenset[str]:
    """The keys a lookup for `raw` searches for (see the module docstring for the rule).

    >>> sorted(query_keys("+1 (415) 555-0100")), sorted(query_keys("415.555.0100"))
    (['14155550100'], ['4155550100'])
    """
    digits = digits_only(raw)
    if not digits:
        return frozenset()
    if raw.strip().startswith("+"):
        parsed = _parse(raw, region)
        if parsed is not None:
            return frozenset(
                {digits_only(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))}
            )
    return frozenset({digits})
