"""Courses of treatment: planned, checked and booked as one, and cancelled as one.

A plan is the placement engine's answer for every session of a rhythm at once (one load of
the calendars), with up to three checked alternatives for each session that cannot be had.
Booking writes every session in the caller's one transaction, or raises naming the session
in the way and writes nothing. Each session is an ordinary booking (moved and cancelled by
`shared.booking`); the client hears of the course in one message (`shared.course_outbox`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from shared import booking as rules
from shared import clinic_time, course_outbox, lifecycle, validation
from shared.catalog_cache import CatalogSnapshot, Offer, catalog_snapshot
from shared.clients import get_client
from shared.course_alternatives import Alternative, Clash, find_alternatives
from shared.course_plan import Rhythm, check_count, planned_starts
from shared.course_queries import course_sessions
from shared.errors import (
    BeyondHorizon,
    BookingConflict,
    ClinicError,
    InvalidInput,
    InvalidTransition,
    NotFound,
    NotQualified,
    OutsideWorkingHours,
    TherapistOnTimeOff,
    TooShortNotice,
    course_session_error,
)
from shared.models import Booking, BookingStatus, Course, MessageKind
from shared.models.types import pk, utcnow
from shared.placement import Outcome, Placement, PlacementRequest, place_many

# Refusals that concern one session's time: the plan marks that session and offers others.
# Any other refusal (an unknown treatment, a therapist who does not give it, a start off the
# grid) holds for every session, and is the request's error.
CLASH_KINDS: tuple[type[ClinicError], ...] = (
    BookingConflict,
    OutsideWorkingHours,
    TherapistOnTimeOff,
    BeyondHorizon,
    TooShortNotice,
)


@dataclass(frozen=True)
class PlannedSession:
    start: datetime
    end: datetime
    therapist_id: int | None  # who would give it (the one asked for, if it cannot be had)
    room_id: int | None
    free: bool
    reason: str | None = None  # why it cannot be had, in a receptionist's words
    reason_code: str | None = None  # the refusal's code, for programs
    alternatives: list[Alternative] = field(default_factory=list)


@dataclass(frozen=True)
class CoursePlan:
    treatment_type_id: int
    therapist_id: int | None  # the course's therapist: the one asked for, or the one chosen
    sessions: list[PlannedSession]
    tz: ZoneInfo

    @property
    def clashes(self) -> int:
        return sum(not s.free for s in self.sessions)


@dataclass(frozen=True)
class SessionChoice:
    """One session to book: a time (with a therapist and room, if chosen), or a session the
    client already has (`booking_id`) that becomes part of the course."""

    start: datetime | None = None
    therapist_id: int | None = None
    room_id: int | None = None
    booking_id: int | None = None


def horizon_days(catalog: CatalogSnapshot) -> int:
    """How far ahead a course may reach: the clinic's course horizon, in days."""
    return catalog.course_horizon_weeks * 7


# -- plan --------------------------------------------------------------------------------------


def preview_course(
    session: Session,
    *,
    treatment_type_id: int,
    first_start: datetime,
    rhythm: Rhythm,
    count: int,
    now: datetime,
    client_id: int | None = None,
    therapist_id: int | None = None,
) -> CoursePlan:
    """Every session of the rhythm, free or marked with why not and up to three alternatives.

    With no therapist named, the course goes to the qualified therapist free for most of its
    sessions, and a session they cannot take goes to another who is free then. Writes
    nothing. Raises InvalidInput (count, first_start, ids), NotFound, NotQualified,
    InactiveResource, NotOnSlotGrid and InThePast (first_start).
    """
    now = clinic_time.require_aware(now, "now")
    count = check_count(count)
    first_start = clinic_time.require_aware(first_start, "first_start")
    catalog = catalog_snapshot(session)
    offer = _offer(catalog, treatment_type_id, therapist_id)
    if client_id is not None:
        client_id = pk(get_client(session, client_id).id)
    starts = planned_starts(first_start, rhythm, count, catalog.tz)
    reach = horizon_days(catalog)

    def plan(therapist: int | None, fallback: Sequence[bool] = ()) -> list[Outcome]:
        requests = [
            PlacementRequest(
                offer.id,
                start,
                client_id,
                therapist_id=None if (fallback and fallback[i]) else therapist,
                horizon_days=reach,
            )
            for i, start in enumerate(starts)
        ]
        return place_many(session, requests, now=now, catalog=catalog, lock=False)

    outcomes = plan(therapist_id)
    _raise_for_every_session(outcomes[0])
    course_therapist = therapist_id
    if therapist_id is None:
        course_therapist = _most_free(outcomes)
        if course_therapist is not None:
            outcomes = plan(course_therapist)
            missing = [o.placement is None for o in outcomes]
            if any(missing):
                outcomes = plan(course_therapist, missing)
    for outcome in outcomes:
        _raise_for_every_session(outcome)

    placed = [o.placement for o in outcomes if o.placement is not None]
    preferred = [course_therapist] if course_therapist is not None else []
    others = [t for t in offer.therapist_ids if t not in preferred] if therapist_id is None else []
    clashes = [
        Clash(
            index=i,
            start=starts[i],
            therapist_ids=preferred + others or list(offer.therapist_ids),
            after=starts[i - 1] if i else None,
            before=starts[i + 1] if i + 1 < len(starts) else None,
        )
        for i, o in enumerate(outcomes)
        if o.placement is None
    ]
    alternatives = find_alternatives(
        session,
        catalog=catalog,
        offer=offer,
        clashes=clashes,
        placed=placed,
        client_id=client_id,
        now=now,
        horizon_days=reach,
    )
    sessions = []
    for i, (start, o) in enumerate(zip(starts, outcomes, strict=True)):
        if o.placement is not None:
            p = o.placement
            sessions.append(PlannedSession(p.start, p.end, p.therapist.id, p.room.id, True))
        else:
            assert o.refusal is not None
            sessions.append(
                PlannedSession(
                    start,
                    start + offer.duration,
                    course_therapist,
                    None,
                    False,
                    o.refusal.message,
                    o.refusal.code,
                    alternatives.get(i, []),
                )
            )
    return CoursePlan(offer.id, course_therapist, sessions, catalog.tz)


