"""Issue 17, bug 9: a browser set to en-US at a clinic in Europe/Ljubljana sees and types dates
as the clinic writes them (dd.mm.yyyy, 24-hour), on every screen with a date or a time, in
headless Chromium against real gunicorns on the demo clinic; what is typed is saved as the
right UTC instant, across the changes of summer time too."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from shared import booking, clinic_time, demo
from shared.db import Database
from shared.models import (
    Booking,
    Client,
    Closure,
    Room,
    Therapist,
    TimeOff,
    TreatmentType,
    WaitlistEntry,
    WorkingHours,
)
from tests.e2e.dashboard_server import demo_clinic, desk_and_api, headless_chromium, logged_in_tab

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

TZ = clinic_time.zone("Europe/Ljubljana")  # the demo clinic's
AMERICAN_DAY = re.compile(r"\b(0?[1-9]|1[0-2])/(0?[1-9]|[12]\d|3[01])/\d{4}\b")
TWELVE_HOUR = re.compile(r"\b\d{1,2}(:\d{2})?\s?[AaPp]\.?[Mm]\b")
CLINIC_DAY = re.compile(r"\b\d{2}\.\d{2}\.\d{4}\b")
AFTERNOON = re.compile(r"\b(1[3-9]|2[0-3]):[0-5]\d\b")  # a 24-hour clock past noon
BROWSER_PICKERS = "input[type=date], input[type=time], input[type=datetime-local]"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """The demo clinic on one database file, its dashboard and its API as real gunicorns."""
    with demo_clinic(tmp_path) as (url, database, _), desk_and_api(url, tmp_path) as (desk, api):
        yield {"desk": desk, "api": api, "db": database}


@pytest.fixture
def page(served: dict[str, Any]) -> Iterator[Any]:
    """An admin's tab in a browser whose own locale is American."""
    with (
        headless_chromium() as chromium,
        logged_in_tab(
            chromium,
            served["desk"],
            demo.DEMO_ADMIN,
            viewport={"width": 1440, "height": 900},
            locale="en-US",
            timezone_id="UTC",
        ) as tab,
    ):
        yield tab


def _written_like_the_clinic(tab: Any, *, day: bool = True, afternoon: bool = False) -> str:
    """The page as the receptionist sees it (text, field values and placeholders): no American
    date, no AM/PM, no picker drawn in the browser's locale; dd.mm.yyyy (and 24-hour)."""
    shown = tab.evaluate(
        "() => [document.body.innerText, ...Array.from(document.querySelectorAll('input'),"
        " i => i.value + ' ' + (i.placeholder || ''))].join('\\n')"
    )
    assert tab.locator(BROWSER_PICKERS).count() == 0, tab.url
    assert not AMERICAN_DAY.search(shown), (tab.url, AMERICAN_DAY.search(shown))
    assert not TWELVE_HOUR.search(shown), (tab.url, TWELVE_HOUR.search(shown))
    if day:
        assert CLINIC_DAY.search(shown), tab.url
    if afternoon:
        assert AFTERNOON.search(shown), tab.url
    return str(shown)


def _ids(database: Database) -> dict[str, int]:
    with database.read() as s:
        types = {t.name: t.id for t in s.exec(select(TreatmentType))}
        people = {t.name: t.id for t in s.exec(select(Therapist))}
        rooms = {r.name: r.id for r in s.exec(select(Room))}
        first_client = s.exec(select(Client).order_by(Client.id)).first()
    assert first_client is not None
    return {
        "consult": types["TCM consultation"],  # type: ignore[dict-item]
        "sara": people["Sara Zhang"],  # type: ignore[dict-item]
        "luka": people["Luka Kovač"],  # type: ignore[dict-item]
        "room": min(rooms.values()),  # type: ignore[type-var]
        "client": first_client.id,  # type: ignore[dict-item]
    }


def _quiet_monday() -> date:
    """A Monday more than three weeks ahead: the demo books nothing that far."""
    day = clinic_time.local_date(datetime.now(UTC), TZ) + timedelta(days=23)
    return day + timedelta(days=(0 - day.weekday()) % 7)


def _utc(day: date, hhmm: str) -> datetime:
    return clinic_time.local_to_utc(day, time.fromisoformat(hhmm), TZ)


def _save(tab: Any) -> None:
    with tab.expect_navigation():
        tab.click("input[type=submit][value=Save]")


