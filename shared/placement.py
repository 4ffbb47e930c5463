"""Where sessions go: every booking rule, checked for many sessions against one load.

A `Placer` takes the catalog from the process's cache and, for the whole time range its
requests span, reads the bookings, time off and closures in one statement (on PostgreSQL
after locking the people and rooms they may take, so racing writers queue and the loser
hears what is in its way). Each request is then checked in memory, in order; a placed one
occupies its time for the requests after it. A refusal is the typed `ClinicError` the rules
have always raised, worded by `shared.explanations`.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import Executable, Integer, Result, Select, bindparam, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from shared import clinic_time, explanations, validation
from shared.calendar_data import MAX_BOOKING_SPAN, fetch_calendar_data
from shared.catalog_cache import (
    CatalogSnapshot,
    Offer,
    Resource,
    catalog_snapshot,
    confirm,
    peek,
    read_version,
)
from shared.clients import Registration, register, register_statement, registered
from shared.errors import (
    BeyondHorizon,
    BookingConflict,
    ClientBusy,
    ClinicError,
    ClosedForBooking,
    InThePast,
    NoAvailability,
    NotOnSlotGrid,
    NotQualified,
    RoomBusy,
    RoomUnsuitable,
    TherapistBusy,
    TooShortNotice,
)
from shared.intervals import Interval, containing, merge, overlaps, subtract
from shared.models import BookingStatus, Client
from shared.models.types import pk
from shared.slots import BusyRow, Treatment, best_fit, booking_window, working_intervals


@dataclass(frozen=True)
class PlacementRequest:
    """One session to place. `room_id` must be used; `preferred_room_id` is used when it can
    take the session, else the best free room is. `moving_booking_id` is the booking being
    moved: left out of the calendars, and its treatment may have been retired since."""

    treatment_type_id: int
    start: datetime
    client_id: int | None = None
    therapist_id: int | None = None
    room_id: int | None = None
    preferred_room_id: int | None = None
    override_notice: bool = False
    moving_booking_id: int | None = None
    horizon_days: int | None = None  # a longer reach than the clinic's (a course's), if any


@dataclass(frozen=True)
class Placement:
    """Where a request goes: its therapist and room, and the interval it occupies."""

    request: PlacementRequest
    treatment: Offer
    therapist: Resource
    room: Resource
    end: datetime
    blocked: Interval
    # The client the pass registered for this request, held here so that the session's
    # identity map (weak) still has them when the booking is written.
    client: Client | None = None

    @property
    def start(self) -> datetime:
        return self.request.start


@dataclass(frozen=True)
class Outcome:
    """A request's answer: its placement, or the refusal saying why not."""

    request: PlacementRequest
    placement: Placement | None = None
    refusal: ClinicError | None = None

    def unwrap(self) -> Placement:
        """The placement, or raises the refusal."""
        if self.refusal is not None:
            raise self.refusal
        assert self.placement is not None
        return self.placement


def place(
    session: Session,
    request: PlacementRequest,
    *,
    now: datetime,
    catalog: CatalogSnapshot | None = None,
    registering: Registration | None = None,
) -> Placement:
    """Raises the refusal: InvalidInput, NotFound, BookingRefused and BookingConflict kinds.
    With `registering`, a request without a client is for that client, found or registered
    in the statement that holds the people and rooms (its id is in the placement's request)."""
    outcomes = place_many(session, [request], now=now, catalog=catalog, registering=registering)
    return outcomes[0].unwrap()


def place_many(
    session: Session,
    requests: Sequence[PlacementRequest],
    *,
    now: datetime,
    catalog: CatalogSnapshot | None = None,
    lock: bool = True,
    occupy: Sequence[bool] | None = None,
    registering: Registration | None = None,
) -> list[Outcome]:
    """Each request placed in order, seeing those placed before it; one outcome each.

    `occupy[i]=False` checks request i without taking its time (alternatives judged each on
    its own beside a plan); `lock=False` takes no locks (a preview that writes nothing).
    """
    try:
        placer = Placer(
            session, requests, now=now, catalog=catalog, lock=lock, registering=registering
        )
    except _StaleCatalog:  # the catalog changed since this process last read it
        placer = Placer(  # registering again finds the client the first pass registered
            session,
            requests,
            now=now,
            catalog=catalog_snapshot(session),
            lock=lock,
            registering=registering,
        )
    return [
        placer.place(i, occupy=True if occupy is None else occupy[i]) for i in range(len(requests))
    ]


