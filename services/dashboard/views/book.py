"""Booking a session: treatment, day, optional therapist, client (found or new), a free time.

Free times come from the availability engine, over a week when a therapist is chosen (the
phone call's "that day, or her next free afternoon?"); a time clicked in the day view (`at`)
picks the first free time from then. The booking itself comes from `shared.booking.book`,
so a time taken meanwhile is refused with the rule's message next to the form.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from flask import flash, jsonify, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField, EmailField, HiddenField, StringField, TextAreaField
from wtforms.validators import Email, Length, Optional

from services.dashboard import context, refusals
from services.dashboard.request_guard import is_number
from services.dashboard.views.base import SecureView
from services.dashboard.views.forms import (
    ClinicDateField,
    ClinicTimeField,
    OptionalIdSelect,
    near_today,
    opts,
    show_unreadable,
)
from shared import bookable, booking, clients, clinic_time, directory
from shared.availability import available_slots
from shared.clinic_locale import Locale
from shared.errors import ClinicError, InvalidInput
from shared.models import Client
from shared.slots import Slot


class BookForm(FlaskForm):
    treatment_type_id = OptionalIdSelect("Treatment")
    date = ClinicDateField("Day", validators=[Optional(), near_today])
    therapist_id = OptionalIdSelect("Therapist")
    client_id = HiddenField()
    new_name = StringField("Full name", validators=[Length(max=200)])
    new_email = EmailField("E-mail", validators=[Optional(), Email(), Length(max=254)])
    new_phone = StringField("Phone", validators=[Length(max=50)])
    slot = StringField("Free time")
    time = ClinicTimeField("Time", validators=[Optional()])
    room_id = OptionalIdSelect("Room")
    notes = TextAreaField("Notes for the therapist", validators=[Length(max=5000)])
    override_notice = BooleanField("Book at short notice")


# The domain's field names -> this form's.
REFUSAL_FIELDS = {
    "start": "slot",
    "client_id": "client_id",
    "name": "new_name",
    "email": "new_email",
    "phone": "new_phone",
}


# Days of free times shown at once: a week for one therapist; for everyone, one day.
DAYS_FOR_ONE_THERAPIST = 7


@dataclass
class SlotGroup:
    day: date
    therapist: str
    therapist_id: int
    colour: str
    slots: list[tuple[str, str]]  # (value, label)


def slot_value(slot: Slot) -> str:
    return f"{slot.start.isoformat()}|{slot.therapist_id}"


def parse_slot(value: str) -> tuple[datetime, int]:
    raw_start, _, raw_therapist = value.partition("|")
    try:
        start = datetime.fromisoformat(raw_start)
        therapist_id = int(raw_therapist)
    except ValueError:
        raise InvalidInput("pick one of the free times", field="start") from None
    if start.tzinfo is None:
        raise InvalidInput("pick one of the free times", field="start")
    return start, therapist_id


class BookView(SecureView):
    admin_writes = False

    @expose("/", methods=("GET", "POST"))
    def index(self) -> Any:
        posted = request.method == "POST"
        form = BookForm() if posted else BookForm(formdata=request.args, meta={"csrf": False})
        self._choices(form)
        if not posted and form.date.data is None and not form.date.raw_data:
            form.date.data = context.today()
        if not posted:
            show_unreadable(form)
        if posted and form.validate_on_submit():
            done = self._book(form)
            if done is not None:
                return done
        status = 422 if posted else 200
        return self.render("dashboard/book.html", **self._page(form)), status

    @expose("/clients")
    def client_search(self) -> Response:
        """Live search for the client box: [{id, name, email, phone}]."""
        with context.db().read() as s:
            found = clients.search_clients(s, request.args.get("q", ""))
        return jsonify(
            [{"id": c.id, "name": c.name, "email": c.email or "", "phone": c.phone} for c in found]
        )

    # -- helpers ----------------------------------------------------------------------------

    def _choices(self, form: BookForm) -> None:
        with context.db().read() as s:
            types = directory.treatment_types_by_name(s, active_only=True)
            therapists = directory.therapists_by_name(s, active_only=True)
            rooms = directory.rooms_by_name(s, active_only=True)
        form.treatment_type_id.choices = opts(
            [("", "Choose a treatment…")]
            + [
                (t.id, f"{t.name} · {t.duration_minutes} min · {t.price} {t.currency}")
                for t in types
            ]
        )
        form.therapist_id.choices = opts(
            [("", "Any therapist")] + [(t.id, t.name) for t in therapists]
        )
        form.room_id.choices = opts([("", "Any suitable room")] + [(r.id, r.name) for r in rooms])

    def _client(self, form: BookForm) -> Client | None:
        return chosen_client(form.client_id.data)

    def _page(self, form: BookForm) -> dict[str, Any]:
        clinic = context.clinic()
        tz = context.tz()
        client = self._client(form)
        q = request.args.get("q", "").strip() if request.method == "GET" else ""
        groups: list[SlotGroup] = []
        slots_problem = ""
        tt_id = form.treatment_type_id.data
        day: date | None = form.date.data
        now = context.now()
        at = _arg_time(request.args.get("at")) if request.method == "GET" else None
        preselected = ""
        with context.db().read() as s:
            matches = clients.search_clients(s, q) if q and client is None else []
            refusal = bookable.day_refusal(clinic, day, now) if day and clinic else None
            if refusal is not None:
                slots_problem = refusal.message
            elif tt_id and day and clinic is not None:
                days = DAYS_FOR_ONE_THERAPIST if form.therapist_id.data else 1
                try:
                    found = available_slots(
                        s,
                        treatment_type_id=tt_id,
                        start=day,
                        end=_plus(day, days - 1),
                        now=bookable.offer_from(
                            clinic, now, override_notice=bool(form.override_notice.data)
                        ),
                        therapist_id=form.therapist_id.data,
                    )
                except ClinicError as exc:
                    found, slots_problem = [], exc.message
                therapists = {t.id: t for t in directory.therapists_by_name(s)}
                by_day: dict[tuple[date, int], list[Slot]] = {}
                for slot in found:
                    local_day = clinic_time.local_date(slot.start, tz)
                    by_day.setdefault((local_day, slot.therapist_id), []).append(slot)
                for (on, tid), slots in sorted(
                    by_day.items(), key=lambda kv: (kv[0][0], therapists[kv[0][1]].name)
                ):
                    th = therapists[tid]
                    groups.append(
                        SlotGroup(
                            on,
                            th.name,
                            tid,
                            th.colour,
                            [
                                (slot_value(x), clinic_time.hm(x.start, tz, context.locale()))
                                for x in slots
                            ],
                        )
                    )
                if at is not None and not form.slot.data:
                    chosen = _first_from(found, day, at, tz)
                    if chosen is not None:
                        form.slot.data = slot_value(chosen)
                        preselected = _preselected_note(chosen, day, at, tz, context.locale())
        keep = {
            "treatment_type_id": tt_id or "",
            "date": day.isoformat() if day else "",
            "therapist_id": form.therapist_id.data or "",
            "override_notice": "y" if form.override_notice.data else "",
        }

        def link(**changes: Any) -> str:
            args = {**keep, "client_id": client.id if client else "", **changes}
            return url_for("book.index", **{k: v for k, v in args.items() if v not in ("", None)})

        return {
            "form": form,
            "client": client,
            "q": q,
            "matches": matches,
            "groups": groups,
            "slots_problem": slots_problem,
            "preselected": preselected,
            "at": f"{at:%H:%M}" if at else "",  # a hidden field, sent back as it came
            "last_day": _plus(day, DAYS_FOR_ONE_THERAPIST - 1)
            if day and form.therapist_id.data
            else None,
            "ready": bool(tt_id and day),
            "day": day,
            "link": link,
            "clinic": clinic,
            "prev_day": _shift(day, -1),
            "next_day": _shift(day, 1),
        }

    def _book(self, form: BookForm) -> Response | None:
        """Book, or put the refusal on the form and return None."""
        try:
            start, therapist_id, room_id = self._when(form)
            client_id = (form.client_id.data or "").strip()
            if not is_number(client_id) and not (form.new_name.data or "").strip():
                raise InvalidInput(
                    "find the client above, or enter a new client's name", field="client_id"
                )
            with context.db().transaction() as s:
                if is_number(client_id):
                    cid = int(client_id)
                else:
                    new = clients.create_client(
                        s,
                        name=form.new_name.data or "",
                        email=(form.new_email.data or "").strip() or None,
                        phone=form.new_phone.data or "",
                    )
                    assert new.id is not None
                    cid = new.id
                made = booking.book(
                    s,
                    treatment_type_id=form.treatment_type_id.data,
                    start=start,
                    client_id=cid,
                    actor=current_user.actor,
                    therapist_id=therapist_id,
                    room_id=room_id,
                    source="dashboard",
                    notes=form.notes.data or "",
                    override_notice=bool(form.override_notice.data),
                    now=context.now(),
                )
                summary = _summary(made, context.tz())
                email = made.client.email if made.client else None
                booking_id = made.id
        except ClinicError as exc:
            fields = dict(REFUSAL_FIELDS)
            if exc.field == "start" and not form.slot.data:
                fields["start"] = "time"
            if exc.field == "room_id" and form.room_id.data is None:
                fields["room_id"] = "slot" if form.slot.data else "time"
            if exc.field == "therapist_id" and form.slot.data:
                fields["therapist_id"] = "slot"
            if exc.field == "treatment_type_id":
                fields["treatment_type_id"] = "slot"
            refusals.attach(exc, form, fields)
            return None
        note = f"An invitation goes to {email}." if email else "No e-mail on file: no invitation."
        flash(f"Booked: {summary}. {note}", "success")
        return redirect(url_for("booking.show", booking_id=booking_id))

    def _when(self, form: BookForm) -> tuple[datetime, int | None, int | None]:
        if not form.treatment_type_id.data:
            raise InvalidInput("choose a treatment first", field="slot")
        if form.slot.data:
            start, therapist_id = parse_slot(form.slot.data)
            return start, therapist_id, None
        if form.time.data is not None:
            if form.date.data is None:
                raise InvalidInput("choose a day", field="time")
            start = clinic_time.wall_instant(
                form.date.data, form.time.data, context.tz(), "start", context.locale()
            )
            return start, form.therapist_id.data, form.room_id.data
        raise InvalidInput("pick one of the free times, or enter a time", field="slot")


def _first_from(found: list[Slot], day: date, at: time, tz: Any) -> Slot | None:
    """For a time clicked in the day view: the first free time from `at` on `day`, or else
    from the same time of day on the days after ("Thursday afternoon, or her next free
    afternoon")."""
    for x in found:
        local = x.start.astimezone(tz)
        if local.date() >= day and local.time().replace(tzinfo=None) >= at:
            return x
    return None


def _preselected_note(slot: Slot, day: date, at: time, tz: Any, locale: Locale) -> str:
    start = slot.start.astimezone(tz)
    if start.date() == day and start.time().replace(tzinfo=None) == at:
        return f"{locale.clock(start)} is free and chosen below."
    return (
        f"{day:%a} {locale.day(day)} {locale.clock(at)} is not free: the first free time "
        f"from {locale.clock(at)} on, {start:%a} {locale.day_and_clock(start)}, is chosen below."
    )


def _arg_time(raw: str | None) -> time | None:
    try:
        return time.fromisoformat(raw) if raw and len(raw) <= 8 else None
    except ValueError:
        return None


def _plus(day: date, days: int) -> date:
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return day


def chosen_client(raw: str | None) -> Client | None:
    """The client picked in a search box, if any (an unknown one counts as none)."""
    raw = (raw or "").strip()
    if not is_number(raw):
        return None
    try:
        with context.db().read() as s:
            return clients.get_client(s, int(raw))
    except ClinicError:
        return None


def _shift(day: date | None, days: int) -> str:
    try:
        return (day + timedelta(days=days)).isoformat() if day else ""
    except OverflowError:
        return day.isoformat() if day else ""


def _summary(b: Any, tz: Any) -> str:
    when = clinic_time.fmt_span(b.start_at, b.end_at, tz, context.locale())
    who = b.client.name if b.client else "client"
    tt = b.treatment_type.name if b.treatment_type else "session"
    therapist = b.therapist.name if b.therapist else ""
    room = b.room.name if b.room else ""
    return f"{who}, {tt}, {when} with {therapist} in {room}"
