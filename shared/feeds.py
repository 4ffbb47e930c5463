"""Private iCal subscription feeds: one per therapist, per room, the whole clinic, one booking.

A feed is found by its secret token, compared in constant time: owners' tokens are all read
and each is compared with `hmac.compare_digest` (there are only tens of them); a booking's is
found through its unique index and then compared the same way. A feed covers a bounded window
(the last 60 days and the next 365, on `blocked_start`, so the booking indexes serve it), and
keeps cancelled sessions for 30 days after the cancellation so subscribers drop them.

Serving is cached per process (`FeedCache`), because 2,000 sessions take a few hundred ms
to render. A request costs one small query (`open_feed`: the owners' tokens, the clinic's
settings, and the newest booking event's id, the "marker"). While the marker is unchanged, the
cached bytes are served as they are; when it moves (any booking changed anywhere) or once a
minute (`STATE_RECHECK`: the window slides, rows written around the booking rules), one
aggregate over the feed's window (count, newest `updated_at`, sums of ids and sequences)
decides whether this feed changed; only then is it rendered again, with every unchanged
event taken from a per-event cache. Other edits (a client or room renamed) show within
`RECHECK_AFTER`, when a cached body is rendered again anyway.

Validators: the ETag is a hash of the bytes. Last-Modified is when those bytes first appeared,
kept in `feed_version` so every worker and a restarted server send the same one; new bytes
always get a later one (at least a second), also when a session only left the feed (moved to
another therapist, out of the window), so a client revalidating by date (Apple) is never told
304 for a feed that changed.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import icalendar
from sqlalchemy import Connection, and_, bindparam, func, literal, or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlmodel import Session, col, select

from shared import ical
from shared.catalog import new_feed_token
from shared.db import Database
from shared.errors import NotFound
from shared.models import (
    Booking,
    BookingEvent,
    BookingStatus,
    Clinic,
    FeedVersion,
    Room,
    Therapist,
)
from shared.models.types import utcnow

KINDS = ("therapist", "room", "clinic")
URL_KINDS = (*KINDS, "booking")
WINDOW_PAST = timedelta(days=60)
WINDOW_AHEAD = timedelta(days=365)
CANCELLED_KEPT = timedelta(days=30)
REFRESH = timedelta(minutes=15)
RECHECK_AFTER = 300.0  # seconds a cached body is trusted without re-rendering
STATE_RECHECK = 60.0  # seconds an unchanged marker is trusted without the window's aggregate
_TOKEN = re.compile(r"[A-Za-z0-9_\-]{16,64}")
_NOT_FOUND = "No such calendar feed (the link may have been replaced by a new one)"


# -- URLs and tokens ---------------------------------------------------------------------------


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
        raise NotFound(_NOT_FOUND)
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
        raise NotFound(_NOT_FOUND)
    return found


def find_feed(session: Session, kind: str, token: str) -> Feed:
    """The feed whose token this is; raises NotFound (never saying why) for anything else."""
    return open_feed(session, kind, token)[0]


def current_marker(session: Session) -> Marker:
    """What `open_feed` returns as the marker, for callers that found the feed otherwise."""
    row = session.exec(select(*_marker_columns()).where(col(Clinic.id) == 1)).first()
    if row is None:
        raise NotFound(_NOT_FOUND)
    return (row[5], tuple(row[0:5]))


# -- what a feed holds ---------------------------------------------------------------------------


def window(now: datetime) -> tuple[datetime, datetime]:
    """The span of session starts (with buffers) a feed covers."""
    return now - WINDOW_PAST, now + WINDOW_AHEAD


def _booking_filter(feed: Feed, now: datetime) -> Any:
    """Rows of the feed, written so each kind uses its (owner, blocked_start) index."""
    if feed.kind == "booking":
        return col(Booking.id) == feed.owner_id
    lo, hi = window(now)
    clauses = [
        col(Booking.blocked_start) >= lo,
        col(Booking.blocked_start) < hi,
        or_(
            col(Booking.status) != BookingStatus.CANCELLED.value,
            col(Booking.cancelled_at) >= now - CANCELLED_KEPT,
        ),
    ]
    if feed.kind == "therapist":
        clauses.insert(0, col(Booking.therapist_id) == feed.owner_id)
    elif feed.kind == "room":
        clauses.insert(0, col(Booking.room_id) == feed.owner_id)
    return and_(*clauses)


def _clinic(session: Session) -> Clinic:
    clinic = session.get(Clinic, 1)
    if clinic is None:
        raise NotFound(_NOT_FOUND)
    return clinic


def _clinic_print(clinic: Clinic) -> tuple[Any, ...]:
    return (
        clinic.name,
        clinic.address,
        clinic.phone,
        clinic.timezone,
        clinic.feed_shows_client_details,
    )


def state(session: Session, feed: Feed, now: datetime) -> tuple[Any, ...]:
    """A small fingerprint of what the feed holds, from one aggregate query over the window.

    Count and sum of ids change when a session enters or leaves; the newest `updated_at`
    changes with any edit of one inside (bookings get a new `updated_at` on every change).
    """
    row = session.exec(
        select(
            func.count(col(Booking.id)),
            func.max(col(Booking.updated_at)),
            func.coalesce(func.sum(col(Booking.id)), 0),
            func.coalesce(func.sum(col(Booking.sequence)), 0),
        ).where(_booking_filter(feed, now))
    ).one()
    newest = row[1]
    if isinstance(newest, str):  # SQLite returns max() of the column as text
        newest = datetime.fromisoformat(newest).replace(tzinfo=UTC)
    elif newest is not None and newest.tzinfo is None:
        newest = newest.replace(tzinfo=UTC)
    count, ids, sequences = (int(value or 0) for value in (row[0], row[2], row[3]))
    return (feed, _clinic_print(_clinic(session)), count, newest, ids, sequences)


def bookings(session: Session, feed: Feed, now: datetime) -> Sequence[Booking]:
    """The feed's bookings in start order, with what their events show loaded eagerly."""
    return (
        session.exec(
            select(Booking)
            .where(_booking_filter(feed, now))
            .options(
                joinedload(Booking.treatment_type),  # type: ignore[arg-type]
                joinedload(Booking.therapist),  # type: ignore[arg-type]
                joinedload(Booking.room),  # type: ignore[arg-type]
                joinedload(Booking.client),  # type: ignore[arg-type]
            )
            .order_by(col(Booking.blocked_start), col(Booking.id))
        )
        .unique()
        .all()
    )


