"""One booking: its details and history, and moving, cancelling and marking it.

Every action calls the booking rules in `shared.booking` inside one transaction; a refusal
re-renders the page with the rule's message beside the form it came from.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from flask import flash, jsonify, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField, IntegerField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from services.dashboard import context, refusals
from services.dashboard.request_guard import is_id
from services.dashboard.views.base import SecureView
from services.dashboard.views.forms import (
    ClinicDateField,
    ClinicTimeField,
    OptionalIdSelect,
    near_today,
    opts,
)
from shared import (
    actors,
    bookable,
    booking,
    booking_queries,
    clinic_time,
    directory,
    explanations,
    free_time_reasons,
    holds,
    lifecycle,
    offers,
    outbox_queries,
)
from shared.availability import available_slots
from shared.course_queries import course_positions
from shared.errors import ChangedMeanwhile, ClinicError, InvalidInput, http_status
from shared.models import Booking
from shared.validation import MAX_ID


def VersionField() -> IntegerField:
    """The booking's version the form was rendered with (its `sequence`): a submit based on
    an older one is refused, so nobody's change is silently undone."""
    return IntegerField(
        widget=HiddenInput(),
        validators=[
            InputRequired("This form is from an older page: reload it and try again."),
            NumberRange(0, MAX_ID, "This form is from an older page: reload it and try again."),
        ],
    )


class MoveForm(FlaskForm):
    date = ClinicDateField("Day", validators=[InputRequired(), near_today])
    time = ClinicTimeField("Time", validators=[InputRequired()])
    therapist_id = OptionalIdSelect("Therapist")
    room_id = OptionalIdSelect("Room")
    override_notice = BooleanField("Move at short notice")
    version = VersionField()


class DropForm(FlaskForm):
    """A session dropped on the day or week view: the new day and time, and the therapist
    or room of the column it was dropped in (any other is refused by the rules)."""

    date = ClinicDateField("Day", validators=[InputRequired(), near_today])
    time = ClinicTimeField("Time", validators=[InputRequired()])
    therapist_id = IntegerField(validators=[Optional(), NumberRange(1, MAX_ID)])
    room_id = IntegerField(validators=[Optional(), NumberRange(1, MAX_ID)])
    version = VersionField()


class CancelForm(FlaskForm):
    reason = StringField("Reason", validators=[Optional(), Length(max=1000)])
    version = VersionField()


class MarkForm(FlaskForm):
    version = VersionField()


MOVE_FIELDS = {"start": "time", "therapist_id": "therapist_id", "room_id": "room_id"}
ACTION_LABELS = {
    "booked": "Booked",
    "moved": "Moved",
    "cancelled": "Cancelled",
    "completed": "Marked completed",
    "no_show": "Marked no-show",
    "unmarked": "Mark undone",
    "held": "Held, awaiting the client's confirmation",
    "confirmed": "Confirmed by the client",
    "released": "Let go unconfirmed",
}


