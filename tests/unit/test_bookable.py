"""Which days can be offered for booking is asked on the clinic's calendar, never UTC's."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from shared import bookable
from shared.errors import BeyondHorizon, InThePast
from shared.models import Clinic

# Sat 20 Feb 2027, 00:30 in Ljubljana: still Fri 19 Feb in UTC.
HALF_PAST_MIDNIGHT = datetime(2027, 2, 19, 23, 30, tzinfo=UTC)


def _clinic(**values) -> Clinic:
    base = {"name": "C", "timezone": "Europe/Ljubljana", "booking_horizon_days": 9}
    return Clinic(**{**base, **values})


def test_just_after_local_midnight_the_local_day_before_is_in_the_past():
    refusal = bookable.day_refusal(_clinic(), date(2027, 2, 19), HALF_PAST_MIDNIGHT)
    assert isinstance(refusal, InThePast)
    assert refusal.message == "Fri 19.02.2027 is in the past"


@pytest.mark.parametrize("day", [date(2027, 2, 20), date(2027, 3, 1)])
def test_just_after_local_midnight_today_up_to_the_horizon_day_can_be_offered(day):
    assert bookable.day_refusal(_clinic(), day, HALF_PAST_MIDNIGHT) is None


def test_the_day_after_the_horizon_says_how_far_ahead_sessions_can_be_booked():
    refusal = bookable.day_refusal(_clinic(), date(2027, 3, 2), HALF_PAST_MIDNIGHT)
    assert isinstance(refusal, BeyondHorizon)
    assert refusal.message == "Sessions can be booked at most 9 days ahead"


def test_in_a_zone_behind_utc_the_local_day_is_still_bookable_after_utc_midnight():
    new_york = _clinic(timezone="America/New_York")  # 18:30 on Fri 19 Feb there
    assert bookable.day_refusal(new_york, date(2027, 2, 19), HALF_PAST_MIDNIGHT) is None
    assert bookable.day_refusal(new_york, date(2027, 2, 28), HALF_PAST_MIDNIGHT) is None
    assert isinstance(
        bookable.day_refusal(new_york, date(2027, 3, 1), HALF_PAST_MIDNIGHT), BeyondHorizon
    )


def test_staff_overriding_the_notice_are_offered_times_from_now_on():
    clinic = _clinic(min_notice_minutes=120)
    now = HALF_PAST_MIDNIGHT
    assert bookable.offer_from(clinic, now, override_notice=False) == now
    assert bookable.offer_from(clinic, now, override_notice=True) == now - timedelta(hours=2)
