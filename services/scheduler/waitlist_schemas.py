"""Request and response models of the waiting-list API; the rules are `shared.waitlist`'s."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator

from services.scheduler.schemas import ClientIn, ClientOut, Day, Id, Ref, Strict

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
EntryState = Literal["waiting", "offered", "booked", "expired", "removed"]
OfferState = Literal["open", "taken", "declined", "expired", "withdrawn"]


class WaitlistCreate(Strict):
    treatment_type_id: Id
    therapist_id: Id | None = Field(default=None, description="Omit for any qualified therapist")
    client: ClientIn | None = None
    client_id: Id | None = None
    first_day: Day = Field(description="First local date wanted (YYYY-MM-DD), included")
    last_day: Day = Field(description="Last local date wanted, included; the entry expires after")
    mornings: bool = Field(default=True, description="Sessions starting before 12:00")
    afternoons: bool = Field(default=True, description="Sessions starting 12:00-16:59")
    evenings: bool = Field(default=True, description="Sessions starting at 17:00 or later")
    weekdays: Annotated[list[Weekday], Field(min_length=1, max_length=7)] = Field(
        default_factory=lambda: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
        description="The weekdays that suit, e.g. ['mon', 'thu']",
    )
    notes: Annotated[str, StringConstraints(max_length=2000)] = ""

    @model_validator(mode="after")
    def _one_client(self) -> WaitlistCreate:
        if (self.client is None) == (self.client_id is None):
            raise ValueError("give either client or client_id")
        return self


class WaitlistQuery(Strict):
    status: EntryState | None = None
    treatment_type_id: Id | None = None
    limit: Annotated[int, Field(ge=1, le=200)] = 50
    cursor: Annotated[str, StringConstraints(max_length=200)] | None = None


class OfferOut(BaseModel):
    id: int
    status: OfferState
    start: datetime
    therapist_id: int
    offered_at: datetime
    expires_at: datetime
    answered_at: datetime | None


class WaitlistEntryOut(BaseModel):
    id: int
    status: EntryState
    client: ClientOut
    treatment_type: Ref
    therapist: Ref | None
    first_day: date
    last_day: date
    mornings: bool
    afternoons: bool
    evenings: bool
    weekdays: list[Weekday]
    notes: str
    source: str
    joined_at: datetime
    booking_id: int | None = Field(description="The session booked from an offer, once taken")
    offer: OfferOut | None = Field(description="The newest offer made to this entry, if any")


class WaitlistPage(BaseModel):
    items: list[WaitlistEntryOut]
    next: str | None = Field(description="URL of the next page, or null on the last")
