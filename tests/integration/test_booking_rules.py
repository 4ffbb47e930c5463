"""Every booking rule, with the words a receptionist reads when it says no.

The clinic (tests/factories.py): Facial rejuvenation is 60 min with 10 min before and 15 after
and needs a facial couch (only Room 1 has one); TCM consultation is 45 min, no buffers, any
room. Anna gives both, Mon-Fri 09-17; Boris gives consultations, Mon-Fri 09-13.
"""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from sqlmodel import select

from shared import catalog
from shared.booking import book, cancel, get_booking, mark_completed, mark_no_show, reschedule
from shared.errors import (
    BeyondHorizon,
    BookingConflict,
    CancellationTooLate,
    ClientBusy,
    ClosedForBooking,
    InactiveResource,
    InThePast,
    InvalidInput,
    InvalidTransition,
    NoAvailability,
    NotFound,
    NotOnSlotGrid,
    NotQualified,
    OutsideWorkingHours,
    RoomBusy,
    RoomUnsuitable,
    TherapistBusy,
    TherapistOnTimeOff,
    TooShortNotice,
)
from shared.models import Booking, BookingEvent, MessageKind, OutboxMessage, Room
from tests.factories import MONDAY, NOW, TZ, local

TUESDAY = MONDAY + timedelta(days=1)
SATURDAY = MONDAY + timedelta(days=5)


def refused(db, error, **kwargs):
    """Book in a transaction that must fail with `error`; the error."""
    with pytest.raises(error) as caught, db.transaction() as session:
        book(session, **{"actor": "reception", "now": NOW, **kwargs})
    return caught.value


def count(db, model) -> int:
    with db.read() as session:
        return len(session.exec(select(model)).all())


# -- what may be booked, by whom, where -----------------------------------------------------


def test_a_treatment_type_no_longer_offered_cannot_be_booked(db, clinic):
    with db.transaction() as session:
        catalog.save_treatment_type(
            session,
            treatment_type_id=clinic.facial.id,
            name="Facial rejuvenation",
            duration_minutes=60,
            active=False,
        )
    err = refused(
        db,
        InactiveResource,
        treatment_type_id=clinic.facial.id,
        start=local(MONDAY, "10:00"),
        client_id=clinic.client.id,
    )
    assert err.message == "Facial rejuvenation is no longer offered"
    assert err.field == "treatment_type_id"


def test_an_unknown_treatment_type_is_not_found(db, clinic):
    err = refused(
        db,
        NotFound,
        treatment_type_id=999,
        start=local(MONDAY, "10:00"),
        client_id=clinic.client.id,
    )
    assert err.message == "No treatment type with id 999"


def test_a_therapist_who_does_not_give_the_treatment_is_refused(db, clinic):
    err = refused(
        db,
        NotQualified,
        treatment_type_id=clinic.facial.id,
        therapist_id=clinic.boris.id,
        start=local(MONDAY, "10:00"),
        client_id=clinic.client.id,
    )
    assert err.message == "Boris Li does not give Facial rejuvenation"
    assert err.field == "therapist_id"


def test_a_session_running_past_the_therapists_hours_is_refused_with_the_hours_of_that_day(
    db, clinic
):
    err = refused(
        db,
        OutsideWorkingHours,
        treatment_type_id=clinic.consult.id,
        therapist_id=clinic.boris.id,
        start=local(MONDAY, "12:30"),
        client_id=clinic.client.id,
    )
    assert err.message == (
        "Boris Li does not work Mon 01.03.2027 12:30-13:15 (works 09:00-13:00 that day)"
    )


def test_a_day_the_therapist_does_not_work_is_refused_saying_so(db, clinic):
    err = refused(
        db,
        OutsideWorkingHours,
        treatment_type_id=clinic.consult.id,
        therapist_id=clinic.anna.id,
        start=local(SATURDAY, "10:00"),
        client_id=clinic.client.id,
    )
    assert (
        err.message
        == "Anna Novak does not work Sat 06.03.2027 10:00-10:45 (does not work that day)"
    )


