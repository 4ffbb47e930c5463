"""Why a session cannot be placed, in a receptionist's words.

Only refusals come here: each function reads the one row that is in the way (the booking,
the time off, the closure, the day's hours) so the message can name it. The placement
engine decides; these explain.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from shared import clinic_time
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
from shared.models import Booking, BookingStatus, Closure, Feature, TimeOff, TreatmentFeature
from shared.models import WorkingHours as Hours


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
    session: Session, blocked: Interval, room_id: int | None, tz: ZoneInfo
) -> ClosedForBooking | None:
    """The clinic's closure over `blocked`, or the named room's, whichever starts first."""
    query = select(Closure).where(
        col(Closure.start_at) < blocked[1], col(Closure.end_at) > blocked[0]
    )
    for found in session.exec(query.order_by(col(Closure.start_at))):
        span = clinic_time.fmt_span(found.start_at, found.end_at, tz)
        why = f" ({found.reason})" if found.reason else ""
        if found.room_id is None:
            return ClosedForBooking(f"The clinic is closed {span}{why}", field="start")
        if found.room_id == room_id:
            name = found.room.name if found.room else f"Room {room_id}"
            return ClosedForBooking(f"{name} is closed {span}{why}", field="room_id")
    return None


def absence(
    session: Session,
    therapist_id: int,
    name: str,
    start: datetime,
    end: datetime,
    tz: ZoneInfo,
) -> TherapistOnTimeOff | OutsideWorkingHours:
    """Time off over the session, else the hours the therapist works that day."""
    off = session.exec(
        select(TimeOff).where(
            TimeOff.therapist_id == therapist_id,
            col(TimeOff.start_at) < end,
            col(TimeOff.end_at) > start,
        )
    ).first()
    if off is not None:
        span = clinic_time.fmt_span(off.start_at, off.end_at, tz)
        return TherapistOnTimeOff(
            f"{name} is away {span}{f' ({off.reason})' if off.reason else ''}", field="start"
        )
    day = clinic_time.local_date(start, tz)
    blocks = session.exec(
        select(Hours).where(Hours.therapist_id == therapist_id, Hours.weekday == day.weekday())
    ).all()
    hours = ", ".join(
        f"{b.start_time:%H:%M}-{b.end_time:%H:%M}"
        for b in sorted(blocks, key=lambda b: b.start_time)
        if (b.valid_from is None or b.valid_from <= day)
        and (b.valid_to is None or day <= b.valid_to)
    )
    when = clinic_time.fmt_span(start, end, tz)
    return OutsideWorkingHours(
        f"{name} does not work {when}"
        + (f" (works {hours} that day)" if hours else " (does not work that day)"),
        field="start",
    )


def conflict(
    session: Session,
    error: type[BookingConflict],
    column: str,
    value: int | None,
    blocked: Interval,
    leave_out: int | None,
    tz: ZoneInfo,
    wanted: Interval | None = None,
) -> BookingConflict:
    """The conflict naming the booking in the way, and its buffers when only they collide."""
    query = select(Booking).where(
        getattr(Booking, column) == value,
        col(Booking.status) != BookingStatus.CANCELLED.value,
        col(Booking.blocked_start) < blocked[1],
        col(Booking.blocked_end) > blocked[0],
    )
    if leave_out is not None:
        query = query.where(col(Booking.id) != leave_out)
    other = session.exec(query.order_by(col(Booking.start_at))).first()
    if other is None:  # pragma: no cover - the engine saw it a moment ago in this transaction
        return error("That time was just taken", field=column)
    treatment = other.treatment_type.name if other.treatment_type else "a session"
    holder = other.therapist.name if other.therapist else "The therapist"
    if error is RoomBusy:
        holder = other.room.name if other.room else "The room"
    return busy(
        error,
        holder,
        treatment,
        (other.start_at, other.end_at),
        (other.blocked_start, other.blocked_end),
        blocked,
        tz,
        wanted,
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
    suffix: str = "",
) -> BookingConflict:
    """'Room 1 is booked Mon 01 Mar 2027 10:00-11:00 for Facial rejuvenation', with the
    buffers spelled out when only they collide."""
    span = clinic_time.fmt_span(other[0], other[1], tz) + suffix
    buffers = ""
    if wanted is not None and not (other[0] < wanted[1] and wanted[0] < other[1]):
        held = f"{clinic_time.fmt_local(other_blocked[0], tz)}-"
        held += clinic_time.fmt_local(other_blocked[1], tz)
        needs = f"{clinic_time.fmt_local(blocked[0], tz)}-{clinic_time.fmt_local(blocked[1], tz)}"
        buffers = (
            f"; with time to prepare and clean up that holds {held}, and this session needs {needs}"
        )
    if error is TherapistBusy:
        return error(f"{holder} is booked {span} for {treatment}{buffers}", field="therapist_id")
    if error is RoomBusy:
        return error(f"{holder} is booked {span} for {treatment}{buffers}", field="room_id")
    return ClientBusy(
        f"The client already has a session {span} ({treatment}){buffers}", field="client_id"
    )