class _StaleCatalog(Exception):
    pass


# -- the engine ------------------------------------------------------------------------------


@dataclass
class _Checked:
    """A request that passed the checks needing no calendar, with what it may take."""

    offer: Offer
    treatment: Treatment
    end: datetime
    blocked: Interval
    window: Interval  # the local day around the session (for weighing gaps) and its buffers
    therapists: list[Resource]  # the named one, or every qualified active one
    rooms: list[Resource]  # the named one, or every suitable active one
    named_therapist: bool
    named_room: bool


class _Held(NamedTuple):
    """One interval (with buffers) a therapist, room or client is taken for: a booking, with
    its own times and treatment for a refusal to name, or a placement made earlier in this
    pass (`placed` is then its index). A tuple: sorted by start."""

    start: datetime
    end: datetime
    booking_id: int = 0
    placed: int = -1
    session_start: datetime | None = None
    session_end: datetime | None = None
    treatment_type_id: int | None = None
    status: str | None = None


@dataclass
class _Diary:
    """Who is taken when over the loaded range, sorted by start, plus time off and closures."""

    therapists: dict[int, list[_Held]] = field(default_factory=lambda: defaultdict(list))
    rooms: dict[int, list[_Held]] = field(default_factory=lambda: defaultdict(list))
    clients: dict[int, list[_Held]] = field(default_factory=lambda: defaultdict(list))
    time_off: dict[int, list[Interval]] = field(default_factory=dict)  # merged
    time_off_rows: dict[int, list[Interval]] = field(default_factory=dict)
    time_off_reasons: dict[tuple[int, Interval], str] = field(default_factory=dict)
    closures: list[tuple[int | None, Interval]] = field(default_factory=list)
    closure_reasons: dict[tuple[int | None, Interval], str] = field(default_factory=dict)


