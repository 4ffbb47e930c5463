"""What once answered 500 in the dashboard is a 4xx (or the page with a message) naming the
field, and writes nothing: ids beyond the database in paths, filters and forms, `?page=-1`,
`?id=abc`, NUL in any search box or form, dates at year 1 or 9999, times the clocks skip."""

from __future__ import annotations

from datetime import date, time

import pytest

from shared import booking, catalog, clinic_time
from tests.dashboard.conftest import text
from tests.factories import NOW, TZ
from tests.integration.conftest import everything

HUGE = "99999999999999999999"

# (path, expected status, a phrase the page must show)
PAGES = [
    ("/booking/99999999999", 404, "Not found"),
    (f"/booking/{HUGE}", 404, "Not found"),
    (f"/bookings/?flt0_therapist_is={HUGE}", 200, "Invalid Filter Value"),
    ("/bookings/?flt0_room_is=%C2%B2", 200, "Invalid Filter Value"),
    (f"/bookings/?flt0_client_id={HUGE}", 200, "Invalid Filter Value"),
    ("/bookings/?flt0_date_between=0001-01-01+to+0001-01-02", 200, "Invalid Filter Value"),
    ("/bookings/?flt0_date_between=9999-12-30+to+9999-12-31", 200, "Invalid Filter Value"),
    ("/bookings/?flt0_date_on=0001-01-01", 200, "Invalid Filter Value"),
    ("/bookings/?flt0_date_on=03/03/2027", 200, "Invalid Filter Value"),  # not the clinic's
    ("/bookings/?flt0_date_on=31.02.2027", 200, "Invalid Filter Value"),
    ("/bookings/?flt0_date_between=02.03.2027+to+01.03.2027", 200, "Invalid Filter Value"),
    ("/bookings/?flt0_date_between=01.03.2027", 200, "Invalid Filter Value"),
    ("/bookings/?flt0_date_between=01.03.2027+to+02.03.2027+to+03.03.2027", 200, "Invalid"),
    ("/bookings/?flt0_date_on_or_after=9999-12-31", 200, "Invalid Filter Value"),
    ("/time-off/?flt0_starts_between=0001-01-01+to+0001-01-01", 200, "Invalid Filter Value"),
    (f"/outbox/?flt0_booking_equals={HUGE}", 200, "Invalid Filter Value"),
    (f"/book/?client_id={HUGE}", 200, "New booking"),
    ("/book/?client_id=%C2%B2", 200, "New booking"),
    (f"/booking/1?move_therapist={HUGE}", 200, "Move"),
    ("/bookings/?page=-1", 400, "page: expected a page number"),
    ("/clients/?page=-1", 400, "page: expected a page number"),
    (f"/clients/?page={HUGE}", 400, "page: expected a page number"),
    ("/clients/details/?id=abc", 404, "no record with id"),
    ("/clients/edit/?id=abc", 404, "no record with id"),
    (f"/clients/details/?id={HUGE}", 404, "no record with id"),
    ("/bookings/?search=ev%00a", 400, "search: may not contain a NUL character"),
    ("/clients/?search=ev%00a", 400, "search: may not contain a NUL character"),
    ("/outbox/?search=%00", 400, "search: may not contain a NUL character"),
    ("/book/clients?q=ev%00a", 400, "q: may not contain a NUL character"),
    ("/book/?q=ev%00a", 400, "q: may not contain a NUL character"),
    ("/?date=9999-12-31", 200, "more than 10 years away"),
]


@pytest.mark.parametrize(("path", "status", "phrase"), PAGES, ids=[p[0] for p in PAGES])
def test_a_hostile_address_is_answered_with_a_page_that_says_what_is_wrong(
    reception, facial_at_ten, path, status, phrase
):
    response = reception.get(path)
    assert response.status_code == status, text(response)[:2000]
    assert phrase.lower() in text(response).lower()


def test_a_slot_for_a_therapist_beyond_the_database_is_refused_under_the_field(
    reception, facial_at_ten, db, clinic
):
    values = {
        "treatment_type_id": str(clinic.facial.id),
        "slot": f"2027-03-02T10:00:00+01:00|{HUGE}",
        "client_id": str(clinic.client.id),
    }
    before = everything(db)
    response = reception.post("/book/", values)
    assert response.status_code == 422
    assert "no record has an id above" in text(response)
    assert everything(db) == before