def _offer(catalog: CatalogSnapshot, treatment_type_id: int, therapist_id: int | None) -> Offer:
    validation.positive_id(treatment_type_id, "treatment_type_id")
    offer = catalog.offer(treatment_type_id, field="treatment_type_id")
    if therapist_id is not None:
        validation.positive_id(therapist_id, "therapist_id")
        therapist = catalog.therapist(therapist_id)
        if therapist.id not in offer.therapist_ids:
            raise NotQualified(f"{therapist.name} does not give {offer.name}", field="therapist_id")
    return offer


def _raise_for_every_session(outcome: Outcome) -> None:
    """A refusal that is not about this session's time holds for all: the request's error.
    The first session in the past or off the grid is the first start's fault."""
    refusal = outcome.refusal
    if refusal is None or isinstance(refusal, CLASH_KINDS):
        return
    if refusal.field == "start":
        refusal.field = "first_start"
    raise refusal


def _most_free(outcomes: Sequence[Outcome]) -> int | None:
    """The therapist the engine placed most sessions with (the earliest placed wins a tie)."""
    order = [o.placement.therapist.id for o in outcomes if o.placement is not None]
    if not order:
        return None
    counts = Counter(order)
    return max(order, key=lambda t: (counts[t], -order.index(t)))


# -- book --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BookedCourse:
    course: Course
    sessions: list[Booking]


def book_course(
    session: Session,
    *,
    treatment_type_id: int,
    client_id: int,
    sessions: Sequence[SessionChoice],
    actor: str,
    source: str = "api",
    notes: str = "",
    now: datetime | None = None,
) -> BookedCourse:
    """Book every session, all or nothing, and queue the client's one invitation.

    Raises InvalidInput (sessions out of order, duplicated, too few or many; a session the
    client already has that is not theirs or not of this treatment), NotFound, and for the
    first session that cannot be had CourseSessionConflict (409: something in the way) or
    CourseSessionRefused (422: a rule), naming it. Nothing is written on any error.
    """
    now = utcnow() if now is None else clinic_time.require_aware(now, "now")
    actor = validation.text(actor or "", "actor", max_len=200)
    if source not in rules.SOURCES:
        raise InvalidInput(f"unknown source {source!r}", field="source")
    notes = validation.text(notes or "", "notes", max_len=5000, required=False)
    if not isinstance(sessions, Sequence) or isinstance(sessions, str):
        raise InvalidInput("give the course's sessions", field="sessions")
    check_count(len(sessions), "sessions")
    catalog = catalog_snapshot(session)
    offer = _offer(catalog, treatment_type_id, None)
    client = get_client(session, client_id)
    cid = pk(client.id)
    kept = _sessions_kept(session, sessions, cid, offer, now)
    starts = _ordered_starts(sessions, kept)
    total, reach = len(sessions), horizon_days(catalog)
    wanted = [i for i, choice in enumerate(sessions) if choice.booking_id is None]
    requests = [
        PlacementRequest(
            offer.id,
            starts[i],
            cid,
            therapist_id=_id(sessions[i].therapist_id, f"sessions[{i}].therapist_id"),
            room_id=_id(sessions[i].room_id, f"sessions[{i}].room_id"),
            horizon_days=reach,
        )
        for i in wanted
    ]
    outcomes = place_many(session, requests, now=now, catalog=catalog)
    placements: dict[int, Placement] = {}
    for i, outcome in zip(wanted, outcomes, strict=True):
        refusal = outcome.refusal
        if refusal is not None and not isinstance(refusal, CLASH_KINDS):
            refusal.field = f"sessions[{i}].{refusal.field or 'start'}"  # e.g. an unknown room
            raise refusal
        if refusal is not None:
            raise course_session_error(i, total, _when(starts[i], offer, catalog), refusal)
        assert outcome.placement is not None
        placements[i] = outcome.placement

    course = Course(
        client_id=cid,
        treatment_type_id=offer.id,
        planned_sessions=total,
        notes=notes,
        source=source,
        created_by=actor,
        created_at=now,
    )
    session.add(course)
    session.flush()
    course_id = pk(course.id)
    booked: list[Booking] = []
    for i in range(total):
        if i in kept:
            existing = kept[i]
            existing.course_id = course_id
            existing.updated_at = now
            booked.append(existing)
            continue
        try:
            made = rules.write_booking(
                session,
                placements[i],
                client_id=cid,
                actor=actor,
                source=source,
                notes=notes,
                now=now,
                settings=catalog,
                course_id=course_id,
                invite_client=False,
            )
        except BookingConflict as exc:  # a racing writer won at the database's guard
            raise course_session_error(i, total, _when(starts[i], offer, catalog), exc) from None
        booked.append(made)
    session.flush()
    course_outbox.enqueue(session, course, booked, MessageKind.COURSE_INVITE)
    return BookedCourse(course, booked)


