"""Availability costs a fixed number of queries, whatever the range and the clinic's history."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from shared import catalog, catalog_cache, clients, demo
from shared.availability import available_slots
from shared.booking import book
from tests.factories import MONDAY, NOW, local

seen_with_parameters: list[tuple[str, object]] = []


@contextmanager
def statements(db) -> Iterator[list[str]]:
    """Every SQL statement the engine sends while the block runs."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)
        seen_with_parameters.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def slots_with_queries(db, clinic, days: int):
    with statements(db) as seen, db.read() as session:
        slots = available_slots(
            session,
            treatment_type_id=clinic.consult.id,
            start=MONDAY,
            end=MONDAY + timedelta(days=days - 1),
            now=NOW,
        )
    return slots, seen


@pytest.fixture
def busy_clinic(db, clinic):
    """A few bookings on the first days, so the bookings query returns rows."""
    with db.transaction() as session:
        for day, at, client in ((0, "10:00", clinic.client), (1, "11:00", clinic.other_client)):
            book(
                session,
                treatment_type_id=clinic.facial.id,
                start=local(MONDAY + timedelta(days=day), at),
                client_id=client.id,
                actor="test",
                now=NOW,
            )
    return clinic


def test_availability_for_one_day_and_for_31_days_issues_the_same_statements(db, busy_clinic):
    slots_with_queries(db, busy_clinic, 1)  # the first request of a process reads the catalog
    one_day, one_day_sql = slots_with_queries(db, busy_clinic, 1)
    month, month_sql = slots_with_queries(db, busy_clinic, 31)
    assert len(one_day_sql) == len(month_sql)
    assert len(month) > 20 * len(one_day) > 0


def test_repeated_availability_is_one_statement_that_also_confirms_the_cached_catalog(
    db, busy_clinic
):
    catalog_cache._caches.clear()  # as in a process that has not read the catalog yet
    first, first_sql = slots_with_queries(db, busy_clinic, 7)
    again, again_sql = slots_with_queries(db, busy_clinic, 7)
    assert again == first
    selects = [q for q in again_sql if q.lstrip("( ").startswith("SELECT")]
    assert len(selects) == 1
    tables = ("booking", "time_off", "closure", "catalog_version")
    assert all(f"FROM {table}" in selects[0] for table in tables)
    assert len(first_sql) > len(again_sql)


def test_availability_after_a_catalog_change_elsewhere_reads_the_new_catalog(db, busy_clinic):
    slots_with_queries(db, busy_clinic, 1)
    with db.transaction() as session:
        catalog.configure_clinic(session, slot_step_minutes=30)  # e.g. another process
    after, after_sql = slots_with_queries(db, busy_clinic, 1)
    assert after and all(s.start.minute in (0, 30) for s in after)
    assert len(after_sql) > 3  # the stale copy was noticed, the catalog read again


def test_the_number_of_statements_does_not_grow_with_past_bookings(db, busy_clinic):
    slots_with_queries(db, busy_clinic, 31)
    before, before_sql = slots_with_queries(db, busy_clinic, 31)
    with db.transaction() as session:
        # make_history works backwards from today: put "today" after the asked month.
        made = demo.make_history(session, bookings=3000, now=datetime(2027, 6, 1, tzinfo=UTC))
    assert made == 3000
    after, after_sql = slots_with_queries(db, busy_clinic, 31)
    assert after == before
    assert len(after_sql) == len(before_sql)


def test_bookings_are_read_through_an_index_on_their_start(db, busy_clinic):
    seen_with_parameters.clear()
    slots_with_queries(db, busy_clinic, 31)
    [(query, parameters)] = [(q, p) for q, p in seen_with_parameters if "FROM booking" in q]
    with db.engine.connect() as conn:
        if db.is_sqlite:
            plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + query, parameters).all()
            details = " | ".join(str(row[-1]) for row in plan)
            assert "SEARCH booking USING INDEX" in details, details
            assert "SCAN booking" not in details, details
        else:  # a handful of rows: ask whether an index path exists at all
            conn.exec_driver_sql("SET enable_seqscan = off")
            plan = conn.exec_driver_sql("EXPLAIN " + query, parameters).all()
            details = " | ".join(row[0] for row in plan)
            assert "Index" in details, details
            assert "Seq Scan on booking" not in details, details


