"""The booking rules: book, move, cancel and close sessions.

Each function takes the caller's session, may flush, never commits (the caller's
`Database.transaction()` does), and raises a typed `ClinicError` before writing anything.
The rules check first to give a precise message; the database's overlap guards decide races.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from typing import Any, NoReturn, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session, col, select

from shared import clinic_time, lifecycle, outbox, validation
from shared.calendar_data import load_calendars
from shared.clients import get_client
from shared.directory import (
    get_clinic,
    get_treatment,
    qualified_therapist_ids,
    suitable_room_ids,
    treatment_of,
)
from shared.errors import (
    BeyondHorizon,
    BookingConflict,
    BookingRefused,
    ClientBusy,
    ClinicError,
    ClosedForBooking,
    InactiveResource,
    InThePast,
    InvalidInput,
    NoAvailability,
    NotFound,
    NotOnSlotGrid,
    NotQualified,
    OutsideWorkingHours,
    RoomBusy,
    RoomUnsuitable,
    TherapistBusy,
    TherapistOnTimeOff,
    TooShortNotice,
)
from shared.intervals import Interval, containing, merge, overlaps
from shared.models import (
    Booking,
    BookingEvent,
    BookingStatus,
    Client,
    Clinic,
    Closure,
    MessageKind,
    Room,
    Therapist,
    TimeOff,
    TreatmentType,
    WorkingHours,
)
from shared.models.types import pk, utcnow
from shared.slots import TherapistCalendar, best_fit, booking_window

SOURCES = ("api", "dashboard", "client", "demo", "import")


def get_booking(session: Session, booking_id: int, *, lock: bool = False) -> Booking:
    """Raises NotFound."""
    validation.positive_id(booking_id, "booking_id")
    booking = session.get(Booking, booking_id, with_for_update=lock or None)
    if booking is None:
        raise NotFound(f"No booking with id {booking_id}", field="booking_id")
    return booking


def book(
    session: Session,
    *,
    treatment_type_id: int,
    start: datetime,
    client_id: int,
    actor: str,
    therapist_id: int | None = None,
    room_id: int | None = None,
    source: str = "api",
    notes: str = "",
    override_notice: bool = False,
    now: datetime | None = None,
) -> Booking:
    """Book a session; picks a therapist and room when none is named.

    Raises InvalidInput, NotFound, BookingRefused subclasses (NotQualified, OutsideWorkingHours,
    TooShortNotice, ...) and BookingConflict subclasses (TherapistBusy, RoomBusy, ClientBusy,
    ClosedForBooking, NoAvailability).
    """
    now = _now(now)
    actor = _actor(actor)
    validation.positive_id(treatment_type_id, "treatment_type_id")
    if source not in SOURCES:
        raise InvalidInput(f"unknown source {source!r}", field="source")
    start = clinic_time.require_aware(start, "start")
    clinic = get_clinic(session)
    tt = get_treatment(session, treatment_type_id, field="treatment_type_id")
    client = get_client(session, client_id)
    therapist_id, room_id, blocked = _place(
        session, clinic, tt, start, client.id, therapist_id, room_id, now, override_notice, None
    )
    booking = Booking(
        uid=f"{uuid.uuid4()}@clinic-scheduler",
        treatment_type_id=pk(tt.id),
        therapist_id=therapist_id,
        room_id=room_id,
        client_id=pk(client.id),
        start_at=start,
        end_at=start + treatment_of(tt).duration,
        blocked_start=blocked[0],
        blocked_end=blocked[1],
        source=source,
        notes=validation.text(notes or "", "notes", max_len=5000, required=False),
        access_token=secrets.token_urlsafe(24),
        created_at=now,
        updated_at=now,
    )
    session.add(booking)
    _flush(session)
    _record(session, booking, actor, "booked", _placement(booking), now)
    outbox.enqueue(session, booking, MessageKind.INVITE, clinic)
    _flush(session)
    return booking


def reschedule(
    session: Session,
    booking_id: int,
    *,
    actor: str,
    start: datetime | None = None,
    therapist_id: int | None = None,
    room_id: int | None = None,
    override_notice: bool = False,
    now: datetime | None = None,
) -> Booking:
    """Move a session in time, to another therapist or to another room.

    The therapist stays unless another is named; the room stays if it is free, else the best
    free suitable room is taken. Raises as `book`, and InvalidTransition for a closed booking.
    """
    now = _now(now)
    actor = _actor(actor)
    booking = get_booking(session, booking_id, lock=True)
    _refuse(lifecycle.move_refusal(booking, now))
    new_start = booking.start_at if start is None else clinic_time.require_aware(start, "start")
    if new_start == booking.start_at and therapist_id is None and room_id is None:
        raise InvalidInput("nothing to change: give a new start, therapist or room", field="start")
    clinic = get_clinic(session)
    tt = session.get(TreatmentType, booking.treatment_type_id)
    assert tt is not None
    keep_room = room_id is None
    room_wanted = booking.room_id if keep_room else room_id
    new_therapist = booking.therapist_id if therapist_id is None else therapist_id
    before = _placement(booking)
    try:
        new_therapist, new_room, blocked = _place(
            session,
            clinic,
            tt,
            new_start,
            booking.client_id,
            new_therapist,
            room_wanted,
            now,
            override_notice,
            booking.id,
        )
    except (BookingRefused, BookingConflict) as exc:
        # The booking's own room is busy, closed, no longer active or no longer suitable:
        # take the best other room rather than refuse the move.
        if not keep_room or exc.field != "room_id":
            raise
        new_therapist, new_room, blocked = _place(
            session,
            clinic,
            tt,
            new_start,
            booking.client_id,
            new_therapist,
            None,
            now,
            override_notice,
            booking.id,
        )
    booking.start_at = new_start
    booking.end_at = new_start + treatment_of(tt).duration
    booking.blocked_start, booking.blocked_end = blocked
    booking.therapist_id = new_therapist
    booking.room_id = new_room
    booking.sequence += 1
    booking.updated_at = now
    _flush(session)
    session.refresh(booking, ["therapist", "room"])
    after = _placement(booking)
    changes = {k: {"from": before[k], "to": after[k]} for k in after if before[k] != after[k]}
    _record(session, booking, actor, "moved", changes, now)
    outbox.enqueue(session, booking, MessageKind.UPDATE, clinic)
    _flush(session)
    return booking


def cancel(
    session: Session,
    booking_id: int,
    *,
    actor: str,
    reason: str = "",
    by_client: bool = False,
    now: datetime | None = None,
) -> Booking:
    """Cancel a session; the client's calendar gets a CANCEL.

    A client cancelling themselves must respect the clinic's cancellation notice.
    Raises NotFound, InvalidTransition, CancellationTooLate.
    """
    now = _now(now)
    actor = _actor(actor)
    reason = validation.text(reason or "", "reason", max_len=1000, required=False)
    booking = get_booking(session, booking_id, lock=True)
    clinic = get_clinic(session)
    _refuse(lifecycle.cancel_refusal(booking, now, by_client=clinic if by_client else None))
    booking.status = BookingStatus.CANCELLED.value
    booking.cancelled_at = now
    booking.cancel_reason = reason
    booking.sequence += 1
    booking.updated_at = now
    _flush(session)
    _record(session, booking, actor, "cancelled", {"reason": reason}, now)
    outbox.enqueue(session, booking, MessageKind.CANCEL, clinic)
    _flush(session)
    return booking


def mark_completed(
    session: Session, booking_id: int, *, actor: str, now: datetime | None = None
) -> Booking:
    """Raises NotFound, InvalidTransition (not started yet, or not booked)."""
    return _close(session, booking_id, BookingStatus.COMPLETED, _actor(actor), _now(now))


def mark_no_show(
    session: Session, booking_id: int, *, actor: str, now: datetime | None = None
) -> Booking:
    """Raises NotFound, InvalidTransition (not started yet, or not booked)."""
    return _close(session, booking_id, BookingStatus.NO_SHOW, _actor(actor), _now(now))


# -- internals -----------------------------------------------------------------------------


def _refuse(refusal: ClinicError | None) -> None:
    if refusal is not None:
        raise refusal


def _actor(actor: str) -> str:
    """Who makes the change, for the history: an API key's name or a dashboard user."""
    return validation.text(actor or "", "actor", max_len=200)


