"""What may happen to a booking at a given instant.

The rules in `shared.booking` refuse with these answers, and every screen (the API, the
client's page, the dashboard) asks the same questions to decide which buttons to show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from shared import clinic_time
from shared.errors import BookingRefused, CancellationTooLate, InvalidTransition
from shared.models import Booking, BookingStatus, Clinic


def _label(status: str) -> str:
    return status.replace("_", "-")


def move_refusal(booking: Booking, now: datetime) -> BookingRefused | None:
    """Why the session cannot be moved now, or None."""
    if booking.status != BookingStatus.BOOKED:
        return InvalidTransition(f"A {_label(booking.status)} session cannot be moved")
    if booking.start_at <= now:
        return InvalidTransition("A session that has started cannot be moved")
    return None


def cancel_refusal(
    booking: Booking, now: datetime, *, by_client: Clinic | None = None
) -> BookingRefused | None:
    """Why the session cannot be cancelled now, or None; `by_client` is the clinic whose
    cancellation notice a client cancelling online must respect."""
    if booking.status != BookingStatus.BOOKED:
        return InvalidTransition(
            f"This session is already {_label(booking.status)} and cannot be cancelled"
        )
    if by_client is not None:
        if now > client_cancel_deadline(booking, by_client):
            return CancellationTooLate(
                f"Sessions can be cancelled online up to {by_client.cancellation_notice_hours} "
                f"hours before they start; please call the clinic at {by_client.phone}"
            )
    elif booking.end_at <= now:
        return InvalidTransition("A session that is over cannot be cancelled; mark it instead")
    return None


def client_cancel_deadline(booking: Booking, clinic: Clinic) -> datetime:
    """The last instant a client may cancel online."""
    return booking.start_at - timedelta(hours=clinic.cancellation_notice_hours)


def mark_refusal(booking: Booking, now: datetime, status: BookingStatus) -> BookingRefused | None:
    """Why the session cannot be marked completed / no-show now, or None."""
    label = _label(status.value)
    if booking.status != BookingStatus.BOOKED:
        return InvalidTransition(
            f"Only a booked session can be marked {label}; this one is {booking.status}"
        )
    if booking.start_at > now:
        return InvalidTransition(f"A session that has not started cannot be marked {label}")
    return None


MARKED = (BookingStatus.COMPLETED.value, BookingStatus.NO_SHOW.value)


def unmark_refusal(booking: Booking, now: datetime, tz: ZoneInfo) -> BookingRefused | None:
    """Why a completed / no-show mark cannot be undone now, or None: only on the session's own
    day (the clinic's), so the day's books close when it ends."""
    if booking.status not in MARKED:
        return InvalidTransition(
            f"Only a marked session can be unmarked; this one is {booking.status}"
        )
    if clinic_time.local_date(now, tz) != clinic_time.local_date(booking.start_at, tz):
        return InvalidTransition("A mark can be undone only on the session's own day")
    return None


@dataclass(frozen=True)
class Allowed:
    """The staff's possible actions on one booking at one instant."""

    move: bool
    cancel: bool
    mark: bool


def allowed(booking: Booking, now: datetime) -> Allowed:
    return Allowed(
        move=move_refusal(booking, now) is None,
        cancel=cancel_refusal(booking, now) is None,
        mark=mark_refusal(booking, now, BookingStatus.COMPLETED) is None,
    )
