"""Closing the day: every session of the day that is over and still unmarked, marked completed
in one go with the no-shows as exceptions, and the marks undone again the same day.

Each mark goes through `shared.booking` (the lifecycle rules, the version the list was shown
with); one refusal refuses the whole batch, so a day is never half closed.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from shared import booking, booking_queries, clinic_time, lifecycle
from shared.errors import InvalidInput
from shared.models import Booking, BookingStatus

# (booking id, the version it was listed with)
Listed = tuple[int, int]


@dataclass(frozen=True)
class DaySessions:
    to_mark: list[Booking]  # over (started) and still booked, by start
    marked: list[Booking]  # completed or no-show, by start
    later: int  # booked sessions that have not started yet


@dataclass(frozen=True)
class Closed:
    completed: list[int]
    no_shows: list[int]


def day_sessions(session: Session, *, day: date, tz: ZoneInfo, now: datetime) -> DaySessions:
    """The day's sessions as the end-of-day list shows them. Raises InvalidInput."""
    day = clinic_time.require_date(day, "date")
    lo, hi = clinic_time.day_bounds(day, tz)
    query = (
        select(Booking)
        .where(col(Booking.start_at) >= lo, col(Booking.start_at) < hi)
        .where(col(Booking.status).in_([BookingStatus.BOOKED.value, *lifecycle.MARKED]))
        .options(*booking_queries.RELATIONS)
        .order_by(col(Booking.start_at), col(Booking.id))
    )
    to_mark: list[Booking] = []
    marked: list[Booking] = []
    later = 0
    for b in session.exec(query):
        if b.status in lifecycle.MARKED:
            marked.append(b)
        elif lifecycle.mark_refusal(b, now, BookingStatus.COMPLETED) is None:
            to_mark.append(b)
        else:
            later += 1
    return DaySessions(to_mark, marked, later)


def close_day(
    session: Session,
    *,
    listed: Sequence[Listed],
    no_shows: Collection[int],
    actor: str,
    now: datetime,
) -> Closed:
    """Mark the listed sessions completed, those in `no_shows` no-show.
    Raises InvalidInput, NotFound, InvalidTransition, ChangedMeanwhile (nothing is marked)."""
    ids = [booking_id for booking_id, _ in listed]
    if not ids:
        raise InvalidInput("no sessions to mark", field="booking_ids")
    if len(set(ids)) != len(ids):
        raise InvalidInput("a session is listed twice", field="booking_ids")
    strays = set(no_shows) - set(ids)
    if strays:
        raise InvalidInput("a no-show must be one of the listed sessions", field="no_show")
    closed = Closed([], [])
    for booking_id, version in listed:
        if booking_id in no_shows:
            booking.mark_no_show(
                session, booking_id, actor=actor, now=now, expected_sequence=version
            )
            closed.no_shows.append(booking_id)
        else:
            booking.mark_completed(
                session, booking_id, actor=actor, now=now, expected_sequence=version
            )
            closed.completed.append(booking_id)
    return closed


def undo_marks(
    session: Session, *, listed: Sequence[Listed], actor: str, tz: ZoneInfo, now: datetime
) -> list[int]:
    """Put the listed marked sessions back to booked (the same day only).
    Raises InvalidInput, NotFound, InvalidTransition, ChangedMeanwhile (nothing is undone)."""
    if not listed:
        raise InvalidInput("no marks to undo", field="booking_ids")
    for booking_id, version in listed:
        booking.unmark(session, booking_id, actor=actor, tz=tz, now=now, expected_sequence=version)
    return [booking_id for booking_id, _ in listed]
