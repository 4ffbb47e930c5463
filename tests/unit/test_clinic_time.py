"""The clinic's wall clock: local times to UTC instants on ordinary days and when DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared import clinic_time
from shared.clinic_locale import LOCALES
from shared.errors import InvalidInput

LJ = ZoneInfo("Europe/Ljubljana")
SPRING = date(2027, 3, 28)  # 02:00 CET -> 03:00 CEST
AUTUMN = date(2027, 10, 31)  # 03:00 CEST -> 02:00 CET


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "at", "expected"),
    [
        (date(2027, 3, 27), "09:00", utc(2027, 3, 27, 8)),  # CET, +01:00
        (SPRING, "01:59", utc(2027, 3, 28, 0, 59)),
        (SPRING, "09:00", utc(2027, 3, 28, 7)),  # CEST, +02:00
        (SPRING, "17:00", utc(2027, 3, 28, 15)),
        (date(2027, 10, 30), "09:00", utc(2027, 10, 30, 7)),  # CEST
        (AUTUMN, "01:59", utc(2027, 10, 30, 23, 59)),
        (AUTUMN, "09:00", utc(2027, 10, 31, 8)),  # CET
        (AUTUMN, "17:00", utc(2027, 10, 31, 16)),
    ],
)
def test_working_hours_on_the_days_dst_changes_give_the_right_utc_instants(day, at, expected):
    assert clinic_time.local_to_utc(day, time.fromisoformat(at), LJ) == expected


@pytest.mark.parametrize("at", ["02:00", "02:15", "02:30", "02:59"])
def test_a_time_skipped_in_spring_maps_to_the_moment_clocks_jump_forward(at):
    # The clocks show 01:59:59 CET, then 03:00 CEST (01:00 UTC): a block "02:30-10:00"
    # starts when the clocks jump, never an hour before it.
    assert clinic_time.local_to_utc(SPRING, time.fromisoformat(at), LJ) == utc(2027, 3, 28, 1)


def test_local_to_utc_never_goes_backwards_through_the_spring_gap():
    instants = [
        clinic_time.local_to_utc(SPRING, time(h, m), LJ) for h in range(24) for m in (0, 30)
    ]
    assert instants == sorted(instants)


@pytest.mark.parametrize(
    ("at", "expected"),
    [("02:00", utc(2027, 10, 31, 0)), ("02:30", utc(2027, 10, 31, 0, 30))],
)
def test_a_time_shown_twice_in_autumn_is_its_first_occurrence(at, expected):
    assert clinic_time.local_to_utc(AUTUMN, time.fromisoformat(at), LJ) == expected


def test_a_zone_with_a_half_hour_shift_maps_its_skipped_times_to_the_jump():
    lord_howe = ZoneInfo("Australia/Lord_Howe")  # 02:00 -> 02:30 on 3 Oct 2027
    jump = clinic_time.local_to_utc(date(2027, 10, 3), time(2, 15), lord_howe)
    assert jump == utc(2027, 10, 2, 15, 30)
    assert jump.astimezone(lord_howe).strftime("%H:%M") == "02:30"


def test_the_days_dst_changes_are_23_and_25_hours_long():
    start, end = clinic_time.day_bounds(SPRING, LJ)
    assert (start, end - start) == (utc(2027, 3, 27, 23), timedelta(hours=23))
    start, end = clinic_time.day_bounds(AUTUMN, LJ)
    assert (start, end - start) == (utc(2027, 10, 30, 22), timedelta(hours=25))


def test_a_slot_grid_across_the_spring_change_skips_no_real_time():
    lo = clinic_time.local_to_utc(SPRING, time(1, 0), LJ)
    hi = clinic_time.local_to_utc(SPRING, time(4, 0), LJ)
    starts = clinic_time.grid_starts(lo, hi, LJ, 30)
    walls = [s.astimezone(LJ).strftime("%H:%M") for s in starts]
    assert walls == ["01:00", "01:30", "03:00", "03:30", "04:00"]
    assert all(b - a == timedelta(minutes=30) for a, b in pairwise(starts))


def test_a_slot_grid_across_the_autumn_change_offers_the_repeated_hour_twice():
    lo = clinic_time.local_to_utc(AUTUMN, time(1, 0), LJ)
    hi = clinic_time.local_to_utc(AUTUMN, time(4, 0), LJ)
    starts = clinic_time.grid_starts(lo, hi, LJ, 30)
    walls = [s.astimezone(LJ).strftime("%H:%M") for s in starts]
    repeated = ["02:00", "02:30", "02:00", "02:30"]
    assert walls == ["01:00", "01:30", *repeated, "03:00", "03:30", "04:00"]
    assert len(set(starts)) == len(starts) == 9


def test_the_grid_follows_the_local_clock_in_a_zone_with_a_half_hour_offset():
    kolkata = ZoneInfo("Asia/Kolkata")  # +05:30
    starts = clinic_time.grid_starts(utc(2027, 3, 1, 3, 0), utc(2027, 3, 1, 5, 0), kolkata, 60)
    assert [s.astimezone(kolkata).strftime("%H:%M") for s in starts] == ["09:00", "10:00"]


def test_on_grid_refuses_seconds_and_minutes_between_steps():
    assert clinic_time.on_grid(utc(2027, 3, 1, 9, 15), LJ, 15)
    assert not clinic_time.on_grid(utc(2027, 3, 1, 9, 10), LJ, 15)
    assert not clinic_time.on_grid(utc(2027, 3, 1, 9, 15, 30), LJ, 15)


def test_a_span_is_written_in_the_clinics_time_with_both_days_when_it_runs_over_midnight():
    assert (
        clinic_time.fmt_span(utc(2027, 3, 1, 9), utc(2027, 3, 1, 10), LJ)
        == "Mon 01 Mar 2027 10:00-11:00"
    )
    assert (
        clinic_time.fmt_span(utc(2027, 2, 28, 23), utc(2027, 3, 2, 23), LJ)
        == "Mon 01 Mar 2027 00:00 - Wed 03 Mar 2027 00:00"
    )


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "", " Europe/Ljubljana", "europe/ljubljana"])
def test_a_timezone_that_does_not_exist_is_refused(name):
    with pytest.raises(InvalidInput) as err:
        clinic_time.zone(name)
    assert err.value.field == "timezone"
    assert "IANA timezone" in err.value.message


def test_a_naive_datetime_is_refused_and_an_aware_one_becomes_utc():
    with pytest.raises(InvalidInput) as err:
        clinic_time.require_aware(datetime(2027, 3, 1, 10), "start")
    assert err.value.field == "start"
    with pytest.raises(InvalidInput):
        clinic_time.require_aware("2027-03-01T10:00Z", "start")  # type: ignore[arg-type]
    aware = datetime(2027, 3, 1, 10, tzinfo=LJ)
    assert clinic_time.require_aware(aware, "start") == utc(2027, 3, 1, 9)
    assert clinic_time.require_aware(aware, "start").tzinfo is UTC


GRID_ZONES = [
    "Europe/Ljubljana",
    "Australia/Lord_Howe",  # half-hour DST shift
    "Asia/Kathmandu",  # +05:45
    "America/Havana",  # DST changes at midnight
    "America/Santiago",  # clocks go back from midnight to 23:00
    "Pacific/Apia",  # skipped a whole day in 2011
]


@settings(max_examples=300, deadline=None)
@given(
    zone=st.sampled_from(GRID_ZONES),
    lo=st.datetimes(min_value=datetime(2010, 1, 1), max_value=datetime(2032, 12, 31)),
    length=st.integers(0, 4 * 24 * 60),
    step=st.sampled_from(clinic_time.ALLOWED_SLOT_STEPS),
)
def test_the_cached_day_grids_give_exactly_the_grid_walked_minute_by_minute(zone, lo, length, step):
    tz = ZoneInfo(zone)
    start = lo.replace(tzinfo=UTC)
    end = start + timedelta(minutes=length, seconds=lo.second)
    expected = clinic_time.grid_starts(start, end - timedelta(microseconds=1), tz, step)
    assert clinic_time.grid_between(start, end, tz, step) == expected


def test_the_grid_goes_straight_over_the_day_samoa_skipped():
    apia = ZoneInfo("Pacific/Apia")  # 29 Dec 2011 (-10:00) was followed by 31 Dec (+14:00)
    day_before = datetime(2011, 12, 30, 9, tzinfo=UTC)  # 23:00 on the 29th, local
    grid = clinic_time.grid_between(day_before, day_before + timedelta(hours=2), apia, 60)
    assert [g.astimezone(apia).strftime("%d %H:%M") for g in grid] == ["29 23:00", "31 00:00"]


@pytest.mark.parametrize("at", ["02:00", "02:30", "02:59"])
def test_a_typed_time_the_clocks_skip_in_spring_is_refused_naming_the_jump(at):
    with pytest.raises(InvalidInput) as refused:
        clinic_time.wall_instant(SPRING, time.fromisoformat(at), LJ, "time")
    assert refused.value.field == "time"
    assert refused.value.message == (
        f"{at} does not exist on Sun 28 Mar 2027: clocks go forward at 02:00; "
        "03:00 is the first time that day"
    )


@pytest.mark.parametrize(
    ("tag", "message"),
    [
        (
            "en-US",
            "2:30 AM does not exist on Sun 03/28/2027: clocks go forward at 2:00 AM; "
            "3:00 AM is the first time that day",
        ),
        (
            "sl-SI",
            "02:30 does not exist on Sun 28.03.2027: clocks go forward at 02:00; "
            "03:00 is the first time that day",
        ),
    ],
)
def test_the_spring_jump_is_named_as_the_clinics_locale_writes_dates_and_times(tag, message):
    with pytest.raises(InvalidInput) as refused:
        clinic_time.wall_instant(SPRING, time(2, 30), LJ, "time", LOCALES[tag])
    assert refused.value.message == message


def test_a_typed_time_that_exists_is_its_instant_and_an_autumn_twin_is_the_first():
    assert clinic_time.wall_instant(SPRING, time(3), LJ, "time") == utc(2027, 3, 28, 1)
    assert clinic_time.wall_instant(AUTUMN, time(2, 30), LJ, "time") == utc(2027, 10, 31, 0, 30)


def test_the_hour_shown_twice_in_autumn_is_printed_with_its_offset():
    first = utc(2027, 10, 31, 0, 30)  # 02:30 CEST
    assert clinic_time.fmt_span(first, first + timedelta(minutes=45), LJ) == (
        "Sun 31 Oct 2027 02:30 (+02:00)-02:15 (+01:00)"
    )
    assert clinic_time.hm(utc(2027, 10, 31, 8), LJ) == "09:00"
    assert clinic_time.fmt_local(utc(2027, 3, 28, 1), LJ, with_date=True) == "Sun 28 Mar 2027 03:00"


@pytest.mark.parametrize(
    "value",
    [
        datetime(1, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1))),
        datetime(9999, 12, 31, 23, 30, tzinfo=timezone(timedelta(hours=-1))),
        datetime(1899, 12, 31, 23, 59, tzinfo=UTC),
        datetime(2200, 1, 1, tzinfo=UTC),
    ],
)
def test_instants_outside_the_years_the_clinic_accepts_are_refused_naming_the_field(value):
    with pytest.raises(InvalidInput) as refused:
        clinic_time.require_aware(value, "start")
    assert refused.value.field == "start"
    assert "between the years 1900 and 2199" in refused.value.message


def test_the_first_and_last_accepted_days_are_accepted():
    assert clinic_time.require_date(date(1900, 1, 1), "start") == date(1900, 1, 1)
    assert clinic_time.require_aware(datetime(2199, 12, 31, 23, tzinfo=UTC), "start")
    with pytest.raises(InvalidInput):
        clinic_time.require_date(date(9999, 12, 31), "end")
