"""Read-only web pages of the sample CRM, so the manifest's contact and log links open something.

The extension opens `contactPageUrl` and `logPageUrl` in a browser tab; for a real CRM those are the
CRM's own pages. The sample CRM has no UI of its own, so the server renders two small pages.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from markupsafe import escape

from appconnect.connectors.sample.storage import SampleCrmStore

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head>
<body style="font-family: sans-serif; max-width: 48rem; margin: 2rem auto">{content}</body></html>"""


def _page(title: str, content: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(PAGE.format(title=escape(title), content=content), status_code=status_code)


def _fields(record: dict[str, Any], names: tuple[str, ...]) -> str:
    rows = "".join(
        f"<tr><th align=left>{escape(name)}</th><td>{escape(str(record.get(name, '')))}</td></tr>"
        for name in names
    )
    return f"<table>{rows}</table>"


def build_pages_router(store: SampleCrmStore) -> APIRouter:
    router = APIRouter(prefix="/sample", tags=["sample CRM"], include_in_schema=False)

    @router.get("/contacts/{contact_id}")
    async def contact_page(contact_id: str) -> HTMLResponse:
        contact = await store.get_contact(contact_id)
        if contact is None:
            return _page("Not found", "<h1>No such contact</h1>", 404)
        return _page(
            str(contact["name"]),
            f"<h1>{escape(contact['name'])}</h1>"
            + _fields(contact, ("id", "type", "company", "email", "phone_numbers", "created_at")),
        )

    @router.get("/activities/{activity_id}")
    async def activity_page(activity_id: str) -> HTMLResponse:
        activity = await store.get_call_activity(activity_id)
        if activity is None:
            return _page("Not found", "<h1>No such call log</h1>", 404)
        return _page(
            str(activity.get("subject") or "Call log"),
            f"<h1>{escape(activity.get('subject') or 'Call log')}</h1>"
            + _fields(activity, ("id", "contact_id", "dispositions", "created_at", "updated_at"))
            + f"<pre style='white-space: pre-wrap'>{escape(activity.get('body') or '')}</pre>",
        )

    return router
