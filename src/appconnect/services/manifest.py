"""The manifest document of `/crmManifest`: every connector's platform fragment under one roof."""

from __future__ import annotations

from typing import Any

from appconnect import __version__
from appconnect.config import Settings
from appconnect.connectors.registry import ConnectorRegistry

DEFAULT_REDIRECT_URI = "https://ringcentral.github.io/ringcentral-embeddable/redirect.html"
AUTHOR = {"name": "appconnect", "websiteUrl": "https://github.com/ringcentral/rc-unified-crm-extension"}


def manifest_document(
    registry: ConnectorRegistry, settings: Settings, platform_name: str | None
) -> dict[str, Any] | None:
    """The manifest for `platform_name` (all platforms for `default`), or None when unknown.

    A platform's own fragment is served inside the standard top-level document (`serverUrl`,
    `author`, `version`, `platforms`), with the operator's URL overrides applied to a copy.
    """
    name = platform_name or "default"
    fragments = {platform: fragment for platform, fragment in registry.manifests() if platform != "default"}
    if name == "default":
        platforms = fragments
    elif name in fragments:
        platforms = {name: fragments[name]}
    else:
        return None
    document: dict[str, Any] = {
        "serverUrl": settings.public_server_url,
        "redirectUri": DEFAULT_REDIRECT_URI,
        "author": dict(AUTHOR),
        "version": __version__,
        "platforms": platforms,
    }
    try:
        custom_default = registry.manifest("default")
    except LookupError:
        custom_default = {}
    for key, value in custom_default.items():
        if key == "platforms":
            document["platforms"] = {**value, **platforms} if name == "default" else platforms
        else:
            document[key] = value
    if settings.override_app_server:
        document["serverUrl"] = settings.override_app_server.rstrip("/")
    if settings.override_server_side_logging_server:
        for fragment in document["platforms"].values():
            if isinstance(fragment.get("serverSideLogging"), dict):
                fragment["serverSideLogging"]["url"] = settings.override_server_side_logging_server
    if not (document.get("author") or {}).get("name"):
        return None
    return document


def release_notes(registry: ConnectorRegistry, core_notes: dict[str, Any]) -> dict[str, Any]:
    """Registered notes per version, each with the core's `global` notes of that version."""
    merged: dict[str, Any] = {}
    for version, notes in registry.release_notes.items():
        merged[version] = {"global": core_notes.get(version, {}).get("global", []), **notes}
    return merged
