"""Reading the outbox: one booking's messages, and how many messages wait in each status."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, func, select

from shared import validation
from shared.models import MessageStatus, OutboxMessage


def booking_messages(session: Session, booking_id: int) -> Sequence[OutboxMessage]:
    """Every message queued about one booking, newest first. Raises InvalidInput."""
    validation.positive_id(booking_id, "booking_id")
    return session.exec(
        select(OutboxMessage)
        .where(OutboxMessage.booking_id == booking_id)
        .order_by(col(OutboxMessage.id).desc())
    ).all()


def status_counts(session: Session) -> dict[str, int]:
    """How many messages are in each status (every status present, 0 for none)."""
    rows = session.exec(
        select(OutboxMessage.status, func.count()).group_by(col(OutboxMessage.status))
    ).all()
    counts = {s.value: 0 for s in MessageStatus}
    counts.update({status: int(n) for status, n in rows})
    return counts
