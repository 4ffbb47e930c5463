"""Rendered feeds kept per process: 2,000 sessions take a few hundred ms to render, so a feed
is rendered again only when its bookings changed, and then only the events that changed.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from shared import ical
from shared.db import Database
from shared.feed_calendar import END, audience, head
from shared.feed_window import bookings, clinic_print, feed_clinic, state
from shared.feeds import Feed, Marker, current_marker
from shared.models import Booking, Clinic, FeedVersion
from shared.models.types import utcnow

RECHECK_AFTER = 300.0  # seconds a cached body is trusted without re-rendering
STATE_RECHECK = 60.0  # seconds an unchanged marker is trusted without the window's aggregate


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
        clinic_print(clinic),
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
    """Rendered feeds and events of one process (thread-safe).

    A request costs one small query (`open_feed`: the owner's token and the marker). While the
    marker is unchanged, the cached bytes are served as they are; when it moves (any booking
    changed anywhere) or once `state_recheck` has passed (the window slides, rows are written
    around the booking rules), the window's aggregate (`feed_window.state`) decides whether this
    feed changed; only then is it rendered again, with every unchanged event taken from a
    per-event cache. Other edits (a client or room renamed) show within `recheck_after`, when a
    cached body is rendered again anyway.

    The ETag is a hash of the bytes. Last-Modified is when those bytes first appeared, kept in
    `feed_version` so every worker and a restarted server send the same one; new bytes always
    get a later one (at least a second), also when a session only left the feed, so a client
    revalidating by date (Apple) is never told 304 for a feed that changed.
    """

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
        clinic = feed_clinic(session)
        reader = audience(feed)
        rows = bookings(session, feed, now)
        parts: list[bytes] = []
        for booking in rows:
            event_key = _event_key(booking, clinic, reader)
            with self._lock:
                text = self._events.get(event_key)
            if text is None:
                text = ical.event_bytes(booking, clinic, audience=reader)
                with self._lock:
                    self._events.put(event_key, text)
            parts.append(text)
        return head(feed, clinic, rows, now) + b"".join(parts) + END
