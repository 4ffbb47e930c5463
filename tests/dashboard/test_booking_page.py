"""A booking's page: details, history, messages; moving, cancelling and marking it."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sqlmodel import select

from shared import booking, catalog
from shared.models import Booking, BookingEvent, OutboxMessage
from tests.dashboard.conftest import RECEPTION, log_in, text
from tests.factories import MONDAY, NOW, local


@pytest.fixture
def facial(db, clinic) -> int:
    """Eva's facial with Anna in Room 1, Monday 10:00-11:00."""
    with db.transaction() as s:
        return booking.book(
            s,
            treatment_type_id=clinic.facial.id,
            start=local(MONDAY, "10:00"),
            client_id=clinic.client.id,
            actor="api:website",
            now=NOW,
            notes="Sensitive skin",
        ).id


def _row(db, booking_id):
    with db.read() as s:
        return s.get(Booking, booking_id)


def _seen(db, booking_id, **values):
    """A form's values as the page sends them: with the version it was rendered with."""
    return {**values, "version": str(_row(db, booking_id).sequence)}


def _kinds(db, booking_id):
    with db.read() as s:
        return [
            m.kind
            for m in s.exec(
                select(OutboxMessage)
                .where(OutboxMessage.booking_id == booking_id, OutboxMessage.kind != "reminder")
                .order_by(OutboxMessage.id)
            )
        ]


def test_the_page_shows_the_session_the_client_the_history_and_the_messages(reception, facial):
    page = reception.get(f"/booking/{facial}")
    assert page.status_code == 200
    body = text(page)
    for expected in (
        "Eva Horvat",
        "eva@example.com",
        "Facial rejuvenation",
        "Monday 01.03.2027, 10:00",
        "Anna Novak",
        "Room 1",
        "Sensitive skin",
        "Booked</b> by website (API key)",
        "invite",
    ):
        assert expected in body, expected
    assert "Move session" in body and "Cancel session" in body
    assert "No-show" not in body  # not started yet


def test_an_unknown_booking_is_a_404_page(reception, clinic):
    response = reception.get("/booking/999")
    assert response.status_code == 404
    assert "Not found" in text(response)


def test_moving_to_a_free_time_reschedules_and_sends_an_update(reception, db, facial):
    response = reception.post(
        f"/booking/{facial}/move",
        _seen(db, facial, date="2027-03-02", time="14:00", therapist_id="1"),
    )
    assert response.status_code == 302, text(response)
    moved = _row(db, facial)
    assert moved.start_at == local(MONDAY.replace(day=2), "14:00")
    assert moved.sequence == 1
    assert _kinds(db, facial) == ["invite", "update"]
    with db.read() as s:
        last = s.exec(select(BookingEvent).order_by(BookingEvent.id.desc())).first()
    assert (last.action, last.actor) == ("moved", f"dashboard:{RECEPTION[0]}")
    page = text(reception.get(f"/booking/{facial}"))
    assert "Moved to Tue 02.03.2027 14:00-15:00 with Anna Novak in Room 1" in page
    assert "Moved</b> by Desk (reception)" in page
    assert "Mon 01.03.2027 10:00-11:00</span> → <b>Tue 02.03.2027 14:00-15:00" in page


def _consult_with_anna(s, clinic) -> int:
    """Eva's consultation with Anna, Monday 09:00-09:45."""
    return booking.book(
        s,
        treatment_type_id=clinic.consult.id,
        start=local(MONDAY, "09:00"),
        client_id=clinic.client.id,
        therapist_id=clinic.anna.id,
        actor="t",
        now=NOW,
    ).id


def test_moving_to_another_therapist_keeps_the_time(reception, db, clinic):
    with db.transaction() as s:
        consult = _consult_with_anna(s, clinic)
    response = reception.post(
        f"/booking/{consult}/move",
        _seen(db, consult, date="2027-03-01", time="09:00", therapist_id=str(clinic.boris.id)),
    )
    assert response.status_code == 302, text(response)
    assert _row(db, consult).therapist_id == clinic.boris.id


