"""Why a session cannot be placed, in a receptionist's words.

The placement engine decides; these name what is in the way: the booking (its times, its
treatment, and its preparation and clean-up when only they collide), the time off, the
closure, the hours of that day. Pure functions over what the engine has already read, so a
refusal costs no extra statement; only a room's missing features are read, by name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from shared import clinic_time
from shared.clinic_locale import Locale
from shared.errors import (
    BookingConflict,
    ClientBusy,
    ClosedForBooking,
    OutsideWorkingHours,
    RoomBusy,
    TherapistBusy,
    TherapistOnTimeOff,
)
from shared.intervals import Interval
from shared.models import Booking, Client, Feature, TreatmentFeature
from shared.slots import WeeklyBlock


def counted(n: int, noun: str) -> str:
    """ "1 session", "3 sessions": a receptionist reads a number, never "session(s)"."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def with_reasons(summary: str, reasons: Sequence[str], limit: int = 3) -> str:
    """E.g. 'No room ... is free ... (Room 1 is booked ...; Room 3 is closed ...)'."""
    if not reasons:
        return summary
    shown = "; ".join(reasons[:limit])
    more = f"; and {len(reasons) - limit} more" if len(reasons) > limit else ""
    return f"{summary} ({shown}{more})"


def required_features(session: Session, treatment_type_id: int) -> str:
    """The features a treatment needs, e.g. 'facial couch, cupping set'."""
    names = session.exec(
        select(Feature.name)
        .join(TreatmentFeature, col(TreatmentFeature.feature_id) == col(Feature.id))
        .where(TreatmentFeature.treatment_type_id == treatment_type_id)
        .order_by(col(Feature.id))
    ).all()
    return ", ".join(names)


def closure(
    closures: Iterable[tuple[int | None, Interval]],
    reasons: Mapping[tuple[int | None, Interval], str],
    blocked: Interval,
    room_id: int | None,
    room_names: Mapping[int, str],
    tz: ZoneInfo,
    locale: Locale,
) -> ClosedForBooking | None:
    """The clinic's closure over `blocked`, or the room's, whichever starts first."""
    in_the_way = [
        (room, span)
        for room, span in closures
        if span[0] < blocked[1] and span[1] > blocked[0] and room in (None, room_id)
    ]
    if not in_the_way:
        return None
    room, span = min(in_the_way, key=lambda found: found[1][0])
    reason = reasons.get((room, span), "")
    when = clinic_time.fmt_span(span[0], span[1], tz, locale) + (f" ({reason})" if reason else "")
    if room is None:
        return ClosedForBooking(f"The clinic is closed {when}", field="start")
    return ClosedForBooking(
        f"{room_names.get(room, f'Room {room}')} is closed {when}", field="room_id"
    )


def absence(
    name: str,
    start: datetime,
    end: datetime,
    time_off: Iterable[Interval],
    reasons: Mapping[Interval, str],
    hours: Iterable[WeeklyBlock],
    tz: ZoneInfo,
    locale: Locale,
) -> TherapistOnTimeOff | OutsideWorkingHours:
    """Time off over the session, else the hours the therapist works that day."""
    away = sorted(span for span in time_off if span[0] < end and span[1] > start)
    if away:
        span = away[0]
        reason = reasons.get(span, "")
        return TherapistOnTimeOff(
            f"{name} is away {clinic_time.fmt_span(span[0], span[1], tz, locale)}"
            + (f" ({reason})" if reason else ""),
            field="start",
        )
    day = clinic_time.local_date(start, tz)
    worked = ", ".join(
        f"{locale.clock(b.start_time)}-{locale.clock(b.end_time)}"
        for b in sorted(hours, key=lambda b: b.start_time)
        if b.weekday == day.weekday()
        and (b.valid_from is None or b.valid_from <= day)
        and (b.valid_to is None or day <= b.valid_to)
    )
    return OutsideWorkingHours(
        f"{name} does not work {clinic_time.fmt_span(start, end, tz, locale)}"
        + (f" (works {worked} that day)" if worked else " (does not work that day)"),
        field="start",
    )


