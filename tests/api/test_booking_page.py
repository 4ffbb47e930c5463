"""The booking page at /book, through HTTP: every step, the hold and its confirmation, the
limits (429, nothing written), the page switched off, and bad input on every form and query.

The clinic (tests/factories.py) with online booking on and only the facial open online; the
app's clock is NOW, Saturday 20 February 2027 10:00 at the clinic.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from services.scheduler import create_app
from shared import catalog, holds
from shared.models import Booking, BookingStatus, Clinic, MessageKind, OutboxMessage, TreatmentType
from tests.factories import MONDAY, NOW, local
from tests.integration.conftest import everything


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(settings: Any, db: Any, clock: Clock) -> Iterator[Flask]:
    yield create_app({"SETTINGS": settings, "DATABASE": db, "TESTING": True, "CLOCK": clock})


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


def details_url(clinic, at="10:00", therapist="any", day=MONDAY) -> str:
    start = local(day, at).isoformat().replace("+", "%2B")
    return f"/book/details?treatment={clinic.facial.id}&therapist={therapist}&start={start}"


FORM = {
    "name": "Nina Kos",
    "email": "nina@example.com",
    "phone": "+386 40 123",
    "note": "",
    "consent": "yes",
}


def held(db) -> list[Booking]:
    with db.read() as session:
        return list(session.exec(select(Booking).where(Booking.status == "held")).all())


def test_the_first_step_lists_only_the_treatments_open_online_with_price_and_duration(
    client, online
):
    text = page(client.get("/book"))
    assert "Facial rejuvenation" in text and "60 minutes · 85.00 EUR" in text
    assert "TCM consultation" not in text
    assert f'href="/book/therapist?treatment={online.facial.id}"' in text


def test_the_therapist_step_offers_anyone_or_each_who_gives_the_treatment(client, online):
    text = page(client.get(f"/book/therapist?treatment={online.facial.id}"))
    assert "Any therapist" in text and "Anna Novak" in text
    assert "Boris Li" not in text  # he gives consultations only


def test_the_times_step_opens_on_the_first_week_with_free_times(client, online):
    # Saturday: nothing free this weekend, so the week of Monday 22 February comes first.
    text = page(client.get(f"/book/times?treatment={online.facial.id}&therapist=any"))
    assert "Week of Monday 22 February 2027" in text
    assert "Monday 22 February 2027" in text and ">09:15<" in text
    assert "Saturday 20 February" not in text
    assert "/book/waitlist?treatment=" in text  # h14b's waiting list takes it from here


def test_a_named_week_shows_its_days_and_links_to_the_weeks_around_it(client, online):
    text = page(
        client.get(
            f"/book/times?treatment={online.facial.id}&therapist={online.anna.id}&week=2027-03-03"
        )
    )
    assert "Week of Monday 1 March 2027" in text
    assert "week=2027-02-22" in text and "week=2027-03-08" in text


def test_booking_through_every_step_holds_the_time_and_the_link_confirms_it_once(
    client, db, online
):
    form = client.get(details_url(online, "10:00"))
    assert "Monday 1 March 2027, 10:00" in page(form)
    sent = client.post(details_url(online, "10:00"), data=FORM)
    assert sent.status_code == 303 and sent.headers["Location"].endswith("/book/sent")
    [hold] = held(db)
    assert hold.hold_expires_at == NOW + timedelta(minutes=15)
    confirm_page = page(client.get(f"/book/confirm/{hold.hold_token}"))
    assert "Confirm my appointment" in confirm_page
    assert held(db) == [hold] or len(held(db)) == 1  # opening the link changed nothing
    for _ in range(2):  # the button pressed twice
        done = client.post(f"/book/confirm/{hold.hold_token}")
        assert done.status_code == 303
    with db.read() as session:
        booking = session.get(Booking, hold.id)
        assert booking.status == BookingStatus.BOOKED.value
        invites = session.exec(
            select(OutboxMessage).where(
                OutboxMessage.booking_id == hold.id,
                OutboxMessage.kind == MessageKind.INVITE.value,
            )
        ).all()
    assert [m.recipient for m in invites] == ["nina@example.com"]
    after = page(client.get(f"/book/confirm/{hold.hold_token}?done=1"))
    assert "Your appointment is booked" in after and f"/b/{booking.access_token}" in after


def test_an_american_clinics_booking_pages_write_12_hour_times(client, db, online):
    with db.transaction() as s:
        s.get(Clinic, 1).locale = "en-US"  # type: ignore[union-attr]
    assert "Monday 1 March 2027, 2:00 PM" in page(client.get(details_url(online, "14:00")))
    client.post(details_url(online, "14:00"), data=FORM)
    [hold] = held(db)
    confirm_page = page(client.get(f"/book/confirm/{hold.hold_token}"))
    assert "Monday 1 March 2027, 2:00 PM" in confirm_page
    assert "14:00" not in confirm_page


def test_a_lapsed_link_says_so_and_its_button_books_nothing(client, db, online, clock):
    client.post(details_url(online, "10:00"), data=FORM)
    [hold] = held(db)
    clock.now = hold.hold_expires_at
    assert "no longer held" in page(client.get(f"/book/confirm/{hold.hold_token}"))
    before = everything(db)
    answer = client.post(f"/book/confirm/{hold.hold_token}")
    assert answer.status_code == 410 and "not confirmed in time" in page(answer)
    assert everything(db) == before


def test_a_time_taken_meanwhile_is_refused_on_the_form_naming_it(client, db, online):
    client.post(details_url(online, "10:00"), data=FORM)
    before = everything(db)
    answer = client.post(details_url(online, "10:30"), data={**FORM, "email": "z@example.com"})
    assert answer.status_code == 409
    assert "Choose another time" in page(answer)
    assert everything(db) == before


def test_a_fourth_unconfirmed_hold_for_one_address_is_429_and_writes_nothing(client, db, online):
    for at in ("09:15", "11:00", "13:00"):
        assert client.post(details_url(online, at), data=FORM).status_code == 303
    before = everything(db)
    answer = client.post(details_url(online, "15:00"), data=FORM)
    assert answer.status_code == 429 and int(answer.headers["Retry-After"]) > 0
    assert "already 3 appointments waiting for confirmation" in page(answer)
    assert everything(db) == before


def test_many_holds_from_one_network_address_are_429_and_write_nothing(client, db, online):
    day = MONDAY
    made = 0
    while made < 10:
        for at in ("09:15", "11:00", "13:00", "15:00"):
            if made == 10:
                break
            email = f"client{made}@example.com"
            answer = client.post(details_url(online, at, day=day), data={**FORM, "email": email})
            assert answer.status_code == 303, page(answer)
            made += 1
        day += timedelta(days=1)
    before = everything(db)
    answer = client.post(
        details_url(online, "09:15", day=day + timedelta(days=1)),
        data={**FORM, "email": "one-more@example.com"},
    )
    assert answer.status_code == 429 and "Too many bookings asked for from here" in page(answer)
    assert everything(db) == before


def test_with_online_booking_off_the_page_says_how_to_call_and_takes_nothing(client, db, online):
    with db.transaction() as session:
        catalog.configure_clinic(session, online_booking=False)
    text = page(client.get("/book"))
    assert "Online booking is closed" in text and "+386 1 000 00 00" in text
    before = everything(db)
    answer = client.post(details_url(online), data=FORM)
    assert answer.status_code == 422
    assert everything(db) == before


def test_the_page_loads_nothing_from_other_hosts_and_sets_no_cookies(client, online):
    for path in ("/book", f"/book/therapist?treatment={online.facial.id}", details_url(online)):
        answer = client.get(path)
        csp = answer.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp
        assert "style-src 'self' 'unsafe-inline';" in csp  # its own stylesheet, no other host
        assert "Set-Cookie" not in answer.headers
        assert not re.search(r'(src|href)="(https?:)?//', answer.get_data(as_text=True))


def test_the_pages_take_the_clinics_colour_from_a_stylesheet_of_their_own(client, db, online):
    with db.transaction() as session:
        catalog.configure_clinic(session, brand_colour="#ffd166")
    assert '<link rel="stylesheet" href="/book/theme.css">' in page(client.get("/book"))
    theme = client.get("/book/theme.css")
    assert theme.status_code == 200 and theme.mimetype == "text/css"
    css = theme.get_data(as_text=True)
    assert "--brand: #ffd166;" in css and "--on-brand: #111111;" in css
    assert theme.headers["Cache-Control"] == "no-cache"
    again = client.get("/book/theme.css", headers={"If-None-Match": theme.headers["ETag"]})
    assert again.status_code == 304 and not again.get_data()
    with db.transaction() as session:
        catalog.configure_clinic(session, brand_colour="#1b4332")
    changed = client.get("/book/theme.css", headers={"If-None-Match": theme.headers["ETag"]})
    assert changed.status_code == 200 and "--brand: #1b4332;" in changed.get_data(as_text=True)


def test_without_a_colour_chosen_the_stylesheet_restates_the_pages_own_palette(client, online):
    css = client.get("/book/theme.css").get_data(as_text=True)
    assert css == ":root { --brand: #3d6b5a; --brand-dark: #2c4f42; --on-brand: #ffffff; }\n"


def test_the_stylesheet_is_served_even_with_online_booking_off(client, db, online):
    with db.transaction() as session:
        catalog.configure_clinic(session, online_booking=False, brand_colour="#1b4332")
    assert "--brand: #1b4332;" in client.get("/book/theme.css").get_data(as_text=True)


BAD_FORMS = [
    ({"name": ""}, "may not be empty"),
    ({"name": "x" * 201}, "at most 200 characters"),
    ({"name": "Nina\r\nBcc: all@example.com"}, "must be one line"),
    ({"name": "Ni\x00na"}, "NUL"),
    ({"email": ""}, "an e-mail address is required"),
    ({"email": "<b>nina</b>"}, "is not an e-mail address"),
    ({"email": "nina@example.com\r\nBcc: all@example.com"}, "is not an e-mail address"),
    ({"phone": "1" * 51}, "at most 50 characters"),
    ({"phone": "\x00"}, "NUL"),
    ({"note": "x" * 2001}, "at most 2000 characters"),
    ({"note": "\x00"}, "NUL"),
    ({"consent": ""}, "privacy notice"),
]


@pytest.mark.parametrize(("change", "says"), BAD_FORMS, ids=[s for _, s in BAD_FORMS])
def test_a_bad_form_is_shown_again_with_its_message_and_writes_nothing(
    client, db, online, change, says
):
    before = everything(db)
    answer = client.post(details_url(online), data={**FORM, **change})
    assert answer.status_code == 422
    text = page(answer)
    assert says in text and 'aria-invalid="true"' in text
    assert everything(db) == before


def test_html_in_a_name_is_shown_as_text_never_as_markup(client, db, online):
    name = '<script>alert("x")</script>'
    answer = client.post(details_url(online), data={**FORM, "name": name, "consent": ""})
    assert "<script>alert" not in answer.get_data(as_text=True)
    assert "&lt;script&gt;" in answer.get_data(as_text=True)


def _far(year: int) -> str:
    return datetime(year, 3, 1, 9, tzinfo=UTC).isoformat().replace("+", "%2B")


BAD_QUERIES = [
    "/book/therapist",
    "/book/therapist?treatment=",
    "/book/therapist?treatment=abc",
    "/book/therapist?treatment=0",
    "/book/therapist?treatment=99999999999",
    "/book/therapist?treatment=%00",
    "/book/times?treatment={f}&therapist=0",
    "/book/times?treatment={f}&therapist=x",
    "/book/times?treatment={f}&therapist=any&week=0001-01-01",
    "/book/times?treatment={f}&therapist=any&week=9999-12-31",
    "/book/times?treatment={f}&therapist=any&week=2026-01-01",
    "/book/times?treatment={f}&therapist=any&week=2099-01-01",
    "/book/times?treatment={f}&therapist=any&week=tomorrow",
    "/book/details?treatment={f}&therapist=any&start=",
    "/book/details?treatment={f}&therapist=any&start=2027-03-01T10:00",
    "/book/details?treatment={f}&therapist=any&start=" + _far(1),
    "/book/details?treatment={f}&therapist=any&start=" + _far(9999),
    "/book/confirm/not-a-token",
    "/book/confirm/" + "a" * 300,
]


@pytest.mark.parametrize("path", BAD_QUERIES)
def test_a_bad_query_is_a_clear_4xx_page_never_a_500(client, db, online, path):
    before = everything(db)
    answer = client.get(path.format(f=online.facial.id))
    assert 400 <= answer.status_code < 500, answer.status_code
    assert "Start again" in page(answer)
    answer = client.post(path.format(f=online.facial.id), data=FORM)
    assert 400 <= answer.status_code < 500, answer.status_code  # 405 where only GET is served
    assert everything(db) == before


def test_a_treatment_not_open_online_is_refused_at_every_step(client, db, online):
    consult = online.consult.id
    for path in (
        f"/book/therapist?treatment={consult}",
        f"/book/times?treatment={consult}&therapist=any",
    ):
        answer = client.get(path)
        assert answer.status_code == 422 and "cannot be booked online" in page(answer)


def test_holds_made_on_the_page_are_counted_by_holds_open_holds(db, client, online):
    client.post(details_url(online), data=FORM)
    with db.read() as session:
        [hold] = held(db)
        assert holds.open_holds(session, hold.client_id, now=NOW) == 1
