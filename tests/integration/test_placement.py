"""The placement engine: many sessions checked in one pass, each seeing those placed before it,
with the same answers as booking them one at a time."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from shared import catalog
from shared.booking import book
from shared.errors import ClientBusy, ClinicError, ClosedForBooking, OutsideWorkingHours
from shared.placement import PlacementRequest, place_many
from tests.factories import MONDAY, NOW, local
from tests.integration.test_query_count import statements


def test_a_later_request_sees_the_session_placed_before_it_in_the_same_pass(db, clinic):
    first = PlacementRequest(clinic.facial.id, local(MONDAY, "10:00"), clinic.client.id)
    clash = PlacementRequest(clinic.consult.id, local(MONDAY, "10:30"), clinic.client.id)
    with db.transaction() as session:
        placed, refused = place_many(session, [first, clash], now=NOW)
    assert placed.placement is not None and placed.refusal is None
    assert isinstance(refused.refusal, ClientBusy)
    assert refused.refusal.message == (
        "The client already has a session Mon 01.03.2027 10:00-11:00 (Facial rejuvenation)"
    )


def test_a_pass_answers_each_request_with_its_place_or_its_own_refusal(db, clinic):
    with db.transaction() as session:
        catalog.add_closure(
            session,
            start=local(MONDAY + timedelta(days=1), "00:00"),
            end=local(MONDAY + timedelta(days=2), "00:00"),
            reason="Public holiday",
        )
    requests = [
        PlacementRequest(clinic.facial.id, local(MONDAY, "10:00"), clinic.client.id),
        PlacementRequest(clinic.facial.id, local(MONDAY + timedelta(days=1), "10:00")),
        PlacementRequest(clinic.consult.id, local(MONDAY, "14:00"), None, clinic.boris.id),
        PlacementRequest(clinic.facial.id, local(MONDAY + timedelta(days=2), "10:00")),
    ]
    with db.transaction() as session:
        outcomes = place_many(session, requests, now=NOW)
    assert [type(o.refusal) for o in outcomes] == [
        type(None),
        ClosedForBooking,
        OutsideWorkingHours,
        type(None),
    ]
    assert "Public holiday" in str(outcomes[1].refusal)
    assert "works 09:00-13:00 that day" in str(outcomes[2].refusal)
    assert outcomes[0].placement and outcomes[0].placement.therapist.name == "Anna Novak"
    assert outcomes[3].placement and outcomes[3].placement.room.name == "Room 1"


def test_twelve_weekly_sessions_are_checked_against_one_read_of_the_calendars(db, clinic):
    weeks = [
        PlacementRequest(
            clinic.facial.id, local(MONDAY + timedelta(weeks=w), "10:00"), clinic.client.id
        )
        for w in range(12)
    ]
    with db.transaction() as session:
        place_many(session, weeks[:1], now=NOW)  # the process has read the catalog
    with statements(db) as seen, db.transaction() as session:
        outcomes = place_many(session, weeks, now=NOW)
    assert all(o.placement is not None for o in outcomes)
    reads = [q for q in seen if "FROM booking" in q]
    assert len(reads) == 1
    assert len(seen) <= 3  # the catalog version, the lock (PostgreSQL), the one read


def _random_requests(clinic, rng: random.Random, count: int) -> list[PlacementRequest]:
    days = [MONDAY, MONDAY + timedelta(days=1)]
    out = []
    for _ in range(count):
        treatment = rng.choice([clinic.facial, clinic.consult])
        hour, minute = rng.randint(8, 16), rng.choice([0, 15, 30, 45])
        out.append(
            PlacementRequest(
                treatment_type_id=treatment.id,
                start=local(rng.choice(days), f"{hour:02d}:{minute:02d}"),
                client_id=rng.choice([clinic.client.id, clinic.other_client.id]),
                therapist_id=rng.choice([None, None, clinic.anna.id, clinic.boris.id]),
                room_id=rng.choice([None, None, None, clinic.room1.id, clinic.room2.id]),
            )
        )
    return out


def _answer(outcome_or_error) -> tuple[str, object]:
    if isinstance(outcome_or_error, ClinicError):
        return (type(outcome_or_error).__name__, outcome_or_error.message)
    return ("placed", outcome_or_error)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_one_pass_gives_the_answers_of_booking_one_session_at_a_time(db, clinic, booker, seed):
    booker("12:00", treatment=clinic.consult)  # something on record to be in the way
    requests = _random_requests(clinic, random.Random(seed), 30)
    with db.transaction() as session:
        in_one_pass = []
        for o in place_many(session, requests, now=NOW):
            if o.refusal is not None:
                in_one_pass.append(_answer(o.refusal))
            else:
                p = o.placement
                in_one_pass.append(_answer((p.therapist.id, p.room.id, p.start, p.end)))
    one_by_one = []
    for r in requests:
        try:
            with db.transaction() as session:
                b = book(
                    session,
                    treatment_type_id=r.treatment_type_id,
                    start=r.start,
                    client_id=r.client_id,
                    therapist_id=r.therapist_id,
                    room_id=r.room_id,
                    actor="test",
                    now=NOW,
                )
                one_by_one.append(_answer((b.therapist_id, b.room_id, b.start_at, b.end_at)))
        except ClinicError as exc:
            one_by_one.append(_answer(exc))
    assert in_one_pass == one_by_one
    assert sum(1 for kind, _ in in_one_pass if kind == "placed") >= 4
    assert sum(1 for kind, _ in in_one_pass if kind != "placed") >= 4
