"""The API described by the server itself: `/docs` without internet, and the session JWT in OpenAPI.

Why: a new user learns the API from `http://127.0.0.1:6066/docs`, often on a machine (or in a
data centre) with no route to a CDN. FastAPI's page loads Swagger UI from jsDelivr; here its
JavaScript, CSS and icon come from an installed package (`fastapi-offline` ships Swagger UI 5,
which renders the OpenAPI 3.1 that FastAPI writes; `swagger-ui-bundle` still ships Swagger UI 4,
which does not) and are served under `/docs/assets/`.

The session JWT (`Authorization: Bearer` or the legacy `jwtToken` query parameter, see
`api/session.py`) is read by middleware, which FastAPI's OpenAPI cannot see. The routes declare it
with their `CurrentSession` dependency, so `session_routes` finds them there and the document marks
each with both schemes, named as in the reference contract (`userJwt`, `legacyUserJwt`).
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib.resources import as_file, files
from typing import Any

from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles

from appconnect.api.deps import RequireSession, RequireToken, get_session

DOCS_PATH = "/docs"
ASSETS_PATH = "/docs/assets"
SWAGGER_JS = "swagger-ui-bundle.js"
SWAGGER_CSS = "swagger-ui.css"
FAVICON = "favicon.png"

SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "userJwt": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "The App Connect session JWT that POST /apiKeyLogin or GET /oauth-callback "
        "returns as `jwtToken` (not a RingCentral token). A response may carry a renewed one in "
        "`x-refreshed-jwt-token`.",
    },
    "legacyUserJwt": {
        "type": "apiKey",
        "in": "query",
        "name": "jwtToken",
        "description": "The same JWT as a query parameter, as older extensions send it. Prefer the "
        "Authorization header: URLs end up in logs and browser history.",
    },
}
_EITHER_JWT: list[dict[str, list[str]]] = [{"userJwt": []}, {"legacyUserJwt": []}]


def _routes(routes: list[Any]) -> list[Any]:
    """Every route, with included routers flattened (FastAPI keeps them as routes of their own)."""
    flat: list[Any] = []
    for route in routes:
        nested = getattr(getattr(route, "original_router", None), "routes", None)
        flat.extend(_routes(nested) if nested is not None else [route])
    return flat


def _calls(dependant: Dependant) -> Iterator[Any]:
    for dependency in dependant.dependencies:
        yield dependency.call
        yield from _calls(dependency)


def session_routes(app: FastAPI) -> dict[tuple[str, str], bool]:
    """(method, path) of every route that reads the session JWT -> whether it requires one.

    Read from the routes themselves: a `CurrentSession` dependency requires the JWT; a route that
    only looks at the session (`SessionDep`, e.g. `/licenseStatus`, which answers anonymous callers
    too) accepts it.
    """
    found: dict[tuple[str, str], bool] = {}
    for route in _routes(app.routes):
        if not isinstance(route, APIRoute):
            continue
        calls = list(_calls(route.dependant))
        required = any(isinstance(call, RequireSession | RequireToken) for call in calls)
        if required or get_session in calls:
            found.update(((method, route.path), required) for method in route.methods or ())
    return found


def declare_session_security(schema: dict[str, Any], routes: dict[tuple[str, str], bool]) -> dict[str, Any]:
    """Add the two JWT schemes to an OpenAPI document and apply them to `routes` (`session_routes`)."""
    schema.setdefault("components", {}).setdefault("securitySchemes", {}).update(SECURITY_SCHEMES)
    paths = schema.get("paths", {})
    for (method, path), required in routes.items():
        operation = paths.get(path, {}).get(method.lower())
        if operation is not None:
            operation["security"] = [*_EITHER_JWT] if required else [*_EITHER_JWT, {}]
    return schema


def install_docs(app: FastAPI) -> None:
    """Serve `/docs` from local assets and declare the JWT in `app.openapi()`.

    The app must be built with `docs_url=None` (FastAPI's own page points at a CDN).
    """
    with as_file(files("fastapi_offline").joinpath("static")) as assets:
        app.mount(ASSETS_PATH, StaticFiles(directory=assets), name="docs-assets")

    @app.get(DOCS_PATH, include_in_schema=False)
    async def docs_page(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - API",
            swagger_js_url=f"{root}{ASSETS_PATH}/{SWAGGER_JS}",
            swagger_css_url=f"{root}{ASSETS_PATH}/{SWAGGER_CSS}",
            swagger_favicon_url=f"{root}{ASSETS_PATH}/{FAVICON}",
            swagger_ui_parameters={"validatorUrl": None, "persistAuthorization": True},
        )

    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = declare_session_security(generate(), session_routes(app))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
