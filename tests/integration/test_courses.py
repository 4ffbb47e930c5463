"""Courses of treatment on a real database: planned at local wall time across DST, every clash
with its reason and alternatives that book, booked all or nothing, cancelled as one."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlmodel import col, select

from shared import catalog
from shared.booking import book, cancel, reschedule
from shared.course_plan import parse_rhythm
from shared.course_queries import course_positions, course_view
from shared.courses import SessionChoice, book_course, cancel_course, preview_course
from shared.errors import (
    CourseSessionConflict,
    InThePast,
    InvalidInput,
    InvalidTransition,
    NotQualified,
)
from shared.models import Booking, OutboxMessage
from tests.factories import MONDAY, NOW, TZ, local

SPRING_MONDAY = date(2027, 3, 8)  # three weeks before 28 Mar 2027 (CET -> CEST)
AUTUMN_MONDAY = date(2027, 10, 11)  # three weeks before 31 Oct 2027 (CEST -> CET)
WEEKLY = parse_rhythm({"every_weeks": 1})


def week(n: int, at: str = "10:00", day: date = MONDAY) -> datetime:
    return local(day + timedelta(weeks=n), at)


def plan(db, clinic, *, first=None, count=10, now=NOW, rhythm=WEEKLY, **kwargs):
    with db.read() as session:
        return preview_course(
            session,
            treatment_type_id=clinic.facial.id,
            first_start=first or week(0),
            rhythm=rhythm,
            count=count,
            now=now,
            client_id=kwargs.pop("client_id", clinic.client.id),
            **kwargs,
        )


def book_plan(db, clinic, starts, *, now=NOW, client=None):
    with db.transaction() as session:
        made = book_course(
            session,
            treatment_type_id=clinic.facial.id,
            client_id=(client or clinic.client).id,
            sessions=[SessionChoice(start=s) for s in starts],
            actor="reception",
            now=now,
        )
        return made.course.id, [b.id for b in made.sessions]


@pytest.mark.parametrize(
    ("first_monday", "now", "offsets"),
    [
        (SPRING_MONDAY, NOW, (timedelta(hours=1), timedelta(hours=2))),
        (
            AUTUMN_MONDAY,
            datetime(2027, 10, 1, tzinfo=UTC),
            (timedelta(hours=2), timedelta(hours=1)),
        ),
    ],
    ids=["spring", "autumn"],
)
def test_a_weekly_course_keeps_ten_oclock_local_on_every_session_across_the_dst_change(
    db, clinic, first_monday, now, offsets
):
    found = plan(db, clinic, first=local(first_monday, "10:00"), now=now)
    assert [s.free for s in found.sessions] == [True] * 10
    assert [s.start.astimezone(TZ).time() for s in found.sessions] == [time(10)] * 10
    assert [s.start.astimezone(TZ).weekday() for s in found.sessions] == [0] * 10
    _, ids = book_plan(db, clinic, [s.start for s in found.sessions], now=now)
    with db.read() as session:
        booked = [session.get(Booking, i) for i in ids]
    local_starts = [b.start_at.astimezone(TZ) for b in booked]
    assert [t.time() for t in local_starts] == [time(10)] * 10
    # Three sessions before the change, seven after: the UTC instant moves by the hour.
    assert [t.utcoffset() for t in local_starts] == [offsets[0]] * 3 + [offsets[1]] * 7
    assert booked[3].start_at - booked[2].start_at == timedelta(weeks=1) + (offsets[0] - offsets[1])


@pytest.fixture
def crowded(db, clinic):
    """A course of ten weekly Mondays at 10:00 from 1 Mar 2027 in a clinic where, in turn,
    Anna is away, the only facial room is taken, the clinic is closed, the client already has
    a session, Anna is booked, and the last Monday lies beyond the course horizon."""
    with db.transaction() as session:
        catalog.configure_clinic(session, course_horizon_weeks=10)  # to Sat 1 May 2027
        chen = catalog.save_therapist(
            session,
            name="Chen Wu",
            email="chen@clinic.example",
            treatment_type_ids=[clinic.facial.id],
        )
        for weekday in range(5):
            catalog.add_working_hours(
                session,
                therapist_id=chen.id,
                weekday=weekday,
                start_time=time(9),
                end_time=time(17),
            )
        catalog.add_time_off(
            session,
            therapist_id=clinic.anna.id,
            start=week(1, "00:00"),
            end=week(1, "23:59"),
            reason="Acupuncture congress",
        )
        catalog.add_closure(
            session, start=week(3, "00:00"), end=week(3, "23:59"), reason="Closed for painting"
        )
    with db.transaction() as session:
        common = {"actor": "reception", "now": NOW, "treatment_type_id": clinic.facial.id}
        book(
            session, start=week(2), client_id=clinic.other_client.id, therapist_id=chen.id, **common
        )
        book(
            session,
            start=week(4, "10:15"),
            client_id=clinic.client.id,
            therapist_id=clinic.boris.id,
            **{**common, "treatment_type_id": clinic.consult.id},
        )
        book(
            session,
            start=week(5, "09:45"),
            client_id=clinic.other_client.id,
            therapist_id=clinic.anna.id,
            **common,
        )
    return clinic


EXPECTED_CLASHES = {
    1: ("therapist_time_off", "Acupuncture congress"),
    2: ("no_availability", "Room 1 is booked Mon 15.03.2027 10:00-11:00"),
    3: ("closed", "Closed for painting"),
    4: ("client_busy", "The client already has a session Mon 29.03.2027 10:15-11:00"),
    5: ("therapist_busy", "Anna Novak is booked Mon 05.04.2027 09:45-10:45"),
    9: ("beyond_horizon", "at most 70 days ahead"),
}


def test_each_kind_of_clash_is_marked_with_its_reason_and_offers_alternatives_that_book(
    db, crowded
):
    found = plan(db, crowded, therapist_id=crowded.anna.id)
    clashes = {i: s for i, s in enumerate(found.sessions) if not s.free}
    assert {i: s.reason_code for i, s in clashes.items()} == {
        i: code for i, (code, _) in EXPECTED_CLASHES.items()
    }
    for i, (_, text) in EXPECTED_CLASHES.items():
        assert text in (clashes[i].reason or ""), clashes[i].reason
    free = [s.start for s in found.sessions if s.free]
    for i, clash in clashes.items():
        assert clash.alternatives, f"session {i + 1} has no alternative"
        assert len(clash.alternatives) <= 3
        for alt in clash.alternatives:
            assert alt.therapist_id == crowded.anna.id  # the therapist asked for
            assert found.sessions[i - 1].start < alt.start  # the course keeps its order
            if i + 1 < len(found.sessions):
                assert alt.start < found.sessions[i + 1].start
            # Every alternative books, beside every free session of the plan.
            assert_books(db, crowded, sorted([*free, alt.start]))
    # Anna away on Monday: the same time on the next day comes first.
    assert clashes[1].alternatives[0].start == week(1, "10:00") + timedelta(days=1)
    # The receptionist takes the first alternative of each clash, and the course books.
    chosen = [s.start if s.free else s.alternatives[0].start for s in found.sessions]
    _, ids = book_plan(db, crowded, chosen)
    assert len(ids) == 10


class _RolledBack(Exception):
    pass


def assert_books(db, clinic, starts) -> None:
    """A course at these times books (and is rolled back, to try the next)."""
    with pytest.raises(_RolledBack), db.transaction() as session:
        made = book_course(
            session,
            treatment_type_id=clinic.facial.id,
            client_id=clinic.client.id,
            sessions=[SessionChoice(start=s) for s in starts],
            actor="reception",
            now=NOW,
        )
        assert len(made.sessions) == len(starts)
        raise _RolledBack


def test_with_any_therapist_the_course_stays_with_the_one_free_most_and_takes_another_when_not(
    db, crowded
):
    found = plan(db, crowded)
    assert found.therapist_id == crowded.anna.id
    by_index = {i: s for i, s in enumerate(found.sessions)}
    assert by_index[0].therapist_id == crowded.anna.id
    # Anna away in week 2: Chen takes that Monday instead of it being a clash.
    assert by_index[1].free and by_index[1].therapist_id != crowded.anna.id


def test_a_time_taken_between_plan_and_booking_refuses_the_whole_course_naming_that_session(
    db, clinic, writes_nothing
):
    found = plan(db, clinic)
    starts = [s.start for s in found.sessions]
    with db.transaction() as session:
        book(
            session,
            treatment_type_id=clinic.facial.id,
            start=starts[6],
            client_id=clinic.other_client.id,
            actor="website",
            now=NOW,
        )

    def attempt(session):
        book_course(
            session,
            treatment_type_id=clinic.facial.id,
            client_id=clinic.client.id,
            sessions=[SessionChoice(start=s) for s in starts],
            actor="reception",
            now=NOW,
        )

    refused = writes_nothing(CourseSessionConflict, attempt)
    assert refused.field == "sessions[6].start"
    assert refused.message.startswith("Session 7 of 10 (Mon 12.04.2027 10:00-11:00): ")
    assert "Anna Novak is booked Mon 12.04.2027 10:00-11:00" in refused.message


def _other_clients_booking(db, clinic):
    with db.transaction() as session:
        return book(
            session,
            treatment_type_id=clinic.facial.id,
            start=week(12),
            client_id=clinic.other_client.id,
            actor="reception",
            now=NOW,
        ).id


BAD_PLANS = [
    ("count 0", {"count": 0}, InvalidInput, "count"),
    ("count 100", {"count": 100}, InvalidInput, "count"),
    ("first start in the past", {"first": NOW - timedelta(days=7)}, InThePast, "first_start"),
    (
        "not on a chosen weekday",
        {"rhythm": parse_rhythm({"weekdays": ["tue"]})},
        InvalidInput,
        "first_start",
    ),
    ("a therapist who does not give it", {"therapist_id": "boris"}, NotQualified, "therapist_id"),
]


@pytest.mark.parametrize(
    ("case", "changes", "error", "field"), BAD_PLANS, ids=[b[0] for b in BAD_PLANS]
)
def test_a_plan_with_bad_input_names_the_field(db, clinic, case, changes, error, field):
    if changes.get("therapist_id") == "boris":
        changes = {**changes, "therapist_id": clinic.boris.id}
    with pytest.raises(error) as caught:
        plan(db, clinic, **changes)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("name", "rhythm", "field"),
    [
        ("missing", None, "rhythm"),
        ("empty", {}, "rhythm"),
        ("unknown weekday", {"weekdays": ["mon", "moonday"]}, "rhythm.weekdays"),
        ("weekday twice", {"weekdays": ["mon", "mon"]}, "rhythm.weekdays"),
        ("two rhythms", {"every_weeks": 1, "every_days": 3}, "rhythm"),
        ("every 0 days", {"every_days": 0}, "rhythm.every_days"),
    ],
)
def test_a_rhythm_that_is_missing_or_unknown_is_refused_naming_it(name, rhythm, field):
    with pytest.raises(InvalidInput) as caught:
        parse_rhythm(rhythm)
    assert caught.value.field == field


def test_bad_sessions_to_book_are_refused_naming_the_session_and_write_nothing(
    db, clinic, writes_nothing
):
    other = _other_clients_booking(db, clinic)
    cases = [
        ([week(0), week(2), week(1)], "sessions[2].start"),  # out of order
        ([week(0), week(1), week(1)], "sessions[2].start"),  # duplicated
        ([week(0)], "sessions"),  # one is not a course
        ([week(i) for i in range(60)], "sessions"),
    ]
    for starts, field in cases:
        refused = writes_nothing(
            InvalidInput,
            lambda s, starts=starts: book_course(
                s,
                treatment_type_id=clinic.facial.id,
                client_id=clinic.client.id,
                sessions=[SessionChoice(start=x) for x in starts],
                actor="reception",
                now=NOW,
            ),
        )
        assert refused.field == field, starts
    refused = writes_nothing(
        InvalidInput,
        lambda s: book_course(
            s,
            treatment_type_id=clinic.facial.id,
            client_id=clinic.client.id,
            sessions=[SessionChoice(start=week(0)), SessionChoice(booking_id=other)],
            actor="reception",
            now=NOW,
        ),
    )
    assert refused.field == "sessions[1].booking_id"
    assert "another client's session" in refused.message


def test_a_session_the_client_already_has_joins_the_course(db, clinic):
    with db.transaction() as session:
        first = book(
            session,
            treatment_type_id=clinic.facial.id,
            start=week(0),
            client_id=clinic.client.id,
            actor="reception",
            now=NOW,
        ).id
    with db.transaction() as session:
        made = book_course(
            session,
            treatment_type_id=clinic.facial.id,
            client_id=clinic.client.id,
            sessions=[SessionChoice(booking_id=first)]
            + [SessionChoice(start=week(i)) for i in range(1, 4)],
            actor="reception",
            now=NOW,
        )
        assert made.sessions[0].id == first
        assert {b.course_id for b in made.sessions} == {made.course.id}


def test_booking_a_course_writes_every_session_and_queues_one_invitation_for_the_client(db, clinic):
    course_id, ids = book_plan(db, clinic, [week(i) for i in range(10)])
    with db.read() as session:
        view = course_view(session, course_id)
        rows = session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all()
    assert [b.id for b in view.sessions] == ids
    assert {b.course_id for b in view.sessions} == {course_id}
    invitations = [(r.kind, r.recipient) for r in rows if r.kind in ("invite", "course_invite")]
    assert invitations == [("course_invite", "eva@example.com")]
    assert sum(r.kind == "reminder" for r in rows) == 10  # each session keeps its reminder
    assert view.counts.remaining == 10


def test_cancelling_a_course_cancels_only_the_sessions_still_ahead_with_one_message(db, clinic):
    course_id, ids = book_plan(db, clinic, [week(i) for i in range(10)])
    with db.transaction() as session:
        reschedule(session, ids[2], start=week(2, "14:00"), actor="reception", now=NOW)
    with db.transaction() as session:
        cancel(session, ids[3], actor="reception", reason="ill", now=NOW)
    after_fifth = week(4, "12:00")
    with db.transaction() as session:
        cancel_course(
            session, course_id, reason="Moving abroad", actor="reception", now=after_fifth
        )
    with db.read() as session:
        view = course_view(session, course_id)
        kinds = [r.kind for r in session.exec(select(OutboxMessage)) if r.course_id == course_id]
    # Sessions 1-3 and 5 (under way at noon of its day) stay; 4 was cancelled on its own.
    assert [b.status for b in view.sessions] == ["booked"] * 3 + ["cancelled", "booked"] + [
        "cancelled"
    ] * 5
    assert view.counts.cancelled == 6 and view.counts.remaining == 4
    assert view.course.cancel_reason == "Moving abroad"
    assert kinds == ["course_invite", "course_cancel"]
    with pytest.raises(InvalidTransition), db.transaction() as session:
        cancel_course(session, course_id, reason="again", actor="reception", now=after_fifth)


def test_each_live_session_knows_its_place_in_its_course(db, clinic):
    course_id, ids = book_plan(db, clinic, [week(i) for i in range(4)])
    with db.transaction() as session:
        cancel(session, ids[1], actor="reception", reason="ill", now=NOW)
    with db.read() as session:
        places = course_positions(session, [course_id])
    assert places == {ids[0]: (1, 3), ids[2]: (2, 3), ids[3]: (3, 3)}


def test_when_the_same_time_is_taken_all_week_the_nearest_other_free_times_are_offered(db, clinic):
    with db.transaction() as session:
        for day in range(-4, 5):
            if (MONDAY + timedelta(weeks=1, days=day)).weekday() < 5:
                book(
                    session,
                    treatment_type_id=clinic.facial.id,
                    start=local(MONDAY + timedelta(weeks=1, days=day), "10:00"),
                    client_id=clinic.other_client.id,
                    actor="reception",
                    now=NOW,
                )
    found = plan(db, clinic, count=3)
    clash = found.sessions[1]
    assert not clash.free and clash.reason_code == "no_availability"
    assert clash.alternatives
    nearest = clash.alternatives[0].start
    assert nearest.astimezone(TZ).date() == (MONDAY + timedelta(weeks=1))  # the same Monday
    assert nearest.astimezone(TZ).time() in (time(11, 30), time(8, 30))
    for alt in clash.alternatives:
        assert_books(db, clinic, [found.sessions[0].start, alt.start, found.sessions[2].start])
