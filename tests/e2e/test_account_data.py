"""`GET /accountData` caching rules with a connector whose fetch can fail on demand."""

from __future__ import annotations

from typing import Any

import httpx

from appconnect.config import Settings
from appconnect.connectors.base import AccountDataSource, ConnectorContext
from appconnect.connectors.inputs import CrmInput
from appconnect.connectors.registry import ConnectorRegistry
from appconnect.connectors.sample import SampleCrmConnector
from appconnect.domain import User
from appconnect.security import SessionTokens
from appconnect.store import Store, upgrade


class TeamsCrm(SampleCrmConnector):
    """The sample CRM plus one account-data key whose value changes with every fetch."""

    name = "teamscrm"

    def __init__(self, context: ConnectorContext) -> None:
        super().__init__(context)
        self.fetches = 0
        self.failing = False
        self.account_data = {"teams": AccountDataSource(fetch=self.fetch_teams, ttl_seconds=0)}

    async def fetch_teams(self, request: CrmInput, /) -> list[dict[str, str]]:
        self.fetches += 1
        if self.failing:
            raise ConnectionError("CRM unreachable")
        return [{"const": f"team-{self.fetches}", "title": f"Team {self.fetches}"}]


async def test_stale_values_are_refetched_and_served_when_the_crm_fails(
    live_server: Any, settings: Settings, tokens: SessionTokens
) -> None:
    crm: list[TeamsCrm] = []

    def configure(registry: ConnectorRegistry, context: ConnectorContext) -> None:
        crm.append(TeamsCrm(context))
        registry.register("teamscrm", crm[0])

    store = Store.open(settings.database_url, str(settings.app_server_secret_key))
    await upgrade(store.database)
    await store.users.save(User(id="u-teams", platform="teamscrm", rc_account_id="acc-1", access_token="k"))
    await store.users.save(User(id="u-nobody", platform="teamscrm", access_token="k"))
    await store.close()
    server = live_server(configure=configure)
    auth = {"Authorization": f"Bearer {tokens.issue('u-teams', 'teamscrm')}"}
    async with httpx.AsyncClient(base_url=server.url) as client:
        first = (await client.get("/accountData", params={"keys": "teams"}, headers=auth)).json()
        assert first == {"successful": True, "data": {"teams": [{"const": "team-1", "title": "Team 1"}]}}
        second = (await client.get("/accountData", params={"keys": "teams"}, headers=auth)).json()
        assert second["data"]["teams"][0]["const"] == "team-2"  # ttl 0: always stale, so fetched again
        crm[0].failing = True
        fallback = (await client.get("/accountData", params={"keys": "teams"}, headers=auth)).json()
        assert fallback == second  # the stale value beats none while the CRM is unreachable
        no_account = await client.get(
            "/accountData",
            params={"keys": "teams"},
            headers={"Authorization": f"Bearer {tokens.issue('u-nobody', 'teamscrm')}"},
        )
        assert no_account.status_code == 400
        assert no_account.json() == {"error": "Cannot resolve account data 'teams': user has no rcAccountId"}