def _now(now: datetime | None) -> datetime:
    return utcnow() if now is None else clinic_time.require_aware(now, "now")


def _close(
    session: Session, booking_id: int, status: BookingStatus, actor: str, now: datetime
) -> Booking:
    booking = get_booking(session, booking_id, lock=True)
    _refuse(lifecycle.mark_refusal(booking, now, status))
    booking.status = status.value
    booking.sequence += 1
    booking.updated_at = now
    _flush(session)
    _record(session, booking, actor, status.value, {}, now)
    _flush(session)
    return booking


def _placement(booking: Booking) -> dict[str, Any]:
    return {
        "start": booking.start_at.isoformat(),
        "end": booking.end_at.isoformat(),
        "therapist": booking.therapist.name if booking.therapist else booking.therapist_id,
        "room": booking.room.name if booking.room else booking.room_id,
    }


def _record(
    session: Session,
    booking: Booking,
    actor: str,
    action: str,
    changes: dict[str, Any],
    now: datetime,
) -> None:
    session.add(
        BookingEvent(booking_id=pk(booking.id), at=now, actor=actor, action=action, changes=changes)
    )


def _place(
    session: Session,
    clinic: Clinic,
    tt: TreatmentType,
    start: datetime,
    client_id: int | None,
    therapist_id: int | None,
    room_id: int | None,
    now: datetime,
    override_notice: bool,
    exclude_id: int | None,
) -> tuple[int, int, Interval]:
    """Check every rule for a session of `tt` at `start`; the therapist, room and interval."""
    tz = clinic_time.zone(clinic.timezone)
    treatment = treatment_of(tt)
    end = start + treatment.duration
    blocked = treatment.blocked(start)
    when = clinic_time.fmt_span(start, end, tz)

    if not clinic_time.on_grid(start, tz, clinic.slot_step_minutes):
        raise NotOnSlotGrid(
            f"Sessions start every {clinic.slot_step_minutes} minutes; "
            f"{clinic_time.fmt_local(start, tz)} is not one of those times",
            field="start",
        )
    if start <= now:
        raise InThePast(f"{when} is in the past", field="start")
    earliest, latest = booking_window(clinic, now)
    if start < earliest and not override_notice:
        raise TooShortNotice(
            f"Sessions must be booked at least {clinic.min_notice_minutes} minutes ahead",
            field="start",
        )
    if start >= latest:
        raise BeyondHorizon(
            f"Sessions can be booked at most {clinic.booking_horizon_days} days ahead",
            field="start",
        )

    qualified = qualified_therapist_ids(session, tt)
    suitable = suitable_room_ids(session, tt)
    therapist = _named(session, Therapist, therapist_id, "therapist_id")
    room = _named(session, Room, room_id, "room_id")
    if therapist is not None and therapist.id not in qualified:
        raise NotQualified(f"{therapist.name} does not give {tt.name}", field="therapist_id")
    if room is not None and room.id not in suitable:
        raise RoomUnsuitable(
            f"{room.name} lacks what {tt.name} needs "
            f"({', '.join(f.name for f in tt.required_features)})",
            field="room_id",
        )

    _lock_resources(
        session,
        client_id,
        [pk(therapist.id)] if therapist else qualified,
        [pk(room.id)] if room else suitable,
    )
    _check_closures(session, blocked, room_id, tz)
    # The whole local day, not just the session: picking the best-fitting therapist and room
    # weighs the gaps their other sessions that day would leave.
    day_lo, day_hi = clinic_time.day_bounds(clinic_time.local_date(blocked[0], tz), tz)
    cal = load_calendars(
        session,
        clinic=clinic,
        treatment=treatment,
        therapist_ids=[pk(therapist.id)] if therapist else qualified,
        room_ids=[pk(room.id)] if room else suitable,
        lo=min(day_lo, blocked[0]),
        hi=max(day_hi, blocked[1]),
        earliest=start,
        latest=end,
        client_id=client_id,
        exclude_booking_id=exclude_id,
    )
    if overlaps(cal.client_busy, *blocked):
        raise _conflict(
            session, ClientBusy, "client_id", client_id, blocked, exclude_id, tz, (start, end)
        )

    if therapist is not None:
        t_cal = cal.therapists[0]
        if containing(t_cal.present, start, end) is None:
            _explain_absence(session, therapist, start, end, when, tz)
        if overlaps(t_cal.busy, *blocked):
            raise _conflict(
                session,
                TherapistBusy,
                "therapist_id",
                therapist.id,
                blocked,
                exclude_id,
                tz,
                (start, end),
            )
        chosen_therapist = pk(therapist.id)
    else:
        free = [
            (t.therapist_id, merge(t.busy))
            for t in cal.therapists
            if containing(t.present, start, end) is not None and not overlaps(t.busy, *blocked)
        ]
        picked = best_fit(free, blocked, tz)
        if picked is None:
            reasons = [
                _why_not_therapist(session, t, start, end, blocked, when, exclude_id, tz)
                for t in cal.therapists
            ]
            raise NoAvailability(
                _with_reasons(f"No therapist who gives {tt.name} is free {when}", reasons),
                field="therapist_id",
            )
        chosen_therapist = picked

    if room is not None:
        if overlaps(cal.rooms[0].busy, *blocked):
            raise _conflict(
                session, RoomBusy, "room_id", room.id, blocked, exclude_id, tz, (start, end)
            )
        chosen_room = pk(room.id)
    else:
        picked = best_fit([(r.room_id, r.busy) for r in cal.rooms], blocked, tz)
        if picked is None:
            reasons = [
                _why_not_room(session, r.room_id, start, end, blocked, exclude_id, tz)
                for r in cal.rooms
            ]
            raise NoAvailability(
                _with_reasons(f"No room suitable for {tt.name} is free {when}", reasons),
                field="room_id",
            )
        chosen_room = picked
    return chosen_therapist, chosen_room, blocked


