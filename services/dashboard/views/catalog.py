"""The clinic's description: treatment types, rooms, therapists, hours, time off, closures.

Admins edit, receptionists read. Every save goes through `shared.catalog`, so the rules are
the domain's: no overlapping working blocks, no retiring a therapist who still has sessions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import flash, request, url_for
from flask import session as cookie
from flask_admin.form import Select2TagsField
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from sqlmodel import Session
from wtforms import (
    BooleanField,
    DecimalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from services.dashboard import context, wording
from services.dashboard.views import filters
from services.dashboard.views.base import (
    ClinicModelView,
    filtered_url,
    local_dt,
    options_from,
    swatch,
)
from services.dashboard.views.forms import (
    WEEKDAYS,
    ClinicDateField,
    ClinicTimeField,
    ColorField,
    LocalDateTimeField,
    MultiSelect,
    OptionalIdSelect,
    near_today,
    opts,
)
from shared import booking_queries, catalog, catalog_checks, clinic_time, directory
from shared.errors import InvalidInput
from shared.models import Closure, Room, Therapist, TimeOff, TreatmentType, WorkingHours


def _labelled(rows: Any) -> list[tuple[int, str]]:
    return [(r.id, r.name + ("" if r.active else " (inactive)")) for r in rows]


def therapist_options(session: Session) -> list[tuple[int, str]]:
    return _labelled(directory.therapists_by_name(session))


def room_options(session: Session) -> list[tuple[int, str]]:
    return _labelled(directory.rooms_by_name(session))


def treatment_options(session: Session) -> list[tuple[int, str]]:
    return _labelled(directory.treatment_types_by_name(session))


def _colour(view: Any, ctx: Any, model: Any, name: str) -> Markup:
    return swatch(getattr(model, name))


def _names(view: Any, ctx: Any, model: Any, name: str) -> str:
    return ", ".join(sorted(str(x) for x in getattr(model, name)))


def _weekday(view: Any, ctx: Any, model: Any, name: str) -> str:
    return WEEKDAYS[model.weekday]


def _local(view: Any, ctx: Any, model: Any, name: str) -> str:
    return local_dt(getattr(model, name))


def _csv_local(view: Any, ctx: Any, model: Any, name: str) -> str:
    return local_dt(getattr(model, name), with_weekday=False)


def _to_utc(value: datetime | None, field: str) -> datetime:
    if value is None:
        raise InvalidInput("enter a date and time", field=field)
    return clinic_time.local_to_utc(value.date(), value.time(), context.tz())


def _to_local(value: datetime) -> datetime:
    return value.astimezone(context.tz()).replace(tzinfo=None)


# -- treatment types --------------------------------------------------------------------------


class TreatmentTypeForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    description = TextAreaField("Description", validators=[Length(max=5000)])
    duration_minutes = IntegerField(
        "Duration (minutes)",
        validators=[InputRequired(), NumberRange(5, catalog.MAX_DURATION_MINUTES)],
    )
    buffer_before_minutes = IntegerField(
        "Preparation before (minutes)", default=0, validators=[InputRequired(), NumberRange(0, 120)]
    )
    buffer_after_minutes = IntegerField(
        "Clean-up after (minutes)", default=0, validators=[InputRequired(), NumberRange(0, 120)]
    )
    price = DecimalField("Price", places=2, default=0, validators=[InputRequired()])
    currency = StringField("Currency", default="EUR", validators=[Length(3, 3)])
    colour = ColorField("Colour in the day view", default="#8fbc8f")
    required_features = Select2TagsField(
        "Room features needed", save_as_list=True, description="e.g. facial couch"
    )
    active = BooleanField("Offered (untick to stop taking new bookings)", default=True)
    online_booking = BooleanField("Clients may book it on the clinic's booking page (/book)")


class TreatmentTypeView(ClinicModelView):
    form = TreatmentTypeForm
    help_text = (
        "What the clinic offers. Treatment types are never deleted (past sessions keep theirs): "
        "untick Offered to stop new bookings."
    )
    column_list = [
        "name",
        "duration_minutes",
        "buffer_before_minutes",
        "buffer_after_minutes",
        "price",
        "currency",
        "colour",
        "required_features",
        "active",
        "online_booking",
    ]
    column_labels = {
        "duration_minutes": "Minutes",
        "buffer_before_minutes": "Before",
        "buffer_after_minutes": "After",
        "required_features": "Needs",
        "active": "Offered",
        "online_booking": "Online",
    }
    column_searchable_list = ["name", "description"]
    column_filters = ["active"]
    column_default_sort = "name"
    column_formatters = {"colour": _colour, "required_features": _names}
    column_formatters_export = {"required_features": _names}
    refusal_fields = {"features": "required_features"}

    def save(self, session: Session, form: Any, model: Any) -> TreatmentType:
        return catalog.save_treatment_type(
            session,
            treatment_type_id=model.id if model else None,
            name=form.name.data or "",
            description=form.description.data or "",
            duration_minutes=form.duration_minutes.data,
            buffer_before_minutes=form.buffer_before_minutes.data,
            buffer_after_minutes=form.buffer_after_minutes.data,
            price=form.price.data,
            currency=(form.currency.data or "").upper(),
            colour=form.colour.data or "",
            active=bool(form.active.data),
            required_features=form.required_features.data or [],
            online_booking=bool(form.online_booking.data),
        )

    def after_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        """Warn when no room can take it: offered, yet never bookable (bug 5)."""
        with context.db().read() as session:
            tt = session.get(TreatmentType, model.id)
            warning = catalog_checks.unbookable_warning(session, tt) if tt else None
        if warning:
            flash(warning, "warning")


# -- rooms --------------------------------------------------------------------------------------


class RoomForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    features = Select2TagsField(
        "Features", save_as_list=True, description="equipment, e.g. facial couch, cupping set"
    )
    active = BooleanField("In use", default=True)


class RoomView(ClinicModelView):
    form = RoomForm
    help_text = (
        "Treatment rooms and their equipment; a treatment is only booked into a room that "
        "has every feature it needs. Feed links are under Feeds."
    )
    column_list = ["name", "features", "active"]
    column_labels = {"active": "In use"}
    column_searchable_list = ["name"]
    column_filters = ["active"]
    column_default_sort = "name"
    column_formatters = {"features": _names}
    column_formatters_export = {"features": _names}

    def save(self, session: Session, form: Any, model: Any) -> Room:
        return catalog.save_room(
            session,
            room_id=model.id if model else None,
            name=form.name.data or "",
            features=form.features.data or [],
            active=bool(form.active.data),
        )


# -- therapists ---------------------------------------------------------------------------------


class TherapistForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    email = StringField("E-mail", validators=[DataRequired(), Email(), Length(max=254)])
    colour = ColorField("Colour", default="#6a9fb5")
    treatment_type_ids = MultiSelect("Gives these treatments")
    active = BooleanField("Active (takes bookings)", default=True)


class TherapistView(ClinicModelView):
    form = TherapistForm
    help_text = (
        "Therapists and what they give. To retire one, untick Active: refused while they "
        "still have future sessions, which must be moved or cancelled first."
    )
    column_list = ["name", "email", "colour", "treatment_types", "active"]
    column_labels = {"treatment_types": "Gives"}
    column_searchable_list = ["name", "email"]
    column_filters = ["active"]
    column_default_sort = "name"
    column_formatters = {"colour": _colour, "treatment_types": _names}
    column_formatters_export = {"treatment_types": _names}
    refusal_fields = {"treatment_type_ids": "treatment_type_ids"}

    def _choices(self, form: Any) -> Any:
        with context.db().read() as session:
            form.treatment_type_ids.choices = opts(treatment_options(session))
        return form

    def prefill(self, form: Any, model: Therapist) -> None:
        form.treatment_type_ids.data = [t.id for t in model.treatment_types]

    def save(self, session: Session, form: Any, model: Any) -> Therapist:
        return catalog.save_therapist(
            session,
            therapist_id=model.id if model else None,
            name=form.name.data or "",
            email=form.email.data or "",
            colour=form.colour.data or "",
            active=bool(form.active.data),
            treatment_type_ids=form.treatment_type_ids.data or [],
        )


# -- working hours ------------------------------------------------------------------------------


class WorkingHoursForm(FlaskForm):
    therapist_id = SelectField("Therapist", coerce=int, validators=[InputRequired()])
    weekday = SelectField(
        "Day", coerce=int, choices=opts(enumerate(WEEKDAYS)), validators=[InputRequired()]
    )
    start_time = ClinicTimeField("From", validators=[InputRequired()])
    end_time = ClinicTimeField("Until", validators=[InputRequired()])
    valid_from = ClinicDateField("Valid from (optional)", validators=[Optional(), near_today])
    valid_to = ClinicDateField("Valid until (optional)", validators=[Optional(), near_today])


ADD_ANOTHER_THERAPIST = "hours_add_another_therapist"


class WorkingHoursView(ClinicModelView):
    form = WorkingHoursForm
    allow_delete = True
    help_text = (
        "Each therapist's weekly blocks in the clinic's local time; a lunch break is two "
        "blocks. Blocks of one therapist may not overlap on the same day."
    )
    column_list = ["therapist", "weekday", "start_time", "end_time", "valid_from", "valid_to"]
    column_labels = {
        "weekday": "Day",
        "start_time": "From",
        "end_time": "Until",
        "therapist.name": "Therapist",
    }
    column_sortable_list = [("therapist", "therapist.name"), "weekday", "start_time"]
    column_default_sort = [("therapist_id", False), ("weekday", False), ("start_time", False)]
    column_formatters = {"weekday": _weekday}
    column_formatters_export = {"weekday": _weekday}
    column_searchable_list = ["therapist.name"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.column_filters = [
            filters.Choice(
                WorkingHours.therapist_id, "Therapist", options_from(therapist_options), True
            ),
            filters.Choice(WorkingHours.weekday, "Day", list(enumerate(WEEKDAYS)), True),
        ]
        super().__init__(*args, **kwargs)

    def _choices(self, form: Any) -> Any:
        with context.db().read() as session:
            form.therapist_id.choices = opts(therapist_options(session))
        return form

    def save(self, session: Session, form: Any, model: Any) -> WorkingHours:
        return catalog.add_working_hours(
            session,
            therapist_id=form.therapist_id.data,
            weekday=form.weekday.data,
            start_time=form.start_time.data,
            end_time=form.end_time.data,
            valid_from=form.valid_from.data,
            valid_to=form.valid_to.data,
            working_hours_id=model.id if model else None,
        )

    def remove(self, session: Session, model: Any) -> None:
        catalog.remove_working_hours(session, model.id)

    def after_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        """ "Save and Add Another" keeps the therapist for the next block (it reset to the
        first in the list), remembered in the user's own session until that form shows."""
        if "_add_another" in request.form:
            cookie[ADD_ANOTHER_THERAPIST] = model.therapist_id

    def create_form(self, obj: Any = None) -> Any:
        form = super().create_form(obj)
        kept = cookie.pop(ADD_ANOTHER_THERAPIST, None) if request.method == "GET" else None
        if kept is not None:
            form.therapist_id.data = kept
        return form


