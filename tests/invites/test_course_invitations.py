"""A course's invitations as a real SMTP server receives them, read back by ical.js, node-ical and
libical: one e-mail puts every session in the client's calendar at the booked instant; moving
or cancelling one session changes only that one; cancelling the rest removes only the rest."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import select

from shared import booking
from shared.courses import SessionChoice, book_course, cancel_course
from shared.db import Database
from shared.mailer import Mailer
from shared.models import Booking, BookingStatus
from tests.factories import NOW, local
from tests.invites.calendars import PARSERS, ClientCalendar, Readers, readers  # noqa: F401
from tests.invites.conftest import SmtpServer, calendar_part, drain, text_body

FIRST = date(2027, 3, 8)  # ten Mondays from three weeks before the clocks change


def _calendar_mails(smtp: SmtpServer, seen: int) -> list:
    """The e-mails with a calendar in them received after the first `seen` of all."""
    new = smtp.inbox.messages()[seen:]
    return [
        m for m in new if any(p.get_content_type() == "text/calendar" for p in m.message.walk())
    ]


def _book(db: Database, clinic, starts: list[datetime]) -> tuple[int, list[int]]:
    with db.transaction() as session:
        made = book_course(
            session,
            treatment_type_id=clinic.facial.id,
            client_id=clinic.client.id,
            sessions=[SessionChoice(start=s) for s in starts],
            actor="reception",
            now=NOW,
        )
        return made.course.id, [b.id for b in made.sessions]  # type: ignore[return-value]


def _booked(db: Database, course_id: int) -> dict[str, tuple[datetime, datetime]]:
    """What the client's calendar must show: every session of the course still on."""
    with db.read() as session:
        rows = session.exec(select(Booking).where(Booking.course_id == course_id)).all()
    return {
        b.uid: (b.start_at, b.end_at) for b in rows if b.status != BookingStatus.CANCELLED.value
    }


def test_a_course_reaches_the_clients_calendar_in_one_email_and_each_change_only_touches_its_sessions(
    db,
    clinic,
    smtp: SmtpServer,
    mailer: Mailer,
    readers: Readers,  # noqa: F811
):
    calendars = {name: ClientCalendar() for name in PARSERS}

    def deliver(now: datetime, expect_events: int, method: str) -> None:
        seen = len(smtp.inbox.messages())
        drain(mailer, now)
        [mail] = _calendar_mails(smtp, seen)
        assert mail.rcpt_tos == ["eva@example.com"]
        read = readers(calendar_part(mail.message).get_payload(decode=True))
        for name in PARSERS:
            assert read[name].method == method, name
            assert len(read[name].events) == expect_events, name
            calendars[name].receive(read[name])
        # The three parsers read every event of the message alike.
        assert read["icaljs"].events == read["nodeical"].events == read["libical"].events

    starts = [local(FIRST + timedelta(weeks=w), "10:00") for w in range(10)]
    course_id, ids = _book(db, clinic, starts)
    seen = len(smtp.inbox.messages())
    deliver(NOW, 10, "REQUEST")
    assert len(smtp.inbox.messages()) == seen + 1  # one e-mail for the whole course
    for name in PARSERS:
        assert calendars[name].instants() == _booked(db, course_id), name
    body = text_body(smtp.inbox.messages()[-1].message)
    assert "your course of 10 Facial rejuvenation sessions is booked" in body
    assert "Monday 29 March 2027, 10:00\u201311:00 (Ljubljana time)" in body  # after the change

    # One session moves to Wednesday: an update for that session alone.
    with db.transaction() as session:
        booking.reschedule(
            session, ids[2], start=starts[2] + timedelta(days=2), actor="reception", now=NOW
        )
    deliver(NOW, 1, "REQUEST")
    for name in PARSERS:
        assert calendars[name].instants() == _booked(db, course_id), name

    # One session is cancelled on its own: a CANCEL for that session alone.
    with db.transaction() as session:
        booking.cancel(session, ids[3], actor="reception", reason="ill", now=NOW)
    deliver(NOW, 1, "CANCEL")
    for name in PARSERS:
        assert calendars[name].instants() == _booked(db, course_id), name
        assert len(calendars[name].events) == 9

    # After the fifth session, the rest of the course is cancelled: one CANCEL for the rest.
    later = starts[4] + timedelta(hours=3)
    with db.transaction() as session:
        cancel_course(session, course_id, reason="Moving abroad", actor="reception", now=later)
    deliver(later, 5, "CANCEL")
    for name in PARSERS:
        assert calendars[name].instants() == _booked(db, course_id), name
        assert sorted(calendars[name].instants().values()) == [
            (start, start + timedelta(hours=1))
            for start in (starts[0], starts[1], starts[2] + timedelta(days=2), starts[4])
        ]
    assert "Reason: Moving abroad" in text_body(smtp.inbox.messages()[-1].message)


def test_a_session_moved_before_the_course_invitation_is_sent_arrives_once_at_its_new_time(
    db, clinic, smtp: SmtpServer, mailer: Mailer
):
    starts = [local(FIRST + timedelta(weeks=w), "10:00") for w in range(4)]
    _, ids = _book(db, clinic, starts)
    moved = starts[1] + timedelta(hours=4)
    with db.transaction() as session:
        booking.reschedule(session, ids[1], start=moved, actor="reception", now=NOW)
    drain(mailer, NOW)
    mails = _calendar_mails(smtp, 0)
    assert len(mails) == 1  # the update waited for the course's invitation, which was enough
    body = calendar_part(mails[0].message).get_payload(decode=True)
    assert b"DTSTART;TZID=Europe/Ljubljana:20270315T140000" in body
    assert b"DTSTART;TZID=Europe/Ljubljana:20270315T100000" not in body
