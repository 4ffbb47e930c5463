"""What every API route shares: parsing with pydantic, JSON responses, and the OpenAPI registry."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import Response, request
from pydantic import BaseModel
from werkzeug.exceptions import BadRequest, NotFound
from werkzeug.routing import IntegerConverter

M = TypeVar("M", bound=BaseModel)
MAX_ID = 2**31 - 1
F = TypeVar("F", bound=Callable[..., Any])


def parse_query(model: type[M]) -> M:
    """Query parameters into `model`; a repeated or unknown parameter is a 422."""
    values: dict[str, Any] = {}
    for key, items in request.args.lists():
        values[key] = items[0] if len(items) == 1 else items
    return model.model_validate(values)


def parse_body(model: type[M], *, optional: bool = False) -> M:
    """A JSON body into `model`; malformed JSON is a 400, invalid values a 422."""
    raw = request.get_data(cache=True)
    if not raw.strip() and optional:
        return model()
    if not request.is_json:
        raise BadRequest("Send a JSON body with Content-Type: application/json")
    try:
        data = request.get_json(force=True)
    except BadRequest:
        raise BadRequest("The body is not valid JSON") from None
    if not isinstance(data, dict):
        raise BadRequest("The JSON body must be an object")
    return model.model_validate(data)


def respond(model: BaseModel, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        model.model_dump_json(), status=status, mimetype="application/json", headers=headers
    )


@dataclass
class Operation:
    summary: str
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    errors: tuple[int, ...] = ()
    auth: bool = False
    tag: str = "scheduler"
    headers: dict[str, str] = field(default_factory=dict)


OPERATIONS: dict[str, Operation] = {}  # keyed by the view function's endpoint name


def operation(endpoint: str, op: Operation) -> Callable[[F], F]:
    """Describe a route for the OpenAPI document (which is built from the URL map)."""

    def register(view: F) -> F:
        OPERATIONS[endpoint] = op
        return view

    return register


class IdConverter(IntegerConverter):
    """`<id:name>`: a database id; 0 or one too large for the database is a 404, not a 500."""

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_ID:
            raise NotFound(f"No record with id {value}")
        return number
