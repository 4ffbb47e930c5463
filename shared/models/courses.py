"""Courses of treatment: ten or twelve sessions of one treatment, planned and booked as one.

Each session is an ordinary `Booking` whose `course_id` names its course; the course holds
what the sessions share (client, treatment, who booked it and why) and how it ended.
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, String, Text
from sqlmodel import Field, SQLModel

from shared.models.types import UTCDateTime, utcnow


class Course(SQLModel, table=True):
    __tablename__ = "course"
    __table_args__ = (CheckConstraint("planned_sessions >= 1", name="course_planned_sessions"),)

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True, ondelete="RESTRICT")
    treatment_type_id: int = Field(foreign_key="treatment_type.id", ondelete="RESTRICT")
    planned_sessions: int  # how many were booked together (cancelled ones included)
    notes: str = Field(default="", sa_type=Text)
    source: str = Field(default="api", sa_type=String(32))
    created_by: str = Field(default="", sa_type=String(200))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    cancelled_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    cancel_reason: str = Field(default="", sa_type=Text)

    def __str__(self) -> str:
        return f"Course #{self.id}"
