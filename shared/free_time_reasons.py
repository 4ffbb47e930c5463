"""Why a day offers no free time for a treatment: nobody works, the therapists are away, or
the day is fully booked, so an empty list of free times is never silent."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col, select

from shared import clinic_time
from shared.catalog_cache import catalog_snapshot
from shared.intervals import merge, subtract
from shared.models import Closure, TimeOff
from shared.slots import working_intervals


def why_no_free_times(
    session: Session, *, treatment_type_id: int, day: date, therapist_id: int | None = None
) -> str:
    """A sentence for a receptionist. Raises NotFound for an unknown treatment type."""
    catalog = catalog_snapshot(session)
    tz = catalog.tz
    offer = catalog.offer(treatment_type_id, field="treatment_type_id", retired_ok=True)
    ids = [therapist_id] if therapist_id is not None else list(offer.therapist_ids)
    names = {i: catalog.therapists[i].name for i in ids if i in catalog.therapists}
    label = f"{day:%a %d %b}"
    if therapist_id is not None and therapist_id not in offer.therapist_ids:
        return f"{names.get(therapist_id, 'This therapist')} does not give {offer.name}"
    if not ids:
        return f"Nobody gives {offer.name} at the moment"
    lo, hi = clinic_time.day_bounds(day, tz)
    closed = session.exec(
        select(Closure).where(
            col(Closure.room_id).is_(None), col(Closure.start_at) < hi, col(Closure.end_at) > lo
        )
    ).all()
    if closed and not subtract([(lo, hi)], merge([(c.start_at, c.end_at) for c in closed])):
        return f"The clinic is closed on {label}" + (
            f" ({closed[0].reason})" if closed[0].reason else ""
        )
    working = {i: working_intervals(catalog.hours.get(i, ()), day, day, tz) for i in ids}
    at_work = [i for i in ids if working[i]]
    if not at_work:
        who = names[ids[0]] if len(ids) == 1 else f"Nobody who gives {offer.name}"
        return f"{who} does not work on {label}"
    offs = session.exec(
        select(TimeOff).where(
            col(TimeOff.therapist_id).in_(at_work),
            col(TimeOff.start_at) < hi,
            col(TimeOff.end_at) > lo,
        )
    ).all()
    away = {
        i
        for i in at_work
        if not subtract(
            working[i], merge([(o.start_at, o.end_at) for o in offs if o.therapist_id == i])
        )
    }
    if away == set(at_work):
        reasons = sorted({o.reason for o in offs if o.reason})
        who = ", ".join(names[i] for i in at_work)
        return f"{who} {'is' if len(at_work) == 1 else 'are'} away on {label}" + (
            f" ({', '.join(reasons)})" if reasons else ""
        )
    return f"Fully booked on {label}" + (
        f" with {names[ids[0]]}" if therapist_id is not None else ""
    )
