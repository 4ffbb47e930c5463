"""Request and response models: they validate input, shape output and generate the OpenAPI."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from shared.clinic_time import year_problem
from shared.validation import MAX_ID

D = TypeVar("D", date, datetime)


def _sane_year(value: D) -> D:
    """Years 1900-2199 only: year 1 or 9999 is a typo, and a day beyond them overflows."""
    problem = year_problem(value)
    if problem:
        raise ValueError(problem)
    return value


Id = Annotated[int, Field(ge=1, le=MAX_ID, strict=False)]
Day = Annotated[date, AfterValidator(_sane_year)]
Instant = Annotated[AwareDatetime, AfterValidator(_sane_year)]
DayOrInstant = Annotated[date | AwareDatetime, AfterValidator(_sane_year)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Status = Literal["booked", "cancelled", "completed", "no_show", "held"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- requests -----------------------------------------------------------------------------------


class AvailabilityQuery(Strict):
    treatment_type_id: Id
    start: Day = Field(description="First local date (YYYY-MM-DD), included; 1900-2199")
    end: Day = Field(description="Last local date (YYYY-MM-DD), included; at most 31 days")
    therapist_id: Id | None = None


class ClientIn(Strict):
    name: Name
    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=254)] | None = None
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=50)] = ""


class BookingCreate(Strict):
    treatment_type_id: Id
    start: Instant = Field(description="ISO 8601 with a UTC offset, on the slot grid")
    therapist_id: Id | None = None
    room_id: Id | None = None
    client: ClientIn | None = None
    client_id: Id | None = None
    notes: Annotated[str, StringConstraints(max_length=5000)] = ""

    @model_validator(mode="after")
    def _one_client(self) -> BookingCreate:
        if (self.client is None) == (self.client_id is None):
            raise ValueError("give either client or client_id")
        return self


class BookingMove(Strict):
    start: Instant | None = None
    therapist_id: Id | None = None
    room_id: Id | None = None

    @model_validator(mode="after")
    def _something(self) -> BookingMove:
        if self.start is None and self.therapist_id is None and self.room_id is None:
            raise ValueError("give a new start, therapist_id or room_id")
        return self


class BookingCancel(Strict):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] = ""


class BookingQuery(Strict):
    start: DayOrInstant | None = Field(
        default=None, description="From this local date or instant (sessions ending after it)"
    )
    end: DayOrInstant | None = Field(
        default=None, description="Up to this local date (included) or instant (exclusive)"
    )
    therapist_id: Id | None = None
    room_id: Id | None = None
    client_id: Id | None = None
    status: Status | None = None
    limit: Annotated[int, Field(ge=1, le=200)] = 50
    cursor: Annotated[str, StringConstraints(max_length=200)] | None = None


# -- responses ----------------------------------------------------------------------------------


class TreatmentTypeOut(BaseModel):
    id: int
    name: str
    description: str
    duration_minutes: int
    buffer_before_minutes: int
    buffer_after_minutes: int
    price: str = Field(description="Decimal amount as a string, e.g. '85.00'")
    currency: str
    colour: str
    required_features: list[str]


class TherapistOut(BaseModel):
    id: int
    name: str
    colour: str
    treatment_type_ids: list[int]


class FeedUrls(BaseModel):
    https: str
    webcal: str


class TherapistDetail(TherapistOut):
    email: str
    active: bool
    feed: FeedUrls


class RoomOut(BaseModel):
    id: int
    name: str
    features: list[str]


class RoomDetail(RoomOut):
    active: bool
    feed: FeedUrls


T = TypeVar("T")


class Items(BaseModel, Generic[T]):
    items: list[T]


class SlotOut(BaseModel):
    start: datetime
    end: datetime = Field(description="End of the treatment itself, without buffers")
    therapist_id: int
    room_id: int


class Slots(BaseModel):
    slots: list[SlotOut]


class Ref(BaseModel):
    id: int
    name: str


class ClientOut(BaseModel):
    id: int
    name: str
    email: str | None
    phone: str


class BookingOut(BaseModel):
    id: int
    uid: str
    status: Status
    start: datetime
    end: datetime
    treatment_type: Ref
    therapist: Ref
    room: Ref
    client: ClientOut
    sequence: int
    source: str
    notes: str
    created_at: datetime
    updated_at: datetime
    cancelled_at: datetime | None
    cancel_reason: str
    course_id: int | None = Field(description="The course of treatment it belongs to, if any")


class BookingPage(BaseModel):
    items: list[BookingOut]
    next: str | None = Field(description="URL of the next page, or null on the last")


class ErrorBody(BaseModel):
    code: str
    message: str
    fields: dict[str, str]


class ErrorOut(BaseModel):
    error: ErrorBody


class ChangedOut(ErrorOut):
    """412: the booking changed since the ETag given in If-Match; here it is as it is now."""

    current: BookingOut


class Health(BaseModel):
    status: str
