"""A client's own view of one booking, reached by its secret link (`Booking.access_token`).

The link is the credential: a wrong token is a NotFound that says nothing about why.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from shared import booking as booking_rules
from shared import clinic_locale, invites, lifecycle
from shared.directory import get_clinic
from shared.errors import NotFound
from shared.models import Booking, Clinic
from shared.models.types import utcnow

_TOKEN = re.compile(r"[A-Za-z0-9_\-]{16,64}")
_NOT_FOUND = "This link is not valid. Please check the link in your e-mail, or call the clinic."
CLIENT_ACTOR = "client (online)"


@dataclass(frozen=True)
class ClientView:
    """What the page shows, in the clinic's time."""

    booking: Booking
    clinic: Clinic
    when: str
    status: str
    cancel_deadline: datetime
    cancel_deadline_text: str
    can_cancel: bool
    ics_url: str


def find_booking(session: Session, token: str) -> Booking:
    """The booking this link belongs to. Raises NotFound."""
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        raise NotFound(_NOT_FOUND)
    found = session.exec(select(Booking).where(Booking.access_token == token)).first()
    if found is None or not hmac.compare_digest(found.access_token.encode(), token.encode()):
        raise NotFound(_NOT_FOUND)
    return found


def view(session: Session, token: str, *, base_url: str, now: datetime | None = None) -> ClientView:
    """Raises NotFound."""
    now = now or utcnow()
    booking = find_booking(session, token)
    clinic = get_clinic(session)
    tz = ZoneInfo(clinic.timezone)
    deadline = lifecycle.client_cancel_deadline(booking, clinic)
    locale = clinic_locale.of_clinic(clinic)
    return ClientView(
        booking=booking,
        clinic=clinic,
        when=invites.when_long(booking.start_at, booking.end_at, tz, locale),
        status=booking.status,
        cancel_deadline=deadline,
        cancel_deadline_text=locale.long_when(deadline.astimezone(tz)),
        can_cancel=lifecycle.cancel_refusal(booking, now, by_client=clinic) is None,
        ics_url=invites.links(base_url, booking).ics,
    )


def cancel(
    session: Session, token: str, *, reason: str = "", now: datetime | None = None
) -> Booking:
    """The client cancels; the clinic's cancellation notice applies and a CANCEL is queued.

    Raises NotFound, InvalidTransition (already cancelled or over), CancellationTooLate,
    InvalidInput (a reason too long).
    """
    found = find_booking(session, token)
    assert found.id is not None
    return booking_rules.cancel(
        session, found.id, actor=CLIENT_ACTOR, reason=reason, by_client=True, now=now
    )
