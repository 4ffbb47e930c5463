"""One log format for every process: one JSON object per line (or plain text), one formatter.

Every line holds `ts`, `level`, `service`, `logger` and `message`, the `request_id` of the
request that caused it (when one did), and whatever the call passed as `extra`. An exception is
written as its type, the types of its causes and its stack (file, line, function), never its
text or the values in it: a database error's DETAIL or an SMTP answer may quote a client's name
or e-mail address. E-mail addresses in messages are masked as a second line of defence.
"""

from __future__ import annotations

import errno
import io
import json
import logging
import re
import sys
import threading
import traceback
from collections.abc import Iterator
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

FORMATS = ("json", "text")
_MARK = "_clinic_handler"
_request_id: ContextVar[str | None] = ContextVar("clinic_request_id", default=None)
_ADDRESS = re.compile(r"[^\s<>@\"'(),;:]+@[^\s<>@\"'(),;:]+\.[A-Za-z]{2,}")
_SKIP = frozenset(RESERVED_ATTRS) | {"message", "asctime", "service", "request_id", "color_message"}
# Loggers that say too much at INFO for an operator (each event has a line of our own).
_QUIET = {
    "alembic": logging.WARNING,
    "sqlalchemy": logging.WARNING,
    "werkzeug": logging.WARNING,
    "mail.log": logging.WARNING,  # aiosmtpd (the mail catcher): envelopes hold addresses
}
_SITE_ROOTS = sorted(
    {str(Path(p).resolve()) for p in [*sys.path, str(Path(__file__).parents[1])] if p},
    key=len,
    reverse=True,
)

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def bind_request_id(request_id: str) -> Token[str | None]:
    """Lines logged from here on in this thread carry `request_id`, until `reset_request_id`."""
    return _request_id.set(request_id)


def reset_request_id(token: Token[str | None]) -> None:
    _request_id.reset(token)


def current_request_id() -> str | None:
    return _request_id.get()


def _where(frame: traceback.FrameSummary) -> str:
    path = frame.filename
    for root in _SITE_ROOTS:
        if path.startswith(root + "/"):
            path = path[len(root) + 1 :]
            break
    return f"{path}:{frame.lineno} in {frame.name}"


def _type_name(exc: BaseException) -> str:
    kind = type(exc)
    module = kind.__module__
    return kind.__qualname__ if module == "builtins" else f"{module}.{kind.__qualname__}"


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = {id(exc)}
    current = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )


def describe_exception(exc: BaseException) -> dict[str, Any]:
    """Type, causes and stack of `exc`, without its message or any value it holds."""
    described: dict[str, Any] = {"exc_type": _type_name(exc)}
    causes = list(_chain(exc))
    if causes:
        described["exc_causes"] = [_type_name(c) for c in causes]
    if isinstance(exc, OSError) and exc.errno is not None and exc.errno in errno.errorcode:
        described["exc_errno"] = errno.errorcode[exc.errno]
    frames = traceback.extract_tb(exc.__traceback__)
    for cause in causes:  # where the root cause was raised, when the outer one lost it
        frames = frames or traceback.extract_tb(cause.__traceback__)
    described["stack"] = [_where(frame) for frame in frames]
    return described


def mask_addresses(text: str) -> str:
    return _ADDRESS.sub("[address]", text)


def record_fields(record: logging.LogRecord, service: str) -> dict[str, Any]:
    """What one line holds, in order, for either format."""
    fields: dict[str, Any] = {
        "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
        "level": record.levelname.lower(),
        "service": getattr(record, "service", None) or service,
        "logger": record.name,
        "message": mask_addresses(record.getMessage()),
    }
    request_id = getattr(record, "request_id", None) or current_request_id()
    if request_id:
        fields["request_id"] = request_id
    for key, value in record.__dict__.items():
        if key not in _SKIP and not key.startswith("_"):
            fields[key] = value
    if record.exc_info and record.exc_info[1] is not None:
        fields.update(describe_exception(record.exc_info[1]))
    return fields


class JsonLines(JsonFormatter):
    """One JSON object per line (python-json-logger's formatter, with the fields above)."""

    def __init__(self, service: str) -> None:
        super().__init__(json_ensure_ascii=False)
        self.service = service

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        log_data.update(record_fields(record, self.service))

    def formatException(self, ei: Any) -> str:  # never the text: see add_fields
        return ""


