"""The clinic's settings (admins edit, receptionists read) and its calendar feed links."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField, ColorField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from services.dashboard import context, refusals
from services.dashboard.views.base import SecureView
from services.dashboard.views.forms import opts
from shared import catalog, clinic_locale, clinic_time, directory
from shared.errors import ClinicError
from shared.feeds import feed_urls
from shared.models.types import pk

SETTING_FIELDS = (
    "name",
    "address",
    "phone",
    "timezone",
    "slot_step_minutes",
    "booking_horizon_days",
    "course_horizon_weeks",
    "min_notice_minutes",
    "cancellation_notice_hours",
    "reminder_hours_before",
    "invite_therapists",
    "feed_shows_client_details",
    "locale",
    "receptionists_enter_time_off",
    "online_booking",
    "hold_minutes",
    "offer_hours",
    "brand_colour",
)


class SettingsForm(FlaskForm):
    name = StringField("Clinic name", validators=[DataRequired(), Length(max=200)])
    address = StringField("Address", validators=[Length(max=500)])
    phone = StringField("Phone", validators=[Length(max=50)])
    timezone = StringField(
        "Time zone",
        validators=[DataRequired(), Length(max=64)],
        description="IANA name, e.g. Europe/Ljubljana",
    )
    slot_step_minutes = SelectField(
        "Sessions start every",
        coerce=int,
        choices=opts((m, f"{m} minutes") for m in clinic_time.ALLOWED_SLOT_STEPS),
    )
    booking_horizon_days = IntegerField("Bookable up to (days ahead)", validators=[InputRequired()])
    course_horizon_weeks = IntegerField(
        "Courses of treatment reach up to (weeks ahead)",
        validators=[InputRequired()],
        description="a course may be booked further ahead than single sessions",
    )
    min_notice_minutes = IntegerField(
        "Minimum notice (minutes)",
        validators=[InputRequired()],
        description="clients cannot book sooner; staff may override it",
    )
    cancellation_notice_hours = IntegerField(
        "Clients may cancel online up to (hours before)", validators=[InputRequired()]
    )
    reminder_hours_before = IntegerField(
        "Reminder e-mail (hours before; 0 = none)", validators=[InputRequired()]
    )
    invite_therapists = BooleanField("Also send calendar invitations to therapists")
    feed_shows_client_details = BooleanField("Calendar feeds show clients' names")
    locale = SelectField(
        "Dates and times written as",
        choices=opts(
            [("", "the time zone's country's way")]
            + [(tag, f"{tag}: {loc.date_hint}") for tag, loc in clinic_locale.LOCALES.items()]
        ),
        description="also the country whose calling code a phone number may leave out",
        validate_choice=False,  # shared.catalog checks it, naming the locales it knows
    )
    receptionists_enter_time_off = BooleanField(
        "Receptionists may enter time off (e.g. a therapist calling in sick)"
    )
    online_booking = BooleanField(
        "Clients may book online (/book), for the treatment types marked Online"
    )
    hold_minutes = IntegerField(
        "An online booking waits for the client's confirmation (minutes)",
        validators=[Optional()],
        description="the time is held meanwhile; unconfirmed, it goes back to the diary",
    )
    offer_hours = IntegerField("A waiting-list offer stays open (hours)", validators=[Optional()])
    brand_colour = ColorField(
        "Colour of the clients' pages (booking page, confirmations, offers)",
        validators=[Optional()],
        description="text on it is white or near-black, whichever reads better; a middle "
        "tone that neither reads on is refused",
    )


class SettingsView(SecureView):
    """Everyone reads the settings; only admins change them."""

    @expose("/", methods=("GET", "POST"))
    def index(self) -> Any:
        clinic = context.clinic()
        if request.method == "POST":
            self.require_write()
            form = SettingsForm()
            if form.validate_on_submit():
                values = {f: getattr(form, f).data for f in SETTING_FIELDS}
                for text_field in ("name", "address", "phone", "timezone"):
                    values[text_field] = (values[text_field] or "").strip()
                values["invite_therapists"] = bool(values["invite_therapists"])
                values["feed_shows_client_details"] = bool(values["feed_shows_client_details"])
                values["locale"] = values["locale"] or ""
                values["receptionists_enter_time_off"] = bool(
                    values["receptionists_enter_time_off"]
                )
                values["online_booking"] = bool(values["online_booking"])
                values["brand_colour"] = values["brand_colour"] or None
                for left_as_is in ("hold_minutes", "offer_hours", "brand_colour"):  # left empty
                    if values[left_as_is] is None:
                        del values[left_as_is]
                try:
                    with context.db().transaction() as s:
                        catalog.configure_clinic(s, **values)
                    flash("Settings saved.", "success")
                    return redirect(url_for("settings.index"))
                except ClinicError as exc:
                    refusals.attach(exc, form)
            return self.render("dashboard/settings.html", form=form, clinic=clinic), 422
        form = SettingsForm(formdata=None, obj=clinic)
        return self.render("dashboard/settings.html", form=form, clinic=clinic)


@dataclass
class Feed:
    kind: str
    owner_id: int
    title: str
    subtitle: str
    colour: str
    urls: dict[str, str] | None
    active: bool = True


def _urls(kind: str, token: str) -> dict[str, str] | None:
    try:
        return feed_urls(context.settings().public_base_url, kind, token)
    except ValueError:
        return None  # no token yet: rotating makes one


class FeedsView(SecureView):
    """Calendar subscription links; rotating one cuts off everyone who had the old link."""

    @expose("/")
    def index(self) -> str:
        feeds: list[Feed] = []
        clinic = context.clinic()
        if clinic is not None:
            feeds.append(
                Feed(
                    "clinic",
                    1,
                    clinic.name,
                    "Every session of the clinic",
                    "#0f766e",
                    _urls("clinic", clinic.feed_token),
                )
            )
        with context.db().read() as s:
            therapists = directory.therapists_by_name(s)
            rooms = directory.rooms_by_name(s)
        for t in therapists:
            urls = _urls("therapist", t.feed_token)
            feeds.append(Feed("therapist", pk(t.id), t.name, t.email, t.colour, urls, t.active))
        for r in rooms:
            urls = _urls("room", r.feed_token)
            feeds.append(Feed("room", pk(r.id), r.name, "Room", "#64748b", urls, r.active))
        return self.render("dashboard/feeds.html", feeds=feeds, form=FlaskForm(formdata=None))

    @expose("/rotate/<kind>/<int:owner_id>", methods=("POST",))
    def rotate(self, kind: str, owner_id: int) -> Response:
        self.require_write()
        form = FlaskForm()
        if not form.validate_on_submit():
            abort(400)
        with context.db().transaction() as s:
            name = catalog.rotate_feed(s, kind, owner_id).name  # an unknown feed is a 404
        flash(
            f"New link for {name}: the old one stops working now. Send the new one to whoever "
            "subscribes to it.",
            "success",
        )
        return redirect(url_for("feeds.index") + f"#{kind}-{owner_id}")
