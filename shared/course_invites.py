"""A course's e-mail (iMIP): every session as its own VEVENT, introduced by one message.

Each session keeps its booking's UID and SEQUENCE, so a later move or cancellation of one
session (the ordinary per-booking update, `shared.invites`) changes only that event in the
client's calendar, and cancelling the rest cancels only those events.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from shared import ical
from shared.clinic_locale import of_clinic
from shared.invites import (
    CANCEL,
    REQUEST,
    Body,
    Recipient,
    itip_email,
    itip_event,
    links,
    one_line,
    when_long,
    when_short,
)
from shared.models import Booking, Clinic, Course


def course_calendar(
    sessions: Sequence[Booking],
    clinic: Clinic,
    *,
    method: str,
    recipient: Recipient,
    organizer: str,
    now: datetime,
    base_url: str,
) -> bytes:
    """One VCALENDAR with METHOD, the zone, and a VEVENT per session."""
    events = [
        itip_event(
            b,
            clinic,
            method=method,
            recipient=recipient,
            organizer=organizer,
            now=now,
            page_url=links(base_url, b).page,
        )
        for b in sessions
    ]
    return ical.to_bytes(ical.calendar(events, clinic, name=one_line(clinic.name), method=method))


def course_message(
    course: Course,
    sessions: Sequence[Booking],
    clinic: Clinic,
    *,
    method: str,
    recipient: Recipient,
    mail_from: str,
    message_id: str,
    now: datetime,
    base_url: str,
) -> EmailMessage:
    """The course's invitation (REQUEST) or cancellation (CANCEL) of `sessions`, by start."""
    sessions = sorted(sessions, key=lambda b: b.start_at)
    ics = course_calendar(
        sessions,
        clinic,
        method=method,
        recipient=recipient,
        organizer=mail_from,
        now=now,
        base_url=base_url,
    )
    return itip_email(
        clinic,
        recipient,
        mail_from=mail_from,
        message_id=message_id,
        now=now,
        body=_body(course, sessions, clinic, method, recipient, base_url),
        ics=ics,
        method=method,
    )


def _body(
    course: Course,
    sessions: Sequence[Booking],
    clinic: Clinic,
    method: str,
    recipient: Recipient,
    base_url: str,
) -> Body:
    tz, loc = ZoneInfo(clinic.timezone), of_clinic(clinic)
    first = sessions[0]
    treatment = first.treatment_type.name if first.treatment_type else "Appointment"
    count = len(sessions)
    plural = "session" if count == 1 else "sessions"
    name = one_line(recipient.name).split()
    greeting = f"Dear {name[0] if name else 'client'},"
    lines = []
    for n, b in enumerate(sessions, start=1):
        who = f" with {b.therapist.name}" if b.therapist else ""
        room = f", {b.room.name}" if b.room else ""
        line = f"  {n}. {when_long(b.start_at, b.end_at, tz, loc)}{who}{room}"
        if method == REQUEST:
            line += f"\n     {links(base_url, b).page}"
        lines.append(line)
    listing = "\n".join(lines)
    where = ", ".join(p for p in (clinic.name, clinic.address) if p)
    if method == CANCEL:
        paragraphs = [greeting, f"these {count} {plural} of your {treatment} course are cancelled:"]
        paragraphs.append(listing)
        if course.cancel_reason:
            paragraphs.append(f"Reason: {one_line(course.cancel_reason)}")
        paragraphs.append("Your calendar removes exactly these sessions; any others stay.")
        if clinic.phone:
            paragraphs.append(f"To book again, call us at {clinic.phone}.")
        return Body(
            f"Cancelled: {count} {treatment} {plural} from {when_short(first.start_at, tz, loc)}",
            paragraphs,
        )
    paragraphs = [
        greeting,
        f"your course of {count} {treatment} {plural} is booked, at {where}:",
        listing,
        "Accept the invitation to add every session to your calendar, or open invite.ics. "
        "Each session has its own page (the link under it) to see or cancel it; if a session "
        "moves, you get an update for that session only.",
    ]
    if clinic.phone:
        paragraphs.append(f"Questions? Call us at {clinic.phone}.")
    subject = f"Booked: {treatment}, {count} {plural} from {when_short(first.start_at, tz, loc)}"
    return Body(subject, paragraphs, ("See your first session", links(base_url, first).page))
