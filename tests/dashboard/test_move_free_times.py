"""The move card's free times: for the therapist picked, with the session out of its own way,
and an empty list that says why (bugs 1, 2 and 3 of the receptionist's day)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared import booking, catalog, clients
from shared.availability import available_slots
from tests.dashboard.conftest import text
from tests.factories import MONDAY, NOW, local

TUESDAY = MONDAY + timedelta(days=1)
SATURDAY = MONDAY + timedelta(days=5)


@pytest.fixture
def consult(db, clinic) -> int:
    """Eva's consultation with Anna, Monday 10:00-10:45."""
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


def _free(staff, booking_id, **args):
    body = text(staff.get(f"/booking/{booking_id}", query_string=args))
    return body, body.split('id="move"')[1].split("</section>")[0]


def test_the_free_times_form_lets_the_therapist_be_picked_with_the_day(reception, clinic, consult):
    _, card = _free(reception, consult, move_date=MONDAY.isoformat())
    form = card.split('class="free-on"')[1].split("</form>")[0]
    assert '<select name="move_therapist"' in form
    assert f'<option value="{clinic.boris.id}">' in form


def test_free_times_for_any_therapist_list_every_therapists_times(reception, clinic, consult):
    _, card = _free(reception, consult, move_date=MONDAY.isoformat(), move_therapist="")
    assert f"move_therapist={clinic.anna.id}" in card
    assert f"move_therapist={clinic.boris.id}" in card
    _, card = _free(
        reception, consult, move_date=MONDAY.isoformat(), move_therapist=str(clinic.boris.id)
    )
    assert f"move_therapist={clinic.anna.id}" not in card
    assert f"Free on Mon 01.03.2027 with {clinic.boris.name}" in card


def test_free_times_for_a_move_include_times_overlapping_the_sessions_own_slot(
    reception, clinic, consult
):
    _, card = _free(reception, consult, move_date=MONDAY.isoformat())
    assert "move_time=10:15" in card  # 10:15-11:00 overlaps 10:00-10:45, its own
    assert "move_time=09:45" in card


def test_an_empty_list_says_the_therapist_does_not_work_that_day(reception, clinic, consult):
    _, card = _free(
        reception, consult, move_date=SATURDAY.isoformat(), move_therapist=str(clinic.anna.id)
    )
    assert f"{clinic.anna.name} does not work on Sat 06 Mar" in card


def test_an_empty_list_says_the_therapist_is_away(reception, db, clinic, consult):
    with db.transaction() as s:
        catalog.add_time_off(
            s,
            therapist_id=clinic.anna.id,
            start=local(TUESDAY, "00:00"),
            end=local(TUESDAY + timedelta(days=1), "00:00"),
            reason="Sick",
        )
    _, card = _free(
        reception, consult, move_date=TUESDAY.isoformat(), move_therapist=str(clinic.anna.id)
    )
    assert f"{clinic.anna.name} is away on Tue 02 Mar (Sick)" in card


def test_an_empty_list_says_the_day_is_fully_booked(reception, db, clinic, consult):
    with db.transaction() as s:
        n = 0
        while slots := available_slots(
            s,
            treatment_type_id=clinic.consult.id,
            start=TUESDAY,
            end=TUESDAY,
            now=NOW,
            therapist_id=clinic.boris.id,
        ):
            someone = clients.create_client(s, name=f"Client {n}")
            booking.book(
                s,
                treatment_type_id=clinic.consult.id,
                start=slots[0].start,
                client_id=someone.id,
                therapist_id=clinic.boris.id,
                actor="t",
                now=NOW,
            )
            n += 1
    _, card = _free(
        reception, consult, move_date=TUESDAY.isoformat(), move_therapist=str(clinic.boris.id)
    )
    assert f"Fully booked on Tue 02 Mar with {clinic.boris.name}" in card
