"""What a booking page shows: treatment types, therapists and rooms."""

from __future__ import annotations

from flask import Blueprint, Response

from services.scheduler import presenters
from services.scheduler.api import Operation, operation, respond
from services.scheduler.auth import require_api_key
from services.scheduler.context import db, settings
from services.scheduler.schemas import (
    Items,
    RoomDetail,
    RoomOut,
    TherapistDetail,
    TherapistOut,
    TreatmentTypeOut,
)
from shared import directory

bp = Blueprint("catalog", __name__, url_prefix="/api/v1")


@bp.get("/treatment-types")
@operation(
    "catalog.treatment_types",
    Operation("Active treatment types", response=Items[TreatmentTypeOut], tag="catalog"),
)
def treatment_types() -> Response:
    with db().read() as session:
        items = [presenters.treatment_type(t) for t in directory.treatment_types(session)]
    return respond(Items[TreatmentTypeOut](items=items))


@bp.get("/therapists")
@operation(
    "catalog.therapists",
    Operation("Active therapists and what they give", response=Items[TherapistOut], tag="catalog"),
)
def therapists() -> Response:
    with db().read() as session:
        items = [presenters.therapist(t) for t in directory.therapists(session)]
    return respond(Items[TherapistOut](items=items))


@bp.get("/therapists/<id:therapist_id>")
@require_api_key
@operation(
    "catalog.therapist",
    Operation(
        "A therapist with e-mail and private feed URLs",
        response=TherapistDetail,
        tag="catalog",
        errors=(401, 404),
        auth=True,
    ),
)
def therapist(therapist_id: int) -> Response:
    with db().read() as session:
        found = directory.therapist(session, therapist_id)
        return respond(presenters.therapist_detail(found, settings().public_base_url))


@bp.get("/rooms")
@operation("catalog.rooms", Operation("Active rooms", response=Items[RoomOut], tag="catalog"))
def rooms() -> Response:
    with db().read() as session:
        items = [presenters.room(r) for r in directory.rooms(session)]
    return respond(Items[RoomOut](items=items))


@bp.get("/rooms/<id:room_id>")
@require_api_key
@operation(
    "catalog.room",
    Operation(
        "A room with its private feed URLs",
        response=RoomDetail,
        tag="catalog",
        errors=(401, 404),
        auth=True,
    ),
)
def room(room_id: int) -> Response:
    with db().read() as session:
        found = directory.room(session, room_id)
        return respond(presenters.room_detail(found, settings().public_base_url))
