"""The rows behind calendars: bookings, time off and closures in range, in one statement.

Plain column reads on the caller's connection, bounded by index ranges, so the cost grows
with the bookings inside the asked range, never with the clinic's history.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Connection,
    Select,
    bindparam,
    literal_column,
    null,
    or_,
    union_all,
)
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from shared import clinic_time
from shared.catalog_cache import block_of, weekly_hours_query
from shared.models import (
    Booking,
    BookingStatus,
    Clinic,
    Closure,
    TimeOff,
    WorkingHours,
)
from shared.slots import (
    BusyRow,
    CalendarData,
    Calendars,
    Treatment,
    WeeklyBlock,
    assemble_calendars,
)

# No booking spans longer than this (durations and buffers are capped in the catalog), which
# gives range queries a lower bound on blocked_start and keeps them off the clinic's history.
MAX_BOOKING_SPAN = timedelta(hours=24)


def fetch_calendar_data(
    session: Session,
    *,
    therapist_ids: Sequence[int],
    room_ids: Sequence[int],
    lo: datetime,
    hi: datetime,
    client_id: int | None = None,
    exclude_booking_id: int | None = None,
    hours: Mapping[int, Sequence[WeeklyBlock]] | None = None,
) -> CalendarData:
    """Two indexed statements, whatever the length of [lo, hi) or of the clinic's history:
    the weekly hours, and the bookings, time off and closures in range as one UNION ALL. One
    when the caller brings the `hours` (from the catalog cache).

    Plain column reads on the session's connection: no ORM objects, and the same transaction
    as the caller's.
    """
    conn = session.connection()
    data = _read_ranges(
        conn,
        therapist_ids=therapist_ids,
        room_ids=room_ids,
        lo=lo,
        hi=hi,
        client_id=client_id,
        exclude_booking_id=exclude_booking_id,
    )
    if hours is not None:
        data.hours = {tid: list(hours.get(tid, ())) for tid in therapist_ids}
    elif therapist_ids:
        for row in conn.execute(_HOURS, {"therapist_ids": list(therapist_ids)}):
            data.hours.setdefault(row.therapist_id, []).append(block_of(row))
    return data


def _read_ranges(
    conn: Connection,
    *,
    therapist_ids: Sequence[int],
    room_ids: Sequence[int],
    lo: datetime,
    hi: datetime,
    client_id: int | None = None,
    exclude_booking_id: int | None = None,
) -> CalendarData:
    """Live bookings, time off and closures over [lo, hi) in one statement (no hours)."""
    data = CalendarData()
    rows = conn.execute(
        _ranges_query(client_id is not None, exclude_booking_id is not None),
        {
            "therapist_ids": list(therapist_ids),
            "room_ids": list(room_ids),
            "since": lo - MAX_BOOKING_SPAN,
            "lo": lo,
            "hi": hi,
            "client_id": client_id,
            "exclude_id": exclude_booking_id,
        },
    )
    for kind, therapist_id, room_id, client_id_, start_at, end_at in rows:
        if kind == _BOOKING:
            data.bookings.append(BusyRow(therapist_id, room_id, client_id_, start_at, end_at))
        elif kind == _TIME_OFF:
            data.time_off.setdefault(therapist_id, []).append((start_at, end_at))
        else:
            data.closures.append((room_id, (start_at, end_at)))
    return data


# Statements are built once: making one costs more than SQLite takes to run it.
_HOURS = weekly_hours_query().where(
    col(WorkingHours.therapist_id).in_(bindparam("therapist_ids", expanding=True))
)
_BOOKING, _TIME_OFF, _CLOSURE = 0, 1, 2


@cache
def _ranges_query(with_client: bool, excluding: bool) -> CompoundSelect[Any]:
    """Each part is an index range: bookings on blocked_start (bounded below by the longest
    possible booking, `since`), time off on (therapist_id, start_at), closures on start_at.
    The bookings part comes first: its column types decode every row's times."""
    who: list[ColumnElement[bool]] = [
        col(Booking.therapist_id).in_(bindparam("therapist_ids", expanding=True)),
        col(Booking.room_id).in_(bindparam("room_ids", expanding=True)),
    ]
    if with_client:
        who.append(col(Booking.client_id) == bindparam("client_id"))
    bookings: Select[*tuple[Any, ...]] = sa_select(
        literal_column(str(_BOOKING)).label("kind"),
        col(Booking.therapist_id),
        col(Booking.room_id),
        col(Booking.client_id),
        col(Booking.blocked_start).label("start_at"),
        col(Booking.blocked_end).label("end_at"),
    ).where(
        col(Booking.blocked_start) >= bindparam("since"),
        col(Booking.blocked_start) < bindparam("hi"),
        col(Booking.blocked_end) > bindparam("lo"),
        col(Booking.status) != BookingStatus.CANCELLED.value,
        or_(*who),
    )
    if excluding:
        bookings = bookings.where(col(Booking.id) != bindparam("exclude_id"))
    time_off: Select[*tuple[Any, ...]] = sa_select(
        literal_column(str(_TIME_OFF)),
        col(TimeOff.therapist_id),
        null(),
        null(),
        col(TimeOff.start_at),
        col(TimeOff.end_at),
    ).where(
        col(TimeOff.therapist_id).in_(bindparam("therapist_ids", expanding=True)),
        col(TimeOff.start_at) < bindparam("hi"),
        col(TimeOff.end_at) > bindparam("lo"),
    )
    closures: Select[*tuple[Any, ...]] = sa_select(
        literal_column(str(_CLOSURE)),
        null(),
        col(Closure.room_id),
        null(),
        col(Closure.start_at),
        col(Closure.end_at),
    ).where(col(Closure.start_at) < bindparam("hi"), col(Closure.end_at) > bindparam("lo"))
    return union_all(bookings, time_off, closures)


def load_calendars(
    session: Session,
    *,
    clinic: Clinic,
    treatment: Treatment,
    therapist_ids: Sequence[int],
    room_ids: Sequence[int],
    lo: datetime,
    hi: datetime,
    earliest: datetime,
    latest: datetime,
    client_id: int | None = None,
    exclude_booking_id: int | None = None,
) -> Calendars:
    """The calendars of these therapists and rooms over [lo, hi), from four range queries."""
    data = fetch_calendar_data(
        session,
        therapist_ids=therapist_ids,
        room_ids=room_ids,
        lo=lo,
        hi=hi,
        client_id=client_id,
        exclude_booking_id=exclude_booking_id,
    )
    return assemble_calendars(
        data,
        tz=clinic_time.zone(clinic.timezone),
        step_minutes=clinic.slot_step_minutes,
        treatment=treatment,
        therapist_ids=therapist_ids,
        room_ids=room_ids,
        lo=lo,
        hi=hi,
        earliest=earliest,
        latest=latest,
        client_id=client_id,
    )
