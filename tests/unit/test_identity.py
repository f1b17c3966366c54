"""Choosing the call-log linkage a request means (spec logging §2.2)."""

from __future__ import annotations

from appconnect.domain import CallLogLink
from appconnect.security import hash_id
from appconnect.services.identity import extension_identity
from appconnect.store import ExtensionIdentity
from appconnect.store.call_logs import choose_link


def link(extension: str, hashed: str) -> CallLogLink:
    return CallLogLink(
        id="t",
        session_id="s",
        extension_number=extension,
        hashed_extension_id=hashed,
        platform="p",
        third_party_log_id=f"{extension}/{hashed}",
        user_id="u",
        contact_id="c",
    )


def test_exact_hash_wins_over_legacy_rows() -> None:
    rows = [link("", ""), link("101", ""), link("101", "h1")]
    assert choose_link(rows, ExtensionIdentity("101", "h1")) == rows[2]
    assert choose_link(rows[:2], ExtensionIdentity("101", "h1")) == rows[1]
    assert choose_link(rows[:1], ExtensionIdentity("101", "h1")) == rows[0]


def test_a_row_of_another_hash_never_matches() -> None:
    assert choose_link([link("101", "other")], ExtensionIdentity("101", "h1")) is None


def test_extension_number_alone_matches_whatever_the_hash() -> None:
    rows = [link("102", ""), link("101", "h9")]
    assert choose_link(rows, ExtensionIdentity("101", "")) == rows[1]


def test_no_identity_prefers_the_legacy_row() -> None:
    rows = [link("101", "h1"), link("", "")]
    assert choose_link(rows, ExtensionIdentity()) == rows[1]


def test_raw_extension_id_is_hashed_only_with_a_hash_key() -> None:
    assert extension_identity(rc_extension_id="77", hash_key="k").hashed_extension_id == hash_id("77", "k")
    assert extension_identity(rc_extension_id="77", hash_key=None).hashed_extension_id == ""
    assert extension_identity(extension_number=101, hash_key=None).extension_number == "101"
