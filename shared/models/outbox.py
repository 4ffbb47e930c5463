"""Messages to send, written in the same transaction as the change that causes them."""

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Index, String, Text
from sqlmodel import Field, SQLModel

from shared.models.types import UTCDateTime, utcnow


class MessageKind(enum.StrEnum):
    INVITE = "invite"  # METHOD:REQUEST, first time
    UPDATE = "update"  # METHOD:REQUEST, moved
    CANCEL = "cancel"  # METHOD:CANCEL
    REMINDER = "reminder"
    COURSE_INVITE = "course_invite"  # METHOD:REQUEST, every session of a course in one e-mail
    COURSE_CANCEL = "course_cancel"  # METHOD:CANCEL, the sessions a course's cancel ended
    HOLD = "hold_confirm"  # the booking page's "please confirm" link (shared.holds)
    OFFER = "waitlist_offer"  # a waiting-list offer: "Take it" / "No thanks" (shared.offers)


class MessageStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"  # superseded by a newer message for the same booking and recipient


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox_message"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sent', 'failed', 'skipped')", name="outbox_status"),
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_booking_recipient", "booking_id", "recipient"),
    )

    id: int | None = Field(default=None, primary_key=True)
    booking_id: int = Field(foreign_key="booking.id", index=True, ondelete="CASCADE")
    # A course message (COURSE_*) covers the course's sessions; booking_id is its first one.
    course_id: int | None = Field(default=None, foreign_key="course.id", index=True)
    kind: str = Field(sa_type=String(16))
    recipient: str = Field(sa_type=String(254))
    recipient_role: str = Field(default="client", sa_type=String(16))
    booking_sequence: int = 0
    status: str = Field(default=MessageStatus.PENDING.value, sa_type=String(16))
    attempts: int = 0
    next_attempt_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    claimed_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    claim_token: str = Field(default="", sa_type=String(32))  # which worker run holds the claim
    last_error: str = Field(default="", sa_type=Text)
    message_id: str = Field(default="", sa_type=String(200))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    # What a calendar message said when sent (start, end, therapist, room, method, sequence).
    rendered: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
