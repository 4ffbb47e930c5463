"""The booking rules: book, move, cancel and close sessions.

Each function takes the caller's session, may flush, never commits (the caller's
`Database.transaction()` does), and raises a typed `ClinicError` before writing anything.
Where a session goes is the placement engine's answer (`shared.placement`); the database's
overlap guards have the last word on races.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session

from shared import clinic_time, lifecycle, outbox, validation
from shared.catalog_cache import catalog_snapshot, peek
from shared.clients import Registration, get_client
from shared.db import adopt, append_rows, insert_family, new_row
from shared.directory import get_clinic
from shared.errors import (
    BookingConflict,
    ChangedMeanwhile,
    ClientBusy,
    ClinicError,
    InvalidInput,
    NotFound,
    RoomBusy,
    TherapistBusy,
)
from shared.metrics import booking_changed
from shared.models import (
    Booking,
    BookingEvent,
    BookingStatus,
    MessageKind,
    OutboxMessage,
    Therapist,
)
from shared.models.types import pk, utcnow
from shared.placement import Placement, PlacementRequest, lost_race, place

SOURCES = ("api", "dashboard", "client", "demo", "import", "online", "waitlist")


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
    actor: str,
    client_id: int | None = None,
    new_client: Registration | None = None,
    therapist_id: int | None = None,
    room_id: int | None = None,
    source: str = "api",
    notes: str = "",
    override_notice: bool = False,
    now: datetime | None = None,
) -> Booking:
    """Book a session; picks a therapist and room when none is named. The client is one on
    file (`client_id`) or one given by name and e-mail (`new_client`, found or registered in
    the statement that holds the calendars).

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
    _offered(session, treatment_type_id)
    # Held while the booking is written: the session's identity map keeps objects weakly.
    client = get_client(session, client_id) if new_client is None else None  # type: ignore[arg-type]
    placed = place(
        session,
        PlacementRequest(
            treatment_type_id=treatment_type_id,
            start=start,
            client_id=None if client is None else client.id,
            therapist_id=therapist_id,
            room_id=room_id,
            override_notice=override_notice,
        ),
        now=now,
        registering=new_client,
    )
    return write_booking(
        session,
        placed,
        client_id=pk(placed.request.client_id),
        actor=actor,
        source=source,
        notes=notes,
        now=now,
        settings=catalog_snapshot(session),  # confirmed by the placement: no statement
    )


