"""The receptionist's day in headless Chromium against the dashboard under gunicorn, counting
actions (clicks, ticks): a sick day rebooked session by session, the end of the day marked and
undone, and the client page. Screenshots under var/screenshots/."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from shared import booking, catalog, clients, clinic_time, demo
from shared.models import Booking, Clinic, Therapist, TimeOff, TreatmentType
from tests.e2e.dashboard_server import sign_in
from tests.e2e.test_dashboard_browser import _shot, browser, served  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

CONSULT = "TCM consultation"
THERAPIST = "Mei Lin"  # Monday to Friday 09:00-13:00


class Actions:
    """Counts what the receptionist does: each click or tick is one action."""

    def __init__(self, page: Any) -> None:
        self.page, self.count = page, 0

    def click(self, selector: str) -> None:
        self.count += 1
        self.page.click(selector)


def _ids(s: Any) -> tuple[int, int]:
    consult = s.exec(select(TreatmentType).where(TreatmentType.name == CONSULT)).one()
    mei = s.exec(select(Therapist).where(Therapist.name == THERAPIST)).one()
    return consult.id, mei.id


def _far_weekday(tz: ZoneInfo) -> date:
    """A Wednesday five weeks ahead, past the demo's bookings."""
    day = clinic_time.local_date(datetime.now(UTC), tz) + timedelta(days=35)
    return day + timedelta(days=(2 - day.weekday()) % 7)


def _page(chromium: Any, base: str) -> tuple[Any, Any, list[str]]:
    context = chromium.new_context(viewport={"width": 1440, "height": 1000}, locale="en-US")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, base, demo.DEMO_LOGIN)
    return context, page, errors


def test_a_sick_day_is_entered_by_the_receptionist_and_each_session_rebooked_in_one_click(
    served,  # noqa: F811
    browser,  # noqa: F811
):
    base, database = served
    with database.transaction() as s:
        catalog.configure_clinic(s, receptionists_enter_time_off=True)
        tz = clinic_time.zone(s.get(Clinic, 1).timezone)  # type: ignore[union-attr]
        consult_id, mei_id = _ids(s)
        day = _far_weekday(tz)
        hit = []
        for n, at in enumerate((time(9), time(11))):
            client = clients.create_client(s, name=f"Sick Day Client {n}", phone="040 000 00{n}")
            hit.append(
                booking.book(
                    s,
                    treatment_type_id=consult_id,
                    start=clinic_time.local_to_utc(day, at, tz),
                    client_id=client.id,
                    therapist_id=mei_id,
                    actor="test",
                ).id
            )
    context, page, errors = _page(browser, base)

    # Mei Lin calls in sick: the receptionist enters the day off.
    page.goto(base + "/time-off/new/")
    page.select_option("#therapist_id", str(mei_id))
    page.fill("#starts", f"{day.isoformat()}T00:00")
    page.fill("#ends", f"{(day + timedelta(days=1)).isoformat()}T00:00")
    page.fill("#reason", "Sick")
    with page.expect_navigation(url=re.compile(r"/rebook/$")):
        page.click("input[type=submit][value=Save], button[type=submit]:has-text('Save')")
    for booking_id in hit:
        assert page.locator(f'[data-booking="{booking_id}"] [data-alternative]').count() >= 1
    _shot(page, "to-rebook")

    # The day view marks both sessions.
    day_view = context.new_page()
    day_view.goto(f"{base}/?date={day.isoformat()}&by=therapist")
    for booking_id in hit:
        assert "away" in (
            day_view.get_attribute(f'a.block[href="/booking/{booking_id}"]', "class") or ""
        )

    # Each session: one click on its first alternative moves it.
    per_session = []
    for booking_id in hit:
        actions = Actions(page)
        with page.expect_navigation(url=re.compile(r"/rebook/$")):
            actions.click(f'[data-booking="{booking_id}"] [data-alternative] >> nth=0')
        assert "Moved Sick Day Client" in page.inner_text(".messages, .alert-success")
        per_session.append(actions.count)
    assert per_session == [1, 1]  # the target is at most 2 per session
    assert page.locator("[data-nothing-to-rebook]").count() == 1

    with database.read() as s:
        moved = [s.get(Booking, i) for i in hit]
        away = s.exec(select(TimeOff)).all()
    for b in moved:
        assert b.status == "booked" and not any(
            o.therapist_id == b.therapist_id and o.start_at < b.end_at and o.end_at > b.start_at
            for o in away
        )
    assert errors == []
    context.close()


def _afternoon_zone() -> str:
    """A zone without DST where it is now between 14:00 and 21:59, so that three sessions from
    09:00 are over today, whatever the hour the test runs at."""
    now = datetime.now(UTC)
    for offset in range(-12, 15):
        name = f"Etc/GMT{'+' if offset <= 0 else '-'}{abs(offset)}"
        if 14 <= now.astimezone(ZoneInfo(name)).hour <= 21:
            return name
    raise AssertionError("some zone is always in the afternoon")


