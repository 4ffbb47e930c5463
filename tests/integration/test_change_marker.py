"""The day and week views poll `change_marker`: it changes on every booking write, from any
connection, in one statement; and a week is read with the same statements as a day."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event, text

from shared import booking, catalog, day_data
from shared.models import BookingStatus
from tests.factories import MONDAY, NOW, TZ, local


def _marker(db) -> str:
    with db.read() as s:
        return day_data.change_marker(s)


def test_the_marker_changes_on_every_booking_write_and_on_nothing_else(db, clinic, booker):
    seen = [_marker(db)]
    made = booker("10:00")
    seen.append(_marker(db))
    assert _marker(db) == seen[-1]  # reading changes nothing
    with db.transaction() as s:
        booking.reschedule(s, made.id, actor="t", start=local(MONDAY, "12:00"), now=NOW)
    seen.append(_marker(db))
    with db.transaction() as s:
        booking.mark_completed(s, made.id, actor="t", now=local(MONDAY, "13:30"))
    seen.append(_marker(db))
    other = booker("15:00")
    with db.transaction() as s:
        booking.cancel(s, other.id, actor="t", now=NOW)
    seen.append(_marker(db))
    assert len(set(seen)) == len(seen), seen
    with db.read() as s:
        assert s.get(type(made), made.id).status == BookingStatus.COMPLETED  # type: ignore[union-attr]


def test_a_write_that_commits_after_a_newer_one_still_changes_the_marker(db, clinic, booker):
    first = booker("10:00")
    booker("12:00")
    with db.transaction() as s:  # an event id below the newest appears late, as when
        s.execute(text("DELETE FROM booking_event WHERE booking_id = :b"), {"b": first.id})
    before = _marker(db)
    with db.transaction() as s:  # two writers commit out of the order of their ids
        s.execute(
            text(
                "INSERT INTO booking_event (id, booking_id, at, actor, action, changes) "
                "VALUES (1, :b, :at, 'late', 'booked', '{}')"
            ),
            {"b": first.id, "at": NOW},
        )
    assert _marker(db) != before


def test_a_catalog_change_such_as_a_new_room_changes_the_marker(db, clinic):
    before = _marker(db)
    with db.transaction() as s:
        catalog.save_room(s, name="Room 3")
    assert _marker(db) != before


def test_the_marker_is_one_statement(db, clinic, booker):
    booker("10:00")
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    with db.read() as s:
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            day_data.change_marker(s)
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
    assert len([q for q in seen if q.lstrip().upper().startswith("SELECT")]) == 1


def test_a_week_holds_each_days_sessions_and_time_off(db, clinic, booker):
    booker("10:00")
    booker("11:00", day=MONDAY + timedelta(days=3))
    booker("11:00", day=MONDAY + timedelta(days=7))  # the next week
    with db.transaction() as s:
        catalog.add_time_off(
            s,
            therapist_id=clinic.anna.id,
            start=local(MONDAY + timedelta(days=2), "09:00"),
            end=local(MONDAY + timedelta(days=2), "12:00"),
            reason="Dentist",
        )
    with db.read() as s:
        week = day_data.load_days(
            s, first=MONDAY, last=MONDAY + timedelta(days=6), tz=TZ, show_cancelled=False
        )
    assert week.days[0] == MONDAY and len(week.days) == 7
    assert [b.start_at for b in week.shown] == [
        local(MONDAY, "10:00"),
        local(MONDAY + timedelta(days=3), "11:00"),
    ]
    assert [o.reason for o in week.time_off[clinic.anna.id]] == ["Dentist"]
