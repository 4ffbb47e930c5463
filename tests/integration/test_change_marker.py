"""The day and week views poll `change_marker`: it changes on every write the views show
(bookings, holds, waiting-list offers, time off, closures, working hours, the catalog), made
through any connection, in one statement; and a week is read with the same statements as a day."""

from __future__ import annotations

from datetime import time, timedelta

from sqlalchemy import event, text
from sqlmodel import select

from shared import booking, catalog, day_data, holds, offers
from shared.models import BookingStatus, WaitlistOffer
from tests.factories import MONDAY, NOW, TZ, local
from tests.integration.test_catalog_cache import sql
from tests.waiting import fill_monday, free_one, join_three


def _marker(db) -> str:
    with db.read() as s:
        return day_data.change_marker(s)


def _each_changes_the_marker(db, other, writes) -> None:
    """Every write in turn moves the marker, as another process's connection reads it."""
    seen = [_marker(other)]
    for write in writes:
        with db.transaction() as s:
            write(s)
        seen.append(_marker(other))
    assert len(set(seen)) == len(seen), seen


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
    second = booker("15:00")
    with db.transaction() as s:
        booking.cancel(s, second.id, actor="t", now=NOW)
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


def test_time_off_entered_changed_or_removed_changes_the_marker(db, other, clinic):
    made = []

    def enter(s):
        made.append(
            catalog.add_time_off(
                s,
                therapist_id=clinic.anna.id,
                start=local(MONDAY, "09:00"),
                end=local(MONDAY, "12:00"),
                reason="Ill",
            )
        )

    _each_changes_the_marker(
        db,
        other,
        [
            enter,
            lambda s: catalog.add_time_off(
                s,
                therapist_id=clinic.anna.id,
                start=local(MONDAY, "09:00"),
                end=local(MONDAY, "17:00"),
                time_off_id=made[0].id,
            ),
            lambda s: catalog.remove_time_off(s, made[0].id),
        ],
    )


def test_time_off_entered_by_hand_in_sql_changes_the_marker(db, other, clinic):
    before = _marker(db)
    sql(
        other,
        "INSERT INTO time_off (therapist_id, start_at, end_at, reason) VALUES (:t, :s, :e, '')",
        t=clinic.anna.id,
        s=local(MONDAY, "09:00"),
        e=local(MONDAY, "10:00"),
    )
    assert _marker(db) != before


def test_a_closure_of_the_clinic_or_a_room_entered_changed_or_removed_changes_the_marker(
    db,
    other,
    clinic,
):
    made = []

    def close(s):
        made.append(
            catalog.add_closure(s, start=local(MONDAY, "00:00"), end=local(MONDAY, "23:00"))
        )

    _each_changes_the_marker(
        db,
        other,
        [
            close,
            lambda s: catalog.add_closure(
                s,
                start=local(MONDAY, "08:00"),
                end=local(MONDAY, "12:00"),
                room_id=clinic.room1.id,
                closure_id=made[0].id,
            ),
            lambda s: catalog.remove_closure(s, made[0].id),
        ],
    )


def test_working_hours_added_or_removed_change_the_marker(db, other, clinic):
    made = []

    def add(s):
        made.append(
            catalog.add_working_hours(
                s,
                therapist_id=clinic.boris.id,
                weekday=5,
                start_time=time(9),
                end_time=time(12),
            )
        )

    _each_changes_the_marker(
        db, other, [add, lambda s: catalog.remove_working_hours(s, made[0].id)]
    )


def test_a_hold_placed_confirmed_or_lapsed_changes_the_marker(db, other, clinic):
    placed = []

    def place(at, lasts):
        def write(s):
            placed.append(
                holds.hold(
                    s,
                    treatment_type_id=clinic.consult.id,
                    start=local(MONDAY, at),
                    client_id=clinic.client.id,
                    actor="client (booking page)",
                    now=NOW,
                    lasts=lasts,
                )
            )

        return write

    _each_changes_the_marker(
        db,
        other,
        [
            place("10:00", timedelta(minutes=15)),
            lambda s: holds.confirm(s, placed[0].hold_token, now=NOW),
            place("12:00", timedelta(minutes=15)),
            lambda s: holds.expire(s, now=NOW + timedelta(minutes=15)),
        ],
    )
    with db.read() as s:
        assert s.get(type(placed[1]), placed[1].id).status == BookingStatus.CANCELLED  # type: ignore[union-attr]


def test_a_waiting_list_offer_made_taken_or_lapsed_changes_the_marker(db, other, clinic):
    full = fill_monday(db, clinic)
    mia, nina, _ = join_three(db, clinic)
    free_one(db, full)

    def offer_of(s, entry_id):
        return s.exec(select(WaitlistOffer).where(WaitlistOffer.entry_id == entry_id)).one()

    _each_changes_the_marker(
        db,
        other,
        [
            lambda s: offers.match(s, now=NOW),  # offered to Mia
            lambda s: offers.match(s, now=offer_of(s, mia).expires_at),  # lapsed: to Nina
            lambda s: offers.take(s, offer_of(s, nina).token, now=NOW + timedelta(hours=2)),
        ],
    )


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
