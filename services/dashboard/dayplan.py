"""The day view's layout: columns (rooms or therapists) and what fills them, in minutes.

Both steps are pure: `build_day` makes columns of one day's rows (read by
`shared.day_data.load_day`), and `lay_out` turns instants into minutes after local midnight
and puts overlapping blocks side by side.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from math import ceil, floor
from zoneinfo import ZoneInfo

from shared import clinic_time, lifecycle
from shared.clinic_locale import FALLBACK, Locale
from shared.day_data import DayData
from shared.intervals import Interval, clip, merge, subtract
from shared.models import Booking, BookingStatus
from shared.slots import working_intervals

DEFAULT_FIRST_HOUR = 8
DEFAULT_LAST_HOUR = 20
MIN_HOURS = 6
MODES = ("therapist", "room")


@dataclass
class Block:
    booking_id: int
    start: datetime
    end: datetime
    blocked_start: datetime
    blocked_end: datetime
    client: str
    treatment: str
    colour: str
    status: str
    detail: str  # the room in a therapist's column, the therapist in a room's
    notes: bool
    course: str = ""  # "3/10": the session's place in its course of treatment, if any
    version: int = 0  # the booking's sequence, which a move by drag is based on
    movable: bool = False  # whether the rules let it move now (shared.lifecycle)
    offered: str = ""  # a held time offered from the waiting list: "offered to Eva H. until 14:30"
    away: bool = False  # its therapist is away then: waiting in the "to rebook" list
    # Filled by lay_out:
    top: float = 0
    height: float = 0
    pad_before: float = 0
    pad_after: float = 0
    lane: int = 0
    lanes: int = 1
    over: bool = False  # ended before now: a booked one still needs marking


@dataclass
class Shade:
    """Time a column cannot be booked: off duty, time off, or closed."""

    start: datetime
    end: datetime
    kind: str  # "off", "timeoff", "closed"
    label: str = ""
    top: float = 0
    height: float = 0


@dataclass
class Column:
    key: int
    title: str
    colour: str
    subtitle: str
    blocks: list[Block] = field(default_factory=list)
    shades: list[Shade] = field(default_factory=list)
    active: bool = True


@dataclass
class DayPlan:
    day: date
    mode: str
    tz: ZoneInfo
    columns: list[Column]
    first_minute: int = DEFAULT_FIRST_HOUR * 60
    last_minute: int = DEFAULT_LAST_HOUR * 60
    now_minute: float | None = None
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def hours(self) -> list[int]:
        return list(range(self.first_minute // 60, self.last_minute // 60))

    @property
    def span(self) -> int:
        return self.last_minute - self.first_minute


def _minute(instant: datetime, day: date, tz: ZoneInfo) -> float:
    """Minutes after the day's local midnight (a wall-clock position, DST included)."""
    local = instant.astimezone(tz)
    days = (local.date() - day).days
    return days * 1440 + local.hour * 60 + local.minute + local.second / 60


def build_day(
    data: DayData, *, mode: str, tz: ZoneInfo, now: datetime, locale: Locale = FALLBACK
) -> DayPlan:
    """Pure: the day view of one day's rows (shared.day_data.load_day), by therapist or room."""
    day = data.day
    lo, hi = clinic_time.day_bounds(day, tz)
    shown = data.shown
    clinic_closed = [c for c in data.closures if c.room_id is None]
    at_work = {
        t.id: clip(working_intervals(data.hours[t.id], day, day, tz), lo, hi)  # type: ignore[index]
        for t in data.therapists
    }
    anyone_works = merge([i for t in data.therapists if t.active for i in at_work[t.id]])

    columns: list[Column] = []
    if mode == "room":
        for room in data.rooms:
            features = ", ".join(sorted(f.name for f in room.features))
            column = Column(room.id, room.name, "#64748b", features, active=room.active)  # type: ignore[arg-type]
            for s, e in subtract([(lo, hi)], anyone_works):
                column.shades.append(Shade(s, e, "off"))
            for c in data.closures:
                if c.room_id in (None, room.id):
                    column.shades.append(
                        Shade(c.start_at, c.end_at, "closed", c.reason or "Closed")
                    )
            columns.append(column)
        by_key = {c.key: c for c in columns}
        for b in shown:
            if b.room_id in by_key:
                by_key[b.room_id].blocks.append(
                    _block(b, b.therapist.name if b.therapist else "", data.course_places, now)
                )
    else:
        for t in data.therapists:
            working = at_work[t.id]
            offs = data.time_off[t.id]  # type: ignore[index]
            away = merge([(o.start_at, o.end_at) for o in offs])
            present = subtract(working, away)
            if not working:
                subtitle = "Not working today"
            elif not present:
                subtitle = "Away today"
            else:
                subtitle = ", ".join(
                    locale.clock_span(s.astimezone(tz), e.astimezone(tz)) for s, e in present
                )
            column = Column(t.id, t.name, t.colour, subtitle, active=t.active)  # type: ignore[arg-type]
            for s, e in subtract([(lo, hi)], working):
                column.shades.append(Shade(s, e, "off"))
            for o in offs:
                column.shades.append(Shade(o.start_at, o.end_at, "timeoff", o.reason or "Time off"))
            for c in clinic_closed:
                column.shades.append(Shade(c.start_at, c.end_at, "closed", c.reason or "Closed"))
            columns.append(column)
        by_key = {c.key: c for c in columns}
        for b in shown:
            if b.therapist_id in by_key:
                by_key[b.therapist_id].blocks.append(
                    _block(b, b.room.name if b.room else "", data.course_places, now)
                )

    for column in columns:
        for block in column.blocks:
            block.offered = data.offered.get(block.booking_id, "")
            block.away = block.booking_id in data.away
    plan = DayPlan(day=day, mode=mode, tz=tz, columns=columns)
    cancelled = sum(1 for b in data.bookings if b.status == BookingStatus.CANCELLED.value)
    plan.counts = {"sessions": len(data.bookings) - cancelled, "cancelled": cancelled}
    lay_out(plan, now, working=anyone_works)
    return plan


