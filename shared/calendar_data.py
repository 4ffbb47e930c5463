"""The rows behind calendars: bookings, time off, closures and the catalog version, at once.

Plain column reads on the caller's connection, bounded by index ranges, so the cost grows
with the bookings inside the asked range, never with the clinic's history.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Integer,
    Select,
    Text,
    any_,
    bindparam,
    cast,
    literal_column,
    null,
    or_,
    union_all,
)
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Session, col

from shared.models import Booking, BookingStatus, CatalogVersion, Closure, TimeOff
from shared.slots import BusyRow, CalendarData, WeeklyBlock

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
    hours: Mapping[int, Sequence[WeeklyBlock]],
    client_ids: Collection[int] = (),
    detailed: bool = False,
) -> CalendarData:
    """One indexed statement, whatever the length of [lo, hi) or of the clinic's history:
    the live bookings of these therapists, rooms and clients, their time off and the
    closures over [lo, hi), and the catalog's version (so a cached snapshot is confirmed
    without a statement of its own), as one UNION ALL; the weekly `hours` come from the
    catalog cache.

    Plain column reads on the session's connection: no ORM objects, and the same transaction
    as the caller's. `detailed` adds what a refusal names (each booking's own times and
    treatment, each time off's and closure's reason), so none needs a read of its own.
    """
    data = CalendarData(hours={tid: list(hours.get(tid, ())) for tid in therapist_ids})
    rows = session.connection().execute(
        _ranges_query(bool(client_ids), detailed, session.get_bind().dialect.name == "postgresql"),
        {
            "therapist_ids": list(therapist_ids),
            "room_ids": list(room_ids),
            "client_ids": list(client_ids),
            "since": lo - MAX_BOOKING_SPAN,
            "lo": lo,
            "hi": hi,
        },
    )
    for kind, booking_id, therapist_id, room_id, client_id, start_at, end_at, *more in rows:
        if kind == _BOOKING:
            data.bookings.append(
                BusyRow(therapist_id, room_id, client_id, start_at, end_at, booking_id, *more[:4])
            )
        elif kind == _TIME_OFF:
            data.time_off.setdefault(therapist_id, []).append((start_at, end_at))
            if more:
                data.time_off_reasons[(therapist_id, (start_at, end_at))] = more[3]
        elif kind == _CLOSURE:
            data.closures.append((room_id, (start_at, end_at)))
            if more:
                data.closure_reasons[(room_id, (start_at, end_at))] = more[3]
        else:
            data.catalog_version = booking_id
    return data


_BOOKING, _TIME_OFF, _CLOSURE, _VERSION = 0, 1, 2, 3


def _one_of(column: Any, name: str, arrays: bool) -> ColumnElement[bool]:
    """`column = ANY(array)` on PostgreSQL: one statement text for any number of ids, which
    psycopg converts once and PostgreSQL prepares; SQLite has no arrays and takes `IN (...)`."""
    if arrays:
        return col(column) == any_(bindparam(name, type_=ARRAY(Integer)))
    return col(column).in_(bindparam(name, expanding=True))


@cache
def _ranges_query(with_clients: bool, detailed: bool, arrays: bool) -> CompoundSelect[Any]:
    """Built once (making a statement costs more than SQLite takes to run it). Each part is
    an index range: bookings on blocked_start (bounded below by the longest possible booking,
    `since`), time off on (therapist_id, start_at), closures on start_at. The bookings part
    comes first: its column types decode every row's times."""
    who: list[ColumnElement[bool]] = [
        _one_of(Booking.therapist_id, "therapist_ids", arrays),
        _one_of(Booking.room_id, "room_ids", arrays),
    ]
    if with_clients:
        who.append(_one_of(Booking.client_id, "client_ids", arrays))
    bookings: Select[*tuple[Any, ...]] = sa_select(
        literal_column(str(_BOOKING)).label("kind"),
        col(Booking.id),
        col(Booking.therapist_id),
        col(Booking.room_id),
        col(Booking.client_id),
        col(Booking.blocked_start).label("start_at"),
        col(Booking.blocked_end).label("end_at"),
        *(
            [
                col(Booking.start_at),
                col(Booking.end_at),
                col(Booking.treatment_type_id),
                cast(col(Booking.status), Text),  # the reason column of time off and closures
            ]
            if detailed
            else []
        ),
    ).where(
        col(Booking.blocked_start) >= bindparam("since"),
        col(Booking.blocked_start) < bindparam("hi"),
        col(Booking.blocked_end) > bindparam("lo"),
        col(Booking.status) != BookingStatus.CANCELLED.value,
        or_(*who),
    )
    time_off: Select[*tuple[Any, ...]] = sa_select(
        literal_column(str(_TIME_OFF)),
        null(),
        col(TimeOff.therapist_id),
        null(),
        null(),
        col(TimeOff.start_at),
        col(TimeOff.end_at),
        *([null(), null(), null(), col(TimeOff.reason)] if detailed else []),
    ).where(
        _one_of(TimeOff.therapist_id, "therapist_ids", arrays),
        col(TimeOff.start_at) < bindparam("hi"),
        col(TimeOff.end_at) > bindparam("lo"),
    )
    closures: Select[*tuple[Any, ...]] = sa_select(
        literal_column(str(_CLOSURE)),
        null(),
        null(),
        col(Closure.room_id),
        null(),
        col(Closure.start_at),
        col(Closure.end_at),
        *([null(), null(), null(), col(Closure.reason)] if detailed else []),
    ).where(col(Closure.start_at) < bindparam("hi"), col(Closure.end_at) > bindparam("lo"))
    version: Select[*tuple[Any, ...]] = sa_select(
        literal_column(str(_VERSION)),
        col(CatalogVersion.version),
        null(),
        null(),
        null(),
        null(),
        null(),
        *([null()] * 4 if detailed else []),
    ).where(col(CatalogVersion.id) == 1)
    return union_all(bookings, time_off, closures, version)
