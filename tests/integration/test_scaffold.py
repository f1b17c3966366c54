"""`appconnect init`: the generated connector package works as generated, with no network.

Why end to end: the promise to a connector author is "one command, then `pytest` and `appconnect
check` pass", so these tests generate a project, run its own conformance tests and `appconnect
check` in child processes (as the author would), and check the refusals of bad input.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from appconnect.cli import app
from appconnect.scaffold import (
    InvalidProjectName,
    ProjectExists,
    create_project,
    derive_names,
    render_project,
)
from appconnect.testing import manifest_problems

REPO_ROOT = Path(__file__).resolve().parents[2]
EXPECTED_FILES = {
    ".gitignore",
    "README.md",
    "pyproject.toml",
    "src/my_crm_connector/__init__.py",
    "src/my_crm_connector/connector.py",
    "src/my_crm_connector/manifest.json",
    "src/my_crm_connector/mock_crm.py",
    "src/my_crm_connector/py.typed",
    "tests/test_conformance.py",
}


def _child_env(project: Path, **extra: str) -> dict[str, str]:
    """A clean environment for a child process: the generated `src` and this repo on the path."""
    env = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG")}
    env["PYTHONPATH"] = os.pathsep.join([str(project / "src"), str(REPO_ROOT)])
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One project generated through the CLI, shared by the slower subprocess tests."""
    from typer.testing import CliRunner

    parent = tmp_path_factory.mktemp("scaffold")
    result = CliRunner().invoke(app, ["init", "my-crm", "--directory", str(parent)])
    assert result.exit_code == 0, result.output
    assert "APPCONNECT_CONNECTORS=my_crm appconnect serve" in result.output
    assert "TODO 1..9" in result.output
    yield parent / "my-crm"


def test_names_are_derived_from_the_project_name() -> None:
    names = derive_names("My CRM")
    assert (names.project, names.distribution, names.platform, names.package) == (
        "my-crm",
        "appconnect-my-crm",
        "my_crm",
        "my_crm_connector",
    )
    assert (names.class_name, names.display_name, names.env_prefix) == ("MyCrmConnector", "My CRM", "MY_CRM")
    assert derive_names("my_crm") == names


@pytest.mark.parametrize("bad", ["", "1crm", "my crm!", "my--crm", "-crm", "crm-", "a/b", "x" * 51, "sample"])
def test_bad_names_are_refused(bad: str, tmp_path: Path) -> None:
    with pytest.raises(InvalidProjectName):
        create_project(bad, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_every_template_placeholder_is_filled() -> None:
    rendered = render_project(derive_names("acme"))
    assert all("{{" not in text for text in rendered.values())
    assert "src/acme_connector/connector.py" in rendered


def test_the_generated_files_exist_and_compile(project: Path) -> None:
    files = {path.relative_to(project).as_posix() for path in project.rglob("*") if path.is_file()}
    assert files >= EXPECTED_FILES
    for relative in EXPECTED_FILES:
        if relative.endswith(".py"):
            source = (project / relative).read_text(encoding="utf-8")
            compile(ast.parse(source, filename=relative), relative, "exec")
    connector = (project / "src/my_crm_connector/connector.py").read_text(encoding="utf-8")
    for number in range(1, 10):
        assert f"TODO {number}:" in connector, f"TODO {number} is missing"
    assert 'name: ClassVar[str] = "my_crm"' in connector


def test_the_pyproject_declares_the_entry_point(project: Path) -> None:
    import tomllib

    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["name"] == "appconnect-my-crm"
    assert "appconnect" in pyproject["project"]["dependencies"]
    entry_points = pyproject["project"]["entry-points"]["appconnect.connectors"]
    assert entry_points == {"my_crm": "my_crm_connector:create_connector"}


def test_the_manifest_is_a_valid_fragment(project: Path) -> None:
    manifest = json.loads((project / "src/my_crm_connector/manifest.json").read_text(encoding="utf-8"))
    assert manifest_problems(manifest, "my_crm") == []


def test_the_generated_conformance_tests_pass(project: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", str(project / "tests"), "-q", "-p", "no:cacheprovider"],
        cwd=project,
        env=_child_env(project),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    progress = result.stdout.split()[0]  # `-q` twice (ours and the project's addopts): only the dots
    assert progress == "." * 10, result.stdout  # 9 conformance checks, none skipped, and the own test


def test_appconnect_check_accepts_the_generated_connector(project: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "appconnect", "check"],
        cwd=tmp_path,
        env=_child_env(project, APPCONNECT_EXTRA_CONNECTORS="my_crm_connector:create_connector"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert "ok my_crm.registers" in lines
    assert "ok my_crm.manifest_is_valid" in lines
    assert "ok my_crm.implemented_interfaces_match_manifest" in lines


def test_an_existing_directory_is_refused_without_force(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    target = tmp_path / "my-crm"
    target.mkdir()
    (target / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ProjectExists):
        create_project("my-crm", tmp_path)
    result = CliRunner().invoke(app, ["init", "my-crm", "--directory", str(tmp_path)])
    assert result.exit_code == 2
    assert "--force" in result.output
    assert sorted(path.name for path in target.iterdir()) == ["notes.txt"]

    forced = CliRunner().invoke(app, ["init", "my-crm", "--directory", str(tmp_path), "--force"])
    assert forced.exit_code == 0, forced.output
    assert (target / "src/my_crm_connector/connector.py").is_file()
    assert (target / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_an_empty_existing_directory_is_used(tmp_path: Path) -> None:
    (tmp_path / "my-crm").mkdir()
    created = create_project("my-crm", tmp_path)
    assert set(created.files) == EXPECTED_FILES


def test_the_cli_refuses_a_bad_name(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, ["init", "9 lives!", "--directory", str(tmp_path)])
    assert result.exit_code == 2
    assert "invalid project name" in result.output
    assert list(tmp_path.iterdir()) == []
