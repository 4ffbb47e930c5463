"""What the worker sends for a course's message, and what a client was last told about each
course session (for the per-session updates that follow).

A course message is rendered from the sessions as they are when sent: the invitation covers
every session still booked, the cancellation every cancelled session the client's calendar
still shows. What it said is kept per session on the sent row (`rendered["sessions"]`), so a
later move of one session is an update saying what changed, and its cancel a CANCEL.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from shared import course_invites, invites
from shared.course_outbox import COURSE_KINDS
from shared.models import Booking, BookingStatus, Clinic, Course, MessageStatus, OutboxMessage
from shared.models.types import pk
from shared.outbox import CALENDAR_KINDS


def plan(
    session: Session,
    msg: OutboxMessage,
    clinic: Clinic,
    *,
    recipient: invites.Recipient,
    mail_from: str,
    message_id: str,
    now: datetime,
    base_url: str,
) -> tuple[EmailMessage, dict[str, Any]] | str:
    """The e-mail for a course message and what it says per session, or why none is sent."""
    course = session.get(Course, msg.course_id) if msg.course_id is not None else None
    if course is None:
        return "course no longer exists"
    sessions = _sessions(session, pk(course.id))
    if msg.kind == "course_invite":
        method = invites.REQUEST
        covered = [b for b in sessions if b.status == BookingStatus.BOOKED.value]
        if not covered:
            return "no session of the course is still booked"
    else:
        method = invites.CANCEL
        told = last_told(session, sessions, msg.recipient)
        covered = [
            b
            for b in sessions
            if b.status == BookingStatus.CANCELLED.value
            and (told.get(pk(b.id)) or {}).get("method") == invites.REQUEST
        ]
        if not covered:
            return "the client's calendar shows none of the cancelled sessions"
    email = course_invites.course_message(
        course,
        covered,
        clinic,
        method=method,
        recipient=recipient,
        mail_from=mail_from,
        message_id=message_id,
        now=now,
        base_url=base_url,
    )
    rendered = {
        "method": method,
        "sessions": {str(b.id): invites.snapshot(b, method) for b in covered},
    }
    return email, rendered


def _sessions(session: Session, course_id: int) -> list[Booking]:
    query = (
        select(Booking)
        .where(Booking.course_id == course_id)
        .options(
            selectinload(Booking.treatment_type),  # type: ignore[arg-type]
            selectinload(Booking.therapist),  # type: ignore[arg-type]
            selectinload(Booking.room),  # type: ignore[arg-type]
            selectinload(Booking.client),  # type: ignore[arg-type]
        )
        .order_by(col(Booking.start_at))
    )
    return list(session.exec(query))


def last_told(
    session: Session, bookings: Iterable[Booking], recipient: str
) -> dict[int, dict[str, Any]]:
    """Per booking, what the last calendar message sent to `recipient` said about it: its own
    message or a course message that covered it, whichever was sent last."""
    bookings = list(bookings)
    ids = [pk(b.id) for b in bookings]
    courses = sorted({b.course_id for b in bookings if b.course_id is not None})
    latest: dict[int, tuple[tuple[datetime, int], dict[str, Any]]] = {}

    def offer(booking_id: int, when: tuple[datetime, int], said: dict[str, Any]) -> None:
        if booking_id not in latest or latest[booking_id][0] < when:
            latest[booking_id] = (when, said)

    sent = (
        OutboxMessage.recipient == recipient,
        OutboxMessage.status == MessageStatus.SENT.value,
        col(OutboxMessage.rendered).is_not(None),
        col(OutboxMessage.sent_at).is_not(None),
    )
    for booking_id, sent_at, row_id, rendered in session.exec(
        select(
            OutboxMessage.booking_id,
            OutboxMessage.sent_at,
            OutboxMessage.id,
            OutboxMessage.rendered,
        ).where(
            col(OutboxMessage.booking_id).in_(ids),
            col(OutboxMessage.kind).in_(CALENDAR_KINDS),
            *sent,
        )
    ):
        if isinstance(rendered, dict):
            offer(booking_id, (sent_at, row_id), rendered)  # type: ignore[arg-type]
    if courses:
        wanted = {str(i) for i in ids}
        for sent_at, row_id, rendered in session.exec(
            select(OutboxMessage.sent_at, OutboxMessage.id, OutboxMessage.rendered).where(
                col(OutboxMessage.course_id).in_(courses),
                col(OutboxMessage.kind).in_(COURSE_KINDS),
                *sent,
            )
        ):
            said = (rendered or {}).get("sessions", {}) if isinstance(rendered, dict) else {}
            for key in wanted & set(said):
                offer(int(key), (sent_at, row_id), said[key])  # type: ignore[arg-type]
    return {booking_id: said for booking_id, (_, said) in latest.items()}


def waiting(session: Session, candidates: Sequence[OutboxMessage]) -> set[int]:
    """Messages that must wait for an older one still pending to the same recipient about the
    same course: a session's update after its course's invitation, a course's cancellation
    after a session's update. (One session's own messages keep their rule: the newest wins.)"""
    relevant = [m for m in candidates if m.kind in CALENDAR_KINDS or m.kind in COURSE_KINDS]
    booking_ids = {m.booking_id for m in relevant if m.kind in CALENDAR_KINDS}
    course_of: dict[int, int] = {}
    if booking_ids:
        for booking_id, course_id in session.exec(
            select(Booking.id, Booking.course_id).where(
                col(Booking.id).in_(booking_ids), col(Booking.course_id).is_not(None)
            )
        ):
            course_of[pk(booking_id)] = pk(course_id)

    def course(m: OutboxMessage) -> int | None:
        return m.course_id if m.kind in COURSE_KINDS else course_of.get(m.booking_id)

    courses = {c for m in relevant if (c := course(m)) is not None}
    if not courses:
        return set()
    pending_course: dict[tuple[int, str], list[int]] = defaultdict(list)
    for row_id, course_id, recipient in session.exec(
        select(OutboxMessage.id, OutboxMessage.course_id, OutboxMessage.recipient).where(
            col(OutboxMessage.course_id).in_(courses),
            col(OutboxMessage.kind).in_(COURSE_KINDS),
            OutboxMessage.status == MessageStatus.PENDING.value,
        )
    ):
        pending_course[(pk(course_id), recipient)].append(pk(row_id))
    pending_sessions: dict[tuple[int, str], list[int]] = defaultdict(list)
    for row_id, course_id, recipient in session.exec(
        select(OutboxMessage.id, Booking.course_id, OutboxMessage.recipient)
        .join(Booking, col(Booking.id) == col(OutboxMessage.booking_id))
        .where(
            col(Booking.course_id).in_(courses),
            col(OutboxMessage.kind).in_(CALENDAR_KINDS),
            OutboxMessage.status == MessageStatus.PENDING.value,
        )
    ):
        pending_sessions[(pk(course_id), recipient)].append(pk(row_id))
    wait: set[int] = set()
    for m in relevant:
        c = course(m)
        if c is None or m.id is None:
            continue
        older = [i for i in pending_course[(c, m.recipient)] if i < m.id]
        if m.kind in COURSE_KINDS:
            older += [i for i in pending_sessions[(c, m.recipient)] if i < m.id]
        if older:
            wait.add(m.id)
    return wait
