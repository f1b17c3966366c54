"""Resolving a platform to its Developer Portal proxy connector: at login, and later from the user.

A login that names a `proxyId` registers that proxy's connector under the login's platform before
the login runs. Later requests carry only the JWT: when its platform is not registered in this
process (another worker, a restart), the stored user's `platformAdditionalInfo.proxyId` says which
configuration to fetch. Any failure leaves the platform unregistered, so the route answers as for
an unknown platform (`Connector not found for platform: <name>`), never a 500.
"""

from __future__ import annotations

import structlog

from appconnect import __version__
from appconnect.connectors.base import ConnectorContext
from appconnect.services.context import ServerContext

__all__ = ["ensure_proxy_for_login", "ensure_proxy_for_user"]

log = structlog.get_logger(__name__)


async def ensure_proxy_for_login(context: ServerContext, platform: str, proxy_id: str | None) -> None:
    """Register `proxy_id`'s connector under `platform` when the login names one (and nothing else has it)."""
    portal = context.proxy_portal
    if portal is None or not proxy_id or not platform:
        return
    connector_context = ConnectorContext(http=context.http, settings=context.settings, version=__version__)
    try:
        await portal.ensure(context.registry, connector_context, platform, proxy_id)
    except Exception as error:  # the platform stays unknown; the login answers that
        log.warning(
            "proxy configuration unavailable",
            platform=platform,
            proxy_id=proxy_id,
            error_type=type(error).__name__,
            reason=str(error)[:300],
        )


async def ensure_proxy_for_user(context: ServerContext, user_id: str, platform: str) -> None:
    """For a session whose platform this process does not know: the stored user's proxy, if any."""
    if context.proxy_portal is None or not platform or context.registry.has(platform):
        return
    user = await context.store.users.get(user_id, platform)
    proxy_id = user.platform_additional_info.get("proxyId") if user is not None else None
    if isinstance(proxy_id, str) and proxy_id:
        await ensure_proxy_for_login(context, platform, proxy_id)
