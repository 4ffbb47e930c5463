"""Booking, listing, moving and cancelling sessions (API key required)."""

from __future__ import annotations

import base64
import json
from datetime import date, datetime, timedelta

from flask import Blueprint, Response, request, url_for
from sqlmodel import Session

from services.scheduler import presenters
from services.scheduler.api import (
    Operation,
    etag,
    if_match_version,
    operation,
    parse_body,
    parse_query,
    respond,
)
from services.scheduler.auth import actor, require_api_key
from services.scheduler.client_payload import IDEMPOTENT, booking_client
from services.scheduler.context import db, settings
from services.scheduler.idempotency import idempotent
from services.scheduler.schemas import (
    BookingCancel,
    BookingCreate,
    BookingMove,
    BookingOut,
    BookingPage,
    BookingQuery,
    ChangedOut,
    ErrorBody,
)
from shared import booking as rules
from shared import clinic_time
from shared.booking_queries import booking_with_relations, list_bookings
from shared.catalog_cache import catalog_snapshot
from shared.errors import ChangedMeanwhile, InvalidInput, http_status
from shared.models import Booking
from shared.validation import MAX_ID

bp = Blueprint("bookings", __name__, url_prefix="/api/v1")
WRITE_ERRORS = (400, 401, 404, 409, 422)
IF_MATCH = {
    "If-Match": 'The ETag of the version this change is based on (from GET), e.g. "3": '
    "a booking changed meanwhile is a 412 with its current state, and nothing is written. "
    "Optional: without it the change applies to whatever the booking is now."
}


def _out(session: Session, booking: Booking) -> BookingOut:
    """The zone and the names of treatment, therapist and room come from the cached catalog."""
    return presenters.booking(booking, catalog_snapshot(session))


def _versioned(out: BookingOut, status: int = 200) -> Response:
    """A booking with its version (its `sequence`) as the ETag an If-Match may name."""
    return respond(out, status, headers={"ETag": etag(out.sequence)})


@bp.errorhandler(ChangedMeanwhile)
def _changed_meanwhile(exc: ChangedMeanwhile) -> Response:
    """412 with the booking as it is now, so the caller sees what changed and its new ETag."""
    booking_id = (request.view_args or {})["booking_id"]
    with db().read() as session:
        current = _out(session, booking_with_relations(session, booking_id))
    body = ChangedOut(
        error=ErrorBody(code=exc.code, message=exc.message, fields={}), current=current
    )
    return respond(body, http_status(exc), headers={"ETag": etag(current.sequence)})


@bp.post("/bookings")
@require_api_key
@operation(
    "bookings.create",
    Operation(
        "Book a session (the client is found by e-mail or created)",
        body=BookingCreate,
        response=BookingOut,
        status=201,
        errors=WRITE_ERRORS,
        auth=True,
        tag="bookings",
        headers=IDEMPOTENT,
    ),
)
def create() -> Response:
    payload = parse_body(BookingCreate)

    def action(session: Session) -> BookingOut:
        client_id, new_client = booking_client(session, payload.client, payload.client_id)
        made = rules.book(
            session,
            treatment_type_id=payload.treatment_type_id,
            start=payload.start,
            client_id=client_id,
            new_client=new_client,
            therapist_id=payload.therapist_id,
            room_id=payload.room_id,  # type: ignore[arg-type]
            notes=payload.notes,
            actor=actor(),
            source="api",
        )
        return _out(session, made)

    response = idempotent(action, 201)
    made = json.loads(response.get_data())  # a replay's body too: it is the first response's
    response.headers["ETag"] = etag(made["sequence"])
    response.headers["Location"] = url_for(".show", booking_id=made["id"])
    return response


