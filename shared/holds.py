"""Holds: sessions placed and occupying their time until someone confirms them, or they lapse.

A hold is a booking in status `held` (so the database's overlap guards count it like any
other) with `hold_expires_at` and a secret `hold_token` for its confirmation link. The
booking page makes one per request (`request_online`); a waiting-list offer is a hold too
(`hold(..., source="waitlist", lasts=...)`). `confirm` turns it into an ordinary booking with
the usual invitation; `release` lets it go at once; the worker's `expire` lets lapsed ones go.
Every function takes the caller's session and never commits.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select

from shared import clinic_time, login_throttle, outbox, validation
from shared.booking import CHANGED_MEANWHILE
from shared.booking import guarded_flush as flush_guarded
from shared.booking import record_event as record
from shared.catalog_cache import catalog_snapshot
from shared.clients import client_by_email, find_or_create_client, get_client
from shared.db import append_rows
from shared.errors import (
    ChangedMeanwhile,
    HoldExpired,
    InvalidInput,
    InvalidTransition,
    NotFound,
    OnlineBookingClosed,
    TooManyHolds,
)
from shared.models import Booking, BookingStatus, MessageKind, OutboxMessage
from shared.models.types import pk
from shared.placement import PlacementRequest, lock_email, place

HOLD_SOURCES = ("online", "waitlist")
MAX_OPEN_HOLDS = 3  # unconfirmed holds one e-mail address may have at once
LONGEST_HOLD = timedelta(days=7)
EXPIRED_REASON = "not confirmed in time"
STAFF_REASON = "let go by the clinic"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")  # what secrets.token_urlsafe makes


def hold(
    session: Session,
    *,
    treatment_type_id: int,
    start: datetime,
    client_id: int,
    actor: str,
    now: datetime,
    therapist_id: int | None = None,
    source: str = "online",
    notes: str = "",
    lasts: timedelta | None = None,
) -> Booking:
    """Place a session that keeps its time for `lasts` (the clinic's `hold_minutes` unless
    given) and wait for `confirm`; writes no message (the caller says what to send).

    Raises InvalidInput, NotFound, and every refusal `booking.book` raises (the placement
    engine's, and the guards' when a racing writer won).
    """
    now = clinic_time.require_aware(now, "now")
    if source not in HOLD_SOURCES:
        raise InvalidInput(f"unknown source {source!r}", field="source")
    catalog = catalog_snapshot(session)
    lasts = timedelta(minutes=catalog.hold_minutes) if lasts is None else lasts
    if not timedelta(0) < lasts <= LONGEST_HOLD:
        raise InvalidInput("a hold lasts more than nothing and at most 7 days", field="lasts")
    client = get_client(session, client_id)
    placed = place(
        session,
        PlacementRequest(
            treatment_type_id=treatment_type_id,
            start=clinic_time.require_aware(start, "start"),
            client_id=pk(client.id),
            therapist_id=therapist_id,
        ),
        now=now,
    )
    booking = Booking(
        uid=f"{secrets.token_hex(16)}@clinic-scheduler",
        treatment_type_id=placed.treatment.id,
        therapist_id=placed.therapist.id,
        room_id=placed.room.id,
        client_id=pk(client.id),
        start_at=placed.start,
        end_at=placed.end,
        blocked_start=placed.blocked[0],
        blocked_end=placed.blocked[1],
        status=BookingStatus.HELD.value,
        source=source,
        notes=validation.text(notes or "", "notes", max_len=2000, required=False),
        access_token=secrets.token_urlsafe(24),
        hold_token=secrets.token_urlsafe(24),
        hold_expires_at=now + lasts,
        created_at=now,
        updated_at=now,
    )
    session.add(booking)
    flush_guarded(session)
    record(
        session,
        booking,
        validation.text(actor or "", "actor", max_len=200),
        "held",
        {
            "start": placed.start.isoformat(),
            "therapist": placed.therapist.name,
            "room": placed.room.name,
            "until": booking.hold_expires_at.isoformat() if booking.hold_expires_at else None,
        },
        now,
    )
    return booking


def request_online(
    session: Session,
    *,
    treatment_type_id: int,
    start: datetime,
    name: str,
    email: str,
    phone: str,
    note: str,
    consent: bool,
    now: datetime,
    therapist_id: int | None = None,
    address: str | None = None,
) -> Booking:
    """The booking page's request: a hold for the client with this e-mail (registered if new)
    and the e-mail with its confirmation link. Each hold made is counted against the network
    `address` it came from (`login_throttle`, shared by every replica).

    Raises OnlineBookingClosed (switched off, or not for this treatment), InvalidInput (the
    form), TooManyAttempts (too many holds from this address lately), TooManyHolds (the
    e-mail address has MAX_OPEN_HOLDS unconfirmed), and as `hold`.
    """
    catalog = catalog_snapshot(session)
    validation.positive_id(treatment_type_id, "treatment_type_id")
    offer = catalog.offers.get(treatment_type_id)
    if not catalog.online_booking:
        raise OnlineBookingClosed("The clinic takes no bookings online just now")
    if offer is None or not offer.active or not offer.online:
        raise OnlineBookingClosed(
            "This treatment cannot be booked online: please call the clinic",
            field="treatment_type_id",
        )
    name = validation.text(name, "name", max_len=200)
    email_address = validation.email(email)
    phone = validation.text(phone or "", "phone", max_len=50, required=False)
    note = validation.text(note or "", "note", max_len=2000, required=False)
    if consent is not True:
        raise InvalidInput("please agree to the privacy notice to book", field="consent")
    # The refusals first, each before anything is written; the address's holds are counted
    # and added to under its lock, so requests racing with it cannot pass the count together.
    lock_email(session, email_address)
    known = client_by_email(session, email_address)
    if known is not None and open_holds(session, pk(known.id), now=now) >= MAX_OPEN_HOLDS:
        raise TooManyHolds(
            f"There are already {MAX_OPEN_HOLDS} appointments waiting for confirmation for "
            f"{email_address}: confirm them from the e-mails we sent, or wait until they lapse",
            retry_after=catalog.hold_minutes * 60,
            field="email",
        )
    login_throttle.count_booking_request(session, address=address, now=now)
    client = known or find_or_create_client(session, name=name, email=email_address, phone=phone)
    booking = hold(
        session,
        treatment_type_id=treatment_type_id,
        start=start,
        client_id=pk(client.id),
        therapist_id=therapist_id,
        actor="client (booking page)",
        notes=note,
        now=now,
    )
    append_rows(
        session,
        OutboxMessage,
        [
            {
                "booking_id": pk(booking.id),
                "kind": MessageKind.HOLD.value,
                "recipient": email_address,
                "recipient_role": "client",
                "booking_sequence": booking.sequence,
            }
        ],
    )
    return booking


def open_holds(session: Session, client_id: int, *, now: datetime) -> int:
    """How many unconfirmed, unlapsed holds the client has."""
    query = select(func.count()).where(
        col(Booking.client_id) == client_id,
        col(Booking.status) == BookingStatus.HELD.value,
        col(Booking.hold_expires_at) > now,
    )
    return int(session.exec(query).one())


def find_hold(session: Session, token: str, *, lock: bool = False) -> Booking:
    """The booking a confirmation link names, held, confirmed or lapsed. Raises NotFound."""
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        raise NotFound("This link is not one we sent", field="token")
    query = select(Booking).where(col(Booking.hold_token) == token)
    if lock:
        query = query.with_for_update()
    booking = session.exec(query).first()
    if booking is None:
        raise NotFound("This link is not one we sent", field="token")
    return booking


def confirm(session: Session, token: str, *, now: datetime, actor: str = "client") -> Booking:
    """Turn the hold into a booking with the usual invitation. Confirming a confirmed hold
    again changes nothing (and sends nothing): the link used twice books once.

    Raises NotFound (not a link we sent), HoldExpired (lapsed or let go).
    """
    now = clinic_time.require_aware(now, "now")
    booking = find_hold(session, token, lock=True)
    if booking.status == BookingStatus.HELD.value and (
        booking.hold_expires_at is not None and now < booking.hold_expires_at
    ):
        booking.status = BookingStatus.BOOKED.value
        booking.updated_at = now
        flush_guarded(session)
        record(session, booking, validation.text(actor, "actor", max_len=200), "confirmed", {}, now)
        outbox.enqueue(session, booking, MessageKind.INVITE, catalog_snapshot(session))
        flush_guarded(session)
        return booking
    if booking.status == BookingStatus.HELD.value or (
        booking.status == BookingStatus.CANCELLED.value and _never_confirmed(session, booking)
    ):
        raise HoldExpired(
            "This appointment was not confirmed in time and is no longer held: "
            "please choose a time again",
            field="token",
        )
    return booking  # confirmed before (and perhaps changed since): nothing to do


def release(session: Session, token: str, *, now: datetime, actor: str, reason: str) -> Booking:
    """Let a hold go at once (a declined offer), freeing its time. Releasing a released or
    lapsed hold changes nothing. Raises NotFound, InvalidTransition (already confirmed)."""
    now = clinic_time.require_aware(now, "now")
    booking = find_hold(session, token, lock=True)
    if booking.status == BookingStatus.HELD.value:
        _let_go(session, booking, now, validation.text(actor, "actor", max_len=200), reason)
        return booking
    if booking.status != BookingStatus.CANCELLED.value or not _never_confirmed(session, booking):
        raise InvalidTransition("This appointment is already confirmed", field="token")
    return booking


def let_go(
    session: Session,
    booking_id: int,
    *,
    expected_sequence: int,
    actor: str,
    now: datetime,
    reason: str = STAFF_REASON,
) -> Booking:
    """The clinic lets a hold go before it lapses (the client phoned: it was a mistake),
    freeing its time at once. A waiting-list offer's hold goes through
    `offers.release_hold`, which also puts the offer's time to the next in line.

    Raises InvalidInput, NotFound, ChangedMeanwhile (the page showed an older version),
    InvalidTransition (confirmed meanwhile: a booking now), HoldExpired (let go already).
    """
    booking = locked_hold(session, booking_id, expected_sequence=expected_sequence)
    _let_go(
        session,
        booking,
        clinic_time.require_aware(now, "now"),
        validation.text(actor, "actor", max_len=200),
        reason,
    )
    return booking


def locked_hold(session: Session, booking_id: int, *, expected_sequence: int) -> Booking:
    """The hold a receptionist acts on, locked, still held and as the page showed it.
    Raises as `let_go`."""
    validation.positive_id(booking_id, "booking_id")
    if isinstance(expected_sequence, bool) or not isinstance(expected_sequence, int):
        raise InvalidInput("expected the version the page showed", field="version")
    booking = session.get(Booking, booking_id, with_for_update=True, populate_existing=True)
    if booking is None:
        raise NotFound(f"No booking with id {booking_id}", field="booking_id")
    if booking.sequence != expected_sequence:
        raise ChangedMeanwhile(CHANGED_MEANWHILE, current_version=booking.sequence)
    if booking.status == BookingStatus.HELD.value:
        return booking
    if booking.status == BookingStatus.CANCELLED.value and _never_confirmed(session, booking):
        raise HoldExpired("This hold was let go already: its time is free", field="booking_id")
    raise InvalidTransition(
        "The client confirmed this hold meanwhile: it is a booking now (cancel it instead)",
        field="booking_id",
    )


def expire(session: Session, *, now: datetime, limit: int = 500) -> Sequence[Booking]:
    """Let the holds lapsed by `now` go, freeing their time; the worker calls it each round
    (so `now` is the caller's clock). Returns the holds let go, so what freed up can be
    offered to the waiting list."""
    now = clinic_time.require_aware(now, "now")
    query = (
        select(Booking)
        .where(
            col(Booking.status) == BookingStatus.HELD.value,
            col(Booking.hold_expires_at) <= now,
        )
        .order_by(col(Booking.hold_expires_at))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    lapsed = session.exec(query).all()
    for booking in lapsed:
        _let_go(session, booking, now, "clinic (hold lapsed)", EXPIRED_REASON)
    return lapsed


def state(booking: Booking, now: datetime) -> str:
    """What a confirmation link's page says: 'waiting' (the button confirms), 'lapsed' (let go
    unconfirmed, or past its time) or 'confirmed' (a booking now, whatever became of it)."""
    if booking.status == BookingStatus.HELD.value:
        expires = booking.hold_expires_at
        return "waiting" if expires is not None and now < expires else "lapsed"
    if booking.status == BookingStatus.CANCELLED.value and all(
        event.action != "confirmed" for event in booking.events
    ):
        return "lapsed"
    return "confirmed"


def is_hold(booking: Booking) -> bool:
    """Whether the booking is a hold still awaiting confirmation (the dashboard labels it)."""
    return booking.status == BookingStatus.HELD.value


# -- internals -----------------------------------------------------------------------------


def _let_go(session: Session, booking: Booking, now: datetime, actor: str, reason: str) -> None:
    booking.status = BookingStatus.CANCELLED.value
    booking.cancelled_at = now
    booking.cancel_reason = validation.text(reason or "", "reason", max_len=1000, required=False)
    booking.updated_at = now
    flush_guarded(session)
    record(session, booking, actor, "released", {"reason": booking.cancel_reason}, now)


def _never_confirmed(session: Session, booking: Booking) -> bool:
    """A cancelled hold that was let go before anyone confirmed it."""
    return all(event.action != "confirmed" for event in booking.events)