def calendar_name(feed: Feed, clinic: Clinic) -> str:
    if feed.kind == "therapist":
        return f"{feed.name} · {clinic.name}"
    if feed.kind == "room":
        return f"{feed.name} · {clinic.name}"
    if feed.kind == "clinic":
        return f"{clinic.name} · all sessions"
    return clinic.name


def _audience(feed: Feed) -> str:
    return "client" if feed.kind == "booking" else feed.kind


# -- rendering ---------------------------------------------------------------------------------


def record_version(session: Session, feed: Feed, etag: str, now: datetime) -> datetime:
    """The Last-Modified of the feed's bytes with this ETag (may flush, never commits).

    The stored one while the ETag is the stored one; for new bytes, now (to the second) and
    always at least a second after the previous, so a client's date never matches new bytes.
    """
    second = now.astimezone(UTC).replace(microsecond=0)
    row = session.get(FeedVersion, (feed.kind, feed.owner_id), with_for_update=True)
    if row is None:
        row = FeedVersion(kind=feed.kind, owner_id=feed.owner_id, etag=etag, last_modified=second)
        session.add(row)
    elif row.etag != etag:
        row.etag = etag
        row.last_modified = max(second, row.last_modified + timedelta(seconds=1))
    session.flush()
    return row.last_modified


