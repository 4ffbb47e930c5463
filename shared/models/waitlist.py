"""The waiting list: clients who want a time that is not free yet, and the times offered them.

An entry waits in the order it joined (`joined_at`, then `id`); an offer is a hold (a booking
row that occupies its time until it is taken or lapses) made for one entry. The database keeps
an entry to one open offer at a time, whatever the number of workers matching at once.
"""

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, Index, String, Text, text
from sqlmodel import Field, SQLModel

from shared.models.types import UTCDateTime, utcnow


class EntryStatus(enum.StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"
    BOOKED = "booked"
    EXPIRED = "expired"
    REMOVED = "removed"


OPEN_ENTRY_STATUSES = (EntryStatus.WAITING, EntryStatus.OFFERED)


class OfferStatus(enum.StrEnum):
    OPEN = "open"
    TAKEN = "taken"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"  # the entry was removed while its offer was open


ALL_WEEKDAYS = 0b1111111  # bit 0 is Monday


class WaitlistEntry(SQLModel, table=True):
    __tablename__ = "waitlist_entry"
    __table_args__ = (
        CheckConstraint("first_day <= last_day", name="waitlist_entry_days"),
        CheckConstraint("weekdays BETWEEN 1 AND 127", name="waitlist_entry_weekdays"),
        CheckConstraint("mornings OR afternoons OR evenings", name="waitlist_entry_times"),
        CheckConstraint(
            "status IN ('waiting', 'offered', 'booked', 'expired', 'removed')",
            name="waitlist_entry_status",
        ),
        Index("ix_waitlist_entry_queue", "status", "joined_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True, ondelete="RESTRICT")
    treatment_type_id: int = Field(foreign_key="treatment_type.id", ondelete="RESTRICT")
    therapist_id: int | None = Field(default=None, foreign_key="therapist.id", ondelete="RESTRICT")
    first_day: date  # local dates, both included
    last_day: date
    mornings: bool = True  # starts before 12:00
    afternoons: bool = True  # starts 12:00-16:59
    evenings: bool = True  # starts at 17:00 or later
    weekdays: int = ALL_WEEKDAYS
    status: str = Field(default=EntryStatus.WAITING.value, sa_type=String(16))
    notes: str = Field(default="", sa_type=Text)
    source: str = Field(default="api", sa_type=String(32))
    created_by: str = Field(default="", sa_type=String(200))
    joined_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    booking_id: int | None = Field(default=None, foreign_key="booking.id", ondelete="SET NULL")

    def __str__(self) -> str:
        return f"Waiting list entry #{self.id}"


class WaitlistOffer(SQLModel, table=True):
    __tablename__ = "waitlist_offer"
    __table_args__ = (
        CheckConstraint(
            "status IN ('open', 'taken', 'declined', 'expired', 'withdrawn')",
            name="waitlist_offer_status",
        ),
        # At most one open offer per entry: two workers matching at once cannot both offer.
        Index(
            "ux_waitlist_offer_open_entry",
            "entry_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index("ix_waitlist_offer_open_expiry", "status", "expires_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="waitlist_entry.id", index=True, ondelete="CASCADE")
    # The hold: a booking row occupying the offered time until taken or released.
    booking_id: int = Field(foreign_key="booking.id", index=True, ondelete="RESTRICT")
    start_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    therapist_id: int = Field(foreign_key="therapist.id", ondelete="RESTRICT")
    status: str = Field(default=OfferStatus.OPEN.value, sa_type=String(16))
    token: str = Field(sa_type=String(64), unique=True)  # the links in the offer's e-mail
    offered_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    answered_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))

    def __str__(self) -> str:
        return f"Offer #{self.id}"
