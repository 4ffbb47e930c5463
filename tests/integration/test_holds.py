"""Holds: a time placed for a client who has not confirmed yet occupies it like a booking,
lapses by itself (the clock is injected), and becomes a booking once, however often the
link is used.

The clinic (tests/factories.py): Facial rejuvenation 60 min (10 before, 15 after), Room 1 only;
Anna gives it Mon-Fri 09-17.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import select

from shared import catalog, holds
from shared.booking import book
from shared.errors import (
    ChangedMeanwhile,
    HoldExpired,
    InvalidInput,
    InvalidTransition,
    NotFound,
    OnlineBookingClosed,
    TherapistBusy,
    TooManyHolds,
)
from shared.models import Booking, BookingStatus, MessageKind, OutboxMessage
from tests.factories import MONDAY, NOW, local


@pytest.fixture
def online(db, clinic):
    """The factories' clinic with online booking on and the facial offered on the page."""
    with db.transaction() as session:
        catalog.configure_clinic(session, online_booking=True, hold_minutes=15)
        tt = session.get(type(clinic.facial), clinic.facial.id)
        tt.online_booking = True
    return clinic


def ask(db, clinic, at="10:00", *, email="new@example.com", now=NOW, **kwargs):
    """The booking page's request, committed; the hold."""
    values = {
        "treatment_type_id": clinic.facial.id,
        "start": local(MONDAY, at),
        "name": "Nina Kos",
        "email": email,
        "phone": "+386 40 2",
        "note": "",
        "consent": True,
        "now": now,
        **kwargs,
    }
    with db.transaction() as session:
        return holds.request_online(session, **values)


def status_of(db, booking_id):
    with db.read() as session:
        return session.get(Booking, booking_id).status


def messages(db, booking_id, kind):
    with db.read() as session:
        return session.exec(
            select(OutboxMessage).where(
                OutboxMessage.booking_id == booking_id, OutboxMessage.kind == kind.value
            )
        ).all()


def test_a_request_holds_the_time_and_queues_the_confirmation_email_only(db, online):
    held = ask(db, online)
    assert held.status == BookingStatus.HELD.value
    assert held.hold_expires_at == NOW + timedelta(minutes=15)
    assert len(messages(db, held.id, MessageKind.HOLD)) == 1
    assert messages(db, held.id, MessageKind.INVITE) == []


def test_the_receptionist_booking_a_held_time_is_refused_with_the_hold_named(db, online):
    ask(db, online, "10:00")
    with pytest.raises(TherapistBusy) as caught, db.transaction() as session:
        book(
            session,
            treatment_type_id=online.facial.id,
            start=local(MONDAY, "10:30"),
            client_id=online.client.id,
            therapist_id=online.anna.id,
            actor="reception",
            now=NOW,
        )
    message = caught.value.message
    assert "Anna Novak is held" in message
    assert "booked online for Nina K., awaiting confirmation until" in message


def test_an_unconfirmed_hold_lapses_and_its_time_is_bookable_again(db, online):
    held = ask(db, online, "10:00")
    with db.transaction() as session:
        assert holds.expire(session, now=held.hold_expires_at - timedelta(seconds=1)) == []
    with db.transaction() as session:
        lapsed = holds.expire(session, now=held.hold_expires_at)
        assert [b.id for b in lapsed] == [held.id]
    assert status_of(db, held.id) == BookingStatus.CANCELLED.value
    with db.transaction() as session:
        again = book(
            session,
            treatment_type_id=online.facial.id,
            start=local(MONDAY, "10:00"),
            client_id=online.client.id,
            actor="reception",
            now=NOW + timedelta(minutes=20),
        )
    assert again.status == BookingStatus.BOOKED.value


def test_a_confirmed_hold_is_a_booking_with_its_invitation_and_never_lapses(db, online):
    held = ask(db, online)
    with db.transaction() as session:
        holds.confirm(session, held.hold_token, now=NOW + timedelta(minutes=14))
    assert status_of(db, held.id) == BookingStatus.BOOKED.value
    assert [m.recipient for m in messages(db, held.id, MessageKind.INVITE)] == ["new@example.com"]
    with db.transaction() as session:
        assert holds.expire(session, now=NOW + timedelta(days=30)) == []
    assert status_of(db, held.id) == BookingStatus.BOOKED.value


