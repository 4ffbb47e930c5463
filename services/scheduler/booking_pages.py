"""The clinic's booking page, /book: treatment, therapist, day and time, details, then a hold
confirmed from an e-mailed link (/book/confirm/<token>, whose button confirms; opening it
does nothing, since mail scanners open every link).

Server-rendered, no cookies, no scripts, nothing from other hosts. Each route parses the
query or form, asks `shared.online_menu` or `shared.holds`, and renders; a refusal is shown
on the page with its `http_status`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from services.scheduler import link_pages
from services.scheduler.context import db
from shared import clinic_time, holds, online_menu
from shared.clinic_locale import Locale, long_day
from shared.errors import ClinicError, InvalidInput, http_status
from shared.models.types import utcnow

bp = Blueprint("booking_pages", __name__, template_folder="templates", url_prefix="/book")

link_pages.secure(bp, unlisted=False)
FORM_FIELDS = ("name", "email", "phone", "note")


@bp.get("")
@bp.get("/")
def treatments() -> Response:
    with db().read() as session:
        clinic = online_menu.page(session)
        if not clinic.open:
            return _render("book/closed.html", clinic=clinic)
        return _render("book/treatments.html", clinic=clinic, choices=online_menu.choices(session))


@bp.get("/therapist")
def therapists() -> Response:
    treatment = _id("treatment")
    with db().read() as session:
        return _render(
            "book/therapists.html",
            clinic=online_menu.page(session),
            choice=online_menu.choice(session, treatment),
            givers=online_menu.givers(session, treatment),
        )


@bp.get("/times")
def times() -> Response:
    treatment, therapist = _id("treatment"), _therapist()
    first = _date("week") if request.args.get("week") else None
    with db().read_statements() as session:  # a week's free times, advice until one is held
        found = online_menu.week(
            session,
            treatment_type_id=treatment,
            therapist_id=therapist,
            now=_now(),
            first=first,
        )
    return _render(
        "book/times.html", clinic=found.clinic, week=found, therapist_arg=_therapist_arg(therapist)
    )


@bp.get("/details")
def details() -> Response:
    return _details_page(_id("treatment"), _therapist(), _instant("start"))


@bp.post("/details")
def request_hold() -> Response:
    treatment, therapist, start = _id("treatment"), _therapist(), _instant("start")
    form = request.form
    try:
        with db().transaction() as session:
            holds.request_online(
                session,
                treatment_type_id=treatment,
                therapist_id=therapist,
                start=start,
                name=form.get("name", ""),
                email=form.get("email", ""),
                phone=form.get("phone", ""),
                note=form.get("note", ""),
                consent=form.get("consent") == "yes",
                address=request.remote_addr,
                now=_now(),
            )
    except ClinicError as exc:
        if exc.retry_after is not None:
            raise
        return _details_page(treatment, therapist, start, refusal=exc)
    return redirect(url_for("booking_pages.sent"), code=303)  # type: ignore[return-value]


@bp.get("/theme.css")
def theme() -> Response:
    """The clinic's colours over the pages' own; revalidated each time, cheap when unchanged."""
    with db().read() as session:
        css = online_menu.theme(session).css()
    response = Response(css, mimetype="text/css", headers={"Cache-Control": "no-cache"})
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/sent")
def sent() -> Response:
    with db().read() as session:
        return _render("book/sent.html", clinic=online_menu.page(session))


@bp.get("/confirm/<token>")
def confirmation(token: str) -> Response:
    with db().read() as session:
        held = holds.find_hold(session, token)
        return _render(
            "book/confirm.html",
            clinic=online_menu.page(session),
            held=held,
            state=holds.state(held, _now()),
            done=request.args.get("done") == "1",
            tz=online_menu.zone(session),
            locale=online_menu.writing(session),
        )


@bp.post("/confirm/<token>")
def confirm(token: str) -> Response:
    with db().transaction() as session:
        holds.confirm(session, token, now=_now(), actor="client (booking page)")
    return redirect(url_for("booking_pages.confirmation", token=token, done="1"), code=303)  # type: ignore[return-value]


# -- translating input ---------------------------------------------------------------------


def _now() -> datetime:
    """The app's clock (tests give one as CLOCK)."""
    clock = current_app.config.get("CLOCK", utcnow)
    return clock()  # type: ignore[no-any-return]


def _id(name: str) -> int:
    raw = request.values.get(name, "")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 10:
        raise InvalidInput("choose one from the list", field=name)
    return int(raw)


def _therapist() -> int | None:
    return None if request.values.get("therapist", "any") == "any" else _id("therapist")


def _therapist_arg(therapist: int | None) -> str:
    return "any" if therapist is None else str(therapist)


def _date(name: str) -> date:
    try:
        return date.fromisoformat(request.values.get(name, ""))
    except ValueError:
        raise InvalidInput("expected a date like 2027-03-01", field=name) from None


def _instant(name: str) -> datetime:
    raw = request.values.get(name, "")
    try:
        when = datetime.fromisoformat(raw) if len(raw) <= 40 else None
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise InvalidInput("choose a time from the list", field=name)
    return when


def _details_page(
    treatment: int, therapist: int | None, start: datetime, *, refusal: ClinicError | None = None
) -> Response:
    with db().read() as session:
        if refusal is None:
            giver = online_menu.check_time(
                session,
                treatment_type_id=treatment,
                therapist_id=therapist,
                start=start,
                now=_now(),
            )
        else:  # the form again, with what was wrong
            giver = online_menu.giver(session, treatment, therapist)
        return _render(
            "book/details.html",
            status=http_status(refusal) if refusal else 200,
            clinic=online_menu.page(session),
            choice=online_menu.choice(session, treatment),
            giver=giver,
            start=start,
            tz=online_menu.zone(session),
            locale=online_menu.writing(session),
            therapist_arg=_therapist_arg(therapist),
            values={k: request.form.get(k, "") for k in FORM_FIELDS},
            consent=request.form.get("consent") == "yes",
            refusal=refusal,
        )


def _render(template: str, *, status: int = 200, **context: Any) -> Response:
    return Response(render_template(template, **context), status=status, mimetype="text/html")


# -- showing times at the clinic ----------------------------------------------------------


bp.add_app_template_filter(long_day, "book_date")


@bp.app_template_filter("book_when")
def _book_when(instant: datetime, tz: ZoneInfo, locale: Locale) -> str:
    """'Monday 1 March 2027, 17:30' in the clinic's zone, its clock as the clinic writes it."""
    return f"{long_day(clinic_time.local_date(instant, tz))}, {clinic_time.hm(instant, tz, locale)}"


@bp.app_template_filter("book_instant")
def _book_instant(instant: datetime) -> str:
    """An instant for a query string, with nothing to escape: '2027-03-01T09:00Z'."""
    return f"{instant.astimezone(UTC):%Y-%m-%dT%H:%MZ}"


@bp.app_template_filter("book_time")
def _book_time(instant: datetime, tz: ZoneInfo, locale: Locale) -> str:
    return clinic_time.hm(instant, tz, locale)


# -- answers -------------------------------------------------------------------------------


@bp.errorhandler(ClinicError)
def _refused(exc: ClinicError) -> Response:
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else {}
    html = render_template("book/message.html", refusal=exc, status=http_status(exc))
    return Response(html, status=http_status(exc), mimetype="text/html", headers=headers)


@bp.errorhandler(HTTPException)
def _http(exc: HTTPException) -> Response:
    html = render_template(
        "book/message.html", title=exc.name, message=exc.description or exc.name, status=exc.code
    )
    return Response(html, status=exc.code or 500, mimetype="text/html")
