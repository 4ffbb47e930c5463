"""Reading bookings: filtered, keyset-paginated, with their relations loaded in bulk."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, tuple_
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from shared.errors import NotFound
from shared.models import Booking

_RELATIONS = (
    selectinload(Booking.treatment_type),  # type: ignore[arg-type]
    selectinload(Booking.therapist),  # type: ignore[arg-type]
    selectinload(Booking.room),  # type: ignore[arg-type]
    selectinload(Booking.client),  # type: ignore[arg-type]
)


def booking_with_relations(session: Session, booking_id: int) -> Booking:
    """Raises NotFound."""
    found = session.exec(
        select(Booking).where(Booking.id == booking_id).options(*_RELATIONS)
    ).first()
    if found is None:
        raise NotFound(f"No booking with id {booking_id}", field="booking_id")
    return found


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
    query = select(Booking).options(*_RELATIONS)
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
