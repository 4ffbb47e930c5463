"""A receptionist plans and books a course of ten in headless Chromium against the dashboard
under gunicorn: plan, see the clash with its reason, pick an alternative with one click, book,
and find the session marked "3/10" in the day view. Screenshots under var/screenshots/."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from sqlmodel import select

from shared import catalog, clinic_time, demo
from shared.db import Database
from shared.models import Booking, Clinic, Course, OutboxMessage, Therapist, TreatmentType
from tests.e2e.dashboard_server import sign_in
from tests.e2e.test_dashboard_browser import _shot, browser, served  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

TREATMENT = "Facial rejuvenation acupuncture - follow-up"
THERAPIST = "Mei Lin"  # Monday to Friday 09:00-13:00


def _setting_up(database: Database) -> tuple[Any, Any, int, int, list[datetime]]:
    """Ten Mondays at 10:00 from four weeks ahead (past the demo's bookings), Mei Lin away
    on the third; the zone, the first day, the ids and the planned starts."""
    with database.transaction() as s:
        tz = clinic_time.zone(s.get(Clinic, 1).timezone)  # type: ignore[union-attr]
        today = clinic_time.local_date(datetime.now(UTC), tz)
        first = today + timedelta(days=28 + (7 - today.weekday()) % 7)
        tt = s.exec(select(TreatmentType).where(TreatmentType.name == TREATMENT)).one()
        mei = s.exec(select(Therapist).where(Therapist.name == THERAPIST)).one()
        third = first + timedelta(weeks=2)
        catalog.add_time_off(
            s,
            therapist_id=mei.id,  # type: ignore[arg-type]
            start=clinic_time.day_start(third, tz),
            end=clinic_time.day_start(third + timedelta(days=1), tz),
            reason="Teaching a seminar",
        )
    starts = [clinic_time.local_to_utc(first + timedelta(weeks=w), time(10), tz) for w in range(10)]
    return tz, first, tt.id, mei.id, starts  # type: ignore[return-value]


def test_a_receptionist_plans_resolves_a_clash_and_books_a_course_in_a_real_browser(
    served,  # noqa: F811
    browser,  # noqa: F811
):
    base, database = served
    tz, first, tt_id, mei_id, starts = _setting_up(database)
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="en-GB")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, base, demo.DEMO_LOGIN)

    # New course, from the menu; the client first, found by the live search.
    page.click("nav >> text=New course")
    page.wait_for_url(re.compile(r"/course/new"))
    page.fill("#q", "Eva")
    page.locator("[data-results] a").first.wait_for()
    with page.expect_navigation(url=re.compile(r"client_id=\d+")):
        page.locator("[data-results] a").first.click()
    assert page.locator("[data-client-chosen]").count() == 1

    # The plan: treatment, therapist, first session, rhythm and count.
    page.select_option("#treatment_type_id", str(tt_id))
    page.select_option("#therapist_id", str(mei_id))
    page.fill("#date", first.isoformat())
    page.fill("#time", "10:00")
    page.select_option("#rhythm", "1w")
    page.fill("#count", "10")
    with page.expect_navigation(url=re.compile(r"count=10")):
        page.click("#plan-course")
    rows = page.locator(".plan-row")
    assert rows.count() == 10
    clash = page.locator('.plan-row[data-session="3"]')
    assert "clash" in (clash.get_attribute("class") or "")
    assert "Teaching a seminar" in clash.locator(".plan-reason").inner_text()
    # Same time on the next day comes first; one click picks it.
    tuesday = first + timedelta(weeks=2, days=1)
    first_alternative = clash.locator("label.alt").first
    assert f"{tuesday:%a %d.%m.%Y} 10:00" in first_alternative.inner_text()
    first_alternative.click()
    # Any other session that cannot be had (the demo's holiday may fall on a Monday): its
    # first alternative too, or dropped when there is none.
    for other in page.locator(".plan-row.clash").all():
        if other.get_attribute("data-session") == "3":
            continue
        choice = other.locator("label.alt")
        (choice.first if choice.count() else other.locator("label.drop")).click()
    _shot(page, "course-plan")

    with page.expect_navigation(url=re.compile(r"/course/\d+$")):
        page.click("#book-course-button")
    assert "Booked a course of" in page.inner_text(".messages")
    counts = page.inner_text("[data-counts]")
    booked = int(re.search(r"(\d+) left", counts).group(1))  # type: ignore[union-attr]
    assert booked >= 9
    _shot(page, "course-page")

    # The day view of the moved third session marks it 3/N.
    page.goto(f"{base}/?date={tuesday.isoformat()}&by=therapist")
    mark = page.locator(".b-course", has_text=f"3/{booked}")
    assert mark.count() == 1
    _shot(page, "course-day-view")
    assert errors == []

    with database.read() as s:
        [course] = s.exec(select(Course)).all()
        sessions = s.exec(
            select(Booking).where(Booking.course_id == course.id).order_by(Booking.start_at)  # type: ignore[arg-type]
        ).all()
        invitations = s.exec(
            select(OutboxMessage).where(OutboxMessage.course_id == course.id)
        ).all()
    assert len(sessions) == booked
    assert sessions[2].start_at == clinic_time.local_to_utc(tuesday, time(10), tz)
    assert [s.start_at.astimezone(tz).strftime("%H:%M") for s in sessions] == ["10:00"] * booked
    assert [m.kind for m in invitations] == ["course_invite"]
    assert set(starts) - {s.start_at for s in sessions} >= {starts[2]}
