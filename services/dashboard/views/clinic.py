"""The clinic's settings (admins edit, receptionists read) and its calendar feed links."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_wtf import FlaskForm
from sqlmodel import select
from werkzeug.wrappers import Response
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length

from services.dashboard import context, refusals
from services.dashboard.views.base import SecureView
from services.dashboard.views.forms import opts
from shared import catalog, clinic_time
from shared.directory import get_clinic
from shared.errors import ClinicError
from shared.feeds import feed_urls
from shared.models import Clinic, Room, Therapist

SETTING_FIELDS = (
    "name",
    "address",
    "phone",
    "timezone",
    "slot_step_minutes",
    "booking_horizon_days",
    "min_notice_minutes",
    "cancellation_notice_hours",
    "reminder_hours_before",
    "invite_therapists",
    "feed_shows_client_details",
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
        with context.db().read() as s:
            clinic = s.get(Clinic, 1)
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
            for t in s.exec(select(Therapist).order_by(Therapist.name)):
                feeds.append(
                    Feed(
                        "therapist",
                        t.id or 0,
                        t.name,
                        t.email,
                        t.colour,
                        _urls("therapist", t.feed_token),
                        t.active,
                    )
                )
            for r in s.exec(select(Room).order_by(Room.name)):
                feeds.append(
                    Feed(
                        "room",
                        r.id or 0,
                        r.name,
                        "Room",
                        "#64748b",
                        _urls("room", r.feed_token),
                        r.active,
                    )
                )
        return self.render("dashboard/feeds.html", feeds=feeds, form=FlaskForm(formdata=None))

    @expose("/rotate/<kind>/<int:owner_id>", methods=("POST",))
    def rotate(self, kind: str, owner_id: int) -> Response:
        self.require_write()
        form = FlaskForm()
        if not form.validate_on_submit():
            abort(400)
        model: Any = {"clinic": Clinic, "therapist": Therapist, "room": Room}.get(kind)
        if model is None:
            abort(404)
        with context.db().transaction() as s:
            owner = get_clinic(s) if kind == "clinic" else s.get(model, owner_id)
            if owner is None:
                abort(404)
            catalog.rotate_feed_token(s, owner)
            name = owner.name
        flash(
            f"New link for {name}: the old one stops working now. Send the new one to whoever "
            "subscribes to it.",
            "success",
        )
        return redirect(url_for("feeds.index") + f"#{kind}-{owner_id}")
