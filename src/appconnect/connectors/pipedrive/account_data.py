"""Account data: Pipedrive's activity types, and which one a log uses (pipedrive.md §4).

Why: every call or message log is a Pipedrive *activity* whose `type` must be the `key_string` of
an active activity type of the company ("call", "sms", or a custom one). The list is the RingCentral
account's data (spec platform §6.5): the server keeps it in its database per account, shared by
every worker and user, for a day, and the connector reads it through its input's `account_data`.
`GET /accountData?keys=activityTypes` serves the same copy to the admin page.

Resolution order (§4.3): the type the admin chose (setting `pipedriveCallActivityType` or
`pipedriveSMSActivityType`) if it is in the list, refreshing the list once if it is not; else the
first type whose name contains the keyword (`call`, `sms`), refreshing once when none does; else
None, and the connector explains that an activity type is missing.

Example::

    key = await resolve_activity_type(call.account_data, configured=None, keyword="call")  # "call"
"""

from __future__ import annotations

from typing import Final, TypedDict

from appconnect.connectors.inputs import AccountData

from .api import PipedriveApi

__all__ = [
    "ACTIVITY_TYPES",
    "CALL_ACTIVITY_SETTING",
    "SMS_ACTIVITY_SETTING",
    "ActivityType",
    "fetch_activity_types",
    "resolve_activity_type",
]

ACTIVITY_TYPES: Final = "activityTypes"
CALL_ACTIVITY_SETTING: Final = "pipedriveCallActivityType"
SMS_ACTIVITY_SETTING: Final = "pipedriveSMSActivityType"


class ActivityType(TypedDict):
    """One option of the admin's activity-type list: `const` is Pipedrive's `key_string`."""

    const: str
    title: str


async def fetch_activity_types(api: PipedriveApi) -> list[ActivityType]:
    """The company's active activity types, in Pipedrive's order (`GET /v1/activityTypes`)."""
    return [
        ActivityType(const=str(kind.get("key_string")), title=str(kind.get("name") or ""))
        for kind in await api.activity_types()
        if kind.get("active_flag") and kind.get("key_string")
    ]


def _types(value: object) -> list[ActivityType]:
    """The stored list, read defensively (it is JSON from the database)."""
    if not isinstance(value, list):
        return []
    return [
        ActivityType(const=str(item["const"]), title=str(item.get("title") or ""))
        for item in value
        if isinstance(item, dict) and item.get("const")
    ]


def _match(types: list[ActivityType], keyword: str) -> str | None:
    return next((kind["const"] for kind in types if keyword in kind["title"].lower()), None)


async def resolve_activity_type(
    account_data: AccountData, *, configured: str | None, keyword: str, refresh_first: bool = False
) -> str | None:
    """The `key_string` to log with (see the module docstring for the order), or None.

    `refresh_first` starts from a freshly fetched list (after Pipedrive refused a type); the list is
    then not refreshed again.
    """
    types = _types(await account_data.get(ACTIVITY_TYPES, force_refresh=refresh_first))
    refreshed = refresh_first
    if configured:
        if any(kind["const"] == configured for kind in types):
            return configured
        if not refreshed:
            types = _types(await account_data.get(ACTIVITY_TYPES, force_refresh=True))
            refreshed = True
            if any(kind["const"] == configured for kind in types):
                return configured
    matched = _match(types, keyword)
    if matched is None and not refreshed:  # the list may predate a new type; ask once, not twice
        types = _types(await account_data.get(ACTIVITY_TYPES, force_refresh=True))
        matched = _match(types, keyword)
    return matched
