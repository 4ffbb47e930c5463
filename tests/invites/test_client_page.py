"""The client's page at /b/<access_token>: see the session, get its .ics, cancel it in time."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update
from sqlmodel import col, select

from services.scheduler import client_pages, create_app
from shared.config import Settings
from shared.db import Database
from shared.mailer import Mailer
from shared.models import Booking, BookingEvent, Client, Clinic
from tests.factories import MONDAY, local
from tests.invites.conftest import SmtpServer, book, drain, text_body, vcalendar, vevent


@pytest.fixture
def app(mail_settings: Settings, db: Database) -> Iterator[Flask]:
    yield create_app({"SETTINGS": mail_settings, "DATABASE": db, "TESTING": True})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _booking(db: Database, booking_id: int) -> Booking:
    with db.read() as session:
        found = session.get(Booking, booking_id)
        assert found is not None
        return found


def _form_token(page: str) -> str:
    match = re.search(r'name="form_token" value="([^"]+)"', page)
    assert match, "the page has no cancel form"
    return match.group(1)


def test_the_page_shows_the_session_in_the_clinics_zone_with_its_ics_link_and_a_cancel_form(
    db, clinic, client: FlaskClient
):
    booking_id = book(db, clinic, local(MONDAY, "10:00"))
    token = _booking(db, booking_id).access_token

    response = client.get(f"/b/{token}")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    for expected in (
        "Facial rejuvenation",
        "Anna Novak",
        "Monday 1 March 2027, 10:00\u201311:00 (Ljubljana time)",  # 09:00 UTC
        "Room 1",
        "Trubarjeva 1, Ljubljana",
        "+386 1 000 00 00",
        f'href="https://clinic.example/feeds/booking/{token}.ics"',
        "You can cancel online until Sunday 28 February 2027, 10:00.",
        f'action="/b/{token}/cancel"',
    ):
        assert expected in page
    assert _form_token(page)


def test_the_client_cancels_through_the_page_and_gets_the_cancel_invitation(
    db, clinic, client: FlaskClient, smtp: SmtpServer, mailer: Mailer
):
    booking_id = book(db, clinic, local(MONDAY, "10:00"))
    drain(mailer)
    token = _booking(db, booking_id).access_token
    form = _form_token(client.get(f"/b/{token}").get_data(as_text=True))

    response = client.post(f"/b/{token}/cancel", data={"form_token": form, "reason": "Going away"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/b/{token}?done=cancelled"
    after = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your appointment is cancelled. A confirmation is on its way" in after
    assert "This appointment is cancelled." in after
    assert 'name="form_token"' not in after

    made = _booking(db, booking_id)
    assert (made.status, made.cancel_reason, made.sequence) == ("cancelled", "Going away", 1)
    with db.read() as session:
        last = session.exec(
            select(BookingEvent)
            .where(BookingEvent.booking_id == booking_id)
            .order_by(col(BookingEvent.id).desc())
        ).first()
        assert last is not None
        assert (last.action, last.actor) == ("cancelled", "client (online)")

    drain(mailer)
    invite, cancel = (r.message for r in smtp.inbox.messages())
    assert str(vcalendar(cancel)["METHOD"]) == "CANCEL"
    assert str(vevent(cancel)["STATUS"]) == "CANCELLED"
    assert str(vevent(cancel)["UID"]) == str(vevent(invite)["UID"])
    assert int(vevent(cancel)["SEQUENCE"]) == 1
    assert "Reason: Going away" in text_body(cancel)


@pytest.mark.parametrize("problem", ["missing", "tampered", "other booking", "expired"])
def test_a_cancel_without_a_valid_form_token_is_refused_and_changes_nothing(
    db, clinic, client: FlaskClient, monkeypatch: pytest.MonkeyPatch, problem: str
):
    booking_id = book(db, clinic, local(MONDAY, "10:00"))
    other_id = book(
        db,
        clinic,
        local(MONDAY, "10:00"),
        client_id=clinic.other_client.id,
        treatment_type_id=clinic.consult.id,
    )
    token = _booking(db, booking_id).access_token
    form = _form_token(client.get(f"/b/{token}").get_data(as_text=True))
    other_form = _form_token(
        client.get(f"/b/{_booking(db, other_id).access_token}").get_data(as_text=True)
    )
    data = {
        "missing": {},
        "tampered": {"form_token": form[:-3] + ("AAA" if not form.endswith("AAA") else "BBB")},
        "other booking": {"form_token": other_form},
        "expired": {"form_token": form},
    }[problem]
    if problem == "expired":
        monkeypatch.setattr(client_pages.FORM_TOKENS, "max_age_seconds", -1)

    response = client.post(f"/b/{token}/cancel", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Please" in page and "try again" in page
    assert 'role="alert"' in page
    assert _booking(db, booking_id).status == "booked"


def test_cancelling_too_late_shows_the_clinics_notice_as_a_message_and_changes_nothing(
    db, clinic, client: FlaskClient, app: Flask
):
    booking_id = book(db, clinic, local(MONDAY, "10:00"))
    token = _booking(db, booking_id).access_token
    with app.test_request_context():
        form = client_pages.FORM_TOKENS.issue(token)  # as if the page had been open since earlier
    with db.transaction() as session:  # beyond what the settings allow: the session is "soon"
        session.execute(update(Clinic).values(cancellation_notice_hours=24 * 365 * 3))

    page = client.get(f"/b/{token}").get_data(as_text=True)
    assert 'name="form_token"' not in page
    assert "Online cancellation closed on" in page
    assert "please call us at +386 1 000 00 00" in page

    response = client.post(f"/b/{token}/cancel", data={"form_token": form})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "can be cancelled online up to 26280 hours before" in page
    assert 'role="alert"' in page
    assert _booking(db, booking_id).status == "booked"


def test_a_second_cancel_of_a_cancelled_session_is_a_message_not_an_error(
    db, clinic, client: FlaskClient
):
    booking_id = book(db, clinic, local(MONDAY, "10:00"))
    token = _booking(db, booking_id).access_token
    form = _form_token(client.get(f"/b/{token}").get_data(as_text=True))
    assert client.post(f"/b/{token}/cancel", data={"form_token": form}).status_code == 303

    again = client.post(f"/b/{token}/cancel", data={"form_token": form})
    assert again.status_code == 422
    page = again.get_data(as_text=True)
    assert "already cancelled" in page
    assert "This appointment is cancelled." in page
    assert 'href="https://clinic.example/feeds/' not in page


def test_a_too_long_reason_is_a_message_and_changes_nothing(db, clinic, client: FlaskClient):
    booking_id = book(db, clinic, local(MONDAY, "10:00"))
    token = _booking(db, booking_id).access_token
    form = _form_token(client.get(f"/b/{token}").get_data(as_text=True))
    response = client.post(f"/b/{token}/cancel", data={"form_token": form, "reason": "x" * 1001})
    assert response.status_code == 422
    assert "The reason is too long: at most 1000 characters." in response.get_data(as_text=True)
    assert _booking(db, booking_id).status == "booked"


@pytest.mark.parametrize(
    "path",
    ["/b/" + "A" * 32, "/b/short", "/b/" + "x" * 65, "/b/" + "A" * 32 + "/cancel"],
)
def test_an_unknown_link_is_a_404_page_that_names_nothing(db, clinic, client: FlaskClient, path):
    book(db, clinic, local(MONDAY, "10:00"))
    response = (
        client.post(path, data={"form_token": "x"})
        if path.endswith("/cancel")
        else client.get(path)
    )
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "This link is not valid" in page
    assert "Eva" not in page


def test_the_page_is_not_cached_framed_indexed_or_leaked_through_the_referrer(
    db, clinic, client: FlaskClient
):
    booking_id = book(db, clinic, local(MONDAY, "10:00"))
    response = client.get(f"/b/{_booking(db, booking_id).access_token}")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "noindex" in response.headers["X-Robots-Tag"]


def test_the_page_is_in_the_clinics_colour_from_the_booking_pages_stylesheet(
    db, clinic, client: FlaskClient
):
    booking_id = book(db, clinic, local(MONDAY, "10:00"))
    response = client.get(f"/b/{_booking(db, booking_id).access_token}")
    page = response.get_data(as_text=True)
    assert '<link rel="stylesheet" href="/book/theme.css">' in page
    assert 'class="button"' in page and "a.button, button.take { background: var(--brand)" in page
    assert "style-src 'self'" in response.headers["Content-Security-Policy"]


def test_names_are_escaped_on_the_page(db, clinic, client: FlaskClient):
    booking_id = book(db, clinic, local(MONDAY, "10:00"))
    with db.transaction() as session:
        session.execute(update(Clinic).values(name="<script>alert(1)</script>"))
        session.execute(update(Client).values(name="<b>Eva</b>"))
    page = client.get(f"/b/{_booking(db, booking_id).access_token}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
