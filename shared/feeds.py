"""Which feed a secret token opens, and each feed's token and URLs.

Owners' tokens (tens) are all read and compared in constant time, a booking's is found by its
index; the same small query reads the marker that says whether any booking changed.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, bindparam, func, literal
from sqlmodel import Session, col, select

from shared.catalog import new_feed_token
from shared.errors import NotFound
from shared.models import Booking, BookingEvent, Clinic, Room, Therapist

KINDS = ("therapist", "room", "clinic")
URL_KINDS = (*KINDS, "booking")
_TOKEN = re.compile(r"[A-Za-z0-9_\-]{16,64}")
NOT_FOUND = "No such calendar feed (the link may have been replaced by a new one)"


def feed_urls(public_base_url: str, kind: str, token: str) -> dict[str, str]:
    """The feed's address as {"https": ..., "webcal": ...} (https is PUBLIC_BASE_URL's scheme).

    `kind` is therapist, room, clinic or booking (a booking's access token). Raises ValueError
    for an unknown kind or an empty token.
    """
    if kind not in URL_KINDS:
        raise ValueError(f"unknown feed kind {kind!r}; expected one of {URL_KINDS}")
    if not token:
        raise ValueError("this feed has no token yet: run `clinic feed-url` to make one")
    base = public_base_url.rstrip("/")
    url = f"{base}/feeds/{kind}/{token}.ics"
    parts = urlsplit(url)
    webcal = "webcal://" + url[len(parts.scheme) + 3 :]
    return {"https": url, "webcal": webcal}


def ensure_feed_token(session: Session, owner: Clinic | Therapist | Room) -> str:
    """The owner's feed token, making one if it has none yet (may flush)."""
    if not owner.feed_token:
        owner.feed_token = new_feed_token()
        session.add(owner)
        session.flush()
    return owner.feed_token


@dataclass(frozen=True)
class Feed:
    """Whose feed a token opens: kind plus the owner's id (a booking's for kind "booking")."""

    kind: str
    owner_id: int
    name: str


def _plausible(token: str) -> bool:
    return bool(_TOKEN.fullmatch(token))


def _matches(stored: str, token: str) -> bool:
    return bool(stored) and hmac.compare_digest(stored.encode(), token.encode())


Marker = tuple[Any, ...]


def _marker_columns() -> tuple[Any, ...]:
    newest_event = select(func.max(col(BookingEvent.id))).scalar_subquery()
    return (
        col(Clinic.name),
        col(Clinic.address),
        col(Clinic.phone),
        col(Clinic.timezone),
        col(Clinic.feed_shows_client_details),
        newest_event,
    )


@cache
def _owner_query(kind: str) -> Any:
    """Built once per kind: the statement of `open_feed` (its cache key is then memoized)."""
    on_clinic = col(Clinic.id) == 1
    if kind == "booking":
        return (
            select(col(Booking.id), col(Booking.access_token), literal(""), *_marker_columns())
            .select_from(Booking)
            .join(Clinic, on_clinic)
            .where(col(Booking.access_token) == bindparam("token"))
        )
    model: Any = {"therapist": Therapist, "room": Room, "clinic": Clinic}[kind]
    query = select(model.id, model.feed_token, model.name, *_marker_columns())
    return query.where(on_clinic) if kind == "clinic" else query.join(Clinic, on_clinic)


def open_feed(session: Session | Connection, kind: str, token: str) -> tuple[Feed, Marker]:
    """The feed whose token this is, and its change marker, in one small query.

    The marker is the clinic's settings plus the newest booking event's id: every booking
    change made through shared.booking writes an event in its own transaction, so an unchanged
    marker means no booking changed. Raises NotFound (never saying why) for anything else.
    """
    if kind not in URL_KINDS or not _plausible(token):
        raise NotFound(NOT_FOUND)
    query = _owner_query(kind)
    params = {"token": token} if kind == "booking" else {}
    found: tuple[Feed, Marker] | None = None
    # Every candidate is compared, so the time taken does not depend on which one matches.
    # Core, not ORM: this runs on every request, and the ORM's result machinery is not needed.
    conn = session.connection() if isinstance(session, Session) else session
    for row in conn.execute(query, params):
        if _matches(row[1], token) and found is None:
            found = (Feed(kind, int(row[0]), row[2]), (row[8], tuple(row[3:8])))
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


def find_feed(session: Session, kind: str, token: str) -> Feed:
    """The feed whose token this is; raises NotFound (never saying why) for anything else."""
    return open_feed(session, kind, token)[0]


def current_marker(session: Session) -> Marker:
    """What `open_feed` returns as the marker, for callers that found the feed otherwise."""
    row = session.exec(select(*_marker_columns()).where(col(Clinic.id) == 1)).first()
    if row is None:
        raise NotFound(NOT_FOUND)
    return (row[5], tuple(row[0:5]))
