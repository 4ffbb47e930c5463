"""The catalog as availability and the booking rules read it, cached per process.

Slots and bookings need the clinic's settings, the treatment types, who gives them, which
rooms suit them and everyone's weekly hours: six queries that return the same rows all day.
A process keeps them as a `CatalogSnapshot` under `catalog_version`, which triggers change in
the same transaction as any write to those tables (migration 0004), and to time off and
closures (0013: the day view's change marker reads it; a rare reload). A request starts from the
newest snapshot and confirms it with the version its own range read returns (`peek`,
`confirm`), or reads the version first (`catalog_snapshot`); the version is read before the
rows, so a snapshot is never older than its label, and a missing version row (a table emptied
by hand) disables the cache.
"""

from __future__ import annotations

import threading
import weakref
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Row, Select, event, select
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.pool import Pool
from sqlmodel import Session, col

from shared import clinic_locale, clinic_time
from shared.clinic_locale import Locale
from shared.errors import InactiveResource, NotFound
from shared.models import (
    CatalogVersion,
    Clinic,
    Room,
    RoomFeature,
    Therapist,
    TherapistSkill,
    TreatmentFeature,
    TreatmentType,
    WorkingHours,
)
from shared.models.types import pk

# What `load_snapshot` reads: each of these tables has a trigger that moves the version.
CACHED_TABLES = (
    "clinic",
    "treatment_type",
    "treatment_feature",
    "room",
    "room_feature",
    "therapist",
    "therapist_skill",
    "working_hours",
)


@dataclass(frozen=True)
class Block:
    """One block of a therapist's week in local time (the plain form of a WorkingHours row)."""

    weekday: int
    start_time: time
    end_time: time
    valid_from: date | None
    valid_to: date | None


@dataclass(frozen=True)
class Offer:
    """A treatment type as availability needs it: its timing, who gives it and where."""

    id: int
    name: str
    active: bool
    duration: timedelta
    buffer_before: timedelta
    buffer_after: timedelta
    therapist_ids: tuple[int, ...]  # active and qualified, by id
    room_ids: tuple[int, ...]  # active, with every feature the treatment needs, by id
    online: bool = False  # offered on the booking page
    # What the booking page shows of it.
    description: str = ""
    price: Decimal = Decimal("0")
    currency: str = "EUR"


@dataclass(frozen=True)
class Resource:
    """A therapist or a room: what the booking rules name and check."""

    id: int
    name: str
    active: bool


@dataclass(frozen=True)
class CatalogSnapshot:
    version: int | None
    tz: ZoneInfo
    step_minutes: int
    min_notice_minutes: int
    booking_horizon_days: int
    offers: dict[int, Offer]
    therapists: dict[int, Resource]  # every therapist, active or not
    rooms: dict[int, Resource]  # every room, active or not
    hours: dict[int, tuple[Block, ...]] = field(default_factory=dict)
    invite_therapists: bool = False
    reminder_hours_before: int = 0
    course_horizon_weeks: int = 26  # how far ahead a course of treatment may reach
    online_booking: bool = False  # the booking page takes bookings
    name: str = ""  # the clinic's, as its booking page introduces it
    phone: str = ""
    address: str = ""
    hold_minutes: int = 15  # how long a page's hold waits for the client's confirmation
    offer_hours: int = 2  # how long a waiting-list offer stays open
    brand_colour: str = "#3d6b5a"  # the client pages' colour (shared.clinic_colours)
    locale: Locale = clinic_locale.FALLBACK  # how the clinic writes dates and times

    @property
    def therapist_ids(self) -> frozenset[int]:
        return frozenset(self.therapists)

    def offer(self, treatment_type_id: int, *, field: str, retired_ok: bool = False) -> Offer:
        """Raises NotFound for an unknown treatment type, InactiveResource for a retired one
        (unless `retired_ok`: a session booked before it was retired may still be moved)."""
        found = self.offers.get(treatment_type_id)
        if found is None:
            raise NotFound(f"No treatment type with id {treatment_type_id}", field=field)
        if not found.active and not retired_ok:
            raise InactiveResource(f"{found.name} is no longer offered", field=field)
        return found

    def therapist(self, therapist_id: int, *, field: str = "therapist_id") -> Resource:
        """An active therapist. Raises NotFound, InactiveResource."""
        return _active(self.therapists.get(therapist_id), "therapist", therapist_id, field)

    def room(self, room_id: int, *, field: str = "room_id") -> Resource:
        """An active room. Raises NotFound, InactiveResource."""
        return _active(self.rooms.get(room_id), "room", room_id, field)


