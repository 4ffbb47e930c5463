"""Keeping the clinic's description up to date: settings, treatments, staff, rooms, hours.

The same checks serve the CLI, the demo data and the dashboard's forms. Each function may
flush, never commits, and raises InvalidInput / NotFound / DuplicateName / Conflict.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from sqlmodel import Session, SQLModel, col, func, select

from shared import clinic_colours, clinic_locale, clinic_time, validation
from shared.errors import Conflict, DuplicateName, InvalidInput, NotFound
from shared.explanations import counted
from shared.models import (
    Booking,
    BookingStatus,
    Clinic,
    Closure,
    Feature,
    Room,
    Therapist,
    TimeOff,
    TreatmentType,
    WorkingHours,
    utcnow,
)
from shared.models.tokens import new_token
from shared.models.types import pk

MAX_DURATION_MINUTES = 8 * 60
MAX_BUFFER_MINUTES = 120


new_feed_token = new_token


# -- clinic --------------------------------------------------------------------------------


def configure_clinic(session: Session, **values: Any) -> Clinic:
    """Create or update the clinic's settings. Raises InvalidInput."""
    clinic = session.get(Clinic, 1) or Clinic(id=1, name="")
    checks = {
        "name": lambda v: validation.text(v, "name", max_len=200),
        "address": lambda v: validation.text(v, "address", max_len=500, required=False),
        "phone": lambda v: validation.text(v, "phone", max_len=50, required=False),
        "timezone": lambda v: clinic_time.zone(v).key,
        "slot_step_minutes": _slot_step,
        "booking_horizon_days": lambda v: _whole(v, "booking_horizon_days", 1, 730),
        "course_horizon_weeks": lambda v: _whole(v, "course_horizon_weeks", 1, 104),
        "min_notice_minutes": lambda v: _whole(v, "min_notice_minutes", 0, 30 * 24 * 60),
        "cancellation_notice_hours": lambda v: _whole(v, "cancellation_notice_hours", 0, 720),
        "reminder_hours_before": lambda v: _whole(v, "reminder_hours_before", 0, 720),
        "invite_therapists": lambda v: _flag(v, "invite_therapists"),
        "feed_shows_client_details": lambda v: _flag(v, "feed_shows_client_details"),
        "locale": _locale,
        "receptionists_enter_time_off": lambda v: _flag(v, "receptionists_enter_time_off"),
        "online_booking": lambda v: _flag(v, "online_booking"),
        "hold_minutes": lambda v: _whole(v, "hold_minutes", 5, 24 * 60),
        "offer_hours": lambda v: _whole(v, "offer_hours", 1, 7 * 24),
        "brand_colour": clinic_colours.check,
    }
    checked: dict[str, Any] = {}
    for key, value in values.items():
        if key not in checks:
            raise InvalidInput("unknown setting", field=key)
        checked[key] = checks[key](value)
    if not checked.get("name", clinic.name):
        raise InvalidInput("the clinic needs a name", field="name")
    # Only once every value passed: a refused change leaves the clinic untouched.
    for key, value in checked.items():
        setattr(clinic, key, value)
    session.add(clinic)
    session.flush()
    return clinic


def _locale(value: Any) -> str:
    if value == "" or value in clinic_locale.LOCALES:
        return str(value)
    known = ", ".join(sorted(clinic_locale.LOCALES))
    raise InvalidInput(f"must be empty (from the timezone) or one of {known}", field="locale")


def _slot_step(value: Any) -> int:
    if value not in clinic_time.ALLOWED_SLOT_STEPS or isinstance(value, bool):
        allowed = ", ".join(map(str, clinic_time.ALLOWED_SLOT_STEPS))
        raise InvalidInput(f"must be one of {allowed} minutes", field="slot_step_minutes")
    return int(value)