def _booking_sql(db, clinic, at: str, client, day=MONDAY) -> list[str]:
    with statements(db) as seen, db.transaction() as session:
        book(
            session,
            treatment_type_id=clinic.facial.id,
            start=local(day, at),
            client_id=client.id,
            actor="test",
            now=NOW,
        )
    return seen


def _kind(statement: str) -> str:
    """'INSERT booking', 'SELECT catalog_version', 'LOCK', ... for one statement."""
    words = statement.split()
    if "pg_advisory_xact_lock" in statement:
        return "INSERT client + LOCK" if "INSERT INTO client" in statement else "LOCK"
    if words[0] == "INSERT":
        return f"INSERT {words[2]}"
    if words[0] == "WITH":  # a data-modifying WITH: every table it inserts into
        return "INSERT " + " + ".join(re.findall(r"INSERT INTO (\w+)", statement))
    if words[0] == "SELECT":
        return f"SELECT {words[words.index('FROM') + 1]}"
    return words[0]


def test_a_booking_reads_the_client_and_one_range_with_the_catalog_version_then_writes(db, clinic):
    _booking_sql(db, clinic, "10:00", clinic.client)  # the process has read the catalog
    seen = [_kind(q) for q in _booking_sql(db, clinic, "13:00", clinic.other_client)]
    if db.is_sqlite:
        assert seen[0] == "BEGIN"  # IMMEDIATE: the write lock is held from the first read
        seen = seen[1:]
    expected = ["SELECT client"]  # the catalog's version comes with the calendars
    if db.is_sqlite:  # in process: no round trips to save
        expected += ["SELECT booking", "INSERT booking", "INSERT booking_event"]
        assert seen[: len(expected)] == expected
        assert seen[len(expected) :] == ["INSERT outbox_message"]  # invitation and reminder
    else:  # the booking, its history and its messages in one round trip
        expected += ["LOCK", "SELECT booking"]
        expected += ["INSERT booking + booking_event + outbox_message"]
        assert seen == expected


def test_a_booking_for_a_client_given_by_e_mail_registers_and_holds_them_in_one_statement(
    db, clinic
):
    _booking_sql(db, clinic, "10:00", clinic.client)  # the process has read the catalog
    for address in ("new.client@example.com", clinic.client.email):  # new, then on file
        with statements(db) as seen, db.transaction() as session:
            made = book(
                session,
                treatment_type_id=clinic.facial.id,
                start=local(MONDAY + timedelta(days=2 if "new" in address else 3), "13:00"),
                new_client=clients.registration(name="Given Name", email=address),
                actor="test",
                now=NOW,
            )
            assert made.client.email == address
        kinds = [_kind(q) for q in seen]
        if db.is_sqlite:
            assert kinds == [
                "BEGIN",
                "INSERT client",
                "SELECT booking",
                "INSERT booking",
                "INSERT booking_event",
                "INSERT outbox_message",
            ]
        else:
            assert kinds == [
                "INSERT client + LOCK",
                "SELECT booking",
                "INSERT booking + booking_event + outbox_message",
            ]


def test_booking_itself_issues_the_same_statements_with_a_long_history(db, clinic):
    _booking_sql(db, clinic, "09:00", clinic.client, day=MONDAY + timedelta(days=1))
    first = len(_booking_sql(db, clinic, "10:00", clinic.client))
    with db.transaction() as session:
        demo.make_history(session, bookings=3000, now=datetime(2027, 6, 1, tzinfo=UTC))
    assert len(_booking_sql(db, clinic, "13:00", clinic.other_client)) == first