def _active(found: Resource | None, label: str, ident: int, field: str) -> Resource:
    if found is None:
        raise NotFound(f"No {label} with id {ident}", field=field)
    if not found.active:
        raise InactiveResource(f"{found.name} is not active", field=field)
    return found


def weekly_hours_query() -> Select[int, int, time, time, date | None, date | None]:
    """Working hours as plain columns; `block_of` turns a row into a Block."""
    return select(
        col(WorkingHours.therapist_id),
        col(WorkingHours.weekday),
        col(WorkingHours.start_time),
        col(WorkingHours.end_time),
        col(WorkingHours.valid_from),
        col(WorkingHours.valid_to),
    )


def block_of(row: Row[int, int, time, time, date | None, date | None]) -> Block:
    return Block(row.weekday, row.start_time, row.end_time, row.valid_from, row.valid_to)


_VERSION = select(col(CatalogVersion.version)).where(col(CatalogVersion.id) == 1)


def read_version(conn: Connection) -> int | None:
    return conn.execute(_VERSION).scalar()


def load_snapshot(conn: Connection, version: int | None) -> CatalogSnapshot:
    """Every catalog row availability reads, in six queries. Raises NotFound with no clinic."""
    clinic = conn.execute(
        select(
            col(Clinic.timezone),
            col(Clinic.slot_step_minutes),
            col(Clinic.min_notice_minutes),
            col(Clinic.booking_horizon_days),
            col(Clinic.invite_therapists),
            col(Clinic.reminder_hours_before),
            col(Clinic.course_horizon_weeks),
            col(Clinic.online_booking),
            col(Clinic.hold_minutes),
            col(Clinic.offer_hours),
            col(Clinic.name),
            col(Clinic.phone),
            col(Clinic.address),
            col(Clinic.brand_colour),
            col(Clinic.locale),
        ).where(col(Clinic.id) == 1)
    ).first()
    if clinic is None:
        raise NotFound("The clinic is not set up yet: run `clinic demo-data` or add its settings")

    needs: dict[int, set[int]] = defaultdict(set)
    for tt_id, feature_id in conn.execute(
        select(col(TreatmentFeature.treatment_type_id), col(TreatmentFeature.feature_id))
    ):
        needs[tt_id].add(feature_id)
    rooms: dict[int, Resource] = {}
    room_has: dict[int, set[int]] = {}  # active rooms only
    for room_id, name, active, feature_id in conn.execute(
        select(col(Room.id), col(Room.name), col(Room.active), col(RoomFeature.feature_id))
        .join(RoomFeature, col(RoomFeature.room_id) == col(Room.id), isouter=True)
        .order_by(col(Room.id))
    ):
        rooms[pk(room_id)] = Resource(pk(room_id), name, bool(active))
        if active:
            features = room_has.setdefault(pk(room_id), set())
            if feature_id is not None:
                features.add(feature_id)
    therapists: dict[int, Resource] = {}
    givers: dict[int, list[int]] = defaultdict(list)
    for therapist_id, name, active, tt_id in conn.execute(
        select(
            col(Therapist.id),
            col(Therapist.name),
            col(Therapist.active),
            col(TherapistSkill.treatment_type_id),
        )
        .join(TherapistSkill, col(TherapistSkill.therapist_id) == col(Therapist.id), isouter=True)
        .order_by(col(Therapist.id))
    ):
        therapists[pk(therapist_id)] = Resource(pk(therapist_id), name, bool(active))
        if active and tt_id is not None:
            givers[tt_id].append(pk(therapist_id))
    hours: dict[int, list[Block]] = defaultdict(list)
    for row in conn.execute(weekly_hours_query().order_by(col(WorkingHours.id))):
        hours[row.therapist_id].append(block_of(row))

    offers = {}
    for tt in conn.execute(
        select(
            col(TreatmentType.id),
            col(TreatmentType.name),
            col(TreatmentType.active),
            col(TreatmentType.duration_minutes),
            col(TreatmentType.buffer_before_minutes),
            col(TreatmentType.buffer_after_minutes),
            col(TreatmentType.online_booking),
            col(TreatmentType.description),
            col(TreatmentType.price),
            col(TreatmentType.currency),
        )
    ):
        tt_id = pk(tt.id)
        needed = needs.get(tt_id, set())
        offers[tt_id] = Offer(
            id=tt_id,
            name=tt.name,
            active=bool(tt.active),
            duration=timedelta(minutes=tt.duration_minutes),
            buffer_before=timedelta(minutes=tt.buffer_before_minutes),
            buffer_after=timedelta(minutes=tt.buffer_after_minutes),
            therapist_ids=tuple(givers.get(tt_id, ())),
            room_ids=tuple(sorted(r for r, has in room_has.items() if needed <= has)),
            online=bool(tt.online_booking),
            description=tt.description,
            price=Decimal(tt.price),
            currency=tt.currency,
        )
    return CatalogSnapshot(
        version=version,
        tz=clinic_time.zone(clinic.timezone),
        step_minutes=clinic.slot_step_minutes,
        min_notice_minutes=clinic.min_notice_minutes,
        booking_horizon_days=clinic.booking_horizon_days,
        offers=offers,
        therapists=therapists,
        rooms=rooms,
        hours={tid: tuple(blocks) for tid, blocks in hours.items()},
        invite_therapists=bool(clinic.invite_therapists),
        reminder_hours_before=clinic.reminder_hours_before,
        course_horizon_weeks=clinic.course_horizon_weeks,
        online_booking=bool(clinic.online_booking),
        name=clinic.name,
        phone=clinic.phone,
        address=clinic.address,
        hold_minutes=clinic.hold_minutes,
        offer_hours=clinic.offer_hours,
        brand_colour=clinic.brand_colour,
        locale=clinic_locale.locale_of(clinic.locale, clinic.timezone),
    )


