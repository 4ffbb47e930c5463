"""iCal feeds over HTTP: /feeds/<therapist|room|clinic|booking>/<token>.ics, with 304s.

No API key: the unguessable token in the URL is the credential (calendar programs cannot send
headers). A wrong token is a plain 404 that names nothing, and the request log redacts it.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, request

from services.scheduler.context import db
from shared import feeds
from shared.feed_cache import FeedCache
from shared.http_validators import http_date, not_modified
from shared.models.types import utcnow

bp = Blueprint("feeds", __name__)

_CACHE_KEY = "clinic.feed_cache"


def _cache() -> FeedCache:
    app: Flask = current_app
    cache: FeedCache | None = app.extensions.get(_CACHE_KEY)
    if cache is None:
        cache = app.extensions.setdefault(_CACHE_KEY, FeedCache(db()))
    return cache


@bp.get("/feeds/<kind>/<token>.ics")
def feed(kind: str, token: str) -> Response:
    now = utcnow()
    database = db()
    with database.engine.connect() as conn:  # the usual request ends here: one small query
        found, marker = feeds.open_feed(conn, kind, token)
    doc = _cache().cached(found, marker)
    if doc is None:
        with database.read() as session:
            doc = _cache().document(session, found, now, marker=marker)
    fresh = not_modified(
        doc,
        if_none_match=request.headers.get("If-None-Match"),
        if_modified_since=request.headers.get("If-Modified-Since"),
        now=now,
    )
    response = Response(status=304) if fresh else Response(doc.body, status=200)
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    if not fresh:
        disposition = "attachment" if kind == "booking" else "inline"
        filename = "appointment.ics" if kind == "booking" else f"{kind}.ics"
        response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response.headers["ETag"] = doc.etag
    response.headers["Last-Modified"] = http_date(doc.last_modified)
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