class _LRU:
    """A bounded dict, least recently used out first; callers hold the cache's lock."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[Any, Any] = OrderedDict()

    def get(self, key: Any) -> Any:
        value = self.items.get(key)
        if value is not None:
            self.items.move_to_end(key)
        return value

    def put(self, key: Any, value: Any) -> None:
        self.items[key] = value
        self.items.move_to_end(key)
        while len(self.items) > self.size:
            self.items.popitem(last=False)


def _event_key(booking: Booking, clinic: Clinic, audience: str) -> tuple[Any, ...]:
    """Everything an event's text is made of, so a cached event is never stale."""
    client = booking.client
    return (
        booking.id,
        booking.uid,
        booking.sequence,
        booking.status,
        booking.start_at,
        booking.end_at,
        booking.created_at,
        booking.updated_at,
        booking.notes,
        booking.cancel_reason,
        booking.treatment_type.name if booking.treatment_type else None,
        booking.therapist.name if booking.therapist else None,
        booking.room.name if booking.room else None,
        (client.name, client.phone) if client else None,
        _clinic_print(clinic),
        audience,
    )


@dataclass(frozen=True)
class Document:
    """A rendered feed with its validators."""

    body: bytes
    etag: str  # quoted, as sent
    last_modified: datetime  # whole seconds, UTC
    state: tuple[Any, ...]
    checked: float  # monotonic time of the last render that confirmed the bytes
    marker: Marker = ()
    state_checked: float = 0.0  # monotonic time the state was last confirmed


