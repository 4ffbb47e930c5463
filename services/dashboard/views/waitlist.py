"""The waiting list at the reception: add a client while on the phone, see who waits in line
with their offers, and take an entry off the list.

Entries come from `shared.waitlist` (join, list_entries, remove), each in one transaction; a
refusal shows the rule's words under its field.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField, HiddenField, SelectMultipleField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from services.dashboard import context
from services.dashboard.views.base import SecureView
from services.dashboard.views.book import chosen_client
from services.dashboard.views.forms import ClinicDateField, OptionalIdSelect, near_today, opts
from shared import clients, clinic_time, directory, explanations, offers, waitlist
from shared.errors import ClinicError
from shared.models import EntryStatus

STATE_LABELS = {
    "waiting": "Waiting",
    "offered": "Offered",
    "booked": "Booked",
    "expired": "Expired",
    "removed": "Removed",
}
OFFER_LABELS = {
    "open": "open",
    "taken": "taken",
    "declined": "declined",
    "expired": "lapsed",
    "withdrawn": "withdrawn",
}
WEEKDAY_LABELS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
FIELDS = {  # the domain's field names, as this form calls them
    "client_id": "client_id",
    "treatment_type_id": "treatment_type_id",
    "therapist_id": "therapist_id",
    "first_day": "first_day",
    "last_day": "last_day",
    "times": "mornings",
    "weekdays": "weekdays",
    "notes": "notes",
}


class EntryForm(FlaskForm):
    client_id = HiddenField()
    treatment_type_id = OptionalIdSelect("Treatment", validators=[InputRequired()])
    therapist_id = OptionalIdSelect("Therapist")
    first_day = ClinicDateField("From", validators=[InputRequired(), near_today])
    last_day = ClinicDateField("Until", validators=[InputRequired(), near_today])
    mornings = BooleanField("Mornings (before 12:00)", default=True)
    afternoons = BooleanField("Afternoons (12:00 to 17:00)", default=True)
    evenings = BooleanField("Evenings (from 17:00)", default=True)
    weekdays = SelectMultipleField(
        "Weekdays",
        choices=opts((str(i), label) for i, label in enumerate(WEEKDAY_LABELS)),
        default=[str(i) for i in range(7)],
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
    )
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=2000)])


class WaitlistView(SecureView):
    admin_writes = False  # the receptionist adds and removes entries

    @expose("/", methods=("GET", "POST"))
    def index(self) -> Any:
        form = EntryForm(formdata=request.form if request.method == "POST" else request.args)
        if request.method == "GET":
            form = EntryForm(formdata=None, client_id=request.args.get("client_id", ""))
        self._choices(form)
        if request.method == "POST" and self._add(form):
            return redirect(url_for(".index"))
        status = 422 if request.method == "POST" else 200
        return self.render("dashboard/waitlist.html", **self._page(form)), status

    @expose("/<int:entry_id>/remove", methods=("POST",))
    def remove(self, entry_id: int) -> Response:
        if not FlaskForm().validate_on_submit():
            flash("The form expired: try again.", "danger")
            return redirect(url_for(".index"))
        try:
            with context.db().transaction() as s:
                waitlist.remove(s, entry_id, actor=current_user.actor, now=context.now())
            flash(f"Entry #{entry_id} is off the waiting list.", "success")
        except ClinicError as exc:
            flash(exc.message, "danger")
        return redirect(url_for(".index", state=request.args.get("state", "")))

    @expose("/offer/<int:offer_id>/withdraw", methods=("POST",))
    def withdraw(self, offer_id: int) -> Response:
        """An offer the client declined by phone: its time goes to the next in line."""
        if not FlaskForm().validate_on_submit():
            flash("The form expired: try again.", "danger")
            return redirect(url_for(".index"))
        try:
            with context.db().transaction() as s:
                offers.withdraw(s, offer_id, actor=current_user.actor, now=context.now())
            flash("Offer withdrawn: its time goes to the next in line.", "success")
        except ClinicError as exc:
            flash(exc.message, "danger")
        return redirect(url_for(".index", state=request.args.get("state", "")))

    def _add(self, form: EntryForm) -> bool:
        """Put the chosen client on the list, or show why not under the field (False)."""
        if not form.validate_on_submit():
            return False
        client = chosen_client(form.client_id.data)
        if client is None:
            form.client_id.errors = ["choose the client first"]
            return False
        try:
            with context.db().transaction() as s:
                entry = waitlist.join(
                    s,
                    client_id=client.id,  # type: ignore[arg-type]
                    treatment_type_id=form.treatment_type_id.data,  # type: ignore[arg-type]
                    wishes=waitlist.Wishes(
                        first_day=form.first_day.data,  # type: ignore[arg-type]
                        last_day=form.last_day.data,  # type: ignore[arg-type]
                        mornings=bool(form.mornings.data),
                        afternoons=bool(form.afternoons.data),
                        evenings=bool(form.evenings.data),
                        weekdays=frozenset(int(d) for d in form.weekdays.data or []),
                        therapist_id=form.therapist_id.data,
                    ),
                    notes=form.notes.data or "",
                    actor=current_user.actor,
                    source="dashboard",
                    now=context.now(),
                )
                number = entry.id
        except ClinicError as exc:
            target = getattr(form, exc.field or "", None) if exc.field in FIELDS else None
            if exc.field == "times":
                target = form.mornings
            if target is None or exc.field == "entry_id":
                target = form.treatment_type_id
            target.errors = [*target.errors, exc.message]
            return False
        flash(f"{client.name} is on the waiting list (entry #{number}).", "success")
        return True

    def _choices(self, form: EntryForm) -> None:
        with context.db().read() as s:
            types = directory.treatment_types_by_name(s, active_only=True)
            therapists = directory.therapists_by_name(s, active_only=True)
        form.treatment_type_id.choices = opts(
            [("", "Choose a treatment…")] + [(t.id, t.name) for t in types]
        )
        form.therapist_id.choices = opts(
            [("", "Any qualified therapist")] + [(t.id, t.name) for t in therapists]
        )

    def _page(self, form: EntryForm) -> dict[str, Any]:
        tz = context.tz()
        state = request.args.get("state", "")
        if state not in STATE_LABELS:
            state = ""
        client = chosen_client(form.client_id.data)
        q = request.args.get("q", "").strip()[:200]
        with context.db().read() as s:
            listed = waitlist.list_entries(s, status=state or None, limit=waitlist.MAX_LIST)
            matches = clients.search_clients(s, q) if q and client is None else []
            types = {t.id: t.name for t in directory.treatment_types_by_name(s)}
            names = {t.id: t.name for t in directory.therapists_by_name(s)}

        def link(**changes: Any) -> str:
            args = {"q": q, "client_id": form.client_id.data or ""}
            args.update({k: str(v) for k, v in changes.items()})
            return url_for(".index", **{k: v for k, v in args.items() if v})

        def when(instant: Any, with_date: bool = True) -> str:
            return clinic_time.fmt_local(instant, tz, with_date, context.locale())

        def lapses(offer: Any) -> str:
            """As the day view says it: with the day when not the offered time's."""
            day = clinic_time.local_date(offer.start_at, tz)
            return explanations.lapses(offer.expires_at, tz, context.locale(), day)

        return {
            "form": form,
            "client": client,
            "q": q,
            "matches": matches,
            "link": link,
            "rows": listed,
            "state": state,
            "states": STATE_LABELS,
            "offer_labels": OFFER_LABELS,
            "types": types,
            "therapists": names,
            "when": when,
            "lapses": lapses,
            "weekdays": lambda mask: ", ".join(
                WEEKDAY_LABELS[d] for d in waitlist.weekdays_of(mask)
            ),
            "open_states": (EntryStatus.WAITING.value, EntryStatus.OFFERED.value),
        }
