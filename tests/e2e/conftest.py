"""E2E helpers: log in to the running server like the extension does, and read the sample CRM."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from appconnect.config import Settings
from appconnect.connectors.base import ConnectorContext
from appconnect.connectors.sample import SampleCrmConnector

ANN = "+14155550100"


@pytest.fixture
async def sample_crm(settings: Settings) -> AsyncIterator[SampleCrmConnector]:
    """A second view on the sample CRM's database, to assert what the CRM really stores."""
    crm = SampleCrmConnector(ConnectorContext(http=None, settings=settings))  # type: ignore[arg-type]
    yield crm
    await crm.shutdown()


async def login(client: httpx.AsyncClient, api_key: str = "agent-key") -> str:
    response = await client.post("/apiKeyLogin", json={"platform": "sample", "apiKey": api_key})
    assert response.status_code == 200, response.text
    token = response.json()["jwtToken"]
    assert isinstance(token, str)
    return token


def call_record(session_id: str, **overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "sessionId": session_id,
        "telephonySessionId": f"tel-{session_id}",
        "id": f"rc-{session_id}",
        "direction": "Inbound",
        "startTime": "2026-11-25T10:00:00.000Z",
        "duration": "pending",
        "result": "Call connected",
        "from": {"phoneNumber": ANN, "name": "Ann Example"},
        "to": {"phoneNumber": "+16505550199", "extensionNumber": "101", "name": "Agent"},
        "customSubject": "Inbound call from Ann Example",
    }
    record.update(overrides)
    return record