def test_an_american_browser_sees_and_types_the_clinics_dates_and_24_hour_times(served, page):
    desk, database = served["desk"], served["db"]
    ids = _ids(database)
    monday = _quiet_monday()
    tuesday = monday + timedelta(days=1)
    with database.transaction() as s:
        made = booking.book(
            s,
            treatment_type_id=ids["consult"],
            start=_utc(monday, "15:00"),
            therapist_id=ids["sara"],
            client_id=ids["client"],
            actor="test",
        )
        booking_id = made.id

    # The day view: its date field jumps on Enter, as the native picker did.
    page.goto(f"{desk}/?date={monday.isoformat()}&by=therapist")
    assert page.input_value("#date-picker") == f"{monday:%d.%m.%Y}"
    _written_like_the_clinic(page, afternoon=True)  # Sara Zhang works 12:00-20:00
    page.keyboard.press("g")
    page.keyboard.type(f"{tuesday:%d.%m.%Y}")
    page.wait_for_url(re.compile(rf"date={tuesday:%d.%m.%Y}"))
    assert f"{tuesday:%A %d.%m.%Y}" in page.inner_text("h1.day-title")

    # The week view.
    page.goto(f"{desk}/week?date={monday.isoformat()}")
    _written_like_the_clinic(page, afternoon=True)

    # The booking's page and its move card: 'Free times that day' for a typed day, then a
    # move typed as the clinic writes it.
    page.goto(f"{desk}/booking/{booking_id}")
    assert page.input_value("#date") == f"{monday:%d.%m.%Y}"
    assert page.input_value("#time") == "15:00"
    page.fill("input[name=move_date]", f"{tuesday:%d.%m.%Y}")
    with page.expect_navigation():
        page.press("input[name=move_date]", "Enter")
    assert f"Free on {tuesday:%a %d.%m.%Y}" in page.inner_text("#move")
    _written_like_the_clinic(page, afternoon=True)
    page.fill("#date", f"{tuesday:%d.%m.%Y}")
    page.fill("#time", "17:30")
    with page.expect_navigation(url=f"{desk}/booking/{booking_id}"):
        page.click("text=Move session")
    assert f"Moved to {tuesday:%a %d.%m.%Y} 17:30" in page.inner_text(".messages")
    with database.read() as s:
        moved = s.get(Booking, booking_id)
        assert moved is not None and moved.start_at == _utc(tuesday, "17:30")

    # The booking form: a day and a time typed by hand.
    page.goto(f"{desk}/book/")
    page.select_option("#treatment_type_id", str(ids["consult"]))
    page.fill("#date", f"{monday:%d.%m.%Y}")
    page.wait_for_function(f"() => location.search.includes('date={monday:%d.%m.%Y}')")
    page.select_option("#therapist_id", str(ids["sara"]))
    page.wait_for_function(f"() => location.search.includes('therapist_id={ids['sara']}')")
    _written_like_the_clinic(page, afternoon=True)
    page.click("summary:has-text('Or enter a time yourself')")
    page.evaluate(
        "() => document.querySelectorAll('input[name=slot]').forEach(r => r.checked = false)"
    )
    page.fill("#time", "18:15")
    page.fill("#new_name", "Lea Locale")
    page.fill("#new_phone", "+386 41 555 666")
    with page.expect_navigation(url=re.compile(r"/booking/\d+$")):
        page.click("text=Book session")
    new_id = int(page.url.rsplit("/", 1)[1])
    with database.read() as s:
        typed = s.get(Booking, new_id)
        assert typed is not None and typed.start_at == _utc(monday, "18:15")

    # Time off, typed on the clinic's clock: a winter evening, and a span across the night
    # summer time ends (Sunday 25 October 2026, 03:00 -> 02:00).
    spans = [
        ("04.12.2026 17:30", "04.12.2026 19:00", utc(2026, 12, 4, 16, 30), utc(2026, 12, 4, 18)),
        (
            "24.10.2026 17:30",
            "25.10.2026 17:30",
            utc(2026, 10, 24, 15, 30),
            utc(2026, 10, 25, 16, 30),
        ),
    ]
    for starts, ends, _, _ in spans:
        page.goto(f"{desk}/time-off/new/")
        _written_like_the_clinic(page, day=False)
        assert page.get_attribute("#starts", "placeholder") == "dd.mm.yyyy hh:mm"
        page.select_option("#therapist_id", str(ids["luka"]))
        page.fill("#starts", starts)
        page.fill("#ends", ends)
        _save(page)
    with database.read() as s:
        saved = {(t.start_at, t.end_at) for t in s.exec(select(TimeOff))}
    assert {(a, b) for _, _, a, b in spans} <= saved
    page.goto(f"{desk}/time-off/")
    listed = _written_like_the_clinic(page, afternoon=True)
    assert "04.12.2026 17:30" in listed and "25.10.2026 17:30" in listed

    # The list filtered by days typed as the clinic writes them (no yyyy-mm-dd picker).
    page.click("text=Add Filter")
    page.click("a.dropdown-item.filter:has-text('Starts')")
    days = page.locator("table.filters input.filter-val").last
    assert days.get_attribute("placeholder") == "dd.mm.yyyy to dd.mm.yyyy"
    days.fill("04.12.2026 to 04.12.2026")
    with page.expect_navigation():
        page.click("#filter_form button[type=submit]")
    listed = _written_like_the_clinic(page, afternoon=True)
    assert "04.12.2026 17:30" in listed and "25.10.2026 17:30" not in listed

    # A typo names the pattern and saves nothing.
    page.goto(f"{desk}/time-off/new/")
    before = len(saved)
    page.select_option("#therapist_id", str(ids["luka"]))
    page.fill("#starts", "12/04/2026 5:30 PM")
    page.fill("#ends", "04.12.2026 19:00")
    _save(page)
    assert "Write the date and time as dd.mm.yyyy hh:mm" in page.inner_text("body")
    with database.read() as s:
        assert len(s.exec(select(TimeOff)).all()) == before

    # A room closed on the first Monday of summer time (29.03.2027: UTC+2).
    page.goto(f"{desk}/closures/new/")
    _written_like_the_clinic(page, day=False)
    page.select_option("#room_id", str(ids["room"]))
    page.fill("#starts", "29.03.2027 17:30")
    page.fill("#ends", "29.03.2027 19:00")
    _save(page)
    with database.read() as s:
        closure = s.exec(select(Closure).where(Closure.room_id == ids["room"])).first()
    assert closure is not None
    assert (closure.start_at, closure.end_at) == (utc(2027, 3, 29, 15, 30), utc(2027, 3, 29, 17))
    page.goto(f"{desk}/closures/")
    assert "29.03.2027 17:30" in _written_like_the_clinic(page, afternoon=True)

    # Working hours: times and an optional first day.
    page.goto(f"{desk}/hours/new/")
    _written_like_the_clinic(page, day=False)
    assert page.get_attribute("#start_time", "placeholder") == "hh:mm"
    assert page.get_attribute("#valid_from", "placeholder") == "dd.mm.yyyy"
    page.select_option("#therapist_id", str(ids["sara"]))
    page.select_option("#weekday", "5")  # Saturday, when she has no block yet
    page.fill("#start_time", "17:30")
    page.fill("#end_time", "19:00")
    page.fill("#valid_from", "04.12.2026")
    _save(page)
    with database.read() as s:
        block = s.exec(
            select(WorkingHours).where(
                WorkingHours.therapist_id == ids["sara"], WorkingHours.weekday == 5
            )
        ).one()
    assert (block.start_time, block.end_time, block.valid_from) == (
        time(17, 30),
        time(19),
        date(2026, 12, 4),
    )
    page.goto(f"{desk}/hours/?search=Sara")
    assert "Fri 04.12.2026" in _written_like_the_clinic(page, afternoon=True)


