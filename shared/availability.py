"""Free times: the catalog from the process's cache, the ranges from one statement, the
slots from the pure engine (`shared.slots`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from shared import clinic_time, validation
from shared.calendar_data import fetch_calendar_data
from shared.catalog_cache import CatalogSnapshot, catalog_snapshot, confirm, is_confirmed, peek
from shared.errors import InvalidInput, NotFound
from shared.slots import Slot, Treatment, compute_slots, search_bounds

MAX_RANGE_DAYS = 31


@dataclass(frozen=True)
class Availability:
    slots: list[Slot]
    tz: ZoneInfo  # the clinic's, to show the slots in


def find_availability(
    session: Session,
    *,
    treatment_type_id: int,
    start: date,
    end: date,
    now: datetime,
    therapist_id: int | None = None,
    moving_booking_id: int | None = None,
) -> Availability:
    """Bookable slots for local dates start..end (both included), and the clinic's zone;
    `moving_booking_id` is a session being moved, which is not in its own way.

    The catalog comes from the process's cache (see `catalog_cache`); the bookings, time off
    and closures in the range, with the catalog's version that confirms the cached copy, from
    one statement of index ranges.
    A therapist who is inactive or does not give the treatment has no slots.
    Raises InvalidInput (range, ids), NotFound and InactiveResource (treatment type).
    """
    start = clinic_time.require_date(start, "start")
    end = clinic_time.require_date(end, "end")
    if end < start:
        raise InvalidInput("end is before start", field="end")
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise InvalidInput(f"at most {MAX_RANGE_DAYS} days per request", field="end")
    now = clinic_time.require_aware(now, "now")
    validation.positive_id(treatment_type_id, "treatment_type_id")
    if therapist_id is not None:
        validation.positive_id(therapist_id, "therapist_id")
    catalog, confirmed = peek(session)
    if catalog is not None and not confirmed:
        found = _slots(
            session, catalog, treatment_type_id, start, end, now, therapist_id, moving_booking_id
        )
        if found is not None:
            return found
    # A cold process, a refusal to confirm, or a catalog changed since: read it first.
    confirmed_slots = _slots(
        session,
        catalog_snapshot(session),
        treatment_type_id,
        start,
        end,
        now,
        therapist_id,
        moving_booking_id,
    )
    assert confirmed_slots is not None
    return confirmed_slots


def _slots(
    session: Session,
    catalog: CatalogSnapshot,
    treatment_type_id: int,
    start: date,
    end: date,
    now: datetime,
    therapist_id: int | None,
    moving_booking_id: int | None = None,
) -> Availability | None:
    """The slots from this snapshot, or None when it is not confirmed as current: by the
    range read's version column, or (to refuse, or with nothing to read) by a read first."""
    confirmed = is_confirmed(session, catalog)
    offer = catalog.offers.get(treatment_type_id)
    if not confirmed and (offer is None or not offer.active):
        return None
    offer = catalog.offer(treatment_type_id, field="treatment_type_id")
    therapist_ids = list(offer.therapist_ids)
    if therapist_id is not None:
        if therapist_id not in catalog.therapist_ids:
            if not confirmed:
                return None
            raise NotFound(f"No therapist with id {therapist_id}", field="therapist_id")
        therapist_ids = [t for t in therapist_ids if t == therapist_id]
    room_ids = list(offer.room_ids)
    if not therapist_ids or not room_ids:
        return Availability([], catalog.tz) if confirmed else None
    treatment = Treatment(offer.duration, offer.buffer_before, offer.buffer_after)
    _, _, fetch_lo, fetch_hi = search_bounds(start, end, catalog.tz, treatment)
    data = fetch_calendar_data(
        session,
        therapist_ids=therapist_ids,
        room_ids=room_ids,
        lo=fetch_lo,
        hi=fetch_hi,
        hours=catalog.hours,
    )
    if not confirmed and not confirm(session, catalog, data.catalog_version):
        return None
    if moving_booking_id is not None:
        data.bookings = [row for row in data.bookings if row.booking_id != moving_booking_id]
    slots = compute_slots(
        data,
        tz=catalog.tz,
        step_minutes=catalog.step_minutes,
        min_notice_minutes=catalog.min_notice_minutes,
        booking_horizon_days=catalog.booking_horizon_days,
        treatment=treatment,
        therapist_ids=therapist_ids,
        room_ids=room_ids,
        start=start,
        end=end,
        now=now,
    )
    return Availability(slots, catalog.tz)


def available_slots(
    session: Session,
    *,
    treatment_type_id: int,
    start: date,
    end: date,
    now: datetime,
    therapist_id: int | None = None,
    moving_booking_id: int | None = None,
) -> list[Slot]:
    """`find_availability`'s slots alone (same errors)."""
    return find_availability(
        session,
        treatment_type_id=treatment_type_id,
        start=start,
        end=end,
        now=now,
        therapist_id=therapist_id,
        moving_booking_id=moving_booking_id,
    ).slots
