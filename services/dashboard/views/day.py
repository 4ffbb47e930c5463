"""The home page: one day, one column per therapist or room, sessions as coloured blocks;
beside it the week, a row per therapist or room; both poll `/live` and redraw what changed."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import jsonify, request, url_for
from flask import session as cookie
from flask_admin import AdminIndexView, expose
from werkzeug.wrappers import Response

from services.dashboard import context, dayplan, weekplan
from services.dashboard.views.base import Secured
from services.dashboard.views.forms import MAX_YEARS_AWAY
from shared import day_data
from shared.errors import InvalidInput

# How often an open day or week view asks whether anything changed (a booking made through
# the API shows within this plus one redraw).
LIVE_POLL_MS = 2000

PX_PER_MINUTE = 1.5


def _day_arg(raw: str | None) -> tuple[date, str | None]:
    today = context.today()
    if not raw:
        return today, None
    try:
        day = context.locale().parse_day(raw)
    except InvalidInput as exc:
        return today, f"{raw[:40]!r}: {exc.message}. Showing today."
    if abs(day.year - today.year) > MAX_YEARS_AWAY:
        return today, f"{raw} is more than {MAX_YEARS_AWAY} years away: showing today"
    return day, None


class DayView(Secured, AdminIndexView):
    """`/?date=YYYY-MM-DD&by=therapist|room` (the choice of columns is remembered)."""

    admin_writes = False

    @expose("/live")
    def live(self) -> Response:
        """{"marker": ...}: changes whenever a booking or the catalog changed, anywhere."""
        with context.db().read() as s:
            return jsonify({"marker": day_data.change_marker(s)})

    @expose("/week")
    def week(self) -> str:
        day, problem = _day_arg(request.args.get("date"))
        mode = _mode()
        show_cancelled = request.args.get("cancelled") == "1"
        first = weekplan.week_start(day)
        tz = context.tz()
        with context.db().read() as s:
            marker = day_data.change_marker(s)  # first: a write after it shows at the next poll
            data = day_data.load_days(
                s,
                first=first,
                last=first + timedelta(days=6),
                tz=tz,
                show_cancelled=show_cancelled,
                locale=context.locale(),
            )
        plan = weekplan.build_week(
            data, mode=mode, tz=tz, now=context.now(), locale=context.locale()
        )

        def link(**changes: object) -> str:
            args: dict[str, Any] = {"date": first.isoformat(), "by": mode}
            if show_cancelled:
                args["cancelled"] = "1"
            args.update({k: str(v) for k, v in changes.items() if v is not None})
            return url_for("day.week", **{k: v for k, v in args.items() if v != ""})

        return self.render(
            "dashboard/week.html",
            plan=plan,
            problem=problem,
            today=context.today(),
            show_cancelled=show_cancelled,
            link=link,
            prev_week=(first - timedelta(days=7)).isoformat(),
            next_week=(first + timedelta(days=7)).isoformat(),
            marker=marker,
            poll_ms=LIVE_POLL_MS,
        )

    @expose("/")
    def index(self) -> str:
        day, problem = _day_arg(request.args.get("date"))
        mode = _mode()
        show_cancelled = request.args.get("cancelled") == "1"
        tz = context.tz()
        with context.db().read() as s:
            marker = day_data.change_marker(s)  # first: a write after it shows at the next poll
            data = day_data.load_day(
                s, day=day, tz=tz, show_cancelled=show_cancelled, locale=context.locale()
            )
        plan = dayplan.build_day(data, mode=mode, tz=tz, now=context.now(), locale=context.locale())

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
            now_label=context.locale().clock(context.now().astimezone(context.tz())),
            marker=marker,
            poll_ms=LIVE_POLL_MS,
        )


def _mode() -> str:
    """by=therapist|room, remembered for the next visit."""
    mode = request.args.get("by") or cookie.get("day_by") or "therapist"
    if mode not in dayplan.MODES:
        mode = "therapist"
    cookie["day_by"] = mode
    return mode