def test_the_waiting_list_form_on_the_booking_page_reads_the_clinics_dates(served, page):
    api, database = served["api"], served["db"]
    ids = _ids(database)
    monday = _quiet_monday()
    page.goto(f"{api}/book/waitlist?treatment={ids['consult']}&from={monday.isoformat()}")
    assert page.input_value("#first_day") == f"{monday:%d.%m.%Y}"
    _written_like_the_clinic(page, afternoon=True)  # "Evenings (from 17:00)"
    page.fill("#last_day", "31/12/2099")
    page.fill("#name", "Lea Locale")
    page.fill("#email", "lea.locale@example.com")
    page.check("#consent")
    page.click("button[type=submit]")
    assert "Write the date as dd.mm.yyyy" in page.inner_text("#last_day-error")
    page.fill("#last_day", f"{monday + timedelta(days=13):%d.%m.%Y}")
    with page.expect_navigation(url=re.compile(r"/book/waitlist/joined$")):
        page.click("button[type=submit]")
    with database.read() as s:
        entry = s.exec(
            select(WaitlistEntry).order_by(WaitlistEntry.id.desc())  # type: ignore[union-attr]
        ).first()
    assert entry is not None
    assert (entry.first_day, entry.last_day) == (monday, monday + timedelta(days=13))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)
