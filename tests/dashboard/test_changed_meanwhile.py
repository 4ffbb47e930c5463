"""The move, cancel and mark forms carry the version they were rendered with: a stale submit
shows "changed by someone else meanwhile" with the session as it is now, and writes nothing.
(tests/e2e/test_lost_update_gunicorn.py does the same through real processes.)"""

from __future__ import annotations

import re

import pytest

from shared import booking
from tests.dashboard.conftest import RECEPTION, log_in, text
from tests.factories import MONDAY, NOW, local
from tests.integration.conftest import everything

VERSION = re.compile(r'name="version" type="hidden" value="(\d+)"')


@pytest.fixture
def consult_at_noon(db, clinic) -> int:
    """A consultation with Anna (Boris gives them too), Monday 12:00."""
    with db.transaction() as s:
        return booking.book(
            s,
            treatment_type_id=clinic.consult.id,
            start=local(MONDAY, "12:00"),
            client_id=clinic.client.id,
            therapist_id=clinic.anna.id,
            actor="t",
            now=NOW,
        ).id


def moved_elsewhere(db, booking_id, hhmm="15:00"):
    """Someone else (the API, another receptionist) moves the session meanwhile."""
    with db.transaction() as s:
        booking.reschedule(s, booking_id, actor="api:website", start=local(MONDAY, hhmm), now=NOW)


def test_every_form_on_the_page_carries_the_version_it_shows(reception, consult_at_noon, db):
    moved_elsewhere(db, consult_at_noon)
    page = text(reception.get(f"/booking/{consult_at_noon}"))
    found = VERSION.findall(page)
    assert len(found) == 2 and set(found) == {"1"}  # move and cancel (mark: once it started)


def test_a_stale_move_changing_only_the_therapist_is_refused_and_the_session_stays_moved(
    reception, consult_at_noon, db, clinic
):
    stale = {
        "date": "2027-03-01",
        "time": "12:00",  # what the page showed when it was opened
        "therapist_id": str(clinic.boris.id),
        "version": "0",
    }
    moved_elsewhere(db, consult_at_noon)
    before = everything(db)

    response = reception.post(f"/booking/{consult_at_noon}/move", stale)

    assert response.status_code == 412
    body = text(response)
    assert "This session was changed by someone else meanwhile" in body
    assert "15:00" in body and "Anna Novak" in body  # the session as it is now
    assert VERSION.search(body).group(1) == "1"  # fresh forms, based on what is shown now
    assert everything(db) == before


@pytest.mark.parametrize(
    ("action", "values", "at"),
    [
        ("cancel", {"reason": "ill"}, NOW),
        ("completed", {}, local(MONDAY, "15:05")),
        ("no-show", {}, local(MONDAY, "15:05")),
    ],
)
def test_a_stale_cancel_or_mark_is_refused_and_writes_nothing(
    reception, consult_at_noon, db, clock, action, values, at
):
    moved_elsewhere(db, consult_at_noon)
    if at != NOW:  # days later: the log-in has expired
        clock.now = at
        log_in(reception.client, *RECEPTION)
    before = everything(db)
    response = reception.post(f"/booking/{consult_at_noon}/{action}", {**values, "version": "0"})
    assert response.status_code == 412
    assert "changed by someone else meanwhile" in text(response)
    assert everything(db) == before


@pytest.mark.parametrize("version", ["", "-1", "abc", "99999999999"])
def test_a_form_without_a_version_of_this_session_is_refused_asking_to_reload(
    reception, consult_at_noon, db, version
):
    before = everything(db)
    values = {"date": "2027-03-01", "time": "14:00", "therapist_id": "1", "version": version}
    response = reception.post(f"/booking/{consult_at_noon}/move", values)
    assert response.status_code == 422
    assert "reload it and try again" in text(response)
    assert everything(db) == before
