"""Contact lookup, the per-account contact cache, name search and contact creation, over a real socket."""

from __future__ import annotations

from typing import Any

import httpx

from appconnect.config import Settings
from appconnect.connectors.sample import SampleCrmConnector
from appconnect.domain import User
from appconnect.security import SessionTokens
from appconnect.store import Store, upgrade
from tests.e2e.conftest import ANN, login


async def _user_with_account(settings: Settings, tokens: SessionTokens) -> dict[str, str]:
    """A sample-CRM user that belongs to a RingCentral account (the contact cache is per account)."""
    store = Store.open(settings.database_url, str(settings.app_server_secret_key))
    await upgrade(store.database)
    await store.users.save(
        User(id="acct-user-sample", platform="sample", rc_account_id="rc-acc-1", access_token="k")
    )
    await store.close()
    return {"Authorization": f"Bearer {tokens.issue('acct-user-sample', 'sample')}"}


def _real(contacts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [contact for contact in contacts if not contact.get("isNewContact")]


async def test_contact_cache_serves_repeat_lookups_until_forced(
    live_server: Any, settings: Settings, tokens: SessionTokens, sample_crm: SampleCrmConnector
) -> None:
    auth = await _user_with_account(settings, tokens)
    server = live_server()
    async with httpx.AsyncClient(base_url=server.url) as client:
        first = (await client.get("/contact", params={"phoneNumber": ANN}, headers=auth)).json()
        assert [c["name"] for c in _real(first["contact"])] == ["Ann Example"]
        await sample_crm.store.create_contact(name="Ann's Assistant", phone=ANN)
        cached = (await client.get("/contact", params={"phoneNumber": ANN}, headers=auth)).json()
        assert cached == {"successful": True, "returnMessage": None, "contact": first["contact"]}
        forced = (
            await client.get(
                "/contact", params={"phoneNumber": ANN, "isForceRefreshAccountData": "true"}, headers=auth
            )
        ).json()
        assert sorted(c["name"] for c in _real(forced["contact"])) == ["Ann Example", "Ann's Assistant"]
        after = (await client.get("/contact", params={"phoneNumber": ANN}, headers=auth)).json()
        assert after["contact"] == forced["contact"]


async def test_unknown_number_plus_sign_and_extension(live_server: Any) -> None:
    server = live_server()
    async with httpx.AsyncClient(base_url=server.url) as client:
        auth = {"Authorization": f"Bearer {await login(client)}"}
        # A `+` that arrived URL-decoded as a space still finds the contact.
        spaced = (await client.get("/contact?phoneNumber=%2014155550100", headers=auth)).json()
        assert _real(spaced["contact"])[0]["name"] == "Ann Example"
        unknown = (await client.get("/contact", params={"phoneNumber": "+15005550000"}, headers=auth)).json()
        assert unknown["returnMessage"]["message"] == "Contact not found"
        assert _real(unknown["contact"]) == []
        missing = await client.get("/contact", headers=auth)
        assert missing.status_code == 400
        no_token = await client.get("/contact", params={"phoneNumber": ANN})
        assert (
            no_token.status_code == 400
            and no_token.text == "Please go to Settings and authorize CRM platform"
        )


async def test_create_contact_then_find_it_by_number_and_name(
    live_server: Any, sample_crm: SampleCrmConnector
) -> None:
    server = live_server()
    async with httpx.AsyncClient(base_url=server.url) as client:
        auth = {"Authorization": f"Bearer {await login(client)}"}
        created = (
            await client.post(
                "/contact",
                headers=auth,
                json={
                    "phoneNumber": "+15105550123",
                    "newContactName": "Dana New",
                    "newContactType": "Contact",
                },
            )
        ).json()
        assert created["successful"] is True and created["contact"]["name"] == "Dana New"
        assert any(contact["name"] == "Dana New" for contact in await sample_crm.list_contacts())
        found = (await client.get("/contact", params={"phoneNumber": "+15105550123"}, headers=auth)).json()
        assert _real(found["contact"])[0]["id"] == created["contact"]["id"]
        by_name = (await client.get("/custom/contact/search", params={"name": "dana"}, headers=auth)).json()
        assert [c["name"] for c in _real(by_name["contact"])] == ["Dana New"]
        nobody = (await client.get("/custom/contact/search", params={"name": "zzz"}, headers=auth)).json()
        assert nobody["returnMessage"]["message"] == "No contact found with name zzz "
        invalid = await client.get("/custom/contact/search", params={"name": "x", "jwtToken": "bad"})
        assert invalid.status_code == 400 and invalid.text == "Invalid JWT token"
        malformed = await client.post("/contact", headers=auth, json={"newContactName": "No Number"})
        assert malformed.status_code == 400 and "phoneNumber" in malformed.json()["error"]
