"""Which organization a person belongs to, as the last contact lookup of this process saw it.

Why: a call log's activity carries the person's `org_id`, and the reference reads the person
(`GET /api/v2/persons/{id}`) on every create to learn it. The contact lookup that precedes the log
(seconds earlier, same user) already received the organization with each search result, so that
round trip is on the critical path of every call for data the server has just seen. This memo keeps
`(user, person) -> org id` from searches and person creations for `TTL_SECONDS`; a create that finds
no entry (another process served the lookup, the contact list came from the shared contact cache,
or the entry aged out) reads the person as before.

Trade-off, stated: an organization changed in Pipedrive between the lookup and the log (within the
TTL) is not seen by that log; the activity is linked to the organization the agent's lookup showed.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, Final

__all__ = ["MISSING", "OrganizationMemo"]

TTL_SECONDS: Final = 15 * 60.0
MAX_ENTRIES: Final = 20_000


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()
"""`get`'s answer when the memo does not know the person (None means: known, no organization)."""


class OrganizationMemo:
    """Bounded, per-process `(user id, person id) -> org id | None` with a time to live."""

    def __init__(
        self, *, ttl_seconds: float = TTL_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl_seconds
        self._clock = clock
        self._entries: OrderedDict[tuple[str, str], tuple[Any, float]] = OrderedDict()

    def remember_search_item(self, user_id: str, item: Mapping[str, Any]) -> None:
        """From a `/api/v2/persons/search` item (`organization: {id, ...}` or null)."""
        if item.get("id") is None or "organization" not in item:
            return
        organization = item.get("organization")
        org_id = organization.get("id") if isinstance(organization, Mapping) else None
        self._put(user_id, item["id"], org_id)

    def remember_person(self, user_id: str, person: Mapping[str, Any]) -> None:
        """From a person record (`org_id`), e.g. the answer of `POST /v1/persons`."""
        if person.get("id") is None or "org_id" not in person:
            return
        org_id = person.get("org_id")
        if isinstance(org_id, Mapping):  # API v1 expands the organization
            org_id = org_id.get("value")
        self._put(user_id, person["id"], org_id)

    def get(self, user_id: str, person_id: Any) -> Any:
        key = (user_id, str(person_id))
        entry = self._entries.get(key)
        if entry is None:
            return MISSING
        if self._clock() - entry[1] > self._ttl:
            del self._entries[key]
            return MISSING
        return entry[0]

    def _put(self, user_id: str, person_id: Any, org_id: Any) -> None:
        key = (user_id, str(person_id))
        self._entries[key] = (org_id, self._clock())
        self._entries.move_to_end(key)
        while len(self._entries) > MAX_ENTRIES:
            self._entries.popitem(last=False)