class BookingPage(SecureView):
    admin_writes = False

    def is_visible(self) -> bool:
        return False  # reached from the day view and the lists, not the menu

    @expose("/")
    def index(self) -> Response:
        return redirect(url_for("bookings.index_view"))

    @expose("/<int:booking_id>")
    def show(self, booking_id: int) -> Any:
        return self._page(booking_id)

    @expose("/<int:booking_id>/move", methods=("POST",))
    def move(self, booking_id: int) -> Any:
        b = self._load(booking_id)
        form = MoveForm()
        self._move_choices(form, b)
        if form.validate_on_submit():
            therapist_id = form.therapist_id.data
            try:
                start = clinic_time.wall_instant(
                    form.date.data, form.time.data, context.tz(), "start", context.locale()
                )
                with context.db().transaction() as s:
                    moved = booking.reschedule(
                        s,
                        booking_id,
                        actor=current_user.actor,
                        start=None if start == b.start_at else start,
                        therapist_id=None if therapist_id == b.therapist_id else therapist_id,
                        room_id=form.room_id.data,
                        override_notice=bool(form.override_notice.data),
                        now=context.now(),
                        expected_sequence=form.version.data,
                    )
                    when = clinic_time.fmt_span(
                        moved.start_at, moved.end_at, context.tz(), context.locale()
                    )
                    where = f"{moved.therapist.name} in {moved.room.name}"  # type: ignore[union-attr]
                flash(f"Moved to {when} with {where}. The client gets an update.", "success")
                return redirect(url_for("booking.show", booking_id=booking_id))
            except ChangedMeanwhile as exc:
                return self._changed_meanwhile(booking_id, exc)
            except ClinicError as exc:
                refusals.attach(exc, form, MOVE_FIELDS)
        return self._page(booking_id, move_form=form, status=422)

    @expose("/<int:booking_id>/drop", methods=("POST",))
    def drop(self, booking_id: int) -> Any:
        """A move by drag: {"ok", "message"}, refused like the move form (412 when stale)."""
        b = self._load(booking_id)
        form = DropForm()
        if not form.validate_on_submit():
            problems = [f"{name}: {errs[0]}" for name, errs in form.errors.items()]
            return jsonify({"ok": False, "message": "; ".join(problems)}), 422
        try:
            start = clinic_time.wall_instant(
                form.date.data, form.time.data, context.tz(), "start", context.locale()
            )
            with context.db().transaction() as s:
                moved = booking.reschedule(
                    s,
                    booking_id,
                    actor=current_user.actor,
                    start=None if start == b.start_at else start,
                    therapist_id=None
                    if form.therapist_id.data in (None, b.therapist_id)
                    else form.therapist_id.data,
                    room_id=None if form.room_id.data in (None, b.room_id) else form.room_id.data,
                    override_notice=True,  # staff may move at short notice; it is on screen
                    now=context.now(),
                    expected_sequence=form.version.data,
                )
                when = clinic_time.fmt_span(
                    moved.start_at, moved.end_at, context.tz(), context.locale()
                )
                where = f"{moved.therapist.name} in {moved.room.name}"  # type: ignore[union-attr]
        except ClinicError as exc:
            body = {"ok": False, "message": exc.message, "field": exc.field}
            return jsonify(body), http_status(exc)
        message = f"Moved to {when} with {where}. The client gets an update."
        return jsonify({"ok": True, "message": message})

    @expose("/<int:booking_id>/free-times")
    def free_times(self, booking_id: int) -> Any:
        """Where a dragged session may go: [{"day", "time", "therapist_id"}] for the days
        start..end (a day or a week view's), or why none."""
        b = self._load(booking_id)
        clinic, now, tz = context.clinic(), context.now(), context.tz()
        first, last = _arg_date(request.args.get("start")), _arg_date(request.args.get("end"))
        if clinic is None or first is None:
            return jsonify({"times": [], "problem": "start: give a day like 2027-03-01"}), 422
        try:
            with context.db().read() as s:
                slots = available_slots(
                    s,
                    treatment_type_id=b.treatment_type_id,
                    start=first,
                    end=last or first,
                    now=bookable.offer_from(clinic, now, override_notice=True),
                    moving_booking_id=b.id,
                )
        except ClinicError as exc:
            return jsonify({"times": [], "problem": exc.message}), http_status(exc)
        times = [
            {
                "day": x.start.astimezone(tz).date().isoformat(),
                "time": f"{x.start.astimezone(tz):%H:%M}",
                "therapist_id": x.therapist_id,
            }
            for x in slots
        ]
        return jsonify({"times": times, "problem": ""})

    @expose("/<int:booking_id>/cancel", methods=("POST",))
    def cancel(self, booking_id: int) -> Any:
        self._load(booking_id)
        form = CancelForm()
        if form.validate_on_submit():
            try:
                with context.db().transaction() as s:
                    booking.cancel(
                        s,
                        booking_id,
                        actor=current_user.actor,
                        reason=form.reason.data or "",
                        now=context.now(),
                        expected_sequence=form.version.data,
                    )
                flash("Cancelled. The client's calendar gets the cancellation.", "success")
                return redirect(url_for("booking.show", booking_id=booking_id))
            except ChangedMeanwhile as exc:
                return self._changed_meanwhile(booking_id, exc)
            except ClinicError as exc:
                refusals.attach(exc, form)  # under the reason, or at the top of the page
        return self._page(booking_id, cancel_form=form, status=422)

    @expose("/<int:booking_id>/completed", methods=("POST",))
    def completed(self, booking_id: int) -> Any:
        return self._mark(booking_id, booking.mark_completed, "Marked completed.")

    @expose("/<int:booking_id>/no-show", methods=("POST",))
    def no_show(self, booking_id: int) -> Any:
        return self._mark(booking_id, booking.mark_no_show, "Marked as no-show.")

    @expose("/<int:booking_id>/let-go", methods=("POST",))
    def let_go(self, booking_id: int) -> Any:
        """A hold let go at the client's word (an offer's time passes to the next in line)."""
        return self._mark(booking_id, offers.release_hold, "Hold let go: the time is free again.")

    # -- helpers ----------------------------------------------------------------------------

    def _mark(self, booking_id: int, rule: Any, done: str) -> Any:
        self._load(booking_id)
        form = MarkForm()
        if form.validate_on_submit():
            try:
                with context.db().transaction() as s:
                    rule(
                        s,
                        booking_id,
                        actor=current_user.actor,
                        now=context.now(),
                        expected_sequence=form.version.data,
                    )
                flash(done, "success")
                return redirect(url_for("booking.show", booking_id=booking_id))
            except ChangedMeanwhile as exc:
                return self._changed_meanwhile(booking_id, exc)
            except ClinicError as exc:
                return self._page(booking_id, mark_error=exc.message, status=422)
        return self._page(booking_id, mark_error="The form expired: try again.", status=422)

    def _changed_meanwhile(self, booking_id: int, exc: ChangedMeanwhile) -> Any:
        """The session as it is now, with fresh forms, and why nothing was changed."""
        flash(exc.message, "danger")
        return self._page(booking_id, status=http_status(exc))

    def _load(self, booking_id: int) -> Booking:
        """The booking with everything its page shows; an unknown one is a 404 page."""
        with context.db().read() as s:
            return booking_queries.booking_with_history(s, booking_id)

    def _move_choices(self, form: MoveForm, b: Booking) -> None:
        assert b.treatment_type is not None  # loaded with the booking
        with context.db().read() as s:
            therapists, rooms = directory.move_choices(
                s, b.treatment_type, keep_therapist_id=b.therapist_id
            )
        form.therapist_id.choices = opts((t.id, t.name) for t in therapists)
        form.room_id.choices = opts(
            [("", "Keep the room if free, else any suitable")] + [(r.id, r.name) for r in rooms]
        )

    def _page(
        self,
        booking_id: int,
        *,
        move_form: MoveForm | None = None,
        cancel_form: CancelForm | None = None,
        mark_error: str = "",
        status: int = 200,
    ) -> Any:
        b = self._load(booking_id)
        tz = context.tz()
        now = context.now()
        if move_form is None:
            move_form = MoveForm(formdata=None)
            local = b.start_at.astimezone(tz)
            move_form.date.data = _arg_date(request.args.get("move_date")) or local.date()
            move_form.time.data = _arg_time(request.args.get("move_time")) or local.time()
            # Absent: the session's own therapist; empty: any therapist (bug: it stuck to the
            # one the page was drawn with).
            picked = request.args.get("move_therapist")
            move_form.therapist_id.data = b.therapist_id if picked is None else _arg_int(picked)
            move_form.room_id.data = None
            self._move_choices(move_form, b)
            move_form.version.data = b.sequence
        if cancel_form is None:
            cancel_form = CancelForm(formdata=None)
            cancel_form.version.data = b.sequence
        mark_form = MarkForm(formdata=None)
        mark_form.version.data = b.sequence
        allowed = lifecycle.allowed(b, now)
        free, free_problem = self._free_times(b, move_form) if allowed.move else ([], "")
        with context.db().read() as s:
            messages = outbox_queries.booking_messages(s, booking_id)
            therapist_names = {t.id: t.name for t in directory.therapists_by_name(s)}
            places = course_positions(s, [b.course_id] if b.course_id else [])
            actor_names = actors.actor_names(s, [e.actor for e in b.events])
        return (
            self.render(
                "dashboard/booking.html",
                b=b,
                tz=tz,
                now=now,
                move_form=move_form,
                cancel_form=cancel_form,
                mark_form=mark_form,
                mark_error=mark_error,
                free=free,
                free_problem=free_problem,
                therapist_names=therapist_names,
                messages=messages,
                events=list(reversed(b.events)),
                actor_names=actor_names,
                action_labels=ACTION_LABELS,
                can_move=allowed.move,
                can_cancel=allowed.cancel,
                can_mark=allowed.mark,
                can_let_go=holds.is_hold(b),
                hold_lapses=explanations.lapses(
                    b.hold_expires_at, tz, context.locale(), clinic_time.local_date(b.start_at, tz)
                )
                if b.hold_expires_at
                else "",
                local=lambda dt: dt.astimezone(tz) if isinstance(dt, datetime) else dt,
                describe=_describe,
                course_place=places.get(booking_id),
            ),
            status,
        )

    def _free_times(
        self, b: Booking, move_form: MoveForm
    ) -> tuple[list[tuple[str, str, int]], str]:
        """Free times on the move form's day as (time, day, therapist id) as the clinic writes
        them, or why none can be offered on that day."""
        locale = context.locale()
        clinic, day, now, tz = context.clinic(), move_form.date.data, context.now(), context.tz()
        if clinic is None or day is None:
            return [], ""
        refusal = bookable.day_refusal(clinic, day, now)
        if refusal is not None:
            return [], refusal.message
        try:
            with context.db().read() as s:
                slots = available_slots(
                    s,
                    treatment_type_id=b.treatment_type_id,
                    start=day,
                    end=day,
                    now=bookable.offer_from(clinic, now, override_notice=True),
                    therapist_id=move_form.therapist_id.data,
                    moving_booking_id=b.id,
                )
            if not slots:
                with context.db().read() as s:
                    return [], free_time_reasons.why_no_free_times(
                        s,
                        treatment_type_id=b.treatment_type_id,
                        day=day,
                        therapist_id=move_form.therapist_id.data,
                    )
        except ClinicError as exc:
            return [], exc.message
        return [
            (
                locale.clock(x.start.astimezone(tz)),
                locale.day(x.start.astimezone(tz)),
                x.therapist_id,
            )
            for x in slots
        ], ""


