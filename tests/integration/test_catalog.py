"""Changing and removing hours, time off and closures, and rotating feed links, through
shared.catalog: typed refusals that leave every row as it was."""

from __future__ import annotations

from datetime import time

import pytest
from sqlmodel import select

from shared import catalog, online_menu
from shared.errors import Conflict, InvalidInput, NotFound
from shared.models import Closure, Room, TimeOff, WorkingHours
from tests.factories import MONDAY, local

TUESDAY = MONDAY.replace(day=2)


def test_removing_a_working_block_deletes_only_that_block(db, clinic):
    with db.transaction() as s:
        saturday = catalog.add_working_hours(
            s, therapist_id=clinic.anna.id, weekday=5, start_time=time(9), end_time=time(12)
        ).id
    with db.transaction() as s:
        catalog.remove_working_hours(s, saturday)
    with db.read() as s:
        assert s.get(WorkingHours, saturday) is None
        assert len(s.exec(select(WorkingHours)).all()) == 10  # the factories' weekdays


def test_changing_time_off_keeps_its_row_with_the_new_therapist_times_and_reason(db, clinic):
    with db.transaction() as s:
        off = catalog.add_time_off(
            s, therapist_id=clinic.anna.id, start=local(MONDAY, "09:00"), end=local(MONDAY, "12:00")
        )
    with db.transaction() as s:
        catalog.add_time_off(
            s,
            time_off_id=off.id,
            therapist_id=clinic.boris.id,
            start=local(TUESDAY, "10:00"),
            end=local(TUESDAY, "11:00"),
            reason="Training",
        )
    with db.read() as s:
        rows = s.exec(select(TimeOff)).all()
    assert [(r.id, r.therapist_id, r.start_at, r.end_at, r.reason) for r in rows] == [
        (off.id, clinic.boris.id, local(TUESDAY, "10:00"), local(TUESDAY, "11:00"), "Training")
    ]


def test_changing_a_closure_can_turn_a_room_closure_into_a_whole_clinic_one(db, clinic):
    with db.transaction() as s:
        closure = catalog.add_closure(
            s, room_id=clinic.room1.id, start=local(MONDAY, "09:00"), end=local(MONDAY, "12:00")
        )
    with db.transaction() as s:
        catalog.add_closure(
            s,
            closure_id=closure.id,
            start=local(MONDAY, "00:00"),
            end=local(TUESDAY, "00:00"),
            reason="Public holiday",
        )
    with db.read() as s:
        rows = s.exec(select(Closure)).all()
    assert [(r.id, r.room_id, r.reason) for r in rows] == [(closure.id, None, "Public holiday")]


@pytest.mark.parametrize("kind", ["time off", "closure"])
def test_time_off_and_closures_are_removed_by_id(db, clinic, kind):
    span = {"start": local(MONDAY, "09:00"), "end": local(MONDAY, "12:00")}
    with db.transaction() as s:
        if kind == "time off":
            row_id = catalog.add_time_off(s, therapist_id=clinic.anna.id, **span).id
        else:
            row_id = catalog.add_closure(s, **span).id
    with db.transaction() as s:
        if kind == "time off":
            catalog.remove_time_off(s, row_id)
        else:
            catalog.remove_closure(s, row_id)
    with db.read() as s:
        assert s.get(TimeOff if kind == "time off" else Closure, row_id) is None


@pytest.mark.parametrize(
    "remove", [catalog.remove_working_hours, catalog.remove_time_off, catalog.remove_closure]
)
def test_removing_something_that_is_not_there_is_not_found_and_writes_nothing(
    clinic, writes_nothing, remove
):
    err = writes_nothing(NotFound, lambda s: remove(s, 999))
    assert err.field == "id"


def test_a_time_off_change_refused_for_its_times_leaves_the_old_times(db, clinic, writes_nothing):
    with db.transaction() as s:
        off = catalog.add_time_off(
            s, therapist_id=clinic.anna.id, start=local(MONDAY, "09:00"), end=local(MONDAY, "12:00")
        )
    err = writes_nothing(
        InvalidInput,
        lambda s: catalog.add_time_off(
            s,
            time_off_id=off.id,
            therapist_id=clinic.anna.id,
            start=local(TUESDAY, "12:00"),
            end=local(TUESDAY, "09:00"),
        ),
    )
    assert (err.field, err.message) == ("end", "ends before it starts")


def test_rotating_a_rooms_feed_gives_it_a_new_token_and_names_the_room(db, clinic):
    with db.read() as s:
        old = s.get(Room, clinic.room1.id).feed_token
    with db.transaction() as s:
        owner = catalog.rotate_feed(s, "room", clinic.room1.id)
        assert owner.name == "Room 1"
    with db.read() as s:
        assert s.get(Room, clinic.room1.id).feed_token not in ("", old)


def test_the_clinics_feed_is_rotated_whatever_id_is_asked(db, clinic):
    with db.transaction() as s:
        assert catalog.rotate_feed(s, "clinic", 7).name == "Test Clinic"


def test_retiring_a_room_with_sessions_ahead_is_refused_in_the_catalogs_words(
    db, clinic, booker, writes_nothing
):
    booker("10:00")  # a facial in Room 1
    err = writes_nothing(
        Conflict,
        lambda s: catalog.save_room(
            s, room_id=clinic.room1.id, name="Room 1", features=["facial couch"], active=False
        ),
    )
    assert (err.field, err.message) == (
        "active",
        "Room 1 still has 1 future session: move or cancel them first",
    )


def test_the_clinics_colour_is_saved_and_read_back_through_the_catalog_cache(db, clinic):
    with db.transaction() as s:
        catalog.configure_clinic(s, brand_colour="#1B4332")
    with db.read() as s:
        assert online_menu.theme(s).brand == "#1b4332"
        assert online_menu.page(s).theme.on_brand == "#ffffff"


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("navy", "like #3d6b5a"),
        ("#1b4332; } body { background: url(//evil.example)", "like #3d6b5a"),
        ("#0073f0", "WCAG AA"),
    ],
)
def test_a_colour_that_is_not_rrggbb_or_has_no_readable_text_is_refused_and_writes_nothing(
    clinic, writes_nothing, value, says
):
    err = writes_nothing(
        InvalidInput, lambda s: catalog.configure_clinic(s, name="Lotus", brand_colour=value)
    )
    assert err.field == "brand_colour" and says in err.message