def test_split_working_hours_are_all_named(db, clinic):
    with db.transaction() as session:
        catalog.add_working_hours(
            session, therapist_id=clinic.boris.id, weekday=0, start_time=time(14), end_time=time(18)
        )
    err = refused(
        db,
        OutsideWorkingHours,
        treatment_type_id=clinic.consult.id,
        therapist_id=clinic.boris.id,
        start=local(MONDAY, "13:00"),
        client_id=clinic.client.id,
    )
    assert err.message.endswith("(works 09:00-13:00, 14:00-18:00 that day)")


def test_a_therapist_on_time_off_is_refused_with_when_and_why(db, clinic):
    with db.transaction() as session:
        catalog.add_time_off(
            session,
            therapist_id=clinic.anna.id,
            start=local(MONDAY, "00:00"),
            end=local(MONDAY + timedelta(days=2), "00:00"),
            reason="Training",
        )
    err = refused(
        db,
        TherapistOnTimeOff,
        treatment_type_id=clinic.facial.id,
        therapist_id=clinic.anna.id,
        start=local(TUESDAY, "10:00"),
        client_id=clinic.client.id,
    )
    assert err.message == (
        "Anna Novak is away Mon 01.03.2027 00:00 - Wed 03.03.2027 00:00 (Training)"
    )
    # Without naming her, nobody else gives facials: no availability.
    err = refused(
        db,
        NoAvailability,
        treatment_type_id=clinic.facial.id,
        start=local(TUESDAY, "10:00"),
        client_id=clinic.client.id,
    )
    assert err.message == (
        "No therapist who gives Facial rejuvenation is free Tue 02.03.2027 10:00-11:00 "
        "(Anna Novak is away Mon 01.03.2027 00:00 - Wed 03.03.2027 00:00 (Training))"
    )


def test_a_room_without_the_needed_equipment_is_refused_naming_what_is_missing(db, clinic):
    err = refused(
        db,
        RoomUnsuitable,
        treatment_type_id=clinic.facial.id,
        room_id=clinic.room2.id,
        start=local(MONDAY, "10:00"),
        client_id=clinic.client.id,
    )
    assert err.message == "Room 2 lacks what Facial rejuvenation needs (facial couch)"
    assert err.field == "room_id"


def test_an_inactive_room_or_therapist_is_refused(db, clinic):
    with db.transaction() as session:
        catalog.save_room(session, room_id=clinic.room2.id, name="Room 2", active=False)
        catalog.save_therapist(
            session,
            therapist_id=clinic.boris.id,
            name="Boris Li",
            email="boris@clinic.example",
            active=False,
        )
    err = refused(
        db,
        InactiveResource,
        treatment_type_id=clinic.consult.id,
        room_id=clinic.room2.id,
        start=local(MONDAY, "10:00"),
        client_id=clinic.client.id,
    )
    assert err.message == "Room 2 is not active"
    err = refused(
        db,
        InactiveResource,
        treatment_type_id=clinic.consult.id,
        therapist_id=clinic.boris.id,
        start=local(MONDAY, "10:00"),
        client_id=clinic.client.id,
    )
    assert err.message == "Boris Li is not active"


def test_a_closed_room_is_refused_with_the_closure(db, clinic):
    with db.transaction() as session:
        catalog.add_closure(
            session,
            room_id=clinic.room1.id,
            start=local(MONDAY, "08:00"),
            end=local(MONDAY, "12:00"),
            reason="New couch delivered",
        )
    err = refused(
        db,
        ClosedForBooking,
        treatment_type_id=clinic.facial.id,
        room_id=clinic.room1.id,
        start=local(MONDAY, "11:30"),  # its preparation starts at 11:20, inside the closure
        client_id=clinic.client.id,
    )
    assert err.message == "Room 1 is closed Mon 01.03.2027 08:00-12:00 (New couch delivered)"
    assert err.field == "room_id"
    # Room 1 is the only room with a couch: without naming it, no room is free.
    err = refused(
        db,
        NoAvailability,
        treatment_type_id=clinic.facial.id,
        start=local(MONDAY, "11:30"),
        client_id=clinic.client.id,
    )
    assert err.field == "room_id"
    assert err.message == (
        "No room suitable for Facial rejuvenation is free Mon 01.03.2027 11:30-12:30 "
        "(Room 1 is closed Mon 01.03.2027 08:00-12:00 (New couch delivered))"
    )


