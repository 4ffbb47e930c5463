"""Error pages: a refusal or a missing page is a readable page, never a stack trace."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, g, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from services.dashboard.auth import login_manager
from shared.db import outage
from shared.errors import ClinicError, http_status

log = logging.getLogger("clinic.dashboard")


def _page(status: int, title: str, message: str) -> tuple[str, int]:
    if "_login_user" not in g:
        # The error page names no one: never load the account for it (that is what may have
        # failed, e.g. with the database down).
        g._login_user = login_manager.anonymous_user()
    return render_template(
        "dashboard/error.html", status=status, title=title, message=message
    ), status


def register(app: Flask) -> None:
    @app.errorhandler(403)
    def forbidden(_: Any) -> tuple[str, int]:
        return _page(
            403,
            "Only admins can do that",
            "Your account can see this part of the clinic's set-up but not change it. "
            "Ask an admin if something needs changing.",
        )

    @app.errorhandler(404)
    def not_found(_: Any) -> tuple[str, int]:
        return _page(
            404, "Not found", "There is nothing at this address (it may have been removed)."
        )

    @app.errorhandler(CSRFError)
    def csrf_failed(_: CSRFError) -> tuple[str, int]:
        return _page(
            400,
            "The form was too old",
            "For your safety the form could not be sent (it was opened before you logged in "
            "again, or in another session). Go back, reload the page and try again.",
        )

    @app.errorhandler(ClinicError)
    def refused(exc: ClinicError) -> Any:
        # Screens show a refusal beside its form; what reaches here is a page that cannot be
        # shown at all (e.g. an unknown booking: NotFound, a 404) or a safety net.
        status = http_status(exc)
        title = "Not found" if status == 404 else "That was not possible"
        if exc.retry_after is not None:
            title = "Please try again in a moment"
            return *_page(status, title, exc.message), {"Retry-After": str(exc.retry_after)}
        return _page(status, title, exc.message)

    @app.errorhandler(Exception)
    def failed(exc: Exception) -> Any:
        if isinstance(exc, HTTPException):  # 400, 405, ...: Werkzeug's own answer
            return exc
        unavailable = outage(exc)  # e.g. a list read through Flask-Admin: retryable, a 503
        if unavailable is not None:
            return refused(unavailable)
        # shared.logs writes the exception's type and stack with the request id, never its
        # text: that may quote a client's name or e-mail address (a constraint's DETAIL).
        log.error("unhandled error", exc_info=exc)
        return _page(
            500,
            "Something went wrong",
            "The clinic's system could not do that. Nothing was changed; try again, and if it "
            "happens again tell whoever looks after the system the time it happened.",
        )
