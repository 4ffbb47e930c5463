"""Many workers racing for one slot: exactly one wins, on PostgreSQL and on SQLite.

Each attempt runs in its own thread with its own Database (its own engine and connection), as
separate workers or replicas would. The database has the last word: with the Python check
skipped, an overlapping row is still refused and reported as the same typed conflict.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import select

from shared import booking
from shared.booking import book
from shared.clients import create_client
from shared.db import Database
from shared.errors import BookingConflict, ClientBusy, RoomBusy, TherapistBusy
from shared.models import Booking, BookingStatus, OutboxMessage
from tests.factories import MONDAY, NOW, local

RACERS = 20


def race(database_url: str, attempt, n: int = RACERS) -> list[object]:
    """Run attempt(session, i) in n threads at once, each on its own Database; the outcomes."""
    barrier = threading.Barrier(n)
    outcomes: list[object] = [None] * n

    def run(i: int) -> None:
        database = Database(database_url)
        try:
            with database.engine.connect():  # connect before the start line
                pass
            barrier.wait(timeout=60)
            with database.transaction() as session:
                outcomes[i] = attempt(session, i)
        except Exception as exc:
            outcomes[i] = exc
        finally:
            database.dispose()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a racer hung"
    return outcomes


@pytest.fixture
def clients(db, clinic):
    with db.transaction() as session:
        return [
            create_client(session, name=f"Racer {i}", email=f"racer{i}@example.com").id
            for i in range(RACERS)
        ]


def assert_one_winner(db, outcomes, errors=BookingConflict):
    winners = [o for o in outcomes if isinstance(o, Booking)]
    losers = [o for o in outcomes if not isinstance(o, Booking)]
    assert len(winners) == 1, outcomes
    assert all(isinstance(o, errors) for o in losers), [repr(o) for o in losers]
    with db.read() as session:
        live = session.exec(
            select(Booking).where(Booking.status == BookingStatus.BOOKED.value)
        ).all()
        assert [b.id for b in live] == [winners[0].id]
        messages = session.exec(select(OutboxMessage)).all()
        assert {m.booking_id for m in messages} == {winners[0].id}


@pytest.mark.xdist_group("races")
def test_twenty_workers_racing_for_one_slot_leave_exactly_one_booking(
    db, database_url, clinic, clients
):
    def attempt(session, i):
        return book(
            session,
            treatment_type_id=clinic.facial.id,
            start=local(MONDAY, "10:00"),
            client_id=clients[i],
            actor=f"worker-{i}",
            now=NOW,
        )

    outcomes = race(database_url, attempt)
    assert_one_winner(db, outcomes)
    # The losers waited for the winner and then saw it: they hear what is in their way.
    for loser in outcomes:
        if isinstance(loser, BookingConflict):
            assert "Anna Novak is booked Mon 01.03.2027 10:00-11:00 for Facial rejuvenation" in (
                loser.message
            )


@pytest.mark.xdist_group("races")
def test_racing_for_the_same_room_with_different_therapists_leaves_one_booking(
    db, database_url, clinic, clients
):
    therapists = [clinic.anna.id, clinic.boris.id]

    def attempt(session, i):
        return book(
            session,
            treatment_type_id=clinic.consult.id,
            therapist_id=therapists[i % 2],
            room_id=clinic.room2.id,
            start=local(MONDAY, "10:00") + timedelta(minutes=15 * (i % 3)),
            client_id=clients[i],
            actor=f"worker-{i}",
            now=NOW,
        )

    outcomes = race(database_url, attempt)
    assert_one_winner(db, outcomes)


@pytest.mark.xdist_group("races")
def test_one_client_racing_into_two_rooms_gets_one_session(db, database_url, clinic):
    def attempt(session, i):
        return book(
            session,
            treatment_type_id=clinic.consult.id,
            therapist_id=[clinic.anna.id, clinic.boris.id][i % 2],
            room_id=[clinic.room1.id, clinic.room2.id][i % 2],
            start=local(MONDAY, "10:00"),
            client_id=clinic.client.id,
            actor=f"worker-{i}",
            now=NOW,
        )

    assert_one_winner(db, race(database_url, attempt))


# -- the database's own guard, with the Python check bypassed -----------------------------------


def raw_booking(clinic, start: str, *, therapist=None, room=None, client=None, status="booked"):
    """A booking row put straight into the session, skipping every rule."""
    begin = local(MONDAY, start)
    return Booking(
        uid=f"raw-{start}-{id(object())}@test",
        treatment_type_id=clinic.facial.id,
        therapist_id=(therapist or clinic.anna).id,
        room_id=(room or clinic.room1).id,
        client_id=(client or clinic.client).id,
        start_at=begin,
        end_at=begin + timedelta(minutes=60),
        blocked_start=begin - timedelta(minutes=10),
        blocked_end=begin + timedelta(minutes=75),
        status=status,
        access_token=f"token-{start}-{id(object())}",
    )


@pytest.mark.parametrize(
    ("error", "other"),
    [
        (TherapistBusy, {"room": "room2", "client": "other_client"}),
        (RoomBusy, {"therapist": "boris", "client": "other_client"}),
        (ClientBusy, {"therapist": "boris", "room": "room2"}),
    ],
)
def test_the_database_refuses_an_overlapping_row_as_the_same_typed_conflict(
    db, clinic, error, other
):
    with db.transaction() as session:
        session.add(raw_booking(clinic, "10:00"))
    with pytest.raises(error) as caught, db.transaction() as session:
        session.add(
            raw_booking(clinic, "10:45", **{k: getattr(clinic, v) for k, v in other.items()})
        )
        booking._flush(session)
    assert isinstance(caught.value, BookingConflict)
    assert "just booked for this time by someone else" in caught.value.message
    with db.read() as session:
        assert len(session.exec(select(Booking)).all()) == 1


def test_the_database_allows_touching_intervals_and_ignores_cancelled_rows(db, clinic):
    with db.transaction() as session:
        session.add(raw_booking(clinic, "10:00"))  # held 09:50-11:15
        session.add(raw_booking(clinic, "14:00", status="cancelled"))
        booking._flush(session)
        session.add(raw_booking(clinic, "11:25"))  # held from 11:15: touching is fine
        session.add(raw_booking(clinic, "14:15"))  # overlaps only the cancelled one
        booking._flush(session)
    with db.read() as session:
        assert len(session.exec(select(Booking)).all()) == 4


def test_the_database_refuses_moving_a_row_onto_another(db, clinic):
    with db.transaction() as session:
        first = raw_booking(clinic, "10:00")
        second = raw_booking(clinic, "14:00", room=clinic.room2, client=clinic.other_client)
        session.add_all([first, second])
    with pytest.raises(TherapistBusy), db.transaction() as session:
        row = session.get(Booking, second.id)
        row.start_at, row.end_at = first.start_at, first.end_at
        row.blocked_start, row.blocked_end = first.blocked_start, first.blocked_end
        booking._flush(session)


def test_the_database_refuses_reviving_a_cancelled_row_that_now_overlaps(db, clinic):
    with db.transaction() as session:
        cancelled = raw_booking(clinic, "10:00", status="cancelled")
        session.add_all([cancelled, raw_booking(clinic, "10:30", client=clinic.other_client)])
    with pytest.raises(BookingConflict), db.transaction() as session:
        session.get(Booking, cancelled.id).status = BookingStatus.BOOKED.value
        booking._flush(session)


def test_sqlite_write_transactions_take_the_write_lock_before_their_first_read(tmp_path):
    """BEGIN IMMEDIATE: a second writer waits at BEGIN, it never reads a slot as free and
    then fails to upgrade its lock (what a deferred transaction would do)."""
    from sqlalchemy import event

    from shared import migrate

    url = f"sqlite:///{tmp_path}/clinic.db"
    migrate.upgrade(url)
    first, second = Database(url), Database(url)
    seen: list[str] = []
    event.listen(first.engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    entered = threading.Event()
    try:
        with first.transaction() as session:
            session.exec(select(Booking)).all()
            assert seen[0] == "BEGIN IMMEDIATE"

            def write() -> None:
                with second.transaction() as other:
                    other.exec(select(Booking)).all()  # BEGIN IMMEDIATE is sent here
                    entered.set()

            writer = threading.Thread(target=write)
            writer.start()
            assert not entered.wait(0.5)  # blocked at BEGIN while we hold the lock
        writer.join(timeout=30)
        assert entered.is_set()
        with first.read() as session:
            session.exec(select(Booking)).all()
        assert "BEGIN DEFERRED" in seen  # reads do not take the write lock
    finally:
        first.dispose()
        second.dispose()