@bp.get("/bookings")
@require_api_key
@operation(
    "bookings.index",
    Operation(
        "Sessions, filtered and paginated",
        query=BookingQuery,
        response=BookingPage,
        errors=(401, 422),
        auth=True,
        tag="bookings",
    ),
)
def index() -> Response:
    q = parse_query(BookingQuery)
    with db().read() as session:
        catalog = catalog_snapshot(session)
        tz = catalog.tz
        found = list_bookings(
            session,
            start_at=_instant(q.start, tz, "start", end=False),
            end_at=_instant(q.end, tz, "end", end=True),
            therapist_id=q.therapist_id,
            room_id=q.room_id,
            client_id=q.client_id,
            status=q.status,
            after=_decode_cursor(q.cursor),
            limit=q.limit + 1,
        )
        items = [presenters.booking(b, catalog) for b in found[: q.limit]]
    nxt = None
    if len(found) > q.limit:
        last = found[q.limit - 1]
        args = {k: v for k, v in request.args.items() if k != "cursor"}
        # From PUBLIC_BASE_URL, never from the request's Host (which anyone may set).
        path = url_for(".index", cursor=_encode_cursor(last.start_at, last.id), **args)  # type: ignore[arg-type]
        nxt = settings().public_base_url.rstrip("/") + path
    return respond(BookingPage(items=items, next=nxt))


@bp.get("/bookings/<id:booking_id>")
@require_api_key
@operation(
    "bookings.show",
    Operation("One session", response=BookingOut, errors=(401, 404), auth=True, tag="bookings"),
)
def show(booking_id: int) -> Response:
    with db().read() as session:
        return _versioned(_out(session, booking_with_relations(session, booking_id)))


@bp.patch("/bookings/<id:booking_id>")
@require_api_key
@operation(
    "bookings.move",
    Operation(
        "Move a session to a new start, therapist or room",
        body=BookingMove,
        response=BookingOut,
        errors=(*WRITE_ERRORS, 412),
        auth=True,
        tag="bookings",
        headers=IF_MATCH,
    ),
)
def move(booking_id: int) -> Response:
    payload = parse_body(BookingMove)
    version = if_match_version()
    with db().transaction() as session:
        moved = rules.reschedule(
            session,
            booking_id,
            start=payload.start,
            therapist_id=payload.therapist_id,
            room_id=payload.room_id,
            actor=actor(),
            expected_sequence=version,
        )
        return _versioned(_out(session, moved))


@bp.post("/bookings/<id:booking_id>/cancel")
@require_api_key
@operation(
    "bookings.cancel",
    Operation(
        "Cancel a session (the client gets a calendar cancellation)",
        body=BookingCancel,
        response=BookingOut,
        errors=(*WRITE_ERRORS, 412),
        auth=True,
        tag="bookings",
        headers=IF_MATCH,
    ),
)
def cancel(booking_id: int) -> Response:
    payload = parse_body(BookingCancel, optional=True)
    version = if_match_version()
    with db().transaction() as session:
        cancelled = rules.cancel(
            session, booking_id, reason=payload.reason, actor=actor(), expected_sequence=version
        )
        return _versioned(_out(session, cancelled))


def _instant(
    value: date | datetime | None, tz: object, field: str, *, end: bool
) -> datetime | None:
    """A local date means its midnight (for `end`, the next midnight: the date is included)."""
    if value is None or isinstance(value, datetime):
        return value
    return clinic_time.day_start(value + timedelta(days=1) if end else value, tz)  # type: ignore[arg-type]


def _encode_cursor(start: datetime, booking_id: int) -> str:
    return base64.urlsafe_b64encode(f"{start.isoformat()}|{booking_id}".encode()).decode()


def _decode_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    if cursor is None:
        return None
    try:
        start, ident = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        moment = datetime.fromisoformat(start)
        booking_id = int(ident)
        if moment.utcoffset() is None or clinic_time.year_problem(moment):
            raise ValueError
        if not 1 <= booking_id <= MAX_ID:
            raise ValueError
        return moment, booking_id
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("not a cursor this API gave", field="cursor") from None
