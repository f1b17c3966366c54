"""The deployment files and the operator documentation agree with the package and the CLI.

Nothing here needs Docker: the image definition is checked against pyproject.toml (the same
package, built the same way, installed with the extra the compose file needs), the compose file is
parsed as YAML, and every `appconnect ...` command the README's production checklist and upgrade
section give is looked up in the real command line.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import typer
import yaml

from appconnect import __version__
from appconnect.cli import app

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    start = README.index(f"\n{title}\n")
    rest = README[start + len(title) + 2 :]
    following = re.search(r"^#{2,3} ", rest, re.MULTILINE)
    return rest[: following.start()] if following else rest


def test_the_image_builds_and_installs_this_package_as_pyproject_says() -> None:
    name = PYPROJECT["project"]["name"]
    assert "postgres" in PYPROJECT["project"]["optional-dependencies"]
    # The wheel is built from the checkout by its build backend (pip wheel .), then installed by name.
    assert re.search(r"pip wheel --no-deps --wheel-dir /wheels \.(\s|$)", DOCKERFILE)
    assert f'pip install --no-index --find-links /wheels "{name}[postgres]"' in DOCKERFILE
    assert f"/wheels/{name.replace('-', '_')}-*.whl" in DOCKERFILE
    # Everything the build backend reads is in the build context, and nothing else.
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert ignored[1:4] == ["*", "!pyproject.toml", "!README.md"] and "!src" in ignored
    assert PYPROJECT["project"]["readme"] == "README.md"
    assert PYPROJECT["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"] == ["src/appconnect"]
    assert "COPY pyproject.toml README.md ./" in DOCKERFILE and "COPY src ./src" in DOCKERFILE


def test_the_image_is_small_runs_as_a_non_root_user_and_checks_readiness() -> None:
    python = re.search(r"^ARG PYTHON_VERSION=(\d+)\.(\d+)$", DOCKERFILE, re.MULTILINE)
    assert python is not None
    minimum = re.match(r">=(\d+)\.(\d+)", PYPROJECT["project"]["requires-python"])
    assert minimum is not None
    assert (int(python[1]), int(python[2])) >= (int(minimum[1]), int(minimum[2]))
    bases = re.findall(r"^FROM (\S+)", DOCKERFILE, re.MULTILINE)
    assert bases == ["python:${PYTHON_VERSION}-slim", "python:${PYTHON_VERSION}-slim"]
    users = re.findall(r"^USER (\S+)$", DOCKERFILE, re.MULTILINE)
    assert users == ["appconnect"]
    assert "useradd --system --uid 10001" in DOCKERFILE
    assert "/health/ready" in DOCKERFILE.split("HEALTHCHECK", 1)[1]
    entry = re.search(r'^ENTRYPOINT \["(\w+)"\]$', DOCKERFILE, re.MULTILINE)
    assert entry is not None and entry[1] in PYPROJECT["project"]["scripts"]
    assert "IS_PROD=true" in DOCKERFILE and "APP_HOST=0.0.0.0" in DOCKERFILE


def _resolve(words: list[str]) -> Any:
    """The command `appconnect <words...>` names (options are checked on it).

    Typer carries its own copy of click, so groups are told by their `commands` mapping.
    """
    command: Any = typer.main.get_command(app)
    for word in words:
        subcommands = getattr(command, "commands", None)
        if word.startswith("-") or subcommands is None:
            break
        assert word in subcommands, f"`appconnect {' '.join(words)}`: no command {word!r}"
        command = subcommands[word]
    return command


def _check_invocation(line: str) -> None:
    words = line.split()
    command = _resolve(words)
    options = {name for parameter in command.params for name in getattr(parameter, "opts", [])}
    if command.name == typer.main.get_command(app).name:
        options |= {"--version", "--help"}
    for word in words:
        if word.startswith("--"):
            assert word.split("=")[0] in options, f"`appconnect {line}`: no option {word}"


def test_every_command_of_the_checklist_and_the_upgrade_steps_exists() -> None:
    text = _section("### Production checklist") + _section("## Upgrading") + _section("## Deploying")
    text += _section("## Taking over a reference deployment")
    invocations = re.findall(r"`appconnect ([^`]+)`", text)
    assert {"db upgrade", "--version", "serve --workers N"} <= set(invocations)
    for invocation in invocations:
        _check_invocation(invocation.replace("'", " "))
    fenced = re.findall(r"^\s*appconnect (.+)$", text, re.MULTILINE)
    assert any(line.startswith("import-reference --from") for line in fenced)
    for line in fenced:
        _check_invocation(re.sub(r"'[^']*'", "URL", line))


def test_the_checklist_covers_what_production_needs() -> None:
    checklist = _section("### Production checklist")
    for topic in ("Secrets", "IS_PROD=true", "Database", "Workers", "TLS", "Backups", "Log shipping",
                  "Health checks", "Upgrades"):  # fmt: skip
        assert f"**{topic}" in checklist or f"**`{topic}`" in checklist, topic


def _compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_the_compose_file_runs_postgres_a_migration_and_two_workers() -> None:
    services = _compose()["services"]
    assert set(services) == {"postgres", "migrate", "appconnect"}
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["migrate"]["command"] == ["db", "upgrade"]
    assert services["appconnect"]["command"] == ["serve", "--workers", "2"]
    for name in ("migrate", "appconnect"):
        _check_invocation(" ".join(services[name]["command"]))
        env = services[name]["environment"]
        assert (
            env["DATABASE_URL"].startswith("postgresql://appconnect:")
            and "@postgres:5432/" in env["DATABASE_URL"]
        )
        assert env["IS_PROD"] == "true" and env["DATABASE_SSL"] == "false"
        for secret in ("APP_SERVER_SECRET_KEY", "HASH_KEY"):
            assert env[secret] == f"${{{secret}:?set {secret}}}"  # required, never a default
    assert services["appconnect"]["environment"]["APPCONNECT_AUTO_MIGRATE"] == "false"
    assert services["appconnect"]["depends_on"] == {
        "migrate": {"condition": "service_completed_successfully"}
    }
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert services["appconnect"]["ports"] == ["127.0.0.1:6066:6066"]


def test_version_option_and_command_print_the_installed_version() -> None:
    for args in (["--version"], ["version"]):
        done = subprocess.run(
            [sys.executable, "-m", "appconnect", *args], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout == f"{__version__}\n"
    assert __version__ == PYPROJECT["project"]["version"]


def test_the_changelog_keeps_a_changelog() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert changelog.startswith("# Changelog\n") and "keepachangelog.com" in changelog
    releases = re.findall(r"^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?$", changelog, re.MULTILINE)
    assert releases[0] == ("Unreleased", "")
    assert (PYPROJECT["project"]["version"], "2026-12-01") in releases
    kinds = set(re.findall(r"^### (\w+)$", changelog, re.MULTILINE))
    assert kinds <= {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}
    assert "import-reference" in changelog.split("## [0.1.0]")[0]
