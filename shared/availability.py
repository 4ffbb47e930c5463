"""Bookable session slots.

`find_slots` is a pure function over intervals (testable against a brute-force reference);
`load_calendars` feeds it with a fixed number of indexed range queries, so the cost grows with
the bookings inside the asked range, never with the clinic's history.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any, NamedTuple, Protocol
from zoneinfo import ZoneInfo

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
from sqlmodel import Session, col, select

from shared import clinic_time, validation
from shared.catalog_cache import block_of, catalog_snapshot, weekly_hours_query
from shared.errors import InactiveResource, InvalidInput, NotFound
from shared.intervals import Interval, free_gap, merge, subtract
from shared.models import (
    Booking,
    BookingStatus,
    Clinic,
    Closure,
    Room,
    RoomFeature,
    Therapist,
    TherapistSkill,
    TimeOff,
    TreatmentFeature,
    TreatmentType,
    WorkingHours,
)

MAX_RANGE_DAYS = 31
# No booking spans longer than this (durations and buffers are capped in the catalog), which
# gives range queries a lower bound on blocked_start and keeps them off the clinic's history.
MAX_BOOKING_SPAN = timedelta(hours=24)


@dataclass(frozen=True)
class Treatment:
    duration: timedelta
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)

    def blocked(self, start: datetime) -> Interval:
        return (start - self.buffer_before, start + self.duration + self.buffer_after)


@dataclass
class TherapistCalendar:
    """When a therapist is at work (hours less time off) and what already occupies them."""

    therapist_id: int
    present: list[Interval]
    busy: list[Interval]


@dataclass
class RoomCalendar:
    room_id: int
    busy: list[Interval]


class Slot(NamedTuple):
    """Ordered by start, then therapist (a tuple: cheap to make and to sort by the hundred)."""

    start: datetime
    therapist_id: int
    end: datetime
    room_id: int


@dataclass
class Calendars:
    """Everything `find_slots` needs, as plain data."""

    tz: ZoneInfo
    step_minutes: int
    treatment: Treatment
    earliest: datetime  # first allowed start (range start, notice)
    latest: datetime  # last allowed start, exclusive (range end, horizon)
    therapists: list[TherapistCalendar]
    rooms: list[RoomCalendar]
    client_busy: list[Interval] = field(default_factory=list)


def best_fit(
    candidates: Iterable[tuple[int, Sequence[Interval]]],
    blocked: Interval,
    tz: ZoneInfo,
) -> int | None:
    """The id whose busy list leaves the smallest unusable gap around `blocked` that day."""
    lo, hi = clinic_time.day_bounds(clinic_time.local_date(blocked[0], tz), tz)
    lo, hi = min(lo, blocked[0]), max(hi, blocked[1])
    best: tuple[timedelta, int] | None = None
    for ident, busy in candidates:
        gap = free_gap(busy, blocked[0], blocked[1], lo, hi)
        if gap is None:
            continue
        waste = (blocked[0] - gap[0]) + (gap[1] - blocked[1])
        if best is None or (waste, ident) < best:
            best = (waste, ident)
    return None if best is None else best[1]


def find_slots(cal: Calendars) -> list[Slot]:
    """One slot per start time and free therapist, each with the best-fitting free room.

    Starts come from the clinic's grid, made once per local day. Each therapist, then each
    room, walks the starts in order with one pointer into its busy list, so a request costs
    a few comparisons per start instead of a search per start and room.
    """
    t = cal.treatment
    grid = clinic_time.grid_between(cal.earliest, cal.latest, cal.tz, cal.step_minutes)
    if not grid:
        return []
    before, length = t.buffer_before, t.duration + t.buffer_after
    blocked_lo = [start - before for start in grid]
    blocked_hi = [start + length for start in grid]
    client_ok = _free_marks(cal.client_busy, blocked_lo, blocked_hi)
    hits: list[tuple[int, int]] = []  # (grid index, therapist id), free therapist and client
    for th in cal.therapists:
        busy, j, n = th.busy, 0, len(th.busy)
        for p_start, p_end in th.present:
            first = bisect_left(grid, p_start)
            last = bisect_right(grid, p_end - t.duration)
            for i in range(first, last):
                lo = blocked_lo[i]
                while j < n and busy[j][1] <= lo:
                    j += 1
                if (j < n and busy[j][0] < blocked_hi[i]) or not client_ok[i]:
                    continue
                hits.append((i, th.therapist_id))
    if not hits:
        return []
    room_at = _best_rooms(sorted({i for i, _ in hits}), blocked_lo, blocked_hi, cal)
    hits.sort()
    return [Slot(grid[i], tid, grid[i] + t.duration, room_at[i]) for i, tid in hits if i in room_at]


def _best_rooms(
    needed: list[int], blocked_lo: list[datetime], blocked_hi: list[datetime], cal: Calendars
) -> dict[int, int]:
    """For each needed grid index (ascending), what `best_fit` picks among the rooms.

    The unusable gap `best_fit` weighs is the free stretch around the session less the
    session's own (constant) length, so the smallest free stretch wins, then the lowest id.
    """
    days = [
        clinic_time.day_bounds(clinic_time.local_date(blocked_lo[i], cal.tz), cal.tz)
        for i in needed
    ]
    best: dict[int, tuple[timedelta, int]] = {}
    for room in cal.rooms:
        busy, j, n, rid = room.busy, 0, len(room.busy), room.room_id
        for i, (day_lo, day_hi) in zip(needed, days, strict=True):
            lo, hi = blocked_lo[i], blocked_hi[i]
            while j < n and busy[j][1] <= lo:
                j += 1
            if j < n and busy[j][0] < hi:
                continue
            gap_lo = min(max(day_lo, busy[j - 1][1]) if j else day_lo, lo)
            gap_hi = max(min(day_hi, busy[j][0]) if j < n else day_hi, hi)
            stretch = (gap_hi - gap_lo, rid)
            if i not in best or stretch < best[i]:
                best[i] = stretch
    return {i: rid for i, (_, rid) in best.items()}


def _free_marks(
    merged: Sequence[Interval], lo: Sequence[datetime], hi: Sequence[datetime]
) -> list[bool]:
    """For each i (lo ascending), whether [lo[i], hi[i]) misses every interval of `merged`."""
    marks, j, n = [], 0, len(merged)
    for a, b in zip(lo, hi, strict=True):
        while j < n and merged[j][1] <= a:
            j += 1
        marks.append(not (j < n and merged[j][0] < b))
    return marks


# -- loading -------------------------------------------------------------------------------


def get_clinic(session: Session) -> Clinic:
    clinic = session.get(Clinic, 1)
    if clinic is None:
        raise NotFound("The clinic is not set up yet: run `clinic demo-data` or add its settings")
    return clinic


def get_treatment(session: Session, treatment_type_id: int, *, field: str) -> TreatmentType:
    tt = session.get(TreatmentType, treatment_type_id)
    if tt is None:
        raise NotFound(f"No treatment type with id {treatment_type_id}", field=field)
    if not tt.active:
        raise InactiveResource(f"{tt.name} is no longer offered", field=field)
    return tt


def treatment_of(tt: TreatmentType) -> Treatment:
    return Treatment(
        timedelta(minutes=tt.duration_minutes),
        timedelta(minutes=tt.buffer_before_minutes),
        timedelta(minutes=tt.buffer_after_minutes),
    )


def suitable_room_ids(session: Session, tt: TreatmentType) -> list[int]:
    """Active rooms that have every feature the treatment type needs."""
    needed = set(
        session.exec(
            select(TreatmentFeature.feature_id).where(TreatmentFeature.treatment_type_id == tt.id)
        ).all()
    )
    rows = session.exec(
        select(col(Room.id), col(RoomFeature.feature_id))
        .join(RoomFeature, col(RoomFeature.room_id) == Room.id, isouter=True)
        .where(col(Room.active).is_(True))
    ).all()
    has: dict[int, set[int]] = defaultdict(set)
    for room_id, feature_id in rows:
        if room_id is None:  # pragma: no cover - a primary key is never null
            continue
        features = has[room_id]
        if feature_id is not None:
            features.add(feature_id)
    return sorted(rid for rid, feats in has.items() if needed <= feats)


def qualified_therapist_ids(session: Session, tt: TreatmentType) -> list[int]:
    ids = session.exec(
        select(col(Therapist.id))
        .join(TherapistSkill, col(TherapistSkill.therapist_id) == Therapist.id)
        .where(TherapistSkill.treatment_type_id == tt.id, col(Therapist.active).is_(True))
        .order_by(col(Therapist.id))
    ).all()
    return [tid for tid in ids if tid is not None]


class WeeklyBlock(Protocol):
    """One block of a therapist's week in local time (a WorkingHours row, or plain data)."""

    @property
    def weekday(self) -> int: ...
    @property
    def start_time(self) -> time: ...
    @property
    def end_time(self) -> time: ...
    @property
    def valid_from(self) -> date | None: ...
    @property
    def valid_to(self) -> date | None: ...


