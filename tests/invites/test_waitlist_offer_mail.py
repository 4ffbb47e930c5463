"""Waiting-list offers end to end, as the clients get them: the worker's round offers the
freed time, the e-mail arrives at a real SMTP server (aiosmtpd) with "Take it" and "No thanks"
links, each link opens a page that changes nothing until its button is pressed; the first
declines, the second takes it and gets the usual invitation, the third still waits."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from services.scheduler import create_app
from services.worker import Housekeeping
from shared import heartbeat
from shared.config import Settings
from shared.db import Database
from shared.models import Booking, BookingStatus, WaitlistEntry
from tests.factories import NOW
from tests.integration.conftest import snapshot
from tests.invites.conftest import SmtpServer, drain, html_body, text_body
from tests.waiting import fill_monday, free_one, join_three

LINK = re.compile(r"https://clinic\.example(/book/offer/[A-Za-z0-9_-]+(?:/decline)?)")


@pytest.fixture
def app(mail_settings: Settings, db: Database) -> Iterator[Flask]:
    yield create_app({"SETTINGS": mail_settings, "DATABASE": db, "TESTING": True})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def rounds(db, settings, tmp_path):
    """The worker's housekeeping after each mail round (holds lapse, the waiting list matched)."""
    beat = heartbeat.Heartbeat(db, file=tmp_path / "beat")
    return Housekeeping(db, dataclasses.replace(settings), beat, every=0)


def links(message) -> tuple[str, str]:
    found = LINK.findall(text_body(message))
    take = next(p for p in found if not p.endswith("/decline"))
    decline = next(p for p in found if p.endswith("/decline"))
    return take, decline


def press(client: FlaskClient, path: str, button: str):
    """Open the page, check it has the button, and press it (POST its form)."""
    page = client.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f">{button}</button>" in html
    form = re.search(
        r'<form method="post" action="([^"]+)">\s*<input type="hidden" '
        r'name="form_token" value="([^"]+)"',
        html,
    )
    assert form, html
    return client.post(form.group(1), data={"form_token": form.group(2)})


class Mails:
    """What reaches the SMTP server from now on (the fillers' invitations left out)."""

    def __init__(self, smtp: SmtpServer, mailer, now) -> None:
        drain(mailer, now)
        self.smtp, self.seen = smtp, len(smtp.inbox.messages())

    def wait_for(self, count: int):
        return self.smtp.wait_for(self.seen + count)[self.seen :]


def statuses(db, entries):
    with db.read() as session:
        return [session.get(WaitlistEntry, e).status for e in entries]


def test_one_cancellation_the_first_declines_the_second_takes_it_the_third_still_waits(
    db, clinic, smtp: SmtpServer, mailer, rounds, client
):
    monday = fill_monday(db, clinic)
    entries = join_three(db, clinic)
    start = free_one(db, monday)
    mails = Mails(smtp, mailer, NOW)
    rounds(NOW)
    drain(mailer, NOW)
    [mail] = mails.wait_for(1)
    assert mail.rcpt_tos == ["mia@example.com"]
    msg = mail.message
    assert msg["Subject"] == "A time for you: Facial rejuvenation, Mon 1 Mar 2027 10:30"
    assert "Take it by Sat 20 Feb 2027 12:00" in text_body(msg)
    assert ">Take it</a>" in html_body(msg)
    take, decline = links(msg)

    with db.read() as session:
        before = snapshot(session)
    for path in (take, decline):  # a mail scanner opens every link: nothing happens
        assert client.get(path).status_code == 200
    with db.read() as session:
        assert snapshot(session) == before

    declined = press(client, decline, "No thanks")
    assert declined.status_code == 303
    assert "you stay on the waiting list" in client.get(declined.location).get_data(as_text=True)
    assert statuses(db, entries) == ["waiting", "waiting", "waiting"]

    rounds(NOW + timedelta(minutes=10))
    drain(mailer, NOW + timedelta(minutes=10))
    second = mails.wait_for(2)[1]
    assert second.rcpt_tos == ["nina@example.com"]
    take_nina, _ = links(second.message)
    taken = press(client, take_nina, "Take it")
    assert taken.status_code == 303
    assert "It is yours" in client.get(taken.location).get_data(as_text=True)

    with db.read() as session:
        booked = session.get(Booking, session.get(WaitlistEntry, entries[1]).booking_id)
        assert (booked.status, booked.start_at) == (BookingStatus.BOOKED.value, start)
    assert statuses(db, entries) == ["waiting", "booked", "waiting"]
    drain(mailer, NOW + timedelta(minutes=11))
    invitation = mails.wait_for(3)[2]
    assert invitation.rcpt_tos == ["nina@example.com"]
    assert invitation.message["Subject"].startswith("Booked: Facial rejuvenation")

    forged = client.post(taken.location.split("?")[0] + "/decline")
    assert forged.status_code == 400  # no form token (another site's form): refused
    rounds(NOW + timedelta(minutes=12))
    assert statuses(db, entries) == ["waiting", "booked", "waiting"]
    drain(mailer, NOW + timedelta(minutes=12))
    assert len(smtp.inbox.messages()) == mails.seen + 3  # nobody else was offered anything


def test_an_offer_page_after_its_time_says_it_lapsed_and_has_no_button(
    db, clinic, smtp: SmtpServer, mailer, rounds, client
):
    monday = fill_monday(db, clinic)
    join_three(db, clinic)
    free_one(db, monday)
    mails = Mails(smtp, mailer, NOW)
    rounds(NOW)
    drain(mailer, NOW)
    take, _ = links(mails.wait_for(1)[0].message)
    rounds(NOW + timedelta(hours=2))  # Mia's offer lapses; Nina is offered the time
    page = client.get(take).get_data(as_text=True)
    assert "This offer lapsed" in page
    assert "<button" not in page


@pytest.mark.parametrize(
    "path", ["/book/offer/nope", "/book/offer/" + "x" * 40, "/book/offer/a%00b"]
)
def test_an_unknown_offer_link_is_a_404_page(db, clinic, client, path):
    answer = client.get(path)
    assert answer.status_code == 404
    assert "not one we sent" in answer.get_data(as_text=True)
