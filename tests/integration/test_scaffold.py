"""`appconnect init`: the generated connector package works as generated, with no network.

Why end to end: the promise to a connector author is "one command, then `pytest` and `appconnect
check` pass", so these tests generate a project, run its own conformance tests and `appconnect
check` in child processes (as the author would), and check the refusals of bad input.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from appconnect import DISTRIBUTION, __version__
from appconnect.cli import app
from appconnect.scaffold import (
    InvalidProjectName,
    ProjectExists,
    ServerSource,
    create_project,
    derive_names,
    render_project,
    server_requirement,
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
    assert "APPCONNECT_CONNECTORS=my_crm .venv/bin/appconnect serve" in result.output
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


@pytest.mark.parametrize(
    "bad", ["", "1crm", "my crm!", "my--crm", "-crm", "crm-", "a/b", "x" * 51, "sample", "server"]
)
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
    assert pyproject["project"]["dependencies"] == [server_requirement(__version__)]
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


def test_the_server_requirement_is_a_range_that_this_version_satisfies() -> None:
    assert DISTRIBUTION == "appconnect-server"
    assert server_requirement("0.1.0") == "appconnect-server>=0.1,<0.2"
    assert server_requirement("0.12.3") == "appconnect-server>=0.12,<0.13"
    assert server_requirement("1.4.2") == "appconnect-server>=1.4,<2"
    low, high = re.fullmatch(r"appconnect-server>=(\d+\.\d+),<(\S+)", server_requirement()).groups()  # type: ignore[union-attr]
    assert low == ".".join(__version__.split(".")[:2]) and high != low


def test_a_project_made_from_a_release_installs_the_server_from_pypi() -> None:
    rendered = render_project(derive_names("acme"), ServerSource(requirement="appconnect-server>=0.3,<0.4"))
    assert 'dependencies = ["appconnect-server>=0.3,<0.4"]' in rendered["pyproject.toml"]
    readme = rendered["README.md"]
    assert "pip install -e /" not in readme and "source checkout" not in readme
    assert '.venv/bin/pip install -e ".[dev]"' in readme


def test_init_from_a_source_checkout_installs_the_checkout(project: Path) -> None:
    assert ServerSource.detect().checkout == REPO_ROOT  # the tests run from this checkout
    readme = (project / "README.md").read_text(encoding="utf-8")
    assert f".venv/bin/pip install -e {shlex.quote(str(REPO_ROOT))}" in readme
    commands = _readme_commands(readme)
    assert commands.index(f".venv/bin/pip install -e {shlex.quote(str(REPO_ROOT))}") < commands.index(
        '.venv/bin/pip install -e ".[dev]"'
    )


def _readme_commands(readme: str) -> list[str]:
    """The commands of the README's "Run it" block, comments stripped."""
    block = re.search(r"## Run it\n\n```sh\n(.*?)```", readme, re.DOTALL)
    assert block is not None, readme
    return [line.split("  #")[0].strip() for line in block.group(1).splitlines() if line.strip()]


def test_the_generated_project_passes_in_a_fresh_venv_made_as_its_readme_says(
    project: Path, tmp_path: Path
) -> None:
    """The README's commands, verbatim, in a clean environment: a new `.venv`, the server from this
    checkout (not PyPI, where this version may not exist), the project, its tests, `appconnect check`.
    Third-party packages come from this machine's pip configuration; nothing of ours from an index."""
    project = Path(shutil.copytree(project, tmp_path / "my-crm"))  # the shared copy stays venv-free
    commands = _readme_commands((project / "README.md").read_text(encoding="utf-8"))
    assert commands[0] == "python3 -m venv .venv"
    runnable = [command for command in commands if not command.endswith("appconnect serve")]
    assert len(runnable) == len(commands) - 1
    env = {
        key: value
        for key, value in os.environ.items()
        if key in ("PATH", "HOME", "LANG", "SSL_CERT_FILE") or key.startswith("PIP_")
    }
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", "\n".join(runnable)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert re.search(r"^10 passed", result.stdout, re.MULTILINE), result.stdout[-2000:]
    assert "ok my_crm.registers" in result.stdout.splitlines()
    shown = subprocess.run(
        [str(project / ".venv/bin/pip"), "show", "--files", DISTRIBUTION],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shown.returncode == 0, shown.stderr
    assert "Editable project location: " + str(REPO_ROOT) in shown.stdout  # the checkout, not a download
