"""Free session slots, for booking pages (public)."""

from __future__ import annotations

from flask import Blueprint, Response

from services.scheduler import presenters
from services.scheduler.api import Operation, operation, parse_query
from services.scheduler.context import db
from services.scheduler.schemas import AvailabilityQuery, Slots
from shared import metrics
from shared.availability import find_availability
from shared.models import utcnow

bp = Blueprint("availability", __name__, url_prefix="/api/v1")


@bp.get("/availability")
@operation(
    "availability.availability",
    Operation(
        "Bookable slots: one per start time and therapist, with a free suitable room",
        query=AvailabilityQuery,
        response=Slots,
        errors=(404, 422),
        tag="availability",
    ),
)
def availability() -> Response:
    q = parse_query(AvailabilityQuery)
    with metrics.timed_availability(), db().read_statements() as session:
        found = find_availability(
            session,
            treatment_type_id=q.treatment_type_id,
            start=q.start,
            end=q.end,
            now=utcnow(),
            therapist_id=q.therapist_id,
        )
    return Response(presenters.slots_json(found.slots, found.tz), mimetype="application/json")
