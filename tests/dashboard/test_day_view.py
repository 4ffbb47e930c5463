"""The home page: a day of sessions in columns by therapist or room."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from services.dashboard import dayplan
from shared import booking, catalog
from shared.models import BookingStatus
from tests.dashboard.conftest import RECEPTION, log_in, text
from tests.factories import MONDAY, NOW, TZ, local


def _book(db, clinic, hhmm="10:00", *, tt=None, therapist=None, client=None, day=MONDAY):
    with db.transaction() as s:
        made = booking.book(
            s,
            treatment_type_id=(tt or clinic.facial).id,
            start=local(day, hhmm),
            client_id=(client or clinic.client).id,
            therapist_id=(therapist.id if therapist else None),
            actor="test",
            now=NOW,
        )
        return made.id


def test_today_is_shown_by_default_with_a_column_per_therapist(reception, clock):
    clock.now = local(MONDAY, "08:00")
    log_in(reception.client, *RECEPTION)  # the old session expired with the jump
    page = text(reception.get("/"))
    assert "Monday 01.03.2027" in page
    assert "Today" in page
    assert "Anna Novak" in page and "Boris Li" in page
    assert "09:00\u201317:00" in page  # Anna's hours
    assert "09:00\u201313:00" in page  # Boris's hours


def test_a_session_shows_the_clients_full_name_treatment_time_and_room(reception, db, clinic):
    booking_id = _book(db, clinic, "10:00")
    page = text(reception.get("/?date=2027-03-01"))
    assert "Eva Horvat" in page
    assert "Facial rejuvenation" in page
    assert "10:00\u201311:00" in page
    assert "Room 1 · Booked" in page
    assert f'href="/booking/{booking_id}"' in page


def test_a_session_that_is_over_but_not_marked_says_so(reception, db, clinic, clock):
    _book(db, clinic, "10:00")
    clock.now = local(MONDAY, "12:00")
    log_in(reception.client, *RECEPTION)
    page = text(reception.get("/?date=2027-03-01"))
    assert "Room 1 · to mark" in page
    assert "now-line" in page


def test_by_room_puts_rooms_in_the_columns_and_the_therapist_in_the_block(reception, db, clinic):
    _book(db, clinic, "10:00")
    page = text(reception.get("/?date=2027-03-01&by=room"))
    assert "Room 1" in page and "Room 2" in page
    assert 'class="b-meta">Anna Novak' in page
    assert (
        'aria-current="true" data-shortcut="r">By room' in page.replace("\n", "")
        or "By room" in page
    )


def test_the_choice_of_columns_is_remembered(reception):
    reception.get("/?date=2027-03-01&by=room")
    page = text(reception.get("/?date=2027-03-02"))
    assert 'class="on" aria-current="true"' in page
    assert 'href="/?date=2027-03-02&amp;by=therapist"' in page


def test_prev_and_next_link_to_the_neighbouring_days(reception):
    page = text(reception.get("/?date=2027-03-01&by=therapist"))
    assert 'href="/?date=2027-02-28&amp;by=therapist"' in page
    assert 'href="/?date=2027-03-02&amp;by=therapist"' in page


def test_a_bad_date_shows_today_with_a_message(reception):
    page = reception.get("/?date=2027-13-45")
    assert page.status_code == 200
    assert "Write the date as dd.mm.yyyy. Showing today." in text(page)


def test_status_is_visible_and_cancelled_sessions_are_hidden_until_asked(
    reception, db, clinic, clock
):
    done = _book(db, clinic, "09:15", tt=clinic.consult, therapist=clinic.boris)
    gone = _book(db, clinic, "14:00")
    with db.transaction() as s:
        booking.mark_no_show(s, done, actor="t", now=local(MONDAY, "10:00"))
        booking.cancel(s, gone, actor="t", reason="ill", now=NOW)
    page = text(reception.get("/?date=2027-03-01"))
    assert "status-no_show" in page and "No-show" in page
    assert f"/booking/{gone}" not in page
    assert "Show 1 cancelled" in page
    shown = text(reception.get("/?date=2027-03-01&cancelled=1"))
    assert f"/booking/{gone}" in shown and "status-cancelled" in shown


def test_time_off_and_closures_are_marked_in_the_columns(reception, db, clinic):
    with db.transaction() as s:
        catalog.add_time_off(
            s,
            therapist_id=clinic.boris.id,
            start=local(MONDAY, "09:00"),
            end=local(MONDAY, "11:00"),
            reason="Dentist",
        )
        catalog.add_closure(
            s, start=local(MONDAY, "15:00"), end=local(MONDAY, "16:00"), reason="Fire drill"
        )
    page = text(reception.get("/?date=2027-03-01"))
    assert "shade-timeoff" in page and "Dentist" in page
    assert "shade-closed" in page and "Fire drill" in page
    assert "11:00\u201313:00" in page  # what is left of Boris's day


def test_a_therapist_without_hours_that_day_is_marked_not_working(reception):
    page = text(reception.get("/?date=2027-03-06"))  # a Saturday
    assert "Not working today" in page


def test_empty_clinic_shows_a_hint_rather_than_an_error(app, db):
    from shared import accounts

    with db.transaction() as s:
        catalog.configure_clinic(s, name="Empty", timezone="Europe/Ljubljana")
        accounts.create_user(s, email=RECEPTION[0], password=RECEPTION[1], role="receptionist")
    client = app.test_client()
    log_in(client, *RECEPTION)
    page = client.get("/")
    assert page.status_code == 200
    assert "No therapists yet" in text(page)


# -- the layout itself (pure) -----------------------------------------------------------------


def _block(start: str, end: str, status: str = "booked") -> dayplan.Block:
    s = local(MONDAY, start)
    e = local(MONDAY, end)
    return dayplan.Block(1, s, e, s, e, "C", "T", "#000000", status, "", False)


def test_overlapping_blocks_share_the_column_side_by_side():
    a, b, c = (
        _block("10:00", "11:00", "cancelled"),
        _block("10:30", "11:30"),
        _block("12:00", "13:00"),
    )
    column = dayplan.Column(1, "Anna", "#000000", "", blocks=[a, b, c])
    plan = dayplan.DayPlan(day=MONDAY, mode="therapist", tz=TZ, columns=[column])
    dayplan.lay_out(plan, NOW)
    assert (a.lane, a.lanes) == (0, 2)
    assert (b.lane, b.lanes) == (1, 2)
    assert (c.lane, c.lanes) == (0, 1)


def test_visible_hours_cover_the_working_day_and_early_or_late_sessions():
    early = _block("06:30", "07:15")
    column = dayplan.Column(1, "Anna", "#000000", "", blocks=[early])
    plan = dayplan.DayPlan(day=MONDAY, mode="therapist", tz=TZ, columns=[column])
    dayplan.lay_out(plan, NOW, working=[(local(MONDAY, "09:00"), local(MONDAY, "17:30"))])
    assert (plan.first_minute, plan.last_minute) == (6 * 60, 18 * 60)
    assert early.top == 30 and early.height == 45


def test_a_short_working_day_still_shows_six_hours_and_an_empty_day_shows_eight_to_eight():
    short = dayplan.DayPlan(day=MONDAY, mode="room", tz=TZ, columns=[])
    dayplan.lay_out(short, NOW, working=[(local(MONDAY, "10:00"), local(MONDAY, "12:00"))])
    assert (short.first_minute, short.last_minute) == (8 * 60, 14 * 60)
    empty = dayplan.DayPlan(day=MONDAY, mode="room", tz=TZ, columns=[])
    dayplan.lay_out(empty, NOW)
    assert (empty.first_minute, empty.last_minute) == (8 * 60, 20 * 60)


def test_positions_follow_the_wall_clock_on_the_day_clocks_go_forward():
    day = date(2027, 3, 28)  # Europe/Ljubljana springs forward at 02:00
    s = datetime.combine(day, time(10), tzinfo=TZ).astimezone(UTC)
    block = dayplan.Block(
        1, s, s + timedelta(hours=1), s, s + timedelta(hours=1), "C", "T", "#0", "booked", "", False
    )
    plan = dayplan.DayPlan(
        day=day, mode="room", tz=TZ, columns=[dayplan.Column(1, "R", "#0", "", blocks=[block])]
    )
    dayplan.lay_out(plan, NOW)
    assert block.top == 10 * 60 - plan.first_minute


def test_the_now_line_shows_only_on_today():
    plan = dayplan.DayPlan(day=MONDAY, mode="room", tz=TZ, columns=[])
    dayplan.lay_out(plan, local(MONDAY, "10:30"))
    assert plan.now_minute == 10.5 * 60 - plan.first_minute
    other = dayplan.DayPlan(day=MONDAY, mode="room", tz=TZ, columns=[])
    dayplan.lay_out(other, local(MONDAY + timedelta(days=1), "10:30"))
    assert other.now_minute is None


def test_status_values_the_template_knows_cover_every_booking_status():
    template = Path("services/dashboard/templates/dashboard/day.html").read_text()
    for status in BookingStatus:
        if status != BookingStatus.BOOKED:
            assert f"'{status.value}'" in template