def busy(
    error: type[BookingConflict],
    holder: str,
    treatment: str,
    other: Interval,
    other_blocked: Interval,
    blocked: Interval,
    tz: ZoneInfo,
    wanted: Interval | None = None,
    *,
    hold: str | None = None,
    locale: Locale,
) -> BookingConflict:
    """'Room 1 is booked Mon 01.03.2027 10:00-11:00 for Facial rejuvenation', with the
    buffers spelled out when only they collide; a hold is named as one (`hold`, from
    `hold`), e.g. 'is held ... awaiting the client's confirmation until 14:30'; dates and
    times as the clinic's `locale` writes them."""
    span = clinic_time.fmt_span(other[0], other[1], tz, locale)
    booked = "booked" if hold is None else "held"
    treatment = treatment if hold is None else f"{treatment}, {hold}"
    buffers = ""
    if wanted is not None and not (other[0] < wanted[1] and wanted[0] < other[1]):
        held = f"{clinic_time.hm(other_blocked[0], tz, locale)}-"
        held += clinic_time.hm(other_blocked[1], tz, locale)
        needs = f"{clinic_time.hm(blocked[0], tz, locale)}-{clinic_time.hm(blocked[1], tz, locale)}"
        buffers = (
            f"; with time to prepare and clean up that holds {held}, and this session needs {needs}"
        )
    if error is TherapistBusy:
        return error(f"{holder} is {booked} {span} for {treatment}{buffers}", field="therapist_id")
    if error is RoomBusy:
        return error(f"{holder} is {booked} {span} for {treatment}{buffers}", field="room_id")
    kind = "session" if hold is None else "session on hold"
    return ClientBusy(
        f"The client already has a {kind} {span} ({treatment}){buffers}", field="client_id"
    )


HOLD_ORIGINS = {
    "online": "booked online",
    "waitlist": "offered from the waiting list",
}


def hold(session: Session, booking_id: int, tz: ZoneInfo, locale: Locale) -> str:
    """What a hold in the way is, e.g. 'booked online by Eva H., awaiting her confirmation
    until 14:30' (read only when a refusal names one)."""
    row = session.exec(
        select(Booking.source, Booking.hold_expires_at, Booking.start_at, Client.name)
        .join(Client, col(Client.id) == col(Booking.client_id))
        .where(Booking.id == booking_id)
    ).first()
    if row is None:  # pragma: no cover - the engine read it a moment ago
        return "awaiting confirmation"
    source, until, start, name = row
    day = clinic_time.local_date(start, tz)
    if source == "waitlist":
        return offered_to(name, until, tz, locale=locale, day=day)
    origin = HOLD_ORIGINS.get(source, "on hold")
    when = f" until {lapses(until, tz, locale, day)}" if until is not None else ""
    return f"{origin} for {short_name(name)}, awaiting confirmation{when}"


def offered_to(
    name: str, until: datetime | None, tz: ZoneInfo, *, locale: Locale, day: date
) -> str:
    """A waiting-list offer in the way of a session on `day`, as the day view and a refusal
    both say it: 'offered to Eva H. until 14:30', or 'until Fri 04.12. 14:30' when the offer
    lapses on another day than the session's."""
    when = f" until {lapses(until, tz, locale, day)}" if until is not None else ""
    return f"offered to {short_name(name)}{when}"


def lapses(until: datetime, tz: ZoneInfo, locale: Locale, day: date) -> str:
    """When a hold lapses, at the clinic: its time alone on `day`, else with its day too."""
    local = until.astimezone(tz)
    if local.date() == day:
        return locale.clock(local)
    return f"{locale.short_day(local.date())} {locale.clock(local)}"


def short_name(name: str) -> str:
    """'Eva Horvat' -> 'Eva H.': enough for a receptionist, not the whole name on a screen."""
    parts = name.split()
    if len(parts) < 2:
        return name
    return f"{parts[0]} {parts[-1][0]}."
