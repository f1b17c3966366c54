"""The ASGI application factory.

`create_app(settings)` builds the app; its lifespan opens the database (migrating it first unless
told not to), the one outbound HTTP client and the connector registry, and closes them again.
Requests arriving before start-up finished are held by the ASGI server; a failed start-up stops
the process with a one-line reason.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib.metadata import entry_points
from importlib.resources import files
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from appconnect import __version__
from appconnect.api import account_data, admin, auth, call_logs, contacts, message_logs, meta, users
from appconnect.api import admin_features as admin_features_api
from appconnect.api import admin_outbox as admin_outbox_api
from appconnect.api import appointments as appointment_routes
from appconnect.api import call_down as call_down_api
from appconnect.api import rc_reports as rc_reports_api
from appconnect.api.body_limit import BodySizeLimitMiddleware
from appconnect.api.deps import SessionRefused
from appconnect.api.session import REFRESHED_TOKEN_HEADER, SessionMiddleware
from appconnect.config import ConfigurationError, Settings, resolve_secrets
from appconnect.connectors.base import ConnectorContext, ServesRoutes
from appconnect.connectors.builtin import BUILTIN_CONNECTORS, register_builtin_connectors
from appconnect.connectors.registry import (
    ENTRY_POINT_GROUP,
    ConnectorNotFound,
    ConnectorRegistry,
    RegistryError,
)
from appconnect.crm_http import CrmHttp
from appconnect.docs import install_docs
from appconnect.security import SessionTokens
from appconnect.services.connector_services import RunningServerServices
from appconnect.services.context import ServerContext
from appconnect.services.outbox_worker import OutboxWorker
from appconnect.startup import connector_start_error, database_error, one_line
from appconnect.store import Store, upgrade

log = structlog.get_logger(__name__)

Configure = Callable[[ConnectorRegistry, ConnectorContext], None]


def _describe_validation_error(error: RequestValidationError) -> str:
    problems = []
    for issue in error.errors():
        location = [str(part) for part in issue.get("loc", ()) if part not in ("body", "query")]
        field = ".".join(location) or "body"
        if issue.get("type") == "json_invalid":
            problems.append("request body is not valid JSON")
        else:
            problems.append(f"{field}: {issue.get('msg', 'invalid')}")
    return "Invalid request: " + "; ".join(problems)


def create_app(settings: Settings | None = None, *, configure: Configure | None = None) -> FastAPI:
    """Build the server. `configure` may register extra connectors (tests, embedding apps)."""
    settings = settings or Settings()
    # Connectors are built here, not in the lifespan, so their own routes can be mounted below;
    # before the secrets, so that a connector that does not load is the first thing reported.
    http = CrmHttp(
        timeout=settings.crm_timeout_seconds,
        ca_file=settings.ssl_cert_file,
        version=__version__,
        allow_private_networks=settings.private_networks_allowed,
    )
    registry = build_registry(settings, http, configure)
    secrets = resolve_secrets(settings)
    tokens = SessionTokens(secrets.app_server_secret_key)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            store = Store.open(
                settings.database_url, secrets.app_server_secret_key, ssl=settings.database_ssl
            )
            if settings.auto_migrate:
                await upgrade(store.database)
            await store.follow_user_changes()
        except Exception as error:
            raise database_error(error, settings.database_url, "migrate") from error
        app.state.context = ServerContext(
            settings=settings, secrets=secrets, store=store, registry=registry, tokens=tokens, http=http
        )
        app.state.context.proxy_portal = _proxy_portal(settings, http)
        connectors = [registry.get(name) for name in registry.platforms()]
        for name, connector in zip(registry.platforms(), connectors, strict=True):
            try:
                await connector.startup()
            except Exception as error:
                raise connector_start_error(name, error) from error
        warning = production_database_warning(settings)
        if warning is not None:
            log.warning(warning)
        log.info("appconnect ready", platforms=registry.platforms(), database=store.database.backend)
        worker = start_outbox_worker(app.state.context)
        try:
            yield
        finally:
            if worker is not None:
                await worker.stop()
            for connector in connectors:
                await connector.shutdown()
            await http.aclose()
            await store.close()

    app = FastAPI(
        title="appconnect",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,  # `install_docs` serves /docs from local assets, not a CDN
        redoc_url=None,
    )
    install_docs(app)
    app.add_middleware(SessionMiddleware, tokens=tokens)
    app.add_middleware(BodySizeLimitMiddleware, max_body_bytes=settings.max_body_bytes)  # inside CORS
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "POST", "PATCH", "PUT", "DELETE"],
        allow_headers=["*"],
        expose_headers=[REFRESHED_TOKEN_HEADER],
    )

    @app.exception_handler(RequestValidationError)
    async def on_invalid_request(_request: Request, error: RequestValidationError) -> JSONResponse:
        return JSONResponse({"error": _describe_validation_error(error)}, status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"error": str(error.detail)}, status_code=error.status_code)

    @app.exception_handler(SessionRefused)
    async def on_no_session(_request: Request, refused: SessionRefused) -> Response:
        return refused.response()

    @app.exception_handler(ConnectorNotFound)
    async def on_unknown_platform(_request: Request, error: ConnectorNotFound) -> JSONResponse:
        return JSONResponse({"error": str(error)}, status_code=400)

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error", path=request.url.path, error_type=type(error).__name__)
        return JSONResponse({"error": "Internal server error"}, status_code=500)

    for router in _routers():
        app.include_router(router)
    services = RunningServerServices(lambda: app.state.context)
    for name in registry.platforms():
        connector = registry.get(name)
        if isinstance(connector, ServesRoutes):
            app.include_router(connector.routes(services))
    return app


def start_outbox_worker(context: ServerContext) -> OutboxWorker | None:
    """The outbox worker of this server process (`APPCONNECT_OUTBOX_WORKER`, on by default)."""
    if not context.settings.outbox_worker:
        return None
    worker = OutboxWorker(context)
    worker.start()
    return worker


def build_registry(
    settings: Settings, http: CrmHttp, configure: Configure | None = None
) -> ConnectorRegistry:
    """Every enabled connector: built-in, entry points, `APPCONNECT_EXTRA_CONNECTORS`, then `configure`'s.

    Raises:
        ConfigurationError: a connector does not load, or `APPCONNECT_CONNECTORS` names one that
            is not installed (one line naming the setting; `appconnect serve` stops on it).
    """
    registry = ConnectorRegistry()
    connector_context = ConnectorContext(http=http, settings=settings, version=__version__)
    builtin = builtin_connector_names(settings)
    try:
        if builtin:  # `only=()` would mean all of them
            register_builtin_connectors(registry, connector_context, only=builtin)
    except Exception as error:
        raise ConfigurationError(f"a built-in connector could not be loaded: {one_line(error)}") from error
    try:
        registry.load_entry_points(connector_context, only=settings.connectors, strict=True)
    except RegistryError as error:
        raise ConfigurationError(
            f"{error}; fix or uninstall it, or list the connectors to serve in APPCONNECT_CONNECTORS"
        ) from error
    try:
        registry.load_factories(settings.extra_connectors, connector_context)
    except Exception as error:
        raise ConfigurationError(f"APPCONNECT_EXTRA_CONNECTORS: {one_line(error)}") from error
    if settings.proxy_configs:
        from appconnect.connectors.proxy import ProxyConfigError, register_proxy_configs

        try:
            register_proxy_configs(registry, connector_context, settings.proxy_configs)
        except (ProxyConfigError, RegistryError) as error:
            raise ConfigurationError(f"APPCONNECT_PROXY_CONFIGS: {one_line(error)}") from error
    if configure is not None:
        configure(registry, connector_context)
    unknown = [name for name in settings.connectors if not registry.has(name)]
    if unknown:
        installed = sorted(
            set(BUILTIN_CONNECTORS)
            | {entry.name for entry in entry_points(group=ENTRY_POINT_GROUP)}
            | set(registry.platforms())
        )
        raise ConfigurationError(
            f"APPCONNECT_CONNECTORS: no connector named {unknown[0]!r} (installed: {', '.join(installed)})"
        )
    notes = json.loads(files("appconnect").joinpath("release_notes.json").read_text(encoding="utf-8"))
    registry.set_release_notes(
        {version: {k: v for k, v in entry.items() if k != "global"} for version, entry in notes.items()}
    )
    return registry


def _proxy_portal(settings: Settings, http: CrmHttp) -> Any:
    """The resolver of login `proxyId`s (spec platform §8.1), on the configurable portal URL."""
    from appconnect.connectors.proxy.portal import DEFAULT_PROXY_CONFIG_PATH, ProxyPortal

    url = settings.proxy_config_url or settings.developer_portal_url.rstrip("/") + DEFAULT_PROXY_CONFIG_PATH
    try:
        return ProxyPortal(
            http,
            url,
            ttl_seconds=settings.proxy_config_ttl_seconds,
            developer_secret_key=settings.developer_app_server_secret_key,
        )
    except ValueError as error:
        raise ConfigurationError(f"APPCONNECT_PROXY_CONFIG_URL: {one_line(error)}") from error


#: Built-in connectors that production serves only when `APPCONNECT_CONNECTORS` names them: the
#: sample CRM accepts any API key, which is a demo, not something to expose by accident.
DEVELOPMENT_ONLY_CONNECTORS = frozenset({"sample"})


def builtin_connector_names(settings: Settings) -> tuple[str, ...]:
    """The built-in connectors to register: those named in `APPCONNECT_CONNECTORS`, else all of
    them, less the development-only ones in production."""
    if settings.connectors:
        return tuple(name for name in BUILTIN_CONNECTORS if name in settings.connectors)
    if settings.is_prod:
        return tuple(name for name in BUILTIN_CONNECTORS if name not in DEVELOPMENT_ONLY_CONNECTORS)
    return tuple(BUILTIN_CONNECTORS)


def production_database_warning(settings: Settings) -> str | None:
    """The warning for a SQLite `DATABASE_URL` in production (None otherwise)."""
    from appconnect.store.db import backend_name

    if not settings.is_prod or backend_name(settings.database_url) != "sqlite":
        return None
    return (
        "DATABASE_URL is a SQLite file in production: use PostgreSQL "
        "(DATABASE_URL=postgresql://user:password@host:5432/appconnect), which several workers or "
        "machines can share and which can be backed up while serving"
    )


def _routers() -> list[Any]:
    """Every router, the ones of every call first: a request is matched against the routes in this
    order, one by one (about 10 µs per router passed over)."""
    return [
        contacts.router,
        call_logs.router,
        message_logs.router,
        meta.router,
        auth.router,
        users.router,
        admin.router,
        account_data.router,
        call_down_api.router,
        admin_features_api.router,
        admin_outbox_api.router,
        rc_reports_api.router,
        appointment_routes.router,
    ]
