"""The outbox: messages are written in the booking's own transaction and sent after it.

A booking that commits always has its messages; one that rolls back has none. The worker
(shared.mailer) renders each message from the booking's state at send time.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from shared.errors import InvalidTransition, NotFound
from shared.models import Booking, Clinic, MessageKind, MessageStatus, OutboxMessage, utcnow


def _recipients(booking: Booking, clinic: Clinic) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if booking.client is not None and booking.client.email:
        out.append(("client", booking.client.email))
    if clinic.invite_therapists and booking.therapist is not None and booking.therapist.email:
        out.append(("therapist", booking.therapist.email))
    return out


def enqueue(session: Session, booking: Booking, kind: MessageKind, clinic: Clinic) -> None:
    """Queue the calendar message for `kind` and keep the booking's reminder in step."""
    for role, address in _recipients(booking, clinic):
        session.add(
            OutboxMessage(
                booking_id=booking.id,
                kind=kind.value,
                recipient=address,
                recipient_role=role,
                booking_sequence=booking.sequence,
            )
        )
    _schedule_reminder(session, booking, kind, clinic)


def _schedule_reminder(
    session: Session, booking: Booking, kind: MessageKind, clinic: Clinic
) -> None:
    pending = session.exec(
        select(OutboxMessage).where(
            OutboxMessage.booking_id == booking.id,
            OutboxMessage.kind == MessageKind.REMINDER.value,
            OutboxMessage.status == MessageStatus.PENDING.value,
        )
    ).all()
    if kind == MessageKind.CANCEL:
        for msg in pending:
            msg.status = MessageStatus.SKIPPED.value
            msg.last_error = "booking cancelled"
        return
    due: datetime = booking.start_at - timedelta(hours=clinic.reminder_hours_before)
    if pending:
        for msg in pending:
            msg.next_attempt_at = due
            msg.booking_sequence = booking.sequence
        return
    if booking.client is None or not booking.client.email or clinic.reminder_hours_before <= 0:
        return
    if due <= booking.created_at:
        return  # booked at short notice: the invitation itself is the reminder
    session.add(
        OutboxMessage(
            booking_id=booking.id,
            kind=MessageKind.REMINDER.value,
            recipient=booking.client.email,
            recipient_role="client",
            booking_sequence=booking.sequence,
            next_attempt_at=due,
        )
    )


def pending_count(session: Session) -> int:
    return len(
        session.exec(
            select(OutboxMessage.id).where(col(OutboxMessage.status) == MessageStatus.PENDING.value)
        ).all()
    )


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
    session.flush()
    return msg
