"""Therapists, their weekly hours and time off, and closures of rooms or the whole clinic."""

from datetime import date, datetime, time

from sqlalchemy import CheckConstraint, Column, Index, String, Text
from sqlmodel import Field, Relationship, SQLModel

from shared.models.catalog import Room, TherapistSkill, TreatmentType
from shared.models.tokens import new_token
from shared.models.types import UTCDateTime


class Therapist(SQLModel, table=True):
    __tablename__ = "therapist"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(120))
    email: str = Field(sa_type=String(254), unique=True)
    colour: str = Field(default="#6a9fb5", sa_type=String(7))
    active: bool = True
    feed_token: str = Field(default_factory=new_token, sa_type=String(64), index=True)

    treatment_types: list[TreatmentType] = Relationship(link_model=TherapistSkill)
    working_hours: list["WorkingHours"] = Relationship(
        back_populates="therapist", sa_relationship_kwargs={"cascade": "all, delete-orphan"}
    )

    def __str__(self) -> str:
        return self.name


class WorkingHours(SQLModel, table=True):
    """One block of a therapist's week, in the clinic's local time (weekday 0 is Monday)."""

    __tablename__ = "working_hours"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="working_hours_weekday"),
        CheckConstraint("start_time < end_time", name="working_hours_order"),
        CheckConstraint(
            "valid_from IS NULL OR valid_to IS NULL OR valid_from <= valid_to",
            name="working_hours_validity",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    therapist_id: int = Field(foreign_key="therapist.id", index=True, ondelete="CASCADE")
    weekday: int
    start_time: time
    end_time: time
    valid_from: date | None = None
    valid_to: date | None = None

    therapist: Therapist | None = Relationship(back_populates="working_hours")


class TimeOff(SQLModel, table=True):
    """A therapist is away (holiday, sick leave, training)."""

    __tablename__ = "time_off"
    __table_args__ = (
        CheckConstraint("start_at < end_at", name="time_off_order"),
        Index("ix_time_off_therapist_start", "therapist_id", "start_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    therapist_id: int = Field(foreign_key="therapist.id", ondelete="CASCADE")
    start_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    end_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    reason: str = Field(default="", sa_type=Text)

    therapist: Therapist | None = Relationship()


class Closure(SQLModel, table=True):
    """A room out of use, or (room_id empty) the whole clinic closed, e.g. a public holiday."""

    __tablename__ = "closure"
    __table_args__ = (
        CheckConstraint("start_at < end_at", name="closure_order"),
        Index("ix_closure_start", "start_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    room_id: int | None = Field(default=None, foreign_key="room.id", ondelete="CASCADE")
    start_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    end_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    reason: str = Field(default="", sa_type=Text)

    room: Room | None = Relationship()
