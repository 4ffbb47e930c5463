"""Courses of treatment: plan one (every session checked, clashes with their reason and
alternatives one click away), book it as one, and see or cancel a course.

The plan comes from `shared.courses.preview_course`, the booking from `book_course` and the
cancellation from `cancel_course`, each in one transaction; a refusal shows the rule's words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import (
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from services.dashboard import context, wording
from services.dashboard.views.base import SecureView
from services.dashboard.views.book import chosen_client
from services.dashboard.views.forms import (
    ClinicDateField,
    ClinicTimeField,
    OptionalIdSelect,
    near_today,
    opts,
    show_unreadable,
)
from shared import clients, clinic_time, courses, directory
from shared.course_plan import MAX_SESSIONS, MIN_SESSIONS, WEEKDAYS, parse_rhythm
from shared.course_queries import CourseView, course_view
from shared.errors import ClinicError, InvalidInput

RHYTHMS = [
    ("1w", "Every week"),
    ("2w", "Every 2 weeks"),
    ("weekdays", "On chosen weekdays"),
    ("days", "Every N days"),
]


class PlanForm(FlaskForm):
    """The plan's inputs, sent with GET (planning changes nothing)."""

    treatment_type_id = OptionalIdSelect("Treatment")
    therapist_id = OptionalIdSelect("Therapist")
    client_id = HiddenField()
    date = ClinicDateField("First session", validators=[Optional(), near_today])
    time = ClinicTimeField("Time", validators=[Optional()])
    rhythm = SelectField("Rhythm", choices=opts(RHYTHMS), default="1w")
    weekdays = SelectMultipleField(
        "Weekdays",
        choices=opts((d, d.capitalize()) for d in WEEKDAYS),
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
    )
    every_days = IntegerField("Every … days", validators=[Optional(), NumberRange(1, 28)])
    count = IntegerField(
        "Sessions",
        default=10,
        validators=[InputRequired(), NumberRange(MIN_SESSIONS, MAX_SESSIONS)],
    )


class CancelCourseForm(FlaskForm):
    reason = StringField("Reason", validators=[InputRequired(), Length(max=1000)])


@dataclass
class Row:
    """One session of the plan as the page shows it, with the choices for a clash."""

    index: int
    when: str
    therapist: str
    room: str
    free: bool
    reason: str
    value: str  # the free session's own choice ("start|therapist|room")
    alternatives: list[tuple[str, str]]  # (value, label)


def _value(start: datetime, therapist_id: int | None, room_id: int | None) -> str:
    return f"{start.isoformat()}|{therapist_id or ''}|{room_id or ''}"


def _choice(raw: str, index: int) -> courses.SessionChoice:
    start, _, rest = raw.partition("|")
    therapist, _, room = rest.partition("|")
    try:
        when = datetime.fromisoformat(start)
        return courses.SessionChoice(
            start=when,
            therapist_id=int(therapist) if therapist else None,
            room_id=int(room) if room else None,
        )
    except ValueError:
        raise InvalidInput("pick one of the times offered", field=f"sessions[{index}]") from None