def _with_reasons(summary: str, reasons: list[str], limit: int = 3) -> str:
    """E.g. 'No room ... is free ... (Room 1 is booked ...; Room 3 is closed ...)'."""
    if not reasons:
        return summary
    shown = "; ".join(reasons[:limit])
    more = f"; and {len(reasons) - limit} more" if len(reasons) > limit else ""
    return f"{summary} ({shown}{more})"


def _why_not_therapist(
    session: Session,
    cal: TherapistCalendar,
    start: datetime,
    end: datetime,
    blocked: Interval,
    when: str,
    exclude_id: int | None,
    tz: ZoneInfo,
) -> str:
    """Why this therapist cannot take the session, in a receptionist's words."""
    therapist = session.get(Therapist, cal.therapist_id)
    if therapist is not None and containing(cal.present, start, end) is None:
        try:
            _explain_absence(session, therapist, start, end, when, tz)
        except BookingRefused as exc:
            return exc.message
    return _conflict(
        session,
        TherapistBusy,
        "therapist_id",
        cal.therapist_id,
        blocked,
        exclude_id,
        tz,
        (start, end),
    ).message


def _why_not_room(
    session: Session,
    room_id: int,
    start: datetime,
    end: datetime,
    blocked: Interval,
    exclude_id: int | None,
    tz: ZoneInfo,
) -> str:
    """Why this room cannot take the session: a closure, or the booking in the way."""
    try:
        _check_closures(session, blocked, room_id, tz)
    except ClosedForBooking as exc:
        return exc.message
    return _conflict(
        session, RoomBusy, "room_id", room_id, blocked, exclude_id, tz, (start, end)
    ).message