# -- time off and closures ------------------------------------------------------------------


class TimeOffForm(FlaskForm):
    therapist_id = SelectField("Therapist", coerce=int, validators=[InputRequired()])
    starts = LocalDateTimeField("From", validators=[InputRequired()])
    ends = LocalDateTimeField("Until", validators=[InputRequired()])
    reason = StringField("Reason", validators=[Length(max=500)])


class _SpanView(ClinicModelView):
    """Time off and closures: local wall-clock spans; after a save, a warning names the
    sessions already booked in the span (they stay: the receptionist moves or cancels them)."""

    allow_delete = True
    refusal_fields = {"start": "starts", "end": "ends"}
    column_formatters = {"start_at": _local, "end_at": _local}
    column_formatters_export = {"start_at": _csv_local, "end_at": _csv_local}
    column_labels = {
        "start_at": "From",
        "end_at": "Until",
        "room": "Room",
        "therapist.name": "Therapist",
        "reason": "Reason",
    }
    column_default_sort = ("start_at", True)
    # "time off" or "closure", in the warning after a save.
    span_name = ""

    def prefill(self, form: Any, model: Any) -> None:
        form.starts.data = _to_local(model.start_at)
        form.ends.data = _to_local(model.end_at)

    def after_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        therapist_id = getattr(model, "therapist_id", None)
        room_id = getattr(model, "room_id", None)
        with context.db().read() as session:
            booked = booking_queries.live_sessions_between(
                session, model.start_at, model.end_at, therapist_id=therapist_id, room_id=room_id
            )
        if booked:
            link = _bookings_link(therapist_id, room_id, model)
            flash(
                Markup(
                    f"{wording.count(booked, 'booked session')} "
                    f"{'falls' if booked == 1 else 'fall'} in this {self.span_name}: "
                    f'<a href="{escape(link)}">see them</a> and move or cancel them.'
                ),
                "warning",
            )


