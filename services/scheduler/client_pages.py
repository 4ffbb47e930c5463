"""The client's own page for one booking, at /b/<access_token>: see it, add it, cancel it.

No login: the secret link is the credential. The cancel form carries a token signed with the
app's secret and bound to this booking (no session cookie needed), so another site cannot
make a visitor's browser cancel. Every refusal is shown on the page, never as a 500.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import Blueprint, Response, redirect, render_template, request, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.exceptions import HTTPException

from services.scheduler.context import db, settings
from shared import self_service
from shared.errors import ClinicError, DatabaseUnavailable, InvalidInput, NotFound, http_status
from shared.models.types import utcnow

bp = Blueprint("client_pages", __name__, template_folder="templates")

FORM_MAX_AGE_SECONDS = 6 * 3600
_SALT = "clinic.client-cancel"
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


def _booking_tag(access_token: str) -> str:
    """Names the booking in the form token without repeating its secret."""
    return hashlib.sha256(access_token.encode()).hexdigest()[:32]


def _form_token(access_token: str) -> str:
    return _signer().dumps(_booking_tag(access_token))


def _form_token_ok(signed: str, access_token: str) -> str | None:
    """None if the signed form token is for this booking and fresh, else what went wrong."""
    try:
        value = _signer().loads(signed, max_age=FORM_MAX_AGE_SECONDS)
    except SignatureExpired:
        return "This page was open too long. Please try again."
    except BadSignature:
        return "This form could not be checked. Please reload the page and try again."
    if not isinstance(value, str) or not hmac.compare_digest(value, _booking_tag(access_token)):
        return "This form could not be checked. Please reload the page and try again."
    return None


def _page(
    token: str, *, message: str = "", error: bool = False, done: bool = False, status: int = 200
) -> Response:
    with db().read() as session:
        view = self_service.view(session, token, base_url=settings().public_base_url)
        html = render_template(
            "client/booking.html",
            view=view,
            form_token=_form_token(token) if view.can_cancel else "",
            token=token,
            message=message,
            error=error,
            done=done,
        )
    return Response(html, status=status, mimetype="text/html")


@bp.get("/b/<token>")
def show(token: str) -> Response:
    done = request.args.get("done") == "cancelled"
    message = (
        "Your appointment is cancelled. A confirmation is on its way by e-mail." if done else ""
    )
    return _page(token, message=message)


@bp.post("/b/<token>/cancel")
def cancel(token: str) -> Response:
    problem = _form_token_ok(request.form.get("form_token", ""), token)
    if problem:
        with db().read() as session:
            self_service.find_booking(session, token)  # a wrong link stays a 404
        return _page(token, message=problem, error=True, status=400)
    with db().transaction() as session:
        self_service.cancel(session, token, reason=request.form.get("reason", ""), now=utcnow())
    return redirect(url_for("client_pages.show", token=token, done="cancelled"), code=303)  # type: ignore[return-value]


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
    if isinstance(exc, DatabaseUnavailable):  # the page itself cannot be read now
        html = render_template(
            "client/message.html", title="Please try again in a moment", message=exc.message
        )
        headers = {"Retry-After": str(exc.retry_after)}
        return Response(html, status=status, mimetype="text/html", headers=headers)
    if isinstance(exc, InvalidInput) and exc.field == "reason":
        problem = "is too long" if exc.message.startswith("at most") else "cannot be saved"
        return _page(token, message=f"The reason {problem}: {exc.message}.", error=True, status=422)
    return _page(token, message=exc.message, error=True, status=status)


@bp.errorhandler(HTTPException)
def _http(exc: HTTPException) -> Response:
    html = render_template(
        "client/message.html", title=exc.name, message=exc.description or exc.name
    )
    return Response(html, status=exc.code or 500, mimetype="text/html")