_Named = TypeVar("_Named", Therapist, Room)


def _named(session: Session, model: type[_Named], ident: int | None, field: str) -> _Named | None:
    """The active therapist or room the caller named, or None if none was named."""
    if ident is None:
        return None
    validation.positive_id(ident, field)
    obj = session.get(model, ident)
    label = model.__name__.lower()
    if obj is None:
        raise NotFound(f"No {label} with id {ident}", field=field)
    if not obj.active:
        raise InactiveResource(f"{obj.name} is not active", field=field)
    return obj


def _check_closures(session: Session, blocked: Interval, room_id: int | None, tz: ZoneInfo) -> None:
    query = select(Closure).where(
        col(Closure.start_at) < blocked[1], col(Closure.end_at) > blocked[0]
    )
    for closure in session.exec(query.order_by(col(Closure.start_at))):
        span = clinic_time.fmt_span(closure.start_at, closure.end_at, tz)
        why = f" ({closure.reason})" if closure.reason else ""
        if closure.room_id is None:
            raise ClosedForBooking(f"The clinic is closed {span}{why}", field="start")
        if closure.room_id == room_id:
            name = closure.room.name if closure.room else f"Room {room_id}"
            raise ClosedForBooking(f"{name} is closed {span}{why}", field="room_id")


def _explain_absence(
    session: Session,
    therapist: Therapist,
    start: datetime,
    end: datetime,
    when: str,
    tz: ZoneInfo,
) -> NoReturn:
    """Raises TherapistOnTimeOff or OutsideWorkingHours (with the hours of that day)."""
    off = session.exec(
        select(TimeOff).where(
            TimeOff.therapist_id == therapist.id,
            col(TimeOff.start_at) < end,
            col(TimeOff.end_at) > start,
        )
    ).first()
    if off is not None:
        span = clinic_time.fmt_span(off.start_at, off.end_at, tz)
        raise TherapistOnTimeOff(
            f"{therapist.name} is away {span}{f' ({off.reason})' if off.reason else ''}",
            field="start",
        )
    day = clinic_time.local_date(start, tz)
    blocks = session.exec(
        select(WorkingHours).where(
            WorkingHours.therapist_id == therapist.id, WorkingHours.weekday == day.weekday()
        )
    ).all()
    hours = ", ".join(
        f"{b.start_time:%H:%M}-{b.end_time:%H:%M}"
        for b in sorted(blocks, key=lambda b: b.start_time)
        if (b.valid_from is None or b.valid_from <= day)
        and (b.valid_to is None or day <= b.valid_to)
    )
    raise OutsideWorkingHours(
        f"{therapist.name} does not work {when}"
        + (f" (works {hours} that day)" if hours else " (does not work that day)"),
        field="start",
    )


