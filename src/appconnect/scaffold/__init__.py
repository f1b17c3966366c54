"""`appconnect init`: a new connector package from a template bundled with the server.

Why: the reference's `npx @app-connect/cli init` downloads its template from GitHub and installs
packages; a connector author here gets the same starting point (spec platform §11.4) offline and
in one step: a package that registers through the `appconnect.connectors` entry point, a working
connector over a mock CRM in JSON files with the reference's numbered TODO 1..9, a manifest
fragment, and a test that already runs the conformance kit.

The template lives in `template/` as package data. Its files end in `.tmpl` so that nothing treats
them as this project's code (pytest, ruff and mypy only look at `.py` files); a path part
`__package__` becomes the package name and a leading `dot-` becomes `.`. In the text,
`{{key}}` is replaced by the matching field of `ProjectNames` or `ServerSource`.

The generated project depends on the server's distribution (`appconnect-server`) with a range
that this server's version satisfies. When `init` runs from a source checkout of the server (not
an installed release), that release may not be on PyPI at all, so the generated README installs
the checkout itself first (`ServerSource.detect`).

Example:
    >>> derive_names("My CRM").package
    'my_crm_connector'
"""

from __future__ import annotations

import re
import shlex
import shutil
import tomllib
from dataclasses import asdict, dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from appconnect import DISTRIBUTION, __version__

__all__ = [
    "RESERVED_PLATFORMS",
    "CreatedProject",
    "InvalidProjectName",
    "ProjectExists",
    "ProjectNames",
    "ScaffoldError",
    "ServerSource",
    "create_project",
    "derive_names",
    "next_steps",
    "render_project",
    "server_requirement",
]

#: Platform names a generated connector may not take: the built-in connectors (a package of the
#: same name would silently replace one) and the registry's fallback manifest key.
RESERVED_PLATFORMS = frozenset({"sample", "pipedrive", "default"})
MAX_NAME_LENGTH = 50
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_ ][A-Za-z0-9]+)*")
_PLACEHOLDER = re.compile(r"\{\{\s*[A-Za-z_]+\s*\}\}")
_TEMPLATE_SUFFIX = ".tmpl"


class ScaffoldError(Exception):
    """The project cannot be created; the message says why and what to do."""


class InvalidProjectName(ScaffoldError):
    """The name does not give a usable directory, distribution and Python package name."""


class ProjectExists(ScaffoldError):
    """The target directory exists and is not empty (and `force` was not given)."""


@dataclass(frozen=True)
class ProjectNames:
    """Every name derived from one project name, e.g. for `my-crm`.

    project: `my-crm` (the directory), distribution: `appconnect-my-crm` (pyproject's name),
    platform: `my_crm` (connector name and entry point), package: `my_crm_connector`,
    class_name: `MyCrmConnector`, display_name: `My CRM`, env_prefix: `MY_CRM`.
    """

    project: str
    distribution: str
    platform: str
    package: str
    class_name: str
    display_name: str
    env_prefix: str


def server_requirement(version: str = __version__) -> str:
    """The requirement a generated project puts on the server: releases compatible with `version`.

    Before 1.0 a minor release may break connectors, so the range stops at the next minor.

    Example:
        >>> server_requirement("0.1.3")
        'appconnect-server>=0.1,<0.2'
        >>> server_requirement("1.4.0")
        'appconnect-server>=1.4,<2'
    """
    numbers = [int(part) for part in re.findall(r"\d+", version)[:2]] + [0, 0]
    major, minor = numbers[0], numbers[1]
    upper = f"0.{minor + 1}" if major == 0 else str(major + 1)
    return f"{DISTRIBUTION}>={major}.{minor},<{upper}"


def _source_checkout() -> Path | None:
    """The server's source checkout when this package is imported from one (editable install or
    `PYTHONPATH=src`): a `pyproject.toml` naming our distribution two levels above the package."""
    root = Path(__file__).resolve().parents[3]  # <root>/src/appconnect/scaffold/__init__.py
    try:
        project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8")).get("project", {})
    except (OSError, ValueError):
        return None
    return root if project.get("name") == DISTRIBUTION else None


@dataclass(frozen=True)
class ServerSource:
    """Where a generated project gets the server from.

    requirement: the dependency written into its pyproject (`appconnect-server>=0.1,<0.2`);
    checkout: the server's source checkout to install first, or None for a release from PyPI.
    """

    requirement: str
    checkout: Path | None = None

    @classmethod
    def detect(cls) -> ServerSource:
        """This server: its version's range, and its checkout when it runs from one."""
        return cls(requirement=server_requirement(), checkout=_source_checkout())

    def template_values(self) -> dict[str, str]:
        """`{{server_requirement}}`, and `{{install_server}}`: the README's install line for a
        checkout (empty for a release, which pip finds on PyPI through the requirement)."""
        install = ""
        if self.checkout is not None:
            install = (
                f".venv/bin/pip install -e {shlex.quote(str(self.checkout))}"
                f"    # {DISTRIBUTION} from the source checkout this project was created from\n"
            )
        return {"server_requirement": self.requirement, "install_server": install}


@dataclass(frozen=True)
class CreatedProject:
    """What `create_project` wrote: the root directory and its files, relative and sorted."""

    names: ProjectNames
    root: Path
    files: tuple[str, ...]
    server: ServerSource


