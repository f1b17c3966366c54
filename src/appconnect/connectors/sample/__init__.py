"""The built-in sample CRM connector (`platform=sample`): a real connector over a local CRM.

Why it exists: `appconnect serve` must log calls and SMS out of the box, with no CRM account, and
connector authors need a complete, working example to copy. Its "CRM" is a SQLite database of its
own (`SAMPLE_CRM_DATABASE_URL`, default `sqlite:///appconnect-sample-crm.db`) holding contacts,
call activities and message logs, seeded with three contacts on first use.

Layout: `connector.py` (the interfaces), `storage.py` (the CRM's tables and transactions),
`phones.py` (number normalisation and matching), `errors.py`, `manifest.json` (the platform
manifest fragment, shipped as package data).
"""

from __future__ import annotations

from appconnect.connectors.base import ConnectorContext
from appconnect.connectors.sample.connector import SampleCrmConnector, extract_note, load_manifest
from appconnect.connectors.sample.errors import SampleCrmNotFound
from appconnect.connectors.sample.storage import SEED_CONTACTS, SampleCrmStore

__all__ = [
    "SEED_CONTACTS",
    "SampleCrmConnector",
    "SampleCrmNotFound",
    "SampleCrmStore",
    "create_connector",
    "extract_note",
    "load_manifest",
]


def create_connector(context: ConnectorContext) -> SampleCrmConnector:
    """The factory the registry calls: a sample connector using `context.settings.sample_crm_database_url`."""
    return SampleCrmConnector(context)
