"""The manifest rules of the reference's validator (spec platform §7.5, last paragraph).

Why here: the client, not the server, reads most of a manifest, so a broken one is only noticed
when the extension misbehaves for a user. These rules catch the mistakes the reference's own
validator catches, at test time (`ConnectorConformance`) and before deployment (`appconnect check`).

A connector's manifest may be the platform fragment itself (`{"name": ..., "auth": ...}`, as the
built-in connectors ship it) or a whole manifest (`{"platforms": {"<name>": {...}}}`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["AUTH_TYPES", "ENVIRONMENT_TYPES", "LIST_FIELDS", "manifest_platform", "manifest_problems"]

AUTH_TYPES = ("oauth", "apiKey")
ENVIRONMENT_TYPES = ("fixed", "dynamic", "selectable")
#: Platform fields that must be arrays when present.
LIST_FIELDS = ("settings", "contactTypes", "override")


def manifest_platform(manifest: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    """The platform object of `name`: `platforms[name]` of a whole manifest, else the fragment itself.

    None when a whole manifest has no object under `platforms[name]`.
    """
    if "platforms" not in manifest:
        return manifest
    platforms = manifest["platforms"]
    platform = platforms.get(name) if isinstance(platforms, Mapping) else None
    return platform if isinstance(platform, Mapping) else None


def manifest_problems(manifest: Any, name: str) -> list[str]:
    """Every rule `manifest` breaks for the platform `name`, as readable reasons (empty: valid).

    Example:
        >>> manifest_problems({"name": "mycrm", "auth": {"type": "basic"}}, "mycrm")[:1]
        ["auth.type must be one of oauth, apiKey (got 'basic')"]
    """
    if not isinstance(manifest, Mapping):
        return [f"manifest must be an object (got {type(manifest).__name__})"]
    if "platforms" in manifest:
        if not isinstance(manifest["platforms"], Mapping):
            return ["platforms must be an object"]
        if name not in manifest["platforms"]:
            return [f"platforms has no key {name!r}"]
    platform = manifest_platform(manifest, name)
    if platform is None:
        return [f"platforms.{name} must be an object"]
    problems: list[str] = []
    if platform.get("name") != name:
        problems.append(f"name must be {name!r} (got {platform.get('name')!r})")
    problems.extend(_auth_problems(platform.get("auth")))
    problems.extend(_environment_problems(platform.get("environment")))
    for field in LIST_FIELDS:
        if field in platform and not isinstance(platform[field], list):
            problems.append(f"{field} must be an array (got {type(platform[field]).__name__})")
    return problems


def _auth_problems(auth: Any) -> list[str]:
    if not isinstance(auth, Mapping):
        return ["auth must be an object with a type"]
    auth_type = auth.get("type")
    if auth_type not in AUTH_TYPES:
        return [f"auth.type must be one of {', '.join(AUTH_TYPES)} (got {auth_type!r})"]
    if auth_type == "apiKey":
        return [] if isinstance(auth.get("apiKey"), Mapping) else ["auth.apiKey is required for apiKey auth"]
    oauth = auth.get("oauth")
    if not isinstance(oauth, Mapping):
        return ["auth.oauth is required for oauth auth"]
    problems = []
    if not isinstance(oauth.get("authUrl"), str) or not oauth["authUrl"]:
        problems.append("auth.oauth.authUrl is required for oauth auth")
    # The client id may be empty in the shipped file: the server fills it in from its settings.
    if not isinstance(oauth.get("clientId"), str):
        problems.append("auth.oauth.clientId is required for oauth auth")
    return problems


def _environment_problems(environment: Any) -> list[str]:
    if not isinstance(environment, Mapping):
        return ["environment must be an object with a type"]
    environment_type = environment.get("type")
    if environment_type not in ENVIRONMENT_TYPES:
        return [f"environment.type must be one of {', '.join(ENVIRONMENT_TYPES)} (got {environment_type!r})"]
    if environment_type == "selectable":
        selections = environment.get("selections")
        if not isinstance(selections, list) or not selections:
            return ["environment.selections must be a non-empty array when type is selectable"]
    return []
