"""What a booking writes reads back exactly as given, on both backends: its text (any script,
quotes, backslashes, line breaks), its instants to the microsecond, its history's JSON, and
the columns it left to the model's defaults. On PostgreSQL the booking, its history and its
messages travel as JSON documents in one statement, so this is that encoding's round trip."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from shared import clients
from shared.booking import book
from shared.models import Booking, BookingEvent, OutboxMessage
from tests.factories import MONDAY, NOW, local

NOTES = 'Prefers the window room ☃ 😀 "quoted" back\\slash\nsecond line\tand a tab; Žiga, 李'


def test_a_booking_reads_back_as_written_with_its_history_and_messages(db, clinic):
    with db.transaction() as session:
        made = book(
            session,
            treatment_type_id=clinic.facial.id,
            start=local(MONDAY, "10:00"),
            client_id=clinic.client.id,
            notes=NOTES,
            actor="api:Zoë 😀",
            now=NOW + timedelta(microseconds=123_456),
        )
        booking_id = made.id
    with db.read() as session:
        booking = session.get(Booking, booking_id)
        assert booking is not None
        assert booking.notes == NOTES
        assert booking.start_at == local(MONDAY, "10:00")
        assert booking.created_at == NOW + timedelta(microseconds=123_456)
        assert (booking.status, booking.sequence, booking.cancel_reason) == ("booked", 0, "")
        assert booking.cancelled_at is None and booking.hold_token is None
        [event] = session.exec(select(BookingEvent).where(BookingEvent.booking_id == booking_id))
        assert event.actor == "api:Zoë 😀" and event.action == "booked"
        assert event.changes["start"] == local(MONDAY, "10:00").isoformat()
        messages = session.exec(
            select(OutboxMessage).where(OutboxMessage.booking_id == booking_id)
        ).all()
        assert sorted(m.kind for m in messages) == ["invite", "reminder"]
        assert {m.recipient for m in messages} == {clinic.client.email}
        assert all(m.status == "pending" and m.attempts == 0 for m in messages)


def test_a_client_given_by_e_mail_is_registered_once_and_found_the_next_time(db, clinic):
    given = {"name": "Ana Novak ☃", "email": "ana.novak@example.com", "phone": "+386 40 123 456"}
    ids = []
    for at in ("10:00", "14:00"):
        with db.transaction() as session:
            made = book(
                session,
                treatment_type_id=clinic.facial.id,
                start=local(MONDAY, at),
                new_client=clients.registration(**given),
                actor="test",
                now=NOW,
            )
            ids.append(made.client_id)
            assert made.client.name == "Ana Novak ☃"
    assert ids[0] == ids[1]
    with db.read() as session:
        client = clients.get_client(session, ids[0])
        assert (client.email, client.phone) == ("ana.novak@example.com", "+386 40 123 456")
