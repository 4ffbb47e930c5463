"""A therapist calls in sick: the receptionist enters the time off (when the clinic lets
receptionists), the sessions it hits are marked and gathered with alternatives, and one
click on an alternative moves a session."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from shared import booking, catalog
from shared.availability import available_slots
from shared.models import Booking, TimeOff
from tests.dashboard.conftest import text
from tests.factories import MONDAY, NOW, local

ALTERNATIVE = re.compile(
    r'action="/rebook/(\d+)".*?name="start" value="([^"]+)".*?name="therapist_id" value="(\d+)"'
    r'.*?name="room_id" value="(\d+)".*?name="version" value="(\d+)"',
    re.S,
)
SICK = {"starts": "2027-03-01T00:00", "ends": "2027-03-02T00:00", "reason": "Sick"}


@pytest.fixture
def annas_monday(db, clinic) -> int:
    """Eva's consult with Anna on Monday at 10:00 (Boris gives consults too)."""
    with db.transaction() as s:
        return booking.book(
            s,
            treatment_type_id=clinic.consult.id,
            start=local(MONDAY, "10:00"),
            client_id=clinic.client.id,
            therapist_id=clinic.anna.id,
            actor="t",
            now=NOW,
        ).id


@pytest.fixture
def receptionists_may(db, clinic):
    with db.transaction() as s:
        catalog.configure_clinic(s, receptionists_enter_time_off=True)


def _sick(staff, clinic):
    return staff.post("/time-off/new/", {"therapist_id": str(clinic.anna.id), **SICK})


def test_receptionists_may_not_enter_time_off_unless_the_clinic_lets_them(reception, db, clinic):
    assert _sick(reception, clinic).status_code == 403
    with db.read() as s:
        assert s.exec(select(TimeOff)).all() == []


def test_entering_a_sick_day_opens_the_list_of_sessions_to_rebook(
    receptionists_may, annas_monday, reception, clinic
):
    response = _sick(reception, clinic)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/rebook/")
    page = text(reception.get("/rebook/"))
    assert f'data-booking="{annas_monday}"' in page
    assert "Anna" in page and "is away" in page and "(Sick)" in page
    offered = ALTERNATIVE.findall(page)
    assert offered
    during = [t for _, start, t, _, _ in offered if start.startswith(MONDAY.isoformat())]
    assert during and clinic.anna.id not in {int(t) for t in during}  # another on the day
    assert len(offered) <= 3


def test_the_day_view_marks_the_sessions_a_sick_day_hits(
    receptionists_may, annas_monday, reception, clinic
):
    _sick(reception, clinic)
    day = text(reception.get("/", query_string={"date": MONDAY.isoformat(), "by": "therapist"}))
    block = day.split(f'href="/booking/{annas_monday}"')[0].rsplit("<a ", 1)[1]
    assert " away" in block
    assert "therapist away: to rebook" in day


def test_one_click_on_an_alternative_moves_the_session_and_empties_the_list(
    receptionists_may, annas_monday, reception, clinic, db
):
    _sick(reception, clinic)
    [booking_id, start, therapist_id, room_id, version] = ALTERNATIVE.findall(
        text(reception.get("/rebook/"))
    )[0]
    moved = reception.post(
        f"/rebook/{booking_id}",
        {"start": start, "therapist_id": therapist_id, "room_id": room_id, "version": version},
    )
    assert moved.status_code == 302
    with db.read() as s:
        b = s.get(Booking, annas_monday)
        assert (b.therapist_id, b.room_id, b.start_at.isoformat()) == (
            int(therapist_id),
            int(room_id),
            start,
        )
    after = text(reception.get("/rebook/"))
    assert "Moved Eva Horvat to" in after
    assert "Nothing to rebook." in after


def test_an_alternative_taken_meanwhile_is_refused_with_the_reason_and_nothing_moves(
    receptionists_may, annas_monday, reception, clinic, db
):
    _sick(reception, clinic)
    [booking_id, start, therapist_id, room_id, version] = ALTERNATIVE.findall(
        text(reception.get("/rebook/"))
    )[0]
    with db.transaction() as s:  # someone moves it on its own page meanwhile
        booking.reschedule(
            s,
            annas_monday,
            actor="t",
            start=local(MONDAY, "12:00"),
            therapist_id=clinic.boris.id,
            now=NOW,
        )
    refused = reception.post(
        f"/rebook/{booking_id}",
        {"start": start, "therapist_id": therapist_id, "room_id": room_id, "version": version},
    )
    assert refused.status_code == 412
    assert "changed by someone else" in text(refused)


def test_free_times_for_a_replacement_leave_out_the_absent_therapist(
    receptionists_may, reception, clinic, db
):
    _sick(reception, clinic)
    with db.read() as s:
        slots = available_slots(
            s, treatment_type_id=clinic.consult.id, start=MONDAY, end=MONDAY, now=NOW
        )
    assert slots and clinic.anna.id not in {slot.therapist_id for slot in slots}