def test_a_clinic_holiday_refuses_every_booking_that_day(db, clinic, booker):
    with db.transaction() as session:
        catalog.add_closure(
            session,
            start=local(TUESDAY, "00:00"),
            end=local(TUESDAY + timedelta(days=1), "00:00"),
            reason="Public holiday",
        )
    for treatment, room in ((clinic.facial, clinic.room1), (clinic.consult, None)):
        err = refused(
            db,
            ClosedForBooking,
            treatment_type_id=treatment.id,
            room_id=room.id if room else None,
            start=local(TUESDAY, "10:00"),
            client_id=clinic.client.id,
        )
        assert err.message == (
            "The clinic is closed Tue 02.03.2027 00:00 - Wed 03.03.2027 00:00 (Public holiday)"
        )
    assert booker("10:00").start_at == local(MONDAY, "10:00")  # the day before is open


# -- what is in the way -------------------------------------------------------------------------


def test_a_therapist_already_booked_is_refused_naming_the_session_in_the_way(db, clinic, booker):
    booker("10:00")
    err = refused(
        db,
        TherapistBusy,
        treatment_type_id=clinic.consult.id,
        therapist_id=clinic.anna.id,
        room_id=clinic.room2.id,
        start=local(MONDAY, "10:30"),
        client_id=clinic.other_client.id,
    )
    assert err.message == "Anna Novak is booked Mon 01.03.2027 10:00-11:00 for Facial rejuvenation"
    assert err.field == "therapist_id"
    assert isinstance(err, BookingConflict)


def test_a_room_already_booked_is_refused_naming_the_session_in_the_way(db, clinic, booker):
    booker("10:00")
    err = refused(
        db,
        RoomBusy,
        treatment_type_id=clinic.consult.id,
        therapist_id=clinic.boris.id,
        room_id=clinic.room1.id,
        start=local(MONDAY, "10:30"),
        client_id=clinic.other_client.id,
    )
    assert err.message == "Room 1 is booked Mon 01.03.2027 10:00-11:00 for Facial rejuvenation"
    assert err.field == "room_id"


def test_a_client_already_booked_is_refused_naming_their_session(db, clinic, booker):
    booker("10:00")
    err = refused(
        db,
        ClientBusy,
        treatment_type_id=clinic.consult.id,
        therapist_id=clinic.boris.id,
        room_id=clinic.room2.id,
        start=local(MONDAY, "10:30"),
        client_id=clinic.client.id,
    )
    assert err.message == (
        "The client already has a session Mon 01.03.2027 10:00-11:00 (Facial rejuvenation)"
    )
    assert err.field == "client_id"


def test_buffers_block_the_room_and_the_message_says_so(db, clinic, booker):
    booker("10:00")  # facial in Room 1: held 09:50-11:15
    err = refused(
        db,
        RoomBusy,
        treatment_type_id=clinic.consult.id,
        therapist_id=clinic.boris.id,
        room_id=clinic.room1.id,
        start=local(MONDAY, "11:00"),
        client_id=clinic.other_client.id,
    )
    assert err.message == (
        "Room 1 is booked Mon 01.03.2027 10:00-11:00 for Facial rejuvenation; with time to "
        "prepare and clean up that holds 09:50-11:15, and this session needs 11:00-11:45"
    )
    made = booker(
        "11:15",
        treatment=clinic.consult,
        therapist_id=clinic.boris.id,
        room_id=clinic.room1.id,
        client_id=clinic.other_client.id,
    )
    assert (made.blocked_start, made.blocked_end) == (
        local(MONDAY, "11:15"),
        local(MONDAY, "12:00"),
    )


def test_the_new_sessions_own_buffers_count_too(db, clinic, booker):
    booker(  # 10:00-10:45, no buffers
        "10:00", treatment=clinic.consult, therapist_id=clinic.boris.id, room_id=clinic.room1.id
    )
    err = refused(
        db,
        RoomBusy,
        treatment_type_id=clinic.facial.id,
        room_id=clinic.room1.id,
        start=local(MONDAY, "10:45"),  # needs Room 1 from 10:35
        client_id=clinic.other_client.id,
    )
    assert err.message.endswith("holds 10:00-10:45, and this session needs 10:35-12:00")
    made = booker("11:00", client_id=clinic.other_client.id)  # held from 10:50: free
    assert made.room_id == clinic.room1.id