def write_booking(
    session: Session,
    placed: Placement,
    *,
    client_id: int,
    actor: str,
    source: str,
    notes: str,
    now: datetime,
    settings: outbox.MessageSettings,
    course_id: int | None = None,
    invite_client: bool = True,
) -> Booking:
    """Insert a placed session with its history and invitation (one statement on PostgreSQL,
    see `insert_family`). Raises InvalidInput (notes) and BookingConflict (the database's
    guards, when a racing writer won).

    A course's session names its course and leaves the client's invitation to the course's
    one message (`invite_client=False`); reminders and therapists' invitations stay per session.
    """
    row = {
        "uid": f"{uuid.uuid4()}@clinic-scheduler",
        "treatment_type_id": placed.treatment.id,
        "therapist_id": placed.therapist.id,
        "room_id": placed.room.id,
        "client_id": client_id,
        "start_at": placed.start,
        "end_at": placed.end,
        "blocked_start": placed.blocked[0],
        "blocked_end": placed.blocked[1],
        "source": source,
        "notes": validation.text(notes or "", "notes", max_len=5000, required=False),
        "access_token": secrets.token_urlsafe(24),
        "created_at": now,
        "updated_at": now,
        "course_id": course_id,
    }
    booking = new_row(Booking, row)
    # The messages read these; the client is in the session already (the caller found them).
    booking.client = get_client(session, client_id)
    if settings.invite_therapists:
        booking.therapist = session.get(Therapist, placed.therapist.id)
    history = {"at": now, "actor": actor, "action": "booked", "changes": _where(placed)}
    messages = outbox.invitations(booking, settings, to_client=invite_client)
    with _guarded():
        booking.id = insert_family(
            session,
            Booking,
            row,
            [(BookingEvent, "booking_id", [history]), (OutboxMessage, "booking_id", messages)],
        )
    adopt(session, booking)
    booking_changed(session, "booked")
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
    expected_sequence: int | None = None,
) -> Booking:
    """Move a session in time, to another therapist or to another room.

    The therapist stays unless another is named; the room stays if it is free, else the best
    free suitable room is taken. `expected_sequence` is the version the move was based on:
    checked under the row's lock, in the transaction that writes. Raises as `book`,
    InvalidTransition for a closed booking, ChangedMeanwhile for a stale version.
    """
    now = _now(now)
    actor = _actor(actor)
    _version(expected_sequence)
    booking = get_booking(session, booking_id, lock=True)
    _expect(booking, expected_sequence)
    _refuse(lifecycle.move_refusal(booking, now))
    new_start = booking.start_at if start is None else clinic_time.require_aware(start, "start")
    if new_start == booking.start_at and therapist_id is None and room_id is None:
        raise InvalidInput("nothing to change: give a new start, therapist or room", field="start")
    was = (booking.start_at, booking.end_at, booking.therapist_id, booking.room_id)
    placed = place(
        session,
        PlacementRequest(
            treatment_type_id=booking.treatment_type_id,
            start=new_start,
            client_id=booking.client_id,
            therapist_id=booking.therapist_id if therapist_id is None else therapist_id,
            room_id=room_id,
            preferred_room_id=booking.room_id if room_id is None else None,
            override_notice=override_notice,
            moving_booking_id=booking.id,
        ),
        now=now,
    )
    catalog = catalog_snapshot(session)  # confirmed by the placement: no statement
    before = {
        "start": was[0].isoformat(),
        "end": was[1].isoformat(),
        "therapist": catalog.therapists[was[2]].name,
        "room": catalog.rooms[was[3]].name,
    }
    booking.start_at, booking.end_at = placed.start, placed.end
    booking.blocked_start, booking.blocked_end = placed.blocked
    booking.therapist_id, booking.room_id = placed.therapist.id, placed.room.id
    booking.sequence += 1
    booking.updated_at = now
    _flush(session)
    session.expire(booking, ["therapist", "room"])  # read again, if asked, for the new ids
    after = _where(placed)
    changes = {k: {"from": before[k], "to": after[k]} for k in after if before[k] != after[k]}
    _record(session, booking, actor, "moved", changes, now)
    outbox.enqueue(session, booking, MessageKind.UPDATE, catalog)
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
    tell_client: bool = True,
    expected_sequence: int | None = None,
) -> Booking:
    """Cancel a session; the client's calendar gets a CANCEL (unless `tell_client` is False:
    a course's cancellation tells them once for all its sessions).

    A client cancelling themselves must respect the clinic's cancellation notice.
    Raises NotFound, InvalidTransition, CancellationTooLate, ChangedMeanwhile (a stale
    `expected_sequence`).
    """
    now = _now(now)
    actor = _actor(actor)
    reason = validation.text(reason or "", "reason", max_len=1000, required=False)
    _version(expected_sequence)
    booking = get_booking(session, booking_id, lock=True)
    _expect(booking, expected_sequence)
    clinic = get_clinic(session)
    _refuse(lifecycle.cancel_refusal(booking, now, by_client=clinic if by_client else None))
    booking.status = BookingStatus.CANCELLED.value
    booking.cancelled_at = now
    booking.cancel_reason = reason
    booking.sequence += 1
    booking.updated_at = now
    _flush(session)
    _record(session, booking, actor, "cancelled", {"reason": reason}, now)
    outbox.enqueue(session, booking, MessageKind.CANCEL, clinic, to_client=tell_client)
    _flush(session)
    return booking


def mark_completed(
    session: Session,
    booking_id: int,
    *,
    actor: str,
    now: datetime | None = None,
    expected_sequence: int | None = None,
) -> Booking:
    """Raises NotFound, InvalidTransition (not started yet, or not booked), ChangedMeanwhile."""
    return _close(
        session,
        booking_id,
        BookingStatus.COMPLETED,
        _actor(actor),
        _now(now),
        _version(expected_sequence),
    )


def mark_no_show(
    session: Session,
    booking_id: int,
    *,
    actor: str,
    now: datetime | None = None,
    expected_sequence: int | None = None,
) -> Booking:
    """Raises NotFound, InvalidTransition (not started yet, or not booked), ChangedMeanwhile."""
    return _close(
        session,
        booking_id,
        BookingStatus.NO_SHOW,
        _actor(actor),
        _now(now),
        _version(expected_sequence),
    )


