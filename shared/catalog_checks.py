"""Set-ups the rules accept but that cannot work, said when they are saved: a treatment type
that needs room features no active room has is offered and yet can never be booked."""

from __future__ import annotations

from sqlmodel import Session, col, select

from shared import directory
from shared.models import Feature, Room, RoomFeature, TreatmentFeature, TreatmentType


def unbookable_warning(session: Session, tt: TreatmentType) -> str | None:
    """Why no room can take this treatment type, or None when one can (or it is not offered)."""
    if not tt.active or directory.suitable_room_ids(session, tt):
        return None
    needed = session.exec(
        select(Feature.name)
        .join(TreatmentFeature, col(TreatmentFeature.feature_id) == col(Feature.id))
        .where(TreatmentFeature.treatment_type_id == tt.id)
        .order_by(col(Feature.name))
    ).all()
    in_rooms = set(
        session.exec(
            select(Feature.name)
            .join(RoomFeature, col(RoomFeature.feature_id) == col(Feature.id))
            .join(Room, col(Room.id) == col(RoomFeature.room_id))
            .where(col(Room.active).is_(True))
        ).all()
    )
    nowhere = [n for n in needed if n not in in_rooms]
    if not needed:
        return f"{tt.name} can be booked in no room: the clinic has no active room"
    detail = (
        f"no active room has {', '.join(nowhere)}"
        if nowhere
        else f"no single active room has all of {', '.join(needed)}"
    )
    return (
        f"{tt.name} is offered but cannot be booked: {detail}. "
        "Add the feature to a room, or take it off the treatment type."
    )