class Placer:
    """Checks a fixed list of requests against one load of the calendars (see the module)."""

    def __init__(
        self,
        session: Session,
        requests: Sequence[PlacementRequest],
        *,
        now: datetime,
        catalog: CatalogSnapshot | None = None,
        lock: bool = True,
        registering: Registration | None = None,
    ) -> None:
        self.session = session
        self.lock = lock
        self.registering = registering
        self.registered: Client | None = None
        self.now = clinic_time.require_aware(now, "now")
        confirmed = catalog is not None
        if catalog is None:
            # The process's newest snapshot, confirmed by the range read's own version column.
            catalog, confirmed = peek(session)
        self.catalog = catalog or catalog_snapshot(session)
        confirmed = confirmed or catalog is None
        self.tz = self.catalog.tz
        self.requests = list(requests)
        self.placed: list[Placement] = []
        self._checked: list[_Checked | ClinicError] = []
        for request in self.requests:
            try:
                self._checked.append(self._check(request))
            except ClinicError as exc:
                self._checked.append(exc)
        self._diary, version = self._load([c for c in self._checked if isinstance(c, _Checked)])
        if not confirmed and not confirm(session, self.catalog, version):
            raise _StaleCatalog

    def place(self, index: int, *, occupy: bool = True) -> Outcome:
        """The outcome of request `index`; a placement occupies its time from now on (unless
        `occupy` is False)."""
        request, checked = self.requests[index], self._checked[index]
        if isinstance(checked, ClinicError):
            return Outcome(request, refusal=checked)
        try:
            placement = self._fit(request, checked)
        except ClinicError as exc:
            return Outcome(request, refusal=exc)
        if occupy:
            self._occupy(placement)
        return Outcome(request, placement=placement)

    # -- checks that need no calendar ------------------------------------------------------

    def _check(self, req: PlacementRequest) -> _Checked:
        catalog, tz = self.catalog, self.tz
        validation.positive_id(req.treatment_type_id, "treatment_type_id")
        offer = catalog.offer(
            req.treatment_type_id,
            field="treatment_type_id",
            retired_ok=req.moving_booking_id is not None,
        )
        start = clinic_time.require_aware(req.start, "start")
        treatment = Treatment(offer.duration, offer.buffer_before, offer.buffer_after)
        end = start + treatment.duration
        blocked = treatment.blocked(start)
        if not clinic_time.on_grid(start, tz, catalog.step_minutes):
            raise NotOnSlotGrid(
                f"Sessions start every {catalog.step_minutes} minutes; "
                f"{clinic_time.fmt_local(start, tz, locale=catalog.locale)} is not one of those "
                "times",
                field="start",
            )
        if start <= self.now:
            raise InThePast(
                f"{clinic_time.fmt_span(start, end, tz, catalog.locale)} is in the past",
                field="start",
            )
        earliest, latest = booking_window(catalog, self.now)
        horizon = catalog.booking_horizon_days
        if req.horizon_days is not None:
            horizon = req.horizon_days
            latest = self.now + timedelta(days=horizon)
        if start < earliest and not req.override_notice:
            raise TooShortNotice(
                f"Sessions must be booked at least {catalog.min_notice_minutes} minutes ahead",
                field="start",
            )
        if start >= latest:
            raise BeyondHorizon(
                f"Sessions can be booked at most {horizon} days ahead", field="start"
            )
        therapist = room = None
        if req.therapist_id is not None:
            validation.positive_id(req.therapist_id, "therapist_id")
            therapist = catalog.therapist(req.therapist_id)
        if req.room_id is not None:
            validation.positive_id(req.room_id, "room_id")
            room = catalog.room(req.room_id)
        if therapist is not None and therapist.id not in offer.therapist_ids:
            raise NotQualified(f"{therapist.name} does not give {offer.name}", field="therapist_id")
        if room is not None and room.id not in offer.room_ids:
            needs = explanations.required_features(self.session, offer.id)
            raise RoomUnsuitable(
                f"{room.name} lacks what {offer.name} needs ({needs})", field="room_id"
            )
        if req.preferred_room_id is not None:
            validation.positive_id(req.preferred_room_id, "room_id")
        day_lo, day_hi = clinic_time.day_bounds(clinic_time.local_date(blocked[0], tz), tz)
        return _Checked(
            offer=offer,
            treatment=treatment,
            end=end,
            blocked=blocked,
            window=(min(day_lo, blocked[0]), max(day_hi, blocked[1])),
            therapists=[therapist]
            if therapist
            else [catalog.therapists[t] for t in offer.therapist_ids],
            rooms=[room] if room else [catalog.rooms[r] for r in offer.room_ids],
            named_therapist=therapist is not None,
            named_room=room is not None,
        )

    # -- one load for every request ------------------------------------------------------------

    def _load(self, checked: list[_Checked]) -> tuple[_Diary, int | None]:
        """The calendars every request may touch, and the catalog version read with them."""
        diary = _Diary()
        if not checked:
            return diary, read_version(self.session.connection())
        therapist_ids = sorted({t.id for c in checked for t in c.therapists})
        room_ids = sorted({r.id for c in checked for r in c.rooms})
        client_ids = sorted({r.client_id for r in self.requests if r.client_id is not None})
        client = _hold(
            self.session,
            client_ids,
            therapist_ids,
            room_ids,
            lock=self.lock,
            registering=self.registering,
        )
        if client is not None:  # the requests without a client are theirs
            self.registered = client
            self.requests = [
                r if r.client_id is not None else replace(r, client_id=client.id)
                for r in self.requests
            ]
            client_ids = sorted({*client_ids, pk(client.id)})
        data = fetch_calendar_data(
            self.session,
            therapist_ids=therapist_ids,
            room_ids=room_ids,
            lo=min(c.window[0] for c in checked),
            hi=max(c.window[1] for c in checked),
            hours=self.catalog.hours,
            client_ids=client_ids,
            detailed=True,
        )
        wanted_clients = set(client_ids)
        for row in sorted(data.bookings, key=_blocked_start):
            held = _Held(
                row.blocked_start,
                row.blocked_end,
                row.booking_id,
                -1,
                row.start_at,
                row.end_at,
                row.treatment_type_id,
                row.status,
            )
            diary.therapists[row.therapist_id].append(held)
            diary.rooms[row.room_id].append(held)
            if row.client_id in wanted_clients:
                diary.clients[row.client_id].append(held)
        diary.time_off = {tid: merge(spans) for tid, spans in data.time_off.items()}
        diary.time_off_rows = data.time_off
        diary.time_off_reasons = data.time_off_reasons
        diary.closures = data.closures
        diary.closure_reasons = data.closure_reasons
        return diary, data.catalog_version

    # -- one request against the calendars -------------------------------------------------------

    def _fit(self, req: PlacementRequest, c: _Checked) -> Placement:
        tz, start, end, blocked = self.tz, req.start, c.end, c.blocked
        locale = self.catalog.locale
        lo, hi = c.window
        leave_out = req.moving_booking_id
        clinic_closed = [s for room, s in self._closures(lo, hi) if room is None]
        room_closed: dict[int, list[Interval]] = defaultdict(list)
        for room_id, span in self._closures(lo, hi):
            if room_id is not None:
                room_closed[room_id].append(span)
        named_room = c.rooms[0].id if c.named_room else None
        if overlaps(merge(clinic_closed), *blocked) or (
            named_room is not None and overlaps(merge(room_closed[named_room]), *blocked)
        ):
            raise self._closed(blocked, named_room) or ClosedForBooking(
                f"The clinic is closed {clinic_time.fmt_span(start, end, tz, locale)}",
                field="start",
            )

        if req.client_id is not None:
            held = self._slice(self._diary.clients[req.client_id], lo, hi, leave_out)
            if overlaps(merge((h.start, h.end) for h in held), *blocked):
                raise self._conflict(ClientBusy, None, held, req, c)

        first = clinic_time.local_date(lo, tz) - timedelta(days=1)
        last = clinic_time.local_date(hi, tz) + timedelta(days=1)
        free: list[tuple[int, list[Interval]]] = []
        taken: list[tuple[Resource, bool, list[_Held]]] = []  # (therapist, present, held)
        for therapist in c.therapists:
            present = subtract(
                working_intervals(self.catalog.hours.get(therapist.id, ()), first, last, tz),
                self._diary.time_off.get(therapist.id, []),
            )
            held = self._slice(self._diary.therapists[therapist.id], lo, hi, leave_out)
            busy = merge([(h.start, h.end) for h in held] + clinic_closed)
            is_present = containing(present, start, end) is not None
            if is_present and not overlaps(busy, *blocked):
                free.append((therapist.id, busy))
            else:
                taken.append((therapist, is_present, held))
        picked = best_fit(free, blocked, tz)
        if picked is None:
            # Explained only now: each reason reads the row in the way.
            refusals = [self._why_not_therapist(t, p, h, req, c) for t, p, h in taken]
            if c.named_therapist:
                raise refusals[0]
            raise NoAvailability(
                explanations.with_reasons(
                    f"No therapist who gives {c.offer.name} is free "
                    f"{clinic_time.fmt_span(start, end, tz, locale)}",
                    [r.message for r in refusals],
                ),
                field="therapist_id",
            )
        therapist = self.catalog.therapists[picked]

        def room_busy(room_id: int) -> tuple[list[_Held], list[Interval]]:
            held = self._slice(self._diary.rooms[room_id], lo, hi, leave_out)
            spans = [(h.start, h.end) for h in held] + room_closed[room_id] + clinic_closed
            return held, merge(spans)

        if c.named_room:
            room = c.rooms[0]
            held, busy = room_busy(room.id)
            if overlaps(busy, *blocked):
                raise self._conflict(RoomBusy, room, held, req, c)
        else:
            busy_by_room = {r.id: room_busy(r.id) for r in c.rooms}
            preferred = req.preferred_room_id
            if preferred in busy_by_room and not overlaps(busy_by_room[preferred][1], *blocked):
                room = self.catalog.rooms[preferred]
            else:
                chosen = best_fit(
                    [(rid, busy) for rid, (_, busy) in busy_by_room.items()], blocked, tz
                )
                if chosen is None:
                    raise NoAvailability(
                        explanations.with_reasons(
                            f"No room suitable for {c.offer.name} is free "
                            f"{clinic_time.fmt_span(start, end, tz, locale)}",
                            [
                                self._why_not_room(rid, h, req, c)
                                for rid, (h, _) in busy_by_room.items()
                            ],
                        ),
                        field="room_id",
                    )
                room = self.catalog.rooms[chosen]
        mine = self.registered is not None and req.client_id == self.registered.id
        return Placement(
            req, c.offer, therapist, room, end, blocked, self.registered if mine else None
        )

    def _occupy(self, placement: Placement) -> None:
        """Later requests of this pass see the placement as taken."""
        index = len(self.placed)
        self.placed.append(placement)
        held = _Held(*placement.blocked, placed=index)
        insort(self._diary.therapists[placement.therapist.id], held)
        insort(self._diary.rooms[placement.room.id], held)
        if placement.request.client_id is not None:
            insort(self._diary.clients[placement.request.client_id], held)

    # -- helpers ---------------------------------------------------------------------------------

    def _closures(self, lo: datetime, hi: datetime) -> Iterable[tuple[int | None, Interval]]:
        return ((room, s) for room, s in self._diary.closures if s[0] < hi and s[1] > lo)

    @staticmethod
    def _slice(held: list[_Held], lo: datetime, hi: datetime, leave_out: int | None) -> list[_Held]:
        """What of a sorted list touches [lo, hi), less the booking being moved."""
        first = bisect_left(held, (lo - MAX_BOOKING_SPAN,))
        last = bisect_left(held, (hi,))
        return [
            h
            for h in held[first:last]
            if h.end > lo and (leave_out is None or h.booking_id != leave_out)
        ]

    def _why_not_therapist(
        self,
        therapist: Resource,
        present: bool,
        held: list[_Held],
        req: PlacementRequest,
        c: _Checked,
    ) -> ClinicError:
        if not present:
            diary = self._diary
            return explanations.absence(
                therapist.name,
                req.start,
                c.end,
                diary.time_off_rows.get(therapist.id, []),
                {s: r for (tid, s), r in diary.time_off_reasons.items() if tid == therapist.id},
                self.catalog.hours.get(therapist.id, ()),
                self.tz,
                self.catalog.locale,
            )
        return self._conflict(TherapistBusy, therapist, held, req, c)

    def _why_not_room(
        self, room_id: int, held: list[_Held], req: PlacementRequest, c: _Checked
    ) -> str:
        closed = self._closed(c.blocked, room_id)
        if closed is not None:
            return closed.message
        return self._conflict(RoomBusy, self.catalog.rooms[room_id], held, req, c).message

    def _closed(self, blocked: Interval, room_id: int | None) -> ClosedForBooking | None:
        names = {r.id: r.name for r in self.catalog.rooms.values()}
        diary = self._diary
        return explanations.closure(
            diary.closures,
            diary.closure_reasons,
            blocked,
            room_id,
            names,
            self.tz,
            self.catalog.locale,
        )

    def _conflict(
        self,
        error: type[BookingConflict],
        holder: Resource | None,
        held: list[_Held],
        req: PlacementRequest,
        c: _Checked,
    ) -> BookingConflict:
        """Names the first session in the way: a booking, or a placement of this pass."""
        blocked = c.blocked
        in_the_way = [h for h in held if h.start < blocked[1] and h.end > blocked[0]]
        first = min(in_the_way, key=self._session_start, default=None)
        if first is None:  # pragma: no cover - the engine saw it a moment ago
            return error("That time was just taken", field=_FIELDS[error])
        hold = None
        if first.placed >= 0:
            other = self.placed[first.placed]
            times, treatment = (other.start, other.end), other.treatment.name
        else:
            assert first.session_start and first.session_end and first.treatment_type_id
            times = (first.session_start, first.session_end)
            treatment = self.catalog.offers[first.treatment_type_id].name
            if first.status == BookingStatus.HELD.value:
                hold = explanations.hold(
                    self.session, first.booking_id, self.tz, self.catalog.locale
                )
        return explanations.busy(
            error,
            holder.name if holder is not None else "",
            treatment,
            times,
            (first.start, first.end),
            blocked,
            self.tz,
            (req.start, c.end),
            hold=hold,
            locale=self.catalog.locale,
        )

    def _session_start(self, held: _Held) -> datetime:
        if held.placed >= 0:
            return self.placed[held.placed].start
        assert held.session_start is not None
        return held.session_start


