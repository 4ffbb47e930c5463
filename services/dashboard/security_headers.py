"""Headers every dashboard page carries: a Content-Security-Policy that runs only scripts of
this site or with this response's nonce (no inline script, no inline handler), what a
Referer may say, and in production that the dashboard is HTTPS only (HSTS)."""

from __future__ import annotations

import secrets

from flask import Flask, Response, g

HSTS = "max-age=31536000"


def nonce() -> str:
    """This response's script nonce (Flask-Admin's templates print it on their scripts)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return str(g.csp_nonce)


def policy(script_nonce: str) -> str:
    # Styles: the day view places its blocks with style attributes (CSS variables), which
    # nonces cannot cover; scripts are what an injection would use, and they are strict.
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{script_nonce}'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def register(app: Flask, *, production: bool) -> None:
    @app.context_processor
    def _nonce() -> dict[str, object]:
        return {"csp_nonce": nonce}

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = policy(nonce())
        response.headers["Referrer-Policy"] = "same-origin"
        if production:
            response.headers["Strict-Transport-Security"] = HSTS
        return response
