"""The pages a waiting-list offer's e-mail links to, at /book/offer/<token>: opening one
changes nothing (mail scanners open every link); its button takes or declines the time.

The form carries a token signed with the app's secret and bound to this offer, so another
site cannot make a visitor's browser answer for them. Every refusal is shown on the page.
"""

from __future__ import annotations

import hashlib
import hmac
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
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from services.scheduler.context import db, settings
from shared import offers
from shared.errors import ClinicError, DatabaseUnavailable, NotFound, http_status
from shared.models.types import utcnow

bp = Blueprint("offer_pages", __name__, template_folder="templates")

FORM_MAX_AGE_SECONDS = 7 * 24 * 3600
_SALT = "clinic.waitlist-offer"
_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
}


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings().secret_key, salt=_SALT)


def _tag(token: str) -> str:
    """Names the offer in the form token without repeating its secret."""
    return hashlib.sha256(token.encode()).hexdigest()[:32]


def _form_token_problem(signed: str, token: str) -> str | None:
    try:
        value = _signer().loads(signed, max_age=FORM_MAX_AGE_SECONDS)
    except SignatureExpired:
        return "This page was open too long. Please try again."
    except BadSignature:
        return "This form could not be checked. Please reload the page and try again."
    if not isinstance(value, str) or not hmac.compare_digest(value, _tag(token)):
        return "This form could not be checked. Please reload the page and try again."
    return None


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
            form_token=_signer().dumps(_tag(token)),
            message=message,
            error=error,
            when=lambda instant, fmt="%A %d %B %Y, %H:%M": instant.astimezone(found.tz).strftime(
                fmt
            ),
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
    problem = _form_token_problem(request.form.get("form_token", ""), token)
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


@bp.after_request
def _secure(response: Response) -> Response:
    for name, value in _HEADERS.items():
        response.headers.setdefault(name, value)
    return response


@bp.errorhandler(NotFound)
def _not_found(exc: NotFound) -> Response:
    html = render_template("client/message.html", title="Link not valid", message=exc.message)
    return Response(html, status=404, mimetype="text/html")


@bp.errorhandler(ClinicError)
def _refused(exc: ClinicError) -> Response:
    status = http_status(exc)
    token = (request.view_args or {}).get("token", "")
    if isinstance(exc, DatabaseUnavailable):
        html = render_template(
            "client/message.html", title="Please try again in a moment", message=exc.message
        )
        headers = {"Retry-After": str(exc.retry_after)}
        return Response(html, status=status, mimetype="text/html", headers=headers)
    answer = "decline" if request.path.endswith("/decline") else "take"
    return _page(token, answer=answer, message=exc.message, error=True, status=status)