def test_when_no_room_is_free_the_refusal_names_what_is_in_each_rooms_way(db, clinic, booker):
    booker("10:00", treatment=clinic.consult, therapist_id=clinic.boris.id, room_id=clinic.room1.id)
    err = refused(
        db,
        NoAvailability,
        treatment_type_id=clinic.facial.id,
        start=local(MONDAY, "10:45"),
        client_id=clinic.other_client.id,
    )
    assert err.field == "room_id"
    assert err.message == (
        "No room suitable for Facial rejuvenation is free Mon 01.03.2027 10:45-11:45 "
        "(Room 1 is booked Mon 01.03.2027 10:00-10:45 for TCM consultation; with time to "
        "prepare and clean up that holds 10:00-10:45, and this session needs 10:35-12:00)"
    )


def test_when_no_therapist_is_free_the_refusal_says_why_for_each(db, clinic, booker):
    booker("12:00")  # Anna: a facial 12:00-13:00
    err = refused(
        db,
        NoAvailability,
        treatment_type_id=clinic.consult.id,
        start=local(MONDAY, "12:30"),
        client_id=clinic.other_client.id,
    )
    assert err.field == "therapist_id"
    assert err.message == (
        "No therapist who gives TCM consultation is free Mon 01.03.2027 12:30-13:15 "
        "(Anna Novak is booked Mon 01.03.2027 12:00-13:00 for Facial rejuvenation; "
        "Boris Li does not work Mon 01.03.2027 12:30-13:15 (works 09:00-13:00 that day))"
    )


def test_a_start_off_the_slot_grid_is_refused(db, clinic):
    for at in ("10:05", "10:00:30"):
        err = refused(
            db,
            NotOnSlotGrid,
            treatment_type_id=clinic.facial.id,
            start=local(MONDAY, at),
            client_id=clinic.client.id,
        )
    assert err.message == "Sessions start every 15 minutes; 10:00 is not one of those times"
    assert err.field == "start"


def test_a_start_in_the_past_is_refused(db, clinic):
    err = refused(
        db,
        InThePast,
        treatment_type_id=clinic.facial.id,
        start=NOW - timedelta(days=1),
        client_id=clinic.client.id,
    )
    assert err.message == "Fri 19.02.2027 10:00-11:00 is in the past"


def test_too_short_notice_is_refused_unless_the_receptionist_overrides_it(db, clinic):
    soon = local(NOW.astimezone(TZ).date() + timedelta(days=2), "10:00")  # a Monday
    now = soon - timedelta(minutes=90)  # notice is 120 minutes
    err = refused(
        db,
        TooShortNotice,
        treatment_type_id=clinic.facial.id,
        start=soon,
        client_id=clinic.client.id,
        now=now,
    )
    assert err.message == "Sessions must be booked at least 120 minutes ahead"
    with db.transaction() as session:
        made = book(
            session,
            treatment_type_id=clinic.facial.id,
            start=soon,
            client_id=clinic.client.id,
            actor="reception",
            now=now,
            override_notice=True,
        )
    assert made.start_at == soon


def test_the_notice_override_never_allows_an_overlap(db, clinic, booker):
    booker("10:00")
    now = local(MONDAY, "09:30")
    for kwargs in ({"therapist_id": clinic.anna.id}, {}):
        with pytest.raises(BookingConflict), db.transaction() as session:
            book(
                session,
                treatment_type_id=clinic.facial.id,
                start=local(MONDAY, "10:00"),
                client_id=clinic.other_client.id,
                actor="reception",
                now=now,
                override_notice=True,
                **kwargs,
            )


def test_a_start_beyond_the_horizon_is_refused_even_with_the_override(db, clinic):
    far = local(MONDAY + timedelta(days=365), "10:00")  # horizon: 365 days from NOW
    for override in (False, True):
        err = refused(
            db,
            BeyondHorizon,
            treatment_type_id=clinic.facial.id,
            start=far,
            client_id=clinic.client.id,
            override_notice=override,
        )
    assert err.message == "Sessions can be booked at most 365 days ahead"


# -- who and where, when the caller does not say ----------------------------------------------


def test_the_only_qualified_therapist_and_suitable_room_are_picked(db, clinic, booker):
    made = booker("10:00")
    assert (made.therapist_id, made.room_id) == (clinic.anna.id, clinic.room1.id)


