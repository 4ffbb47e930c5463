"""A time held by the booking page shows in the dashboard as awaiting the client's confirmation."""

from __future__ import annotations

from shared import holds
from tests.dashboard.conftest import text
from tests.factories import MONDAY, NOW, local


def _hold(db, clinic, hhmm="10:00"):
    with db.transaction() as s:
        return holds.hold(
            s,
            treatment_type_id=clinic.facial.id,
            start=local(MONDAY, hhmm),
            client_id=clinic.client.id,
            actor="client (booking page)",
            now=NOW,
        ).id


def test_a_held_time_shows_in_the_day_view_as_awaiting_confirmation(reception, db, clinic):
    held = _hold(db, clinic)
    page = text(reception.get("/?date=2027-03-01"))
    assert f'href="/booking/{held}"' in page
    assert "status-held" in page and "Awaiting confirmation" in page


def test_a_held_booking_page_says_it_awaits_the_clients_confirmation(reception, db, clinic):
    held = _hold(db, clinic)
    page = text(reception.get(f"/booking/{held}"))
    assert "Awaiting confirmation" in page
    assert "Held, awaiting the client&#39;s confirmation" in page or (
        "Held, awaiting the client's confirmation" in page
    )
