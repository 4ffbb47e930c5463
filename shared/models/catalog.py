"""What the clinic offers and where: treatment types, rooms and the features that match them."""

from decimal import Decimal

from sqlalchemy import CheckConstraint, Numeric, String, Text
from sqlmodel import Field, Relationship, SQLModel

from shared.models.tokens import new_token


class TreatmentFeature(SQLModel, table=True):
    """A room feature a treatment type needs."""

    __tablename__ = "treatment_feature"
    treatment_type_id: int = Field(
        foreign_key="treatment_type.id", primary_key=True, ondelete="CASCADE"
    )
    feature_id: int = Field(foreign_key="feature.id", primary_key=True, ondelete="CASCADE")


class RoomFeature(SQLModel, table=True):
    __tablename__ = "room_feature"
    room_id: int = Field(foreign_key="room.id", primary_key=True, ondelete="CASCADE")
    feature_id: int = Field(foreign_key="feature.id", primary_key=True, ondelete="CASCADE")


class TherapistSkill(SQLModel, table=True):
    """Which treatment types a therapist gives."""

    __tablename__ = "therapist_skill"
    therapist_id: int = Field(foreign_key="therapist.id", primary_key=True, ondelete="CASCADE")
    treatment_type_id: int = Field(
        foreign_key="treatment_type.id", primary_key=True, ondelete="CASCADE"
    )


class Feature(SQLModel, table=True):
    """Equipment a room has, e.g. a facial couch or a cupping set."""

    __tablename__ = "feature"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(120), unique=True)

    def __str__(self) -> str:
        return self.name


class TreatmentType(SQLModel, table=True):
    __tablename__ = "treatment_type"
    __table_args__ = (
        CheckConstraint("duration_minutes > 0", name="treatment_duration_positive"),
        CheckConstraint(
            "buffer_before_minutes >= 0 AND buffer_after_minutes >= 0",
            name="treatment_buffers_not_negative",
        ),
        CheckConstraint("price >= 0", name="treatment_price_not_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(120), unique=True)
    description: str = Field(default="", sa_type=Text)
    duration_minutes: int
    buffer_before_minutes: int = 0
    buffer_after_minutes: int = 0
    price: Decimal = Field(default=Decimal("0"), sa_type=Numeric(10, 2))
    currency: str = Field(default="EUR", sa_type=String(3))
    colour: str = Field(default="#8fbc8f", sa_type=String(7))
    active: bool = True
    online_booking: bool = False  # offered on the clinic's booking page (/book)

    required_features: list[Feature] = Relationship(link_model=TreatmentFeature)

    def __str__(self) -> str:
        return self.name


class Room(SQLModel, table=True):
    __tablename__ = "room"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(120), unique=True)
    active: bool = True
    feed_token: str = Field(default_factory=new_token, sa_type=String(64), index=True)

    features: list[Feature] = Relationship(link_model=RoomFeature)

    def __str__(self) -> str:
        return self.name
