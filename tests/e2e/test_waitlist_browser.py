"""A client joins the waiting list on a phone, in headless Chromium at 390x844 with the keyboard
alone, is offered a time by the worker's round, reads the offer from a real SMTP server
(aiosmtpd), opens its link and takes it with the button: the booking exists with its
invitation. axe-core finds no serious or critical violation on any page, nothing is loaded
from another host, the CSP refuses nothing. Screenshots: var/screenshots/booking-page-w*.png.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from shared import offers
from shared.config import Settings
from shared.mailer import Mailer
from shared.models import Booking, BookingStatus, Client, WaitlistEntry
from tests.e2e.test_booking_page_browser import (  # noqa: F401  (fixtures)
    Step,
    axe_source,
    browser,
    press,
    served,
)
from tests.invites.conftest import FAST, SmtpServer, drain, text_body

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

NAME, EMAIL = "Vera Kranjc", "vera.kranjc@example.com"


def test_a_client_joins_the_waiting_list_on_a_phone_and_takes_the_offered_time(
    served,  # noqa: F811  (fixtures imported from the booking page's browser test)
    browser,  # noqa: F811
    axe_source,  # noqa: F811
):
    base, database, url = served
    smtp = SmtpServer().start()
    mail = Settings(
        database_url=url,
        secret_key="e2e-secret-key-0123456789abcdef0123456789",
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        public_base_url="https://clinic.example",
        mail_from="reception@clinic.example",
        log_format="text",
    )
    mailer = Mailer(database, mail, FAST)
    drain(mailer)  # the demo's own messages, out of the way
    seen = len(smtp.inbox.messages())
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=1, is_mobile=True
    )
    page = context.new_page()
    elsewhere: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(base) else elsewhere.append(r.url))
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    step = Step(page, axe_source)
    try:
        page.goto(base + "/book/waitlist")
        assert page.locator("h1").inner_text() == "Join the waiting list"
        step("w1-treatment")
        with page.expect_navigation(url=re.compile(r"/book/waitlist\?treatment=\d+")):
            press(page, "ul.choices a")

        step("w2-form")
        for selector, value in (("#name", NAME), ("#email", EMAIL)):
            page.locator(selector).focus()
            page.keyboard.type(value)
        press(page, "#consent", "Space")
        with page.expect_navigation(url=re.compile(r"/book/waitlist/joined$")):
            press(page, "button[type=submit]")
        assert page.locator("h1").inner_text() == "You are on the waiting list"
        step("w3-joined")

        with database.transaction() as session:  # the worker's round, on the real clock
            (made,) = offers.match(session, now=datetime.now(UTC)).offered
        drain(mailer)
        got = smtp.wait_for(seen + 1)[seen]
        assert got.rcpt_tos == [EMAIL]
        link = re.search(r"https://clinic\.example(/book/offer/[\w-]+)\s", text_body(got.message))
        assert link, text_body(got.message)
        page.goto(base + link.group(1))
        assert page.locator("h1").inner_text() == "A time for you"
        step("w4-offer")
        with database.read() as session:
            assert session.get(Booking, made.booking_id).status == BookingStatus.HELD.value
        with page.expect_navigation(url=re.compile(r"done=taken$")):
            press(page, "button[type=submit]")
        assert "It is yours" in page.locator("main").inner_text()
        step("w5-taken")

        with database.read() as session:
            client = session.exec(select(Client).where(Client.email == EMAIL)).one()
            entry = session.exec(
                select(WaitlistEntry).where(WaitlistEntry.client_id == client.id)
            ).one()
            booked = session.get(Booking, made.booking_id)
        assert booked.status == BookingStatus.BOOKED.value
        assert (entry.status, entry.booking_id) == ("booked", booked.id)
        drain(mailer)
        invite = smtp.wait_for(seen + 2)[seen + 1]
        assert invite.rcpt_tos == [EMAIL]
        assert " ".join(str(invite.message["Subject"]).split()).startswith("Booked: ")
        assert elsewhere == [] and refused == []
    finally:
        context.close()
        smtp.stop()