def _block(b: Booking, detail: str, places: dict[int, tuple[int, int]], now: datetime) -> Block:
    tt = b.treatment_type
    place = places.get(b.id)  # type: ignore[arg-type]
    return Block(
        booking_id=b.id,  # type: ignore[arg-type]
        start=b.start_at,
        end=b.end_at,
        blocked_start=b.blocked_start,
        blocked_end=b.blocked_end,
        client=b.client.name if b.client else "",
        treatment=tt.name if tt else "",
        colour=tt.colour if tt else "#94a3b8",
        status=b.status,
        detail=detail,
        notes=bool(b.notes),
        course=f"{place[0]}/{place[1]}" if place else "",
        version=b.sequence,
        movable=lifecycle.move_refusal(b, now) is None,
    )


def lay_out(plan: DayPlan, now: datetime, working: list[Interval] | None = None) -> None:
    """Positions in minutes, a visible range that covers the day's work, lanes for overlaps."""
    day, tz = plan.day, plan.tz
    marks: list[float] = []
    for s, e in working or []:
        marks += [_minute(s, day, tz), _minute(e, day, tz)]
    for column in plan.columns:
        for b in column.blocks:
            marks += [_minute(b.blocked_start, day, tz), _minute(b.blocked_end, day, tz)]
    if marks:  # the day's work, whole hours, at least MIN_HOURS tall
        first, last = min(marks), max(marks)
        missing = MIN_HOURS * 60 - (last - first)
        if missing > 0:
            first, last = first - missing / 2, last + missing / 2
    else:
        first, last = DEFAULT_FIRST_HOUR * 60, DEFAULT_LAST_HOUR * 60
    plan.first_minute = max(0, floor(first / 60) * 60)
    plan.last_minute = min(24 * 60, ceil(last / 60) * 60)

    def clamp(m: float) -> float:
        return min(max(m, plan.first_minute), plan.last_minute) - plan.first_minute

    for column in plan.columns:
        for shade in column.shades:
            shade.top = clamp(_minute(shade.start, day, tz))
            shade.height = clamp(_minute(shade.end, day, tz)) - shade.top
        column.shades = [s for s in column.shades if s.height > 0]
        for b in column.blocks:
            b.over = b.end <= now
            b.top = clamp(_minute(b.start, day, tz))
            b.height = max(clamp(_minute(b.end, day, tz)) - b.top, 15)
            b.pad_before = b.top - clamp(_minute(b.blocked_start, day, tz))
            b.pad_after = clamp(_minute(b.blocked_end, day, tz)) - (b.top + b.height)
            b.pad_after = max(b.pad_after, 0)
        _lanes(column.blocks)
    if clinic_time.local_date(now, tz) == day:
        minute = _minute(now, day, tz)
        if plan.first_minute <= minute <= plan.last_minute:
            plan.now_minute = minute - plan.first_minute


def _lanes(blocks: list[Block]) -> None:
    """Greedy lanes: overlapping blocks (e.g. a cancelled one and its replacement) side by side."""
    blocks.sort(key=lambda b: (b.top, b.status == BookingStatus.CANCELLED.value))
    group: list[Block] = []
    group_end = -1.0
    lane_ends: list[float] = []
    for b in blocks:
        if group and b.top >= group_end:
            for g in group:
                g.lanes = len(lane_ends)
            group, lane_ends = [], []
        for i, end in enumerate(lane_ends):
            if end <= b.top:
                b.lane, lane_ends[i] = i, b.top + b.height
                break
        else:
            b.lane = len(lane_ends)
            lane_ends.append(b.top + b.height)
        group.append(b)
        group_end = max(group_end, b.top + b.height)
    for g in group:
        g.lanes = len(lane_ends)
