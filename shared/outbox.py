"""The outbox: messages are written in the booking's own transaction and sent after it.

A booking that commits always has its messages; one that rolls back has none. The worker
(shared.mailer) renders each message from the booking's state at send time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlmodel import Session, col, func, select

from shared.db import append_rows
from shared.errors import InvalidTransition, NotFound
from shared.models import Booking, MessageKind, MessageStatus, OutboxMessage, utcnow
from shared.models.types import pk


class MessageSettings(Protocol):
    """The clinic's settings that decide which messages a booking gets (a Clinic row, or the
    cached catalog)."""

    @property
    def invite_therapists(self) -> bool: ...
    @property
    def reminder_hours_before(self) -> int: ...


def _recipients(booking: Booking, clinic: MessageSettings) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if booking.client is not None and booking.client.email:
        out.append(("client", booking.client.email))
    if clinic.invite_therapists and booking.therapist is not None and booking.therapist.email:
        out.append(("therapist", booking.therapist.email))
    return out


CALENDAR_KINDS = (MessageKind.INVITE.value, MessageKind.UPDATE.value, MessageKind.CANCEL.value)


def enqueue(
    session: Session,
    booking: Booking,
    kind: MessageKind,
    clinic: MessageSettings,
    *,
    to_client: bool = True,
) -> None:
    """Queue the calendar message for `kind` and keep the booking's reminder in step.

    `to_client=False` leaves the client's calendar message out (a course tells its client
    once for all its sessions, see `shared.course_outbox`); the reminder is kept in step still.

    Every therapist who was sent this booking before hears of the change too: one taken off
    it gets a CANCEL, so their calendar drops it (the worker decides REQUEST or CANCEL from
    the booking as it is when it sends).
    """
    assert booking.id is not None, "flush the booking before queueing its messages"
    told = [] if kind == MessageKind.INVITE else _told_therapists(session, booking)
    rows = _messages(booking, kind, clinic, to_client=to_client, told=told)
    reminder = _schedule_reminder(session, booking, kind, clinic)
    new = [{**row, "booking_id": pk(booking.id)} for row in rows + ([reminder] if reminder else [])]
    append_rows(session, OutboxMessage, new)


def invitations(
    booking: Booking, clinic: MessageSettings, *, to_client: bool = True
) -> list[dict[str, Any]]:
    """The messages a new booking queues (its invitations and its reminder), as rows without
    the booking's id: `shared.booking.write_booking` inserts them in the booking's own INSERT.
    `booking.client` (and `booking.therapist` where therapists are invited) must be set."""
    rows = _messages(booking, MessageKind.INVITE, clinic, to_client=to_client, told=[])
    reminder = _new_reminder(booking, clinic)
    return rows + ([reminder] if reminder else [])


def _messages(
    booking: Booking,
    kind: MessageKind,
    clinic: MessageSettings,
    *,
    to_client: bool,
    told: Sequence[str],
) -> list[dict[str, Any]]:
    """The calendar messages for `kind`, given the therapists `told` of this booking before."""
    messages = [
        (role, address, kind)
        for role, address in _recipients(booking, clinic)
        if to_client or role != "client"
    ]
    addressed = {address for _, address, _ in messages}
    assigned = booking.therapist.email if booking.therapist is not None else None
    for address in told:
        if address not in addressed:
            still_on = address == assigned
            messages.append(("therapist", address, kind if still_on else MessageKind.CANCEL))
    return [
        {
            "kind": message_kind.value,
            "recipient": address,
            "recipient_role": role,
            "booking_sequence": booking.sequence,
        }
        for role, address, message_kind in messages
    ]


def _told_therapists(session: Session, booking: Booking) -> list[str]:
    """Therapists who were queued a calendar message about this booking before."""
    rows = session.exec(
        select(OutboxMessage.recipient)
        .where(
            OutboxMessage.booking_id == booking.id,
            OutboxMessage.recipient_role == "therapist",
            col(OutboxMessage.kind).in_(CALENDAR_KINDS),
        )
        .distinct()
    ).all()
    return sorted(rows)


def _schedule_reminder(
    session: Session, booking: Booking, kind: MessageKind, clinic: MessageSettings
) -> dict[str, Any] | None:
    """Moves or skips the pending reminder; a new one to queue, if the booking needs one."""
    if kind == MessageKind.INVITE:  # a new booking: no reminder yet
        return _new_reminder(booking, clinic)
    pending = _pending_reminders(session, booking)
    if kind == MessageKind.CANCEL:
        for msg in pending:
            msg.status = MessageStatus.SKIPPED.value
            msg.last_error = "booking cancelled"
        return None
    due = _reminder_due(booking, clinic)
    if pending:
        for msg in pending:
            if due is None:
                msg.status = MessageStatus.SKIPPED.value
                msg.last_error = "moved to short notice: the update is the reminder"
            else:
                msg.next_attempt_at, msg.recipient = due
                msg.booking_sequence = booking.sequence
        return None
    return _new_reminder(booking, clinic)


def _new_reminder(booking: Booking, clinic: MessageSettings) -> dict[str, Any] | None:
    """The reminder a booking with none pending needs, without the booking's id, if any."""
    due = _reminder_due(booking, clinic)
    if due is None:
        return None
    return {
        "kind": MessageKind.REMINDER.value,
        "recipient": due[1],
        "recipient_role": "client",
        "booking_sequence": booking.sequence,
        "next_attempt_at": due[0],
    }


def _reminder_due(booking: Booking, clinic: MessageSettings) -> tuple[datetime, str] | None:
    """When the booking's reminder goes out and to whom, or None when it needs none: booked
    or moved at short notice (the invitation or update itself is the reminder), or no e-mail."""
    due: datetime = booking.start_at - timedelta(hours=clinic.reminder_hours_before)
    too_late = clinic.reminder_hours_before <= 0 or due <= booking.updated_at
    email = booking.client.email if booking.client is not None else None
    return None if too_late or not email else (due, email)


def _pending_reminders(session: Session, booking: Booking) -> Sequence[OutboxMessage]:
    return session.exec(
        select(OutboxMessage).where(
            OutboxMessage.booking_id == booking.id,
            OutboxMessage.kind == MessageKind.REMINDER.value,
            OutboxMessage.status == MessageStatus.PENDING.value,
        )
    ).all()


def pending_count(session: Session) -> int:
    query = select(func.count()).where(col(OutboxMessage.status) == MessageStatus.PENDING.value)
    return int(session.exec(query).one())


def retry_message(session: Session, message_id: int) -> OutboxMessage:
    """Put a failed message back in the queue, to be sent at once. Raises NotFound."""
    msg = session.get(OutboxMessage, message_id)
    if msg is None:
        raise NotFound(f"No message with id {message_id}", field="message_id")
    if msg.status != MessageStatus.FAILED.value:
        raise InvalidTransition(f"Only failed messages can be retried; this one is {msg.status}")
    msg.status = MessageStatus.PENDING.value
    msg.attempts = 0
    msg.next_attempt_at = utcnow()
    msg.claimed_until = None
    msg.claim_token = ""
    session.flush()
    return msg
