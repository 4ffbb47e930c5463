"""The request log: one line per request (shared.logs' JSON), secrets redacted, no client data,
a request id on it and on every other line the request causes, its route counted in metrics."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.test import Client

from services.scheduler import create_app
from shared import booking, logs
from shared.catalog import rotate_feed_token
from shared.request_log import RequestLog, redact
from tests.factories import MONDAY, NOW, local, make_clinic

TOKEN = "Zq3v9Xc_Kd2-pL7mWn4rTb8sYh1eJf6a"  # the shape of secrets.token_urlsafe(24)
# What one request's line holds: shared.logs' own fields, then the request's.
REQUEST_LINE = {"ts", "level", "service", "logger", "message", "request_id"} | {
    "method",
    "path",
    "route",
    "status",
    "duration_ms",
}


class Lines(logging.Handler):
    """Lines of the request log as the process writes them (shared.logs' JSON)."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self.setFormatter(logs.formatter("test", "json"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    def entries(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines]


@pytest.fixture
def lines() -> Iterator[Lines]:
    handler = Lines()
    logger = logging.getLogger("clinic.requests")
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)


def hello(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        (f"/feeds/therapist/{TOKEN}.ics", "/feeds/therapist/[redacted].ics"),
        (f"/feeds/room/{TOKEN}.ics", "/feeds/room/[redacted].ics"),
        (f"/feeds/clinic/{TOKEN}.ics", "/feeds/clinic/[redacted].ics"),
        (f"/feeds/booking/{TOKEN}.ics", "/feeds/booking/[redacted].ics"),
        ("/feeds/therapist/short.ics", "/feeds/therapist/[redacted].ics"),
        ("/feeds/therapist/short", "/feeds/therapist/[redacted]"),
        (f"/b/{TOKEN}", "/b/[redacted]"),
        (f"/b/{TOKEN}/cancel", "/b/[redacted]/cancel"),
        ("/b/abc", "/b/[redacted]"),
        (f"/somewhere/{TOKEN}", "/somewhere/[redacted]"),
        ("/api/v1/clients/eva.horvat@example.com", "/api/v1/clients/[redacted]"),
        ("/api/v1/bookings/12/cancel", "/api/v1/bookings/12/cancel"),
        ("/api/v1/treatment-types", "/api/v1/treatment-types"),
        ("/feeds/rotate/therapist/3", "/feeds/rotate/therapist/3"),
        ("/healthz", "/healthz"),
        ("/", "/"),
        ("", ""),
    ],
)
def test_secret_and_personal_path_segments_are_redacted(path: str, logged: str) -> None:
    assert redact(path) == logged


# The test client closes the response body (and so writes the line) only when buffered,
# as gunicorn does after sending it.


def test_each_request_is_one_json_line_with_method_path_status_duration_and_request_id(
    lines: Lines,
) -> None:
    client = Client(RequestLog(hello, "test"), use_cookies=False)
    response = client.get(f"/feeds/therapist/{TOKEN}.ics", buffered=True)

    assert response.status_code == 200
    [entry] = lines.entries()
    assert set(entry) == REQUEST_LINE
    assert (entry["level"], entry["message"], entry["route"]) == ("info", "request", "unmatched")
    assert entry["service"] == "test"
    assert entry["method"] == "GET"
    assert entry["path"] == "/feeds/therapist/[redacted].ics"
    assert entry["status"] == 200
    assert entry["duration_ms"] >= 0
    assert entry["request_id"] == response.headers["X-Request-ID"]
    assert TOKEN not in lines.lines[0]


def test_query_strings_and_bodies_never_reach_the_log(lines: Lines) -> None:
    client = Client(RequestLog(hello, "test"), use_cookies=False)
    client.post(
        "/api/v1/bookings?name=Eva+Horvat&email=eva%40example.com",
        json={"client": {"name": "Eva Horvat", "email": "eva@example.com", "phone": "+386 40"}},
        buffered=True,
    )

    [line] = lines.lines
    assert json.loads(line)["path"] == "/api/v1/bookings"
    for personal in ("Eva", "Horvat", "eva", "example.com", "+386"):
        assert personal not in line


def test_a_well_formed_incoming_request_id_is_kept_and_returned(lines: Lines) -> None:
    client = Client(RequestLog(hello, "test"), use_cookies=False)
    response = client.get("/healthz", headers={"X-Request-ID": "caddy-1234abcd"}, buffered=True)

    assert response.headers["X-Request-ID"] == "caddy-1234abcd"
    assert lines.entries()[0]["request_id"] == "caddy-1234abcd"


