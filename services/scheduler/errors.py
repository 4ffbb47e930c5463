"""The API's one error handler: every failure is JSON {"error": {code, message, fields}}."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from shared.db import outage
from shared.errors import AuthError, ClinicError, Forbidden, http_status

log = logging.getLogger("clinic.scheduler")


def error_response(
    status: int, code: str, message: str, fields: dict[str, str] | None = None
) -> tuple[Response, int]:
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    return jsonify(body), status


def pydantic_fields(exc: ValidationError) -> dict[str, str]:
    fields: dict[str, str] = {}
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"] if p != "__root__") or "body"
        fields.setdefault(loc, err["msg"])
    return fields


def register(app: Flask) -> None:
    @app.errorhandler(ClinicError)
    def _clinic(exc: ClinicError) -> tuple[Response, int]:
        response = error_response(http_status(exc), exc.code, exc.message, exc.fields)
        if isinstance(exc, AuthError) and not isinstance(exc, Forbidden):
            response[0].headers["WWW-Authenticate"] = 'Bearer realm="clinic"'
        if exc.retry_after is not None:
            response[0].headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.errorhandler(ValidationError)
    def _invalid(exc: ValidationError) -> tuple[Response, int]:
        fields = pydantic_fields(exc)
        first = next(iter(fields.items()))
        return error_response(422, "invalid_input", f"{first[0]}: {first[1]}", fields)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> tuple[Response, int]:
        code = (exc.name or "error").lower().replace(" ", "_")
        response = error_response(exc.code or 500, code, exc.description or exc.name)
        if exc.code == 405 and exc.valid_methods:  # type: ignore[attr-defined]
            response[0].headers["Allow"] = ", ".join(exc.valid_methods)  # type: ignore[attr-defined]
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> tuple[Response, int]:
        unavailable = outage(exc)  # a database outage is retryable, not a bug: 503
        if unavailable is not None:
            return _clinic(unavailable)
        # shared.logs writes the exception's type and stack with the request id, never its
        # text: that may quote client data (e.g. a constraint's DETAIL).
        log.error("unhandled error", exc_info=exc)
        return error_response(500, "internal_error", "Something went wrong on our side")
