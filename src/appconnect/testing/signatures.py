"""Each interface method of a connector, held against its protocol without calling it.

Why: mypy checks a connector that lists its protocols in its class line, but a connector is
loaded by name at start-up, from a package the server never type-checked. `appconnect check`
therefore repeats the promises that matter at run time, per method:

* async where the interface is async, taking the interface's one input object (not keyword
  arguments, which the server does not send);
* annotations, where present, naming the interface's input and result types;
* every attribute the method reads from its input exists on that input type (a misspelled
  `call.composed_log_detail` is found here, before a user's call is logged with an empty body).
"""

from __future__ import annotations

import ast
import inspect
import textwrap
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from appconnect.connectors.base import INTERFACE_PROTOCOLS, Connector

__all__ = ["InterfaceSpec", "interface_problems", "interface_specs"]


@dataclass(frozen=True)
class InterfaceSpec:
    """One method of one interface protocol, with its input and result types (None: unknown)."""

    protocol: type
    name: str
    is_async: bool
    input_type: Any
    result_type: Any
    required: bool


def _hints(function: Callable[..., Any]) -> dict[str, Any]:
    try:
        return typing.get_type_hints(function)
    except Exception:  # an annotation only importable for type checkers (e.g. fastapi's APIRouter)
        return {}


def interface_specs() -> Iterator[InterfaceSpec]:
    """Every method of `Connector` and of the optional interface protocols."""
    for protocol in INTERFACE_PROTOCOLS:
        for name, member in vars(protocol).items():
            if name.startswith("_") or not inspect.isfunction(member):
                continue
            hints = _hints(member)
            parameters = [p for p in inspect.signature(member).parameters.values() if p.name != "self"]
            yield InterfaceSpec(
                protocol=protocol,
                name=name,
                is_async=inspect.iscoroutinefunction(member),
                input_type=hints.get(parameters[0].name) if parameters else None,
                result_type=hints.get("return"),
                required=protocol is Connector,
            )


def _type_name(annotation: Any) -> str:
    if typing.get_origin(annotation) is None and isinstance(getattr(annotation, "__name__", None), str):
        return str(annotation.__name__)
    return str(annotation).replace("typing.", "").replace("collections.abc.", "")


def _accepts(annotation: Any, expected: Any) -> bool:
    """An input annotation that the server's input satisfies (the type itself or a base of it)."""
    if annotation is Any or annotation is object:
        return True
    if isinstance(annotation, type) and isinstance(expected, type):
        return issubclass(expected, annotation)
    return bool(annotation == expected)


def _members(annotation: Any) -> tuple[Any, ...]:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return typing.get_args(annotation)
    return (annotation,)


def _returns(annotation: Any, expected: Any) -> bool:
    """A result annotation the server can use: the expected type, a subclass, or a narrower union."""
    if annotation is Any:
        return True
    allowed = _members(expected)
    for member in _members(annotation):
        if member in allowed:
            continue
        origin = typing.get_origin(member) or member
        if isinstance(origin, type) and any(
            (isinstance(option, type) and issubclass(origin, option))
            or (isinstance(typing.get_origin(option), type) and issubclass(origin, typing.get_origin(option)))
            for option in allowed
        ):
            continue
        return False
    return True


def _attributes_read(function: Callable[..., Any], parameter: str) -> set[str]:
    """The `parameter.<name>` attributes the function's source reads (empty when there is no source)."""
    try:
        source = textwrap.dedent(inspect.getsource(function))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError):
        return set()
    return {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == parameter
    }


def _method_problems(spec: InterfaceSpec, method: Any) -> list[str]:
    label = spec.name
    if not callable(method):
        return [f"{label} is not callable"]
    problems: list[str] = []
    function = inspect.unwrap(getattr(method, "__func__", method))
    if spec.is_async and not inspect.iscoroutinefunction(function):
        problems.append(f"{label} must be `async def`")
    try:
        parameters = list(inspect.signature(method).parameters.values())
    except (TypeError, ValueError):
        return problems
    positional = [
        p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
    ]
    required_keywords = [p.name for p in parameters if p.kind == p.KEYWORD_ONLY and p.default is p.empty]
    expected_count = 0 if spec.input_type is None and spec.name in ("startup", "shutdown") else 1
    wanted = _type_name(spec.input_type) if spec.input_type is not None else "its input"
    if required_keywords:
        problems.append(
            f"{label} takes keyword arguments ({', '.join(required_keywords)}); "
            f"interfaces receive one input object ({wanted})"
        )
    elif expected_count and not positional:
        problems.append(f"{label} must take one argument: a {wanted}")
    hints = _hints(function)
    if positional and spec.input_type is not None:
        annotation = hints.get(positional[0].name)
        if annotation is not None and not _accepts(annotation, spec.input_type):
            problems.append(
                f"{label} takes {_type_name(annotation)}, but the server passes {_type_name(spec.input_type)}"
            )
        if isinstance(spec.input_type, type):
            unknown = sorted(
                name
                for name in _attributes_read(function, positional[0].name)
                if not hasattr(spec.input_type, name) and name not in _fields(spec.input_type)
            )
            kind = _type_name(spec.input_type)
            problems.extend(
                f"{label} reads {positional[0].name}.{name}, which {kind} does not have" for name in unknown
            )
    returned = hints.get("return")
    if returned is not None and spec.result_type is not None and not _returns(returned, spec.result_type):
        expected = _type_name(spec.result_type)
        problems.append(f"{label} returns {_type_name(returned)}, but the interface returns {expected}")
    return problems


def _fields(kind: type) -> set[str]:
    return set(getattr(kind, "__dataclass_fields__", {}))


def interface_problems(connector: object) -> list[str]:
    """Every way `connector`'s interface methods break their protocols (empty: none found)."""
    problems: list[str] = []
    for spec in interface_specs():
        method = getattr(connector, spec.name, None)
        if method is None:
            if spec.required:
                problems.append(f"{spec.name} is missing")
            continue
        problems.extend(_method_problems(spec, method))
    return problems