class CatalogCache:
    """The newest snapshot this process has read from one database."""

    def __init__(self) -> None:
        self._current: CatalogSnapshot | None = None

    @property
    def current(self) -> CatalogSnapshot | None:
        return self._current

    def get(self, conn: Connection) -> CatalogSnapshot:
        version = read_version(conn)
        current = self._current
        if version is not None and current is not None and current.version == version:
            return current
        snapshot = load_snapshot(conn, version)
        if version is not None:
            self._current = snapshot  # one reference swap: safe across threads
        return snapshot


# One cache per connection pool: per database a process opened, whatever execution options
# (autocommit, BEGIN IMMEDIATE) its sessions use.
_caches: weakref.WeakKeyDictionary[Pool, CatalogCache] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def catalog_snapshot(session: Session) -> CatalogSnapshot:
    """The catalog as of this session's transaction: its version is read once per transaction
    (again after the session itself writes a catalog table). Raises NotFound with no clinic."""
    confirmed = _confirmed(session)
    if confirmed is not None:
        return confirmed
    conn = session.connection()
    snapshot = _cache(conn).get(conn)
    session.info[_MEMO] = (session.get_transaction(), snapshot)
    return snapshot


def peek(session: Session) -> tuple[CatalogSnapshot | None, bool]:
    """The snapshot to start from without a read, and whether it is confirmed for this
    transaction. An unconfirmed one is the newest this process has seen: the caller reads
    `catalog_version` in its own statement and passes the value to `confirm`."""
    confirmed = _confirmed(session)
    if confirmed is not None:
        return confirmed, True
    return _cache(session.connection()).current, False


def confirm(session: Session, snapshot: CatalogSnapshot, version: int | None) -> bool:
    """Whether `version`, read in the caller's statement, is the snapshot's; if so the
    snapshot serves the rest of the transaction."""
    if version is None or version != snapshot.version:
        return False
    session.info[_MEMO] = (session.get_transaction(), snapshot)
    return True


def is_confirmed(session: Session, snapshot: CatalogSnapshot) -> bool:
    return _confirmed(session) is snapshot


def _confirmed(session: Session) -> CatalogSnapshot | None:
    memo = session.info.get(_MEMO)
    if memo is not None and memo[0] is session.get_transaction():
        return memo[1]
    return None


def _cache(conn: Connection) -> CatalogCache:
    pool = conn.engine.pool
    cache = _caches.get(pool)
    if cache is None:
        with _caches_lock:
            cache = _caches.setdefault(pool, CatalogCache())
    return cache


_MEMO = "clinic.catalog_snapshot"


@event.listens_for(Session, "after_flush")
def _forget_after_catalog_write(session: Session, _context: object) -> None:
    if _MEMO in session.info and any(
        getattr(obj, "__tablename__", None) in CACHED_TABLES
        for obj in (*session.new, *session.dirty, *session.deleted)
    ):
        del session.info[_MEMO]


@event.listens_for(Session, "do_orm_execute")
def _forget_after_bulk_write(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info.pop(_MEMO, None)
