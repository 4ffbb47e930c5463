"""Read-side lookups of the clinic's catalog, loaded eagerly so callers never query per row."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from typing import TypeVar

from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from shared import clinic_locale
from shared.clinic_locale import Locale
from shared.errors import InactiveResource, NotFound
from shared.models import (
    Clinic,
    Room,
    RoomFeature,
    Therapist,
    TherapistSkill,
    TreatmentFeature,
    TreatmentType,
)
from shared.slots import Treatment


def treatment_types(session: Session) -> Sequence[TreatmentType]:
    return session.exec(
        select(TreatmentType)
        .where(col(TreatmentType.active).is_(True))
        .options(selectinload(TreatmentType.required_features))  # type: ignore[arg-type]
        .order_by(col(TreatmentType.id))
    ).all()


def therapists(session: Session) -> Sequence[Therapist]:
    return session.exec(
        select(Therapist)
        .where(col(Therapist.active).is_(True))
        .options(selectinload(Therapist.treatment_types))  # type: ignore[arg-type]
        .order_by(col(Therapist.id))
    ).all()


def rooms(session: Session) -> Sequence[Room]:
    return session.exec(
        select(Room)
        .where(col(Room.active).is_(True))
        .options(selectinload(Room.features))  # type: ignore[arg-type]
        .order_by(col(Room.id))
    ).all()


_Named = TypeVar("_Named", Therapist, Room, TreatmentType)


def _by_name(session: Session, model: type[_Named], active_only: bool) -> Sequence[_Named]:
    query = select(model).order_by(col(model.name), col(model.id))
    if active_only:
        query = query.where(col(model.active).is_(True))
    return session.exec(query).all()


def therapists_by_name(session: Session, *, active_only: bool = False) -> Sequence[Therapist]:
    """Every therapist (or only those taking bookings) in alphabetical order, for lists."""
    return _by_name(session, Therapist, active_only)


def rooms_by_name(session: Session, *, active_only: bool = False) -> Sequence[Room]:
    """Every room (or only those in use) in alphabetical order, for lists."""
    return _by_name(session, Room, active_only)


def treatment_types_by_name(
    session: Session, *, active_only: bool = False
) -> Sequence[TreatmentType]:
    """Every treatment type (or only those offered) in alphabetical order, for lists."""
    return _by_name(session, TreatmentType, active_only)


def therapist(session: Session, therapist_id: int) -> Therapist:
    """Raises NotFound."""
    found = session.get(Therapist, therapist_id)
    if found is None:
        raise NotFound(f"No therapist with id {therapist_id}", field="therapist_id")
    return found


def room(session: Session, room_id: int) -> Room:
    """Raises NotFound."""
    found = session.get(Room, room_id)
    if found is None:
        raise NotFound(f"No room with id {room_id}", field="room_id")
    return found


def find_clinic(session: Session) -> Clinic | None:
    """The clinic's settings row, or None before the clinic is set up."""
    return session.get(Clinic, 1)


def locale(session: Session) -> Locale:
    """How the clinic writes dates and times (ISO and 24-hour before it is set up)."""
    return clinic_locale.of_clinic(find_clinic(session))


def get_clinic(session: Session) -> Clinic:
    """Raises NotFound before the clinic is set up."""
    clinic = find_clinic(session)
    if clinic is None:
        raise NotFound("The clinic is not set up yet: run `clinic demo-data` or add its settings")
    return clinic


def get_treatment(session: Session, treatment_type_id: int, *, field: str) -> TreatmentType:
    tt = session.get(TreatmentType, treatment_type_id)
    if tt is None:
        raise NotFound(f"No treatment type with id {treatment_type_id}", field=field)
    if not tt.active:
        raise InactiveResource(f"{tt.name} is no longer offered", field=field)
    return tt


def treatment_of(tt: TreatmentType) -> Treatment:
    return Treatment(
        timedelta(minutes=tt.duration_minutes),
        timedelta(minutes=tt.buffer_before_minutes),
        timedelta(minutes=tt.buffer_after_minutes),
    )


def suitable_room_ids(session: Session, tt: TreatmentType) -> list[int]:
    """Active rooms that have every feature the treatment type needs."""
    needed = set(
        session.exec(
            select(TreatmentFeature.feature_id).where(TreatmentFeature.treatment_type_id == tt.id)
        ).all()
    )
    rows = session.exec(
        select(col(Room.id), col(RoomFeature.feature_id))
        .join(RoomFeature, col(RoomFeature.room_id) == Room.id, isouter=True)
        .where(col(Room.active).is_(True))
    ).all()
    has: dict[int, set[int]] = defaultdict(set)
    for room_id, feature_id in rows:
        if room_id is None:  # pragma: no cover - a primary key is never null
            continue
        features = has[room_id]
        if feature_id is not None:
            features.add(feature_id)
    return sorted(rid for rid, feats in has.items() if needed <= feats)


def qualified_therapist_ids(session: Session, tt: TreatmentType) -> list[int]:
    ids = session.exec(
        select(col(Therapist.id))
        .join(TherapistSkill, col(TherapistSkill.therapist_id) == Therapist.id)
        .where(TherapistSkill.treatment_type_id == tt.id, col(Therapist.active).is_(True))
        .order_by(col(Therapist.id))
    ).all()
    return [tid for tid in ids if tid is not None]


def move_choices(
    session: Session, tt: TreatmentType, *, keep_therapist_id: int | None = None
) -> tuple[list[Therapist], list[Room]]:
    """Who and where a session of `tt` may move to, by name: the therapists who give it (and
    `keep_therapist_id`, the one it has now, whatever became of them) and suitable rooms."""
    qualified = {*qualified_therapist_ids(session, tt), keep_therapist_id}
    suitable = set(suitable_room_ids(session, tt))
    return (
        [t for t in therapists_by_name(session) if t.id in qualified],
        [r for r in rooms_by_name(session) if r.id in suitable],
    )
