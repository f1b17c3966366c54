"""What fake Pipedrive stores: one company's users, persons, deals, leads, activity types and
activities, the OAuth app with its codes and tokens, and a burst rate limit.

Records are kept in the shapes Pipedrive's API returns (v2 persons, deals and activities; v1 leads,
users and activity types), so a test asserts on what Pipedrive would really hold. Everything is
guarded by one lock: the fake's server thread writes while the test thread reads.
"""

from __future__ import annotations

import itertools
import secrets
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "FAKE_CLIENT_ID",
    "FAKE_CLIENT_SECRET",
    "FAKE_REDIRECT_URI",
    "AccessToken",
    "PipedriveState",
    "RefreshToken",
]

FAKE_CLIENT_ID = "fake-pipedrive-client-id"
FAKE_CLIENT_SECRET = "fake-pipedrive-client-secret"
FAKE_REDIRECT_URI = "https://appconnect.test/pipedrive-redirect"

Record = dict[str, Any]


def _stamp(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class AccessToken:
    user_id: int
    expires_at: float
    refresh_token: str
    revoked: bool = False


@dataclass
class RefreshToken:
    user_id: int
    revoked: bool = False


@dataclass
class RateLimit:
    """Pipedrive's burst limit: `limit` requests per `window` seconds per company."""

    limit: int = 80
    window: float = 2.0
    started: float = 0.0
    used: int = 0
    blocked_until: float | None = None


@dataclass
class PipedriveState:
    """The company's data and the OAuth app. Helpers (`add_person`, ...) seed it for a test."""

    company_id: int = 5001
    company_name: str = "Acme Fakes"
    company_domain: str = "acmefakes"
    client_id: str = FAKE_CLIENT_ID
    client_secret: str = FAKE_CLIENT_SECRET
    redirect_uri: str = FAKE_REDIRECT_URI
    access_token_lifetime: float = 3600.0
    api_host: str | None = None
    """`host:port` the API must be called on (None: any)."""
    oauth_host: str | None = None
    """`host:port` the OAuth endpoints must be called on (None: any)."""
    users: dict[int, Record] = field(default_factory=dict)
    organizations: dict[int, Record] = field(default_factory=dict)
    persons: dict[int, Record] = field(default_factory=dict)
    deals: dict[int, Record] = field(default_factory=dict)
    leads: dict[str, Record] = field(default_factory=dict)
    activity_types: list[Record] = field(default_factory=list)
    activities: dict[int, Record] = field(default_factory=dict)
    codes: dict[str, int] = field(default_factory=dict)
    access_tokens: dict[str, AccessToken] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshToken] = field(default_factory=dict)
    rate_limit: RateLimit = field(default_factory=RateLimit)
    rejections: list[str] = field(default_factory=list)
    """Every request the fake refused as malformed (`400`), as `"<METHOD> <path>: <reason>"`."""
    latency: dict[str, float] = field(default_factory=dict)
    # The next `slow_creates` activity creates wait `slow_create_seconds`, then are applied even
    # when the client gave up meanwhile (a create whose outcome the client cannot know).
    slow_creates: int = 0
    slow_create_seconds: float = 0.0
    # The same for activity updates (`PATCH /api/v2/activities/{id}`).
    slow_updates: int = 0
    slow_update_seconds: float = 0.0
    """Seconds to hold answers to a path prefix, so concurrent requests overlap."""
    in_flight: int = 0
    max_in_flight: int = 0
    clock_offset: float = 0.0
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(101), repr=False)

    def __post_init__(self) -> None:
        if not self.activity_types:
            for order, (name, key, active) in enumerate(
                [
                    ("Call", "call", True),
                    ("Meeting", "meeting", True),
                    ("SMS", "sms", True),
                    ("Fax", "fax", False),
                ],
                start=1,
            ):
                self.add_activity_type(name, key, active=active, order=order)

    # -- time ---------------------------------------------------------------------------------
    def now(self) -> float:
        return time.time() + self.clock_offset

    def advance(self, seconds: float) -> None:
        """Move the fake's clock (tokens expire, rate-limit windows end)."""
        with self.lock:
            self.clock_offset += seconds

    def next_id(self) -> int:
        with self.lock:
            return next(self._ids)

    # -- seeding ------------------------------------------------------------------------------
    def add_user(
        self,
        name: str = "Jordan Lee",
        *,
        user_id: int | None = None,
        email: str | None = None,
        timezone_name: str = "Europe/London",
        timezone_offset: str = "+00:00",
        is_deleted: bool = False,
    ) -> Record:
        with self.lock:
            key = user_id if user_id is not None else self.next_id()
            user: Record = {
                "id": key,
                "name": name,
                "email": email or f"{name.split()[0].lower()}@{self.company_domain}.test",
                "lang": 1,
                "locale": "en_US",
                "timezone_name": timezone_name,
                "timezone_offset": timezone_offset,
                "company_id": self.company_id,
                "company_name": self.company_name,
                "company_domain": self.company_domain,
                "default_currency": "USD",
                "is_admin": 1,
                "active_flag": not is_deleted,
                "is_deleted": is_deleted,
                "created": _stamp(self.now()),
            }
            self.users[key] = user
            return dict(user)

    def add_organization(self, name: str) -> Record:
        with self.lock:
            organization: Record = {"id": self.next_id(), "name": name, "address": None}
            self.organizations[organization["id"]] = organization
            return dict(organization)

    def add_person(
        self,
        name: str,
        phones: Sequence[str] | str = (),
        *,
        org_id: int | None = None,
        owner_id: int | None = None,
    ) -> Record:
        numbers = [phones] if isinstance(phones, str) else list(phones)
        with self.lock:
            moment = _stamp(self.now())
            person: Record = {
                "id": self.next_id(),
                "name": name,
                "first_name": name.split(" ", 1)[0],
                "last_name": name.split(" ", 1)[1] if " " in name else "",
                "owner_id": owner_id or next(iter(self.users), None),
                "org_id": org_id,
                "phones": [
                    {"value": number, "primary": index == 0, "label": "work"}
                    for index, number in enumerate(numbers)
                ],
                "emails": [],
                "add_time": moment,
                "update_time": moment,
                "visible_to": 3,
            }
            self.persons[person["id"]] = person
            return dict(person)

    def add_deal(self, title: str, *, person_id: int, status: str = "open") -> Record:
        with self.lock:
            moment = _stamp(self.now())
            person = self.persons[person_id]
            deal: Record = {
                "id": self.next_id(),
                "title": title,
                "person_id": person_id,
                "org_id": person.get("org_id"),
                "owner_id": person.get("owner_id"),
                "status": status,
                "value": 1000,
                "currency": "USD",
                "add_time": moment,
                "update_time": moment,
            }
            self.deals[deal["id"]] = deal
            return dict(deal)

    def add_lead(self, title: str, *, person_id: int, archived: bool = False) -> Record:
        with self.lock:
            moment = _stamp(self.now())
            lead: Record = {
                "id": str(uuid.uuid4()),
                "title": title,
                "person_id": person_id,
                "organization_id": self.persons[person_id].get("org_id"),
                "owner_id": self.persons[person_id].get("owner_id"),
                "is_archived": archived,
                "add_time": moment,
                "update_time": moment,
            }
            self.leads[lead["id"]] = lead
            return dict(lead)

    def add_activity_type(
        self, name: str, key_string: str, *, active: bool = True, order: int | None = None
    ) -> Record:
        with self.lock:
            moment = _stamp(self.now())
            kind: Record = {
                "id": len(self.activity_types) + 1,
                "order_nr": order or len(self.activity_types) + 1,
                "name": name,
                "key_string": key_string,
                "icon_key": key_string,
                "active_flag": active,
                "color": None,
                "is_custom_flag": key_string not in {"call", "meeting", "task", "deadline", "email", "lunch"},
                "add_time": moment,
                "update_time": moment,
            }
            self.activity_types.append(kind)
            return dict(kind)

    def activity(self, activity_id: object) -> Record:
        """A copy of one stored activity (KeyError when there is none)."""
        with self.lock:
            return dict(self.activities[int(str(activity_id))])

    def edit_activity_note(self, activity_id: object, note: str) -> None:
        """What an agent does in Pipedrive's UI: replace an activity's note."""
        with self.lock:
            activity = self.activities[int(str(activity_id))]
            activity["note"] = note
            activity["update_time"] = _stamp(self.now())

    # -- OAuth --------------------------------------------------------------------------------
    def authorize(self, user_id: int) -> str:
        """The user clicks "Allow and Install": an authorization code for the app's redirect URI."""
        code = f"code-{secrets.token_urlsafe(12)}"
        with self.lock:
            self.codes[code] = user_id
        return code

    def issue_tokens(self, user_id: int, refresh_token: str | None = None) -> tuple[str, str]:
        """A new access token (and refresh token, unless one is renewed) for `user_id`."""
        with self.lock:
            refresh = refresh_token or f"refresh-{secrets.token_urlsafe(16)}"
            self.refresh_tokens.setdefault(refresh, RefreshToken(user_id=user_id))
            access = f"access-{secrets.token_urlsafe(16)}"
            self.access_tokens[access] = AccessToken(
                user_id=user_id, expires_at=self.now() + self.access_token_lifetime, refresh_token=refresh
            )
            return access, refresh

    def user_of(self, access_token: str) -> int | None:
        """The user an access token is valid for now, or None (unknown, expired or revoked)."""
        with self.lock:
            token = self.access_tokens.get(access_token)
            if token is None or token.revoked or token.expires_at <= self.now():
                return None
            refresh = self.refresh_tokens.get(token.refresh_token)
            return None if refresh is not None and refresh.revoked else token.user_id

    def revoke(self, token: str) -> None:
        """Revoke a refresh token (and every access token issued from it) or one access token."""
        with self.lock:
            if token in self.refresh_tokens:
                self.refresh_tokens[token].revoked = True
                for access in self.access_tokens.values():
                    if access.refresh_token == token:
                        access.revoked = True
            if token in self.access_tokens:
                self.access_tokens[token].revoked = True

    def is_revoked(self, token: str) -> bool:
        with self.lock:
            if token in self.refresh_tokens:
                return self.refresh_tokens[token].revoked
            if token in self.access_tokens:
                return self.access_tokens[token].revoked
            raise KeyError(token)

    def expire_access_tokens(self) -> None:
        """Every access token issued so far expires now (refresh tokens stay valid)."""
        with self.lock:
            for token in self.access_tokens.values():
                token.expires_at = min(token.expires_at, self.now())

    # -- rate limit ---------------------------------------------------------------------------
    def spend_request(self) -> tuple[bool, dict[str, str]]:
        """Count one API request: `(allowed, x-ratelimit-* headers)`."""
        with self.lock:
            limit, now = self.rate_limit, self.now()
            if limit.blocked_until is not None and now < limit.blocked_until:
                reset = max(1, round(limit.blocked_until - now))
                return False, self._headers(0, reset)
            limit.blocked_until = None
            if now - limit.started >= limit.window:
                limit.started, limit.used = now, 0
            reset = max(1, round(limit.window - (now - limit.started)))
            if limit.used >= limit.limit:
                return False, self._headers(0, reset)
            limit.used += 1
            return True, self._headers(limit.limit - limit.used, reset)

    def _headers(self, remaining: int, reset: int) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(self.rate_limit.limit),
            "x-ratelimit-remaining": str(remaining),
            "x-ratelimit-reset": str(reset),
        }

    def exhaust_rate_limit(self, *, reset_after: float = 30.0) -> None:
        """Every API request answers 429 for the next `reset_after` seconds (fake clock)."""
        with self.lock:
            self.rate_limit.blocked_until = self.now() + reset_after

    def reject(self, method: str, path: str, reason: str) -> None:
        with self.lock:
            self.rejections.append(f"{method} {path}: {reason}")
