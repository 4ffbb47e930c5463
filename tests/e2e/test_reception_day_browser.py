"""The receptionist's day view in headless Chromium against real gunicorns on the demo clinic:
a phone-call booking in at most 5 counted actions, the view redrawing itself when the API
books, moving a session by drag (a taken time refused with the reason), short cards that keep
their room and "to mark" (bug 4), and a day that is whole on screen and on paper (bug 8).

Days are chosen where the demo has no sessions of its own (more than three weeks ahead, or
more than two weeks back), so every session on them is one the test made.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlmodel import select

from shared import booking, catalog, clinic_time, demo
from shared.db import Database
from shared.models import Booking, Client, Therapist, TreatmentType
from tests.e2e.dashboard_server import (
    SCREENSHOTS,
    demo_clinic,
    desk_and_api,
    headless_chromium,
    logged_in_tab,
)

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

TZ = clinic_time.zone("Europe/Ljubljana")  # the demo clinic's
LIVE_DEADLINE_MS = 5000  # the promise: an API booking shows within 5 seconds


@pytest.fixture
def served(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """The demo clinic on one database file, its dashboard and its API as real gunicorns."""
    with (
        demo_clinic(tmp_path) as (url, database, logins),
        desk_and_api(url, tmp_path) as (desk, api),
    ):
        yield {"desk": desk, "api": api, "db": database, "key": logins["api_key"]}


@pytest.fixture
def page(served: dict[str, Any]) -> Iterator[Any]:
    with (
        headless_chromium() as chromium,
        logged_in_tab(
            chromium,
            served["desk"],
            demo.DEMO_LOGIN,
            viewport={"width": 1440, "height": 900},
            locale="en-GB",
        ) as tab,
    ):
        yield tab


def _today() -> date:
    return clinic_time.local_date(datetime.now(UTC), TZ)


def _next(weekday: int, after: date) -> date:
    """The first `weekday` (0 = Monday) on or after `after`."""
    return after + timedelta(days=(weekday - after.weekday()) % 7)


def _ids(database: Database) -> dict[str, int]:
    with database.read() as s:
        types = {t.name: t.id for t in s.exec(select(TreatmentType))}
        people = {t.name: t.id for t in s.exec(select(Therapist))}
        clients = list(s.exec(select(Client).order_by(Client.id)))
    return {
        "consult": types["TCM consultation"],  # type: ignore[dict-item]
        "mei": people["Mei Lin"],  # type: ignore[dict-item]
        "ana": people["Ana Novak"],  # type: ignore[dict-item]
        "client": clients[0].id,  # type: ignore[dict-item]
        "other": clients[1].id,  # type: ignore[dict-item]
    }


def _book(database: Database, ids: dict[str, int], day: date, hhmm: str, **kw: Any) -> Booking:
    kw.setdefault("client_id", ids["client"])
    with database.transaction() as s:
        return booking.book(
            s,
            treatment_type_id=ids["consult"],
            start=clinic_time.local_to_utc(day, time.fromisoformat(hhmm), TZ),
            therapist_id=ids["mei"],
            actor="test",
            **kw,
        )


def _row(database: Database, booking_id: int) -> tuple[Any, ...]:
    with database.read() as s:
        b = s.get(Booking, booking_id)
        assert b is not None
        return (b.start_at, b.therapist_id, b.room_id, b.sequence, b.status)


def _time_y(page: Any, column: Any, hhmm: str) -> float:
    """The page's y of a wall-clock time in a day-view column."""
    grid = page.locator("[data-fit-day]")
    first = int(grid.get_attribute("data-first-minute"))
    px = page.evaluate(
        "() => parseFloat(getComputedStyle(document.querySelector('[data-fit-day]'))"
        ".getPropertyValue('--px'))"
    )
    hour, minute = map(int, hhmm.split(":"))
    return column.bounding_box()["y"] + (hour * 60 + minute - first) * px