class CourseViews(SecureView):
    admin_writes = False

    @expose("/")
    def index(self) -> Response:
        return redirect(url_for(".new"))

    @expose("/new", methods=("GET", "POST"))
    def new(self) -> Any:
        form = PlanForm(formdata=request.args, meta={"csrf": False})
        self._choices(form)
        show_unreadable(form)
        if request.method == "POST":
            done = self._book()
            if done is not None:
                return done
            return self.render("dashboard/course_new.html", **self._page(form)), 409
        return self.render("dashboard/course_new.html", **self._page(form))

    @expose("/<int:course_id>")
    def show(self, course_id: int) -> Any:
        return self._course_page(course_id, CancelCourseForm(formdata=None))

    @expose("/<int:course_id>/cancel", methods=("POST",))
    def cancel(self, course_id: int) -> Any:
        form = CancelCourseForm()
        if form.validate_on_submit():
            try:
                with context.db().transaction() as s:
                    done = courses.cancel_course(
                        s,
                        course_id,
                        reason=form.reason.data or "",
                        actor=current_user.actor,
                        now=context.now(),
                    )
                    ended = sum(b.cancelled_at == done.course.cancelled_at for b in done.sessions)
                flash(
                    f"Cancelled the remaining {wording.count(ended, 'session')}. "
                    "The client's calendar gets one cancellation for them.",
                    "success",
                )
                return redirect(url_for("course.show", course_id=course_id))
            except ClinicError as exc:
                form.reason.errors = [*form.reason.errors, exc.message]
        return self._course_page(course_id, form, status=422)

    # -- planning ---------------------------------------------------------------------------

    def _choices(self, form: PlanForm) -> None:
        with context.db().read() as s:
            types = directory.treatment_types_by_name(s, active_only=True)
            therapists = directory.therapists_by_name(s, active_only=True)
        form.treatment_type_id.choices = opts(
            [("", "Choose a treatment…")]
            + [(t.id, f"{t.name} · {t.duration_minutes} min") for t in types]
        )
        form.therapist_id.choices = opts(
            [("", "Any qualified therapist")] + [(t.id, t.name) for t in therapists]
        )

    def _page(self, form: PlanForm) -> dict[str, Any]:
        tz = context.tz()
        client = chosen_client(form.client_id.data)
        q = request.args.get("q", "").strip()
        rows: list[Row] = []
        problem = ""
        plan = None
        ready = bool(form.treatment_type_id.data and form.date.data and form.time.data and client)
        if ready and form.validate():
            try:
                first = clinic_time.wall_instant(
                    form.date.data, form.time.data, tz, "first_start", context.locale()
                )
                with context.db().read() as s:
                    plan = courses.preview_course(
                        s,
                        treatment_type_id=form.treatment_type_id.data,
                        first_start=first,
                        rhythm=parse_rhythm(_rhythm(form)),
                        count=form.count.data,
                        now=context.now(),
                        client_id=client.id if client else None,
                        therapist_id=form.therapist_id.data,
                    )
                    names = {t.id: t.name for t in directory.therapists_by_name(s)}
                    rooms = {r.id: r.name for r in directory.rooms_by_name(s)}
                rows = [_row(i, p, names, rooms, tz) for i, p in enumerate(plan.sessions)]
            except ClinicError as exc:
                problem = exc.message if not exc.field else f"{_label(exc.field)}: {exc.message}"
        with context.db().read() as s:
            matches = clients.search_clients(s, q) if q and client is None else []

        def link(**changes: Any) -> str:
            args = request.args.to_dict(flat=False)
            args.pop("q", None)
            for key, value in changes.items():
                args[key] = [] if value in ("", None) else [str(value)]
            return url_for("course.new", **{k: v for k, v in args.items() if v})

        return {
            "form": form,
            "client": client,
            "q": q,
            "matches": matches,
            "rows": rows,
            "plan": plan,
            "problem": problem,
            "ready": ready,
            "link": link,
            "weekdays": [(d, d.capitalize()) for d in WEEKDAYS],
        }

    def _book(self) -> Response | None:
        """Book the sessions picked on the page, or flash why not (and return None)."""
        data = request.form
        if not FlaskForm().validate_on_submit():
            flash("The form expired: plan the course again.", "danger")
            return None
        try:
            total = int(data.get("total", "0"))
            picked: list[courses.SessionChoice] = []
            for i in range(min(total, MAX_SESSIONS + 1)):
                raw = data.get(f"s{i}", "")
                if raw == "drop":
                    continue
                if not raw:
                    raise InvalidInput(
                        f"Session {i + 1} cannot be had as planned: pick an alternative or drop it",
                        field=f"sessions[{i}]",
                    )
                picked.append(_choice(raw, i))
            with context.db().transaction() as s:
                made = courses.book_course(
                    s,
                    treatment_type_id=int(data.get("treatment_type_id", "0") or 0),
                    client_id=int(data.get("client_id", "0") or 0),
                    sessions=picked,
                    notes=data.get("notes", ""),
                    actor=current_user.actor,
                    source="dashboard",
                    now=context.now(),
                )
                course_id = made.course.id
                email = made.sessions[0].client.email if made.sessions[0].client else None
        except ValueError:
            flash("The form was incomplete: plan the course again.", "danger")
            return None
        except ClinicError as exc:
            flash(exc.message, "danger")
            return None
        note = (
            f"One invitation for all sessions goes to {email}." if email else "No e-mail on file."
        )
        flash(f"Booked a course of {len(picked)} sessions. {note}", "success")
        return redirect(url_for("course.show", course_id=course_id))

    # -- one course -------------------------------------------------------------------------

    def _course_page(self, course_id: int, form: CancelCourseForm, status: int = 200) -> Any:
        try:
            with context.db().read() as s:
                view = course_view(s, course_id)
        except ClinicError:
            abort(404)
        now = context.now()
        ahead = [b for b in view.sessions if b.status == "booked" and b.start_at > now]
        return (
            self.render(
                "dashboard/course.html",
                view=view,
                live=_live_numbers(view),
                ahead=len(ahead),
                form=form,
                local=lambda d: d.astimezone(context.tz()),
            ),
            status,
        )


def _live_numbers(view: CourseView) -> dict[int, str]:
    live = [b for b in view.sessions if b.status != "cancelled"]
    return {b.id: f"{n}/{len(live)}" for n, b in enumerate(live, start=1)}  # type: ignore[misc]


def _rhythm(form: PlanForm) -> dict[str, Any]:
    kind = form.rhythm.data
    if kind == "2w":
        return {"every_weeks": 2}
    if kind == "weekdays":
        return {"weekdays": list(form.weekdays.data or [])}
    if kind == "days":
        return {"every_days": form.every_days.data}
    return {"every_weeks": 1}


def _label(field: str) -> str:
    return {
        "first_start": "First session",
        "count": "Sessions",
        "therapist_id": "Therapist",
        "treatment_type_id": "Treatment",
        "client_id": "Client",
    }.get(field, field.replace("rhythm.", "Rhythm ").replace("_", " ").capitalize())


def _row(
    i: int, p: courses.PlannedSession, names: dict[Any, str], rooms: dict[Any, str], tz: Any
) -> Row:
    locale = context.locale()

    def label(start: datetime, therapist_id: int | None, room_id: int | None) -> str:
        who = names.get(therapist_id, "")
        where = rooms.get(room_id, "")
        return f"{clinic_time.fmt_local(start, tz, True, locale)} · {who} · {where}"

    return Row(
        index=i,
        when=clinic_time.fmt_span(p.start, p.end, tz, locale),
        therapist=names.get(p.therapist_id, "") if p.therapist_id else "",
        room=rooms.get(p.room_id, "") if p.room_id else "",
        free=p.free,
        reason=p.reason or "",
        value=_value(p.start, p.therapist_id, p.room_id),
        alternatives=[
            (_value(a.start, a.therapist_id, a.room_id), label(a.start, a.therapist_id, a.room_id))
            for a in p.alternatives
        ],
    )
