"""The per-process catalog cache never serves a catalog the database no longer holds.

Each change below is made the way the cache cannot see coming: raw SQL on another engine, as
psql, a migration, the dashboard in another process or another replica would make it.
"""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from sqlalchemy import text, update
from sqlmodel import col

from shared.availability import available_slots
from shared.catalog_cache import CACHED_TABLES, catalog_snapshot, read_version
from shared.models import WorkingHours
from tests.factories import MONDAY, NOW, local


def slots(db, treatment, **kwargs):
    with db.read() as session:
        return available_slots(
            session, treatment_type_id=treatment.id, start=MONDAY, end=MONDAY, now=NOW, **kwargs
        )


def sql(database, statement, **params):
    with database.engine.begin() as conn:
        conn.execute(text(statement), params)


def test_a_therapist_switched_off_elsewhere_loses_their_slots_at_the_next_request(
    db, other, clinic
):
    assert {s.therapist_id for s in slots(db, clinic.consult)} == {clinic.anna.id, clinic.boris.id}
    sql(other, "UPDATE therapist SET active = :no WHERE id = :id", no=False, id=clinic.boris.id)
    assert {s.therapist_id for s in slots(db, clinic.consult)} == {clinic.anna.id}


def test_working_hours_changed_elsewhere_move_the_slots_at_the_next_request(db, other, clinic):
    assert slots(db, clinic.facial)[0].start == local(MONDAY, "09:00")
    with other.engine.begin() as conn:
        conn.execute(
            update(WorkingHours)
            .where(col(WorkingHours.therapist_id) == clinic.anna.id)
            .values(start_time=time(11))
        )
    assert slots(db, clinic.facial)[0].start == local(MONDAY, "11:00")


def test_a_room_losing_its_couch_elsewhere_stops_hosting_facials(db, other, clinic):
    assert slots(db, clinic.facial)
    sql(other, "DELETE FROM room_feature WHERE room_id = :id", id=clinic.room1.id)
    assert slots(db, clinic.facial) == []


def test_a_skill_removed_and_a_treatment_retimed_elsewhere_are_both_seen(db, other, clinic):
    assert {s.therapist_id for s in slots(db, clinic.consult)} == {clinic.anna.id, clinic.boris.id}
    sql(other, "DELETE FROM therapist_skill WHERE therapist_id = :id", id=clinic.boris.id)
    sql(
        other,
        "UPDATE treatment_type SET duration_minutes = 90 WHERE id = :id",
        id=clinic.consult.id,
    )
    found = slots(db, clinic.consult)
    assert {s.therapist_id for s in found} == {clinic.anna.id}
    assert all(s.end - s.start == timedelta(minutes=90) for s in found)


def test_a_new_slot_step_set_elsewhere_changes_the_grid(db, other, clinic):
    assert local(MONDAY, "09:15") in [s.start for s in slots(db, clinic.consult)]
    sql(other, "UPDATE clinic SET slot_step_minutes = 30")
    starts = [s.start for s in slots(db, clinic.consult)]
    assert local(MONDAY, "09:30") in starts
    assert local(MONDAY, "09:15") not in starts


def test_a_catalog_change_that_rolls_back_leaves_no_trace_in_the_cache(db, clinic):
    """The cache may see an uncommitted catalog (availability inside a write transaction);
    a later, different committed change must still be seen."""
    before = slots(db, clinic.consult)
    with pytest.raises(RuntimeError), db.transaction() as session:
        session.execute(text("UPDATE therapist SET active = :no"), {"no": False})
        inside = available_slots(
            session, treatment_type_id=clinic.consult.id, start=MONDAY, end=MONDAY, now=NOW
        )
        assert inside == []
        raise RuntimeError("roll back")
    assert slots(db, clinic.consult) == before
    with db.transaction() as session:
        session.execute(
            text("UPDATE therapist SET active = :no WHERE id = :id"),
            {"no": False, "id": clinic.anna.id},
        )
    assert {s.therapist_id for s in slots(db, clinic.consult)} == {clinic.boris.id}


@pytest.mark.parametrize("table", CACHED_TABLES)
def test_every_write_to_a_catalog_table_moves_the_version(db, clinic, table):
    with db.read() as session:
        before = read_version(session.connection())
    sql(db, f'UPDATE "{table}" SET {_column(table)} = {_column(table)}')
    with db.read() as session:
        after = read_version(session.connection())
    assert before is not None and after is not None and after != before


def test_a_version_is_never_handed_out_again_after_a_rollback(db, clinic):
    with db.read() as session:
        start = read_version(session.connection())
    seen = set()
    for _ in range(3):
        with pytest.raises(RuntimeError), db.engine.begin() as conn:
            conn.execute(text("UPDATE room SET name = name"))
            seen.add(read_version(conn))
            raise RuntimeError("roll back")
    sql(db, "UPDATE room SET name = name")
    with db.read() as session:
        committed = read_version(session.connection())
    assert start not in seen and committed not in seen | {start}
    assert len(seen) == 3


def test_without_its_version_row_the_catalog_is_read_every_time(db, other, clinic):
    sql(other, "DELETE FROM catalog_version")
    assert {s.therapist_id for s in slots(db, clinic.consult)} == {clinic.anna.id, clinic.boris.id}
    sql(other, "UPDATE therapist SET active = :no WHERE id = :id", no=False, id=clinic.boris.id)
    assert {s.therapist_id for s in slots(db, clinic.consult)} == {clinic.anna.id}


def test_an_unchanged_catalog_is_served_from_the_cache(db, clinic):
    with db.read() as session:
        first = catalog_snapshot(session)
    with db.read() as session:
        assert catalog_snapshot(session) is first
    assert first.offers[clinic.facial.id].room_ids == (clinic.room1.id,)
    assert first.offers[clinic.consult.id].therapist_ids == (clinic.anna.id, clinic.boris.id)


def _column(table: str) -> str:
    """A column of `table` to write back unchanged."""
    return {
        "treatment_feature": "feature_id",
        "room_feature": "feature_id",
        "therapist_skill": "treatment_type_id",
        "working_hours": "weekday",
    }.get(table, "id")


def test_one_database_keeps_one_cached_catalog_for_all_its_kinds_of_session(db, clinic):
    with db.read() as session:
        first = catalog_snapshot(session)
    with db.read_statements() as session:
        assert catalog_snapshot(session) is first
    with db.transaction() as session:
        assert catalog_snapshot(session) is first