def _shot(page: Any, name: str, **kw: Any) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), **kw)
    return path


def test_a_phone_call_books_a_new_client_into_her_next_free_afternoon_in_five_actions(served, page):
    """ "Anything Thursday afternoon with Mei Lin, or her next free afternoon?" With Thursday's
    day view on screen: click Thursday 14:00 in her column, choose the treatment (free times
    over the week appear in place, and the first free one from Thursday 14:00 is chosen:
    Friday 14:00, as she works Thursday mornings only), type the name, the phone, Book."""
    database = served["db"]
    ids = _ids(database)
    thursday = _next(3, _today() + timedelta(days=23))
    friday = thursday + timedelta(days=1)
    page.goto(f"{served['desk']}/?date={thursday.isoformat()}&by=therapist")
    actions: list[str] = []

    mei = page.locator(f'.cal-col[data-col-key="{ids["mei"]}"]')
    box = mei.bounding_box()
    with page.expect_navigation(url=re.compile(r"/book/\?.*at=14%3A00|/book/\?.*at=14:00")):
        page.mouse.click(box["x"] + box["width"] / 2, _time_y(page, mei, "14:00") + 3)
    actions.append("click Thursday 14:00 in Mei Lin's column")
    assert page.input_value("#therapist_id") == str(ids["mei"])
    assert page.input_value("#date") == f"{thursday:%d.%m.%Y}"  # the clinic's locale
    page.evaluate("() => { window.sameDocument = true; }")  # gone if the page reloads

    page.select_option("#treatment_type_id", str(ids["consult"]))
    actions.append("choose the treatment")
    note = page.locator(".preselected")
    note.wait_for()
    assert f"{friday:%a %d.%m.%Y} 14:00" in note.inner_text()  # the clinic's locale
    assert page.locator(".slot-day").count() >= 3  # several days in one view
    chosen = page.locator("input[name=slot]:checked").get_attribute("value")
    assert chosen and chosen.endswith(f"|{ids['mei']}")

    page.fill("#new_name", "Nina Telefon")
    actions.append("type the name")
    page.fill("#new_phone", "+386 41 222 333")
    actions.append("type the phone")
    assert page.evaluate("() => window.sameDocument === true")  # the filters did not reload
    _shot(page, "phone-call-booking")
    with page.expect_navigation(url=re.compile(r"/booking/\d+$")):
        page.click("text=Book session")
    actions.append("click Book session")

    assert len(actions) <= 5, actions
    booking_id = int(page.url.rsplit("/", 1)[1])
    with database.read() as s:
        made = s.get(Booking, booking_id)
        assert made is not None and made.client is not None
        assert made.therapist_id == ids["mei"]
        assert made.start_at == clinic_time.local_to_utc(friday, time(14, 0), TZ)
        assert (made.client.name, made.client.phone) == ("Nina Telefon", "+386 41 222 333")


def test_a_booking_made_through_the_api_appears_in_the_open_day_view_without_a_reload(served, page):
    database = served["db"]
    ids = _ids(database)
    thursday = _next(3, _today() + timedelta(days=23))
    page.set_viewport_size({"width": 1440, "height": 600})
    page.goto(f"{served['desk']}/?date={thursday.isoformat()}&by=therapist")
    assert "Live Refresh" not in page.inner_text("[data-live-root]")
    page.evaluate(
        """(id) => {
          window.sameDocument = true;
          window.scrollTo(0, 120);
          document.querySelector(`.cal-col[data-col-key="${id}"]`).untouched = true;
        }""",
        ids["ana"],
    )
    scrolled = page.evaluate("() => window.scrollY")
    answer = requests.post(
        served["api"] + "/api/v1/bookings",
        json={
            "treatment_type_id": ids["consult"],
            "start": clinic_time.local_to_utc(thursday, time(10, 0), TZ).isoformat(),
            "therapist_id": ids["mei"],
            "client": {"name": "Live Refresh", "email": "live.refresh@example.com"},
        },
        headers={"Authorization": f"Bearer {served['key']}"},
        timeout=30,
    )
    assert answer.status_code == 201, answer.text

    # Polls the page until the deadline; fails if the session has not appeared by then.
    page.wait_for_function(
        "() => document.querySelector('[data-live-root]').innerText.includes('Live Refresh')",
        timeout=LIVE_DEADLINE_MS,
    )
    mei = page.locator(f'.cal-col[data-col-key="{ids["mei"]}"]')
    assert "Live Refresh" in mei.inner_text()
    assert page.evaluate("() => window.sameDocument === true")  # no reload
    assert page.evaluate(  # the column that did not change was left alone (no flicker)
        '(id) => document.querySelector(`.cal-col[data-col-key="${id}"]`).untouched === true',
        ids["ana"],
    )
    assert page.evaluate("() => window.scrollY") == scrolled
    assert "1 session" in page.inner_text(".day-count")


