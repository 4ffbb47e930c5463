"""The week view beside the day view, the marker both poll, and moving a session by drag:
the drop goes through the booking rules with the version the view was drawn with."""

from __future__ import annotations

import re
from datetime import timedelta

from shared import booking
from shared.models import Booking
from tests.dashboard.conftest import text
from tests.factories import MONDAY, NOW, local


def _book(db, clinic, hhmm, *, day=MONDAY, client=None, therapist=None):
    with db.transaction() as s:
        made = booking.book(
            s,
            treatment_type_id=clinic.facial.id,
            start=local(day, hhmm),
            client_id=(client or clinic.client).id,
            therapist_id=therapist.id if therapist else None,
            actor="t",
            now=NOW,
        )
        return made.id, made.sequence


def _row(db, booking_id):
    with db.read() as s:
        b = s.get(Booking, booking_id)
        return b.start_at, b.therapist_id, b.room_id, b.sequence


def test_the_week_shows_each_days_sessions_in_the_therapists_row(reception, db, clinic):
    _book(db, clinic, "10:00")
    _book(db, clinic, "11:00", day=MONDAY + timedelta(days=3))
    page = text(reception.get("/week?date=2027-03-03&by=therapist"))  # a Wednesday
    assert "Week of 01.03.2027 \u2013 07.03.2027" in page  # the clinic's locale (Ljubljana)
    assert page.count('<span class="b-client">Eva Horvat</span>') == 2
    assert f'data-live-key="cell-{clinic.anna.id}-2027-03-04"' in page
    assert "10:00\u201311:00" in page and "11:00\u201312:00" in page
    assert "Not working" in page  # the weekend
    by_room = text(reception.get("/week?date=2027-03-01&by=room"))
    assert "Room 1" in by_room and "Anna Novak" in by_room


def test_the_live_marker_changes_when_a_booking_is_made_elsewhere(reception, db, clinic):
    before = reception.get("/live").get_json()["marker"]
    assert reception.get("/live").get_json()["marker"] == before
    _book(db, clinic, "10:00")
    assert reception.get("/live").get_json()["marker"] != before
    page = text(reception.get("/?date=2027-03-01"))
    assert f'data-live-marker="{reception.get("/live").get_json()["marker"]}"' in page


def test_a_dropped_session_moves_through_the_rules(reception, db, clinic):
    booking_id, version = _book(db, clinic, "10:00")
    response = reception.post(
        f"/booking/{booking_id}/drop",
        {"date": "2027-03-01", "time": "14:00", "therapist_id": clinic.anna.id, "version": version},
    )
    assert response.status_code == 200, text(response)
    assert response.get_json()["ok"] is True
    assert "14:00" in response.get_json()["message"]
    assert _row(db, booking_id)[0] == local(MONDAY, "14:00")


def test_a_drop_on_a_taken_time_is_refused_with_the_reason_and_changes_nothing(
    reception, db, clinic
):
    booking_id, version = _book(db, clinic, "10:00")
    _book(db, clinic, "14:00", client=clinic.other_client)
    before = _row(db, booking_id)
    response = reception.post(
        f"/booking/{booking_id}/drop",
        {"date": "2027-03-01", "time": "14:00", "therapist_id": clinic.anna.id, "version": version},
    )
    assert response.status_code == 409, text(response)
    body = response.get_json()
    assert body["ok"] is False and "14:00" in body["message"], body
    assert _row(db, booking_id) == before


def test_a_drop_from_a_view_drawn_before_another_change_is_refused(reception, db, clinic):
    booking_id, version = _book(db, clinic, "10:00")
    with db.transaction() as s:
        booking.reschedule(s, booking_id, actor="api", start=local(MONDAY, "12:00"), now=NOW)
    before = _row(db, booking_id)
    response = reception.post(
        f"/booking/{booking_id}/drop",
        {"date": "2027-03-01", "time": "15:00", "therapist_id": clinic.anna.id, "version": version},
    )
    assert response.status_code == 412
    assert "meanwhile" in response.get_json()["message"]
    assert _row(db, booking_id) == before


def test_a_drop_with_a_bad_time_names_the_field_and_changes_nothing(reception, db, clinic):
    booking_id, version = _book(db, clinic, "10:00")
    before = _row(db, booking_id)
    response = reception.post(
        f"/booking/{booking_id}/drop",
        {"date": "2027-03-01", "time": "25:99", "therapist_id": "x", "version": version},
    )
    assert response.status_code == 422
    assert "time" in response.get_json()["message"]
    assert _row(db, booking_id) == before


def test_the_free_times_for_a_drag_are_the_rules_free_times(reception, db, clinic):
    booking_id, _ = _book(db, clinic, "10:00")
    _book(db, clinic, "14:00", client=clinic.other_client)
    body = reception.get(f"/booking/{booking_id}/free-times?start=2027-03-01").get_json()
    anna = {t["time"] for t in body["times"] if t["therapist_id"] == clinic.anna.id}
    assert "09:00" not in anna or "16:00" in anna  # whatever the hours, 14:00 is taken
    assert "14:00" not in anna and "13:30" not in anna
    assert reception.get(f"/booking/{booking_id}/free-times").status_code == 422


CHECKED = re.compile(r'name="slot" value="([^"]+)" checked')


def test_with_a_therapist_chosen_the_form_offers_a_week_of_free_times(reception, db, clinic):
    page = text(
        reception.get(
            "/book/",
            query_string={
                "treatment_type_id": clinic.facial.id,
                "date": "2027-03-01",
                "therapist_id": clinic.anna.id,
            },
        )
    )
    assert "Monday 01.03.2027" in page and "Friday 05.03.2027" in page
    assert "Saturday 06.03.2027" not in page  # Anna does not work at weekends
    assert "Monday 08.03.2027" not in page  # a week, not more


def test_a_time_clicked_in_the_day_view_picks_the_first_free_time_from_then(reception, db, clinic):
    _book(db, clinic, "14:00", client=clinic.other_client)
    query = {
        "treatment_type_id": clinic.facial.id,
        "date": "2027-03-01",
        "therapist_id": clinic.anna.id,
    }
    free = text(reception.get("/book/", query_string={**query, "at": "10:00"}))
    assert CHECKED.findall(free) == [f"{local(MONDAY, '10:00').isoformat()}|{clinic.anna.id}"]
    assert "10:00 is free and chosen below." in free
    taken = text(reception.get("/book/", query_string={**query, "at": "14:00"}))
    # taken till 15:00 and its clean-up: the first free time after it
    assert CHECKED.findall(taken) == [f"{local(MONDAY, '15:30').isoformat()}|{clinic.anna.id}"]
    assert "Mon 01.03.2027 14:00 is not free: the first free time from 14:00 on" in taken
    late = text(reception.get("/book/", query_string={**query, "at": "16:30"}))
    assert CHECKED.findall(late) == []  # her last start is 16:00 every day: none is chosen
    nonsense = text(reception.get("/book/", query_string={**query, "at": "25:99"}))
    assert CHECKED.findall(nonsense) == [] and "Free times" in nonsense
