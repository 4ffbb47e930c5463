"""Which bookings a feed shows, and a fingerprint that says when they changed.

The last 60 days and the next 365, on `blocked_start` so the booking indexes serve it;
cancelled sessions stay 30 days so subscribers drop them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_
from sqlalchemy.orm import joinedload
from sqlmodel import Session, col, select

from shared.errors import NotFound
from shared.feeds import NOT_FOUND, Feed
from shared.models import Booking, BookingStatus, Clinic

WINDOW_PAST = timedelta(days=60)
WINDOW_AHEAD = timedelta(days=365)
CANCELLED_KEPT = timedelta(days=30)


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


def feed_clinic(session: Session) -> Clinic:
    """The clinic whose sessions the feeds show; raises NotFound (as for a wrong token)."""
    clinic = session.get(Clinic, 1)
    if clinic is None:
        raise NotFound(NOT_FOUND)
    return clinic


def clinic_print(clinic: Clinic) -> tuple[Any, ...]:
    """The clinic's settings that a feed's text shows."""
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
    return (feed, clinic_print(feed_clinic(session)), count, newest, ids, sequences)


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