def test_time_off_entered_elsewhere_appears_in_the_open_day_view_without_a_reload(served, page):
    """Mei Lin calls in: her time off, entered through the domain by another process, is
    shaded in her column of the open day view within the live deadline."""
    database = served["db"]
    ids = _ids(database)
    thursday = _next(3, _today() + timedelta(days=23))
    page.goto(f"{served['desk']}/?date={thursday.isoformat()}&by=therapist")
    mei = page.locator(f'.cal-col[data-col-key="{ids["mei"]}"]')
    assert mei.locator(".shade-timeoff").count() == 0
    page.evaluate("() => { window.sameDocument = true; }")  # gone if the page reloads

    with database.transaction() as s:
        catalog.add_time_off(
            s,
            therapist_id=ids["mei"],
            start=clinic_time.local_to_utc(thursday, time(9, 0), TZ),
            end=clinic_time.local_to_utc(thursday, time(12, 0), TZ),
            reason="Dentist",
        )

    # Polls the page until the deadline; fails if the time off has not appeared by then.
    page.wait_for_function(
        """(id) => Array.from(document.querySelectorAll(
              `.cal-col[data-col-key="${id}"] .shade-timeoff`)).some(
              (el) => el.innerText.includes("Dentist"))""",
        arg=ids["mei"],
        timeout=LIVE_DEADLINE_MS,
    )
    assert page.evaluate("() => window.sameDocument === true")  # no reload


def _drag(page: Any, block: Any, column: Any, hhmm: str, *, hint: str = "") -> None:
    """Press on the session, move it so its top is at `hhmm` in `column`, let go. With `hint`,
    first wait until the times the rules allow are marked and check that one is."""
    box = block.bounding_box()
    grab_x, grab_y = box["x"] + box["width"] / 2, box["y"] + 6
    page.mouse.move(grab_x, grab_y)
    page.mouse.down()
    page.mouse.move(grab_x, grab_y + 20, steps=4)
    if hint:
        column.locator(f'.drop-hint[title="{hint}"]').wait_for()
    target = column.bounding_box()
    page.mouse.move(target["x"] + target["width"] / 2, _time_y(page, column, hhmm) + 6, steps=8)
    page.mouse.up()