def test_a_confirmation_link_used_twice_books_once(db, online):
    held = ask(db, online)
    for minutes in (1, 2):
        with db.transaction() as session:
            booking = holds.confirm(session, held.hold_token, now=NOW + timedelta(minutes=minutes))
            assert booking.id == held.id
    assert status_of(db, held.id) == BookingStatus.BOOKED.value
    assert len(messages(db, held.id, MessageKind.INVITE)) == 1
    with db.read() as session:
        actions = [e.action for e in session.get(Booking, held.id).events]
    assert actions == ["held", "confirmed"]


def test_a_confirmation_after_the_hold_lapsed_is_refused_and_books_nothing(
    db, online, writes_nothing
):
    held = ask(db, online)
    late = held.hold_expires_at
    writes_nothing(HoldExpired, lambda s: holds.confirm(s, held.hold_token, now=late))
    with db.transaction() as session:
        holds.expire(session, now=late)
    writes_nothing(HoldExpired, lambda s: holds.confirm(s, held.hold_token, now=late))


def test_an_unknown_or_malformed_link_is_not_found(db, online, writes_nothing):
    for token in ("x" * 32, "", "a" * 500, "\x00" * 20, "é" * 20):
        writes_nothing(NotFound, lambda s, t=token: holds.confirm(s, t, now=NOW))


def test_a_fourth_unconfirmed_hold_for_one_address_is_refused_and_writes_nothing(
    db, online, writes_nothing
):
    for at in ("09:15", "11:00", "13:00"):
        ask(db, online, at, email="Many@Example.com")
    error = writes_nothing(
        TooManyHolds,
        lambda s: holds.request_online(
            s,
            treatment_type_id=online.facial.id,
            start=local(MONDAY + timedelta(days=1), "10:00"),
            name="Nina Kos",
            email="many@example.com",
            phone="",
            note="",
            consent=True,
            now=NOW,
        ),
    )
    assert error.field == "email"
    # Once one lapses, there is room for another.
    ask(db, online, "15:00", email="many@example.com", now=NOW + timedelta(minutes=16))


def test_a_released_hold_frees_its_time_at_once_and_cannot_be_confirmed(db, online):
    held = ask(db, online)
    with db.transaction() as session:
        holds.release(session, held.hold_token, now=NOW, actor="client", reason="declined")
    assert status_of(db, held.id) == BookingStatus.CANCELLED.value
    with pytest.raises(HoldExpired), db.transaction() as session:
        holds.confirm(session, held.hold_token, now=NOW)


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"online_booking": False}, OnlineBookingClosed),
    ],
)
def test_nothing_is_held_while_online_booking_is_off(db, online, writes_nothing, change, error):
    with db.transaction() as session:
        catalog.configure_clinic(session, **change)
    writes_nothing(
        error,
        lambda s: holds.request_online(
            s,
            treatment_type_id=online.facial.id,
            start=local(MONDAY, "10:00"),
            name="Nina",
            email="n@example.com",
            phone="",
            note="",
            consent=True,
            now=NOW,
        ),
    )


def test_a_treatment_not_open_online_cannot_be_held_from_the_page(db, online, writes_nothing):
    writes_nothing(
        OnlineBookingClosed,
        lambda s: holds.request_online(
            s,
            treatment_type_id=online.consult.id,
            start=local(MONDAY, "10:00"),
            name="Nina",
            email="n@example.com",
            phone="",
            note="",
            consent=True,
            now=NOW,
        ),
    )


BAD_FORMS = [
    ({"name": ""}, "name"),
    ({"name": "x" * 201}, "name"),
    ({"name": "Nina\r\nBcc: x@example.com"}, "name"),
    ({"name": "Ni\x00na"}, "name"),
    ({"email": "not an address"}, "email"),
    ({"email": "a@b.example\r\nBcc: x@example.com"}, "email"),
    ({"phone": "1" * 51}, "phone"),
    ({"note": "\x00"}, "note"),
    ({"note": "x" * 2001}, "note"),
    ({"consent": False}, "consent"),
    ({"treatment_type_id": 0}, "treatment_type_id"),
    ({"treatment_type_id": 2**40}, "treatment_type_id"),
]


@pytest.mark.parametrize(("change", "field"), BAD_FORMS, ids=[f for _, f in BAD_FORMS])
def test_a_bad_request_names_its_field_and_writes_nothing(
    db, online, writes_nothing, change, field
):
    values = {
        "treatment_type_id": online.facial.id,
        "start": local(MONDAY, "10:00"),
        "name": "Nina Kos",
        "email": "n@example.com",
        "phone": "",
        "note": "",
        "consent": True,
        "now": NOW,
        **change,
    }
    error = writes_nothing(
        (InvalidInput, OnlineBookingClosed), lambda s: holds.request_online(s, **values)
    )
    assert error.field == field


