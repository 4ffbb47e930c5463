"""Dates and times as the clinic writes them: typed in its pattern (or ISO), refused otherwise
with a message naming the pattern, and written back the same way."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from shared import clinic_locale
from shared.errors import InvalidInput

LJUBLJANA = clinic_locale.locale_of("", "Europe/Ljubljana")
NEW_YORK = clinic_locale.locale_of("", "America/New_York")
LONDON = clinic_locale.locale_of("", "Europe/London")
BUDAPEST = clinic_locale.locale_of("", "Europe/Budapest")


@pytest.mark.parametrize(
    ("locale", "typed", "expected"),
    [
        (LJUBLJANA, "04.12.2026", date(2026, 12, 4)),
        (LJUBLJANA, " 4.12.2026 ", date(2026, 12, 4)),
        (LJUBLJANA, "2026-12-04", date(2026, 12, 4)),  # ISO, from links and older forms
        (NEW_YORK, "12/04/2026", date(2026, 12, 4)),
        (NEW_YORK, "2026-12-04", date(2026, 12, 4)),
        (LONDON, "04/12/2026", date(2026, 12, 4)),
        (BUDAPEST, "2026.12.04", date(2026, 12, 4)),
    ],
)
def test_a_day_typed_in_the_clinics_pattern_or_iso_is_read(locale, typed, expected):
    assert locale.parse_day(typed) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "31.02.2026",
        "2026-13-01",
        "12/04/2026",  # an American date in a clinic in Ljubljana
        "04.12.26",
        "4 Dec 2026",
        "04.12.2026\x00",
        "\x00",
        "1" * 300,
        "04.12.2026 17:30",
        "٠٤.١٢.٢٠٢٦",  # digits of another script
    ],
)
def test_anything_else_typed_as_a_day_is_refused_naming_the_pattern(typed):
    with pytest.raises(InvalidInput) as refused:
        LJUBLJANA.parse_day(typed, "first_day")
    assert refused.value.message == "Write the date as dd.mm.yyyy"
    assert refused.value.field == "first_day"


def test_a_day_month_swapped_for_new_york_is_refused_there_naming_its_pattern():
    with pytest.raises(InvalidInput, match="Write the date as mm/dd/yyyy"):
        NEW_YORK.parse_day("25/12/2026")


@pytest.mark.parametrize(
    ("locale", "typed", "expected"),
    [
        (LJUBLJANA, "17:30", time(17, 30)),
        (LJUBLJANA, "9:05", time(9, 5)),
        (LJUBLJANA, "00:00", time(0, 0)),
        (LJUBLJANA, "17:30:00", time(17, 30)),  # what a browser's time field sent
        (NEW_YORK, "5:30 PM", time(17, 30)),
        (NEW_YORK, "5:30pm", time(17, 30)),
        (NEW_YORK, "12:15 AM", time(0, 15)),
        (NEW_YORK, "12:15 PM", time(12, 15)),
        (NEW_YORK, "17:30", time(17, 30)),  # 24-hour is unambiguous everywhere
    ],
)
def test_a_time_typed_in_24_hours_or_the_clinics_12_hours_is_read(locale, typed, expected):
    assert locale.parse_clock(typed) == expected


@pytest.mark.parametrize(
    "typed", ["", "12:60", "25:00", "24:00", "5:30 PM", "17", "17:3", "17:30\x00", "9" * 300]
)
def test_anything_else_typed_as_a_time_is_refused_naming_the_pattern(typed):
    with pytest.raises(InvalidInput) as refused:
        LJUBLJANA.parse_clock(typed, "start_time")
    assert refused.value.message == "Write the time as hh:mm"
    assert refused.value.field == "start_time"


@pytest.mark.parametrize("typed", ["13:30 PM", "0:30 AM", "25:00"])
def test_a_twelve_hour_time_out_of_range_is_refused_naming_the_12_hour_pattern(typed):
    with pytest.raises(InvalidInput, match="Write the time as h:mm AM/PM"):
        NEW_YORK.parse_clock(typed)


@pytest.mark.parametrize(
    ("locale", "typed"),
    [
        (LJUBLJANA, "04.12.2026 17:30"),
        (LJUBLJANA, "2026-12-04T17:30"),  # what datetime-local fields sent
        (LJUBLJANA, "2026-12-04 17:30"),
        (NEW_YORK, "12/04/2026 5:30 PM"),
    ],
)
def test_a_day_and_time_typed_together_is_read(locale, typed):
    assert locale.parse_day_and_clock(typed) == datetime(2026, 12, 4, 17, 30)


@pytest.mark.parametrize(
    "typed", ["", "04.12.2026", "17:30", "31.02.2026 17:30", "04.12.2026 25:00", "x" * 300]
)
def test_a_day_and_time_that_cannot_be_read_is_refused_naming_both_patterns(typed):
    with pytest.raises(InvalidInput) as refused:
        LJUBLJANA.parse_day_and_clock(typed, "starts")
    assert refused.value.message == "Write the date and time as dd.mm.yyyy hh:mm"
    assert refused.value.field == "starts"


@pytest.mark.parametrize(
    ("locale", "day", "clock", "span"),
    [
        (LJUBLJANA, "04.12.2026", "17:30", "09:00\u201317:30"),
        (NEW_YORK, "12/04/2026", "5:30 PM", "9:00 AM\u20135:30 PM"),
    ],
)
def test_what_the_clinic_writes_it_reads_back(locale, day, clock, span):
    at = datetime(2026, 12, 4, 17, 30)
    assert locale.day(at) == day
    assert locale.clock(at) == clock
    assert locale.clock_span(time(9), at) == span
    assert locale.parse_day_and_clock(locale.day_and_clock(at)) == at
    assert locale.weekday_and_day(at) == f"Fri {day}"
