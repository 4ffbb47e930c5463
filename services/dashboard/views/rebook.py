"""To rebook: the sessions a therapist's time off hits, each with times to move it to; one
click on a time moves the session (through `shared.booking.reschedule`, like any move)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from flask_wtf import FlaskForm

from services.dashboard import context
from services.dashboard.request_guard import is_id
from services.dashboard.views.base import SecureView
from shared import booking, directory, rebook
from shared.errors import ClinicError, InvalidInput, http_status


def _move_args(form: Any) -> dict[str, Any]:
    """The alternative picked, as the page wrote it. Raises InvalidInput."""
    stale = InvalidInput("this list is from an older page: reload it", field="start")
    raw = {k: form.get(k, "") for k in ("start", "therapist_id", "room_id", "version")}
    if not all(is_id(raw[k]) for k in ("therapist_id", "room_id")):
        raise stale
    if not (raw["version"].isdigit() and len(raw["version"]) < 10):
        raise stale
    try:
        start = datetime.fromisoformat(raw["start"])
    except ValueError:
        raise stale from None
    if start.tzinfo is None:
        raise stale
    return {
        "start": start,
        "therapist_id": int(raw["therapist_id"]),
        "room_id": int(raw["room_id"]),
        "expected_sequence": int(raw["version"]),
    }


class RebookView(SecureView):
    admin_writes = False  # receptionists rebook

    @expose("/")
    def index(self) -> Any:
        return self._page()

    @expose("/<int:booking_id>", methods=("POST",))
    def move(self, booking_id: int) -> Any:
        if not FlaskForm().validate_on_submit():
            return self._page(problem="The form expired: try again.", status=422)
        try:
            args = _move_args(request.form)
            with context.db().transaction() as s:
                moved = booking.reschedule(
                    s, booking_id, actor=current_user.actor, now=context.now(), **args
                )
                summary = (
                    f"Moved {moved.client.name if moved.client else 'the session'} to "
                    f"{context.locale().day_and_clock(moved.start_at.astimezone(context.tz()))}"
                    f" with {moved.therapist.name if moved.therapist else ''}."
                )
        except ClinicError as exc:
            return self._page(problem=exc.message, status=http_status(exc))
        flash(summary + " The client's calendar gets the update.", "success")
        return redirect(url_for("rebook.index"))

    def _page(self, *, problem: str = "", status: int = 200) -> Any:
        with context.db().read() as s:
            rows = rebook.to_rebook(s, now=context.now())
            names = {t.id: t.name for t in directory.therapists_by_name(s)}
            rooms = {r.id: r.name for r in directory.rooms_by_name(s)}
        return (
            self.render(
                "dashboard/rebook.html",
                rows=rows,
                names=names,
                rooms=rooms,
                problem=problem,
                form=FlaskForm(),
            ),
            status,
        )
