"""The booking page's "join the waiting list" (/book/waitlist), through HTTP: linked from the
times step with its treatment, therapist and week; a client joins and is in line; every bad
form is answered on the page under its field, nothing written, never a 500.

The app's clock is NOW, Saturday 20 February 2027 10:00 at the clinic.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from services.scheduler import create_app
from shared import catalog
from shared.models import Client, TreatmentType, WaitlistEntry
from tests.factories import MONDAY, NOW
from tests.integration.conftest import everything


@pytest.fixture
def app(settings: Any, db: Any) -> Iterator[Flask]:
    yield create_app({"SETTINGS": settings, "DATABASE": db, "TESTING": True, "CLOCK": lambda: NOW})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def online(db, clinic):
    with db.transaction() as session:
        catalog.configure_clinic(session, online_booking=True)
        session.get(TreatmentType, clinic.facial.id).online_booking = True
    return clinic


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def form(clinic, **changes):
    data = {
        "therapist": str(clinic.anna.id),
        "first_day": MONDAY.isoformat(),
        "last_day": (MONDAY + timedelta(days=13)).isoformat(),
        "mornings": "yes",
        "evenings": "yes",
        "weekdays": ["0", "2"],
        "name": "Mia Kos",
        "email": "mia@example.com",
        "phone": "+386 40 1",
        "note": "Any morning is fine",
        "consent": "yes",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_the_times_steps_link_opens_the_form_for_that_treatment_therapist_and_week(client, online):
    times = page(client.get(f"/book/times?treatment={online.facial.id}&therapist=any"))
    assert "/book/waitlist?treatment=" in times
    opened = client.get(
        f"/book/waitlist?treatment={online.facial.id}&therapist={online.anna.id}&from=2027-03-01"
    )
    assert opened.status_code == 200
    text = page(opened)
    assert "Facial rejuvenation" in text
    assert 'value="01.03.2027"' in text and 'value="29.03.2027"' in text  # four weeks
    assert f'<option value="{online.anna.id}" selected>Anna Novak</option>' in text


def test_a_client_joins_and_is_in_line_with_her_wishes(client, online, db):
    answer = client.post(f"/book/waitlist?treatment={online.facial.id}", data=form(online))
    assert answer.status_code == 303, page(answer)
    assert "You are on the waiting list" in page(client.get(answer.location))
    with db.read() as session:
        entry = session.exec(select(WaitlistEntry)).one()
        who = session.get(Client, entry.client_id)
    assert (who.name, who.email) == ("Mia Kos", "mia@example.com")
    assert (entry.therapist_id, entry.source, entry.status) == (online.anna.id, "client", "waiting")
    assert (entry.mornings, entry.afternoons, entry.evenings, entry.weekdays) == (
        True,
        False,
        True,
        0b101,
    )


def test_without_a_treatment_the_page_lists_those_open_online(client, online):
    text = page(client.get("/book/waitlist"))
    assert "Facial rejuvenation" in text and "TCM consultation" not in text


@pytest.mark.parametrize(
    ("changes", "field_message", "status"),
    [
        ({"name": ""}, "may not be empty", 422),
        ({"name": "x" * 201}, "at most 200 characters", 422),
        ({"name": "Mia\r\nBcc: x@example.com"}, "must be one line", 422),
        ({"name": "Mia\x00"}, "NUL", 422),
        ({"name": "<script>alert(1)</script>"}, None, 303),  # stored as text, shown escaped
        ({"email": "not an address"}, "is not an e-mail address", 422),
        ({"note": "x" * 2001}, "at most 2000 characters", 422),
        ({"consent": None}, "please agree to the privacy notice", 422),
        ({"first_day": "2027-13-01"}, "Write the date as dd.mm.yyyy", 422),
        ({"first_day": "31.02.2027"}, "Write the date as dd.mm.yyyy", 422),
        ({"first_day": "0001-01-01"}, "1900", 422),
        ({"first_day": "2027-03-10", "last_day": "2027-03-01"}, "the last day is before", 422),
        ({"first_day": "2020-01-01", "last_day": "2020-01-05"}, "all in the past", 422),
        ({"first_day": "2029-01-01", "last_day": "2029-01-05"}, "at most 365 days ahead", 422),
        ({"mornings": None, "evenings": None}, "choose at least one of mornings", 422),
        ({"weekdays": []}, "choose at least one weekday", 422),
        ({"therapist": str(2**40)}, "choose one from the list", 422),
        ({"therapist": "1; DROP"}, "choose one from the list", 422),
    ],
)
def test_bad_input_is_answered_on_the_page_and_writes_nothing(
    client, online, db, changes, field_message, status
):
    before = everything(db)
    answer = client.post(
        f"/book/waitlist?treatment={online.facial.id}", data=form(online, **changes)
    )
    assert answer.status_code == status, page(answer)
    if field_message is None:
        return
    assert field_message in page(answer)
    assert "<script>" not in answer.get_data(as_text=True)
    assert everything(db) == before


def test_a_therapist_who_does_not_give_it_and_a_closed_treatment_are_refused(client, online, db):
    before = everything(db)
    boris = client.post(
        f"/book/waitlist?treatment={online.facial.id}",
        data=form(online, therapist=str(online.boris.id)),
    )
    assert boris.status_code == 422
    assert "This therapist does not give this treatment online" in page(boris)
    closed = client.post(f"/book/waitlist?treatment={online.consult.id}", data=form(online))
    assert closed.status_code == 422
    assert "cannot be booked online" in page(closed)
    for query in ("treatment=abc", "treatment=99999999999", f"treatment={online.facial.id}&from=x"):
        assert client.get(f"/book/waitlist?{query}").status_code == 422
    assert everything(db) == before


def test_a_second_request_for_the_same_treatment_is_refused_naming_the_entry(client, online):
    url = f"/book/waitlist?treatment={online.facial.id}"
    assert client.post(url, data=form(online)).status_code == 303
    again = client.post(url, data=form(online))
    assert again.status_code == 409
    assert "already on the waiting list for Facial rejuvenation" in page(again)


def test_with_online_booking_off_the_page_says_so(client, online, db):
    with db.transaction() as session:
        catalog.configure_clinic(session, online_booking=False)
    answer = client.get(f"/book/waitlist?treatment={online.facial.id}")
    assert answer.status_code == 422
    assert "takes no bookings online" in page(answer)
