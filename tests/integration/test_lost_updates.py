"""A change names the version it was based on: a stale one is refused and writes nothing.

The version is the booking's `sequence` (the calendar's SEQUENCE too): every move, cancel and
mark raises it by one. The check happens under the row's lock in the transaction that
writes, so two people changing one session at once can never both win.
"""

from __future__ import annotations

import pytest

from shared import booking
from shared.booking_queries import booking_with_history, booking_with_relations
from shared.errors import ChangedMeanwhile, InvalidInput
from shared.models import BookingStatus
from tests.factories import MONDAY, NOW, local
from tests.integration.test_races import race


@pytest.fixture
def session_at_noon(booker):
    return booker("12:00")


def test_a_move_based_on_the_version_before_another_move_is_refused_and_writes_nothing(
    db, session_at_noon, writes_nothing
):
    seen = session_at_noon.sequence
    with db.transaction() as s:
        booking.reschedule(
            s,
            session_at_noon.id,
            actor="api:website",
            start=local(MONDAY, "15:00"),
            now=NOW,
            expected_sequence=seen,
        )
    stale = writes_nothing(
        ChangedMeanwhile,
        lambda s: booking.reschedule(
            s,
            session_at_noon.id,
            actor="dashboard:desk",
            start=local(MONDAY, "12:00"),
            now=NOW,
            expected_sequence=seen,
        ),
    )
    assert "changed by someone else meanwhile" in stale.message
    assert stale.current_version == seen + 1
    with db.read() as s:
        assert booking_with_relations(s, session_at_noon.id).start_at == local(MONDAY, "15:00")


def test_a_change_based_on_the_current_version_goes_through_and_raises_the_version(
    db, session_at_noon
):
    with db.transaction() as s:
        moved = booking.reschedule(
            s,
            session_at_noon.id,
            actor="r",
            start=local(MONDAY, "14:00"),
            now=NOW,
            expected_sequence=session_at_noon.sequence,
        )
        assert moved.sequence == session_at_noon.sequence + 1
    with db.transaction() as s:
        cancelled = booking.cancel(
            s, session_at_noon.id, actor="r", now=NOW, expected_sequence=moved.sequence
        )
        assert cancelled.status == BookingStatus.CANCELLED


@pytest.mark.parametrize("change", ["cancel", "completed", "no_show"])
def test_cancelling_or_marking_a_stale_version_is_refused_and_writes_nothing(
    db, session_at_noon, writes_nothing, change
):
    with db.transaction() as s:  # someone else moves it first
        booking.reschedule(s, session_at_noon.id, actor="r", start=local(MONDAY, "14:00"), now=NOW)
    stale = session_at_noon.sequence
    later = local(MONDAY, "14:05")
    calls = {
        "cancel": lambda s: booking.cancel(
            s, session_at_noon.id, actor="r", now=NOW, expected_sequence=stale
        ),
        "completed": lambda s: booking.mark_completed(
            s, session_at_noon.id, actor="r", now=later, expected_sequence=stale
        ),
        "no_show": lambda s: booking.mark_no_show(
            s, session_at_noon.id, actor="r", now=later, expected_sequence=stale
        ),
    }
    writes_nothing(ChangedMeanwhile, calls[change])


@pytest.mark.parametrize("bad", [-1, True, "3", 2**31, 1.0])
def test_a_version_that_is_no_version_is_refused_naming_it(session_at_noon, writes_nothing, bad):
    refused = writes_nothing(
        InvalidInput,
        lambda s: booking.reschedule(
            s,
            session_at_noon.id,
            actor="r",
            start=local(MONDAY, "14:00"),
            now=NOW,
            expected_sequence=bad,
        ),
    )
    assert refused.field == "expected_sequence"


def test_two_people_moving_one_session_from_the_same_version_at_once_never_both_win(
    db, database_url, session_at_noon
):
    seen = session_at_noon.sequence
    targets = ["14:00", "15:00", "16:00", "09:00", "10:30", "13:00"]

    def attempt(s, i):
        return booking.reschedule(
            s,
            session_at_noon.id,
            actor=f"racer {i}",
            start=local(MONDAY, targets[i]),
            now=NOW,
            expected_sequence=seen,
        ).start_at

    outcomes = race(database_url, attempt, n=len(targets))
    won = [o for o in outcomes if not isinstance(o, Exception)]
    assert len(won) == 1, outcomes
    assert all(isinstance(o, ChangedMeanwhile) for o in outcomes if o not in won), outcomes
    with db.read() as s:
        final = booking_with_history(s, session_at_noon.id)
    assert final.start_at == won[0]
    assert final.sequence == seen + 1
    assert [e.action for e in final.events] == ["booked", "moved"]
