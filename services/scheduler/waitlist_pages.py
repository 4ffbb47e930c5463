"""The booking page's "join the waiting list", /book/waitlist: the treatment, the days, the
times of day and weekdays that suit, maybe a therapist, and the client's details.

Linked from the day-and-time step when nothing suits (?treatment=&therapist=&from=). Like
the rest of /book: no cookies, no scripts, nothing from other hosts; a refusal is shown on
the page under its field with its `http_status`, and nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for

from services.scheduler.context import db
from shared import clinic_time, directory, online_menu, waitlist
from shared.clinic_locale import Locale
from shared.errors import ClinicError, InvalidInput, http_status
from shared.models.types import utcnow

bp = Blueprint("waitlist_pages", __name__, template_folder="templates")

TEXT_FIELDS = ("name", "email", "phone", "note")
TIMES = (
    ("mornings", "Mornings (before 12:00)"),
    ("afternoons", "Afternoons (12:00 to 17:00)"),
    ("evenings", "Evenings (from 17:00)"),
)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DEFAULT_WEEKS = 4  # the range offered at first: the next four weeks


@dataclass
class Form:
    """What the client typed or ticked, to show again with a refusal."""

    therapist: str = "any"
    first_day: str = ""
    last_day: str = ""
    times: set[str] = field(default_factory=lambda: {name for name, _ in TIMES})
    weekdays: set[int] = field(default_factory=lambda: set(range(7)))
    values: dict[str, str] = field(default_factory=dict)
    consent: bool = False


@bp.get("/book/waitlist")
def form() -> Response:
    with db().read() as session:
        clinic = online_menu.page(session)
        if not request.args.get("treatment"):
            return _render(
                "book/waitlist_choose.html", clinic=clinic, choices=online_menu.choices(session)
            )
    today = clinic_time.local_date(_now(), _zone())
    start = _date_arg("from") or today
    locale = _locale()
    return _page(
        _id("treatment"),
        Form(
            therapist=request.args.get("therapist", "any")[:12],
            first_day=locale.day(max(start, today)),
            last_day=locale.day(max(start, today) + timedelta(weeks=DEFAULT_WEEKS)),
        ),
    )


@bp.post("/book/waitlist")
def join() -> Response:
    treatment = _id("treatment")
    typed = Form(
        therapist=request.form.get("therapist", "any")[:12],
        first_day=request.form.get("first_day", "")[:40],
        last_day=request.form.get("last_day", "")[:40],
        times={name for name, _ in TIMES if request.form.get(name) == "yes"},
        weekdays={int(d) for d in request.form.getlist("weekdays") if d in "0123456"},
        values={k: request.form.get(k, "") for k in TEXT_FIELDS},
        consent=request.form.get("consent") == "yes",
    )
    locale = _locale()
    try:
        wishes = waitlist.Wishes(
            first_day=_day(typed.first_day, "first_day", locale),
            last_day=_day(typed.last_day, "last_day", locale),
            mornings="mornings" in typed.times,
            afternoons="afternoons" in typed.times,
            evenings="evenings" in typed.times,
            weekdays=frozenset(typed.weekdays),
            therapist_id=_therapist(typed.therapist),
        )
        with db().transaction() as session:
            waitlist.join_online(
                session,
                treatment_type_id=treatment,
                wishes=wishes,
                name=typed.values["name"],
                email=typed.values["email"],
                phone=typed.values["phone"],
                note=typed.values["note"],
                consent=typed.consent,
                address=request.remote_addr,
                now=_now(),
            )
    except ClinicError as exc:
        if exc.retry_after is not None or exc.code == "online_booking_closed":
            raise
        return _page(treatment, typed, refusal=exc)
    return redirect(url_for("waitlist_pages.joined"), code=303)  # type: ignore[return-value]


@bp.get("/book/waitlist/joined")
def joined() -> Response:
    with db().read() as session:
        return _render("book/waitlist_joined.html", clinic=online_menu.page(session))


def _page(treatment: int, typed: Form, *, refusal: ClinicError | None = None) -> Response:
    with db().read() as session:
        return _render(
            "book/waitlist.html",
            status=http_status(refusal) if refusal else 200,
            clinic=online_menu.page(session),
            choice=online_menu.choice(session, treatment),
            givers=online_menu.givers(session, treatment),
            form=typed,
            date_hint=_locale().date_hint,
            times=TIMES,
            weekdays=list(enumerate(WEEKDAYS)),
            refusal=refusal,
        )


def _render(template: str, *, status: int = 200, **context: Any) -> Response:
    return Response(render_template(template, **context), status=status, mimetype="text/html")


def _now() -> datetime:
    """The app's clock (tests give one as CLOCK)."""
    clock = current_app.config.get("CLOCK", utcnow)
    return clock()  # type: ignore[no-any-return]


def _zone() -> Any:
    with db().read() as session:
        return online_menu.zone(session)


def _id(name: str) -> int:
    raw = request.values.get(name, "")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 10:
        raise InvalidInput("choose one from the list", field=name)
    return int(raw)


def _therapist(raw: str) -> int | None:
    if raw == "any":
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 10:
        raise InvalidInput("choose one from the list", field="therapist")
    return int(raw)


def _locale() -> Locale:
    """How the clinic writes dates: the form shows and reads them so."""
    with db().read() as session:
        return directory.locale(session)


def _day(raw: str, name: str, locale: Locale) -> date:
    """A day typed in the clinic's pattern (or ISO, as links carry it). Raises InvalidInput."""
    return clinic_time.require_date(locale.parse_day(raw, name), name)


def _date_arg(name: str) -> date | None:
    raw = request.args.get(name, "")
    if not raw:
        return None
    return _day(raw[:40], name, _locale())