def test_moving_onto_a_taken_time_is_refused_with_the_rules_message(reception, db, clinic, facial):
    with db.transaction() as s:
        booking.book(
            s,
            treatment_type_id=clinic.facial.id,
            start=local(MONDAY, "14:00"),
            client_id=clinic.other_client.id,
            actor="t",
            now=NOW,
        )
    response = reception.post(
        f"/booking/{facial}/move",
        _seen(db, facial, date="2027-03-01", time="14:00", therapist_id=str(clinic.anna.id)),
    )
    assert response.status_code == 422
    assert "Anna Novak is booked Mon 01.03.2027 14:00-15:00 for Facial rejuvenation" in text(
        response
    )
    assert _row(db, facial).start_at == local(MONDAY, "10:00")
    assert _kinds(db, facial) == ["invite"]


def test_moving_without_a_change_says_there_is_nothing_to_change(reception, db, clinic, facial):
    response = reception.post(
        f"/booking/{facial}/move",
        _seen(db, facial, date="2027-03-01", time="10:00", therapist_id=str(clinic.anna.id)),
    )
    assert response.status_code == 422
    assert "nothing to change" in text(response)


def test_moving_to_an_unqualified_therapist_is_refused(reception, db, clinic, facial):
    response = reception.post(
        f"/booking/{facial}/move",
        _seen(db, facial, date="2027-03-01", time="10:00", therapist_id=str(clinic.boris.id)),
    )
    assert response.status_code == 422
    assert _row(db, facial).therapist_id == clinic.anna.id


def test_free_times_for_moving_are_listed_for_the_chosen_day(reception, facial):
    body = text(reception.get(f"/booking/{facial}?move_date=2027-03-02"))
    assert "Free on Tue 02.03.2027" in body
    assert "move_time=09:00" in body


def test_cancelling_with_a_reason_cancels_and_sends_the_cancellation(reception, db, facial):
    response = reception.post(
        f"/booking/{facial}/cancel", _seen(db, facial, reason="Client has a cold")
    )
    assert response.status_code == 302, text(response)
    row = _row(db, facial)
    assert (row.status, row.cancel_reason) == ("cancelled", "Client has a cold")
    assert _kinds(db, facial) == ["invite", "cancel"]
    page = text(reception.get(f"/booking/{facial}"))
    assert "Cancelled. The client" in page
    assert "Client has a cold" in page
    assert "Move session" not in page and "Cancel session" not in page


def test_cancelling_twice_is_refused_with_a_message(reception, db, facial):
    reception.post(f"/booking/{facial}/cancel", _seen(db, facial, reason="first"))
    again = reception.post(f"/booking/{facial}/cancel", _seen(db, facial, reason="second"))
    assert again.status_code == 422
    assert "This session is already cancelled and cannot be cancelled" in text(again)
    assert _row(db, facial).cancel_reason == "first"


def test_a_session_cannot_be_marked_before_it_starts(reception, db, facial):
    response = reception.post(f"/booking/{facial}/completed", _seen(db, facial))
    assert response.status_code == 422
    assert "A session that has not started cannot be marked completed" in text(response)
    assert _row(db, facial).status == "booked"


def test_after_it_started_a_session_can_be_marked_completed(reception, db, facial, clock):
    clock.now = local(MONDAY, "11:05")
    log_in(reception.client, *RECEPTION)
    page = text(reception.get(f"/booking/{facial}"))
    assert "Completed</button>" in page and "Move session" not in page
    response = reception.post(f"/booking/{facial}/completed", _seen(db, facial))
    assert response.status_code == 302, text(response)
    assert _row(db, facial).status == "completed"
    again = reception.post(f"/booking/{facial}/no-show", _seen(db, facial))
    assert again.status_code == 422
    assert "Only a booked session can be marked no-show; this one is completed" in text(again)


def test_a_client_who_did_not_come_can_be_marked_no_show(reception, db, facial, clock):
    clock.now = local(MONDAY, "10:20")
    log_in(reception.client, *RECEPTION)
    response = reception.post(f"/booking/{facial}/no-show", _seen(db, facial))
    assert response.status_code == 302, text(response)
    assert _row(db, facial).status == "no_show"
    page = text(reception.get(f"/booking/{facial}"))
    assert "Marked no-show</b> by Desk (reception)" in page


