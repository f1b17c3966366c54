"""`appconnect init`: a new connector package from a template bundled with the server.

Why: the reference's `npx @app-connect/cli init` downloads its template from GitHub and installs
packages; a connector author here gets the same starting point (spec platform §11.4) offline and
in one step: a package that registers through the `appconnect.connectors` entry point, a working
connector over a mock CRM in JSON files with the reference's numbered TODO 1..9, a manifest
fragment, and a test that already runs the conformance kit.

The template lives in `template/` as package data. Its files end in `.tmpl` so that nothing treats
them as this project's code (pytest, ruff and mypy only look at `.py` files); a path part
`__package__` becomes the package name and a leading `dot-` becomes `.`. In the text,
`{{key}}` is replaced by the matching field of `ProjectNames`.

Example:
    >>> derive_names("My CRM").package
    'my_crm_connector'
"""

from __future__ import annotations

import re
import shutil
from dataclasses import asdict, dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

__all__ = [
    "RESERVED_PLATFORMS",
    "CreatedProject",
    "InvalidProjectName",
    "ProjectExists",
    "ProjectNames",
    "ScaffoldError",
    "create_project",
    "derive_names",
    "next_steps",
    "render_project",
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


@dataclass(frozen=True)
class CreatedProject:
    """What `create_project` wrote: the root directory and its files, relative and sorted."""

    names: ProjectNames
    root: Path
    files: tuple[str, ...]


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


def render_project(names: ProjectNames) -> dict[str, str]:
    """The project's files, relative POSIX path -> text, without touching the disk.

    Raises:
        RuntimeError: a template file uses a placeholder `ProjectNames` does not define (a bug in
            the bundled template, never the author's input).
    """
    values = asdict(names)
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


def create_project(project_name: str, directory: Path | str = ".", *, force: bool = False) -> CreatedProject:
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
    rendered = render_project(names)
    try:
        for relative, text in rendered.items():
            target = root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    except OSError as error:
        if not existed:
            shutil.rmtree(root, ignore_errors=True)
        raise ScaffoldError(f"could not write {root}: {error}") from error
    return CreatedProject(names=names, root=root, files=tuple(sorted(rendered)))


def next_steps(project: CreatedProject) -> str:
    """What to tell the author after `create_project`: where things are and what to run next."""
    names = project.names
    return "\n".join(
        [
            f"Created {project.root}/ (platform {names.platform}, package {names.package}).",
            "",
            "Next steps:",
            f"  cd {project.root}",
            f"  pip install -e .    # registers the entry point {names.platform}",
            "  pytest              # the conformance kit, against the mock CRM",
            f"  APPCONNECT_CONNECTORS={names.platform} appconnect serve",
            "",
            f"Then work through TODO 1..9 in src/{names.package}/connector.py to call your CRM.",
        ]
    )
