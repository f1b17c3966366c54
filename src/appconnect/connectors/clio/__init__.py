"""The Clio connector (`platform=clio`), built in: Clio Manage for law firms, in its four regions.

Logging in is OAuth 2 against the region the user chose (US, EU, CA, AU: each its own app and
host). Callers are matched to Clio contacts (people and companies) by every spelling of the number
the user's phone formats describe, each with its matters; calls and messages are logged as
communications on the chosen matter, with time entries per the user's settings; faxes are
uploaded as documents; appointments are calendar entries.

Layout, one concern per module:

* `connector.py`: the interfaces (start reading here);
* `api.py`: each Clio endpoint as one method, the envelope, paging and rate-limit headers;
* `messages.py`: the SMS, voicemail and fax bodies and the SMS time entry;
* `appointments.py`: calendar entries as appointments;
* `settings.py`: the regions, every URL and credential, from the environment (`CLIO_*`);
* `manifest.json`: the platform manifest fragment.
"""

from __future__ import annotations

from appconnect.connectors.base import ConnectorContext
from appconnect.connectors.clio.connector import ClioConnector, load_manifest
from appconnect.connectors.clio.settings import ClioSettings

__all__ = ["ClioConnector", "ClioSettings", "create_connector", "load_manifest"]


def create_connector(context: ConnectorContext) -> ClioConnector:
    """The factory the registry calls."""
    return ClioConnector(context)
