"""Templates and paths of the proxy configuration (spec platform §8.3), as pure functions.

Why pure functions over plain data: a template is text an operator wrote, rendered with values a
caller sent. Rendering walks only mappings (by key) and lists (by index) of the context the
connector builds, never attributes, so a template can reach exactly the documented inputs and
nothing else (no settings, no secrets of ours, no filesystem). Where a rendered value goes decides
how it is encoded: `render_url` percent-encodes each substituted value as one path segment, query
values and JSON bodies keep their types and are encoded by the HTTP client.

>>> render_template_string("{{a.b}}", {"a": {"b": 123}})
123
>>> render_template_string("Hello {{ name }}", {"name": "Alice"})
'Hello Alice'
>>> render_url("/contacts/{{id}}", {"id": "../admin?x=1"})
'/contacts/..%2Fadmin%3Fx%3D1'
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final
from urllib.parse import quote

__all__ = [
    "UNDEFINED",
    "get_by_path",
    "join_url",
    "js_string",
    "render_deep",
    "render_template_string",
    "render_url",
    "template_paths",
    "without_undefined",
]


class _Undefined:
    """JavaScript's `undefined`: a missing path step, distinct from a JSON `null`."""

    _instance: _Undefined | None = None

    def __new__(cls) -> _Undefined:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNDEFINED"

    def __bool__(self) -> bool:
        return False


UNDEFINED: Final = _Undefined()
"""What a path that does not exist resolves to (falsy; dropped from query, headers and bodies)."""

_FULL = re.compile(r"^\{\{\s*([^{}]*?)\s*\}\}$")
_ANY = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")


def get_by_path(value: Any, path: str | None = None) -> Any:
    """The value at a dot-separated `path`; empty path or `$` is `value` itself, a missing step `UNDEFINED`.

    Only mapping keys and list indexes are followed (`items.1`), never attributes.

    >>> get_by_path({"a": {"b": [1, 2]}}, "a.b.1")
    2
    >>> get_by_path({"a": 1}, "a.missing.value")
    UNDEFINED
    """
    if path is None or path == "" or path == "$":
        return value
    current = value
    for step in path.split("."):
        if isinstance(current, Mapping):
            if step not in current:
                return UNDEFINED
            current = current[step]
        elif isinstance(current, list | tuple) and step.isdigit():
            index = int(step)
            if index >= len(current):
                return UNDEFINED
            current = current[index]
        else:
            return UNDEFINED
    return current


def _number_text(number: float) -> str:
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    if number.is_integer() and abs(number) < 1e21:
        return str(int(number))
    return repr(number)


def js_string(value: Any) -> str:
    """`value` as JavaScript's `String()` gives it inside a template; null and undefined give "".

    >>> [js_string(v) for v in (True, 1.0, 1.5, {"a": 1}, [1, None, "x"], None)]
    ['true', '1', '1.5', '[object Object]', '1,,x', '']
    """
    if value is None or value is UNDEFINED:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _number_text(value)
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return "[object Object]"
    if isinstance(value, list | tuple):
        return ",".join(js_string(item) for item in value)
    return str(value)


def render_template_string(
    template: Any, context: Mapping[str, Any], *, encode: Callable[[str], str] | None = None
) -> Any:
    """Render one value: exactly one `{{ path }}` gives the raw value, other strings get text substituted.

    `encode` is applied to each substituted text (never to the template's own text); non-strings
    are returned unchanged.

    >>> render_template_string("Missing {{x.y}} here", {})
    'Missing  here'
    """
    if not isinstance(template, str):
        return template
    whole = _FULL.match(template)
    if whole is not None and encode is None:
        return get_by_path(context, whole.group(1))

    def substitute(match: re.Match[str]) -> str:
        text = js_string(get_by_path(context, match.group(1)))
        return encode(text) if encode is not None else text

    return _ANY.sub(substitute, template)


def render_deep(value: Any, context: Mapping[str, Any]) -> Any:
    """Render every string inside mappings and lists (keys are not templated); other values are kept.

    >>> render_deep({"url": "/users/{{id}}", "tags": ["a", "{{items.1}}"]}, {"id": 42, "items": ["x", "y"]})
    {'url': '/users/42', 'tags': ['a', 'y']}
    """
    if isinstance(value, Mapping):
        return {key: render_deep(item, context) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [render_deep(item, context) for item in value]
    return render_template_string(value, context)


def _path_segment(text: str) -> str:
    return quote(text, safe="")


def render_url(template: str, context: Mapping[str, Any]) -> str:
    """Render an operation URL: each substituted value is percent-encoded as one path segment.

    So a caller's value can never add a path step, a query or another host.
    """
    rendered = render_template_string(template, context, encode=_path_segment)
    return str(rendered)


def join_url(base: str | None, path: str | None) -> str:
    """Join `requestDefaults.baseUrl` and an operation URL as the reference does (§8.3).

    >>> join_url("https://api.example.com/", "v1/items")
    'https://api.example.com/v1/items'
    >>> join_url("https://api.example.com", "https://full.example.com/x")
    'https://full.example.com/x'
    """
    if not base:
        return path or ""
    if not path:
        return base
    if path.startswith(("http://", "https://")):
        return path
    head = base[:-1] if base.endswith("/") else base
    tail = path[1:] if path.startswith("/") else path
    return f"{head}/{tail}"


def without_undefined(value: Any) -> Any:
    """A rendered JSON body as `JSON.stringify` sends it: undefined object members dropped, in lists null."""
    if isinstance(value, Mapping):
        return {key: without_undefined(item) for key, item in value.items() if item is not UNDEFINED}
    if isinstance(value, list | tuple):
        return [None if item is UNDEFINED else without_undefined(item) for item in value]
    return value


def template_paths(value: Any) -> Sequence[str]:
    """Every `{{ path }}` used in `value` (strings inside mappings and lists), for validation."""
    found: list[str] = []
    if isinstance(value, str):
        found.extend(match.group(1) for match in _ANY.finditer(value))
    elif isinstance(value, Mapping):
        for item in value.values():
            found.extend(template_paths(item))
    elif isinstance(value, list | tuple):
        for item in value:
            found.extend(template_paths(item))
    return found
