"""A course's rhythm, without a database: dates on the chosen days at the first session's wall
time, whatever the clocks do."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from shared.course_plan import Rhythm, check_count, parse_rhythm, planned_starts
from shared.errors import InvalidInput
from tests.factories import TZ, local


def local_days(starts: list[datetime]) -> list[tuple[date, time]]:
    return [(s.astimezone(TZ).date(), s.astimezone(TZ).time()) for s in starts]


def test_twice_a_week_on_monday_and_thursday_alternates_the_two_days():
    starts = planned_starts(
        local(date(2027, 3, 22), "09:30"), parse_rhythm({"weekdays": ["thu", "mon"]}), 5, TZ
    )
    assert local_days(starts) == [
        (date(2027, 3, 22), time(9, 30)),
        (date(2027, 3, 25), time(9, 30)),
        (date(2027, 3, 29), time(9, 30)),  # after the clocks went forward: still 09:30
        (date(2027, 4, 1), time(9, 30)),
        (date(2027, 4, 5), time(9, 30)),
    ]
    assert starts[1].hour - starts[2].hour == 1  # in UTC, an hour apart


def test_every_three_days_and_every_two_weeks_count_from_the_first_session():
    first = local(date(2027, 10, 25), "18:00")
    assert [d for d, _ in local_days(planned_starts(first, Rhythm(every_days=3), 3, TZ))] == [
        date(2027, 10, 25),
        date(2027, 10, 28),
        date(2027, 10, 31),
    ]
    assert [d for d, _ in local_days(planned_starts(first, Rhythm(every_weeks=2), 3, TZ))] == [
        date(2027, 10, 25),
        date(2027, 11, 8),
        date(2027, 11, 22),
    ]


def test_a_first_session_off_the_chosen_weekdays_is_refused_naming_it():
    with pytest.raises(InvalidInput) as caught:
        planned_starts(local(date(2027, 3, 23), "10:00"), Rhythm(weekdays=(0, 3)), 4, TZ)
    assert caught.value.field == "first_start"
    assert "Tuesday" in caught.value.message


@pytest.mark.parametrize("count", [0, 1, 53, 100, True, "10", 2.5])
def test_a_count_outside_two_to_fifty_two_or_not_a_whole_number_is_refused(count):
    with pytest.raises(InvalidInput) as caught:
        check_count(count)
    assert caught.value.field == "count"


def test_a_naive_first_start_is_refused():
    with pytest.raises(InvalidInput):
        planned_starts(datetime(2027, 3, 1, 10), Rhythm(every_weeks=1), 3, TZ)


def test_rhythms_describe_themselves_for_people():
    assert parse_rhythm({"weekdays": ["Monday", "thu"]}).describe() == "Mon and Thu every week"
    assert Rhythm(every_weeks=1).describe() == "every week"
    assert Rhythm(every_days=3).describe() == "every 3 days"