def derive_names(project_name: str) -> ProjectNames:
    """The names of a project, from what the author typed (`my-crm`, `my_crm`, `My CRM`).

    Words are separated by `-`, `_` or a space and lower-cased; the first must start with a letter.

    Raises:
        InvalidProjectName: the name is empty, too long, has other characters, or is reserved.
    """
    raw = project_name.strip()
    if not _NAME.fullmatch(raw) or len(raw) > MAX_NAME_LENGTH:
        raise InvalidProjectName(
            f"invalid project name {project_name!r}: use letters and digits in words separated by "
            f"'-' or '_', starting with a letter, at most {MAX_NAME_LENGTH} characters (e.g. my-crm)"
        )
    words = [word.lower() for word in re.split(r"[-_ ]", raw)]
    platform = "_".join(words)
    if "appconnect-" + "-".join(words) == DISTRIBUTION:
        raise InvalidProjectName(
            f"invalid project name {project_name!r}: its distribution would be {DISTRIBUTION}, "
            "the server's own name; choose another"
        )
    if platform in RESERVED_PLATFORMS:
        raise InvalidProjectName(
            f"invalid project name {project_name!r}: platform {platform!r} is taken by the server "
            f"(reserved: {', '.join(sorted(RESERVED_PLATFORMS))})"
        )
    return ProjectNames(
        project="-".join(words),
        distribution="appconnect-" + "-".join(words),
        platform=platform,
        package=f"{platform}_connector",
        class_name="".join(word.capitalize() for word in words) + "Connector",
        display_name=" ".join("CRM" if word == "crm" else word.capitalize() for word in words),
        env_prefix=platform.upper(),
    )


def _template_root() -> Traversable:
    return files("appconnect.scaffold").joinpath("template")


def _walk(folder: Traversable, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Traversable]]:
    found: list[tuple[tuple[str, ...], Traversable]] = []
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if entry.name == "__pycache__":
            continue
        if entry.is_dir():
            found.extend(_walk(entry, (*prefix, entry.name)))
        elif entry.name.endswith(_TEMPLATE_SUFFIX):
            found.append(((*prefix, entry.name), entry))
    return found


def _target_part(part: str, names: ProjectNames) -> str:
    part = part.removesuffix(_TEMPLATE_SUFFIX).replace("__package__", names.package)
    return "." + part.removeprefix("dot-") if part.startswith("dot-") else part


def render_project(names: ProjectNames, server: ServerSource | None = None) -> dict[str, str]:
    """The project's files, relative POSIX path -> text, without touching the disk.

    `server` defaults to `ServerSource.detect()` (this server, from a checkout or a release).

    Raises:
        RuntimeError: a template file uses a placeholder that neither `ProjectNames` nor
            `ServerSource` defines (a bug in the bundled template, never the author's input).
    """
    values = {**asdict(names), **(server or ServerSource.detect()).template_values()}
    rendered: dict[str, str] = {}
    for parts, source in _walk(_template_root()):
        text = source.read_text(encoding="utf-8")
        for key, value in values.items():
            text = text.replace("{{" + key + "}}", value)
        leftover = _PLACEHOLDER.search(text)
        if leftover is not None:
            raise RuntimeError(f"template {'/'.join(parts)} has an unknown placeholder {leftover.group()}")
        rendered["/".join(_target_part(part, names) for part in parts)] = text
    return rendered


def create_project(
    project_name: str,
    directory: Path | str = ".",
    *,
    force: bool = False,
    server: ServerSource | None = None,
) -> CreatedProject:
    """Write a new connector package into `directory/<project>`.

    Everything is rendered before the first write. An existing non-empty directory is refused
    unless `force`, which overwrites the template's files and leaves any others alone (unlike the
    reference, which deletes the directory: an author's work is never removed). A directory this
    call created is removed again if writing fails.

    Raises:
        InvalidProjectName: see `derive_names`.
        ProjectExists: the target exists, is not empty, and `force` is False; or it is a file.
    """
    names = derive_names(project_name)
    root = Path(directory) / names.project
    if root.exists() and not root.is_dir():
        raise ProjectExists(f"{root} exists and is not a directory")
    existed = root.exists()
    if existed and any(root.iterdir()) and not force:
        raise ProjectExists(f"{root} already exists and is not empty; use --force to write into it anyway")
    server = server or ServerSource.detect()
    rendered = render_project(names, server)
    try:
        for relative, text in rendered.items():
            target = root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    except OSError as error:
        if not existed:
            shutil.rmtree(root, ignore_errors=True)
        raise ScaffoldError(f"could not write {root}: {error}") from error
    return CreatedProject(names=names, root=root, files=tuple(sorted(rendered)), server=server)


def next_steps(project: CreatedProject) -> str:
    """What to tell the author after `create_project`: where things are and what to run next."""
    names = project.names
    install = project.server.template_values()["install_server"]
    return "\n".join(
        [
            f"Created {project.root}/ (platform {names.platform}, package {names.package}).",
            "",
            "Next steps (also in its README.md):",
            f"  cd {shlex.quote(str(project.root))}",
            "  python3 -m venv .venv",
            *([f"  {install.rstrip()}"] if install else []),
            f'  .venv/bin/pip install -e ".[dev]"    # registers the entry point {names.platform}',
            "  .venv/bin/python -m pytest           # the conformance kit, against the mock CRM",
            f"  APPCONNECT_CONNECTORS={names.platform} .venv/bin/appconnect serve",
            "",
            f"Then work through TODO 1..9 in src/{names.package}/connector.py to call your CRM.",
        ]
    )
