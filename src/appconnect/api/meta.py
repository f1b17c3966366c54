"""Health, manifest and capability routes (no authentication)."""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from appconnect import __version__
from appconnect.api.deps import ContextDep
from appconnect.api.responses import error_json, plain
from appconnect.services.manifest import manifest_document, release_notes
from appconnect.store import current_revision, head_revision

router = APIRouter(tags=["meta"])


@router.get("/isAlive")
async def is_alive() -> Response:
    """Liveness: the process answers. Checks nothing else, as the contract says."""
    return plain("OK")


@router.get("/health/ready")
async def readiness(context: ContextDep) -> Response:
    """Readiness: the database answers and its schema is at the latest migration."""
    try:
        revision = await current_revision(context.store.database)
    except Exception as error:
        return JSONResponse({"status": "unavailable", "database": type(error).__name__}, status_code=503)
    head = head_revision()
    ready = revision == head
    body: dict[str, Any] = {
        "status": "ready" if ready else "migrations pending",
        "database": "ok",
        "revision": revision,
        "head": head,
    }
    if ready:  # the outbox: CRM writes accepted and still owed (a backlog is not "unready")
        stats = await context.store.outbox.stats()
        body["outbox"] = {
            "queued": stats.queued,
            "dead": stats.dead,
            "oldestAgeSeconds": None
            if stats.oldest_age_seconds is None
            else round(stats.oldest_age_seconds, 1),
        }
    return JSONResponse(
        body,
        status_code=200 if ready else 503,
    )


@router.get("/serverVersionInfo")
async def server_version_info() -> dict[str, str]:
    return {"version": __version__}


@router.get("/releaseNotes")
async def get_release_notes(context: ContextDep) -> dict[str, Any]:
    core = json.loads(files("appconnect").joinpath("release_notes.json").read_text(encoding="utf-8"))
    return release_notes(
        context.registry, {version: {"global": notes.get("global", [])} for version, notes in core.items()}
    )


@router.get("/crmManifest")
async def crm_manifest(context: ContextDep, platformName: str | None = None) -> Response:
    document = manifest_document(context.registry, context.settings, platformName)
    if document is None:
        return plain("Platform not found", 400)
    return JSONResponse(document)


@router.get("/implementedInterfaces")
async def implemented_interfaces(context: ContextDep, platform: str | None = None) -> Response:
    if not platform:
        return plain("Please provide platform.", 400)
    try:
        answer = context.registry.implemented_interfaces(platform, cache_call_note=context.settings.use_cache)
    except LookupError as error:
        return error_json(str(error))
    return JSONResponse(answer)
