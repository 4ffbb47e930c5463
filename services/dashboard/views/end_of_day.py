"""End of day: one list of the day's sessions still to mark, "all completed" with the no-shows
ticked as exceptions, and undo (the same day) for a slip."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from flask_wtf import FlaskForm

from services.dashboard import context
from services.dashboard.request_guard import is_id
from services.dashboard.views.base import SecureView
from shared import day_close
from shared.errors import ClinicError, InvalidInput, http_status


def _listed(values: list[str]) -> list[day_close.Listed]:
    """ "12:3" pairs (booking id, version) as the page wrote them. Raises InvalidInput."""
    pairs: list[day_close.Listed] = []
    for value in values:
        raw_id, _, raw_version = value.partition(":")
        if not (is_id(raw_id) and raw_version.isdigit() and len(raw_version) < 10):
            raise InvalidInput("this list is from an older page: reload it", field="session")
        pairs.append((int(raw_id), int(raw_version)))
    return pairs


def _ids(values: list[str]) -> set[int]:
    if not all(is_id(v) for v in values):
        raise InvalidInput("this list is from an older page: reload it", field="no_show")
    return {int(v) for v in values}


def _day(raw: str | None) -> date:
    if not raw:
        return context.today()
    try:
        return context.locale().parse_day(raw)
    except InvalidInput:
        return context.today()


class EndOfDayView(SecureView):
    admin_writes = False  # receptionists close the day

    @expose("/")
    def index(self) -> Any:
        return self._page(_day(request.args.get("date")))

    @expose("/close", methods=("POST",))
    def close(self) -> Any:
        day = _day(request.form.get("date"))
        if not FlaskForm().validate_on_submit():
            return self._page(day, problem="The form expired: try again.", status=422)
        try:
            listed = _listed(request.form.getlist("session"))
            no_shows = _ids(request.form.getlist("no_show"))
            with context.db().transaction() as s:
                closed = day_close.close_day(
                    s,
                    listed=listed,
                    no_shows=no_shows,
                    actor=current_user.actor,
                    now=context.now(),
                )
        except ClinicError as exc:
            return self._page(day, problem=exc.message, status=http_status(exc))
        done = len(closed.completed)
        missed = len(closed.no_shows)
        flash(
            f"Marked {done} completed"
            + (f" and {missed} no-show{'' if missed == 1 else 's'}" if missed else "")
            + ". Undo below if that was a slip.",
            "success",
        )
        marked = ",".join(f"{i}:{v + 1}" for i, v in listed)  # each mark is one version on
        return redirect(url_for("end_of_day.index", date=day.isoformat(), marked=marked))

    @expose("/undo", methods=("POST",))
    def undo(self) -> Any:
        day = _day(request.form.get("date"))
        if not FlaskForm().validate_on_submit():
            return self._page(day, problem="The form expired: try again.", status=422)
        try:
            listed = _listed(request.form.getlist("session"))
            with context.db().transaction() as s:
                undone = day_close.undo_marks(
                    s, listed=listed, actor=current_user.actor, tz=context.tz(), now=context.now()
                )
        except ClinicError as exc:
            return self._page(day, problem=exc.message, status=http_status(exc))
        count = len(undone)
        flash(f"Undone: {count} session{'' if count == 1 else 's'} to mark again.", "success")
        return redirect(url_for("end_of_day.index", date=day.isoformat()))

    def _page(self, day: date, *, problem: str = "", status: int = 200) -> Any:
        with context.db().read() as s:
            sessions = day_close.day_sessions(s, day=day, tz=context.tz(), now=context.now())
        last = request.args.get("marked", "") if request.method == "GET" else ""
        last_batch = [pair for pair in last.split(",") if pair][:200]
        return (
            self.render(
                "dashboard/end_of_day.html",
                day=day,
                sessions=sessions,
                problem=problem,
                last_batch=last_batch,
                form=FlaskForm(),
                prev_day=date.fromordinal(day.toordinal() - 1).isoformat(),
                next_day=date.fromordinal(day.toordinal() + 1).isoformat(),
            ),
            status,
        )