class FeedCache:
    """Rendered feeds and events of one process (thread-safe); see the module's docstring."""

    def __init__(
        self,
        database: Database | None = None,
        *,
        events: int = 50_000,
        feeds: int = 256,
        recheck_after: float = RECHECK_AFTER,
        state_recheck: float = STATE_RECHECK,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.database = database
        self._events = _LRU(events)
        self._docs = _LRU(feeds)
        self._lock = threading.Lock()
        self.recheck_after = recheck_after
        self.state_recheck = state_recheck
        self.clock = clock
        self.renders = 0

    def cached(self, feed: Feed, marker: Marker) -> Document | None:
        """The cached document if `marker` says nothing changed and it is fresh; else None."""
        tick = self.clock()
        with self._lock:
            doc: Document | None = self._docs.get((feed.kind, feed.owner_id))
        if (
            doc is not None
            and doc.state[0] == feed
            and doc.marker == marker
            and tick - doc.checked < self.recheck_after
            and tick - doc.state_checked < self.state_recheck
        ):
            return doc
        return None

    def document(
        self,
        session: Session,
        feed: Feed,
        now: datetime | None = None,
        *,
        marker: Marker | None = None,
    ) -> Document:
        """The feed's current bytes and validators, rendering only what changed.

        With an unchanged `marker` (see `open_feed`) a cached document is served as it is for
        `state_recheck` seconds; otherwise the window's aggregate decides, and only a changed
        state, or a body older than `recheck_after`, renders again.
        """
        now = now or utcnow()
        if marker is None:
            marker = current_marker(session)
        key = (feed.kind, feed.owner_id)
        tick = self.clock()
        with self._lock:
            cached: Document | None = self._docs.get(key)
        if (
            cached is not None
            and cached.state[0] == feed
            and tick - cached.checked < self.recheck_after
        ):
            if cached.marker == marker and tick - cached.state_checked < self.state_recheck:
                return cached
            current = state(session, feed, now)
            if current == cached.state:
                doc = replace(cached, marker=marker, state_checked=tick)
                with self._lock:
                    self._docs.put(key, doc)
                return doc
        else:
            current = state(session, feed, now)
        body = self.render(session, feed, now)
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        with self._lock:
            previous: Document | None = self._docs.get(key)
        if previous is not None and previous.etag == etag:
            modified = previous.last_modified
        else:
            modified = self._remember(feed, etag, now, previous)
        doc = Document(body, etag, modified, current, tick, marker, tick)
        with self._lock:
            self._docs.put(key, doc)
        return doc

    def _remember(
        self, feed: Feed, etag: str, now: datetime, previous: Document | None
    ) -> datetime:
        """Last-Modified of new bytes: shared through `feed_version` when there is a database."""
        if self.database is None:
            second = now.astimezone(UTC).replace(microsecond=0)
            if previous is None:
                # Unknown to this process: a session may have left the feed just before, so
                # only "now" is safe (a restarted server costs each subscriber one download).
                return second
            return max(second, previous.last_modified + timedelta(seconds=1))
        for attempt in range(3):
            try:
                with self.database.transaction() as session:
                    return record_version(session, feed, etag, now)
            except IntegrityError:  # another process stored the first version just now
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def render(self, session: Session, feed: Feed, now: datetime) -> bytes:
        """The feed's bytes: header, VTIMEZONE, then each event (from the event cache if same)."""
        self.renders += 1
        clinic = _clinic(session)
        audience = _audience(feed)
        rows = bookings(session, feed, now)
        parts: list[bytes] = []
        for booking in rows:
            event_key = _event_key(booking, clinic, audience)
            with self._lock:
                text = self._events.get(event_key)
            if text is None:
                text = ical.event_bytes(booking, clinic, audience=audience)
                with self._lock:
                    self._events.put(event_key, text)
            parts.append(text)
        head = _head(feed, clinic, rows, now)
        return head + b"".join(parts) + b"END:VCALENDAR\r\n"


def _head(feed: Feed, clinic: Clinic, rows: Sequence[Booking], now: datetime) -> bytes:
    if feed.kind == "booking":
        span = (rows[0].start_at, rows[0].end_at) if rows else (now, now)
        cal = ical.calendar(
            [], clinic, name=calendar_name(feed, clinic), method="PUBLISH", span=span
        )
    else:
        lo, hi = window(now)
        span = (lo - timedelta(days=1), hi + timedelta(days=2))
        cal = ical.calendar([], clinic, name=calendar_name(feed, clinic), span=span)
        cal.add("x-wr-caldesc", _caldesc(feed, clinic))
        cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", icalendar.vDuration(REFRESH).to_ical().decode())
    raw = ical.to_bytes(cal)
    end = b"END:VCALENDAR\r\n"
    assert raw.endswith(end)
    return raw[: -len(end)]


def _caldesc(feed: Feed, clinic: Clinic) -> str:
    whose = {
        "therapist": f"Sessions of {feed.name}",
        "room": f"Sessions in {feed.name}",
        "clinic": "All sessions",
    }[feed.kind]
    return (
        f"{whose} at {clinic.name}: the last {WINDOW_PAST.days} days and the next "
        f"{WINDOW_AHEAD.days}. Private link: do not share it."
    )


# -- HTTP validators (pure; the web layer passes the request's headers) -------------------------


def http_date(when: datetime) -> str:
    return format_datetime(when.astimezone(UTC), usegmt=True)


def _parse_http_date(value: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _etags(header: str) -> list[str]:
    out = []
    for part in header.split(","):
        tag = part.strip()
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag:
            out.append(tag)
    return out


def not_modified(
    doc: Document,
    *,
    if_none_match: str | None,
    if_modified_since: str | None,
    now: datetime | None = None,
) -> bool:
    """True when the client's copy is current (RFC 9110: If-None-Match wins over the date).

    A date in the future or one that cannot be parsed never yields 304, nor does one earlier
    than the feed's Last-Modified.
    """
    if if_none_match is not None:
        tags = _etags(if_none_match)
        return "*" in tags or doc.etag in tags
    if not if_modified_since:
        return False
    since = _parse_http_date(if_modified_since)
    if since is None:
        return False
    now = now or utcnow()
    if since > now:
        return False
    return doc.last_modified <= since
