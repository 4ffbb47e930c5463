"""Reading bookings: filtered, keyset-paginated, with their relations loaded in bulk, and
counted in a span."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, tuple_
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from shared import clinic_time, validation
from shared.errors import InvalidInput, NotFound
from shared.models import Booking, BookingStatus

RELATIONS = (
    selectinload(Booking.treatment_type),  # type: ignore[arg-type]
    selectinload(Booking.therapist),  # type: ignore[arg-type]
    selectinload(Booking.room),  # type: ignore[arg-type]
    selectinload(Booking.client),  # type: ignore[arg-type]
)


def booking_with_relations(session: Session, booking_id: int) -> Booking:
    """Raises NotFound."""
    return _one(session, booking_id, *RELATIONS)


def booking_with_history(session: Session, booking_id: int) -> Booking:
    """One booking with its client, treatment, therapist, room and events, for its page.
    Raises InvalidInput, NotFound."""
    validation.positive_id(booking_id, "booking_id")
    return _one(session, booking_id, *RELATIONS, selectinload(Booking.events))  # type: ignore[arg-type]


def _one(session: Session, booking_id: int, *options: Any) -> Booking:
    found = session.exec(select(Booking).where(Booking.id == booking_id).options(*options)).first()
    if found is None:
        raise NotFound(f"No booking with id {booking_id}", field="booking_id")
    return found


def live_sessions_between(
    session: Session,
    start: datetime,
    end: datetime,
    *,
    therapist_id: int | None = None,
    room_id: int | None = None,
) -> int:
    """How many booked (not cancelled, not yet marked) sessions overlap [start, end), of one
    therapist or room or of the whole clinic: e.g. those a new time off or closure covers.
    Raises InvalidInput."""
    start = clinic_time.require_aware(start, "start")
    end = clinic_time.require_aware(end, "end")
    if end < start:
        raise InvalidInput("ends before it starts", field="end")
    query = (
        select(func.count())
        .select_from(Booking)
        .where(
            col(Booking.status) == BookingStatus.BOOKED.value,
            col(Booking.start_at) < end,
            col(Booking.end_at) > start,
        )
    )
    if therapist_id is not None:
        validation.positive_id(therapist_id, "therapist_id")
        query = query.where(Booking.therapist_id == therapist_id)
    if room_id is not None:
        validation.positive_id(room_id, "room_id")
        query = query.where(Booking.room_id == room_id)
    return int(session.exec(query).one())


def list_bookings(
    session: Session,
    *,
    start_at: datetime | None = None,
    end_at: datetime | None = None,
    therapist_id: int | None = None,
    room_id: int | None = None,
    client_id: int | None = None,
    status: str | None = None,
    after: tuple[datetime, int] | None = None,
    limit: int = 50,
) -> Sequence[Booking]:
    """Sessions overlapping [start_at, end_at), ordered by start then id, after a cursor."""
    query = select(Booking).options(*RELATIONS)
    if start_at is not None:
        query = query.where(col(Booking.end_at) > start_at)
    if end_at is not None:
        query = query.where(col(Booking.start_at) < end_at)
    for column, value in (
        (Booking.therapist_id, therapist_id),
        (Booking.room_id, room_id),
        (Booking.client_id, client_id),
        (Booking.status, status),
    ):
        if value is not None:
            query = query.where(column == value)
    if after is not None:
        query = query.where(
            or_(
                col(Booking.start_at) > after[0],
                tuple_(col(Booking.start_at), col(Booking.id)) > tuple_(after[0], after[1]),
            )
        )
    return session.exec(query.order_by(col(Booking.start_at), col(Booking.id)).limit(limit)).all()