def working_intervals(
    blocks: Iterable[WeeklyBlock], first: date, last: date, tz: ZoneInfo
) -> list[Interval]:
    """Weekly blocks expanded to UTC instants on each local date of [first, last]."""
    by_weekday: dict[int, list[WeeklyBlock]] = defaultdict(list)
    for b in blocks:
        by_weekday[b.weekday].append(b)
    out: list[Interval] = []
    day = first
    while day <= last:
        for b in by_weekday.get(day.weekday(), ()):
            if (b.valid_from and day < b.valid_from) or (b.valid_to and day > b.valid_to):
                continue
            out.append(
                (
                    clinic_time.local_to_utc(day, b.start_time, tz),
                    clinic_time.local_to_utc(day, b.end_time, tz),
                )
            )
        day += timedelta(days=1)
    return merge(out)


@dataclass(frozen=True)
class BusyRow:
    """The part of a live booking that availability needs."""

    therapist_id: int
    room_id: int
    client_id: int
    blocked_start: datetime
    blocked_end: datetime


@dataclass
class CalendarData:
    """The rows behind a set of calendars, as plain data: what `fetch_calendar_data` reads."""

    hours: dict[int, list[WeeklyBlock]] = field(default_factory=dict)
    time_off: dict[int, list[Interval]] = field(default_factory=dict)
    closures: list[tuple[int | None, Interval]] = field(default_factory=list)  # room None: all
    bookings: list[BusyRow] = field(default_factory=list)  # live ones only


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


