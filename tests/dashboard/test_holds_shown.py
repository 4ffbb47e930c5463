"""A time held by the booking page shows in the dashboard as awaiting the client's confirmation."""

from __future__ import annotations

import pytest

from shared import holds
from shared.models import Booking, Clinic, TreatmentType
from tests.dashboard.conftest import text
from tests.factories import MONDAY, NOW, local


def _hold(db, clinic, hhmm="10:00"):
    with db.transaction() as s:
        return holds.hold(
            s,
            treatment_type_id=clinic.facial.id,
            start=local(MONDAY, hhmm),
            client_id=clinic.client.id,
            actor="client (booking page)",
            now=NOW,
        ).id


def test_a_held_time_shows_in_the_day_view_as_awaiting_confirmation(reception, db, clinic):
    held = _hold(db, clinic)
    page = text(reception.get("/?date=2027-03-01"))
    assert f'href="/booking/{held}"' in page
    assert "status-held" in page and "Awaiting confirmation" in page


def test_a_held_booking_page_says_it_awaits_the_clients_confirmation(reception, db, clinic):
    held = _hold(db, clinic)
    page = text(reception.get(f"/booking/{held}"))
    assert "Awaiting confirmation" in page
    assert "This time is held until Sat 20.02. 10:15," in page  # asked for 9 days before
    assert "Held, awaiting the client&#39;s confirmation" in page or (
        "Held, awaiting the client's confirmation" in page
    )


def test_a_receptionist_lets_a_hold_go_from_its_page_and_the_time_is_free(reception, db, clinic):
    held = _hold(db, clinic)
    page = text(reception.get(f"/booking/{held}"))
    assert f'action="/booking/{held}/let-go"' in page and "Let the hold go" in page
    answer = reception.post(f"/booking/{held}/let-go", {"version": "0"})
    assert answer.status_code == 302
    shown = text(reception.get(f"/booking/{held}"))
    assert "Hold let go: the time is free again." in shown
    assert "Let the hold go" not in shown
    with db.read() as s:
        assert s.get(Booking, held).status == "cancelled"
    day = text(reception.get("/?date=2027-03-01"))
    assert f'href="/booking/{held}"' not in day


def test_letting_go_a_hold_confirmed_meanwhile_says_so_and_keeps_the_booking(reception, db, clinic):
    held = _hold(db, clinic)
    with db.transaction() as s:
        holds.confirm(s, s.get(Booking, held).hold_token, now=NOW)
    answer = reception.post(f"/booking/{held}/let-go", {"version": "0"})
    assert answer.status_code == 422
    assert "The client confirmed this hold meanwhile" in text(answer)
    with db.read() as s:
        assert s.get(Booking, held).status == "booked"


@pytest.mark.parametrize(
    ("form", "status", "says"),
    [
        ({"version": "7"}, 412, "changed by someone else meanwhile"),
        ({"version": ""}, 422, "the form expired"),
        ({"version": "0", "csrf_token": "forged"}, 400, "the form was too old"),
    ],
)
def test_a_stale_or_forged_let_go_is_refused_and_the_hold_stays(
    reception, db, clinic, form, status, says
):
    held = _hold(db, clinic)
    answer = reception.post(f"/booking/{held}/let-go", form)
    assert answer.status_code == status
    assert says in text(answer).lower()
    with db.read() as s:
        assert s.get(Booking, held).status == "held"


def test_an_admin_switches_online_booking_on_and_sets_how_long_a_hold_waits(admin, db, clinic):
    form = {
        "name": "Test Clinic",
        "timezone": "Europe/Ljubljana",
        "slot_step_minutes": "15",
        "booking_horizon_days": "365",
        "course_horizon_weeks": "26",
        "min_notice_minutes": "120",
        "cancellation_notice_hours": "24",
        "reminder_hours_before": "24",
        "online_booking": "y",
        "hold_minutes": "20",
        "offer_hours": "3",
    }
    assert admin.post("/settings/", form).status_code == 302
    with db.read() as s:
        row = s.get(Clinic, 1)
        assert (row.online_booking, row.hold_minutes, row.offer_hours) == (True, 20, 3)
    refused = admin.post("/settings/", {**form, "hold_minutes": "0"})
    assert refused.status_code == 422 and "hold_minutes" in text(refused)
    with db.read() as s:
        assert s.get(Clinic, 1).hold_minutes == 20


def test_a_treatment_type_is_opened_for_online_booking_from_its_form(admin, db, clinic):
    page = text(admin.get(f"/treatment-types/edit/?id={clinic.consult.id}"))
    assert 'name="online_booking"' in page
    with db.read() as s:
        assert s.get(TreatmentType, clinic.consult.id).online_booking is False
    form = {
        "name": "TCM consultation",
        "duration_minutes": "45",
        "buffer_before_minutes": "0",
        "buffer_after_minutes": "0",
        "price": "0",
        "currency": "EUR",
        "colour": "#8fbc8f",
        "active": "y",
        "online_booking": "y",
    }
    admin.post(f"/treatment-types/edit/?id={clinic.consult.id}", form)
    with db.read() as s:
        assert s.get(TreatmentType, clinic.consult.id).online_booking is True
