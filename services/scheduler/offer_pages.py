"""The pages a waiting-list offer's e-mail links to, at /book/offer/<token>: opening one
changes nothing (mail scanners open every link); its button takes or declines the time.

The form carries a token signed with the app's secret and bound to this offer, so another
site cannot make a visitor's browser answer for them. Every refusal is shown on the page.
"""

from __future__ import annotations

from datetime import datetime

from flask import (
    Blueprint,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)

from services.scheduler import link_pages
from services.scheduler.context import db, settings
from shared import offers, online_menu
from shared.errors import ClinicError, DatabaseUnavailable, NotFound, http_status
from shared.models.types import utcnow

bp = Blueprint("offer_pages", __name__, template_folder="templates")

FORM_TOKENS = link_pages.FormTokens("clinic.waitlist-offer", 7 * 24 * 3600)
link_pages.secure(bp, unlisted=True)


def _now() -> datetime:
    """The app's clock (tests give one as CLOCK)."""
    clock = current_app.config.get("CLOCK", utcnow)
    return clock()  # type: ignore[no-any-return]


def _page(
    token: str, *, answer: str, message: str = "", error: bool = False, status: int = 200
) -> Response:
    with db().read() as session:
        found = offers.view(session, token, now=_now())
        html = render_template(
            "client/offer.html",
            view=found,
            answer=answer,
            token=token,
            form_token=FORM_TOKENS.issue(token),
            message=message,
            error=error,
            locale=online_menu.writing(session),
            page_url=settings().public_base_url.rstrip("/") + f"/b/{found.hold.access_token}",
        )
    return Response(html, status=status, mimetype="text/html")


@bp.get("/book/offer/<token>")
def show(token: str) -> Response:
    done = request.args.get("done", "")
    message = {
        "taken": "It is yours: the time is booked, and an invitation is on its way by e-mail.",
        "declined": "Thank you: the time goes to the next person, and you stay on the "
        "waiting list for other times.",
    }.get(done, "")
    return _page(token, answer="take", message=message)


@bp.get("/book/offer/<token>/decline")
def show_decline(token: str) -> Response:
    return _page(token, answer="decline")


@bp.post("/book/offer/<token>/take")
def take(token: str) -> Response:
    return _answer(token, "take")


@bp.post("/book/offer/<token>/decline")
def decline(token: str) -> Response:
    return _answer(token, "decline")


def _answer(token: str, answer: str) -> Response:
    problem = FORM_TOKENS.problem(request.form.get("form_token", ""), token)
    if problem:
        with db().read() as session:
            offers.find_offer(session, token)  # a wrong link stays a 404
        return _page(token, answer=answer, message=problem, error=True, status=400)
    with db().transaction() as session:
        if answer == "take":
            offers.take(session, token, now=_now())
        else:
            offers.decline(session, token, now=_now())
    done = "taken" if answer == "take" else "declined"
    return redirect(url_for("offer_pages.show", token=token, done=done), code=303)  # type: ignore[return-value]


bp.register_error_handler(NotFound, link_pages.link_not_valid)


@bp.errorhandler(ClinicError)
def _refused(exc: ClinicError) -> Response:
    status = http_status(exc)
    token = (request.view_args or {}).get("token", "")
    if isinstance(exc, DatabaseUnavailable):
        return link_pages.try_again_later(exc)
    answer = "decline" if request.path.endswith("/decline") else "take"
    return _page(token, answer=answer, message=exc.message, error=True, status=status)
