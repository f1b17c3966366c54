"""What fake Clio stores: one firm's users, contacts, matters, relationships, communications, time
entries, documents, calendars and calendar entries, the four regions' OAuth apps with their codes
and tokens, and a rate limit.

Records are kept in the shapes Clio's API v4 returns, so a test asserts on what Clio would really
hold. One lock guards everything: the fake's server thread writes while the test thread reads.
"""

from __future__ import annotations

import itertools
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

__all__ = ["FAKE_REDIRECT_URI", "REGION_CLIENTS", "AccessToken", "ClioState", "Record"]

FAKE_REDIRECT_URI = "https://appconnect.test/clio-redirect"
REGION_CLIENTS: dict[str, tuple[str, str]] = {
    region: (f"fake-clio-{region}-client-id", f"fake-clio-{region}-client-secret")
    for region in ("us", "eu", "ca", "au")
}
"""Each region's OAuth app (client id, secret): which one a token was issued to tells the region."""

Record = dict[str, Any]


def stamp(moment: float | None = None) -> str:
    value = time.time() if moment is None else moment
    return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


@dataclass
class AccessToken:
    user_id: int
    region: str
    expires_at: float
    revoked: bool = False


@dataclass
class ClioState:
    """The firm's data and the regions' OAuth apps; helpers (`add_contact`, ...) seed it."""

    redirect_uri: str = FAKE_REDIRECT_URI
    access_token_lifetime: float = 3600.0
    page_size: int = 200
    rate_limit: int = 50
    users: dict[int, Record] = field(default_factory=dict)
    contacts: dict[int, Record] = field(default_factory=dict)
    matters: dict[int, Record] = field(default_factory=dict)
    relationships: list[Record] = field(default_factory=list)
    communications: dict[int, Record] = field(default_factory=dict)
    activities: dict[int, Record] = field(default_factory=dict)
    documents: dict[int, Record] = field(default_factory=dict)
    calendars: dict[int, Record] = field(default_factory=dict)
    calendar_entries: dict[int, Record] = field(default_factory=dict)
    media: dict[str, bytes] = field(default_factory=dict)
    """RingCentral's media stand-in: `/media/<name>` downloads (the fax PDFs)."""
    codes: dict[str, tuple[int, str]] = field(default_factory=dict)
    access_tokens: dict[str, AccessToken] = field(default_factory=dict)
    refresh_tokens: dict[str, tuple[int, str]] = field(default_factory=dict)
    token_requests: list[Record] = field(default_factory=list)
    """Every token grant: `{"grant_type", "region"}` (the region of the client that asked)."""
    deauthorized: list[str] = field(default_factory=list)
    rejections: list[str] = field(default_factory=list)
    """Every request refused as malformed, `"<METHOD> <path>: <reason>"`: the connector drifted."""
    remaining: int = 50
    slow_creates: int = 0
    """How many of the next communication creates answer `slow_create_seconds` late; the record is
    stored first, so a client that gave up meanwhile left it in Clio (a create of unknown outcome)."""
    slow_create_seconds: float = 0.0
    clock_offset: float = 0.0
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1001), repr=False)

    def next_id(self) -> int:
        with self.lock:
            return next(self._ids)

    def now(self) -> float:
        return time.time() + self.clock_offset

    # -- OAuth --------------------------------------------------------------------------------
    def authorize(self, user_id: int, region: str = "us") -> str:
        """A code as Clio's authorize page would redirect with, for `region`'s app."""
        code = secrets.token_urlsafe(12)
        with self.lock:
            self.codes[code] = (user_id, region)
        return code

    def issue_tokens(self, user_id: int, region: str = "us") -> tuple[str, str]:
        access, refresh = f"clio-at-{secrets.token_hex(8)}", f"clio-rt-{secrets.token_hex(8)}"
        with self.lock:
            self.access_tokens[access] = AccessToken(user_id, region, self.now() + self.access_token_lifetime)
            self.refresh_tokens[refresh] = (user_id, region)
        return access, refresh

    def expire_access_tokens(self) -> None:
        with self.lock:
            for token in self.access_tokens.values():
                token.expires_at = 0.0

    def region_of(self, access_token: str) -> str | None:
        with self.lock:
            token = self.access_tokens.get(access_token)
            return token.region if token else None

    # -- seeding ------------------------------------------------------------------------------
    def add_user(self, name: str, *, user_id: int, time_zone: str = "America/New_York") -> Record:
        user = {"id": user_id, "name": name, "time_zone": time_zone, "email": f"{user_id}@firm.test"}
        with self.lock:
            self.users[user_id] = user
        return user

    def add_contact(self, name: str, *numbers: str, kind: str = "Person", email: str | None = None) -> Record:
        contact_id = self.next_id()
        contact = {
            "id": contact_id,
            "type": kind,
            "name": name,
            "phone_numbers": [
                {"id": self.next_id(), "name": "Work", "number": number, "default_number": index == 0}
                for index, number in enumerate(numbers)
            ],
            "primary_email_address": email,
            "primary_phone_number": numbers[0] if numbers else None,
            "created_at": stamp(),
            "updated_at": stamp(),
        }
        with self.lock:
            self.contacts[contact_id] = contact
        return contact

    def add_matter(
        self, display_number: str, description: str, *, client_id: int, status: str = "Open"
    ) -> Record:
        matter: Record = {
            "id": self.next_id(),
            "display_number": display_number,
            "description": description,
            "status": status,
            "client_id": client_id,
        }
        with self.lock:
            self.matters[matter["id"]] = matter
        return matter

    def relate(self, contact_id: int, matter_id: int) -> None:
        with self.lock:
            self.relationships.append(
                {"id": self.next_id(), "contact_id": contact_id, "matter_id": matter_id}
            )

    def add_calendar(
        self, *, owner: bool = True, kind: str = "UserCalendar", writeable: bool = True
    ) -> Record:
        calendar: Record = {
            "id": self.next_id(),
            "type": kind,
            "permission": "owner" if owner else ("editor" if writeable else "viewer"),
            "visible": True,
        }
        with self.lock:
            self.calendars[calendar["id"]] = calendar
        return calendar

    def add_calendar_entry(self, summary: str, start_at: str, end_at: str, **extra: Any) -> Record:
        entry: Record = {
            "id": self.next_id(),
            "summary": summary,
            "description": extra.pop("description", ""),
            "start_at": start_at,
            "end_at": end_at,
            "attendees": extra.pop("attendees", []),
            "external_properties": [],
            "calendar_owner_id": extra.pop("calendar_owner_id", None),
            **extra,
        }
        with self.lock:
            self.calendar_entries[entry["id"]] = entry
        return entry

    def add_media(self, name: str, content: bytes) -> str:
        with self.lock:
            self.media[name] = content
        return name

    def new_document_uuid(self) -> str:
        return str(uuid.uuid4())
