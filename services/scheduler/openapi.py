"""GET /api/v1/openapi.json: the OpenAPI 3.1 document, built from the URL map and the models."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from services.scheduler.api import OPERATIONS, Operation, operation
from services.scheduler.schemas import ChangedOut, ErrorOut, Health

bp = Blueprint("openapi", __name__)

ERROR_TEXT = {
    400: "Malformed request (e.g. not JSON)",
    401: "Missing, unknown or revoked API key",
    403: "Not allowed",
    404: "Unknown id",
    409: "Conflict: something is in the way (the message names it)",
    412: "The booking changed since the ETag in If-Match: nothing was written; `current` is "
    "the booking as it is now, and the response's ETag its version",
    422: "Invalid values (fields names each)",
    429: "Too many failed API key checks from this address: wait `Retry-After` seconds",
    503: "Database unreachable: retry after `Retry-After` seconds",
}
RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer", "minimum": 1}}
}
ETAG = {
    "ETag": {
        "description": 'The booking\'s version (its `sequence`, quoted, e.g. "3"), for If-Match',
        "schema": {"type": "string"},
    }
}
LOCATION = {"Location": {"description": "The new booking's address", "schema": {"type": "string"}}}
_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


@bp.get("/api/v1/openapi.json")
@operation("openapi.document", Operation("This document", tag="meta"))
def document() -> Response:
    cached = current_app.extensions.get("clinic.openapi")
    if cached is None:
        cached = current_app.extensions["clinic.openapi"] = build(current_app)
    return jsonify(cached)


@operation("health.healthz", Operation("The process is up", response=Health, tag="meta"))
@operation(
    "health.readyz",
    Operation("The database is reachable", response=Health, errors=(503,), tag="meta"),
)
def _health_docs() -> None:
    """Health routes live in health.py; their descriptions live here with the others."""


def _models() -> list[type[BaseModel]]:
    found: dict[str, type[BaseModel]] = {"ErrorOut": ErrorOut, "ChangedOut": ChangedOut}
    for op in OPERATIONS.values():
        for model in (op.body, op.response):
            if model is not None:
                found[model.__name__] = model
    return list(found.values())


def build(app: Flask) -> dict[str, Any]:
    models = _models()
    refs, schema = models_json_schema(
        [(m, "serialization") for m in models] + [(m, "validation") for m in models],
        ref_template="#/components/schemas/{model}",
    )

    def ref(model: type[BaseModel], mode: str) -> dict[str, Any]:
        return refs[(model, mode)]  # type: ignore[index]

    paths: dict[str, dict[str, Any]] = {}
    for rule in app.url_map.iter_rules():
        op = OPERATIONS.get(rule.endpoint)
        if op is None:
            continue
        path = _PARAM.sub(r"{\2}", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(rule, op, ref)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Clinic scheduler API",
            "version": "1.0.0",
            "description": "Slots, bookings, therapists and rooms of a multi-practitioner clinic. "
            "Times are ISO 8601 with the clinic's UTC offset.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": schema.get("$defs", {}),
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API key from `clinic api-key create NAME`",
                }
            },
        },
    }


def _operation(rule: Any, op: Operation, ref: Any) -> dict[str, Any]:
    params: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "integer", "minimum": 1} if conv == "int" else {"type": "string"},
        }
        for conv, name in _PARAM.findall(rule.rule)
    ]
    if op.query is not None:
        q = op.query.model_json_schema()
        for name, prop in q["properties"].items():
            prop = {k: v for k, v in prop.items() if k != "title"}
            params.append(
                {
                    "name": name,
                    "in": "query",
                    "required": name in q.get("required", []),
                    "schema": prop,
                    **({"description": prop["description"]} if "description" in prop else {}),
                }
            )
    for header, text in op.headers.items():
        params.append(
            {
                "name": header,
                "in": "header",
                "required": False,
                "schema": {"type": "string", "maxLength": 200},
                "description": text,
            }
        )
    result: dict[str, Any] = {
        "summary": op.summary,
        "operationId": rule.endpoint.replace(".", "_"),
        "tags": [op.tag],
        "parameters": params,
        "responses": {},
    }
    if op.body is not None:
        result["requestBody"] = {
            "required": op.body.__name__ != "BookingCancel",
            "content": {"application/json": {"schema": ref(op.body, "validation")}},
        }
    if op.response is not None:
        result["responses"][str(op.status)] = {
            "description": "OK",
            "content": {"application/json": {"schema": ref(op.response, "serialization")}},
        }
    else:
        result["responses"][str(op.status)] = {"description": "OK"}
    versioned = "If-Match" in op.headers or rule.endpoint in ("bookings.show", "bookings.create")
    if versioned:
        result["responses"][str(op.status)]["headers"] = dict(ETAG)
    if rule.endpoint == "bookings.create":
        result["responses"][str(op.status)]["headers"] |= LOCATION
    errors = set(op.errors)
    if params or op.body is not None:
        errors.add(422)
    if op.body is not None:
        errors.add(400)
    if op.auth:
        errors.update((401, 429))
        result["security"] = [{"bearerAuth": []}]
    if op.tag != "meta":
        errors.add(503)  # everything but the process's own health reads the database
    for status in sorted(errors):
        body = ChangedOut if status == 412 else ErrorOut
        result["responses"][str(status)] = {
            "description": ERROR_TEXT[status],
            "content": {"application/json": {"schema": ref(body, "serialization")}},
            **({"headers": ETAG} if status == 412 else {}),
            **({"headers": RETRY_AFTER} if status in (429, 503) else {}),
        }
    return result
