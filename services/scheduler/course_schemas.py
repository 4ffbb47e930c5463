"""Request and response models of the courses API (they validate input, shape output and
generate the OpenAPI); the rules themselves are the domain's (`shared.courses`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, Field, StringConstraints, model_validator

from services.scheduler.schemas import BookingOut, ClientIn, ClientOut, Id, Ref, Strict
from shared.course_plan import MAX_EVERY_DAYS, MAX_EVERY_WEEKS, MAX_SESSIONS, MIN_SESSIONS

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class RhythmIn(Strict):
    """Exactly one of the three."""

    every_weeks: Annotated[int, Field(ge=1, le=MAX_EVERY_WEEKS)] | None = Field(
        default=None, description="Every N weeks on the first session's weekday"
    )
    weekdays: Annotated[list[Weekday], Field(min_length=1, max_length=7)] | None = Field(
        default=None, description="These weekdays of every week, e.g. ['mon', 'thu']"
    )
    every_days: Annotated[int, Field(ge=1, le=MAX_EVERY_DAYS)] | None = Field(
        default=None, description="Every N days"
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> RhythmIn:
        given = [v for v in (self.every_weeks, self.weekdays, self.every_days) if v is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of every_weeks, weekdays or every_days")
        return self


class _ForClient(Strict):
    client: ClientIn | None = None
    client_id: Id | None = None

    @model_validator(mode="after")
    def _one_client(self) -> _ForClient:
        if (self.client is None) == (self.client_id is None):
            raise ValueError("give either client or client_id")
        return self


class CoursePreviewIn(_ForClient):
    treatment_type_id: Id
    therapist_id: Id | None = Field(default=None, description="Omit for any qualified therapist")
    first_start: AwareDatetime = Field(description="The first session, ISO 8601 with offset")
    rhythm: RhythmIn
    count: Annotated[int, Field(ge=MIN_SESSIONS, le=MAX_SESSIONS)]


class CourseSessionIn(Strict):
    start: AwareDatetime | None = Field(default=None, description="On the slot grid")
    therapist_id: Id | None = None
    room_id: Id | None = None
    booking_id: Id | None = Field(
        default=None, description="Instead of a start: a session the client already has"
    )

    @model_validator(mode="after")
    def _start_or_booking(self) -> CourseSessionIn:
        if (self.start is None) == (self.booking_id is None):
            raise ValueError("give either start or booking_id")
        return self


class CourseCreate(_ForClient):
    treatment_type_id: Id
    sessions: Annotated[
        list[CourseSessionIn], Field(min_length=MIN_SESSIONS, max_length=MAX_SESSIONS)
    ] = Field(description="In order, each after the one before")
    notes: Annotated[str, StringConstraints(max_length=5000)] = ""


class CourseCancel(Strict):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


class CourseQuery(Strict):
    client_id: Id


class AlternativeOut(BaseModel):
    start: datetime
    end: datetime
    therapist_id: int
    room_id: int


class PlannedSessionOut(BaseModel):
    start: datetime
    end: datetime
    therapist_id: int | None
    room_id: int | None
    free: bool
    reason: str | None = Field(description="Why the session cannot be had, for a receptionist")
    reason_code: str | None = Field(description="The refusal's code, e.g. therapist_time_off")
    alternatives: list[AlternativeOut] = Field(
        description="Up to three other times, each bookable beside the plan's free sessions"
    )


class CoursePreviewOut(BaseModel):
    therapist_id: int | None = Field(description="The course's therapist (asked for or chosen)")
    clashes: int
    sessions: list[PlannedSessionOut]


class CourseCounts(BaseModel):
    done: int = Field(description="Completed sessions")
    no_show: int
    remaining: int = Field(description="Sessions still booked")
    cancelled: int


class CourseOut(BaseModel):
    id: int
    client: ClientOut
    treatment_type: Ref
    planned_sessions: int
    notes: str
    created_at: datetime
    cancelled_at: datetime | None
    cancel_reason: str
    counts: CourseCounts
    done: int
    remaining: int
    cancelled: int
    sessions: list[BookingOut]


class CoursePage(BaseModel):
    items: list[CourseOut]