def _describe(changes: dict[str, Any]) -> list[tuple[str, str, str]]:
    """A move's changes as (what, was, now), e.g. ("When", "Mon 01 Mar 10:00-11:00", ...)."""
    tz = context.tz()
    out: list[tuple[str, str, str]] = []

    def span(which: str) -> str:
        start = changes.get("start", {}).get(which)
        end = changes.get("end", {}).get(which)
        if start is None or end is None:
            return ""
        s, e = datetime.fromisoformat(start), datetime.fromisoformat(end)
        return clinic_time.fmt_span(s, e, tz, context.locale())

    if "start" in changes and "end" in changes:
        out.append(("When", span("from"), span("to")))
    for key, label in (("therapist", "Therapist"), ("room", "Room")):
        if key in changes:
            out.append((label, str(changes[key]["from"]), str(changes[key]["to"])))
    return out


def _arg_date(raw: str | None) -> date | None:
    """A day from a link or the "free times on" box: the clinic's pattern or ISO."""
    try:
        return context.locale().parse_day(raw) if raw else None
    except InvalidInput:
        return None


def _arg_time(raw: str | None) -> time | None:
    try:
        return context.locale().parse_clock(raw) if raw else None
    except InvalidInput:
        return None


def _arg_int(raw: str | None) -> int | None:
    return int(raw) if raw and is_id(raw) else None
