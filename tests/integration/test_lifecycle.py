"""What may happen to a booking now is one answer: the screens' buttons and the rules agree."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared import booking as rules
from shared import lifecycle
from shared.directory import get_clinic
from shared.errors import CancellationTooLate, InvalidTransition
from shared.models import BookingStatus
from tests.factories import MONDAY, NOW, local

START = local(MONDAY, "10:00")  # a 60-minute facial: over at 11:00
MOMENTS = {
    "a day before": START - timedelta(days=1),
    "at the start": START,
    "half way": START + timedelta(minutes=30),
    "at the end": START + timedelta(minutes=60),
    "a day after": START + timedelta(days=1),
}


def _attempt(db, action: str, booking_id: int, now) -> bool:
    """Whether the rule lets `action` happen at `now` (rolled back either way)."""
    try:
        with db.transaction() as session:
            if action == "move":
                rules.reschedule(
                    session, booking_id, actor="t", start=START + timedelta(hours=3), now=now
                )
            elif action == "cancel":
                rules.cancel(session, booking_id, actor="t", now=now)
            else:
                rules.mark_completed(session, booking_id, actor="t", now=now)
            raise _Undo
    except InvalidTransition:
        return False
    except _Undo:
        return True


class _Undo(Exception):
    pass


@pytest.mark.parametrize("moment", MOMENTS)
@pytest.mark.parametrize("status", ["booked", "cancelled", "completed"])
def test_the_buttons_offered_are_exactly_what_the_rules_allow(db, clinic, booker, moment, status):
    made = booker("10:00")
    if status == "cancelled":
        with db.transaction() as session:
            rules.cancel(session, made.id, actor="t", now=NOW)
    elif status == "completed":
        with db.transaction() as session:
            rules.mark_completed(session, made.id, actor="t", now=START)
    now = MOMENTS[moment]
    with db.read() as session:
        shown = lifecycle.allowed(rules.get_booking(session, made.id), now)
    assert shown.move == _attempt(db, "move", made.id, now)
    assert shown.cancel == _attempt(db, "cancel", made.id, now)
    assert shown.mark == _attempt(db, "mark", made.id, now)


def test_a_live_session_can_be_moved_before_it_starts_and_marked_once_it_has(db, booker):
    made = booker("10:00")
    before, during, after = (
        lifecycle.allowed(made, MOMENTS[m]) for m in ("a day before", "half way", "a day after")
    )
    assert (before.move, before.cancel, before.mark) == (True, True, False)
    assert (during.move, during.cancel, during.mark) == (False, True, True)
    assert (after.move, after.cancel, after.mark) == (False, False, True)


def test_a_client_may_cancel_online_only_before_the_clinics_notice(db, clinic, booker):
    made = booker("10:00")
    with db.read() as session:
        row = get_clinic(session)
    deadline = lifecycle.client_cancel_deadline(made, row)
    assert lifecycle.cancel_refusal(made, deadline, by_client=row) is None
    late = lifecycle.cancel_refusal(made, deadline + timedelta(seconds=1), by_client=row)
    assert isinstance(late, CancellationTooLate)
    assert row.phone in late.message
    with pytest.raises(CancellationTooLate), db.transaction() as session:
        rules.cancel(
            session, made.id, actor="client", by_client=True, now=deadline + timedelta(seconds=1)
        )
    assert made.status == BookingStatus.BOOKED