class TimeOffView(_SpanView):
    form = TimeOffForm
    span_name = "time off"

    def may_write(self) -> bool:
        return current_user.is_authenticated and catalog.may_enter_time_off(
            context.clinic(), current_user.role
        )

    def get_save_return_url(self, model: Any, is_created: bool = False) -> str:
        """Saved time off that hits sessions opens the "to rebook" list, where they wait."""
        with context.db().read() as session:
            hit = booking_queries.live_sessions_between(
                session, model.start_at, model.end_at, therapist_id=model.therapist_id
            )
        if hit:
            return url_for("rebook.index")
        return str(super().get_save_return_url(model, is_created))

    help_text = (
        "Holidays, sick leave and training. Sessions already booked in that time stay: the "
        "dashboard says how many, so you can move or cancel them."
    )
    column_list = ["therapist", "start_at", "end_at", "reason"]
    column_sortable_list = [("therapist", "therapist.name"), "start_at", "end_at"]
    column_searchable_list = ["reason", "therapist.name"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.column_filters = [
            filters.Choice(
                TimeOff.therapist_id, "Therapist", options_from(therapist_options), True
            ),
            filters.LocalDateBetween(TimeOff.start_at, "Starts"),
            filters.LocalDateFrom(TimeOff.end_at, "Ends"),
        ]
        super().__init__(*args, **kwargs)

    def _choices(self, form: Any) -> Any:
        with context.db().read() as session:
            form.therapist_id.choices = opts(therapist_options(session))
        return form

    def save(self, session: Session, form: Any, model: Any) -> TimeOff:
        return catalog.add_time_off(
            session,
            therapist_id=form.therapist_id.data,
            start=_to_utc(form.starts.data, "start"),
            end=_to_utc(form.ends.data, "end"),
            reason=form.reason.data or "",
            time_off_id=model.id if model else None,
        )

    def remove(self, session: Session, model: Any) -> None:
        catalog.remove_time_off(session, model.id)


class ClosureForm(FlaskForm):
    room_id = OptionalIdSelect("Room")
    starts = LocalDateTimeField("From", validators=[InputRequired()])
    ends = LocalDateTimeField("Until", validators=[InputRequired()])
    reason = StringField("Reason", validators=[Length(max=500)])


def _room_or_clinic(view: Any, ctx: Any, model: Any, name: str) -> str:
    return model.room.name if model.room else "Whole clinic"


class ClosureView(_SpanView):
    form = ClosureForm
    span_name = "closure"
    help_text = (
        "A room out of use, or the whole clinic closed (public holidays). Nothing can be "
        "booked then; sessions already booked stay and are counted for you."
    )
    column_list = ["room", "start_at", "end_at", "reason"]
    column_sortable_list = ["start_at", "end_at"]
    column_searchable_list = ["reason"]
    column_formatters = {**_SpanView.column_formatters, "room": _room_or_clinic}
    column_formatters_export = {**_SpanView.column_formatters_export, "room": _room_or_clinic}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.column_filters = [
            filters.Choice(Closure.room_id, "Room", options_from(room_options), True),
            filters.LocalDateBetween(Closure.start_at, "Starts"),
            filters.LocalDateFrom(Closure.end_at, "Ends"),
        ]
        super().__init__(*args, **kwargs)

    def _choices(self, form: Any) -> Any:
        with context.db().read() as session:
            form.room_id.choices = opts([("", "Whole clinic"), *room_options(session)])
        return form

    def save(self, session: Session, form: Any, model: Any) -> Closure:
        return catalog.add_closure(
            session,
            start=_to_utc(form.starts.data, "start"),
            end=_to_utc(form.ends.data, "end"),
            room_id=form.room_id.data,
            reason=form.reason.data or "",
            closure_id=model.id if model else None,
        )

    def remove(self, session: Session, model: Any) -> None:
        catalog.remove_closure(session, model.id)


def _bookings_link(therapist_id: int | None, room_id: int | None, span: Any) -> str:
    """The bookings list filtered to a span (and a therapist or room), its days written as
    the clinic writes them: the filter's box shows them so."""
    tz, locale = context.tz(), context.locale()
    first = locale.day(span.start_at.astimezone(tz).date())
    last = locale.day(span.end_at.astimezone(tz).date())
    args: dict[str, Any] = {"date_between": f"{first} to {last}", "status_is": "booked"}
    if therapist_id is not None:
        args["therapist_is"] = therapist_id
    if room_id is not None:
        args["room_is"] = room_id
    return filtered_url("bookings.index_view", **args)
