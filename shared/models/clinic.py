"""The clinic itself: one row of settings every rule reads."""

from sqlalchemy import CheckConstraint, String
from sqlmodel import Field, SQLModel

from shared.models.tokens import new_token


class Clinic(SQLModel, table=True):
    __tablename__ = "clinic"
    __table_args__ = (
        CheckConstraint("id = 1", name="clinic_single_row"),
        CheckConstraint("slot_step_minutes > 0", name="clinic_slot_step_positive"),
        CheckConstraint("hold_minutes > 0", name="clinic_hold_minutes_positive"),
        CheckConstraint("offer_hours > 0", name="clinic_offer_hours_positive"),
    )

    id: int | None = Field(default=1, primary_key=True)
    name: str = Field(sa_type=String(200))
    address: str = Field(default="", sa_type=String(500))
    phone: str = Field(default="", sa_type=String(50))
    timezone: str = Field(default="Europe/Ljubljana", sa_type=String(64))
    slot_step_minutes: int = 15
    booking_horizon_days: int = 90
    course_horizon_weeks: int = 26  # how far ahead a course of treatment may reach
    min_notice_minutes: int = 120
    cancellation_notice_hours: int = 24
    reminder_hours_before: int = 24
    invite_therapists: bool = False
    feed_shows_client_details: bool = False
    # "sl-SI": how dates and times are written; "" means the timezone's country's (clinic_locale)
    locale: str = Field(default="", sa_type=String(16))
    receptionists_enter_time_off: bool = False  # else only admins enter time off
    feed_token: str = Field(default_factory=new_token, sa_type=String(64))
    # Online booking (/book): whether the page takes bookings, how long a page's hold waits
    # for the client's confirmation, and how long a waiting-list offer stays open.
    online_booking: bool = False
    hold_minutes: int = 15
    offer_hours: int = 2
    # The pages clients see (/book, /b/<token>) in the clinic's colour (shared.clinic_colours)
    brand_colour: str = Field(default="#3d6b5a", sa_type=String(7))
