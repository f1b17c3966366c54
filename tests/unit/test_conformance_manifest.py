"""Each manifest rule of the conformance kit (spec platform §7.5) catches a manifest that breaks it."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from appconnect.testing import manifest_problems

VALID: dict[str, Any] = {
    "name": "mycrm",
    "auth": {"type": "apiKey", "apiKey": {"page": {"title": "My CRM", "content": []}}},
    "environment": {"type": "fixed", "url": "https://mycrm.example"},
    "settings": [],
    "contactTypes": [{"display": "Contact", "value": "Contact"}],
}
OAUTH = {"type": "oauth", "oauth": {"authUrl": "https://mycrm.example/oauth", "clientId": "abc"}}


def _broken(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    manifest = copy.deepcopy(VALID)
    change(manifest)
    return manifest


def test_a_valid_fragment_and_a_valid_whole_manifest_pass() -> None:
    assert manifest_problems(VALID, "mycrm") == []
    assert manifest_problems({"platforms": {"mycrm": VALID}}, "mycrm") == []
    assert manifest_problems(_broken(lambda m: m.update(auth=OAUTH)), "mycrm") == []
    selectable = {"type": "selectable", "selections": [{"const": "eu", "name": "EU"}]}
    assert manifest_problems(_broken(lambda m: m.update(environment=selectable)), "mycrm") == []


def test_an_empty_oauth_client_id_is_accepted_because_the_server_fills_it_in() -> None:
    oauth = {"type": "oauth", "oauth": {"authUrl": "https://mycrm.example/oauth", "clientId": ""}}
    assert manifest_problems(_broken(lambda m: m.update(auth=oauth)), "mycrm") == []


@pytest.mark.parametrize(
    ("manifest", "expected"),
    [
        ([], "manifest must be an object"),
        ({"platforms": []}, "platforms must be an object"),
        ({"platforms": {"other": VALID}}, "platforms has no key 'mycrm'"),
        ({"platforms": {"mycrm": "x"}}, "platforms.mycrm must be an object"),
        (_broken(lambda m: m.pop("name")), "name must be 'mycrm'"),
        (_broken(lambda m: m.update(name="other")), "name must be 'mycrm' (got 'other')"),
        (_broken(lambda m: m.pop("auth")), "auth must be an object"),
        (_broken(lambda m: m["auth"].update(type="basic")), "auth.type must be one of oauth, apiKey"),
        (_broken(lambda m: m["auth"].pop("apiKey")), "auth.apiKey is required"),
        (_broken(lambda m: m.update(auth={"type": "oauth"})), "auth.oauth is required"),
        (
            _broken(lambda m: m.update(auth={"type": "oauth", "oauth": {"clientId": "abc"}})),
            "auth.oauth.authUrl is required",
        ),
        (
            _broken(lambda m: m.update(auth={"type": "oauth", "oauth": {"authUrl": "https://x"}})),
            "auth.oauth.clientId is required",
        ),
        (_broken(lambda m: m.pop("environment")), "environment must be an object"),
        (_broken(lambda m: m["environment"].update(type="cloud")), "environment.type must be one of"),
        (
            _broken(lambda m: m.update(environment={"type": "selectable"})),
            "environment.selections must be a non-empty array",
        ),
        (_broken(lambda m: m.update(settings={})), "settings must be an array"),
        (_broken(lambda m: m.update(contactTypes="Contact")), "contactTypes must be an array"),
        (_broken(lambda m: m.update(override={"path": "x"})), "override must be an array"),
    ],
)
def test_each_rule_catches_a_broken_manifest(manifest: Any, expected: str) -> None:
    problems = manifest_problems(manifest, "mycrm")
    assert any(expected in problem for problem in problems), problems


def test_every_broken_rule_is_reported_at_once() -> None:
    manifest = _broken(lambda m: m.update(name="x", settings={}, environment={"type": "cloud"}))
    assert len(manifest_problems(manifest, "mycrm")) == 3


def test_the_built_in_manifests_pass() -> None:
    from appconnect.connectors.sample import load_manifest

    assert manifest_problems(load_manifest(), "sample") == []
