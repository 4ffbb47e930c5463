"""Availability and bookings on the days clocks change in Ljubljana (28 Mar and 31 Oct 2027)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise

import pytest

from shared import catalog
from shared.availability import available_slots
from shared.booking import book
from tests.factories import NOW, TZ

SPRING = date(2027, 3, 28)  # a Sunday: 02:00 CET -> 03:00 CEST
AUTUMN = date(2027, 10, 31)  # a Sunday: 03:00 CEST -> 02:00 CET


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def sunday_hours(db, clinic):
    """Anna also works Sundays 09:00-17:00, and Boris a night block 00:00-06:00."""
    with db.transaction() as session:
        catalog.configure_clinic(session, booking_horizon_days=730)
        catalog.add_working_hours(
            session, therapist_id=clinic.anna.id, weekday=6, start_time=time(9), end_time=time(17)
        )
        catalog.add_working_hours(
            session, therapist_id=clinic.boris.id, weekday=6, start_time=time(0), end_time=time(6)
        )
    return clinic


def slots(db, clinic, day: date, therapist):
    with db.read() as session:
        return available_slots(
            session,
            treatment_type_id=clinic.consult.id,
            start=day,
            end=day,
            now=NOW,
            therapist_id=therapist.id,
        )


@pytest.mark.parametrize(
    ("day", "first", "last"),
    [
        (SPRING - timedelta(days=7), utc(2027, 3, 21, 8), utc(2027, 3, 21, 15, 15)),  # CET
        (SPRING, utc(2027, 3, 28, 7), utc(2027, 3, 28, 14, 15)),  # CEST from 03:00
        (AUTUMN - timedelta(days=7), utc(2027, 10, 24, 7), utc(2027, 10, 24, 14, 15)),  # CEST
        (AUTUMN, utc(2027, 10, 31, 8), utc(2027, 10, 31, 15, 15)),  # CET from 03:00
    ],
)
def test_working_hours_on_the_days_dst_changes_give_the_right_utc_instants(
    db, sunday_hours, day, first, last
):
    found = slots(db, sunday_hours, day, sunday_hours.anna)
    assert (found[0].start, found[-1].start) == (first, last)
    assert [s.start.astimezone(TZ).strftime("%H:%M") for s in (found[0], found[-1])] == [
        "09:00",
        "16:15",
    ]
    assert len(found) == 30  # 09:00 to 16:15, every 15 minutes: a full day either way


def test_a_night_block_on_the_spring_change_is_one_hour_shorter_and_its_grid_has_no_hole(
    db, sunday_hours
):
    found = slots(db, sunday_hours, SPRING, sunday_hours.boris)
    starts = [s.start for s in found]
    # 00:00 CET (23:00 UTC) to 05:15 CEST (03:15 UTC): 4h15 of real time, every 15 minutes.
    assert starts[0] == utc(2027, 3, 27, 23) and starts[-1] == utc(2027, 3, 28, 3, 15)
    assert all(b - a == timedelta(minutes=15) for a, b in pairwise(starts))
    walls = [s.astimezone(TZ).strftime("%H:%M") for s in starts]
    assert "01:45" in walls and "03:00" in walls
    assert not any(w.startswith("02:") for w in walls)  # those clock times do not exist
    session_across_the_change = found[walls.index("01:45")]
    assert session_across_the_change.end - session_across_the_change.start == timedelta(minutes=45)
    assert session_across_the_change.end.astimezone(TZ).strftime("%H:%M") == "03:30"


def test_a_night_block_on_the_autumn_change_is_one_hour_longer_and_offers_the_repeated_hour(
    db, sunday_hours
):
    found = slots(db, sunday_hours, AUTUMN, sunday_hours.boris)
    starts = [s.start for s in found]
    # 00:00 CEST (22:00 UTC) to 05:15 CET (04:15 UTC): 6h15 of real time.
    assert starts[0] == utc(2027, 10, 30, 22) and starts[-1] == utc(2027, 10, 31, 4, 15)
    assert len(starts) == 26
    walls = [s.astimezone(TZ).strftime("%H:%M") for s in starts]
    assert walls.count("02:30") == 2


def test_a_session_booked_on_the_spring_change_is_stored_in_utc(db, sunday_hours):
    with db.transaction() as session:
        made = book(
            session,
            treatment_type_id=sunday_hours.consult.id,
            start=datetime(2027, 3, 28, 9, 0, tzinfo=TZ),
            client_id=sunday_hours.client.id,
            actor="reception",
            now=NOW,
        )
    assert (made.start_at, made.end_at) == (utc(2027, 3, 28, 7), utc(2027, 3, 28, 7, 45))
    assert made.therapist_id == sunday_hours.anna.id
    after = slots(db, sunday_hours, SPRING, sunday_hours.anna)
    assert utc(2027, 3, 28, 7) not in [s.start for s in after]
    assert after[0].start == utc(2027, 3, 28, 7, 45)


def test_a_week_across_the_change_keeps_local_opening_hours_every_day(db, clinic):
    with db.read() as session:
        found = available_slots(
            session,
            treatment_type_id=clinic.consult.id,
            start=date(2027, 3, 22),
            end=date(2027, 4, 2),
            now=NOW,
            therapist_id=clinic.boris.id,
        )
    by_day: dict[date, list[str]] = {}
    for s in found:
        local = s.start.astimezone(TZ)
        by_day.setdefault(local.date(), []).append(local.strftime("%H:%M"))
    assert len(by_day) == 10  # two working weeks
    assert all(walls[0] == "09:00" and walls[-1] == "12:15" for walls in by_day.values())
    offsets = {s.start.astimezone(TZ).utcoffset() for s in found}
    assert offsets == {timedelta(hours=1), timedelta(hours=2)}
