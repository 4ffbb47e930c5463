"""A course's messages to its client: one invitation for all its sessions, one cancellation
for all those a course's cancel ended. Written in the course's own transaction and rendered
by the worker when sent (`shared.course_mail`), like every other message."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from shared.models import Booking, Client, Course, MessageKind, OutboxMessage
from shared.models.types import pk

COURSE_KINDS = (MessageKind.COURSE_INVITE.value, MessageKind.COURSE_CANCEL.value)


def enqueue(
    session: Session, course: Course, sessions: Sequence[Booking], kind: MessageKind
) -> None:
    """Queue `kind` (COURSE_INVITE or COURSE_CANCEL) for the course's client, if they have an
    e-mail; the row hangs on the first of `sessions` (a message row names a booking)."""
    assert kind.value in COURSE_KINDS and sessions
    client = session.get(Client, course.client_id)
    if client is None or not client.email:
        return
    session.add(
        OutboxMessage(
            booking_id=pk(sessions[0].id),
            course_id=pk(course.id),
            kind=kind.value,
            recipient=client.email,
            recipient_role="client",
        )
    )
    session.flush()