def test_the_therapist_whose_day_it_fits_best_is_picked(db, clinic, booker):
    first = booker("10:00", treatment=clinic.consult)  # both free all day: the first by id
    assert first.therapist_id == clinic.anna.id
    # Right after Anna's session, she is the snug fit; Boris would be left with a hole.
    second = booker("10:45", treatment=clinic.consult, client_id=clinic.other_client.id)
    assert second.therapist_id == clinic.anna.id


def test_another_therapist_is_picked_when_the_first_is_busy(db, clinic, booker):
    booker("10:00", treatment=clinic.consult, therapist_id=clinic.anna.id)
    other = booker("10:00", treatment=clinic.consult, client_id=clinic.other_client.id)
    assert other.therapist_id == clinic.boris.id


def test_the_room_leaving_the_least_unusable_gap_that_day_is_picked(db, clinic, booker):
    booker("10:00", treatment=clinic.consult, therapist_id=clinic.anna.id, room_id=clinic.room2.id)
    # Boris at 10:45: Room 2 is free from 10:45 (no gap before), Room 1 all day (a 10:45 hole).
    made = booker(
        "10:45",
        treatment=clinic.consult,
        therapist_id=clinic.boris.id,
        client_id=clinic.other_client.id,
    )
    assert made.room_id == clinic.room2.id


def test_when_every_room_is_equally_free_the_first_one_is_picked(db, clinic, booker):
    made = booker("10:00", treatment=clinic.consult)
    assert made.room_id == clinic.room1.id


def test_no_free_room_is_refused_with_no_availability(db, clinic, booker):
    booker("10:00", treatment=clinic.consult, therapist_id=clinic.anna.id, room_id=clinic.room1.id)
    booker(
        "10:00",
        treatment=clinic.consult,
        therapist_id=clinic.boris.id,
        room_id=clinic.room2.id,
        client_id=clinic.other_client.id,
    )
    with db.transaction() as session:
        third = catalog.save_therapist(
            session,
            name="Chen Wei",
            email="chen@clinic.example",
            treatment_type_ids=[clinic.consult.id],
        )
        catalog.add_working_hours(
            session, therapist_id=third.id, weekday=0, start_time=time(9), end_time=time(17)
        )
        from shared.clients import create_client

        client = create_client(session, name="Ana Third", email="third@example.com")
    err = refused(
        db,
        NoAvailability,
        treatment_type_id=clinic.consult.id,
        start=local(MONDAY, "10:00"),
        client_id=client.id,
    )
    assert err.message == (
        "No room suitable for TCM consultation is free Mon 01.03.2027 10:00-10:45 "
        "(Room 1 is booked Mon 01.03.2027 10:00-10:45 for TCM consultation; "
        "Room 2 is booked Mon 01.03.2027 10:00-10:45 for TCM consultation)"
    )


# -- moving ---------------------------------------------------------------------------------------


def events(db, booking_id):
    with db.read() as session:
        return [
            (e.action, e.actor, e.changes)
            for e in session.exec(
                select(BookingEvent)
                .where(BookingEvent.booking_id == booking_id)
                .order_by(BookingEvent.id)
            )
        ]


def messages(db, booking_id):
    with db.read() as session:
        return [
            (m.kind, m.recipient, m.booking_sequence, m.status)
            for m in session.exec(
                select(OutboxMessage)
                .where(OutboxMessage.booking_id == booking_id)
                .order_by(OutboxMessage.id)
            )
        ]


def test_moving_a_session_keeps_its_therapist_room_and_uid_and_bumps_the_sequence(
    db, clinic, booker
):
    made = booker("10:00")
    with db.transaction() as session:
        moved = reschedule(
            session, made.id, actor="anna@clinic.example", start=local(MONDAY, "14:00"), now=NOW
        )
    assert (moved.therapist_id, moved.room_id, moved.uid) == (
        made.therapist_id,
        made.room_id,
        made.uid,
    )
    assert moved.sequence == made.sequence + 1 == 1
    assert (moved.start_at, moved.end_at) == (local(MONDAY, "14:00"), local(MONDAY, "15:00"))
    assert (moved.blocked_start, moved.blocked_end) == (
        local(MONDAY, "13:50"),
        local(MONDAY, "15:15"),
    )
    history = events(db, made.id)
    assert [(action, actor) for action, actor, _ in history] == [
        ("booked", "reception"),
        ("moved", "anna@clinic.example"),
    ]
    assert history[1][2] == {
        "start": {
            "from": local(MONDAY, "10:00").isoformat(),
            "to": local(MONDAY, "14:00").isoformat(),
        },
        "end": {
            "from": local(MONDAY, "11:00").isoformat(),
            "to": local(MONDAY, "15:00").isoformat(),
        },
    }
    kinds = [(kind, seq) for kind, _, seq, _ in messages(db, made.id)]
    assert (MessageKind.UPDATE.value, 1) in kinds


