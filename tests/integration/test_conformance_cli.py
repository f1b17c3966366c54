"""`appconnect check` in its own process, as an operator or CI job runs it.

`create_broken_connector` is loaded by the child process through `APPCONNECT_EXTRA_CONNECTORS`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import MappingProxyType

from appconnect.connectors import BaseConnector, CreateCallLogInput, UpdateCallLogInput, UpdateCallLogResult

REPO_ROOT = Path(__file__).resolve().parents[2]


class BrokenCrm(BaseConnector):
    """Registers fine, but its manifest breaks two rules, its auth type is unknown, its create returns a
    dict and its update reads a field its input does not have (both also type errors, see the ignores)."""

    name = "brokencrm"
    manifest = MappingProxyType({"name": "brokencrm", "auth": {"type": "basic"}, "settings": {}})

    def get_auth_type(self, user: object = None, /) -> str:
        return "basic"

    async def create_call_log(self, call: CreateCallLogInput, /) -> dict[str, str]:  # type: ignore[override]
        return {"logId": "1"}

    async def update_call_log(self, call: UpdateCallLogInput, /) -> UpdateCallLogResult:
        return UpdateCallLogResult(updated_note=call.composed_log_detail)  # type: ignore[attr-defined]


def create_broken_connector() -> BrokenCrm:
    return BrokenCrm()


def _check(
    cwd: Path, *args: str, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG")}
    env.update({"PYTHONPATH": str(REPO_ROOT), **(extra_env or {})})
    return subprocess.run(
        [sys.executable, "-m", "appconnect", "check", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_passes_for_the_built_in_connectors_with_no_configuration(tmp_path: Path) -> None:
    result = _check(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert "ok sample.manifest_is_valid" in lines
    assert "ok pipedrive.registers" in lines
    assert all(line.startswith(("ok ", "skip ")) for line in lines), lines
    assert list(tmp_path.iterdir()) == []  # checking writes nothing


def test_check_of_one_platform_prints_only_its_checks(tmp_path: Path) -> None:
    result = _check(tmp_path, "--platform", "sample")
    assert result.returncode == 0, result.stdout + result.stderr
    assert all(".".join(line.split()[1:2]).startswith("sample.") for line in result.stdout.splitlines())
    unknown = _check(tmp_path, "--platform", "nosuchcrm")
    assert unknown.returncode == 1
    assert "FAIL nosuchcrm: not registered" in unknown.stdout


def test_check_fails_on_a_broken_connector(tmp_path: Path) -> None:
    env = {"APPCONNECT_EXTRA_CONNECTORS": "tests.integration.test_conformance_cli:create_broken_connector"}
    result = _check(tmp_path, extra_env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert "ok brokencrm.registers" in lines
    manifest_line = next(line for line in lines if line.startswith("FAIL brokencrm.manifest_is_valid: "))
    assert "auth.type must be one of oauth, apiKey" in manifest_line
    assert "settings must be an array" in manifest_line
    assert any(line.startswith("FAIL brokencrm.auth_type_is_known: ") for line in lines)
    typed = next(line for line in lines if line.startswith("FAIL brokencrm.interfaces_match_protocols: "))
    assert "create_call_log returns dict[str, str], but the interface returns CreateCallLogResult" in typed
    assert "update_call_log reads call.composed_log_detail, which UpdateCallLogInput does not have" in typed
    assert "ok sample.registers" in lines  # the others are still checked