def test_a_session_dragged_onto_a_taken_time_is_refused_with_the_reason_and_onto_a_free_one_moves(
    served, page
):
    database = served["db"]
    ids = _ids(database)
    thursday = _next(3, _today() + timedelta(days=23))
    moving = _book(database, ids, thursday, "09:00")
    _book(database, ids, thursday, "11:00", client_id=ids["other"])
    before = _row(database, moving.id)  # type: ignore[arg-type]
    page.goto(f"{served['desk']}/?date={thursday.isoformat()}&by=therapist")
    mei = page.locator(f'.cal-col[data-col-key="{ids["mei"]}"]')
    block = page.locator(f'.block[href="/booking/{moving.id}"]')

    # While dragging, the free times are marked: 12:00 is, 11:00 (taken) is not.
    _drag(page, block, mei, "11:00", hint="12:00")
    toast = page.locator("[data-toast]")
    toast.wait_for()
    assert mei.locator('.drop-hint[title="11:00"]').count() == 0
    refusal = toast.inner_text()
    assert "11:00" in refusal and "Mei Lin" in refusal, refusal
    assert "refused" in (toast.get_attribute("class") or "")
    assert _row(database, moving.id) == before  # type: ignore[arg-type]
    assert "/booking/" not in page.url  # the drop did not open the session

    _drag(page, block, mei, "12:00")
    page.wait_for_function(
        "() => document.querySelector('[data-toast]').innerText.startsWith('Moved to')"
    )
    start, therapist, _, sequence, _ = _row(database, moving.id)  # type: ignore[arg-type]
    assert start == clinic_time.local_to_utc(thursday, time(12, 0), TZ)
    assert (therapist, sequence) == (ids["mei"], before[3] + 1)
    # The view redrew itself with the session at 12:00 and its new version.
    page.wait_for_function(
        "(id) => document.querySelector(`.block[href=\"/booking/${id}\"]`).dataset.version === '1'",
        arg=moving.id,
    )
    assert "12:00" in page.locator(f'.block[href="/booking/{moving.id}"] .b-time').inner_text()


def test_a_drop_from_a_view_drawn_before_another_change_is_refused_and_changes_nothing(
    served, page
):
    database = served["db"]
    ids = _ids(database)
    thursday = _next(3, _today() + timedelta(days=23))
    moving = _book(database, ids, thursday, "09:00")
    page.route("**/live", lambda route: route.abort())  # the view is not redrawn meanwhile
    page.goto(f"{served['desk']}/?date={thursday.isoformat()}&by=therapist")
    with database.transaction() as s:  # someone else moves it after the view was drawn
        booking.reschedule(
            s,
            moving.id,  # type: ignore[arg-type]
            actor="other desk",
            start=clinic_time.local_to_utc(thursday, time(10, 0), TZ),
        )
    before = _row(database, moving.id)  # type: ignore[arg-type]
    block = page.locator(f'.block[href="/booking/{moving.id}"][data-version="0"]')
    mei = page.locator(f'.cal-col[data-col-key="{ids["mei"]}"]')
    _drag(page, block, mei, "12:00")
    page.wait_for_function(
        "() => document.querySelector('[data-toast]').innerText.includes('meanwhile')"
    )
    assert _row(database, moving.id) == before  # type: ignore[arg-type]


def _past_day_with_late_and_short_sessions(served: dict[str, Any]) -> tuple[date, Booking]:
    """A Wednesday three weeks back: a 45-minute consultation at 09:00 (over, so "to mark")
    and Mei Lin's last session of the day at 17:00."""
    database = served["db"]
    ids = _ids(database)
    day = _next(2, _today() - timedelta(days=24))
    booked_then = clinic_time.local_to_utc(day - timedelta(days=7), time(9, 0), TZ)
    _book(database, ids, day, "09:00", now=booked_then)
    last = _book(database, ids, day, "17:00", client_id=ids["other"], now=booked_then)
    return day, last


def test_a_45_minute_card_keeps_its_room_and_to_mark_label(served, page):
    day, _ = _past_day_with_late_and_short_sessions(served)
    page.goto(f"{served['desk']}/?date={day.isoformat()}&by=therapist")
    card = page.locator(".block").filter(has_text="09:00").first
    meta = card.locator(".b-meta")
    assert meta.is_visible()
    assert "Room" in meta.inner_text() and "to mark" in meta.inner_text()
    box, inner = card.bounding_box(), meta.bounding_box()
    assert inner["y"] + inner["height"] <= box["y"] + box["height"] + 1  # not cut off
    _shot(page, "day-short-cards")