def _whole(value: Any, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(f"must be a whole number from {low} to {high}", field=field)
    return value


def _flag(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput("must be true or false", field=field)
    return value


# -- features, treatment types, rooms --------------------------------------------------------


def features_named(session: Session, names: Iterable[str]) -> list[Feature]:
    """The features with these names, creating the missing ones."""
    out = []
    for raw in names:
        name = validation.text(raw, "features", max_len=120)
        feature = session.exec(select(Feature).where(Feature.name == name)).first()
        if feature is None:
            feature = Feature(name=name)
            session.add(feature)
            session.flush()
        out.append(feature)
    return out


def save_treatment_type(
    session: Session,
    *,
    treatment_type_id: int | None = None,
    name: str,
    duration_minutes: int,
    buffer_before_minutes: int = 0,
    buffer_after_minutes: int = 0,
    description: str = "",
    price: Decimal | str | int = 0,
    currency: str = "EUR",
    colour: str = "#8fbc8f",
    active: bool = True,
    required_features: Sequence[str] = (),
    online_booking: bool | None = None,
) -> TreatmentType:
    """Create or update a treatment type. Raises InvalidInput, NotFound, DuplicateName."""
    existing = _existing(session, TreatmentType, treatment_type_id)
    checked = {
        "name": _unique_name(session, TreatmentType, name, existing.id if existing else None),
        "duration_minutes": validation.minutes(
            duration_minutes, "duration_minutes", low=5, high=MAX_DURATION_MINUTES
        ),
        "buffer_before_minutes": validation.minutes(
            buffer_before_minutes, "buffer_before_minutes", low=0, high=MAX_BUFFER_MINUTES
        ),
        "buffer_after_minutes": validation.minutes(
            buffer_after_minutes, "buffer_after_minutes", low=0, high=MAX_BUFFER_MINUTES
        ),
        "description": validation.text(
            description or "", "description", max_len=5000, required=False
        ),
        "price": _price(price),
        "currency": _currency(currency),
        "colour": validation.colour(colour),
        "active": _flag(active, "active"),
    }
    if online_booking is not None:  # left as it is unless given
        checked["online_booking"] = _flag(online_booking, "online_booking")
    feature_names = _names(required_features, "required_features")
    tt = existing or TreatmentType(name="", duration_minutes=1)
    for key, value in checked.items():
        setattr(tt, key, value)
    tt.required_features = features_named(session, feature_names)
    session.add(tt)
    session.flush()
    return tt


def _currency(value: str) -> str:
    if not isinstance(value, str) or len(value) != 3 or not value.isalpha() or not value.isascii():
        raise InvalidInput("expected a three-letter currency code like EUR", field="currency")
    return value.upper()


def _names(values: Sequence[str], field: str) -> list[str]:
    """Checked feature names, each once, in the order given."""
    if isinstance(values, str):
        raise InvalidInput("expected a list of names", field=field)
    out: list[str] = []
    for raw in values:
        name = validation.text(raw, field, max_len=120)
        if name not in out:
            out.append(name)
    return out


def _price(value: Decimal | str | int) -> Decimal:
    try:
        price = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidInput("expected an amount like 65.00", field="price") from None
    if not price.is_finite() or price < 0 or price >= Decimal("100000000"):
        raise InvalidInput("expected an amount from 0 to 99999999.99", field="price")
    return price.quantize(Decimal("0.01"))


def save_room(
    session: Session,
    *,
    room_id: int | None = None,
    name: str,
    features: Sequence[str] = (),
    active: bool = True,
) -> Room:
    """Raises InvalidInput, NotFound, DuplicateName, Conflict (deactivating with sessions ahead)."""
    existing = _existing(session, Room, room_id)
    checked_name = _unique_name(session, Room, name, existing.id if existing else None)
    feature_names = _names(features, "features")
    checked_active = _flag(active, "active")
    if existing is not None and existing.active and not checked_active:
        _refuse_deactivation(session, existing.name, room_id=existing.id)
    room = existing or Room(name="")
    room.name, room.active = checked_name, checked_active
    room.features = features_named(session, feature_names)
    session.add(room)
    session.flush()
    return room


# -- therapists and their time ------------------------------------------------------------------


def save_therapist(
    session: Session,
    *,
    therapist_id: int | None = None,
    name: str,
    email: str,
    colour: str = "#6a9fb5",
    active: bool = True,
    treatment_type_ids: Sequence[int] = (),
) -> Therapist:
    """Raises InvalidInput, NotFound, DuplicateName, Conflict (retiring with sessions ahead)."""
    existing = _existing(session, Therapist, therapist_id)
    checked_name = validation.text(name, "name", max_len=120)
    address = validation.email(email)
    clash = session.exec(select(Therapist).where(Therapist.email == address)).first()
    if clash is not None and (existing is None or clash.id != existing.id):
        raise DuplicateName(f"{clash.name} already uses {address}", field="email")
    checked_colour = validation.colour(colour)
    checked_active = _flag(active, "active")
    if existing is not None and existing.active and not checked_active:
        _refuse_deactivation(session, existing.name, therapist_id=existing.id)
    if isinstance(treatment_type_ids, str | int):
        raise InvalidInput("expected a list of ids", field="treatment_type_ids")
    skills: list[TreatmentType] = []
    for tt_id in treatment_type_ids:
        validation.positive_id(tt_id, "treatment_type_ids")
        tt = session.get(TreatmentType, tt_id)
        if tt is None:
            raise NotFound(f"No treatment type with id {tt_id}", field="treatment_type_ids")
        if tt not in skills:
            skills.append(tt)
    therapist = existing or Therapist(name="", email="")
    therapist.name, therapist.email = checked_name, address
    therapist.colour, therapist.active = checked_colour, checked_active
    therapist.treatment_types = skills
    session.add(therapist)
    session.flush()
    return therapist


def add_working_hours(
    session: Session,
    *,
    therapist_id: int,
    weekday: int,
    start_time: time,
    end_time: time,
    valid_from: date | None = None,
    valid_to: date | None = None,
    working_hours_id: int | None = None,
) -> WorkingHours:
    """Add (or change) one weekly block. Raises InvalidInput (incl. overlapping blocks)."""
    therapist = _get(session, Therapist, therapist_id, "therapist_id")
    if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
        raise InvalidInput("weekday must be 0 (Monday) to 6 (Sunday)", field="weekday")
    for value, field in ((start_time, "start_time"), (end_time, "end_time")):
        if not isinstance(value, time) or value.tzinfo is not None:
            raise InvalidInput("expected a local time like 09:00", field=field)
    if end_time <= start_time:
        raise InvalidInput("ends before it starts", field="end_time")
    valid_from, valid_to = _day(valid_from, "valid_from"), _day(valid_to, "valid_to")
    if valid_from and valid_to and valid_to < valid_from:
        raise InvalidInput("valid to is before valid from", field="valid_to")
    block = _existing(session, WorkingHours, working_hours_id) or WorkingHours(
        therapist_id=pk(therapist.id), weekday=weekday, start_time=start_time, end_time=end_time
    )
    for other in session.exec(
        select(WorkingHours).where(
            WorkingHours.therapist_id == therapist.id, WorkingHours.weekday == weekday
        )
    ):
        if other.id == block.id:
            continue
        same_period = (other.valid_from or date.min) <= (valid_to or date.max) and (
            valid_from or date.min
        ) <= (other.valid_to or date.max)
        if same_period and other.start_time < end_time and start_time < other.end_time:
            raise InvalidInput(
                f"overlaps {therapist.name}'s block "
                f"{other.start_time:%H:%M}-{other.end_time:%H:%M} on that day",
                field="start_time",
            )
    block.therapist_id = pk(therapist.id)
    block.weekday, block.start_time, block.end_time = weekday, start_time, end_time
    block.valid_from, block.valid_to = valid_from, valid_to
    session.add(block)
    session.flush()
    return block


def remove_working_hours(session: Session, working_hours_id: int) -> None:
    """Take one weekly block away; sessions already booked in it stay.
    Raises InvalidInput, NotFound."""
    session.delete(_get(session, WorkingHours, working_hours_id, "id"))
    session.flush()


def may_enter_time_off(clinic: Clinic | None, role: str) -> bool:
    """Admins always; receptionists when the clinic lets them (a therapist calling in sick)."""
    return role == "admin" or bool(clinic and clinic.receptionists_enter_time_off)


def add_time_off(
    session: Session,
    *,
    therapist_id: int,
    start: datetime,
    end: datetime,
    reason: str = "",
    time_off_id: int | None = None,
) -> TimeOff:
    """Add (or, with `time_off_id`, change) a therapist's time off. Existing bookings stay:
    the caller decides about them. Raises InvalidInput, NotFound."""
    existing = _existing(session, TimeOff, time_off_id)
    therapist = _get(session, Therapist, therapist_id, "therapist_id")
    start, end = _span(start, end)
    checked_reason = validation.text(reason or "", "reason", max_len=500, required=False)
    off = existing or TimeOff(therapist_id=pk(therapist.id), start_at=start, end_at=end)
    off.therapist_id, off.start_at, off.end_at = pk(therapist.id), start, end
    off.reason = checked_reason
    session.add(off)
    session.flush()
    return off


def remove_time_off(session: Session, time_off_id: int) -> None:
    """The therapist is bookable again in that time. Raises InvalidInput, NotFound."""
    session.delete(_get(session, TimeOff, time_off_id, "id"))
    session.flush()


def add_closure(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    room_id: int | None = None,
    reason: str = "",
    closure_id: int | None = None,
) -> Closure:
    """Close a room, or (no room) the whole clinic; with `closure_id`, change a closure.
    Raises InvalidInput, NotFound."""
    existing = _existing(session, Closure, closure_id)
    if room_id is not None:
        _get(session, Room, room_id, "room_id")
    start, end = _span(start, end)
    checked_reason = validation.text(reason or "", "reason", max_len=500, required=False)
    closure = existing or Closure(start_at=start, end_at=end)
    closure.room_id, closure.start_at, closure.end_at = room_id, start, end
    closure.reason = checked_reason
    session.add(closure)
    session.flush()
    return closure


def remove_closure(session: Session, closure_id: int) -> None:
    """The room (or the clinic) is bookable again then. Raises InvalidInput, NotFound."""
    session.delete(_get(session, Closure, closure_id, "id"))
    session.flush()


def future_bookings_count(
    session: Session, *, therapist_id: int | None = None, room_id: int | None = None
) -> int:
    """Live bookings still ahead, e.g. before deactivating a therapist or a room."""
    query = (
        select(func.count())
        .select_from(Booking)
        .where(col(Booking.status) == BookingStatus.BOOKED.value, col(Booking.start_at) > utcnow())
    )
    if therapist_id is not None:
        query = query.where(Booking.therapist_id == therapist_id)
    if room_id is not None:
        query = query.where(Booking.room_id == room_id)
    return int(session.exec(query).one())


def deactivate_therapist(session: Session, therapist_id: int) -> Therapist:
    """Raises Conflict while the therapist still has future sessions (move or cancel them)."""
    therapist = _get(session, Therapist, therapist_id, "therapist_id")
    _refuse_deactivation(session, therapist.name, therapist_id=therapist.id)
    therapist.active = False
    session.flush()
    return therapist


def _refuse_deactivation(session: Session, name: str, **owner: int | None) -> None:
    """A therapist or room with sessions ahead stays active until they are moved or cancelled."""
    ahead = future_bookings_count(session, **owner)
    if ahead:
        raise Conflict(
            f"{name} still has {counted(ahead, 'future session')}: move or cancel them first",
            field="active",
        )


def rotate_feed_token(session: Session, owner: Clinic | Therapist | Room) -> str:
    owner.feed_token = new_feed_token()
    session.add(owner)
    session.flush()
    return owner.feed_token


FEED_OWNERS: dict[str, type[Clinic] | type[Therapist] | type[Room]] = {
    "clinic": Clinic,
    "therapist": Therapist,
    "room": Room,
}


def rotate_feed(session: Session, kind: str, owner_id: int) -> Clinic | Therapist | Room:
    """A new link for the clinic's, a therapist's or a room's calendar feed; whoever had the
    old one is cut off. Raises NotFound (no such kind of feed, or no such owner)."""
    model = FEED_OWNERS.get(kind)
    if model is None:
        raise NotFound(f"No calendar feed of kind {kind!r}", field="kind")
    owner = _get(session, model, 1 if model is Clinic else owner_id, "owner_id")
    rotate_feed_token(session, owner)
    return owner


# -- helpers ------------------------------------------------------------------------------------


def _day(value: date | None, field: str) -> date | None:
    if value is not None and (not isinstance(value, date) or isinstance(value, datetime)):
        raise InvalidInput("expected a date like 2027-03-01", field=field)
    return value


def _span(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    start = clinic_time.require_aware(start, "start")
    end = clinic_time.require_aware(end, "end")
    if end <= start:
        raise InvalidInput("ends before it starts", field="end")
    return start, end


_Row = TypeVar("_Row", bound=SQLModel)


def _get(session: Session, model: type[_Row], ident: int, field: str) -> _Row:
    validation.positive_id(ident, field)
    obj = session.get(model, ident)
    if obj is None:
        raise NotFound(f"No {model.__name__.lower()} with id {ident}", field=field)
    return obj


def _existing(session: Session, model: type[_Row], ident: int | None) -> _Row | None:
    return None if ident is None else _get(session, model, ident, "id")


def _unique_name(session: Session, model: Any, name: str, own_id: int | None) -> str:
    name = validation.text(name, "name", max_len=120)
    clash = session.exec(select(model).where(model.name == name)).first()
    if clash is not None and clash.id != own_id:
        raise DuplicateName(f"{name!r} already exists", field="name")
    return name