def assemble_calendars(
    data: CalendarData,
    *,
    tz: ZoneInfo,
    step_minutes: int,
    treatment: Treatment,
    therapist_ids: Sequence[int],
    room_ids: Sequence[int],
    lo: datetime,
    hi: datetime,
    earliest: datetime,
    latest: datetime,
    client_id: int | None = None,
) -> Calendars:
    """Pure: working time (hours less time off) and busy time (bookings, closures) per id.

    Working hours are expanded on the local dates around [lo, hi); time off shortens the
    working time, so a session may not overlap it; closures and bookings block the buffered
    interval of a session.
    """
    first = clinic_time.local_date(lo, tz) - timedelta(days=1)
    last = clinic_time.local_date(hi, tz) + timedelta(days=1)
    clinic_closed = [span for room, span in data.closures if room is None]
    room_closed: dict[int, list[Interval]] = defaultdict(list)
    for room, span in data.closures:
        if room is not None:
            room_closed[room].append(span)
    therapist_busy: dict[int, list[Interval]] = defaultdict(list)
    room_busy: dict[int, list[Interval]] = defaultdict(list)
    client_busy: list[Interval] = []
    for row in data.bookings:
        span = (row.blocked_start, row.blocked_end)
        therapist_busy[row.therapist_id].append(span)
        room_busy[row.room_id].append(span)
        if client_id is not None and row.client_id == client_id:
            client_busy.append(span)
    return Calendars(
        tz=tz,
        step_minutes=step_minutes,
        treatment=treatment,
        earliest=earliest,
        latest=latest,
        therapists=[
            TherapistCalendar(
                tid,
                subtract(
                    working_intervals(data.hours.get(tid, ()), first, last, tz),
                    merge(data.time_off.get(tid, ())),
                ),
                merge(therapist_busy[tid] + clinic_closed),
            )
            for tid in therapist_ids
        ],
        rooms=[
            RoomCalendar(rid, merge(room_busy[rid] + room_closed[rid] + clinic_closed))
            for rid in room_ids
        ],
        client_busy=merge(client_busy),
    )


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


def booking_window(clinic: Clinic, now: datetime) -> tuple[datetime, datetime]:
    """Earliest and latest (exclusive) start a client may book now: notice and horizon."""
    return (
        now + timedelta(minutes=clinic.min_notice_minutes),
        now + timedelta(days=clinic.booking_horizon_days),
    )


def search_bounds(
    start: date, end: date, tz: ZoneInfo, treatment: Treatment
) -> tuple[datetime, datetime, datetime, datetime]:
    """For local dates start..end: the first and last (exclusive) start of the range, and the
    span whose bookings, hours and closures matter to a session starting in it: its buffered
    interval, and the whole local day it starts in (to weigh the gaps a room is left with)."""
    lo = clinic_time.day_start(start, tz)
    hi = clinic_time.day_start(end + timedelta(days=1), tz)
    first_blocked = lo - treatment.buffer_before
    return (
        lo,
        hi,
        clinic_time.day_start(clinic_time.local_date(first_blocked, tz), tz),
        hi + treatment.duration + treatment.buffer_after,
    )