def _conflict(
    session: Session,
    error: type[BookingConflict],
    column: str,
    value: int | None,
    blocked: Interval,
    exclude_id: int | None,
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
    if exclude_id is not None:
        query = query.where(col(Booking.id) != exclude_id)
    other = session.exec(query.order_by(col(Booking.start_at))).first()
    if other is None:  # pragma: no cover - the caller saw it a moment ago in this transaction
        return error("That time was just taken", field=column)
    span = clinic_time.fmt_span(other.start_at, other.end_at, tz)
    treatment = other.treatment_type.name if other.treatment_type else "a session"
    buffers = ""
    if wanted is not None and not (other.start_at < wanted[1] and wanted[0] < other.end_at):
        held = f"{clinic_time.fmt_local(other.blocked_start, tz)}-"
        held += clinic_time.fmt_local(other.blocked_end, tz)
        needs = f"{clinic_time.fmt_local(blocked[0], tz)}-{clinic_time.fmt_local(blocked[1], tz)}"
        buffers = (
            f"; with time to prepare and clean up that holds {held}, and this session needs {needs}"
        )
    if error is TherapistBusy:
        who = other.therapist.name if other.therapist else "The therapist"
        return error(f"{who} is booked {span} for {treatment}{buffers}", field="therapist_id")
    if error is RoomBusy:
        name = other.room.name if other.room else "The room"
        return error(f"{name} is booked {span} for {treatment}{buffers}", field="room_id")
    return error(
        f"The client already has a session {span} ({treatment}){buffers}", field="client_id"
    )


_GUARD_ERRORS: dict[str, tuple[type[BookingConflict], str, str]] = {
    "booking_no_therapist_overlap": (
        TherapistBusy,
        "therapist_id",
        "The therapist was just booked for this time by someone else",
    ),
    "booking_no_room_overlap": (
        RoomBusy,
        "room_id",
        "The room was just booked for this time by someone else",
    ),
    "booking_no_client_overlap": (
        ClientBusy,
        "client_id",
        "The client was just booked for this time by someone else",
    ),
}


def _flush(session: Session) -> None:
    """Flush, turning the database's overlap guards into the same typed conflicts."""
    try:
        session.flush()
    except IntegrityError as exc:
        text = str(exc.orig)
        for guard, (error, field, message) in _GUARD_ERRORS.items():
            if guard in text:
                raise error(message, field=field) from None
        raise
    except DBAPIError as exc:
        _raise_if_lost_race(exc)
        raise


# PostgreSQL's "deadlock detected" and "could not serialize": two transactions wanted the same
# rows at once and the database chose this one to give way.
_LOST_RACE_STATES = {"40P01", "40001"}


def _raise_if_lost_race(exc: DBAPIError) -> None:
    if getattr(exc.orig, "sqlstate", None) in _LOST_RACE_STATES:
        raise NoAvailability(
            "That time was taken by another booking made at the same moment; "
            "please choose another time",
            field="start",
        ) from None


def _lock_resources(
    session: Session, client_id: int | None, therapist_ids: list[int], room_ids: list[int]
) -> None:
    """Hold the client, therapists and rooms a booking may take until it commits.

    On PostgreSQL, bookings racing for the same people or rooms then run their checks one
    after the other, so the loser hears what is in its way (rather than a bare constraint
    violation or a deadlock); the rows are locked in one global order (client, therapists,
    rooms, each by id) so that two bookings never wait for each other. SQLite needs none of
    this: every write transaction there already holds the database's write lock.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    queries = []
    if client_id is not None:
        queries.append(select(col(Client.id)).where(col(Client.id) == client_id))
    if therapist_ids:
        queries.append(
            select(col(Therapist.id))
            .where(col(Therapist.id).in_(therapist_ids))
            .order_by(col(Therapist.id))
        )
    if room_ids:
        queries.append(
            select(col(Room.id)).where(col(Room.id).in_(room_ids)).order_by(col(Room.id))
        )
    try:
        for query in queries:
            session.exec(query.with_for_update()).all()
    except DBAPIError as exc:
        _raise_if_lost_race(exc)
        raise
