"""The week view's layout: a row per therapist or room, a cell per day, the sessions in it.

Pure, over the rows `shared.day_data.load_days` read for the week.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from shared import clinic_time, lifecycle
from shared.clinic_locale import FALLBACK, Locale
from shared.day_data import DayData
from shared.intervals import clip, merge, subtract
from shared.models import Booking, BookingStatus
from shared.slots import working_intervals


@dataclass
class Card:
    booking_id: int
    start: datetime
    end: datetime
    client: str
    treatment: str
    colour: str
    status: str
    detail: str  # the room in a therapist's row, the therapist in a room's
    version: int
    movable: bool
    over: bool


@dataclass
class Cell:
    day: date
    hours: str  # "09:00-13:00, 14:00-18:00", or why nobody can be booked here
    off: bool  # not working, away all day, or closed
    cards: list[Card] = field(default_factory=list)


@dataclass
class Row:
    key: int
    title: str
    colour: str
    active: bool
    cells: list[Cell] = field(default_factory=list)


@dataclass
class WeekPlan:
    first: date
    mode: str
    days: list[date]
    rows: list[Row]
    sessions: int = 0


def week_start(day: date) -> date:
    """The Monday of `day`'s week."""
    return day - timedelta(days=day.weekday())


def build_week(
    data: DayData, *, mode: str, tz: ZoneInfo, now: datetime, locale: Locale = FALLBACK
) -> WeekPlan:
    """Pure: the week of `data` (local days data.days), by therapist or by room."""
    days = data.days
    bounds = {d: clinic_time.day_bounds(d, tz) for d in days}
    shown = data.shown
    rows: list[Row] = []
    if mode == "room":
        for room in data.rooms:
            row = Row(room.id, room.name, "#64748b", room.active)  # type: ignore[arg-type]
            for d in days:
                lo, hi = bounds[d]
                closed = [
                    c for c in data.closures if c.room_id in (None, room.id) and c.start_at < hi
                ]
                closed = [c for c in closed if c.end_at > lo]
                label = ", ".join(c.reason or "Closed" for c in closed)
                whole = not subtract([(lo, hi)], merge([(c.start_at, c.end_at) for c in closed]))
                row.cells.append(Cell(d, label, whole))
            rows.append(row)
    else:
        for t in data.therapists:
            row = Row(t.id, t.name, t.colour, t.active)  # type: ignore[arg-type]
            away = merge([(o.start_at, o.end_at) for o in data.time_off[t.id]])  # type: ignore[index]
            closed = merge([(c.start_at, c.end_at) for c in data.closures if c.room_id is None])
            for d in days:
                lo, hi = bounds[d]
                working = clip(working_intervals(data.hours[t.id], d, d, tz), lo, hi)  # type: ignore[index]
                present = subtract(subtract(working, away), closed)
                if not working:
                    label = "Not working"
                elif not present:
                    label = "Away" if subtract(working, away) == [] else "Closed"
                else:
                    label = ", ".join(
                        locale.clock_span(s.astimezone(tz), e.astimezone(tz)) for s, e in present
                    )
                row.cells.append(Cell(d, label, not present))
            rows.append(row)
    index = {(row.key, cell.day): cell for row in rows for cell in row.cells}
    for b in shown:
        key = b.room_id if mode == "room" else b.therapist_id
        cell = index.get((key, clinic_time.local_date(b.start_at, tz)))  # type: ignore[arg-type]
        if cell is not None:
            cell.cards.append(_card(b, mode, now))
    sessions = sum(1 for b in data.bookings if b.status != BookingStatus.CANCELLED.value)
    return WeekPlan(days[0], mode, days, rows, sessions)


def _card(b: Booking, mode: str, now: datetime) -> Card:
    tt = b.treatment_type
    if mode == "room":
        detail = b.therapist.name if b.therapist else ""
    else:
        detail = b.room.name if b.room else ""
    return Card(
        booking_id=b.id,  # type: ignore[arg-type]
        start=b.start_at,
        end=b.end_at,
        client=b.client.name if b.client else "",
        treatment=tt.name if tt else "",
        colour=tt.colour if tt else "#94a3b8",
        status=b.status,
        detail=detail,
        version=b.sequence,
        movable=lifecycle.move_refusal(b, now) is None,
        over=b.end_at <= now,
    )
