"""One log line per HTTP request, and its metrics, as plain WSGI middleware (no Flask here).

The line (shared.logs' format) holds method, path, route, status, duration and a request id
(also sent back as the `X-Request-ID` header); every other line the request causes carries the
same id. The request is counted in `clinic_http_requests_total` and timed, by route.

Secrets in paths are redacted: feed tokens (`/feeds/<kind>/<token>.ics`), clients' booking links
(`/b/<access_token>`), any other token-like segment, and anything that looks like an e-mail
address. Query strings, bodies, headers and client addresses are never logged, so no client's
personal data reaches the logs.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from shared import logs, metrics

log = logging.getLogger("clinic.requests")
UNMATCHED = "unmatched"  # the route of a request no URL rule matched (a 404)
_ROUTE = "clinic.route"

REDACTED = "[redacted]"
FEED_KINDS = frozenset({"therapist", "room", "clinic", "booking"})
# Prefixes whose next segment is a secret: a client's booking link and its older spellings.
_SECRET_AFTER = frozenset({"b", "booking-links", "manage"})
# A segment that looks like a generated token (secrets.token_urlsafe gives 32+ characters).
_TOKEN_LIKE = re.compile(r"[A-Za-z0-9_\-]{20,}")
_REQUEST_ID = re.compile(r"[A-Za-z0-9\-]{8,64}")


def redact(path: str) -> str:
    """The path with every secret or personal segment replaced by `[redacted]`."""
    segments = path.split("/")
    out: list[str] = []
    for i, segment in enumerate(segments):
        if i >= 1 and _is_secret(segments, i):
            suffix = ".ics" if segment.endswith(".ics") else ""
            out.append(REDACTED + suffix)
        else:
            out.append(segment)
    return "/".join(out)


def _is_secret(segments: list[str], i: int) -> bool:
    segment = segments[i]
    if not segment:
        return False
    if i == 2 and segments[1] in _SECRET_AFTER:
        return True
    if i == 3 and segments[1] == "feeds" and segments[2] in FEED_KINDS:
        return True
    if "@" in segment:
        return True
    stem = segment.removesuffix(".ics")
    return bool(_TOKEN_LIKE.fullmatch(stem))


class RequestLog:
    """Wraps a WSGI app: sets X-Request-ID and logs method, path, status and duration.

    The line is written when the server closes the response, so the duration includes
    sending the body; an app that raises is logged as status 500.
    """

    def __init__(self, app: Callable[..., Iterable[bytes]], service: str) -> None:
        self.app = app
        self.service = service

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        incoming = environ.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        environ["clinic.request_id"] = request_id
        started = time.perf_counter()
        status_holder: dict[str, int] = {}

        def _start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status_holder["status"] = int(status.split(" ", 1)[0])
            headers[:] = [(k, v) for k, v in headers if k.lower() != "x-request-id"]
            headers.append(("X-Request-ID", request_id))
            return start_response(status, headers, exc_info)

        def _write_line() -> None:
            seconds = time.perf_counter() - started
            status = status_holder.get("status", 500)
            method = str(environ.get("REQUEST_METHOD", ""))
            route = _route(environ)
            metrics.observe_request(self.service, route, method, status, seconds)
            log.info(
                "request",
                extra={
                    "service": self.service,
                    "request_id": request_id,
                    "method": method,
                    "path": redact(environ.get("PATH_INFO", "")),
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                },
            )

        # Lines logged while the app runs carry the id; the request's own line, written
        # once the body is sent, names it itself. Unbound on return, so it never leaks into
        # a later line of this thread, even when a server never closes the body.
        token = logs.bind_request_id(request_id)
        try:
            body = self.app(environ, _start)
        except BaseException:
            status_holder["status"] = 500
            _write_line()
            raise
        finally:
            logs.reset_request_id(token)
        return _ClosingBody(body, _write_line)


def remember_route(environ: dict[str, Any], url_rule: object | None) -> None:
    """Called by the app once routing is done (a `before_request`): the URL rule that matched,
    e.g. `/feeds/therapist/<token>.ics`, labels the request's metrics; never the path, which
    holds tokens and ids."""
    rule = getattr(url_rule, "rule", None)
    if rule:
        environ[_ROUTE] = str(rule)


def _route(environ: dict[str, Any]) -> str:
    return str(environ.get(_ROUTE) or UNMATCHED)


class _ClosingBody:
    """The app's response body, calling `on_close` once the server has finished with it."""

    def __init__(self, body: Iterable[bytes], on_close: Callable[[], None]) -> None:
        self._body = body
        self._on_close = on_close

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._body)

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            self._on_close()