def unmark(
    session: Session,
    booking_id: int,
    *,
    actor: str,
    tz: ZoneInfo,
    now: datetime | None = None,
    expected_sequence: int | None = None,
) -> Booking:
    """Undo a completed / no-show mark (a slip at the end of the day): booked again.
    Raises NotFound, InvalidTransition (not marked, or not the session's day), ChangedMeanwhile."""
    when = _now(now)
    expected = _version(expected_sequence)
    booking = get_booking(session, booking_id, lock=True)
    _expect(booking, expected)
    _refuse(lifecycle.unmark_refusal(booking, when, tz))
    was = booking.status
    booking.status = BookingStatus.BOOKED.value
    booking.sequence += 1
    booking.updated_at = when
    _flush(session)
    _record(session, booking, _actor(actor), "unmarked", {"was": was}, when)
    _flush(session)
    return booking


# -- internals -----------------------------------------------------------------------------


def _offered(session: Session, treatment_type_id: int) -> None:
    """Refuses an unknown or retired treatment first, as the rules always have: from the
    process's newest catalog (which the placement then confirms), read again to refuse."""
    catalog, confirmed = peek(session)
    if catalog is not None and not confirmed:
        found = catalog.offers.get(treatment_type_id)
        if found is not None and found.active:
            return
    catalog_snapshot(session).offer(treatment_type_id, field="treatment_type_id")


def _refuse(refusal: ClinicError | None) -> None:
    if refusal is not None:
        raise refusal


def _actor(actor: str) -> str:
    """Who makes the change, for the history: an API key's name or a dashboard user."""
    return validation.text(actor or "", "actor", max_len=200)


def _now(now: datetime | None) -> datetime:
    return utcnow() if now is None else clinic_time.require_aware(now, "now")


CHANGED_MEANWHILE = (
    "This session was changed by someone else meanwhile, so nothing was changed: "
    "look at it as it is now and try again"
)


def _version(expected_sequence: int | None) -> int | None:
    """A version to check a change against (a booking's `sequence`), or None for none."""
    if expected_sequence is None:
        return None
    if (
        isinstance(expected_sequence, bool)
        or not isinstance(expected_sequence, int)
        or not 0 <= expected_sequence <= validation.MAX_ID
    ):
        raise InvalidInput(
            "expected the version the change is based on (the booking's sequence)",
            field="expected_sequence",
        )
    return expected_sequence


def _expect(booking: Booking, expected_sequence: int | None) -> None:
    """Refuses a change based on another version than the locked row's (a lost update)."""
    if expected_sequence is not None and booking.sequence != expected_sequence:
        raise ChangedMeanwhile(CHANGED_MEANWHILE, current_version=booking.sequence)


def _close(
    session: Session,
    booking_id: int,
    status: BookingStatus,
    actor: str,
    now: datetime,
    expected_sequence: int | None = None,
) -> Booking:
    booking = get_booking(session, booking_id, lock=True)
    _expect(booking, expected_sequence)
    _refuse(lifecycle.mark_refusal(booking, now, status))
    booking.status = status.value
    booking.sequence += 1
    booking.updated_at = now
    _flush(session)
    _record(session, booking, actor, status.value, {}, now)
    _flush(session)
    return booking


def _where(placed: Placement) -> dict[str, Any]:
    """A placement as the history records it."""
    return {
        "start": placed.start.isoformat(),
        "end": placed.end.isoformat(),
        "therapist": placed.therapist.name,
        "room": placed.room.name,
    }


def _record(
    session: Session,
    booking: Booking,
    actor: str,
    action: str,
    changes: dict[str, Any],
    now: datetime,
) -> None:
    row = {"booking_id": pk(booking.id), "at": now, "actor": actor, "action": action}
    append_rows(session, BookingEvent, [{**row, "changes": changes}])
    booking_changed(session, action)  # counted in clinic_bookings_total once committed


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
    with _guarded():
        session.flush()


@contextmanager
def _guarded() -> Iterator[None]:
    """The database's overlap guards and lost races, as the typed conflicts they mean."""
    try:
        yield
    except IntegrityError as exc:
        text = str(exc.orig)
        for guard, (error, field, message) in _GUARD_ERRORS.items():
            if guard in text:
                raise error(message, field=field) from None
        raise
    except DBAPIError as exc:
        refusal = lost_race(exc)
        if refusal is not None:
            raise refusal from None
        raise


# The same history and guard mapping for the other writers of bookings (shared.holds).
record_event = _record
guarded_flush = _flush
