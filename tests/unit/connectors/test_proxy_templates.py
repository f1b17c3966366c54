"""Templates and paths of the proxy configuration (spec platform §8.3): the reference's engine cases
(`packages/core/test/connector/proxy/engine.test.ts`) plus the encoding and reach rules of ours."""

from __future__ import annotations

from typing import Any

import pytest

from appconnect.connectors.proxy.templates import (
    UNDEFINED,
    get_by_path,
    join_url,
    js_string,
    render_deep,
    render_template_string,
    render_url,
    without_undefined,
)


def test_full_and_partial_templates() -> None:
    context = {"a": {"b": 123}, "name": "Alice"}
    assert render_template_string("{{a.b}}", context) == 123
    assert render_template_string("Hello {{name}}", context) == "Hello Alice"
    assert render_template_string("Missing {{x.y}} here", context) == "Missing  here"
    assert render_template_string(123, context) == 123
    assert render_template_string("{{x.y}}", context) is UNDEFINED


def test_spaces_inside_the_braces_and_raw_values_of_every_kind() -> None:
    context = {"flag": True, "items": [1, 2], "obj": {"k": "v"}, "none": None}
    assert render_template_string("{{ flag }}", context) is True
    assert render_template_string("{{items}}", context) == [1, 2]
    assert render_template_string("{{ obj }}", context) == {"k": "v"}
    assert render_template_string("{{none}}", context) is None


def test_get_by_path_root_empty_missing_nested() -> None:
    value = {"a": {"b": 123}}
    assert get_by_path(value) is value
    assert get_by_path(value, "$") is value
    assert get_by_path(value, "a.b") == 123
    assert get_by_path(value, "a.missing.value") is UNDEFINED
    assert get_by_path({"items": ["x", "y"]}, "items.1") == "y"
    assert get_by_path({"items": ["x"]}, "items.5") is UNDEFINED


def test_render_deep_objects_and_lists() -> None:
    context = {"id": 42, "name": "Alice", "items": ["x", "y"]}
    out = render_deep(
        {"url": "/users/{{id}}", "body": {"name": "{{name}}", "tags": ["a", "{{items.1}}"]}}, context
    )
    assert out == {"url": "/users/42", "body": {"name": "Alice", "tags": ["a", "y"]}}
    assert render_deep(None, context) is None
    assert render_deep(123, context) == 123
    assert render_deep({"{{id}}": "k"}, context) == {"{{id}}": "k"}  # keys are not templated


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (True, "true"),
        (False, "false"),
        (1.0, "1"),
        (1.5, "1.5"),
        (-0.25, "-0.25"),
        ({"a": 1}, "[object Object]"),
        ([1, None, "x", [2, 3]], "1,,x,2,3"),
        (None, ""),
        (UNDEFINED, ""),
        (7, "7"),
        ("s", "s"),
    ],
)
def test_values_inside_text_convert_as_javascript_string(value: Any, text: str) -> None:
    assert js_string(value) == text
    assert render_template_string("<{{v}}>", {"v": value}) == f"<{text}>"


def test_join_url_as_the_reference() -> None:
    assert join_url("https://api.example.com", "/v1/items") == "https://api.example.com/v1/items"
    assert join_url("https://api.example.com/", "v1/items") == "https://api.example.com/v1/items"
    assert join_url("", "https://full.example.com/x") == "https://full.example.com/x"
    assert join_url("https://api.example.com", "") == "https://api.example.com"
    assert join_url("https://api.example.com", "https://full.example.com/x") == "https://full.example.com/x"


def test_url_values_are_encoded_as_one_path_segment() -> None:
    context = {"id": "../../admin", "q": "a b?c=d#e", "host": "https://evil.example"}
    assert render_url("/things/{{id}}", context) == "/things/..%2F..%2Fadmin"
    assert render_url("/s/{{q}}", context) == "/s/a%20b%3Fc%3Dd%23e"
    # a whole-template URL is text too, so a value can never become an absolute URL
    assert render_url("{{host}}", context) == "https%3A%2F%2Fevil.example"
    assert join_url("https://api.example.com", render_url("{{host}}", context)).startswith(
        "https://api.example.com/"
    )


def test_templates_walk_only_mappings_and_lists_never_attributes() -> None:
    class Secretive:
        secret = "s3cret"

    context: dict[str, Any] = {"obj": Secretive(), "text": "abc"}
    assert render_template_string("{{obj.secret}}", context) is UNDEFINED
    assert render_template_string("{{text.__class__}}", context) is UNDEFINED
    assert render_template_string("{{__class__}}", context) is UNDEFINED
    assert render_template_string("{{text.upper}}", context) is UNDEFINED


def test_undefined_members_are_dropped_from_json_bodies() -> None:
    rendered = render_deep({"a": "{{missing}}", "b": ["{{missing}}", 1], "c": None}, {})
    assert without_undefined(rendered) == {"b": [None, 1], "c": None}
