"""One JSON line per HTTP request, as plain WSGI middleware (no Flask here).

Tokens in feed and booking URLs are redacted; query strings and bodies are never logged,
so no client's personal data reaches the logs.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

log = logging.getLogger("clinic.requests")

# Path segments that are secrets: feed tokens, booking access tokens.
_SECRET_SEGMENT = re.compile(r"/(feeds|b|booking-links|manage)/([^/]+)(?=/|$)")
_LONG_TOKEN = re.compile(r"/[A-Za-z0-9_\-]{20,}(\.ics)?(?=/|$)")


# Under /feeds/ only a known kind stays readable; whatever else, right or wrong, does not.
_FEED_PATH = re.compile(r"^/feeds/(therapist|room|clinic|booking)/")


def redact(path: str) -> str:
    if path.startswith("/feeds/"):
        kind = _FEED_PATH.match(path)
        return f"/feeds/{kind.group(1)}/[redacted]" if kind else "/feeds/[redacted]"
    path = _SECRET_SEGMENT.sub(lambda m: f"/{m.group(1)}/[redacted]", path)
    return _LONG_TOKEN.sub(lambda m: "/[redacted]" + (m.group(1) or ""), path)


def configure_logging(json_lines: bool = True) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.handlers[:] = [handler]
    log.setLevel(logging.INFO)
    log.propagate = False


class RequestLog:
    """Wraps a WSGI app: sets X-Request-ID and logs method, path, status and duration."""

    def __init__(self, app: Callable[..., Iterable[bytes]], service: str) -> None:
        self.app = app
        self.service = service

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        incoming = environ.get("HTTP_X_REQUEST_ID", "")
        request_id = (
            incoming if re.fullmatch(r"[A-Za-z0-9\-]{8,64}", incoming) else uuid.uuid4().hex
        )
        environ["clinic.request_id"] = request_id
        started = time.perf_counter()
        status_holder: dict[str, int] = {}

        def _start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status_holder["status"] = int(status.split(" ", 1)[0])
            headers.append(("X-Request-ID", request_id))
            return start_response(status, headers, exc_info)

        try:
            return self.app(environ, _start)
        finally:
            if log.isEnabledFor(logging.INFO):
                log.info(
                    json.dumps(
                        {
                            "service": self.service,
                            "request_id": request_id,
                            "method": environ.get("REQUEST_METHOD"),
                            "path": redact(environ.get("PATH_INFO", "")),
                            "status": status_holder.get("status", 500),
                            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                        }
                    )
                )