class TextLines(logging.Formatter):
    """The same fields as plain text: `ts LEVEL service [request id] logger: message k=v`."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        fields = record_fields(record, self.service)
        head = f"{fields.pop('ts')} {fields.pop('level').upper()} {fields.pop('service')}"
        request_id = fields.pop("request_id", None)
        if request_id:
            head += f" [{request_id}]"
        line = f"{head} {fields.pop('logger')}: {fields.pop('message')}"
        stack = fields.pop("stack", None)
        rest = " ".join(f"{key}={_plain(value)}" for key, value in fields.items())
        lines = [f"{line} {rest}".rstrip()]
        lines += [f"    at {where}" for where in stack or []]
        return "\n".join(lines)


def _plain(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return json.dumps(text) if any(c.isspace() for c in text) else text


def formatter(service: str, log_format: str) -> logging.Formatter:
    if log_format not in FORMATS:
        raise ValueError(f"log format must be one of {FORMATS}, got {log_format!r}")
    return JsonLines(service) if log_format == "json" else TextLines(service)


class _Stderr(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (a test runner swaps it per test)."""

    @property
    def stream(self) -> TextIO:
        current = sys.stderr
        if isinstance(current, HeldBack) or current is None:
            return sys.__stderr__  # type: ignore[return-value]
        return current

    @stream.setter
    def stream(self, _: TextIO) -> None:
        pass


def make_handler(
    service: str, log_format: str = "json", stream: TextIO | None = None
) -> logging.Handler:
    """The process's one handler (also gunicorn's, through `gunicorn_config`)."""
    handler: logging.Handler = logging.StreamHandler(stream) if stream is not None else _Stderr()
    handler.setFormatter(formatter(service, log_format))
    setattr(handler, _MARK, True)
    return handler


def configure(
    service: str,
    log_format: str = "json",
    *,
    stream: TextIO | None = None,
    catch_uncaught: bool = False,
) -> None:
    """Send every logger's records through the one handler on stderr, at INFO and above.

    Handlers others added to the root logger (a test runner's) stay. `catch_uncaught` makes
    uncaught exceptions in the process and its threads lines of the same format.
    """
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _MARK, False)]:
        root.removeHandler(old)
    root.addHandler(make_handler(service, log_format, stream))
    root.setLevel(logging.INFO)
    for name, level in _QUIET.items():
        logging.getLogger(name).setLevel(level)
    logging.captureWarnings(True)  # Python's warnings as lines of the same format
    if catch_uncaught:
        catch_uncaught_exceptions()


def catch_uncaught_exceptions() -> None:
    """An uncaught exception, in the process or a thread, becomes a line of the same format."""
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_uncaught_in_thread


class HeldBack(io.TextIOBase):
    """sys.stderr where libraries print what they like (gunicorn prints the text of the
    exception that stopped a worker from booting, after logging its type and stack): each
    write becomes a line saying how much was held back, never what."""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if text.strip():
            logging.getLogger("clinic.stderr").warning(
                "unformatted output held back", extra={"chars": len(text)}
            )
        return len(text)


def hold_back_raw_output() -> None:
    """In a process whose every line must be the one format (a gunicorn worker)."""
    sys.stderr = HeldBack()


def _log_uncaught(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, exc, tb)
        return
    logging.getLogger("clinic").critical("uncaught exception", exc_info=(kind, exc, tb))


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is None:
        return
    logging.getLogger("clinic").critical(
        "uncaught exception in thread",
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
        extra={"thread_name": args.thread.name if args.thread else None},
    )


def gunicorn_config(service: str, log_format: str) -> dict[str, Any]:
    """gunicorn's `logconfig_dict`: its error log (and any crash) through the same handler."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "root": {"level": "INFO", "handlers": ["clinic"]},
        "loggers": {
            "gunicorn.error": {"level": "WARNING", "handlers": [], "propagate": True},
            # Off: the apps log each request themselves, without query strings or tokens.
            "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
            **{name: {"level": logging.getLevelName(level)} for name, level in _QUIET.items()},
        },
        "handlers": {
            "clinic": {
                "()": "shared.logs.make_handler",
                "service": service,
                "log_format": log_format,
            }
        },
        "formatters": {},
    }
