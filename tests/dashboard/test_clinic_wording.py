"""The dashboard speaks the clinic's language: no library wording, no "session(s)", an icon
where browsers look for it, and people in the history rather than technical actor strings."""

from __future__ import annotations

from sqlmodel import select

from shared import actors, booking
from shared.models import User
from tests.dashboard.conftest import RECEPTION, text
from tests.factories import MONDAY, NOW, local


def test_the_favicon_is_served_without_a_log_in(app):
    response = app.test_client().get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"


def test_every_page_names_its_icon(reception):
    assert 'rel="icon"' in text(reception.get("/"))


def test_a_saved_record_is_confirmed_in_the_clinics_words(reception):
    response = reception.post(
        "/clients/new/", {"name": "Maja Božič", "email": "", "phone": "", "notes": ""}
    )
    assert response.status_code == 302
    page = text(reception.get(response.headers["Location"]))
    assert "Saved." in page
    assert "Record was successfully created." not in page


def test_the_history_names_an_api_key_by_its_name_not_the_technical_actor(reception, db, clinic):
    with db.transaction() as s:
        made = booking.book(
            s,
            treatment_type_id=clinic.consult.id,
            start=local(MONDAY, "10:00"),
            client_id=clinic.client.id,
            actor=actors.api_actor("website"),
            now=NOW,
        )
    history = text(reception.get(f"/booking/{made.id}")).split("History")[1]
    assert "by website (API key)" in history
    assert "api:" not in history


def test_a_booking_made_in_the_dashboard_names_the_staff_member_in_its_history(
    admin, reception, db, clinic
):
    with db.read() as s:
        desk = s.exec(select(User).where(User.email == RECEPTION[0])).one()
    renamed = admin.post(
        f"/staff/edit/?id={desk.id}", {"name": "Ana", "role": "receptionist", "active": "y"}
    )
    assert renamed.status_code == 302, text(renamed)
    slot = f"{local(MONDAY, '10:00').isoformat()}|{clinic.anna.id}"
    made = reception.post(
        "/book/",
        {
            "treatment_type_id": clinic.facial.id,
            "date": MONDAY.isoformat(),
            "client_id": clinic.client.id,
            "slot": slot,
        },
    )
    assert made.status_code == 302, text(made)
    history = text(reception.get(made.headers["Location"])).split("History")[1]
    assert "by Ana (reception)" in history
    assert "dashboard:" not in history and RECEPTION[0] not in history


def test_the_outbox_column_is_not_called_an_error_when_it_holds_notes(admin):
    page = text(admin.get("/outbox/"))
    assert "Last error" not in page