def _clear_the_demo_day(s: Any, day: date, tz: ZoneInfo) -> None:
    """The demo's own sessions that day would be marked with the test's at some hours of the
    clock (those already over): close the ones that have begun and cancel the rest, so the
    end of the day holds the test's sessions only, whatever the hour it runs at."""
    lo, hi = clinic_time.day_bounds(day, tz)
    now = datetime.now(UTC)
    live = s.exec(
        select(Booking).where(
            Booking.start_at >= lo, Booking.start_at < hi, Booking.status == "booked"
        )
    ).all()
    for theirs in live:
        if theirs.start_at <= now:
            booking.mark_completed(s, theirs.id, actor="test", now=now)
        else:
            booking.cancel(s, theirs.id, actor="test", reason="not part of the test", now=now)


def test_the_end_of_the_day_is_marked_in_three_actions_and_undone_in_one(
    served,  # noqa: F811
    browser,  # noqa: F811
):
    base, database = served
    with database.transaction() as s:
        zone = _afternoon_zone()
        catalog.configure_clinic(s, timezone=zone)
        tz = ZoneInfo(zone)
        consult_id, _ = _ids(s)
        today = clinic_time.local_date(datetime.now(UTC), tz)
        _clear_the_demo_day(s, today, tz)
        nina = catalog.save_therapist(
            s, name="Nina Test", email="nina@example.com", treatment_type_ids=[consult_id]
        )
        catalog.add_working_hours(
            s,
            therapist_id=nina.id,
            weekday=today.weekday(),
            start_time=time(8),
            end_time=time(13),
        )
        yesterday = datetime.now(UTC) - timedelta(days=1)
        made = []
        for n, at in enumerate((time(9), time(10), time(11))):
            client = clients.create_client(s, name=f"Evening Client {n}")
            made.append(
                booking.book(
                    s,
                    treatment_type_id=consult_id,
                    start=clinic_time.local_to_utc(today, at, tz),
                    client_id=client.id,
                    therapist_id=nina.id,
                    actor="test",
                    now=yesterday,
                ).id
            )
    context, page, errors = _page(browser, base)
    page.goto(f"{base}/?date={today.isoformat()}&by=therapist")

    actions = Actions(page)
    with page.expect_navigation(url=re.compile(r"/end-of-day/")):
        actions.click("[data-end-of-day]")
    for booking_id in made:
        assert page.locator(f'#to-mark tr[data-booking="{booking_id}"]').count() == 1
    actions.click(f'[data-no-show="{made[1]}"]')
    with page.expect_navigation(url=re.compile(r"/end-of-day/\?")):
        actions.click("[data-close-day]")
    assert actions.count == 3
    assert "Marked 2 completed and 1 no-show" in page.inner_text("body")
    _shot(page, "end-of-day")
    with database.read() as s:
        statuses = [s.get(Booking, i).status for i in made]
    assert statuses == ["completed", "no_show", "completed"]

    # A slip: one click undoes the whole batch.
    with page.expect_navigation(url=re.compile(r"/end-of-day/\?date=")):
        page.click("[data-undo-all]")
    assert "Undone: 3 sessions to mark again" in page.inner_text("body")
    with database.read() as s:
        assert [s.get(Booking, i).status for i in made] == ["booked"] * 3
    assert errors == []
    context.close()


def test_the_name_on_a_booking_opens_the_client_page_and_book_again_fills_the_form(
    served,  # noqa: F811
    browser,  # noqa: F811
):
    base, database = served
    with database.read() as s:
        some = s.exec(
            select(Booking).where(Booking.status == "completed").order_by(Booking.id)
        ).first()
        assert some is not None
        booking_id, client_id = some.id, some.client_id
    context, page, errors = _page(browser, base)
    page.goto(f"{base}/booking/{booking_id}")
    with page.expect_navigation(url=f"{base}/client/{client_id}"):
        page.click("[data-client-page]")
    assert page.locator("#past tr").count() >= 2  # a header and the session
    assert page.locator(f'#past a[href="/booking/{booking_id}"]').count() == 1
    assert re.search(r"\d\d\.\d\d\.\d{4}", page.inner_text("#past"))  # sl-SI dates
    assert " AM" not in page.inner_text("body") and " PM" not in page.inner_text("body")
    _shot(page, "client-page")
    with page.expect_navigation(url=re.compile(r"/book/\?")):
        page.click("[data-book-again]")
    assert page.input_value("input[name=client_id]") == str(client_id)
    assert page.input_value("#treatment_type_id") != ""
    assert errors == []
    context.close()
