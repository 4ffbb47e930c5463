"""Courses of treatment: preview a plan, book it as one, read, list and cancel (API key)."""

from __future__ import annotations

from flask import Blueprint, Response
from sqlmodel import Session

from services.scheduler import course_presenters
from services.scheduler.api import Operation, operation, parse_body, parse_query, respond
from services.scheduler.auth import actor, require_api_key
from services.scheduler.client_payload import IDEMPOTENT, given_client
from services.scheduler.context import db
from services.scheduler.course_schemas import (
    CourseCancel,
    CourseCreate,
    CourseOut,
    CoursePage,
    CoursePreviewIn,
    CoursePreviewOut,
    CourseQuery,
)
from services.scheduler.idempotency import idempotent
from shared import courses
from shared.catalog_cache import catalog_snapshot
from shared.clients import client_by_email, get_client
from shared.course_plan import parse_rhythm
from shared.course_queries import CourseView, course_view, courses_of_client
from shared.models.types import pk, utcnow

bp = Blueprint("courses", __name__, url_prefix="/api/v1")
WRITE_ERRORS = (400, 401, 404, 409, 422)


def _out(session: Session, view: CourseView) -> CourseOut:
    client = get_client(session, view.course.client_id)
    return course_presenters.course(view, client, catalog_snapshot(session))


@bp.post("/courses/preview")
@require_api_key
@operation(
    "courses.preview",
    Operation(
        "Plan a course: every session checked, clashes with reasons and alternatives",
        body=CoursePreviewIn,
        response=CoursePreviewOut,
        errors=WRITE_ERRORS,
        auth=True,
        tag="courses",
    ),
)
def preview() -> Response:
    payload = parse_body(CoursePreviewIn)
    with db().read_statements() as session:  # writes nothing; each read stands on its own
        client_id = payload.client_id
        if payload.client is not None and payload.client.email:
            known = client_by_email(session, payload.client.email)
            client_id = pk(known.id) if known is not None else None
        found = courses.preview_course(
            session,
            treatment_type_id=payload.treatment_type_id,
            first_start=payload.first_start,
            rhythm=parse_rhythm(payload.rhythm.model_dump(exclude_none=True)),
            count=payload.count,
            now=utcnow(),
            client_id=client_id,
            therapist_id=payload.therapist_id,
        )
    return respond(course_presenters.plan(found))


@bp.post("/courses")
@require_api_key
@operation(
    "courses.create",
    Operation(
        "Book a course: every session in one transaction, all or nothing",
        body=CourseCreate,
        response=CourseOut,
        status=201,
        errors=WRITE_ERRORS,
        auth=True,
        tag="courses",
        headers=IDEMPOTENT,
    ),
)
def create() -> Response:
    payload = parse_body(CourseCreate)

    def action(session: Session) -> CourseOut:
        client = given_client(session, payload.client)
        client_id = client.id if client is not None else payload.client_id
        made = courses.book_course(
            session,
            treatment_type_id=payload.treatment_type_id,
            client_id=client_id,  # type: ignore[arg-type]
            sessions=[courses.SessionChoice(**s.model_dump()) for s in payload.sessions],
            notes=payload.notes,
            actor=actor(),
            source="api",
        )
        return _out(session, course_view(session, pk(made.course.id)))

    return idempotent(action, 201)


@bp.get("/courses")
@require_api_key
@operation(
    "courses.index",
    Operation(
        "A client's courses, newest first",
        query=CourseQuery,
        response=CoursePage,
        errors=(401, 422),
        auth=True,
        tag="courses",
    ),
)
def index() -> Response:
    q = parse_query(CourseQuery)
    with db().read() as session:
        found = courses_of_client(session, q.client_id)
        return respond(CoursePage(items=[_out(session, v) for v in found]))


@bp.get("/courses/<id:course_id>")
@require_api_key
@operation(
    "courses.show",
    Operation(
        "One course: its sessions and how many are done, remaining and cancelled",
        response=CourseOut,
        errors=(401, 404),
        auth=True,
        tag="courses",
    ),
)
def show(course_id: int) -> Response:
    with db().read() as session:
        return respond(_out(session, course_view(session, course_id)))


@bp.post("/courses/<id:course_id>/cancel")
@require_api_key
@operation(
    "courses.cancel",
    Operation(
        "Cancel every session still ahead (the client gets one calendar cancellation)",
        body=CourseCancel,
        response=CourseOut,
        errors=WRITE_ERRORS,
        auth=True,
        tag="courses",
    ),
)
def cancel(course_id: int) -> Response:
    payload = parse_body(CourseCancel)
    with db().transaction() as session:
        courses.cancel_course(session, course_id, reason=payload.reason, actor=actor())
        return respond(_out(session, course_view(session, course_id)))
