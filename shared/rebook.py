"""Sessions a therapist's time off hits (a sick day, a course), each with times to move it to.

The alternatives are the placement engine's, as for a course's clashes
(`shared.course_alternatives`): another therapist at the same time first, then the nearest
free times; every one offered is placed with the session left out of its own way, so picking
it moves the session (through `shared.booking.reschedule`, like any move).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from shared import booking_queries
from shared.catalog_cache import CatalogSnapshot, catalog_snapshot
from shared.course_alternatives import LIMIT, Alternative, Clash, find_alternatives
from shared.models import Booking, BookingStatus, TimeOff
from shared.placement import PlacementRequest, place_many

MAX_LISTED = 40  # sessions listed at once; the rest show once these are moved


@dataclass(frozen=True)
class ToRebook:
    booking: Booking
    away: TimeOff  # the time off it falls in
    alternatives: list[Alternative]


def _in_its_time_off(off: Any = TimeOff) -> ColumnElement[bool]:
    return and_(
        off.therapist_id == col(Booking.therapist_id),
        off.start_at < col(Booking.end_at),
        off.end_at > col(Booking.start_at),
    )


def hit_by_time_off() -> ColumnElement[bool]:
    """SQL over a Booking row: a booked session that falls in its therapist's time off. The
    rule's one statement: the "to rebook" list selects by it, and the day view marks by it
    (`shared.day_data`, in its bookings' statement), so the two never disagree."""
    return and_(
        col(Booking.status) == BookingStatus.BOOKED.value,
        exists().where(_in_its_time_off(aliased(TimeOff))),  # its own, whatever the query joins
    )


def to_rebook(session: Session, *, now: datetime) -> list[ToRebook]:
    """Booked sessions still to come whose therapist is away then, soonest first."""
    query = (
        select(Booking, TimeOff)
        .join(TimeOff, _in_its_time_off())  # which time off: the list names it
        .where(hit_by_time_off(), col(Booking.start_at) > now)
        .options(*booking_queries.RELATIONS)
        .order_by(col(Booking.start_at), col(Booking.id), col(TimeOff.start_at))
    )
    hit: dict[int, tuple[Booking, TimeOff]] = {}
    for b, away in session.exec(query):
        hit.setdefault(b.id, (b, away))  # type: ignore[arg-type]
        if len(hit) >= MAX_LISTED:
            break
    if not hit:
        return []
    catalog = catalog_snapshot(session)
    return [
        ToRebook(b, away, alternatives(session, b, catalog=catalog, now=now))
        for b, away in hit.values()
    ]


def alternatives(
    session: Session, b: Booking, *, catalog: CatalogSnapshot, now: datetime
) -> list[Alternative]:
    """Up to LIMIT times the session can move to: the same time with another therapist, then
    the nearest free times (its own therapist first)."""
    offer = catalog.offer(b.treatment_type_id, field="treatment_type_id", retired_ok=True)
    others = [t for t in offer.therapist_ids if t != b.therapist_id]
    same_time = [
        PlacementRequest(offer.id, b.start_at, b.client_id, therapist_id=t, moving_booking_id=b.id)
        for t in others
    ]
    found: list[Alternative] = []
    outcomes = place_many(
        session, same_time, now=now, catalog=catalog, lock=False, occupy=[False] * len(same_time)
    )
    for outcome in outcomes:
        p = outcome.placement
        if p is not None and len(found) < LIMIT:
            found.append(Alternative(p.start, p.end, p.therapist.id, p.room.id))
    if len(found) < LIMIT:
        clash = Clash(
            index=0,
            start=b.start_at,
            therapist_ids=[b.therapist_id, *others],
            after=None,
            before=None,
            moving_booking_id=b.id,
        )
        nearest = find_alternatives(
            session,
            catalog=catalog,
            offer=offer,
            clashes=[clash],
            placed=[],
            client_id=b.client_id,
            now=now,
            horizon_days=catalog.booking_horizon_days,
        )
        for alt in nearest[0]:
            if len(found) < LIMIT and all(a.start != alt.start for a in found):
                found.append(alt)
    return found
