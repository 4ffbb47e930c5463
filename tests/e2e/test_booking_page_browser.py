"""A client books online on a phone, in headless Chromium at 390x844, with the keyboard alone:
treatment, therapist, a time, the details, then the confirmation e-mail from a real SMTP
server (aiosmtpd), its link, and the button; the booking exists with its invitation.

The scheduler runs as a real gunicorn on a demo clinic's database; the mail worker sends
through the real SMTP client. axe-core (from npm) runs in the page at every step and finds
no serious or critical violation; nothing is loaded from another host and the page's CSP
refuses nothing. Screenshots go to var/screenshots/booking-page-*.png.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from shared import catalog
from shared.config import Settings
from shared.db import Database
from shared.mailer import Mailer
from shared.models import Booking, BookingStatus, Client
from tests.e2e.dashboard_server import SCREENSHOTS, demo_clinic, headless_chromium
from tests.e2e.processes import gunicorn, service_env
from tests.invites.conftest import FAST, SmtpServer, drain, text_body
from tests.node_packages import npm_ci

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

AXE = Path(__file__).parent / "axe"
CLIENT = ("Nina Kos", "nina.kos@example.com", "+386 40 555 123")
SERIOUS = ("serious", "critical")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Database, str]]:
    with (
        demo_clinic(tmp_path) as (url, database, _),  # online booking on, every treatment open
        gunicorn(
            "services.scheduler:create_app()",
            url,
            workers=2,
            env=service_env(url),
            log_path=tmp_path / "gunicorn.log",
        ) as base,
    ):
        yield base, database, url


@pytest.fixture
def axe_source() -> str:
    try:
        npm_ci(AXE, "axe-core")
    except (OSError, RuntimeError) as exc:  # no npm, or no registry
        pytest.skip(f"axe-core could not be installed: {exc}")
    return (AXE / "node_modules" / "axe-core" / "axe.min.js").read_text()


@pytest.fixture
def browser() -> Iterator[Any]:
    with headless_chromium() as chromium:
        yield chromium


class Step:
    """Checks each page the client sees: axe-core finds nothing serious, and a screenshot."""

    def __init__(self, page: Any, axe_source: str) -> None:
        self.page = page
        self.axe_source = axe_source
        self.checked: list[str] = []

    def __call__(self, name: str) -> None:
        page = self.page
        page.wait_for_load_state("load")
        # Evaluated through the DevTools protocol: the page's own CSP (no scripts) stays on.
        page.evaluate(self.axe_source + "\n;undefined")
        found = page.evaluate(
            """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
                .map(v => ({id: v.id, impact: v.impact, help: v.help,
                            nodes: v.nodes.map(n => n.target.join(' '))}))"""
        )
        bad = [v for v in found if v["impact"] in SERIOUS]
        assert not bad, f"{name}: {bad}"
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{name}: the page is {width}px wide on a 390px screen"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"booking-page-{name}.png"), full_page=True)
        self.checked.append(name)


def press(page: Any, selector: str, key: str = "Enter") -> None:
    """Focus an element as Tab would and press a key on it: the keyboard alone."""
    element = page.locator(selector).first
    element.focus()
    assert page.evaluate("document.activeElement !== document.body")
    page.keyboard.press(key)


def test_a_client_books_through_every_step_on_a_phone_and_confirms_from_the_email(
    served, browser, axe_source
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
        # 1. Treatment: the first one offered.
        page.goto(base + "/book")
        assert page.locator("h1").inner_text() == "Which treatment would you like?"
        step("1-treatment")
        with page.expect_navigation(url=re.compile(r"/book/therapist\?treatment=\d+")):
            press(page, "ul.choices a")

        # 2. Therapist: anyone.
        step("2-therapist")
        with page.expect_navigation(url=re.compile(r"/book/times\?")):
            press(page, "ul.choices a:has-text('Any therapist')")

        # 3. Day and time: the first free time of the first week that has one.
        step("3-times")
        first = page.locator("ul.times a").first
        label = first.get_attribute("aria-label")
        with page.expect_navigation(url=re.compile(r"/book/details\?")):
            press(page, "ul.times a")

        # 4. Details, typed; the consent ticked with the space bar; sent with Enter.
        step("4-details")
        assert label and label.split(", ")[-1] in page.locator("dl").inner_text()
        name, email, phone = CLIENT
        for selector, value in (("#name", name), ("#email", email), ("#phone", phone)):
            page.locator(selector).focus()
            page.keyboard.type(value)
        press(page, "#consent", "Space")
        assert page.locator("#consent").is_checked()
        with page.expect_navigation(url=re.compile(r"/book/sent$")):
            press(page, "button[type=submit]")
        step("5-sent")

        # The e-mail, from a real SMTP server; its link opens a page, the button confirms.
        drain(mailer)
        [got] = smtp.wait_for(1)
        assert got.rcpt_tos == [email]
        link = re.search(r"https://clinic\.example(/book/confirm/[\w-]+)", text_body(got.message))
        assert link, text_body(got.message)
        page.goto(base + link.group(1))
        assert page.locator("h1").inner_text() == "Confirm your appointment"
        step("6-confirm")
        with database.read() as session:
            client = session.exec(select(Client).where(Client.email == email)).one()
            [hold] = session.exec(select(Booking).where(Booking.client_id == client.id)).all()
            assert hold.status == BookingStatus.HELD.value  # opening the link booked nothing
        with page.expect_navigation(url=re.compile(r"done=1$")):
            press(page, "button[type=submit]")
        assert page.locator("h1").inner_text() == "Your appointment is booked"
        step("7-booked")

        # The booking exists and its invitation reaches the client.
        with database.read() as session:
            booked = session.get(Booking, hold.id)
            assert booked is not None and booked.status == BookingStatus.BOOKED.value
            assert booked.source == "online"
        drain(mailer)
        messages = smtp.wait_for(2)
        invite = messages[1].message
        assert messages[1].rcpt_tos == [email]
        assert " ".join(str(invite["Subject"]).split()).startswith("Booked: ")
        assert any(p.get_content_type() == "text/calendar" for p in invite.walk())

        # The client page works as for any booking.
        page.goto(f"{base}/b/{booked.access_token}")
        assert page.locator("h1").count() == 1
    finally:
        smtp.stop()
        context.close()
    assert step.checked == [
        "1-treatment",
        "2-therapist",
        "3-times",
        "4-details",
        "5-sent",
        "6-confirm",
        "7-booked",
    ]
    assert elsewhere == []
    assert refused == []


@pytest.mark.parametrize(
    ("colour", "rgb"), [("#1b4332", "27, 67, 50"), ("#ffd166", "255, 209, 102")]
)
def test_the_booking_page_in_a_dark_or_a_light_clinic_colour_stays_readable(
    served, browser, axe_source, colour, rgb
):
    base, database, _ = served
    with database.transaction() as session:
        catalog.configure_clinic(session, brand_colour=colour)
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    step = Step(page, axe_source)
    try:
        page.goto(base + "/book")
        assert (
            page.evaluate("getComputedStyle(document.querySelector('header')).backgroundColor")
            == f"rgb({rgb})"
        )
        step(f"colour-{colour[1:]}-1-treatment")
        page.locator("ul.choices a").first.click()
        step(f"colour-{colour[1:]}-2-therapist")
        page.locator("ul.choices a:has-text('Any therapist')").click()
        step(f"colour-{colour[1:]}-3-times")
        page.locator("ul.times a").first.click()
        step(f"colour-{colour[1:]}-4-details")
        button = page.locator("button[type=submit]")
        assert button.evaluate("b => getComputedStyle(b).backgroundColor") == f"rgb({rgb})"
    finally:
        context.close()
    assert refused == []
