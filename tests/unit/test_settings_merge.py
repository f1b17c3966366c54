"""The effective-settings merge (spec platform §4.3), on the reference's own vectors."""

from __future__ import annotations

from typing import Any

import pytest

from appconnect.services.users import merge_settings

SCALAR_CASES: list[tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]] = [
    (
        "read-only admin entry wins whole",
        {"m": {"value": "a", "customizable": False, "defaultValue": "d", "options": ["a"]}},
        {"m": {"value": "u", "defaultValue": "x"}},
        {"m": {"value": "a", "customizable": False, "defaultValue": "d", "options": ["a"]}},
    ),
    (
        "customizable admin entry lets the user's value and metadata through",
        {"l": {"value": "en", "customizable": True, "defaultValue": "en", "options": ["en", "fr"]}},
        {"l": {"value": "fr", "defaultValue": "sys", "options": ["fr"]}},
        {"l": {"customizable": True, "value": "fr", "defaultValue": "sys", "options": ["fr"]}},
    ),
    (
        "an empty admin map still marks user entries customizable",
        {},
        {"u": {"value": "v", "defaultValue": "d", "options": ["v"], "extra": "dropped"}},
        {"u": {"customizable": True, "value": "v", "defaultValue": "d", "options": ["v"]}},
    ),
    ("a removed setting is hidden", {"x": {"value": "h", "isRemoved": True}}, {"x": {"value": "y"}}, {}),
    (
        "admin-only settings reach the user",
        {"a": {"value": "admin", "customizable": False}},
        {},
        {"a": {"value": "admin", "customizable": False}},
    ),
]


@pytest.mark.parametrize(
    ("label", "admin", "user", "expected"), SCALAR_CASES, ids=[c[0] for c in SCALAR_CASES]
)
def test_scalar_settings_merge(
    label: str, admin: dict[str, Any], user: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert merge_settings(admin, user) == expected


def test_without_admin_settings_the_users_map_is_unchanged() -> None:
    assert merge_settings(None, {"k": {"value": "v"}}) == {"k": {"value": "v"}}
    assert merge_settings(None, None) == {}
    assert merge_settings({"a": {"value": 1}}, None) == {}


def test_admin_keys_come_first() -> None:
    merged = merge_settings({"b": {"value": 1}, "a": {"value": 2}}, {"c": {"value": 3}, "a": {"value": 4}})
    assert list(merged) == ["b", "a", "c"]


def _plugin(config: Any, **entry: Any) -> dict[str, Any]:
    return {"plugin_service": {**entry, "value": {"config": config}}}


PLUGIN_CASES: list[tuple[str, Any, Any, Any]] = [
    (
        "a non-customizable nested field takes the admin entry",
        {"endpoint": {"value": "https://admin", "customizable": False, "options": ["https://admin"]}},
        {"endpoint": {"value": "https://user", "customizable": True}},
        {"endpoint": {"value": "https://admin", "customizable": False, "options": ["https://admin"]}},
    ),
    (
        "an empty nested user value is filled by the admin's",
        {"queueId": {"value": "admin-queue", "customizable": True}},
        {"queueId": {"value": "", "customizable": True}},
        {"queueId": {"value": "admin-queue", "customizable": True}},
    ),
    (
        "a customizable nested field keeps the user's entry with the admin's customizability",
        {"queueId": {"value": "admin-queue", "customizable": True, "options": ["admin-queue"]}},
        {"queueId": {"value": "user-queue", "customizable": False, "options": ["user-queue"]}},
        {"queueId": {"value": "user-queue", "customizable": True, "options": ["user-queue"]}},
    ),
    (
        "an empty user config takes the whole admin config",
        {"queueId": {"value": "q", "customizable": True}, "region": {"value": "us", "customizable": False}},
        {},
        {"queueId": {"value": "q", "customizable": True}, "region": {"value": "us", "customizable": False}},
    ),
]


@pytest.mark.parametrize(
    ("label", "admin", "user", "expected"), PLUGIN_CASES, ids=[c[0] for c in PLUGIN_CASES]
)
def test_plugin_settings_merge(label: str, admin: Any, user: Any, expected: Any) -> None:
    merged = merge_settings(_plugin(admin, customizable=True), _plugin(user))
    assert merged["plugin_service"]["customizable"] is True
    assert merged["plugin_service"]["value"]["config"] == expected


def test_a_plugin_without_any_config_is_dropped() -> None:
    assert merge_settings(_plugin(None, customizable=True), _plugin({})) == {}
