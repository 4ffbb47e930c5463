"""What the pages clients reach from an e-mail share: strict headers, a signed form token bound
to the link's secret (so another site cannot make a visitor's browser press the button), and
the messages shown for an unknown link or a database that cannot be reached."""

from __future__ import annotations

import hashlib
import hmac

from flask import Blueprint, Response, render_template
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from services.scheduler.context import settings
from shared.errors import DatabaseUnavailable, NotFound, http_status

_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self' 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
}
_UNCHECKED = "This form could not be checked. Please reload the page and try again."


def secure(bp: Blueprint, *, unlisted: bool) -> None:
    """Send the strict headers on every answer of `bp`; an `unlisted` page (one reached by a
    secret link) also asks search engines to keep it out of their index."""
    headers = {**_HEADERS, **({"X-Robots-Tag": "noindex, nofollow"} if unlisted else {})}

    @bp.after_request
    def _secure(response: Response) -> Response:
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response


class FormTokens:
    """Tokens for a page's form, each bound to the link's secret and valid for `max_age`."""

    def __init__(self, salt: str, max_age_seconds: int) -> None:
        self.salt = salt
        self.max_age_seconds = max_age_seconds

    def _signer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(settings().secret_key, salt=self.salt)

    @staticmethod
    def _tag(secret: str) -> str:
        """Names the link in the form token without repeating its secret."""
        return hashlib.sha256(secret.encode()).hexdigest()[:32]

    def issue(self, secret: str) -> str:
        return self._signer().dumps(self._tag(secret))

    def problem(self, signed: str, secret: str) -> str | None:
        """None if `signed` is this link's token and fresh, else what to tell the visitor."""
        try:
            value = self._signer().loads(signed, max_age=self.max_age_seconds)
        except SignatureExpired:
            return "This page was open too long. Please try again."
        except BadSignature:
            return _UNCHECKED
        if not isinstance(value, str) or not hmac.compare_digest(value, self._tag(secret)):
            return _UNCHECKED
        return None


def link_not_valid(exc: NotFound) -> Response:
    html = render_template("client/message.html", title="Link not valid", message=exc.message)
    return Response(html, status=404, mimetype="text/html")


def try_again_later(exc: DatabaseUnavailable) -> Response:
    html = render_template(
        "client/message.html", title="Please try again in a moment", message=exc.message
    )
    headers = {"Retry-After": str(exc.retry_after)}
    return Response(html, status=http_status(exc), mimetype="text/html", headers=headers)
