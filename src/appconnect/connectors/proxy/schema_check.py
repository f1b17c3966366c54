"""A small JSON Schema validator for the subset `schema.json` uses, with errors naming the JSON path.

Why our own: the configuration schema needs a dozen keywords, and an operator needs one clear line
(`$.operations.findContact.method: 'FETCH' is not one of GET, POST, ...`), which is simpler to
promise from forty lines than from a general library. The schema file itself is standard draft
2020-12, so editors and other tools validate with it too.

Keywords: `type`, `enum`, `pattern`, `minLength`, `exclusiveMinimum`, `maximum`, `required`,
`properties`, `additionalProperties`, `propertyNames`, `items`, `anyOf`, `$ref` (`#/$defs/...`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["schema_errors"]

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "boolean": (bool,),
    "null": (type(None),),
}


def _is_type(value: Any, name: str) -> bool:
    if name == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, _TYPES[name])


def _child(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    if re.fullmatch(r"[A-Za-z_$][A-Za-z0-9_$]*", key):
        return f"{path}.{key}"
    return f"{path}[{key!r}]"


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def schema_errors(
    value: Any, schema: Mapping[str, Any], root: Mapping[str, Any] | None = None, path: str = "$"
) -> Iterator[tuple[str, str]]:
    """Yield `(json_path, reason)` for every rule of `schema` that `value` breaks, in document order."""
    root = root if root is not None else schema
    if "$ref" in schema:
        target: Any = root
        for part in str(schema["$ref"]).removeprefix("#/").split("/"):
            target = target[part]
        yield from schema_errors(value, target, root, path)
        return
    if "anyOf" in schema:
        options = [list(schema_errors(value, option, root, path)) for option in schema["anyOf"]]
        if all(options):
            yield min(options, key=len)[0]
        return
    expected = schema.get("type")
    if expected is not None:
        names = [expected] if isinstance(expected, str) else list(expected)
        if not any(_is_type(value, name) for name in names):
            yield path, f"must be {' or '.join(names)}, not {_show(value)}"
            return
    if "enum" in schema and value not in schema["enum"]:
        yield path, f"{_show(value)} is not one of {', '.join(str(option) for option in schema['enum'])}"
        return
    if isinstance(value, str):
        if len(value) < int(schema.get("minLength", 0)):
            yield path, "must not be empty"
        if "pattern" in schema and not re.search(schema["pattern"], value):
            yield path, f"{_show(value)} does not match {schema['pattern']}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "exclusiveMinimum" in schema and not value > schema["exclusiveMinimum"]:
            yield path, f"must be greater than {schema['exclusiveMinimum']}"
        if "maximum" in schema and value > schema["maximum"]:
            yield path, f"must be at most {schema['maximum']}"
    if isinstance(value, dict):
        yield from _object_errors(value, schema, root, path)
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            yield from schema_errors(item, schema["items"], root, _child(path, index))


def _object_errors(
    value: dict[str, Any], schema: Mapping[str, Any], root: Mapping[str, Any], path: str
) -> Iterator[tuple[str, str]]:
    for key in schema.get("required", ()):
        if key not in value:
            yield path, f"{key!r} is required"
    properties: Mapping[str, Any] = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    names = schema.get("propertyNames")
    for key, item in value.items():
        where = _child(path, key)
        if names is not None:
            refused = next(iter(schema_errors(key, names, root, where)), None)
            if refused is not None:
                yield where, f"unknown key: {refused[1]}"
                continue
        if key in properties:
            yield from schema_errors(item, properties[key], root, where)
        elif extra is False:
            known = ", ".join(properties) or "none"
            yield where, f"unknown key {key!r} (allowed: {known})"
        elif isinstance(extra, Mapping):
            yield from schema_errors(item, extra, root, where)
