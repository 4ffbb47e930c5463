"""Availability as the API and the dashboard ask for it: what is offered, and what is not."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from shared import catalog
from shared.availability import available_slots
from shared.booking import cancel
from shared.errors import InactiveResource, NotFound
from tests.factories import MONDAY, NOW, local


def slots(db, treatment, day=MONDAY, *, days=1, now=NOW, **kwargs):
    with db.read() as session:
        return available_slots(
            session,
            treatment_type_id=treatment.id,
            start=day,
            end=day + timedelta(days=days - 1),
            now=now,
            **kwargs,
        )


def starts(found, therapist=None):
    return [s.start for s in found if therapist is None or s.therapist_id == therapist.id]


def test_a_slot_is_offered_per_start_and_free_therapist_with_a_suitable_room(db, clinic):
    found = slots(db, clinic.facial)
    # Anna 09:00-17:00, 60-minute sessions: 09:00 to 16:00 every 15 minutes, all in Room 1.
    assert starts(found) == [local(MONDAY, "09:00") + timedelta(minutes=15 * i) for i in range(29)]
    assert {(s.therapist_id, s.room_id) for s in found} == {(clinic.anna.id, clinic.room1.id)}
    assert all(s.end - s.start == timedelta(minutes=60) for s in found)


def test_a_booking_removes_the_slots_its_buffers_touch_and_cancelling_gives_them_back(
    db, clinic, booker
):
    made = booker("10:00")  # held 09:50-11:15 in Room 1 and for Anna
    offered = starts(slots(db, clinic.facial))
    # Another facial needs 10 minutes before and 15 after: 08:50-... ends before 09:50? no:
    # the first free start after is 11:30 (held from 11:20); none before 10:00 fits.
    assert local(MONDAY, "09:00") not in offered
    assert local(MONDAY, "11:15") not in offered
    assert local(MONDAY, "11:30") in offered
    with db.transaction() as session:
        cancel(session, made.id, actor="reception", now=NOW)
    assert local(MONDAY, "10:00") in starts(slots(db, clinic.facial))


def test_slots_respect_notice_and_horizon_and_never_offer_now_itself(db, clinic):
    with db.transaction() as session:
        catalog.configure_clinic(session, min_notice_minutes=0, booking_horizon_days=1)
    now = local(MONDAY, "10:00")
    found = starts(slots(db, clinic.consult, now=now, therapist_id=clinic.anna.id, days=2))
    assert found[0] == local(MONDAY, "10:15")
    # The one-day horizon ends Tuesday 10:00: the last start is 09:45.
    assert found[-1] == local(MONDAY + timedelta(days=1), "09:45")
    with db.transaction() as session:
        catalog.configure_clinic(session, min_notice_minutes=60, booking_horizon_days=30)
    assert starts(slots(db, clinic.consult, now=now, therapist_id=clinic.anna.id))[0] == local(
        MONDAY, "11:00"
    )


def test_one_therapists_slots_can_be_asked_for(db, clinic):
    found = slots(db, clinic.consult, therapist_id=clinic.boris.id)
    assert {s.therapist_id for s in found} == {clinic.boris.id}
    assert starts(found)[-1] == local(MONDAY, "12:15")  # he works until 13:00
    assert slots(db, clinic.facial, therapist_id=clinic.boris.id) == []  # he does not give it
    with pytest.raises(NotFound):
        slots(db, clinic.consult, therapist_id=999)


def test_an_inactive_treatment_type_has_no_availability_but_an_error(db, clinic):
    with db.transaction() as session:
        catalog.save_treatment_type(
            session,
            treatment_type_id=clinic.consult.id,
            name="TCM consultation",
            duration_minutes=45,
            active=False,
        )
    with pytest.raises(InactiveResource):
        slots(db, clinic.consult)


def test_time_off_and_closures_remove_slots(db, clinic):
    with db.transaction() as session:
        catalog.add_time_off(
            session,
            therapist_id=clinic.anna.id,
            start=local(MONDAY, "09:00"),
            end=local(MONDAY, "12:00"),
        )
        catalog.add_closure(
            session,
            room_id=clinic.room1.id,
            start=local(MONDAY, "15:00"),
            end=local(MONDAY, "18:00"),
        )
    found = starts(slots(db, clinic.facial))
    # From 12:00 (time off ends) to the last start whose cleaning ends by 15:00 (13:45).
    assert found[0] == local(MONDAY, "12:00")
    assert found[-1] == local(MONDAY, "13:45")


def test_the_best_fitting_room_counts_the_bookings_of_the_day_a_slot_is_prepared_on(db, clinic):
    """A midnight session prepared the evening before fits best next to that evening's
    bookings, even though they lie outside the asked day."""
    with db.transaction() as session:
        catalog.configure_clinic(session, min_notice_minutes=0)
        for day in (6, 0):  # Sunday evening and Monday from midnight
            catalog.add_working_hours(
                session,
                therapist_id=clinic.boris.id,
                weekday=day,
                start_time=time(0) if day == 0 else time(18),
                end_time=time(6) if day == 0 else time(23, 55),
            )
        late = catalog.save_treatment_type(
            session, name="Late consultation", duration_minutes=30, buffer_before_minutes=15
        )
        catalog.save_therapist(
            session,
            therapist_id=clinic.boris.id,
            name="Boris Li",
            email="boris@clinic.example",
            treatment_type_ids=[clinic.consult.id, late.id],
        )
    sunday = MONDAY - timedelta(days=1)
    with db.transaction() as session:
        from shared.booking import book

        book(
            session,
            treatment_type_id=clinic.consult.id,
            therapist_id=clinic.boris.id,
            room_id=clinic.room2.id,
            start=local(sunday, "23:00"),
            client_id=clinic.client.id,
            actor="test",
            now=NOW,
        )
    [first, *_] = slots(db, late, therapist_id=clinic.boris.id)
    # 00:00 needs a room from 23:45 on Sunday: Room 2 is free right after 23:45; Room 1 all
    # Sunday. Room 2 leaves no gap.
    assert first.start == local(MONDAY, "00:00")
    assert first.room_id == clinic.room2.id
