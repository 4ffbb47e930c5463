"""One client's record for the reception: their sessions to come and past, no-shows, courses,
and the session "book again" repeats, read in a fixed number of statements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from shared import booking_queries, clients
from shared.course_queries import CourseView, courses_of_client
from shared.models import Booking, BookingStatus, Client


@dataclass(frozen=True)
class ClientRecord:
    client: Client
    upcoming: list[Booking]  # booked and not yet started, soonest first
    past: list[Booking]  # started before now (cancelled ones left out), latest first
    cancelled: list[Booking]  # latest first
    courses: list[CourseView]  # newest first

    @property
    def no_shows(self) -> int:
        return sum(1 for b in self.past if b.status == BookingStatus.NO_SHOW.value)

    @property
    def to_repeat(self) -> Booking | None:
        """The session "book again" starts from: the latest that was not cancelled."""
        return self.past[0] if self.past else (self.upcoming[-1] if self.upcoming else None)


def client_record(session: Session, client_id: int, *, now: datetime) -> ClientRecord:
    """Raises InvalidInput, NotFound."""
    client = clients.get_client(session, client_id)
    query = (
        select(Booking)
        .where(Booking.client_id == client.id)
        .options(*booking_queries.RELATIONS)
        .order_by(col(Booking.start_at), col(Booking.id))
    )
    upcoming: list[Booking] = []
    past: list[Booking] = []
    cancelled: list[Booking] = []
    for b in session.exec(query):
        if b.status == BookingStatus.CANCELLED.value:
            cancelled.append(b)
        elif b.start_at > now:
            upcoming.append(b)  # a hold awaiting the client's confirmation too
        elif b.status != BookingStatus.HELD.value:  # a hold never confirmed is no session
            past.append(b)
    past.reverse()
    cancelled.reverse()
    return ClientRecord(client, upcoming, past, cancelled, courses_of_client(session, client_id))
