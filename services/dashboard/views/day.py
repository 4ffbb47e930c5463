"""The home page: one day, one column per therapist or room, sessions as coloured blocks."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import request, url_for
from flask import session as cookie
from flask_admin import AdminIndexView, expose

from services.dashboard import context, dayplan
from services.dashboard.views.base import Secured
from shared import day_data

PX_PER_MINUTE = 1.5


MAX_YEARS_AWAY = 10


def _day_arg(raw: str | None) -> tuple[date, str | None]:
    today = context.today()
    if not raw:
        return today, None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return today, f"{raw!r} is not a date like 2027-03-01: showing today"
    if abs(day.year - today.year) > MAX_YEARS_AWAY:
        return today, f"{raw} is more than {MAX_YEARS_AWAY} years away: showing today"
    return day, None


class DayView(Secured, AdminIndexView):
    """`/?date=YYYY-MM-DD&by=therapist|room` (the choice of columns is remembered)."""

    admin_writes = False

    @expose("/")
    def index(self) -> str:
        day, problem = _day_arg(request.args.get("date"))
        mode = request.args.get("by") or cookie.get("day_by") or "therapist"
        if mode not in dayplan.MODES:
            mode = "therapist"
        cookie["day_by"] = mode
        show_cancelled = request.args.get("cancelled") == "1"
        tz = context.tz()
        with context.db().read() as s:
            data = day_data.load_day(s, day=day, tz=tz, show_cancelled=show_cancelled)
        plan = dayplan.build_day(data, mode=mode, tz=tz, now=context.now())

        def link(**changes: object) -> str:
            args: dict[str, Any] = {"date": day.isoformat(), "by": mode}
            if show_cancelled:
                args["cancelled"] = "1"
            args.update({k: str(v) for k, v in changes.items() if v is not None})
            args = {k: v for k, v in args.items() if v != ""}
            return url_for("day.index", **args)

        return self.render(
            "dashboard/day.html",
            plan=plan,
            problem=problem,
            px=PX_PER_MINUTE,
            today=context.today(),
            show_cancelled=show_cancelled,
            link=link,
            prev_day=(day - timedelta(days=1)).isoformat(),
            next_day=(day + timedelta(days=1)).isoformat(),
            clinic=context.clinic(),
            now_label=f"{context.now().astimezone(context.tz()):%H:%M}",
        )