_FIELDS = {TherapistBusy: "therapist_id", RoomBusy: "room_id", ClientBusy: "client_id"}


def _blocked_start(row: BusyRow) -> datetime:
    return row.blocked_start


# -- locks -----------------------------------------------------------------------------------

# Advisory lock classes (PostgreSQL's two-key form): one per kind of thing a booking takes,
# and one for an e-mail address whose unconfirmed holds are counted (`lock_email`).
_CLIENT, _THERAPIST, _ROOM, _EMAIL = 7101, 7102, 7103, 7104
# Taken in one statement, in one global order (kind, id), so two writers never wait for
# each other; the subquery's ORDER BY fixes the order the locks are taken in.
_LOCK = text(
    "SELECT count(pg_advisory_xact_lock(k.kind, k.id)) FROM "
    "(SELECT * FROM unnest(CAST(:kinds AS integer[]), CAST(:ids AS integer[])) AS k(kind, id) "
    "ORDER BY 1, 2) AS k"
)
# An address has no id: its hash names the lock (a collision only makes two addresses queue).
_LOCK_EMAIL = text("SELECT pg_advisory_xact_lock(:kind, hashtext(:address))")
# PostgreSQL's "deadlock detected" and "could not serialize": two transactions wanted the same
# rows at once and the database chose this one to give way.
LOST_RACE_STATES = {"40P01", "40001"}


