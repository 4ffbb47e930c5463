"""Other times for a course's session that cannot be had, each checked by the placement engine.

Candidates come from the pure slot engine over one read of the calendars; they are ranked
(the same therapist first; the same time of day on neighbouring days before other times;
then the nearest) and only those the placement engine places beside every session of the
plan that is free are offered, so picking any one of them books.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from shared import clinic_time
from shared.calendar_data import fetch_calendar_data
from shared.catalog_cache import CatalogSnapshot, Offer
from shared.placement import Placement, PlacementRequest, place_many
from shared.slots import Slot, Treatment, compute_slots, search_bounds

LIMIT = 3  # alternatives offered per session
MAX_SHIFT_DAYS = 6  # how far from the planned day an alternative may move
CANDIDATES = 8  # ranked candidates checked per session


@dataclass(frozen=True)
class Alternative:
    start: datetime
    end: datetime
    therapist_id: int
    room_id: int


@dataclass(frozen=True)
class Clash:
    """A planned session that cannot be had: where it sits in the plan and whose it would be."""

    index: int
    start: datetime
    therapist_ids: Sequence[int]  # preferred first: the course's therapist, then others
    after: datetime | None  # an alternative must start after this (the previous session)
    before: datetime | None  # ... and before this (the next session)


def find_alternatives(
    session: Session,
    *,
    catalog: CatalogSnapshot,
    offer: Offer,
    clashes: Sequence[Clash],
    placed: Sequence[Placement],
    client_id: int | None,
    now: datetime,
    horizon_days: int,
) -> dict[int, list[Alternative]]:
    """Up to LIMIT alternatives per clash (by clash index), each placeable beside `placed`."""
    if not clashes:
        return {}
    tz = catalog.tz
    treatment = Treatment(offer.duration, offer.buffer_before, offer.buffer_after)
    windows = {c.index: _window(c, tz) for c in clashes}
    therapist_ids = sorted({t for c in clashes for t in c.therapist_ids})
    room_ids = list(offer.room_ids)
    first = min(lo for lo, _ in windows.values())
    last = max(hi for _, hi in windows.values())
    _, _, fetch_lo, fetch_hi = search_bounds(first, last, tz, treatment)
    data = fetch_calendar_data(
        session,
        therapist_ids=therapist_ids,
        room_ids=room_ids,
        lo=fetch_lo,
        hi=fetch_hi,
        hours=catalog.hours,
    )
    ranked: dict[int, list[Slot]] = {}
    for clash in clashes:
        lo, hi = windows[clash.index]
        slots = compute_slots(
            data,
            tz=tz,
            step_minutes=catalog.step_minutes,
            min_notice_minutes=catalog.min_notice_minutes,
            booking_horizon_days=horizon_days,
            treatment=treatment,
            therapist_ids=list(clash.therapist_ids),
            room_ids=room_ids,
            start=lo,
            end=hi,
            now=now,
        )
        ranked[clash.index] = _rank(clash, slots, catalog)[:CANDIDATES]
    return _checked(session, catalog, offer, ranked, placed, client_id, now, horizon_days)


def _window(clash: Clash, tz: object) -> tuple[datetime, datetime]:
    """The local dates an alternative may fall on: near the planned day, between neighbours."""
    day = clinic_time.local_date(clash.start, tz)  # type: ignore[arg-type]
    lo, hi = day - timedelta(days=MAX_SHIFT_DAYS), day + timedelta(days=MAX_SHIFT_DAYS)
    if clash.after is not None:
        lo = max(lo, clinic_time.local_date(clash.after, tz))  # type: ignore[arg-type]
    if clash.before is not None:
        hi = min(hi, clinic_time.local_date(clash.before, tz))  # type: ignore[arg-type]
    return lo, hi  # type: ignore[return-value]


def _rank(clash: Clash, slots: Sequence[Slot], catalog: CatalogSnapshot) -> list[Slot]:
    """Same therapist first; same time of day on the nearest day; then the nearest time."""
    tz = catalog.tz
    planned = clash.start.astimezone(tz)
    preference = {tid: i for i, tid in enumerate(clash.therapist_ids)}

    def key(slot: Slot) -> tuple[int, int, int, float, int]:
        local = slot.start.astimezone(tz)
        days = (local.date() - planned.date()).days
        same_time = local.time() == planned.time()
        distance = abs((slot.start - clash.start).total_seconds())
        return (
            preference.get(slot.therapist_id, len(preference)),
            0 if same_time else 1,
            abs(days) if same_time else 0,
            distance if not same_time else (0 if days > 0 else 1),
            slot.therapist_id,
        )

    fitting = [
        s
        for s in slots
        if (clash.after is None or s.start > clash.after)
        and (clash.before is None or s.start < clash.before)
        and not (s.start == clash.start and s.therapist_id == clash.therapist_ids[0])
    ]
    return sorted(fitting, key=key)


def _checked(
    session: Session,
    catalog: CatalogSnapshot,
    offer: Offer,
    ranked: dict[int, list[Slot]],
    placed: Sequence[Placement],
    client_id: int | None,
    now: datetime,
    horizon_days: int,
) -> dict[int, list[Alternative]]:
    """Candidates the engine places beside the plan's free sessions, in rank order.

    Candidates whose times overlap go to separate passes, so no candidate is judged with
    another in its way; each pass is one placement of the free sessions and the candidates.
    """
    pinned = [
        PlacementRequest(
            offer.id,
            p.start,
            client_id,
            therapist_id=p.therapist.id,
            room_id=p.room.id,
            horizon_days=horizon_days,
        )
        for p in placed
    ]
    treatment = Treatment(offer.duration, offer.buffer_before, offer.buffer_after)
    passes: list[list[tuple[int, Slot]]] = []
    for index, slots in ranked.items():
        for slot in slots:
            blocked = treatment.blocked(slot.start)
            for group in passes:
                if all(not _overlap(blocked, treatment.blocked(other.start)) for _, other in group):
                    group.append((index, slot))
                    break
            else:
                passes.append([(index, slot)])
    good: dict[tuple[int, Slot], Alternative] = {}
    for group in passes:
        requests = pinned + [
            PlacementRequest(
                offer.id,
                slot.start,
                client_id,
                therapist_id=slot.therapist_id,
                horizon_days=horizon_days,
            )
            for _, slot in group
        ]
        outcomes = place_many(session, requests, now=now, catalog=catalog)
        for (index, slot), outcome in zip(group, outcomes[len(pinned) :], strict=True):
            if outcome.placement is not None:
                p = outcome.placement
                good[(index, slot)] = Alternative(p.start, p.end, p.therapist.id, p.room.id)
    return {
        index: [good[(index, s)] for s in slots if (index, s) in good][:LIMIT]
        for index, slots in ranked.items()
    }


def _overlap(a: tuple[datetime, datetime], b: tuple[datetime, datetime]) -> bool:
    return a[0] < b[1] and b[0] < a[1]
