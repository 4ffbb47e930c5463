"""A receptionist's morning in headless Chromium against the dashboard under gunicorn.

Real processes and a real database file: log in, open today's day view, book a new client
into a free time, lose a race for a time another tab just took and see the refusal, open the
session from the day view, move it, cancel it; then check the database and the outbox.
Screenshots of the day view and the booking form are kept under var/screenshots/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from shared import clinic_time, demo
from shared.db import Database
from shared.models import (
    Booking,
    BookingEvent,
    Client,
    Clinic,
    OutboxMessage,
    Therapist,
    TreatmentType,
)
from tests.e2e.dashboard_server import (
    SCREENSHOTS,
    dashboard,
    demo_clinic,
    headless_chromium,
    sign_in,
)

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

NEW_CLIENT = ("Maja Testna", "maja.testna@example.com", "+386 41 555 666")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Database]]:
    with (
        demo_clinic(tmp_path) as (url, database, _),
        dashboard(url, tmp_path / "gunicorn.log") as base,
    ):
        yield base, database


@pytest.fixture
def browser() -> Iterator[Any]:
    with headless_chromium() as chromium:
        yield chromium


def _target_day(database: Database) -> tuple[date, Any]:
    """The first weekday after today (the demo's therapists work Monday to Friday)."""
    with database.read() as s:
        tz = clinic_time.zone(s.get(Clinic, 1).timezone)  # type: ignore[union-attr]
    day = clinic_time.local_date(datetime.now(UTC), tz) + timedelta(days=1)
    while day.weekday() > 4:
        day += timedelta(days=1)
    return day, tz


def _ids(database: Database) -> tuple[int, int, int]:
    with database.read() as s:
        consult = s.exec(
            select(TreatmentType).where(TreatmentType.name == "TCM consultation")
        ).one()
        luka = s.exec(select(Therapist).where(Therapist.name == "Luka Kovač")).one()
        regular = s.exec(select(Client).order_by(Client.id)).first()
    return consult.id, luka.id, regular.id  # type: ignore[return-value]


def _shot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def test_a_receptionist_books_moves_and_cancels_a_session_in_a_real_browser(served, browser):
    base, database = served
    day, tz = _target_day(database)
    consult_id, luka_id, regular_id = _ids(database)
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # Log in and land on today's day view.
    sign_in(page, base, demo.DEMO_LOGIN)
    today = clinic_time.local_date(datetime.now(UTC), tz)
    assert f"{today:%A %d.%m.%Y}" in page.inner_text("h1.day-title")  # the clinic's locale
    assert page.locator(".col-head").count() == 4  # the demo's four therapists
    _shot(page, "day-view")

    # The booking form: treatment and day (the page refreshes itself on change).
    with page.expect_navigation(url=re.compile(r"/book/\?date=")):
        page.keyboard.press("n")

    # Each choice redraws the free times in place, and the address says what is shown
    # (fill() on a date input fires its change event).
    def shown(part: str) -> None:
        page.wait_for_function("(part) => location.search.includes(part)", arg=part)

    page.select_option("#treatment_type_id", str(consult_id))
    shown(f"treatment_type_id={consult_id}")
    page.fill("#date", day.isoformat())
    shown(f"date={day.isoformat()}")
    page.select_option("#therapist_id", str(luka_id))
    shown(f"therapist_id={luka_id}")
    assert page.input_value("#date") == day.isoformat()
    name, email, phone = NEW_CLIENT
    page.fill("#new_name", name)
    page.fill("#new_email", email)
    page.fill("#new_phone", phone)
    first = page.locator("input[name=slot]").first.get_attribute("value")
    assert first and f"|{luka_id}" in first
    page.locator(f'label.slot:has(input[value="{first}"])').click()
    _shot(page, "booking-form")
    page.click("text=Book session")
    page.wait_for_url(re.compile(r"/booking/\d+$"))
    assert "Booked: Maja Testna, TCM consultation" in page.inner_text(".messages")
    booking_id = int(page.url.rsplit("/", 1)[1])
    with database.read() as s:
        made = s.get(Booking, booking_id)
        maja = s.exec(select(Client).where(Client.email == email)).one()
    assert (made.client_id, made.therapist_id, made.source) == (maja.id, luka_id, "dashboard")
    assert made.start_at == datetime.fromisoformat(first.split("|")[0])

    # Two tabs, one time: the second tab books it; the first is refused with the rule's words.
    slow = context.new_page()
    fast = context.new_page()
    query = f"treatment_type_id={consult_id}&date={day.isoformat()}&therapist_id={luka_id}"
    slow.goto(f"{base}/book/?{query}&client_id={regular_id}")
    fast.goto(f"{base}/book/?{query}&client_id={regular_id + 1}")
    contested = slow.locator("input[name=slot]").first.get_attribute("value")
    fast.locator(f'label.slot:has(input[value="{contested}"])').click()
    fast.click("text=Book session")
    fast.wait_for_url(re.compile(r"/booking/\d+$"))
    slow.locator(f'label.slot:has(input[value="{contested}"])').click()
    slow.click("text=Book session")
    refusal = slow.locator(".refusal")
    refusal.wait_for()
    assert "Luka Kovač is booked" in refusal.inner_text()
    _shot(slow, "booking-refused")
    with database.read() as s:
        held = s.exec(
            select(Booking).where(
                Booking.start_at == datetime.fromisoformat(contested.split("|")[0]),
                Booking.therapist_id == luka_id,
                Booking.status == "booked",
            )
        ).all()
    assert [b.client_id for b in held] == [regular_id + 1]

    # Open the new session from the day view, then move it to another free time.
    page.goto(f"{base}/?date={day.isoformat()}&by=therapist")
    with page.expect_navigation(url=f"{base}/booking/{booking_id}"):
        page.click(f'a.block[href="/booking/{booking_id}"]')
    chip = page.locator("#move a.slot-link").last
    new_time = chip.inner_text()
    chip.click()
    assert page.input_value("#time") == new_time
    with page.expect_navigation(url=f"{base}/booking/{booking_id}"):
        page.click("text=Move session")
    assert "Moved to" in page.inner_text(".messages")
    _shot(page, "booking-page")

    # Cancel it with a reason (the confirmation dialog is accepted).
    page.fill("#reason", "Client called: has a cold")
    page.click("text=Cancel session")
    page.wait_for_selector("text=Cancelled. The client")
    assert page.locator(".booking-head .status-cancelled").count() == 1

    # The database and the outbox saw every step.
    with database.read() as s:
        final = s.get(Booking, booking_id)
        actions = [
            (e.action, e.actor)
            for e in s.exec(select(BookingEvent).where(BookingEvent.booking_id == booking_id))
        ]
        mail = s.exec(
            select(OutboxMessage)
            .where(OutboxMessage.booking_id == booking_id, OutboxMessage.kind != "reminder")
            .order_by(OutboxMessage.id)
        ).all()
    actor = f"dashboard:{demo.DEMO_LOGIN[0]}"
    assert (final.status, final.cancel_reason, final.sequence) == (
        "cancelled",
        "Client called: has a cold",
        2,
    )
    assert final.start_at.astimezone(tz).strftime("%H:%M") == new_time
    assert actions == [("booked", actor), ("moved", actor), ("cancelled", actor)]
    assert [(m.kind, m.recipient) for m in mail] == [
        ("invite", email),
        ("update", email),
        ("cancel", email),
    ]
    page.goto(f"{base}/outbox/?search={email}")
    assert page.locator("tbody tr").count() >= 3
    assert errors == []  # no JavaScript errors on any page


def test_the_day_view_is_keyboard_driven(served, browser):
    base, _database = served
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    sign_in(page, base, demo.DEMO_LOGIN)
    title = page.inner_text("h1.day-title")
    with page.expect_navigation():
        page.keyboard.press("ArrowRight")
    assert page.inner_text("h1.day-title") != title
    with page.expect_navigation():
        page.keyboard.press("t")
    assert page.inner_text("h1.day-title") == title
    with page.expect_navigation():
        page.keyboard.press("r")
    assert "by=room" in page.url
    assert "Room 1 - Lotus" in page.inner_text(".cal-head")
    _shot(page, "day-view-by-room")
    page.keyboard.press("?")
    assert page.locator("#shortcuts").is_visible()
    page.keyboard.press("Escape")
    assert not page.locator("#shortcuts").is_visible()
