"""The public surface of appconnect.compose: names, signatures, docstrings, purity."""

from __future__ import annotations

import ast
import doctest
import importlib
import inspect
import pkgutil
import sys
from pathlib import Path

import pytest

import appconnect.compose as compose

PACKAGE_DIR = Path(compose.__file__).parent
MODULES = sorted(f"appconnect.compose.{info.name}" for info in pkgutil.iter_modules([str(PACKAGE_DIR)]))

EXPECTED_API = {
    "is_truthy",
    "DEFAULT_LOG_DATE_FORMAT",
    "UNSET",
    "LogFormat",
    "MessageLogContent",
    "MessageMedia",
    "MomentValue",
    "OffsetMode",
    "Unset",
    "add_message_log_entry",
    "compose_call_log",
    "compose_message_log",
    "compose_message_log_entry",
    "compose_shared_sms_log",
    "count_shared_sms_entities",
    "escape_html",
    "format_call_journey",
    "format_date_time",
    "format_duration",
    "format_moment",
    "format_party",
    "gather_shared_sms_participants",
    "message_log_subject",
    "message_media",
    "parse_offset",
    "parse_start_time",
    "upsert_ai_note",
    "upsert_call_agent_note",
    "upsert_call_date_time",
    "upsert_call_duration",
    "upsert_call_recording",
    "upsert_call_result",
    "upsert_call_session_id",
    "upsert_call_subject",
    "upsert_contact_phone_number",
    "upsert_legs",
    "upsert_rc_number_and_extension",
    "upsert_rc_user_name",
    "upsert_ring_sense_ai_score",
    "upsert_ring_sense_bulleted_summary",
    "upsert_ring_sense_link",
    "upsert_ring_sense_summary",
    "upsert_ring_sense_transcript",
    "upsert_transcript",
    "upsert_voicemail_recording",
}


def test_all_lists_exactly_the_public_api() -> None:
    assert set(compose.__all__) == EXPECTED_API
    assert len(compose.__all__) == len(EXPECTED_API)
    for name in compose.__all__:
        assert hasattr(compose, name)


def test_compose_call_log_takes_the_keyword_names_the_service_layer_uses() -> None:
    parameters = inspect.signature(compose.compose_call_log).parameters
    assert list(parameters) == [
        "log_format",
        "existing_body",
        "call_log",
        "contact_info",
        "user_settings",
        "timezone_offset",
        "note",
        "subject",
        "start_time",
        "duration",
        "result",
        "recording_link",
        "voicemail_link",
        "ai_note",
        "transcript",
        "ring_sense_transcript",
        "ring_sense_summary",
        "ring_sense_ai_score",
        "ring_sense_bulleted_summary",
        "ring_sense_link",
    ]
    assert all(parameter.kind is inspect.Parameter.KEYWORD_ONLY for parameter in parameters.values())


@pytest.mark.parametrize("name", sorted(name for name in EXPECTED_API if name.startswith("upsert_")))
def test_upsert_helpers_take_the_body_a_value_and_a_keyword_only_format(name: str) -> None:
    parameters = list(inspect.signature(getattr(compose, name)).parameters.values())
    assert parameters[0].name == "body"
    assert parameters[1].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert "log_format" in {p.name for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY}


@pytest.mark.parametrize("name", sorted(EXPECTED_API))
def test_every_public_name_is_documented(name: str) -> None:
    obj = getattr(compose, name)
    if inspect.isfunction(obj) or inspect.isclass(obj):
        assert inspect.getdoc(obj)


@pytest.mark.parametrize("module_name", MODULES)
def test_every_module_says_why_it_exists(module_name: str) -> None:
    assert importlib.import_module(module_name).__doc__


@pytest.mark.parametrize("module_name", MODULES)
def test_the_package_imports_only_the_standard_library(module_name: str) -> None:
    path = PACKAGE_DIR / f"{module_name.rsplit('.', 1)[1]}.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots = [alias.name.split(".")[0] for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots = [node.module.split(".")[0]]
        else:
            continue
        for root in roots:
            assert root == "__future__" or root in sys.stdlib_module_names, f"{path.name} imports {root}"


@pytest.mark.parametrize("module_name", ["appconnect.compose", *MODULES])
def test_docstring_examples_hold(module_name: str) -> None:
    result = doctest.testmod(importlib.import_module(module_name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
