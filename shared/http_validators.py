"""Conditional GET (RFC 9110) for feed documents: their ETag and Last-Modified against the
request's If-None-Match and If-Modified-Since. Pure: the web layer passes the headers in.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from shared.feed_cache import Document
from shared.models.types import utcnow


def http_date(when: datetime) -> str:
    return format_datetime(when.astimezone(UTC), usegmt=True)


def _parse_http_date(value: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _etags(header: str) -> list[str]:
    out = []
    for part in header.split(","):
        tag = part.strip()
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag:
            out.append(tag)
    return out


def not_modified(
    doc: Document,
    *,
    if_none_match: str | None,
    if_modified_since: str | None,
    now: datetime | None = None,
) -> bool:
    """True when the client's copy is current (RFC 9110: If-None-Match wins over the date).

    A date in the future or one that cannot be parsed never yields 304, nor does one earlier
    than the feed's Last-Modified.
    """
    if if_none_match is not None:
        tags = _etags(if_none_match)
        return "*" in tags or doc.etag in tags
    if not if_modified_since:
        return False
    since = _parse_http_date(if_modified_since)
    if since is None:
        return False
    now = now or utcnow()
    if since > now:
        return False
    return doc.last_modified <= since
