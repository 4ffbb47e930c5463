"""Read-side lookups of the clinic's catalog, loaded eagerly so callers never query per row."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

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


def get_clinic(session: Session) -> Clinic:
    clinic = session.get(Clinic, 1)
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