def test_the_last_session_of_a_long_day_is_in_the_page_not_hidden_in_a_scrolling_box(served, page):
    day, last = _past_day_with_late_and_short_sessions(served)
    page.set_viewport_size({"width": 1280, "height": 560})
    page.goto(f"{served['desk']}/?date={day.isoformat()}&by=therapist")
    grid = page.locator("[data-fit-day]")
    inner_scroll = grid.evaluate("(el) => el.scrollHeight - el.clientHeight")
    assert inner_scroll <= 1, f"the day grid hides {inner_scroll}px in its own scrolling box"
    block = page.locator(f'.block[href="/booking/{last.id}"]')
    page.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
    box = block.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= 560  # in view at the page's end


def test_the_printed_day_sheet_shows_the_whole_day_by_therapist_without_buttons(served, page):
    day, last = _past_day_with_late_and_short_sessions(served)
    page.goto(f"{served['desk']}/?date={day.isoformat()}&by=room")
    print_link = page.locator("[data-print-link]").get_attribute("href")
    assert print_link and "by=therapist" in print_link  # the sheet is per therapist
    page.goto(f"{served['desk']}/?date={day.isoformat()}&by=therapist")
    page.set_viewport_size({"width": 1123, "height": 794})  # A4 landscape at 96 dpi
    page.emulate_media(media="print")
    for hidden in (".topbar", ".day-actions", ".col-add", ".legend", ".date-jump"):
        assert not page.locator(hidden).first.is_visible(), hidden
    assert page.locator(".col-head").count() == 4  # the demo's four therapists
    grid = page.locator("[data-fit-day]")
    assert grid.evaluate("(el) => el.scrollHeight - el.clientHeight") <= 1
    block = page.locator(f'.block[href="/booking/{last.id}"]')
    assert block.is_visible()
    box, sheet = block.bounding_box(), grid.bounding_box()
    assert box["y"] + box["height"] <= sheet["y"] + sheet["height"]
    height = page.evaluate("() => document.documentElement.scrollHeight")
    assert box["y"] + box["height"] <= height
    shot = _shot(page, "day-print", full_page=True)
    assert shot.stat().st_size > 0


def test_the_week_view_moves_a_session_dragged_to_another_day_at_the_same_time(served, page):
    database = served["db"]
    ids = _ids(database)
    thursday = _next(3, _today() + timedelta(days=23))
    friday = thursday + timedelta(days=1)
    moving = _book(database, ids, thursday, "10:00")
    page.goto(f"{served['desk']}/week?date={thursday.isoformat()}&by=therapist")
    card = page.locator(f'.week-card[href="/booking/{moving.id}"]')
    target = page.locator(f'td[data-col-key="{ids["mei"]}"][data-day="{friday.isoformat()}"]')
    saturday = page.locator(
        f'td[data-col-key="{ids["mei"]}"][data-day="{(friday + timedelta(days=1)).isoformat()}"]'
    )
    box = card.bounding_box()
    page.mouse.move(box["x"] + 10, box["y"] + 5)
    page.mouse.down()
    page.mouse.move(box["x"] + 30, box["y"] + 5, steps=4)
    # Friday 10:00 is free for her: marked while dragging; Saturday (not working) is not.
    page.locator(
        f'td.drop-ok[data-col-key="{ids["mei"]}"][data-day="{friday.isoformat()}"]'
    ).wait_for()
    assert "drop-ok" not in (saturday.get_attribute("class") or "")
    cell = target.bounding_box()
    page.mouse.move(cell["x"] + cell["width"] / 2, cell["y"] + cell["height"] - 8, steps=8)
    page.mouse.up()
    page.wait_for_function(
        "() => document.querySelector('[data-toast]').innerText.startsWith('Moved to')"
    )
    assert _row(database, moving.id)[0] == clinic_time.local_to_utc(  # type: ignore[arg-type]
        friday, time(10, 0), TZ
    )
    target.locator(f'.week-card[href="/booking/{moving.id}"]').wait_for()  # redrawn in place
    assert page.url.endswith(f"/week?date={thursday.isoformat()}&by=therapist")
