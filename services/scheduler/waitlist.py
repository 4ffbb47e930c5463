"""The waiting list for programs: join, list in line order, remove (API key required)."""

from __future__ import annotations

from flask import Blueprint, Response, request, url_for
from sqlmodel import Session

from services.scheduler import waitlist_presenters
from services.scheduler.api import Operation, operation, parse_body, parse_query, respond
from services.scheduler.auth import actor, require_api_key
from services.scheduler.client_payload import IDEMPOTENT, given_client
from services.scheduler.context import db, settings
from services.scheduler.idempotency import idempotent
from services.scheduler.waitlist_schemas import (
    WaitlistCreate,
    WaitlistEntryOut,
    WaitlistPage,
    WaitlistQuery,
)
from shared import waitlist
from shared.catalog_cache import catalog_snapshot
from shared.clients import get_client
from shared.models import WaitlistEntry

bp = Blueprint("waitlist", __name__, url_prefix="/api/v1")
WRITE_ERRORS = (400, 401, 404, 409, 422)


def _out(session: Session, entry: WaitlistEntry) -> WaitlistEntryOut:
    client = get_client(session, entry.client_id)
    offer = waitlist.newest_offers(session, [entry.id]).get(entry.id)  # type: ignore[list-item]
    return waitlist_presenters.entry(entry, client, offer, catalog_snapshot(session))


@bp.post("/waitlist")
@require_api_key
@operation(
    "waitlist.create",
    Operation(
        "Put a client on the waiting list for a treatment (last in line)",
        body=WaitlistCreate,
        response=WaitlistEntryOut,
        status=201,
        errors=WRITE_ERRORS,
        auth=True,
        tag="waitlist",
        headers=IDEMPOTENT,
    ),
)
def create() -> Response:
    payload = parse_body(WaitlistCreate)

    def action(session: Session) -> WaitlistEntryOut:
        client = given_client(session, payload.client)
        client_id = client.id if client is not None else payload.client_id
        entry = waitlist.join(
            session,
            client_id=client_id,  # type: ignore[arg-type]
            treatment_type_id=payload.treatment_type_id,
            wishes=waitlist.Wishes(
                first_day=payload.first_day,
                last_day=payload.last_day,
                mornings=payload.mornings,
                afternoons=payload.afternoons,
                evenings=payload.evenings,
                weekdays=frozenset(waitlist.WEEKDAY_NAMES.index(d) for d in payload.weekdays),
                therapist_id=payload.therapist_id,
            ),
            notes=payload.notes,
            actor=actor(),
            source="api",
        )
        return _out(session, entry)

    return idempotent(action, 201)


@bp.get("/waitlist")
@require_api_key
@operation(
    "waitlist.index",
    Operation(
        "Waiting-list entries in the order they joined, with their newest offers",
        query=WaitlistQuery,
        response=WaitlistPage,
        errors=(401, 422),
        auth=True,
        tag="waitlist",
    ),
)
def index() -> Response:
    q = parse_query(WaitlistQuery)
    with db().read() as session:
        found = waitlist.list_entries(
            session,
            status=q.status,
            treatment_type_id=q.treatment_type_id,
            after=waitlist.decode_cursor(q.cursor),
            limit=q.limit + 1,
        )
        catalog = catalog_snapshot(session)
        items = [
            waitlist_presenters.entry(f.entry, f.client, f.offer, catalog) for f in found[: q.limit]
        ]
    nxt = None
    if len(found) > q.limit:
        args = {k: v for k, v in request.args.items() if k != "cursor"}
        cursor = waitlist.encode_cursor(found[q.limit - 1].entry)
        # From PUBLIC_BASE_URL, never from the request's Host (which anyone may set).
        path = url_for(".index", cursor=cursor, **args)  # type: ignore[arg-type]
        nxt = settings().public_base_url.rstrip("/") + path
    return respond(WaitlistPage(items=items, next=nxt))


@bp.delete("/waitlist/<id:entry_id>")
@require_api_key
@operation(
    "waitlist.delete",
    Operation(
        "Take an entry off the waiting list (an open offer is withdrawn, its time freed)",
        response=WaitlistEntryOut,
        errors=(401, 404, 422),
        auth=True,
        tag="waitlist",
    ),
)
def delete(entry_id: int) -> Response:
    with db().transaction() as session:
        entry = waitlist.remove(session, entry_id, actor=actor())
        return respond(_out(session, entry))
