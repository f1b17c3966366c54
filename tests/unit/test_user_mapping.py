"""The matching rules of admin user mapping (spec platform §5.3, quirks P-12 and P-13)."""

from __future__ import annotations

import pytest

from appconnect.connectors.types import CrmUser
from appconnect.services.user_mapping import BadExtensionList, build_mapping, parse_extensions


def test_missing_names_and_emails_never_match() -> None:
    """Quirk P-13: the reference matches a CRM user without e-mail to an extension without one."""
    extensions = parse_extensions([{"id": 1}, {"id": 2, "email": "b@example.test"}])
    items, stored = build_mapping(
        [CrmUser(id=7, name="", email=None), CrmUser(id=8, name="Bea", email="b@example.test")],
        extensions,
        None,
        reinitialize=False,
    )
    assert [item["rcUser"] for item in items] == [
        [],
        [{"extensionId": "2", "name": "", "extensionNumber": "", "email": "b@example.test"}],
    ]
    assert stored == [{"crmUserId": "8", "rcExtensionId": ["2"]}]


def test_ids_compare_as_text_and_only_the_first_match_counts() -> None:
    """Quirk P-12: a stored `"5"` finds the extension `5`; a name matches the first extension only."""
    extensions = parse_extensions([{"id": 5, "name": "Ann"}, {"id": 6, "name": "Ann"}])
    items, stored = build_mapping(
        [CrmUser(id=1, name="Ann"), CrmUser(id=2, name="Ann")],
        extensions,
        [{"crmUserId": 1, "rcExtensionId": "6"}],
        reinitialize=False,
    )
    assert [[rc["extensionId"] for rc in item["rcUser"]] for item in items] == [["6"], ["5"]]
    assert stored == [
        {"crmUserId": "1", "rcExtensionId": ["6"]},
        {"crmUserId": "2", "rcExtensionId": ["5"]},
    ]


@pytest.mark.parametrize("bad", [None, {}, [1], [{"id": ""}], [{"id": True}], [{"id": 1, "name": ["x"]}]])
def test_a_malformed_extension_list_is_refused(bad: object) -> None:
    with pytest.raises(BadExtensionList):
        parse_extensions(bad)
