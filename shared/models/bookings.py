"""Bookings and their history.

`blocked_start`/`blocked_end` hold the interval with the treatment's buffers as they were when
booked, so that later edits of a treatment type never make old bookings overlap; the database
refuses overlapping live bookings of one therapist, room or client on that interval.
"""

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Index, String, Text
from sqlmodel import Field, Relationship, SQLModel

from shared.models.catalog import Room, TreatmentType
from shared.models.clients import Client
from shared.models.staff import Therapist
from shared.models.types import UTCDateTime, utcnow


class BookingStatus(enum.StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    NO_SHOW = "no_show"
    # Placed, occupying its time, awaiting the client's confirmation until `hold_expires_at`
    # (see shared.holds); an unconfirmed hold ends as cancelled, freeing the time.
    HELD = "held"


LIVE_STATUSES = (BookingStatus.BOOKED, BookingStatus.COMPLETED, BookingStatus.NO_SHOW)


class Booking(SQLModel, table=True):
    __tablename__ = "booking"
    __table_args__ = (
        CheckConstraint("start_at < end_at", name="booking_order"),
        CheckConstraint(
            "blocked_start <= start_at AND end_at <= blocked_end", name="booking_blocked_covers"
        ),
        CheckConstraint(
            "status IN ('booked', 'cancelled', 'completed', 'no_show', 'held')",
            name="booking_status",
        ),
        CheckConstraint("sequence >= 0", name="booking_sequence"),
        Index("ix_booking_blocked_start", "blocked_start"),
        Index("ix_booking_therapist_start", "therapist_id", "blocked_start"),
        Index("ix_booking_room_start", "room_id", "blocked_start"),
        Index("ix_booking_client_start", "client_id", "blocked_start"),
        Index("ix_booking_hold_token", "hold_token", unique=True),
        Index("ix_booking_hold_expires_at", "hold_expires_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(sa_type=String(120), unique=True)
    treatment_type_id: int = Field(foreign_key="treatment_type.id", ondelete="RESTRICT")
    therapist_id: int = Field(foreign_key="therapist.id", ondelete="RESTRICT")
    room_id: int = Field(foreign_key="room.id", ondelete="RESTRICT")
    client_id: int = Field(foreign_key="client.id", ondelete="RESTRICT")
    start_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    end_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    blocked_start: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    blocked_end: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    status: str = Field(default=BookingStatus.BOOKED.value, sa_type=String(16))
    sequence: int = 0
    source: str = Field(default="api", sa_type=String(32))
    notes: str = Field(default="", sa_type=Text)
    access_token: str = Field(sa_type=String(64), unique=True)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    cancelled_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    cancel_reason: str = Field(default="", sa_type=Text)
    # The course of treatment this session belongs to, if any (see shared.courses).
    course_id: int | None = Field(default=None, foreign_key="course.id", index=True)
    # A hold (status held): when it lapses unconfirmed, and the secret its confirmation link
    # carries. Both stay once confirmed, so a second use of the link finds the booking.
    hold_expires_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    hold_token: str | None = Field(default=None, sa_type=String(64))

    treatment_type: TreatmentType | None = Relationship()
    therapist: Therapist | None = Relationship()
    room: Room | None = Relationship()
    client: Client | None = Relationship()
    events: list["BookingEvent"] = Relationship(
        back_populates="booking",
        sa_relationship_kwargs={"order_by": "BookingEvent.id", "cascade": "all, delete-orphan"},
    )

    @property
    def is_live(self) -> bool:
        return self.status != BookingStatus.CANCELLED

    def __str__(self) -> str:
        return f"Booking #{self.id}"


class BookingEvent(SQLModel, table=True):
    """One change to a booking: what happened, when, by whom, and what changed."""

    __tablename__ = "booking_event"
    id: int | None = Field(default=None, primary_key=True)
    booking_id: int = Field(foreign_key="booking.id", index=True, ondelete="CASCADE")
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    actor: str = Field(sa_type=String(200))
    action: str = Field(sa_type=String(32))
    changes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))

    booking: Booking | None = Relationship(back_populates="events")
