"""Bookable session slots.

`find_slots` is a pure function over intervals (testable against a brute-force reference);
`load_calendars` feeds it with a fixed number of indexed range queries, so the cost grows with
the bookings inside the asked range, never with the clinic's history.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from shared import clinic_time, validation
from shared.errors import InactiveResource, InvalidInput, NotFound
from shared.intervals import Interval, free_gap, merge, overlaps, subtract
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


@dataclass(frozen=True, order=True)
class Slot:
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
    """One slot per start time and free therapist, each with the best-fitting free room."""
    t = cal.treatment
    slots: list[Slot] = []
    rooms = [(r.room_id, r.busy) for r in cal.rooms]
    room_for: dict[datetime, int | None] = {}  # rooms don't depend on the therapist
    for th in cal.therapists:
        for p_start, p_end in th.present:
            lo = max(p_start, cal.earliest)
            hi = min(p_end - t.duration, cal.latest - timedelta(microseconds=1))
            if lo > hi:
                continue
            for start in clinic_time.grid_starts(lo, hi, cal.tz, cal.step_minutes):
                blocked = t.blocked(start)
                if overlaps(th.busy, *blocked) or overlaps(cal.client_busy, *blocked):
                    continue
                if start in room_for:
                    room_id = room_for[start]
                else:
                    room_id = room_for[start] = best_fit(rooms, blocked, cal.tz)
                if room_id is not None:
                    slots.append(Slot(start, th.therapist_id, start + t.duration, room_id))
    slots.sort()
    return slots


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
) -> CalendarData:
    """Four range queries, whatever the length of [lo, hi) or of the clinic's history."""
    data = CalendarData()
    if therapist_ids:
        for wh in session.exec(
            select(WorkingHours).where(col(WorkingHours.therapist_id).in_(therapist_ids))
        ):
            data.hours.setdefault(wh.therapist_id, []).append(wh)
        for off in session.exec(
            select(TimeOff).where(
                col(TimeOff.therapist_id).in_(therapist_ids),
                col(TimeOff.start_at) < hi,
                col(TimeOff.end_at) > lo,
            )
        ):
            data.time_off.setdefault(off.therapist_id, []).append((off.start_at, off.end_at))

    for c in session.exec(
        select(Closure).where(col(Closure.start_at) < hi, col(Closure.end_at) > lo)
    ):
        data.closures.append((c.room_id, (c.start_at, c.end_at)))

    who: list[ColumnElement[bool]] = [
        col(Booking.therapist_id).in_(therapist_ids),
        col(Booking.room_id).in_(room_ids),
    ]
    if client_id is not None:
        who.append(col(Booking.client_id) == client_id)
    query = sa_select(
        col(Booking.therapist_id),
        col(Booking.room_id),
        col(Booking.client_id),
        col(Booking.blocked_start),
        col(Booking.blocked_end),
    ).where(
        col(Booking.blocked_start) >= lo - MAX_BOOKING_SPAN,
        col(Booking.blocked_start) < hi,
        col(Booking.blocked_end) > lo,
        col(Booking.status) != BookingStatus.CANCELLED.value,
        or_(*who),
    )
    if exclude_booking_id is not None:
        query = query.where(col(Booking.id) != exclude_booking_id)
    data.bookings = [BusyRow(*row) for row in session.execute(query)]
    return data


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


def available_slots(
    session: Session,
    *,
    treatment_type_id: int,
    start: date,
    end: date,
    now: datetime,
    therapist_id: int | None = None,
) -> list[Slot]:
    """Bookable slots for local dates start..end (both included).

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
    clinic = get_clinic(session)
    tt = get_treatment(session, treatment_type_id, field="treatment_type_id")
    therapist_ids = qualified_therapist_ids(session, tt)
    if therapist_id is not None:
        therapist = session.get(Therapist, therapist_id)
        if therapist is None:
            raise NotFound(f"No therapist with id {therapist_id}", field="therapist_id")
        therapist_ids = [t for t in therapist_ids if t == therapist_id]
    tz = clinic_time.zone(clinic.timezone)
    treatment = treatment_of(tt)
    room_ids = suitable_room_ids(session, tt)
    if not therapist_ids or not room_ids:
        return []
    _, _, fetch_lo, fetch_hi = search_bounds(start, end, tz, treatment)
    data = fetch_calendar_data(
        session, therapist_ids=therapist_ids, room_ids=room_ids, lo=fetch_lo, hi=fetch_hi
    )
    return compute_slots(
        data,
        tz=tz,
        step_minutes=clinic.slot_step_minutes,
        min_notice_minutes=clinic.min_notice_minutes,
        booking_horizon_days=clinic.booking_horizon_days,
        treatment=treatment,
        therapist_ids=therapist_ids,
        room_ids=room_ids,
        start=start,
        end=end,
        now=now,
    )
