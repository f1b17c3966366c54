"""Contact lookup by phone number (with the per-account contact cache), by name, and creation."""

from __future__ import annotations

from typing import Any

import structlog

from appconnect.connectors.base import CreatesContacts, FindsContacts, SearchesContactsByName
from appconnect.connectors.inputs import (
    AdditionalSubmission,
    CreateContactInput,
    FindContactInput,
    FindContactWithNameInput,
)
from appconnect.connectors.types import FindContactResult, message_to_wire
from appconnect.contract import CreateContactRequest
from appconnect.services.context import ServerContext
from appconnect.services.crm import CrmSession
from appconnect.services.messages import CONTACT_NOT_FOUND, unsupported, warning
from appconnect.services.outcomes import Answered, Outcome, fail

log = structlog.get_logger(__name__)


def contact_cache_key(phone_number: str) -> str:
    return f"contact-{phone_number}"


def _not_found_message(phone_number: str, platform: str) -> dict[str, Any]:
    text = f"A contact with the phone number {phone_number} could not be found in your {platform} account."
    return {
        "message": "Contact not found",
        "messageType": "warning",
        "details": [{"title": "Details", "items": [{"id": "1", "type": "text", "text": text}]}],
        "ttl": 5000,
    }


def _contacts_wire(result: FindContactResult) -> list[dict[str, Any]]:
    return [contact.to_wire() for contact in result.matched_contact_info]


async def find_contact(
    context: ServerContext,
    *,
    user_id: str,
    platform: str,
    phone_number: str,
    overriding_format: str | None,
    is_extension: bool,
    force_refresh: bool,
) -> Outcome:
    connector = context.registry.get(platform)
    user = await context.store.users.get(user_id, platform)
    if user is None or not user.is_usable:
        return Outcome(body={"successful": False, "returnMessage": CONTACT_NOT_FOUND})
    cache_key = contact_cache_key(phone_number)
    if user.rc_account_id and not force_refresh:
        cached = await context.store.account_data.get(user.rc_account_id, platform, cache_key)
        if cached is not None:
            return Outcome(body={"successful": True, "returnMessage": None, "contact": cached})
    if not isinstance(connector, FindsContacts):
        return fail(unsupported("findContact", platform))
    try:
        crm = await CrmSession.open(context, connector, user, operation="findContact")
        result, crm = await crm.run(
            connector.find_contact,
            FindContactInput(
                user=crm.user,
                auth_header=crm.auth_header,
                phone_number=phone_number,
                overriding_format=overriding_format,
                is_extension=is_extension,
                is_force_refresh_account_data=force_refresh,
            ),
        )
    except Answered as answered:
        return answered.outcome
    contacts = _contacts_wire(result)
    message = message_to_wire(result.return_message)
    if result.has_real_match:
        if user.rc_account_id:
            await context.store.account_data.put(user.rc_account_id, platform, cache_key, contacts)
        return Outcome(
            body=_drop_none({"successful": result.successful, "returnMessage": message, "contact": contacts})
        )
    if force_refresh and user.rc_account_id:
        await context.store.account_data.delete(user.rc_account_id, platform, cache_key)
    return Outcome(
        body=_drop_none(
            {
                "successful": result.successful,
                "returnMessage": message
                if message is not None
                else _not_found_message(phone_number, platform),
                "contact": contacts,
            }
        )
    )


async def find_contact_with_name(
    context: ServerContext, *, user_id: str, platform: str, name: str
) -> Outcome:
    connector = context.registry.get(platform)
    user = await context.store.users.get(user_id, platform)
    if user is None or not user.is_usable:
        return Outcome(
            body={"successful": False, "returnMessage": warning(f"No contact found with name {name}")}
        )
    if not isinstance(connector, SearchesContactsByName):
        return fail(unsupported("findContactWithName", platform))
    try:
        crm = await CrmSession.open(context, connector, user, operation="findContactWithName")
        result, crm = await crm.run(
            connector.find_contact_with_name,
            FindContactWithNameInput(user=crm.user, auth_header=crm.auth_header, name=name),
        )
    except Answered as answered:
        return answered.outcome
    contacts = _contacts_wire(result)
    message = message_to_wire(result.return_message)
    if not result.has_real_match and message is None:
        message = warning(f"No contact found with name {name} ")
    return Outcome(
        body=_drop_none({"successful": result.successful, "returnMessage": message, "contact": contacts})
    )


async def create_contact(
    context: ServerContext, *, user_id: str, platform: str, request: CreateContactRequest
) -> Outcome:
    connector = context.registry.get(platform)
    user = await context.store.users.get(user_id, platform)
    if user is None or not user.is_usable:
        return Outcome(body={"successful": False})
    if not isinstance(connector, CreatesContacts):
        return fail(unsupported("createContact", platform))
    try:
        crm = await CrmSession.open(context, connector, user, operation="createContact")
        result, crm = await crm.run(
            connector.create_contact,
            CreateContactInput(
                user=crm.user,
                auth_header=crm.auth_header,
                phone_number=request.phone_number,
                new_contact_name=request.new_contact_name,
                new_contact_type=request.new_contact_type,
                additional_submission=(
                    AdditionalSubmission(request.additional_submission)
                    if request.additional_submission is not None
                    else None
                ),
            ),
        )
    except Answered as answered:
        return answered.outcome
    message = message_to_wire(result.return_message)
    if result.contact_info is None:
        return Outcome(body=_drop_none({"successful": False, "returnMessage": message}))
    info = result.contact_info
    contact = _drop_none({"id": info.id, "name": info.name, "type": info.type})
    return Outcome(body=_drop_none({"successful": True, "returnMessage": message, "contact": contact}))


def _drop_none(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if value is not None}
