"""Other times for a course's session that cannot be had, each placed by the placement engine.

Candidates are tried in the order a receptionist would offer them: the same therapist at the
same time of day on the neighbouring days first (the next day before the one before, then two
days away, ...); a session with none of those gets the nearest other free times the slot
engine finds around the planned day (a second pass, only where needed). A candidate is
offered only if the placement engine places it beside every session of the plan that is
free, so picking any offered time books; the candidates are judged each on its own (none
takes its time from another), all in one placement pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from shared import clinic_time
from shared.calendar_data import fetch_calendar_data
from shared.catalog_cache import CatalogSnapshot, Offer
from shared.intervals import containing
from shared.placement import Placement, PlacementRequest, place_many
from shared.slots import Treatment, compute_slots, search_bounds, working_intervals

LIMIT = 3  # alternatives offered per session
MAX_SHIFT_DAYS = 6  # how far from the planned day an alternative may move
SAME_TIME = 2 * LIMIT  # days at the same time checked per session and therapist
NEAREST = 2 * LIMIT  # other free times checked per session when the same time gives none
NEAREST_DAYS = 2  # ... on the planned day and this many days either side


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
    moving_booking_id: int | None = None  # a booked session to move: not in its own way


@dataclass(frozen=True)
class _Candidate:
    index: int  # the clash's
    start: datetime
    therapist_id: int


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
    checker = _Checker(session, catalog, offer, placed, client_id, now, horizon_days)
    checker.moving = {c.index: c.moving_booking_id for c in clashes if c.moving_booking_id}
    found: dict[int, list[Alternative]] = {c.index: [] for c in clashes}
    same_time = [cand for c in clashes for cand in _same_time(c, catalog, offer)]
    checker.offer_to(found, same_time)
    short = [c for c in clashes if not found[c.index]]
    if short:
        nearest = _nearest_free(session, catalog, offer, short, now, horizon_days)
        checker.offer_to(found, nearest)
    return found


def _same_time(clash: Clash, catalog: CatalogSnapshot, offer: Offer) -> list[_Candidate]:
    """The planned wall-clock time on the neighbouring days, nearest first, the later day first,
    with each preferred therapist in turn; only days the therapist works at that time (their
    weekly hours, the engine's own expansion), and SAME_TIME of those per therapist."""
    tz = catalog.tz
    local = clash.start.astimezone(tz)
    out = []
    for therapist_id in clash.therapist_ids:
        blocks = catalog.hours.get(therapist_id, ())
        found = 0
        for shift in range(1, MAX_SHIFT_DAYS + 1):
            for day in (local.date() + timedelta(days=shift), local.date() - timedelta(days=shift)):
                start = clinic_time.local_to_utc(day, local.time().replace(tzinfo=None), tz)
                works = working_intervals(blocks, day, day, tz)
                if (
                    found < SAME_TIME
                    and _between(start, clash)
                    and containing(works, start, start + offer.duration)
                ):
                    out.append(_Candidate(clash.index, start, therapist_id))
                    found += 1
    return out


def _nearest_free(
    session: Session,
    catalog: CatalogSnapshot,
    offer: Offer,
    clashes: Sequence[Clash],
    now: datetime,
    horizon_days: int,
) -> list[_Candidate]:
    """Free times at other times of day around each clash (the slot engine over one read),
    the preferred therapist first, then the nearest."""
    tz = catalog.tz
    treatment = Treatment(offer.duration, offer.buffer_before, offer.buffer_after)
    windows = {c.index: _window(c, tz, NEAREST_DAYS) for c in clashes}
    _, _, fetch_lo, fetch_hi = search_bounds(
        min(lo for lo, _ in windows.values()), max(hi for _, hi in windows.values()), tz, treatment
    )
    data = fetch_calendar_data(
        session,
        therapist_ids=sorted({t for c in clashes for t in c.therapist_ids}),
        room_ids=list(offer.room_ids),
        lo=fetch_lo,
        hi=fetch_hi,
        hours=catalog.hours,
    )
    out: list[_Candidate] = []
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
            room_ids=list(offer.room_ids),
            start=lo,
            end=hi,
            now=now,
        )
        preference = {t: i for i, t in enumerate(clash.therapist_ids)}
        planned_time = clash.start.astimezone(tz).time()
        fitting = [
            s
            for s in slots
            if _between(s.start, clash) and s.start.astimezone(tz).time() != planned_time
        ]
        fitting.sort(key=lambda s: (preference[s.therapist_id], abs(s.start - clash.start)))
        out += [_Candidate(clash.index, s.start, s.therapist_id) for s in fitting[:NEAREST]]
    return out


class _Checker:
    """Places candidates beside the plan's free sessions; keeps the first LIMIT per clash."""

    def __init__(
        self,
        session: Session,
        catalog: CatalogSnapshot,
        offer: Offer,
        placed: Sequence[Placement],
        client_id: int | None,
        now: datetime,
        horizon_days: int,
    ) -> None:
        self.session, self.catalog, self.offer, self.now = session, catalog, offer, now
        self.client_id, self.horizon_days = client_id, horizon_days
        self.moving: dict[int, int] = {}  # clash index -> the booking it moves
        self.pinned = [
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

    def offer_to(self, found: dict[int, list[Alternative]], candidates: list[_Candidate]) -> None:
        """Place every candidate, each on its own beside the plan (one pass), and keep the
        first that fit, in rank order, up to LIMIT per clash."""
        requests = self.pinned + [
            PlacementRequest(
                self.offer.id,
                cand.start,
                self.client_id,
                therapist_id=cand.therapist_id,
                horizon_days=self.horizon_days,
                moving_booking_id=self.moving.get(cand.index),
            )
            for cand in candidates
        ]
        outcomes = place_many(
            self.session,
            requests,
            now=self.now,
            catalog=self.catalog,
            lock=False,
            occupy=[True] * len(self.pinned) + [False] * len(candidates),
        )
        for cand, outcome in zip(candidates, outcomes[len(self.pinned) :], strict=True):
            alts = found[cand.index]
            p = outcome.placement
            if p is not None and len(alts) < LIMIT and all(a.start != p.start for a in alts):
                alts.append(Alternative(p.start, p.end, p.therapist.id, p.room.id))


def _between(start: datetime, clash: Clash) -> bool:
    """Keeps the course in order: after the session before, before the session after."""
    return (clash.after is None or start > clash.after) and (
        clash.before is None or start < clash.before
    )


def _window(clash: Clash, tz: ZoneInfo, days: int) -> tuple[date, date]:
    """The local dates an alternative may fall on: near the planned day, between neighbours."""
    day = clinic_time.local_date(clash.start, tz)
    lo, hi = day - timedelta(days=days), day + timedelta(days=days)
    if clash.after is not None:
        lo = max(lo, clinic_time.local_date(clash.after, tz))
    if clash.before is not None:
        hi = min(hi, clinic_time.local_date(clash.before, tz))
    return lo, hi
