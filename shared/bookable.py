"""Which local days can be offered for booking now, asked before any free time is shown.

Every screen that offers times (the booking form, a booking's move form) asks here, on the
clinic's own calendar, so they agree with each other and with the booking rules' window.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from shared import clinic_locale, clinic_time
from shared.errors import BeyondHorizon, BookingRefused, InThePast
from shared.models import Clinic
from shared.slots import booking_window


def day_refusal(clinic: Clinic, day: date, now: datetime) -> BookingRefused | None:
    """Why no time on the clinic's local `day` can be booked at `now`, or None."""
    tz = clinic_time.zone(clinic.timezone)
    if day < clinic_time.local_date(now, tz):
        return InThePast(
            f"{clinic_locale.of_clinic(clinic).weekday_and_day(day)} is in the past", field="date"
        )
    _, latest = booking_window(clinic, now)
    if clinic_time.day_start(day, tz) >= latest:
        return BeyondHorizon(
            f"Sessions can be booked at most {clinic.booking_horizon_days} days ahead",
            field="date",
        )
    return None


def offer_from(clinic: Clinic, now: datetime, *, override_notice: bool) -> datetime:
    """The `now` to ask for free times with: staff who override the minimum notice are
    offered times from now on, not only from the notice on."""
    if override_notice:
        return now - timedelta(minutes=clinic.min_notice_minutes)
    return now
