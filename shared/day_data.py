"""The SQL behind the day and week views: local days' sessions, hours, time off and closures,
and the marker that says when any of it changed.

A fixed number of range queries, whatever the size of the clinic or its history; the
dashboard lays the rows out (services/dashboard/dayplan.py, weekplan.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, or_, select

from shared import clinic_locale, clinic_time, explanations, offers, rebook
from shared.calendar_data import MAX_BOOKING_SPAN
from shared.clinic_locale import Locale
from shared.course_queries import course_positions
from shared.models import (
    Booking,
    BookingEvent,
    BookingStatus,
    CatalogVersion,
    Closure,
    Room,
    Therapist,
    TimeOff,
    WorkingHours,
)
from shared.models.types import pk

# How many of the newest booking events the marker sums: a write that took its event id
# before another's but committed after it still changes the marker (the set of the newest
# changes), as long as fewer than this many writes overtook it.
MARKER_WINDOW = 64


@dataclass(frozen=True)
class DayData:
    day: date
    bookings: Sequence[Booking]  # every one touching the day, cancelled too, by start
    closures: Sequence[Closure]  # of rooms and of the whole clinic
    therapists: Sequence[Therapist]  # active ones, and any other with a shown session, by name
    rooms: Sequence[Room]  # the same for rooms, with their features
    hours: dict[int, list[WorkingHours]]  # therapist id -> weekly blocks
    time_off: dict[int, list[TimeOff]]  # therapist id -> time off touching the day
    show_cancelled: bool
    course_places: dict[int, tuple[int, int]] = field(default_factory=dict)  # "3/10" per booking
    last_day: date | None = None  # a range's last day (a week); None for one day
    # Held times that are waiting-list offers: "offered to Eva H. until 14:30", by booking id.
    offered: dict[int, str] = field(default_factory=dict)
    # Booked sessions whose therapist is away then ("to rebook"): `rebook.hit_by_time_off`.
    away: frozenset[int] = frozenset()

    @property
    def days(self) -> list[date]:
        last = self.last_day or self.day
        return [date.fromordinal(n) for n in range(self.day.toordinal(), last.toordinal() + 1)]

    @property
    def shown(self) -> list[Booking]:
        """The sessions to draw: cancelled ones only when asked for."""
        return _shown(self.bookings, self.show_cancelled)


def _shown(bookings: Sequence[Booking], show_cancelled: bool) -> list[Booking]:
    return [b for b in bookings if show_cancelled or b.status != BookingStatus.CANCELLED.value]


def load_day(
    session: Session,
    *,
    day: date,
    tz: ZoneInfo,
    show_cancelled: bool,
    locale: Locale = clinic_locale.FALLBACK,
) -> DayData:
    """Everything the day view needs for the clinic's local `day`, its labels written in
    `locale`; raises nothing (an empty clinic has an empty day)."""
    return load_days(
        session, first=day, last=day, tz=tz, show_cancelled=show_cancelled, locale=locale
    )


def load_days(
    session: Session,
    *,
    first: date,
    last: date,
    tz: ZoneInfo,
    show_cancelled: bool,
    locale: Locale = clinic_locale.FALLBACK,
) -> DayData:
    """The same for local days `first`..`last` (a week view), in the same number of
    statements; raises nothing."""
    lo = clinic_time.day_bounds(first, tz)[0]
    hi = clinic_time.day_bounds(last, tz)[1]
    rows = session.exec(
        select(Booking, rebook.hit_by_time_off())
        .where(
            col(Booking.blocked_start) >= lo - MAX_BOOKING_SPAN,
            col(Booking.blocked_start) < hi,
            col(Booking.blocked_end) > lo,
        )
        .options(
            selectinload(Booking.client),  # type: ignore[arg-type]
            selectinload(Booking.treatment_type),  # type: ignore[arg-type]
            selectinload(Booking.therapist),  # type: ignore[arg-type]
            selectinload(Booking.room),  # type: ignore[arg-type]
        )
        .order_by(col(Booking.start_at))
    ).all()
    bookings = [b for b, _ in rows]
    away = frozenset(pk(b.id) for b, hit in rows if hit)
    shown = _shown(bookings, show_cancelled)
    used_t = {b.therapist_id for b in shown} or {0}
    used_r = {b.room_id for b in shown} or {0}
    therapists = session.exec(
        select(Therapist)
        .where(or_(col(Therapist.active).is_(True), col(Therapist.id).in_(used_t)))
        .order_by(col(Therapist.name))
    ).all()
    ids = [t.id for t in therapists] or [0]
    rooms = session.exec(
        select(Room)
        .where(or_(col(Room.active).is_(True), col(Room.id).in_(used_r)))
        .options(selectinload(Room.features))  # type: ignore[arg-type]
        .order_by(col(Room.name))
    ).all()
    hours: dict[int, list[WorkingHours]] = defaultdict(list)
    for wh in session.exec(select(WorkingHours).where(col(WorkingHours.therapist_id).in_(ids))):
        hours[wh.therapist_id].append(wh)
    time_off: dict[int, list[TimeOff]] = defaultdict(list)
    for off in session.exec(
        select(TimeOff).where(
            col(TimeOff.therapist_id).in_(ids),
            col(TimeOff.start_at) < hi,
            col(TimeOff.end_at) > lo,
        )
    ):
        time_off[off.therapist_id].append(off)
    closures = session.exec(
        select(Closure).where(col(Closure.start_at) < hi, col(Closure.end_at) > lo)
    ).all()
    courses = {b.course_id for b in shown if b.course_id is not None}
    places = course_positions(session, courses)
    held = {
        pk(b.id): clinic_time.local_date(b.start_at, tz)
        for b in shown
        if b.status == BookingStatus.HELD.value and b.source == "waitlist"
    }
    offered = {
        booking_id: explanations.offered_to(name, until, tz, locale=locale, day=held[booking_id])
        for booking_id, (name, until) in offers.offers_of(session, list(held)).items()
    }
    return DayData(
        first,
        bookings,
        closures,
        therapists,
        rooms,
        hours,
        time_off,
        show_cancelled,
        places,
        last_day=None if last == first else last,
        offered=offered,
        away=away,
    )


_NEWEST_EVENTS = (
    select(col(BookingEvent.id)).order_by(col(BookingEvent.id).desc()).limit(MARKER_WINDOW)
).subquery()
_MARKER = select(
    func.max(_NEWEST_EVENTS.c.id),
    func.sum(_NEWEST_EVENTS.c.id),
    select(col(CatalogVersion.version)).where(col(CatalogVersion.id) == 1).scalar_subquery(),
)  # built once: a backward scan of the primary key's newest entries, whatever the history


def change_marker(session: Session) -> str:
    """A short text that changes whenever anything the day view draws changes, in any process.

    Every such write moves one of two things: bookings made, moved, cancelled or marked, and
    holds and waiting-list offers placed, confirmed, taken or lapsed, record a booking event;
    the catalog (rooms, therapists, working hours), time off and closures move
    `catalog_version` by trigger (migrations 0004, 0013). So it stays one statement cheap to
    poll every 2 s: a backward scan of the newest entries of booking_event's primary key and
    one primary-key lookup, whatever the history (bench/live.py)."""
    newest, recent, catalog = session.exec(_MARKER).one()
    return f"{newest or 0}.{recent or 0}.{catalog or 0}"
