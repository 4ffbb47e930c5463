"""Read-side lookups of the clinic's catalog, loaded eagerly so callers never query per row."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from shared.errors import NotFound
from shared.models import Room, Therapist, TreatmentType


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