def test_a_hold_in_html_is_stored_as_text_and_the_guards_count_it(db, online):
    held = ask(db, online, name="<script>alert(1)</script>")
    with db.read() as session:
        assert session.get(Booking, held.id).client.name == "<script>alert(1)</script>"
    # The database's own guard refuses an overlapping row even without the rules.
    with pytest.raises(Exception) as caught, db.transaction() as session:
        session.execute(
            text(
                "UPDATE booking SET therapist_id = :t WHERE id = :other",
            ),
            {"t": online.anna.id, "other": held.id},
        )
        session.add(
            Booking(
                uid="guard-test",
                treatment_type_id=online.facial.id,
                therapist_id=online.anna.id,
                room_id=online.room2.id,
                client_id=online.client.id,
                start_at=held.start_at,
                end_at=held.end_at,
                blocked_start=held.blocked_start,
                blocked_end=held.blocked_end,
                access_token="guard-test",
            )
        )
        session.flush()
    assert "booking_no_therapist_overlap" in str(caught.value)


# -- the receptionist lets a hold go -----------------------------------------------------------


def let_go(session, held, **kwargs):
    values = {"expected_sequence": held.sequence, "actor": "reception", "now": NOW, **kwargs}
    return holds.let_go(session, held.id, **values)


def test_a_receptionist_lets_a_hold_go_and_its_time_is_bookable_at_once(db, online):
    held = ask(db, online, "10:00")
    with db.transaction() as session:
        let_go(session, held)
    assert status_of(db, held.id) == BookingStatus.CANCELLED.value
    with db.read() as session:
        [event] = [e for e in session.get(Booking, held.id).events if e.action == "released"]
        assert (event.actor, event.changes["reason"]) == ("reception", holds.STAFF_REASON)
    with db.transaction() as session:
        book(
            session,
            treatment_type_id=online.facial.id,
            start=local(MONDAY, "10:00"),
            client_id=online.client.id,
            actor="reception",
            now=NOW,
        )
    with db.transaction() as session, pytest.raises(HoldExpired):
        holds.confirm(session, held.hold_token, now=NOW)


def test_a_hold_let_go_already_is_refused_as_gone_and_writes_nothing(db, online, writes_nothing):
    held = ask(db, online)
    with db.transaction() as session:
        let_go(session, held)
    err = writes_nothing(HoldExpired, lambda s: let_go(s, held))
    assert "let go already" in err.message


def test_a_hold_confirmed_meanwhile_is_not_let_go(db, online, writes_nothing):
    held = ask(db, online)
    with db.transaction() as session:
        holds.confirm(session, held.hold_token, now=NOW)
    err = writes_nothing(InvalidTransition, lambda s: let_go(s, held))
    assert "confirmed this hold meanwhile" in err.message
    assert status_of(db, held.id) == BookingStatus.BOOKED.value


def test_letting_go_a_hold_changed_since_the_page_showed_it_is_refused(db, online, writes_nothing):
    held = ask(db, online)
    err = writes_nothing(
        ChangedMeanwhile, lambda s: let_go(s, held, expected_sequence=held.sequence + 1)
    )
    assert err.current_version == held.sequence
    assert status_of(db, held.id) == BookingStatus.HELD.value


@pytest.mark.parametrize(
    ("change", "error", "field"),
    [
        ({"booking_id": 0}, InvalidInput, "booking_id"),
        ({"booking_id": "1"}, InvalidInput, "booking_id"),
        ({"booking_id": 999}, NotFound, "booking_id"),
        ({"expected_sequence": "0"}, InvalidInput, "version"),
        ({"expected_sequence": None}, InvalidInput, "version"),
        ({"actor": ""}, InvalidInput, "actor"),
        ({"now": NOW.replace(tzinfo=None)}, InvalidInput, "now"),
    ],
)
def test_letting_a_hold_go_with_bad_input_names_the_field_and_writes_nothing(
    db, online, writes_nothing, change, error, field
):
    held = ask(db, online)
    values = {"expected_sequence": held.sequence, "actor": "reception", "now": NOW}
    values.update({k: v for k, v in change.items() if k != "booking_id"})
    booking_id = change.get("booking_id", held.id)
    err = writes_nothing(error, lambda s: holds.let_go(s, booking_id, **values))
    assert err.field == field
