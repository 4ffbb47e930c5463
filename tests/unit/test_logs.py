"""shared.logs: one JSON object per line (or plain text); exceptions by type and stack only."""

from __future__ import annotations

import io
import json
import logging
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from shared import logs

MARKER_NAME = "Zofija Markerovna-Qx7"
MARKER_EMAIL = "zofija.qx7@marker.example"


@pytest.fixture
def out() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    logger = logging.getLogger("clinic.unit")
    handler = logs.make_handler("unit", "json", stream)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield stream
    logger.removeHandler(handler)


def entries(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def fail_with_client_data() -> None:
    try:
        raise ValueError(f"Key (email)=({MARKER_EMAIL}) already exists for {MARKER_NAME}")
    except ValueError as exc:
        raise RuntimeError(f"could not save {MARKER_NAME}") from exc


def test_a_line_is_one_json_object_with_time_level_service_logger_message_and_extras(
    out: io.StringIO,
) -> None:
    logging.getLogger("clinic.unit").info("sent %s", "message 7", extra={"outbox_id": 7})

    [entry] = entries(out)
    assert list(entry)[:5] == ["ts", "level", "service", "logger", "message"]
    assert entry["level"] == "info"
    assert entry["service"] == "unit"
    assert entry["logger"] == "clinic.unit"
    assert entry["message"] == "sent message 7"
    assert entry["outbox_id"] == 7
    assert str(entry["ts"]).endswith("+00:00")


def test_an_exception_is_logged_as_its_type_causes_and_stack_never_its_text(
    out: io.StringIO,
) -> None:
    try:
        fail_with_client_data()
    except RuntimeError:
        logging.getLogger("clinic.unit").exception("could not save the client")

    [entry] = entries(out)
    assert entry["exc_type"] == "RuntimeError"
    assert entry["exc_causes"] == ["ValueError"]
    stack = entry["stack"]
    assert isinstance(stack, list)
    assert any("test_logs.py" in frame and "fail_with_client_data" in frame for frame in stack)
    assert MARKER_NAME not in out.getvalue()
    assert MARKER_EMAIL not in out.getvalue()


def test_a_refused_connection_says_which_errno(out: io.StringIO) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2)
    except OSError:
        logging.getLogger("clinic.unit").warning("SMTP server down", exc_info=True)

    [entry] = entries(out)
    assert entry["exc_type"] == "ConnectionRefusedError"
    assert entry["exc_errno"] == "ECONNREFUSED"


def test_email_addresses_in_messages_are_masked(out: io.StringIO) -> None:
    logging.getLogger("clinic.unit").warning("no such mailbox %s", MARKER_EMAIL)

    assert entries(out)[0]["message"] == "no such mailbox [address]"


def test_a_request_id_bound_to_the_thread_is_on_every_line_until_reset(
    out: io.StringIO,
) -> None:
    log = logging.getLogger("clinic.unit")
    token = logs.bind_request_id("rid-0123456789")
    log.info("inside")
    logs.reset_request_id(token)
    log.info("outside")

    inside, outside = entries(out)
    assert inside["request_id"] == "rid-0123456789"
    assert "request_id" not in outside


def test_text_format_is_one_readable_line_plus_the_stack() -> None:
    stream = io.StringIO()
    logger = logging.getLogger("clinic.unit.text")
    handler = logs.make_handler("worker", "text", stream)
    logger.addHandler(handler)
    try:
        token = logs.bind_request_id("rid-0123456789")
        try:
            fail_with_client_data()
        except RuntimeError:
            logger.error("round failed", exc_info=True, extra={"round": 3})
        finally:
            logs.reset_request_id(token)
    finally:
        logger.removeHandler(handler)

    first, *stack = stream.getvalue().splitlines()
    assert " ERROR worker [rid-0123456789] clinic.unit.text: round failed " in first
    assert "round=3" in first and "exc_type=RuntimeError" in first
    assert stack and all(line.startswith("    at ") for line in stack)
    assert MARKER_NAME not in stream.getvalue()


def test_an_uncaught_exception_in_a_process_becomes_one_json_line_without_its_text() -> None:
    program = (
        "from shared import logs\n"
        "logs.configure('cli', 'json', catch_uncaught=True)\n"
        f"raise KeyError({MARKER_EMAIL!r})\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60, check=False
    )

    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    entry = json.loads(line)
    assert (entry["level"], entry["message"], entry["exc_type"]) == (
        "critical",
        "uncaught exception",
        "KeyError",
    )
    assert MARKER_EMAIL not in done.stderr


def test_gunicorn_logs_through_the_same_handler() -> None:
    config = logs.gunicorn_config("dashboard", "text")

    assert config["root"]["handlers"] == ["clinic"]
    assert config["handlers"]["clinic"]["()"] == "shared.logs.make_handler"
    assert config["loggers"]["gunicorn.error"]["propagate"] is True
    handler = logs.make_handler(
        **{k: v for k, v in config["handlers"]["clinic"].items() if k != "()"}
    )
    assert isinstance(handler.formatter, logs.TextLines)


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="xml"):
        logs.formatter("unit", "xml")