def _id(value: int | None, name: str) -> int | None:
    return None if value is None else validation.positive_id(value, name)


def _sessions_kept(
    session: Session,
    sessions: Sequence[SessionChoice],
    client_id: int,
    offer: Offer,
    now: datetime,
) -> dict[int, Booking]:
    """Sessions the client already has that join the course, checked to be theirs to join."""
    kept: dict[int, Booking] = {}
    for i, choice in enumerate(sessions):
        if choice.booking_id is None:
            continue
        name = f"sessions[{i}].booking_id"
        if choice.start is not None or choice.therapist_id or choice.room_id:
            raise InvalidInput("give either a booking_id or a start, not both", field=name)
        validation.positive_id(choice.booking_id, name)
        try:
            found = rules.get_booking(session, choice.booking_id, lock=True)
        except NotFound as exc:
            raise NotFound(exc.message, field=name) from None
        if found.client_id != client_id:
            raise InvalidInput(f"booking {found.id} is another client's session", field=name)
        if found.treatment_type_id != offer.id:
            raise InvalidInput(f"booking {found.id} is not a {offer.name} session", field=name)
        if found.course_id is not None:
            raise InvalidInput(f"booking {found.id} is already part of a course", field=name)
        refusal = lifecycle.move_refusal(found, now)
        if refusal is not None:
            raise InvalidInput(f"booking {found.id}: {refusal.message}", field=name)
        if any(k.id == found.id for k in kept.values()):
            raise InvalidInput(f"booking {found.id} is given twice", field=name)
        kept[i] = found
    return kept


def _ordered_starts(sessions: Sequence[SessionChoice], kept: dict[int, Booking]) -> list[datetime]:
    """Each session's start; they must come in order, each after the one before."""
    starts: list[datetime] = []
    for i, choice in enumerate(sessions):
        if i in kept:
            start = kept[i].start_at
        else:
            if choice.start is None:
                raise InvalidInput("give the session's start", field=f"sessions[{i}].start")
            start = clinic_time.require_aware(choice.start, f"sessions[{i}].start")
        if starts and start == starts[-1]:
            raise InvalidInput(
                f"session {i + 1} is at the same time as session {i}",
                field=f"sessions[{i}].start",
            )
        if starts and start < starts[-1]:
            raise InvalidInput(
                f"session {i + 1} comes before session {i}: give the sessions in order",
                field=f"sessions[{i}].start",
            )
        starts.append(start)
    return starts


def _when(start: datetime, offer: Offer, catalog: CatalogSnapshot) -> str:
    return clinic_time.fmt_span(start, start + offer.duration, catalog.tz, catalog.locale)


# -- cancel ------------------------------------------------------------------------------------


def cancel_course(
    session: Session,
    course_id: int,
    *,
    reason: str,
    actor: str,
    now: datetime | None = None,
) -> BookedCourse:
    """Cancel every session still ahead, with a reason; the client hears once, for all.

    Sessions that have started or are over stay as they are. Raises InvalidInput (reason),
    NotFound, InvalidTransition (nothing left to cancel).
    """
    now = utcnow() if now is None else clinic_time.require_aware(now, "now")
    reason = validation.text(reason or "", "reason", max_len=1000)
    course = get_course(session, course_id)
    ahead = [
        b
        for b in course_sessions(session, pk(course.id))
        if b.status == BookingStatus.BOOKED.value and b.start_at > now
    ]
    if not ahead:
        raise InvalidTransition("No session of this course is still ahead to cancel")
    for b in ahead:
        rules.cancel(session, pk(b.id), actor=actor, reason=reason, now=now, tell_client=False)
    course.cancelled_at = now
    course.cancel_reason = reason
    session.add(course)
    session.flush()
    course_outbox.enqueue(session, course, ahead, MessageKind.COURSE_CANCEL)
    return BookedCourse(course, course_sessions(session, pk(course.id)))


def get_course(session: Session, course_id: int, *, field: str = "course_id") -> Course:
    """Raises InvalidInput, NotFound."""
    validation.positive_id(course_id, field)
    course = session.get(Course, course_id)
    if course is None:
        raise NotFound(f"No course with id {course_id}", field=field)
    return course
