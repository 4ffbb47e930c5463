"""The pure slot engine: bookable starts over plain intervals, no database.

Pure so that it can be tested against a brute-force reference (tests/unit/reference.py).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import NamedTuple, Protocol
from zoneinfo import ZoneInfo

from shared import clinic_time
from shared.intervals import Interval, free_gap, merge, subtract


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
    """The part of a live booking that availability needs (and, read in detail, what a
    refusal names: its own times and treatment)."""

    therapist_id: int
    room_id: int
    client_id: int
    blocked_start: datetime
    blocked_end: datetime
    booking_id: int = 0
    start_at: datetime | None = None
    end_at: datetime | None = None
    treatment_type_id: int | None = None
    status: str | None = None  # read in detail: a refusal names a hold as one


@dataclass
class CalendarData:
    """The rows behind a set of calendars, as plain data: what `fetch_calendar_data` reads."""

    hours: dict[int, list[WeeklyBlock]] = field(default_factory=dict)
    time_off: dict[int, list[Interval]] = field(default_factory=dict)
    closures: list[tuple[int | None, Interval]] = field(default_factory=list)  # room None: all
    bookings: list[BusyRow] = field(default_factory=list)  # live ones only
    catalog_version: int | None = None  # read in the same statement, to confirm a snapshot
    # Read in detail only: why each time off and closure is there, by (owner, span).
    time_off_reasons: dict[tuple[int, Interval], str] = field(default_factory=dict)
    closure_reasons: dict[tuple[int | None, Interval], str] = field(default_factory=dict)


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


class BookingLimits(Protocol):
    """The clinic's notice and horizon (a Clinic row, or the cached catalog)."""

    @property
    def min_notice_minutes(self) -> int: ...
    @property
    def booking_horizon_days(self) -> int: ...


def booking_window(clinic: BookingLimits, now: datetime) -> tuple[datetime, datetime]:
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