@pytest.mark.parametrize(
    ("values", "phrase"),
    [
        ({"client_id": HUGE}, "no record has an id above"),
        ({"slot": "0001-01-01T00:00:00+01:00|1"}, "between the years 1900 and 2199"),
        ({"slot": "9999-12-31T23:00:00-01:00|1"}, "between the years 1900 and 2199"),
        ({"notes": "a\x00b"}, "notes: may not contain a NUL character"),
        ({"client_id": "", "new_name": "Maja\u2028Zupan"}, "U+2028 (line separator)"),
        ({"client_id": "", "new_name": "Maja\x0bZupan"}, "the control character U+000B"),
        (
            {"slot": "", "date": "2027-03-28", "time": "02:30", "therapist_id": "1"},
            "clocks go forward at 02:00; 03:00 is the first time that day",
        ),
    ],
)
def test_a_hostile_booking_form_is_refused_naming_the_field_and_writes_nothing(
    reception, facial_at_ten, db, clinic, values, phrase
):
    form = {
        "treatment_type_id": str(clinic.facial.id),
        "slot": "2027-03-02T10:00:00+01:00|1",
        "client_id": str(clinic.client.id),
        **values,
    }
    before = everything(db)
    response = reception.post("/book/", form)
    assert 400 <= response.status_code < 500
    assert phrase in text(response)
    assert everything(db) == before


@pytest.mark.parametrize(
    ("path", "values", "status", "phrase"),
    [
        ("/booking/{id}/cancel", {"reason": "ill\x00", "version": "0"}, 400, "reason: may not"),
        ("/clients/new/", {"name": "Eva\u2028Two"}, 200, "U+2028 (line separator)"),
        ("/clients/new/", {"name": "Eva Two", "notes": "a\x00b"}, 400, "notes: may not"),
        ("/clients/delete/", {"id": HUGE}, 404, "no record with id"),
        ("/clients/delete/", {"id": "abc"}, 404, "no record with id"),
        ("/outbox/retry/" + HUGE, {}, 404, "Not found"),
        ("/outbox/action/", {"action": "retry", "rowid": HUGE}, 404, "no record with id"),
        ("/login", {"email": "desk@clinic.example\x00", "password": "x"}, 400, "email: may not"),
    ],
)
def test_a_hostile_form_is_a_4xx_or_a_message_naming_the_field_and_writes_nothing(
    reception, facial_at_ten, db, path, values, status, phrase
):
    before = everything(db)
    response = reception.post(path.format(id=facial_at_ten), values)
    assert response.status_code == status, text(response)[:2000]
    assert phrase in text(response)
    assert everything(db) == before


def test_a_move_to_a_time_the_clocks_skip_is_refused_naming_the_jump(reception, facial_at_ten, db):
    values = {"date": "2027-03-28", "time": "02:30", "therapist_id": "1", "version": "0"}
    before = everything(db)
    response = reception.post(f"/booking/{facial_at_ten}/move", values)
    assert response.status_code == 422
    assert (
        "02:30 does not exist on Sun 28.03.2027: clocks go forward at 02:00; "
        "03:00 is the first time that day"
    ) in text(response)
    assert everything(db) == before


def test_a_session_in_the_hour_the_clocks_go_back_is_shown_with_its_offsets(reception, db, clinic):
    with db.transaction() as s:  # Anna works Sunday nights; 02:30 CEST, 45 minutes
        catalog.add_working_hours(
            s,
            therapist_id=clinic.anna.id,
            weekday=6,
            start_time=time(0),
            end_time=time(6),
        )
        night = booking.book(
            s,
            treatment_type_id=clinic.consult.id,
            start=clinic_time.wall_instant(date(2027, 10, 31), time(2, 30), TZ, "start"),
            client_id=clinic.client.id,
            actor="t",
            now=NOW,
            override_notice=True,
        )
    page = text(reception.get(f"/booking/{night.id}"))
    assert "02:30 (+02:00)\u201302:15 (+01:00)" in page  # an en dash between
    day = text(reception.get("/?date=2027-10-31"))
    assert "02:30 (+02:00)\u201302:15 (+01:00)" in day
