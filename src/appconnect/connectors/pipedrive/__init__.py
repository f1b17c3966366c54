"""The Pipedrive connector (`platform=pipedrive`), built in: the example to copy for an HTTP CRM.

Pipedrive is the CRM our first users run. The connector logs in with OAuth 2, matches callers to
Pipedrive *persons* (with their open deals and leads as log-form options), creates persons, and
logs calls, SMS, voicemail and fax as Pipedrive *activities* with HTML notes.

Layout, one concern per module:

* `connector.py`: the interfaces (start reading here);
* `api.py`: each Pipedrive endpoint as one method, the response envelope, rate-limit headers and
  the helpers that run independent calls concurrently;
* `fields.py`: App Connect data to Pipedrive fields (duration, due date/time, deal/lead ids);
* `phones.py`: the person-search term for a number;
* `messages.py`: message-log notes, and adding a message to an existing activity;
* `account_data.py`: the activity-type list (cached per company) and which type a log uses;
* `routes.py`, `redirect.html`: `GET`/`DELETE /pipedrive-redirect`;
* `settings.py`: every URL and credential, from the environment (`PIPEDRIVE_*`);
* `manifest.json`: the platform manifest fragment.
"""

from __future__ import annotations

from appconnect.connectors.base import ConnectorContext
from appconnect.connectors.pipedrive.connector import PipedriveConnector, load_manifest
from appconnect.connectors.pipedrive.settings import PipedriveSettings

__all__ = ["PipedriveConnector", "PipedriveSettings", "create_connector", "load_manifest"]


def create_connector(context: ConnectorContext) -> PipedriveConnector:
    """The factory the registry calls."""
    return PipedriveConnector(context)