@pytest.mark.parametrize(
    "values",
    [
        {"date": "0001-01-01", "time": "10:00"},
        {"date": "9999-12-31", "time": "10:00"},
        {"date": "2027-03-01", "time": "nonsense"},
        {"date": "2027-03-01", "time": "10:00", "therapist_id": "999"},
        {"date": "2027-03-01", "time": "10:00", "room_id": "abc"},
        {},
    ],
)
def test_a_mistyped_move_is_refused_with_a_message_never_a_500(reception, db, facial, values):
    response = reception.post(f"/booking/{facial}/move", _seen(db, facial, **values))
    assert response.status_code == 422, text(response)
    assert _row(db, facial).start_at == local(MONDAY, "10:00")


def test_actions_on_an_unknown_booking_are_404(reception, clinic):
    for action in ("move", "cancel", "completed", "no-show"):
        assert reception.post(f"/booking/999/{action}", {"reason": "x"}).status_code == 404


# -- the clinic's date, not UTC's ----------------------------------------------------------------

JUST_AFTER_MIDNIGHT = local(MONDAY - timedelta(days=9), "00:30")  # Sat 20 Feb 00:30 in Ljubljana


@pytest.fixture
def at_half_past_midnight(db, clinic, reception, clock):
    """Sat 20 Feb 2027, 00:30 at the clinic (still Fri 19 Feb in UTC); sessions bookable up
    to 9 days ahead without notice, so Mon 1 Mar is the last bookable day; Anna also works
    Mondays 00:00-02:00. Returns Eva's consultation with Anna, Mon 1 Mar 09:00."""
    assert JUST_AFTER_MIDNIGHT.date() == date(2027, 2, 19)  # the UTC date is the day before
    with db.transaction() as s:
        consult = _consult_with_anna(s, clinic)
        catalog.add_working_hours(
            s, therapist_id=clinic.anna.id, weekday=0, start_time=time(0), end_time=time(2)
        )
        catalog.configure_clinic(s, booking_horizon_days=9, min_notice_minutes=0)
    clock.now = JUST_AFTER_MIDNIGHT  # earlier than the log-in: the session stays open
    return consult


def test_just_after_local_midnight_the_last_bookable_day_offers_its_free_times_for_moving(
    reception, clinic, at_half_past_midnight
):
    moved_to = {"move_date": "2027-03-01", "move_therapist": str(clinic.anna.id)}
    body = text(reception.get(f"/booking/{at_half_past_midnight}", query_string=moved_to))
    assert "Free on Mon 01.03.2027" in body
    assert "move_time=00:00" in body and "move_time=00:15" in body
    assert "move_time=00:30" not in body  # 9 days from now ends at 00:30
    booking_form = text(
        reception.get(
            "/book/",
            query_string={
                "treatment_type_id": clinic.consult.id,
                "date": "2027-03-01",
                "therapist_id": clinic.anna.id,
            },
        )
    )
    assert local(MONDAY, "00:15").isoformat() in booking_form  # the booking form agrees


def test_just_after_local_midnight_yesterday_is_in_the_past_although_utc_is_still_on_it(
    reception, clinic, at_half_past_midnight
):
    body = text(
        reception.get(f"/booking/{at_half_past_midnight}", query_string={"move_date": "2027-02-19"})
    )
    assert "Fri 19.02.2027 is in the past" in body
    assert "Free on" not in body


def test_free_times_beyond_the_horizon_say_how_far_ahead_sessions_can_be_booked(
    reception, clinic, at_half_past_midnight
):
    body = text(
        reception.get(f"/booking/{at_half_past_midnight}", query_string={"move_date": "2027-03-02"})
    )
    assert "Sessions can be booked at most 9 days ahead" in body


def test_during_a_session_it_can_be_cancelled_or_marked_but_not_moved(reception, facial, clock):
    clock.now = local(MONDAY, "10:30")
    log_in(reception.client, *RECEPTION)
    body = text(reception.get(f"/booking/{facial}"))
    assert "Cancel session" in body and "Completed</button>" in body
    assert "Move session" not in body