def test_a_session_can_move_onto_part_of_its_own_old_time(db, clinic, booker):
    made = booker("10:00")
    with db.transaction() as session:
        moved = reschedule(
            session, made.id, actor="reception", start=local(MONDAY, "10:15"), now=NOW
        )
    assert moved.start_at == local(MONDAY, "10:15")


def test_moving_to_a_time_when_its_room_is_taken_picks_another_room(db, clinic, booker):
    made = booker(
        "10:00", treatment=clinic.consult, therapist_id=clinic.anna.id, room_id=clinic.room1.id
    )
    booker(
        "11:00",
        treatment=clinic.consult,
        therapist_id=clinic.boris.id,
        room_id=clinic.room1.id,
        client_id=clinic.other_client.id,
    )
    with db.transaction() as session:
        moved = reschedule(
            session, made.id, actor="reception", start=local(MONDAY, "11:00"), now=NOW
        )
    assert (moved.therapist_id, moved.room_id) == (clinic.anna.id, clinic.room2.id)
    assert events(db, made.id)[-1][2]["room"] == {"from": "Room 1", "to": "Room 2"}


def test_moving_keeps_the_therapist_even_when_another_is_free(db, clinic, booker):
    made = booker("10:00", treatment=clinic.consult, therapist_id=clinic.anna.id)
    booker(
        "11:00",
        treatment=clinic.consult,
        therapist_id=clinic.anna.id,
        client_id=clinic.other_client.id,
    )
    with pytest.raises(TherapistBusy) as err, db.transaction() as session:
        reschedule(session, made.id, actor="reception", start=local(MONDAY, "11:00"), now=NOW)
    assert (
        err.value.message == "Anna Novak is booked Mon 01.03.2027 11:00-11:45 for TCM consultation"
    )


def test_a_session_can_be_given_to_another_therapist(db, clinic, booker):
    made = booker("10:00", treatment=clinic.consult, therapist_id=clinic.anna.id)
    with db.transaction() as session:
        moved = reschedule(
            session, made.id, actor="reception", therapist_id=clinic.boris.id, now=NOW
        )
    assert (moved.therapist_id, moved.start_at) == (clinic.boris.id, made.start_at)
    assert events(db, made.id)[-1][2] == {"therapist": {"from": "Anna Novak", "to": "Boris Li"}}


def test_moving_a_session_whose_room_was_retired_picks_another_room(db, clinic, booker):
    made = booker("10:00", treatment=clinic.consult, room_id=clinic.room2.id)
    # The catalog refuses to retire a room with sessions ahead; an import or a direct edit can.
    with db.transaction() as session:
        session.get(Room, clinic.room2.id).active = False
    with db.transaction() as session:
        moved = reschedule(
            session, made.id, actor="reception", start=local(MONDAY, "11:00"), now=NOW
        )
    assert moved.room_id == clinic.room1.id


def test_a_named_room_that_is_busy_is_refused_when_moving(db, clinic, booker):
    made = booker("10:00", treatment=clinic.consult, room_id=clinic.room2.id)
    booker(
        "11:00",
        treatment=clinic.consult,
        room_id=clinic.room1.id,
        therapist_id=clinic.boris.id,
        client_id=clinic.other_client.id,
    )
    with pytest.raises(RoomBusy), db.transaction() as session:
        reschedule(
            session,
            made.id,
            actor="reception",
            start=local(MONDAY, "11:00"),
            room_id=clinic.room1.id,
            now=NOW,
        )


