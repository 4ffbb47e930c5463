"""The reads behind the dashboard's screens, each a shared function: a booking with its
history and messages, sessions in a span, the option lists, a move's choices, one day."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event

from shared import booking, booking_queries, catalog, day_data, directory, outbox_queries, rebook
from shared.models import MessageStatus
from tests.factories import MONDAY, NOW, TZ, local


def test_a_booking_is_read_with_its_client_treatment_people_and_history(db, clinic, booker):
    made = booker("10:00")
    with db.transaction() as s:
        booking.cancel(s, made.id, actor="reception", reason="ill", now=NOW)
    with db.read() as s:
        b = booking_queries.booking_with_history(s, made.id)
    # read after the session closed: everything the page shows was loaded with it
    assert (b.client.name, b.treatment_type.name, b.therapist.name, b.room.name) == (
        "Eva Horvat",
        "Facial rejuvenation",
        "Anna Novak",
        "Room 1",
    )
    assert [e.action for e in b.events] == ["booked", "cancelled"]


def test_live_sessions_in_a_span_count_booked_ones_of_that_therapist_or_room(db, clinic, booker):
    booker("10:00")  # facial: Anna, Room 1, 10:00-11:00
    booker("09:00", treatment=clinic.consult, therapist_id=clinic.boris.id, room_id=clinic.room2.id)
    gone = booker("12:00", treatment=clinic.consult, therapist_id=clinic.boris.id)
    with db.transaction() as s:
        booking.cancel(s, gone.id, actor="t", now=NOW)
    day = (local(MONDAY, "00:00"), local(MONDAY, "23:59"))
    with db.read() as s:
        count = booking_queries.live_sessions_between
        assert count(s, *day) == 2  # the cancelled one does not count
        assert count(s, *day, therapist_id=clinic.boris.id) == 1
        assert count(s, *day, room_id=clinic.room1.id) == 1
        assert count(s, local(MONDAY, "11:00"), local(MONDAY, "12:00")) == 0  # ends are open


def test_a_bookings_messages_come_newest_first_and_the_outbox_counts_every_status(
    db, clinic, booker
):
    made = booker("10:00")
    with db.transaction() as s:
        booking.cancel(s, made.id, actor="t", now=NOW)
    with db.read() as s:
        kinds = [m.kind for m in outbox_queries.booking_messages(s, made.id)]
        counts = outbox_queries.status_counts(s)
    assert kinds[0] == "cancel" and "invite" in kinds
    assert set(counts) == {st.value for st in MessageStatus}
    assert counts["sent"] == 0 and sum(counts.values()) == len(kinds)


def test_option_lists_name_everyone_in_alphabetical_order_or_only_the_active(db, clinic):
    with db.transaction() as s:
        catalog.save_therapist(s, name="Ada Retired", email="ada@clinic.example", active=False)
    with db.read() as s:
        everyone = [t.name for t in directory.therapists_by_name(s)]
        active = [t.name for t in directory.therapists_by_name(s, active_only=True)]
        rooms = [r.name for r in directory.rooms_by_name(s)]
        types = [t.name for t in directory.treatment_types_by_name(s, active_only=True)]
    assert everyone == ["Ada Retired", "Anna Novak", "Boris Li"]
    assert active == ["Anna Novak", "Boris Li"]
    assert (rooms, types) == (["Room 1", "Room 2"], ["Facial rejuvenation", "TCM consultation"])


def test_a_session_may_move_to_whoever_gives_it_and_rooms_that_suit_it_or_stay_where_it_is(
    db, clinic
):
    with db.read() as s:
        facial = directory.get_treatment(s, clinic.facial.id, field="id")
        therapists, rooms = directory.move_choices(s, facial, keep_therapist_id=clinic.boris.id)
    assert [t.name for t in therapists] == ["Anna Novak", "Boris Li"]  # Boris: its own
    assert [r.name for r in rooms] == ["Room 1"]  # the only one with a facial couch


@pytest.fixture
def statements(db):
    """Counts the statements sent to the database."""
    seen: list[str] = []

    def count(*args):
        seen.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    yield seen
    event.remove(db.engine, "before_cursor_execute", count)


@pytest.mark.parametrize("show_cancelled", [False, True])
def test_a_day_is_read_with_the_same_few_statements_however_busy_it_is(
    db, clinic, booker, statements, show_cancelled
):
    booker("09:00")
    statements.clear()
    with db.read() as s:
        day_data.load_day(s, day=MONDAY, tz=TZ, show_cancelled=show_cancelled)
    quiet = len(statements)
    booker("11:30")
    booker(
        "12:00",
        treatment=clinic.consult,
        client_id=clinic.other_client.id,
        therapist_id=clinic.boris.id,
    )
    statements.clear()
    with db.read() as s:
        data = day_data.load_day(s, day=MONDAY, tz=TZ, show_cancelled=show_cancelled)
    assert len(statements) == quiet
    assert [b.therapist.name for b in data.shown] == ["Anna Novak", "Anna Novak", "Boris Li"]


def test_a_retired_therapist_shows_on_a_day_only_while_they_have_a_session_shown(
    db, clinic, booker
):
    made = booker("10:00", treatment=clinic.consult, therapist_id=clinic.boris.id)
    with db.transaction() as s:
        booking.cancel(s, made.id, actor="t", now=NOW)
        catalog.save_therapist(
            s,
            therapist_id=clinic.boris.id,
            name="Boris Li",
            email="boris@clinic.example",
            active=False,
        )
    with db.read() as s:
        hidden = day_data.load_day(s, day=MONDAY, tz=TZ, show_cancelled=False)
        shown = day_data.load_day(s, day=MONDAY, tz=TZ, show_cancelled=True)
    assert [t.name for t in hidden.therapists] == ["Anna Novak"]
    assert [t.name for t in shown.therapists] == ["Anna Novak", "Boris Li"]
    assert len(hidden.bookings) == 1 and hidden.shown == []  # counted, not drawn


def test_a_day_holds_the_time_off_and_closures_that_touch_it(db, clinic):
    with db.transaction() as s:
        catalog.add_time_off(
            s,
            therapist_id=clinic.anna.id,
            start=local(MONDAY, "12:00"),
            end=local(MONDAY, "13:00"),
        )
        catalog.add_closure(
            s, start=local(MONDAY, "16:00"), end=local(MONDAY, "16:00") + timedelta(days=2)
        )
    with db.read() as s:
        data = day_data.load_day(s, day=MONDAY, tz=TZ, show_cancelled=False)
        tuesday = day_data.load_day(s, day=MONDAY + timedelta(days=1), tz=TZ, show_cancelled=False)
    assert [o.start_at for o in data.time_off[clinic.anna.id]] == [local(MONDAY, "12:00")]
    assert len(data.closures) == len(tuesday.closures) == 1
    assert tuesday.time_off[clinic.anna.id] == []


def test_the_day_view_marks_as_away_exactly_the_sessions_the_rebook_list_holds(db, clinic, booker):
    inside = booker("10:00")  # Anna, 10:00-11:00: her time off 10:30-12:00 hits it
    booker("12:00")  # starts as her time off ends: not hit
    booker("09:00", treatment=clinic.consult, therapist_id=clinic.boris.id)  # Boris works
    gone = booker("14:00")
    with db.transaction() as s:
        catalog.add_time_off(
            s, therapist_id=clinic.anna.id, start=local(MONDAY, "10:30"), end=local(MONDAY, "12:00")
        )
        catalog.add_time_off(
            s, therapist_id=clinic.anna.id, start=local(MONDAY, "14:00"), end=local(MONDAY, "15:00")
        )
        booking.cancel(s, gone.id, actor="t", now=NOW)  # cancelled: nothing to rebook
    with db.read() as s:
        marked = day_data.load_day(s, day=MONDAY, tz=TZ, show_cancelled=True).away
        listed = {r.booking.id for r in rebook.to_rebook(s, now=NOW)}
    assert marked == listed == {inside.id}
