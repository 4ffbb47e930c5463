"""What no dashboard request may carry, refused before any screen reads it.

Flask-Admin's lists take `page`, `id` and `rowid` from the query string or the form and hand
them straight to the database, and redirect to `url` as given (a line break there would be a
broken header); a NUL in any field (a search box, a filter) is text no PostgreSQL column can
hold. Each is answered here with a page naming the field, never a 500.
Ids in paths are bounded by `IdConverter` (registered as the app's `int`).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template, request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

from shared.validation import MAX_ID, unprintable

MAX_PAGE = 1_000_000


class IdConverter(IntegerConverter):
    """`<int:name>` in the dashboard is always a row's id: one no row can have is a 404."""

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_ID:
            raise NotFound(f"No record with id {value}")
        return number


def is_number(raw: str) -> bool:
    """Plain ASCII digits (`str.isdigit` also says yes to '²', which `int` refuses)."""
    return raw.isascii() and raw.isdigit()


def is_id(raw: str) -> bool:
    return is_number(raw) and 1 <= int(raw) <= MAX_ID


def _problem(values: MultiDict[str, Any]) -> tuple[int, str] | None:
    for name, value in values.items(multi=True):
        if not isinstance(value, str):
            continue  # an uploaded file
        if "\x00" in value or "\x00" in name:
            return 400, f"{name or 'a field'}: {unprintable(value + name)}"
        if name == "page" and not (is_number(value) and int(value) <= MAX_PAGE):
            return 400, f"page: expected a page number from 0 to {MAX_PAGE}, not {value!r}"
        if name in ("id", "rowid") and not is_id(value):
            return 404, f"There is no record with id {value[:40]!r}."
        if name in ("url", "next") and unprintable(value):
            return 400, f"{name}: not an address on this site"
    return None


def _refuse() -> Any:
    found = _problem(request.args) or (_problem(request.form) if request.method == "POST" else None)
    if found is None:
        return None
    status, message = found
    title = "Not found" if status == 404 else "That could not be read"
    page = render_template("dashboard/error.html", status=status, title=title, message=message)
    return page, status


def register(app: Flask) -> None:
    app.before_request(_refuse)