def lost_race(exc: DBAPIError) -> NoAvailability | None:
    """The refusal for a writer the database made give way, or None for other errors."""
    if getattr(exc.orig, "sqlstate", None) in LOST_RACE_STATES:
        return NoAvailability(
            "That time was taken by another booking made at the same moment; "
            "please choose another time",
            field="start",
        )
    return None


def _hold(
    session: Session,
    client_ids: Sequence[int],
    therapist_ids: Sequence[int],
    room_ids: Sequence[int],
    *,
    lock: bool,
    registering: Registration | None,
) -> Client | None:
    """Hold the clients, therapists and rooms a pass may take until the transaction ends
    (`lock`), after finding or registering the client given by `registering` (returned).

    On PostgreSQL, writers racing for the same people or rooms then read the calendars one
    after the other, so the loser hears what is in its way rather than a bare constraint
    violation; a client being registered is held in the same statement that registers them.
    SQLite needs no locks: a write transaction holds the database's lock.
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    if registering is not None and not (lock and postgres):
        return register(session, registering)
    if not (lock and postgres):
        return None
    keys = sorted(
        [(_CLIENT, i) for i in client_ids]
        + [(_THERAPIST, i) for i in therapist_ids]
        + [(_ROOM, i) for i in room_ids]
    )
    params: dict[str, object] = {"kinds": [k for k, _ in keys], "ids": [i for _, i in keys]}
    if registering is None:
        if keys:
            _take(session, _LOCK, params)
        return None
    row = _take(session, _registering_lock(), {**registering.params, **params}).one()
    return registered(session, row._mapping)


@cache
def _registering_lock() -> Select[Any]:
    """`_LOCK` with the client being registered among the keys, in one statement: the
    registering INSERT as a CTE, and the locks taken in the same global order."""
    client = register_statement("postgresql").cte("registered")
    kinds = func.array_append(bindparam("kinds", type_=ARRAY(Integer)), _CLIENT)
    ids = func.array_append(bindparam("ids", type_=ARRAY(Integer)), client.c.id)
    keys = func.unnest(kinds, ids).table_valued("kind", "id").render_derived(name="k")
    ordered = select(keys.c.kind, keys.c.id).order_by(keys.c.kind, keys.c.id).subquery("k")
    held = select(func.count(func.pg_advisory_xact_lock(ordered.c.kind, ordered.c.id)))
    return select(client, held.scalar_subquery().label("held"))


def lock_email(session: Session, address: str) -> None:
    """Hold an e-mail address until the transaction ends, so that counting what it already
    has and adding to it are one step for writers racing with the same address (taken before
    any placement lock, so it never waits inside one). SQLite's write lock already does it."""
    if session.get_bind().dialect.name == "postgresql":
        _take(session, _LOCK_EMAIL, {"kind": _EMAIL, "address": address.lower()})


def _take(session: Session, statement: Executable, params: dict[str, object]) -> Result[Any]:
    try:
        return session.connection().execute(statement, params)
    except DBAPIError as exc:
        refusal = lost_race(exc)
        if refusal is not None:
            raise refusal from None
        raise
