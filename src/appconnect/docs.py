"""The API described by the server itself: `/docs` without internet, and the session JWT in OpenAPI.

Why: a new user learns the API from `http://127.0.0.1:6066/docs`, often on a machine (or in a
data centre) with no route to a CDN. FastAPI's page loads Swagger UI from jsDelivr; here its
JavaScript, CSS and icon come from an installed package (`fastapi-offline` ships Swagger UI 5,
which renders the OpenAPI 3.1 that FastAPI writes; `swagger-ui-bundle` still ships Swagger UI 4,
which does not) and are served under `/docs/assets/`.

The routes guard the session JWT themselves (`Authorization: Bearer` or the legacy `jwtToken`
query parameter, see `api/session.py`), which FastAPI cannot see. `SESSION_ROUTES` lists them in
this one place, named as in the reference contract (`userJwt`, `legacyUserJwt`); the OpenAPI
document marks each listed operation with both schemes.
"""

from __future__ import annotations

from importlib.resources import as_file, files
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

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

#: (method, path) of every route that reads the session JWT, and whether it is required. A route
#: whose JWT is optional (`/licenseStatus` answers for anonymous callers too) also allows none.
SESSION_ROUTES: dict[tuple[str, str], bool] = {
    ("POST", "/unAuthorize"): True,
    ("GET", "/authValidation"): True,
    ("GET", "/licenseStatus"): False,
    ("GET", "/hostname"): True,
    ("GET", "/user/settings"): True,
    ("POST", "/user/settings"): True,
    ("POST", "/user/refreshInfo"): True,
    ("GET", "/admin/settings"): True,
    ("GET", "/admin/managedAuth"): True,
    ("POST", "/admin/managedAuth"): True,
    ("GET", "/contact"): True,
    ("POST", "/contact"): True,
    ("GET", "/custom/contact/search"): True,
    ("GET", "/accountData"): True,
    ("GET", "/callLog"): True,
    ("POST", "/callLog"): True,
    ("PATCH", "/callLog"): True,
    ("POST", "/callLog/cacheNote"): True,
    ("PUT", "/callDisposition"): True,
    ("POST", "/messageLog"): True,
    ("POST", "/messageLog/match"): True,
}


def declare_session_security(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the two JWT schemes to an OpenAPI document and require them on `SESSION_ROUTES`.

    Raises:
        RuntimeError: a listed route is not in the document (the list went stale).
    """
    schema.setdefault("components", {}).setdefault("securitySchemes", {}).update(SECURITY_SCHEMES)
    paths = schema.get("paths", {})
    for (method, path), required in SESSION_ROUTES.items():
        operation = paths.get(path, {}).get(method.lower())
        if operation is None:
            raise RuntimeError(f"SESSION_ROUTES names {method} {path}, which the app does not serve")
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
            app.openapi_schema = declare_session_security(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
