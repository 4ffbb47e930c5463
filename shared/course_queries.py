"""Reading courses: one course with its sessions and counts, a client's courses, and where a
session stands in its course ("3/10") for the day view."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from shared import validation
from shared.errors import NotFound
from shared.models import Booking, BookingStatus, Course
from shared.models.types import pk


@dataclass(frozen=True)
class Counts:
    done: int  # completed
    no_show: int
    remaining: int  # still booked
    cancelled: int


@dataclass(frozen=True)
class CourseView:
    course: Course
    sessions: list[Booking]  # by start, cancelled ones too, with their relations loaded

    @property
    def counts(self) -> Counts:
        statuses = [b.status for b in self.sessions]
        return Counts(
            done=statuses.count(BookingStatus.COMPLETED.value),
            no_show=statuses.count(BookingStatus.NO_SHOW.value),
            remaining=statuses.count(BookingStatus.BOOKED.value),
            cancelled=statuses.count(BookingStatus.CANCELLED.value),
        )


def _with_relations(query: object) -> object:
    return query.options(  # type: ignore[attr-defined]
        selectinload(Booking.client),  # type: ignore[arg-type]
        selectinload(Booking.treatment_type),  # type: ignore[arg-type]
        selectinload(Booking.therapist),  # type: ignore[arg-type]
        selectinload(Booking.room),  # type: ignore[arg-type]
    )


def course_sessions(session: Session, course_id: int) -> list[Booking]:
    """The course's sessions by start (cancelled ones too), with their relations."""
    query = select(Booking).where(Booking.course_id == course_id)
    query = _with_relations(query.order_by(col(Booking.start_at), col(Booking.id)))  # type: ignore[assignment]
    return list(session.exec(query))


def course_view(session: Session, course_id: int) -> CourseView:
    """Raises InvalidInput, NotFound."""
    validation.positive_id(course_id, "course_id")
    course = session.get(Course, course_id)
    if course is None:
        raise NotFound(f"No course with id {course_id}", field="course_id")
    return CourseView(course, course_sessions(session, pk(course.id)))


def courses_of_client(session: Session, client_id: int) -> list[CourseView]:
    """A client's courses, newest first, each with its sessions. Raises InvalidInput."""
    validation.positive_id(client_id, "client_id")
    courses = session.exec(
        select(Course).where(Course.client_id == client_id).order_by(col(Course.id).desc())
    ).all()
    if not courses:
        return []
    query = select(Booking).where(col(Booking.course_id).in_([c.id for c in courses]))
    query = _with_relations(query.order_by(col(Booking.start_at), col(Booking.id)))  # type: ignore[assignment]
    by_course: dict[int, list[Booking]] = defaultdict(list)
    for b in session.exec(query):
        by_course[pk(b.course_id)].append(b)
    return [CourseView(c, by_course[pk(c.id)]) for c in courses]


def course_positions(session: Session, course_ids: Collection[int]) -> dict[int, tuple[int, int]]:
    """For each live session of these courses: (its place among them, how many there are)."""
    if not course_ids:
        return {}
    rows = session.exec(
        select(Booking.id, Booking.course_id)
        .where(
            col(Booking.course_id).in_(sorted(course_ids)),
            col(Booking.status) != BookingStatus.CANCELLED.value,
        )
        .order_by(col(Booking.course_id), col(Booking.start_at), col(Booking.id))
    ).all()
    by_course: dict[int, list[int]] = defaultdict(list)
    for booking_id, course_id in rows:
        by_course[pk(course_id)].append(pk(booking_id))
    return {
        booking_id: (n, len(ids))
        for ids in by_course.values()
        for n, booking_id in enumerate(ids, start=1)
    }