def test_moving_is_checked_like_booking(db, clinic, booker):
    made = booker("10:00")
    cases = [
        (NotOnSlotGrid, {"start": local(MONDAY, "10:10")}),
        (OutsideWorkingHours, {"start": local(MONDAY, "16:30")}),
        (NotQualified, {"therapist_id": clinic.boris.id}),
        (RoomUnsuitable, {"room_id": clinic.room2.id}),
        (InThePast, {"start": NOW - timedelta(hours=1)}),
        (InvalidInput, {}),  # nothing to change
    ]
    for error, kwargs in cases:
        with pytest.raises(error), db.transaction() as session:
            reschedule(session, made.id, actor="reception", now=NOW, **kwargs)
    with db.read() as session:
        assert get_booking(session, made.id).sequence == 0


def test_a_cancelled_or_started_session_cannot_be_moved(db, clinic, booker):
    made = booker("10:00")
    with pytest.raises(InvalidTransition) as err, db.transaction() as session:
        reschedule(
            session,
            made.id,
            actor="reception",
            start=local(MONDAY, "14:00"),
            now=local(MONDAY, "10:05"),
        )
    assert err.value.message == "A session that has started cannot be moved"
    with db.transaction() as session:
        cancel(session, made.id, actor="reception", now=NOW)
    with pytest.raises(InvalidTransition) as err, db.transaction() as session:
        reschedule(session, made.id, actor="reception", start=local(MONDAY, "14:00"), now=NOW)
    assert err.value.message == "A cancelled session cannot be moved"


# -- cancelling and closing -------------------------------------------------------------------------


def test_cancelling_frees_the_slot_and_tells_the_client(db, clinic, booker):
    made = booker("10:00")
    with db.transaction() as session:
        cancelled = cancel(session, made.id, actor="reception", reason="Client is ill", now=NOW)
    assert cancelled.status == "cancelled"
    assert (cancelled.cancelled_at, cancelled.cancel_reason, cancelled.sequence) == (
        NOW,
        "Client is ill",
        1,
    )
    assert events(db, made.id)[-1] == ("cancelled", "reception", {"reason": "Client is ill"})
    sent = messages(db, made.id)
    assert (MessageKind.CANCEL.value, "eva@example.com", 1, "pending") in sent
    reminders = [m for m in sent if m[0] == MessageKind.REMINDER.value]
    assert reminders and all(status == "skipped" for *_, status in reminders)
    again = booker("10:00", client_id=clinic.other_client.id)
    assert (again.therapist_id, again.room_id) == (made.therapist_id, made.room_id)


def test_a_client_cannot_cancel_online_within_the_cancellation_notice(db, clinic, booker):
    made = booker("10:00")
    late = local(MONDAY, "10:00") - timedelta(hours=23)
    with pytest.raises(CancellationTooLate) as err, db.transaction() as session:
        cancel(session, made.id, actor="client", by_client=True, now=late)
    assert err.value.message == (
        "Sessions can be cancelled online up to 24 hours before they start; "
        "please call the clinic at +386 1 000 00 00"
    )
    with db.transaction() as session:  # the receptionist can
        assert cancel(session, made.id, actor="reception", now=late).status == "cancelled"


def test_a_session_cannot_be_cancelled_twice_or_once_it_is_over(db, clinic, booker):
    made = booker("10:00")
    with pytest.raises(InvalidTransition) as err, db.transaction() as session:
        cancel(session, made.id, actor="reception", now=local(MONDAY, "11:30"))
    assert err.value.message == "A session that is over cannot be cancelled; mark it instead"
    with db.transaction() as session:
        cancel(session, made.id, actor="reception", now=NOW)
    with pytest.raises(InvalidTransition) as err, db.transaction() as session:
        cancel(session, made.id, actor="reception", now=NOW)
    assert err.value.message == "This session is already cancelled and cannot be cancelled"