@pytest.mark.parametrize(
    "incoming", ["short", "has spaces in it", "x" * 65, 'quote"injection-12345', "eva@example.com"]
)
def test_a_malformed_incoming_request_id_is_replaced_by_a_new_one(
    lines: Lines, incoming: str
) -> None:
    client = Client(RequestLog(hello, "test"), use_cookies=False)
    response = client.get("/healthz", headers={"X-Request-ID": incoming}, buffered=True)

    new_id = response.headers["X-Request-ID"]
    assert new_id != incoming
    assert len(new_id) == 32
    assert lines.entries()[0]["request_id"] == new_id
    assert incoming not in lines.lines[0]


def test_the_request_id_header_appears_once_even_if_the_app_set_its_own(lines: Lines) -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("X-Request-ID", "from-the-app-0000")])
        return [b""]

    response = Client(RequestLog(app, "test")).get("/", buffered=True)

    assert response.headers.getlist("X-Request-ID") == [lines.entries()[0]["request_id"]]


def test_an_app_that_raises_is_logged_as_500_and_the_error_propagates(lines: Lines) -> None:
    def broken(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        Client(RequestLog(broken, "test")).get(f"/b/{TOKEN}", buffered=True)

    [entry] = lines.entries()
    assert entry["status"] == 500
    assert entry["path"] == "/b/[redacted]"


def test_the_line_is_written_when_the_body_is_sent_so_duration_includes_it(lines: Lines) -> None:
    def slow_body(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield b"a"
        time.sleep(0.05)
        yield b"b"

    wrapped = RequestLog(slow_body, "test")
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/slow"}
    body = wrapped(environ, lambda status, headers, exc_info=None: None)
    assert lines.lines == []  # nothing yet: the body has not been sent
    assert b"".join(body) == b"ab"
    body.close()

    [entry] = lines.entries()
    assert entry["duration_ms"] >= 50
    assert entry["status"] == 200


def test_the_scheduler_logs_a_real_feed_and_booking_page_without_their_tokens(
    lines: Lines, db, settings
) -> None:
    with db.transaction() as session:
        clinic = make_clinic(session)
        feed_token = rotate_feed_token(session, clinic.anna)
        made = booking.book(
            session,
            treatment_type_id=clinic.consult.id,
            start=local(MONDAY, "10:00"),
            client_id=clinic.client.id,
            actor="test",
            now=NOW,
        )
        access_token = made.access_token
        client_name, client_email = clinic.client.name, clinic.client.email
    app = create_app({"SETTINGS": settings, "DATABASE": db})
    http = app.test_client()

    feed = http.get(f"/feeds/therapist/{feed_token}.ics", buffered=True)
    page = http.get(f"/b/{access_token}", buffered=True)

    assert feed.status_code == 200
    assert page.status_code == 200
    paths = [entry["path"] for entry in lines.entries()]
    assert paths == ["/feeds/therapist/[redacted].ics", "/b/[redacted]"]
    routes = [entry["route"] for entry in lines.entries()]
    assert routes == ["/feeds/<kind>/<token>.ics", "/b/<token>"]
    text = "\n".join(lines.lines)
    for secret in (feed_token, access_token, client_name, client_email):
        assert secret not in text


def test_database_errors_never_carry_the_querys_parameters(tmp_path) -> None:
    """A failing query's message (what an error log would print) leaves out tokens and names."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    from shared.db import Database

    database = Database(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        with pytest.raises(OperationalError) as caught, database.read() as session:
            session.execute(
                text("SELECT id FROM therapist WHERE feed_token = :t OR name = :n"),
                {"t": TOKEN, "n": "Eva Horvat"},
            )
    finally:
        database.dispose()

    assert "no such table" in str(caught.value)
    assert TOKEN not in str(caught.value)
    assert "Eva Horvat" not in str(caught.value)


def test_every_line_a_request_causes_carries_its_request_id_and_no_other_line_does(
    lines: Lines,
) -> None:
    inside = logging.getLogger("clinic.test")
    inside.setLevel(logging.INFO)
    inside.addHandler(lines)

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        inside.warning("something inside the request")
        start_response("200 OK", [])
        return [b""]

    try:
        response = Client(RequestLog(app, "test")).get("/", buffered=True)
        inside.warning("after the request")
    finally:
        inside.removeHandler(lines)

    during, request_line, after = lines.entries()
    assert during["message"] == "something inside the request"
    assert during["request_id"] == request_line["request_id"] == response.headers["X-Request-ID"]
    assert "request_id" not in after