def compute_slots(
    data: CalendarData,
    *,
    tz: ZoneInfo,
    step_minutes: int,
    min_notice_minutes: int,
    booking_horizon_days: int,
    treatment: Treatment,
    therapist_ids: Sequence[int],
    room_ids: Sequence[int],
    start: date,
    end: date,
    now: datetime,
) -> list[Slot]:
    """Pure: the bookable slots for local dates start..end over plain data.

    A slot starts after `now`, at least the notice ahead and within the horizon.
    """
    lo, hi, fetch_lo, fetch_hi = search_bounds(start, end, tz, treatment)
    earliest = max(
        lo,
        now + timedelta(minutes=min_notice_minutes),
        now + timedelta(microseconds=1),  # never `now` itself, even without notice
    )
    latest = min(hi, now + timedelta(days=booking_horizon_days))
    cal = assemble_calendars(
        data,
        tz=tz,
        step_minutes=step_minutes,
        treatment=treatment,
        therapist_ids=therapist_ids,
        room_ids=room_ids,
        lo=fetch_lo,
        hi=fetch_hi,
        earliest=earliest,
        latest=latest,
    )
    return find_slots(cal)


@dataclass(frozen=True)
class Availability:
    slots: list[Slot]
    tz: ZoneInfo  # the clinic's, to show the slots in


def find_availability(
    session: Session,
    *,
    treatment_type_id: int,
    start: date,
    end: date,
    now: datetime,
    therapist_id: int | None = None,
) -> Availability:
    """Bookable slots for local dates start..end (both included), and the clinic's zone.

    The catalog comes from the process's cache (one version read, see `catalog_cache`); the
    bookings, time off and closures in the range from one statement of index ranges.
    A therapist who is inactive or does not give the treatment has no slots.
    Raises InvalidInput (range, ids), NotFound and InactiveResource (treatment type).
    """
    for value, name in ((start, "start"), (end, "end")):
        if not isinstance(value, date) or isinstance(value, datetime):
            raise InvalidInput("expected a date like 2027-03-01", field=name)
    if end < start:
        raise InvalidInput("end is before start", field="end")
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise InvalidInput(f"at most {MAX_RANGE_DAYS} days per request", field="end")
    now = clinic_time.require_aware(now, "now")
    validation.positive_id(treatment_type_id, "treatment_type_id")
    if therapist_id is not None:
        validation.positive_id(therapist_id, "therapist_id")
    catalog = catalog_snapshot(session)
    offer = catalog.offer(treatment_type_id, field="treatment_type_id")
    therapist_ids = list(offer.therapist_ids)
    if therapist_id is not None:
        if therapist_id not in catalog.therapist_ids:
            raise NotFound(f"No therapist with id {therapist_id}", field="therapist_id")
        therapist_ids = [t for t in therapist_ids if t == therapist_id]
    room_ids = list(offer.room_ids)
    if not therapist_ids or not room_ids:
        return Availability([], catalog.tz)
    treatment = Treatment(offer.duration, offer.buffer_before, offer.buffer_after)
    _, _, fetch_lo, fetch_hi = search_bounds(start, end, catalog.tz, treatment)
    data = fetch_calendar_data(
        session,
        therapist_ids=therapist_ids,
        room_ids=room_ids,
        lo=fetch_lo,
        hi=fetch_hi,
        hours=catalog.hours,
    )
    slots = compute_slots(
        data,
        tz=catalog.tz,
        step_minutes=catalog.step_minutes,
        min_notice_minutes=catalog.min_notice_minutes,
        booking_horizon_days=catalog.booking_horizon_days,
        treatment=treatment,
        therapist_ids=therapist_ids,
        room_ids=room_ids,
        start=start,
        end=end,
        now=now,
    )
    return Availability(slots, catalog.tz)


def available_slots(
    session: Session,
    *,
    treatment_type_id: int,
    start: date,
    end: date,
    now: datetime,
    therapist_id: int | None = None,
) -> list[Slot]:
    """`find_availability`'s slots alone (same errors)."""
    return find_availability(
        session,
        treatment_type_id=treatment_type_id,
        start=start,
        end=end,
        now=now,
        therapist_id=therapist_id,
    ).slots