def test_a_session_is_marked_completed_or_no_show_once_it_has_started(db, clinic, booker):
    done = booker("10:00")
    missed = booker("14:00")
    with pytest.raises(InvalidTransition) as err, db.transaction() as session:
        mark_completed(session, done.id, actor="anna", now=local(MONDAY, "09:59"))
    assert err.value.message == "A session that has not started cannot be marked completed"
    with db.transaction() as session:
        assert (
            mark_completed(session, done.id, actor="anna", now=local(MONDAY, "11:00")).status
            == "completed"
        )
        assert (
            mark_no_show(session, missed.id, actor="anna", now=local(MONDAY, "14:20")).status
            == "no_show"
        )
    assert events(db, done.id)[-1] == ("completed", "anna", {})
    assert events(db, missed.id)[-1] == ("no_show", "anna", {})
    with pytest.raises(InvalidTransition) as err, db.transaction() as session:
        mark_no_show(session, done.id, actor="anna", now=local(MONDAY, "12:00"))
    assert err.value.message == "Only a booked session can be marked no-show; this one is completed"
    for action in (
        cancel,
        lambda s, i, **kw: reschedule(s, i, start=local(TUESDAY, "10:00"), **kw),
    ):
        with pytest.raises(InvalidTransition), db.transaction() as session:
            action(session, done.id, actor="anna", now=local(MONDAY, "12:00"))


def test_a_completed_session_still_holds_its_time(db, clinic, booker):
    done = booker("10:00")
    with db.transaction() as session:
        mark_completed(session, done.id, actor="anna", now=local(MONDAY, "11:00"))
    with pytest.raises(BookingConflict), db.transaction() as session:
        book(
            session,
            treatment_type_id=clinic.facial.id,
            start=local(MONDAY, "10:00"),
            client_id=clinic.other_client.id,
            actor="reception",
            now=local(MONDAY, "07:00"),
        )


# -- history and messages ----------------------------------------------------------------------------


def test_every_change_is_recorded_with_who_made_it(db, clinic, booker):
    made = booker("10:00", actor="api-key:website")
    with db.transaction() as session:
        reschedule(
            session,
            made.id,
            actor="reception@clinic.example",
            start=local(MONDAY, "11:00"),
            now=NOW,
        )
    with db.transaction() as session:
        cancel(session, made.id, actor="client", reason="", by_client=True, now=NOW)
    assert [(a, who) for a, who, _ in events(db, made.id)] == [
        ("booked", "api-key:website"),
        ("moved", "reception@clinic.example"),
        ("cancelled", "client"),
    ]
    booked = events(db, made.id)[0][2]
    assert booked == {
        "start": local(MONDAY, "10:00").isoformat(),
        "end": local(MONDAY, "11:00").isoformat(),
        "therapist": "Anna Novak",
        "room": "Room 1",
    }


def test_a_booking_writes_its_invitation_and_reminder_in_the_same_transaction(db, clinic, booker):
    made = booker("10:00")
    assert messages(db, made.id) == [
        (MessageKind.INVITE.value, "eva@example.com", 0, "pending"),
        (MessageKind.REMINDER.value, "eva@example.com", 0, "pending"),
    ]


def test_a_booking_that_rolls_back_leaves_no_messages_and_no_history(db, clinic):
    with pytest.raises(RuntimeError), db.transaction() as session:
        book(
            session,
            treatment_type_id=clinic.facial.id,
            start=local(MONDAY, "10:00"),
            client_id=clinic.client.id,
            actor="reception",
            now=NOW,
        )
        assert len(session.exec(select(OutboxMessage)).all()) == 2  # written, not yet committed
        raise RuntimeError("the request failed after booking")
    assert (count(db, Booking), count(db, OutboxMessage), count(db, BookingEvent)) == (0, 0, 0)


def test_a_therapist_or_room_with_sessions_ahead_cannot_be_switched_off_in_their_form(db):
    from shared import catalog
    from shared.booking import book
    from shared.errors import Conflict
    from tests.factories import MONDAY, local, make_clinic

    with db.transaction() as session:
        c = make_clinic(session)
        book(
            session,
            treatment_type_id=c.facial.id,
            start=local(MONDAY, "10:00"),
            client_id=c.client.id,
            actor="test",
        )
    with (
        pytest.raises(Conflict, match="Anna Novak still has 1 future session"),
        db.transaction() as session,
    ):
        catalog.save_therapist(
            session,
            therapist_id=c.anna.id,
            name="Anna Novak",
            email="anna@clinic.example",
            active=False,
        )
    with (
        pytest.raises(Conflict, match="Room 1 still has 1 future session"),
        db.transaction() as session,
    ):
        catalog.save_room(
            session, room_id=c.room1.id, name="Room 1", features=["facial couch"], active=False
        )
    with db.read() as session:
        from shared.models import Room, Therapist

        assert session.get(Therapist, c.anna.id).active
        assert session.get(Room, c.room1.id).active
