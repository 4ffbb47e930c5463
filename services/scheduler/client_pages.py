"""The client's own page for one booking, at /b/<access_token>: see it, add it, cancel it.

No login: the secret link is the credential. The cancel form carries a token signed with the
app's secret and bound to this booking (no session cookie needed), so another site cannot
make a visitor's browser cancel. Every refusal is shown on the page, never as a 500.
"""

from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from services.scheduler import link_pages
from services.scheduler.context import db, settings
from shared import self_service
from shared.errors import ClinicError, DatabaseUnavailable, InvalidInput, NotFound, http_status
from shared.models.types import utcnow

bp = Blueprint("client_pages", __name__, template_folder="templates")

FORM_TOKENS = link_pages.FormTokens("clinic.client-cancel", 6 * 3600)
link_pages.secure(bp, unlisted=True)


def _page(
    token: str, *, message: str = "", error: bool = False, done: bool = False, status: int = 200
) -> Response:
    with db().read() as session:
        view = self_service.view(session, token, base_url=settings().public_base_url)
        html = render_template(
            "client/booking.html",
            view=view,
            form_token=FORM_TOKENS.issue(token) if view.can_cancel else "",
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
    problem = FORM_TOKENS.problem(request.form.get("form_token", ""), token)
    if problem:
        with db().read() as session:
            self_service.find_booking(session, token)  # a wrong link stays a 404
        return _page(token, message=problem, error=True, status=400)
    with db().transaction() as session:
        self_service.cancel(session, token, reason=request.form.get("reason", ""), now=utcnow())
    return redirect(url_for("client_pages.show", token=token, done="cancelled"), code=303)  # type: ignore[return-value]


bp.register_error_handler(NotFound, link_pages.link_not_valid)


@bp.errorhandler(ClinicError)
def _refused(exc: ClinicError) -> Response:
    status = http_status(exc)
    token = (request.view_args or {}).get("token", "")
    if isinstance(exc, DatabaseUnavailable):  # the page itself cannot be read now
        return link_pages.try_again_later(exc)
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
