"""What every API route shares: parsing with pydantic, JSON responses, and the OpenAPI registry."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import Response, request
from pydantic import BaseModel
from werkzeug.exceptions import BadRequest, NotFound
from werkzeug.routing import IntegerConverter

from shared.errors import InvalidInput
from shared.validation import MAX_ID

M = TypeVar("M", bound=BaseModel)
F = TypeVar("F", bound=Callable[..., Any])
# No request of this API nests deeper than a few levels; Python's parser gives up near 1,000.
MAX_JSON_DEPTH = 32
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")  # NUL, and halves of a character
_ETAG = re.compile(r'"(\d{1,10})"')


def parse_query(model: type[M]) -> M:
    """Query parameters into `model`; a repeated or unknown parameter is a 422."""
    values: dict[str, Any] = {}
    for key, items in request.args.lists():
        for item in items:
            _storable(item, key)
        values[key] = items[0] if len(items) == 1 else items
    return model.model_validate(values)


def parse_body(model: type[M], *, optional: bool = False) -> M:
    """A JSON body into `model`; malformed or absurdly nested JSON is a 400, invalid values
    (a NUL anywhere among them) a 422."""
    raw = request.get_data(cache=True)
    if not raw.strip() and optional:
        return model()
    if not request.is_json:
        raise BadRequest("Send a JSON body with Content-Type: application/json")
    if _nested_too_deep(raw):
        raise BadRequest(f"The JSON body nests more than {MAX_JSON_DEPTH} levels deep")
    try:
        data = request.get_json(force=True)
    except BadRequest:
        raise BadRequest("The body is not valid JSON") from None
    if not isinstance(data, dict):
        raise BadRequest("The JSON body must be an object")
    _walk_storable(data, "")
    return model.model_validate(data)


def if_match_version() -> int | None:
    """The version an `If-Match` header names (the ETag of GET), or None without one (or
    with `*`). Raises InvalidInput for a value this API never gave."""
    raw = request.headers.get("If-Match")
    if raw is None or raw.strip() == "*":
        return None
    found = _ETAG.fullmatch(raw.strip())
    if found is None or int(found.group(1)) > MAX_ID:
        raise InvalidInput(
            'expected one ETag as this API gives it, e.g. "3" (quotes included)', field="If-Match"
        )
    return int(found.group(1))


def etag(version: int) -> str:
    return f'"{version}"'


def _nested_too_deep(raw: bytes) -> bool:
    if raw.count(b"[") + raw.count(b"{") <= MAX_JSON_DEPTH:
        return False  # every ordinary body: no scan
    depth, in_string, escaped = 0, False, False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


def _walk_storable(value: object, path: str) -> None:
    if isinstance(value, str):
        _storable(value, path or "body")
    elif isinstance(value, dict):
        for key, item in value.items():
            _storable(key, path or "body")
            _walk_storable(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk_storable(item, f"{path}.{index}" if path else str(index))


def _storable(text: str, field: str) -> None:
    """Refuses what no text column can hold: a NUL, or half of a character."""
    found = _UNSTORABLE.search(text)
    if found:
        what = "a NUL character (\\0)" if found.group() == "\x00" else "an unpaired surrogate"
        raise InvalidInput(f"may not contain {what}", field=field)


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
